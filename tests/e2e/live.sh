#!/bin/bash
# live.sh: the live state (issue 22): a process whose executable was
# deleted, and one run from a memfd, are in the process table with their
# executables' contents stored once by SHA-256; the module table is the
# machine's /proc/modules; show --live prints them offline.
. "${E2E_LIB:?}"

PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done
      chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT

# A copied binary, started, then deleted; and the same run from a memfd.
cp /bin/sleep implant
SHA=$(sha256sum implant | cut -d' ' -f1)
./implant 300 &
DELETED=$!
PIDS="$DELETED"
"$MEMFD_EXEC" /bin/sleep sleep 301 &
MEMFD=$!
PIDS="$PIDS $MEMFD"
exe_is() { case $(readlink "/proc/$1/exe") in $2*) return 0;; esac; return 1; }
wait_for 10 exe_is "$DELETED" "$T/implant"
wait_for 10 exe_is "$MEMFD" /memfd:
rm implant
MSHA=$(sha256sum /bin/sleep | cut -d' ' -f1)

# A process holding a TCP listener and a UDP socket on 127.0.0.1 and a
# unix listener; it prints their inodes and ports once they exist.  Two
# more unix sockets have a newline in their names: the second line of
# one reads as a /proc/net/unix record of a socket that does not exist
# (inode 424242), of the other as no record.
python3 -c 'import os, socket, sys, time
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
x = socket.socket(socket.AF_UNIX); x.bind(sys.argv[1]); x.listen()
f = socket.socket(socket.AF_UNIX)
f.bind("x\n0000000000000000: 00000002 00000000 00010000 0001 01 424242")
g = socket.socket(socket.AF_UNIX); g.bind("y\nnot a record")
print(*[os.fstat(s.fileno()).st_ino for s in (t, u, x, f, g)],
      t.getsockname()[1], u.getsockname()[1], flush=True)
time.sleep(300)' "$T/holder.sock" >socks.txt &
HOLDER=$!
PIDS="$PIDS $HOLDER"
# The whole line, its seven numbers, not just a file that is not empty:
# once (ci6, 2026-12-07) the test read a line that gave no numbers.
wait_for 30 grep -qE '^([0-9]+ ){6}[0-9]+$' socks.txt || {
	echo "Bail out! the socket holder printed no line of seven numbers:" \
	    "$(head -c 200 socks.txt)"
	exit 99
}
read -r TINO UINO XINO FINO GINO TPORT UPORT <socks.txt

run "$CUSTODY" collect --profile live --no-nice -o l.tar
expect_rc "collect --profile live" 0
cat .out .err >summary.txt
KEY=$(sed -n 's/^seal key: *\([0-9A-F]*\).*/\1/p' summary.txt)
run "$CUSTODY" verify --trusted-key-id "$KEY" l.tar
expect_rc "the live bundle verifies" 0
check "the summary counts the live state" grep -q '^live: .* processes' summary.txt
check "no files are taken with --profile live" \
    bash -c "! tar tf l.tar | grep -v '/data/live/' | grep -q '/data/'"

tar xf l.tar
B=$(bag_dir l.tar)
cat >check.py <<'PY'
import hashlib, json, os, sys
bag, dpid, dsha, mpid, msha = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    int(sys.argv[4]), sys.argv[5]
rows = {r["pid"]: r for r in map(json.loads,
        open(bag + "/data/live/processes.jsonl"))}
def check(pid, sha, kind):
    exe = rows[pid]["exe"]
    assert exe[kind] is True, (kind, exe)
    assert exe["sha256"] == sha, exe
    stored = os.path.join(bag, exe["stored"])
    got = hashlib.sha256(open(stored, "rb").read()).hexdigest()
    assert got == sha, (stored, got)
    assert rows[pid]["gone"] is False
check(dpid, dsha, "deleted")
check(mpid, msha, "memfd")
# every field of a process record (custody-bundle(5))
for k in ("pid", "ppid", "uid", "gid", "start_utc", "state", "comm",
          "cmdline", "exe", "cwd", "root", "namespaces", "cgroup",
          "capabilities", "seccomp", "environ", "maps", "fds"):
    assert k in rows[dpid], k
assert rows[dpid]["cmdline"] == ["./implant", "300"], rows[dpid]["cmdline"]
# the module table is /proc/modules
mods = [json.loads(l)["name"] for l in open(bag + "/data/live/modules.jsonl")]
want = [l.split()[0] for l in open("/proc/modules")] \
    if os.path.exists("/proc/modules") else []
assert sorted(mods) == sorted(want), (mods, want)
# the tables say when they were read, by both clocks
for l in open(bag + "/data/live/tables.jsonl"):
    t = json.loads(l)
    assert t["read_utc"] and t["read_monotonic_ns"] > 0, t
# no process of ours is hidden, nor any thread
for l in open(bag + "/data/live/findings/processes.jsonl"):
    assert json.loads(l)["pid"] not in (dpid, mpid), l
PY
if python3 check.py "$B" "$DELETED" "$SHA" "$MEMFD" "$MSHA" >py.out 2>&1
then
	ok "deleted and memfd executables stored by SHA-256; modules match"
else
	not_ok "deleted and memfd executables stored by SHA-256; modules match"
	sed 's/^/# /' py.out
fi
check "one blob for the two sleeps' one content" \
    test "$(tar tf l.tar | grep -c "/data/live/blobs/$MSHA\$")" -eq 1

