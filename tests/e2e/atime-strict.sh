#!/usr/bin/env bash
# atime-strict.sh: on a real ext4 file system mounted strictatime (every
# access moves an atime), collected as root and as a user who owns little
# of it, every inode's atime, mtime and ctime are taken before and after,
# and files.jsonl must agree: the atime recorded is the one before the
# collection, and atime_updated says exactly which atimes the collection
# moved (issue 21, item 2).  Directories and a hard link pair included.
. "$E2E_LIB"

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "not root: no loop device"
command -v mkfs.ext4 >/dev/null || skip_all "no mkfs.ext4"
command -v setpriv >/dev/null || skip_all "no setpriv"
truncate -s 8M img
mkfs.ext4 -q -F -N 128 img >/dev/null 2>&1 || skip_all "mkfs.ext4 failed"
mkdir mnt
mount -o loop,strictatime img mnt 2>/dev/null ||
    skip_all "no loop device could be made (mount -o loop failed)"
trap 'umount "$T/mnt" 2>/dev/null; chmod -R u+rwx "$T" 2>/dev/null;
    rm -rf "$T"' EXIT

# Root's tree, readable by all, with a directory and a file of nobody's
# own (O_NOATIME is allowed on those) and a hard link pair in two
# directories.
chmod a+rx "$T" mnt
make_tree mnt/tree
printf 'linked\n' >mnt/tree/h1
ln mnt/tree/h1 mnt/tree/sub/h2
mkdir mnt/tree/nobodys
printf 'mine\n' >mnt/tree/nobodys/own.txt
chown -R 65534:65534 mnt/tree/nobodys
chmod -R a+rX mnt/tree
mkdir out
chmod a+rwx out

# Every inode's path, listed once: from now on the test itself must not
# list a directory or follow a link of the tree, or it moves their atimes.
find "$T/mnt/tree" >paths

# stats FILE: every inode's times (ns) by lstat, as JSON.
stats() {
	python3 - paths >"$1" <<'EOF'
import json, os, sys
out = {}
for n in open(sys.argv[1]).read().splitlines():
    s = os.lstat(n)
    out[n] = [s.st_atime_ns, s.st_mtime_ns, s.st_ctime_ns]
json.dump(out, sys.stdout)
EOF
}

# compare WHO BUNDLE: files.jsonl against the stats before and after.
compare() {
	tar -xOf "$2" --wildcards '*/metadata/files.jsonl' >"$1.jsonl"
	python3 - before.json after.json "$1.jsonl" <<'EOF'
import json, sys
from datetime import datetime, timezone
before, after = (json.load(open(f)) for f in sys.argv[1:3])
recs = {}
for line in open(sys.argv[3]):
    r = json.loads(line)
    recs[r["path"]] = r
def ns(s):
    sec, frac = s.rstrip("Z").split(".")
    t = datetime.strptime(sec, "%Y-%m-%dT%H:%M:%S")
    return int(t.replace(tzinfo=timezone.utc).timestamp()) * 10**9 + int(frac)
bad = 0 if len(before) >= 16 else 1
for p, (a0, m0, c0) in sorted(before.items()):
    a1, m1, c1 = after[p]
    r = recs.get(p)
    why = []
    if r is None:
        why.append("no record")
    else:
        if ns(r["atime"]) != a0:
            why.append("recorded atime %s, was %d" % (r["atime"], a0))
        if r.get("atime_updated", False) != (a1 != a0):
            why.append("atime_updated %s, atime %s" %
                       (r.get("atime_updated", False),
                        "moved" if a1 != a0 else "unchanged"))
        if ns(r["mtime"]) != m0 or ns(r["ctime"]) != c0:
            why.append("recorded mtime or ctime differ")
    if (m1, c1) != (m0, c0):
        why.append("mtime or ctime moved")
    for w in why:
        print("# %s: %s" % (p, w))
        bad += 1
sys.exit(bad != 0)
EOF
}

# moved all|none PATH...: true when the atime of all (none) of the paths
# moved between before and after.
moved() {
	python3 - before.json after.json "$@" <<'EOF'
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
moved = [b[p][0] != a[p][0] for p in sys.argv[4:]]
sys.exit(not (all(moved) if sys.argv[3] == "all" else not any(moved)))
EOF
}

# One collection as WHO (root, or nobody through setpriv) into out/WHO.tar.
collection() {
	local who=$1
	shift
	xargs -d '\n' touch -h -a -d '2020-01-02 03:04:05' <paths
	stats before.json
	run "$@" "$CUSTODY" collect --no-nice -o "out/$who.tar" "$T/mnt/tree"
	expect_rc "$who: collect" 0
	stats after.json
	check "$who: every inode recorded with its atime from before, and \
atime_updated exactly where the atime moved" compare "$who" "out/$who.tar"
}

collection root
guarded=$(tar -xOf out/root.tar --wildcards '*/metadata/acquisition.json' |
    python3 -c 'import json, sys
print(json.load(sys.stdin)["read_only_mounts"]["active"])')
if [ "$guarded" = True ]; then
	check "root: no atime moved at all" \
	    bash -c "! grep -q atime_updated root.jsonl"
else
	ok "root: no atime moved # SKIP no read-only, noatime mounts here"
fi

collection nobody setpriv --reuid=65534 --regid=65534 --clear-groups
# Not ours: listing a directory, reading a file or a link moved its atime.
D=$T/mnt/tree
check "nobody: root's directories, hard links, files and links moved" \
    moved all "$D" "$D/sub" "$D/sub/deeper" "$D/empty-dir" "$D/h1" \
    "$D/sub/h2" "$D/a.txt" "$D/link-to-a"
check "nobody: its own directory and file did not (O_NOATIME)" \
    moved none "$D/nobodys" "$D/nobodys/own.txt"
check "nobody: the second name of the hard link is flagged too" \
    grep -q "\"path\":\"$D/sub/h2\".*\"hardlink_of\".*\"atime_updated\":true" \
    nobody.jsonl

done_testing
