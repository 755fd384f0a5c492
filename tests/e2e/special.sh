#!/usr/bin/env bash
# special.sh: FIFOs, sockets and device nodes inside collected paths are
# recorded and never opened (core issue, acceptance 7).
. "$E2E_LIB"

make_tree tree
mkfifo tree/fifo
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' tree/sock
have_dev=0
if mknod tree/null c 1 3 2>/dev/null && mknod tree/blk b 7 0 2>/dev/null; then
	have_dev=1
fi

run timeout 60 "$CUSTODY" collect -o b.tar tree
expect_rc "collection of a tree with a FIFO finishes" 0
run "$CUSTODY" verify b.tar
expect_rc "and its bundle is intact" 4

tar -xOf b.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "the FIFO is recorded as a fifo, not stored" python3 -c '
import json, sys
recs = {r["path"]: r for r in map(json.loads, open("files.jsonl"))}
r = recs[sys.argv[1] + "/fifo"]
assert r["type"] == "fifo" and r["status"] == "ok" and "stored" not in r, r
r = recs[sys.argv[1] + "/sock"]
assert r["type"] == "socket" and "stored" not in r, r' "$T/tree"
if [ $have_dev = 1 ]; then
	check "device nodes are recorded with their numbers, not stored" \
	    python3 -c '
import json, sys
recs = {r["path"]: r for r in map(json.loads, open("files.jsonl"))}
c = recs[sys.argv[1] + "/null"]
b = recs[sys.argv[1] + "/blk"]
assert c["type"] == "char" and c["rdev"] == "1:3" and "stored" not in c, c
assert b["type"] == "block" and b["rdev"] == "7:0" and "stored" not in b, b
' "$T/tree"
fi
check "no member for the FIFO" bash -c "! tar -tf b.tar | grep -q '/fifo$'"

# Named directly, a FIFO is still not opened.
run timeout 60 "$CUSTODY" collect -o c.tar tree/fifo
expect_rc "a FIFO named on the command line does not block" 0

# A device named directly is recorded, never read.
run timeout 60 "$CUSTODY" collect -o d.tar /dev/zero /dev/null
expect_rc "/dev/zero named directly does not read forever" 0
check "/dev/zero is recorded as a char device" bash -c \
    "tar -xOf d.tar --wildcards '*/metadata/files.jsonl' | grep -q '\"path\":\"/dev/zero\",\"type\":\"char\"'"

done_testing