cat >sockets.py <<'PY'
import json, sys
bag, pid = sys.argv[1], int(sys.argv[2])
tino, uino, xino, tport, uport = map(int, sys.argv[3:8])
want = {tino: ("tcp", "listen", "127.0.0.1", tport),
        uino: ("udp", None, "127.0.0.1", uport),
        xino: ("unix", "listen", None, None)}
for table in ("sockets", "proc_net"):
    rows = {}
    for l in open(bag + "/data/live/%s.jsonl" % table):
        r = json.loads(l)
        rows.setdefault(r["inode"], []).append(r)
    for ino, (proto, state, addr, port) in want.items():
        assert ino in rows, (table, ino)
        r = rows[ino][0]
        assert r["protocol"] == proto, (table, r)
        if state is not None:
            assert r["state"].lower() == state, (table, r)
        assert r["local_address"] == addr and r["local_port"] == port, r
        assert pid in r["pids"], (table, r)
    if table == "sockets":
        assert rows[xino][0]["path"].endswith("holder.sock"), rows[xino]
for l in open(bag + "/data/live/findings/sockets.jsonl"):
    assert json.loads(l)["inode"] not in want, l
# a name's second line is its name, in both views, and forges no socket
fino, gino = map(int, sys.argv[8:10])
for table in ("sockets", "proc_net"):
    rows = [json.loads(l) for l in open(bag + "/data/live/%s.jsonl" % table)]
    assert not [r for r in rows if r["inode"] == 424242], table
    paths = {r["inode"]: r["path"] for r in rows}
    assert paths[fino] == "x^0A0000000000000000: 00000002 00000000 " \
        "00010000 0001 01 424242", (table, paths[fino])
    assert paths[gino] == "y^0Anot a record", (table, paths[gino])
for l in open(bag + "/data/live/findings/sockets.jsonl"):
    assert json.loads(l)["inode"] != 424242, l
PY
if python3 sockets.py "$B" "$HOLDER" "$TINO" "$UINO" "$XINO" "$TPORT" \
    "$UPORT" "$FINO" "$GINO" >py.out 2>&1; then
	ok "TCP, UDP and unix sockets in both views, with the holder's PID;" \
	    "a name holding a newline forges no record"
else
	not_ok "TCP, UDP and unix sockets in both views, with the holder's PID;" \
	    "a name holding a newline forges no record"
	sed 's/^/# /' py.out
fi
check "interfaces: lo holds 127.0.0.1" python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert any(r["name"] == "lo" and any(a["address"] == "127.0.0.1"
           for a in r["addresses"]) for r in rows)' \
    "$B/data/live/interfaces.jsonl"

run "$CUSTODY" show --live l.tar
expect_rc "show --live" 0
expect_out_match "show --live prints the deleted executable and its hash" \
    "^ *$DELETED .*implant \\(deleted\\) DELETED sha256:$SHA"
expect_out_match "show --live prints the memfd executable" \
    "^ *$MEMFD .*/memfd:implant.* MEMFD sha256:$MSHA"
expect_out_match "show --live prints the held TCP listener and its PID" \
    "^tcp +LISTEN +127\\.0\\.0\\.1:$TPORT .* $TINO ([0-9,]*,)?$HOLDER(,|\$)"

# A Debian root (an image: --root) with one packaged executable changed,
# and one package whose md5sums list was deleted: the package cross-view
# lists exactly these two, and no process.
mkdir -p img/var/lib/dpkg/info img/usr/bin img/usr/lib
printf 'Package: tool\nStatus: install ok installed\n\n%s\n%s\n' \
    'Package: hidden' 'Status: install ok installed' \
    >img/var/lib/dpkg/status
printf 'implant\n' >img/usr/bin/hidden
printf '/.\n/usr\n/usr/bin\n/usr/bin/hidden\n' \
    >img/var/lib/dpkg/info/hidden.list
printf 'good\n' >img/usr/bin/tool
printf 'lib\n' >img/usr/lib/libtool.so.1
chmod 755 img/usr/bin/tool
{ printf '%s  usr/bin/tool\n' "$(printf 'good\n' | md5sum | cut -c1-32)"
  printf '%s  usr/lib/libtool.so.1\n' "$(printf 'lib\n' | md5sum | cut -c1-32)"
} >img/var/lib/dpkg/info/tool.md5sums
printf 'trojaned\n' >img/usr/bin/tool
run "$CUSTODY" collect --no-nice --live --root img -o img.tar
check "a collection of an image completes" test "$RC" -le 1
tar xf img.tar
IB=$(bag_dir img.tar)
check "the package cross-view lists the changed file, the unlisted package" \
    python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["package"], r["path"], r["problem"]) for r in rows] == \
    [("tool", "/usr/bin/tool", "modified"),
     ("hidden", "/usr/bin/hidden", "no md5sums")], rows' \
    "$IB/data/live/findings/packages.jsonl"
check "and an image has no process table" test ! -e "$IB/data/live/processes.jsonl"

run "$CUSTODY" collect --profile live --no-live -o x.tar
expect_rc "--profile live with --no-live is a usage error" 2
run "$CUSTODY" collect --profile nosuch -o x.tar
expect_rc "an unknown profile is a usage error" 2
expect_err_match "and says so" \
    '^custody: --profile: nosuch: not a profile name \(default, live, triage, or a UAC profile in .*\) nor a profile file$'
done_testing
