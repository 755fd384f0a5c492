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

run "$CUSTODY" show --live l.tar
expect_rc "show --live" 0
expect_out_match "show --live prints the deleted executable and its hash" \
    "^ *$DELETED .*implant \\(deleted\\) DELETED sha256:$SHA"
expect_out_match "show --live prints the memfd executable" \
    "^ *$MEMFD .*/memfd:implant.* MEMFD sha256:$MSHA"

run "$CUSTODY" collect --profile live --no-live -o x.tar
expect_rc "--profile live with --no-live is a usage error" 2
run "$CUSTODY" collect --profile nosuch -o x.tar
expect_rc "an unknown profile is a usage error" 2
expect_err "and says so" "custody: --profile: nosuch: unknown profile"
done_testing
