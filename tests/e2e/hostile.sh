#!/usr/bin/env bash
# hostile.sh: traps in the collected tree (hostile host issue, acceptance
# 3, 4, 5, 6, 7): special files, link loops, links out of the tree, odd
# names, very deep paths, hard links, sparse files, pseudo files, and the
# bundle's own directory inside the tree.
. "$E2E_LIB"

records() {
	tar -xOf "$1" --wildcards '*/metadata/files.jsonl'
}

# 3. Things that must never block or be followed.
mkdir -p t3
mkfifo t3/fifo
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' t3/sock
ln -s loop-b t3/loop-a && ln -s loop-a t3/loop-b
ln -s /etc/passwd t3/outside
ln -s ../.. t3/up
cat >m3.yaml <<YAML
version: 1
artifacts:
  -
    description: the traps, and /dev/zero named on purpose
    supported_os: [linux]
    collector: file
    path: $T/t3 /dev/zero
YAML
# What is not read is shown by a trace of every call on a descriptor (a
# time bound would be a window that load can close); the timeout only
# keeps a hang from stalling the suite.
STRACE=
if [ -z "${CUSTODY_WRAPPER:-}" ] && command -v strace >/dev/null; then
	STRACE="strace -f -qq -e trace=%desc -e signal=none"
fi
ASAN=
if ldd "$CUSTODY" 2>/dev/null | grep -q libasan; then
	ASAN=yes
fi
# traced TRACE OUT ARGS...: run custody collect -o OUT ARGS, traced into
# TRACE if strace is there.  LeakSanitizer cannot stop the threads of a
# traced process: in a sanitizer build the traced run (to trace-OUT) goes
# without it, leaves no TRACE unless it succeeds, and the run that is
# judged (to OUT) is the same collection untraced, leaks checked.
traced() {
	local tr=$1 out=$2
	shift 2
	if [ -z "$STRACE" ]; then
		run timeout 300 "$CUSTODY" collect -o "$out" "$@"
	elif [ -z "$ASAN" ]; then
		run timeout 300 $STRACE -o "$tr" "$CUSTODY" collect -o "$out" "$@"
	else
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    timeout 300 $STRACE -o "$tr" "$CUSTODY" collect \
		    -o "trace-$out" "$@" >/dev/null 2>&1 || rm -f "$tr"
		run timeout 300 "$CUSTODY" collect -o "$out" "$@"
	fi
}
# unread TRACE NAME: no call in TRACE (strace -f -e trace=%desc) reads from
# a descriptor opened on a file named NAME.
unread() {
	python3 - "$1" "$2" <<'PY'
import re, sys
name = re.compile(r'"(?:[^"]*/)?%s"' % re.escape(sys.argv[2]))
call = re.compile(r'^\d+ +(\w+)\(([^,)]*)(.*)= (-?\d+)')
mapped = re.compile(r'^\d+ +mmap\(.*, (\d+), (?:0x[0-9a-f]+|\d+)\) += ')
reads = re.compile(r'p?readv?2?$|sendfile|splice|copy_file_range')
fds, bad = set(), []
for line in open(sys.argv[1]):
    m, mm = call.match(line), mapped.match(line)
    if mm and int(mm.group(1)) in fds:
        bad.append(line.strip())
    if not m:
        continue
    f, rest, ret = m.group(1), m.group(3), int(m.group(4))
    fd = int(m.group(2)) if m.group(2).isdigit() else -1
    if f.startswith("open") and name.search(rest) and ret >= 0:
        fds.add(ret)
    elif f == "close":
        fds.discard(fd)
    elif fd in fds and reads.match(f):
        bad.append(line.strip())
sys.exit("read: %s" % bad[:3] if bad else 0)
PY
}
traced t3.trace t3.tar --no-live -m m3.yaml
expect_rc "a tree of traps is collected" 0
if [ -n "$STRACE" ]; then
	traps_unread() { unread t3.trace fifo && unread t3.trace zero; }
	check "without reading the FIFO or /dev/zero" traps_unread
else
	ok "without reading the FIFO or /dev/zero # SKIP no strace, or valgrind"
fi
records t3.tar >t3.jsonl
check "each trap is recorded with its type, none stored" python3 -c '
import json, sys
t = sys.argv[1] + "/t3/"
recs = {r["path"]: r for r in map(json.loads, open("t3.jsonl"))}
want = {t + "fifo": "fifo", t + "sock": "socket", t + "loop-a": "symlink",
        t + "loop-b": "symlink", t + "outside": "symlink", t + "up": "symlink",
        "/dev/zero": "char"}
for p, ty in want.items():
    assert recs[p]["type"] == ty and "stored" not in recs[p], recs[p]
assert recs[t + "outside"]["target"] == "/etc/passwd"
assert not any(p.startswith("/etc/") for p in recs)' "$T"
check "no member outside the named paths" \
    bash -c "! tar -tf t3.tar | grep -v -e '/data$T/t3/' -e '/metadata/' \
    -e '/manifest-' -e '/tagmanifest' -e '/bag' -e '/signatures/' | grep -q ."

# 4. Odd names, a 255-byte name, and a path deeper than PATH_MAX.
mkdir -p t4
printf 'n\n' >"t4/new$(printf '\nline')"
printf 't\n' >"t4/tab$(printf '\t')x"
printf 'p\n' >"t4/100%"
printf 'c\n' >"t4/caret^"
printf 'b\n' >'t4/back\slash'
printf 'i\n' >"t4/bad$(printf '\xff\xfe')utf8"
long=$(printf 'L%.0s' $(seq 1 255))
printf 'l\n' >"t4/$long"
python3 - <<'PY'
import os
os.chdir("t4")
fd = os.open(".", os.O_RDONLY)
for i in range(24):                 # 24 x 250 bytes: over 6000 deep
    name = ("d%02d" % i) + "x" * 247
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b"deep\n")
os.close(f)
PY
run "$CUSTODY" collect -o t4.tar t4
expect_rc "odd names and a 6000-byte path are collected" 0
run "$CUSTODY" verify t4.tar
expect_rc "and verify" 4
records t4.tar >t4.jsonl
check "files.jsonl keeps every raw name" python3 -c '
import json, base64, sys
t = sys.argv[1] + "/t4/"
paths = set()
for r in map(json.loads, open("t4.jsonl")):
    paths.add(r["path"] if "path" in r else
              base64.b64decode(r["path_b64"]).decode("latin-1"))
for n in ["new\nline", "tab\tx", "100%", "caret^", "back\\slash", "L" * 255]:
    assert t + n in paths, n
assert t + "bad\xff\xfeutf8" in paths
assert any(p.endswith("/deep.txt") and len(p) > 6000 for p in paths)' "$T"
mkdir x4
check "tar -xf extracts every stored name" tar -xf t4.tar -C x4
check "sha256sum -c passes on the extracted bag" \
    bash -c 'cd x4/t4 && sha256sum --quiet --strict -c manifest-sha256.txt'
check "stored names hold no control character, % or invalid UTF-8" \
    bash -c "cd x4 && ! find . -name '*[[:cntrl:]%]*' | grep -q . &&
    find . -print0 | python3 -c 'import sys; sys.stdin.buffer.read().decode()'"
check "the newline name is stored as ^0A" test -f "x4/t4/data$T/t4/new^0Aline"
check "the invalid UTF-8 bytes are stored as ^FF^FE" \
    test -f "x4/t4/data$T/t4/bad^FF^FEutf8"
check "the deep file is stored under data/^00/SHA-256(path)" bash -c "
    h=\$(python3 -c 'import json,hashlib,base64; r=[r for r in map(json.loads, open(\"t4.jsonl\")) if r.get(\"path\",\"\").endswith(\"/deep.txt\")][0]; print(r[\"stored\"])')
    test \"\$h\" = data/^00/\$(python3 -c 'import json,hashlib; r=[r for r in map(json.loads, open(\"t4.jsonl\")) if r.get(\"path\",\"\").endswith(\"/deep.txt\")][0]; print(hashlib.sha256(r[\"path\"].encode()).hexdigest())') &&
    test -f x4/t4/\$h"

# 5. atime across 1,000 files older than their mtime.
mkdir -p t5
for d in 0 1 2 3 4 5 6 7 8 9; do
	mkdir t5/$d
	for f in $(seq 1 100); do printf '%s\n' "$d$f" >t5/$d/f$f; done
done
find t5 -exec touch -h -a -d '2019-05-06 07:08:09' {} +
find t5 -type f -exec stat -c '%n %X' {} + | sort >t5.before
run "$CUSTODY" collect -o t5.tar t5
expect_rc "collect 1,000 files" 0
find t5 -type f -exec stat -c '%n %X' {} + | sort >t5.after
check "1,000 files with atime older than mtime keep their atime" \
    test "$(wc -l <t5.after)" -eq 1000 -a -z "$(diff t5.before t5.after)"

# 6. Pseudo files that say they are empty.
run "$CUSTODY" collect -o t6.tar /proc/self/status /proc/cpuinfo
expect_rc "collect /proc files" 0
check "/proc/self/status is stored with content" \
    bash -c "test \$(tar -tvf t6.tar | grep -E '/data/proc/[0-9]+/status$' | awk '{print \$3}') -gt 0"
check "/proc/cpuinfo is stored with content" \
    bash -c "test \$(tar -tvf t6.tar | grep '/data/proc/cpuinfo$' | awk '{print \$3}') -gt 0"
run "$CUSTODY" verify t6.tar
expect_rc "and they verify" 4

# 7. The output inside the collected tree.
mkdir -p t7/out && printf 'x\n' >t7/file
run "$CUSTODY" collect -o t7/out/self.tar t7
expect_rc "collect into the collected tree" 0
check "the bundle does not hold itself or its sidecar" \
    bash -c "! tar -tf t7/out/self.tar | grep -q -e 'self\\.tar'"
check "but holds the file beside it" \
    bash -c "tar -tf t7/out/self.tar | grep -q '/data$T/t7/file$'"

# Hard links: content once, every path recorded.
mkdir -p t8
head -c 50000 /dev/urandom >t8/one
ln t8/one t8/two && ln t8/one t8/three
run "$CUSTODY" collect -o t8.tar t8
expect_rc "collect hard links" 0
check "the content is stored once" \
    test "$(tar -tf t8.tar | grep -c '/data/')" -eq 1
records t8.tar >t8.jsonl
check "every path is recorded, pointing at the stored copy" python3 -c '
import json
recs = {r["path"].rsplit("/", 1)[1]: r for r in map(json.loads, open("t8.jsonl"))}
s = recs["one"]["stored"]
assert recs["two"]["hardlink_of"] == s and recs["three"]["hardlink_of"] == s
assert "stored" not in recs["two"] and recs["two"]["ino"] == recs["one"]["ino"]'

# A 10 GiB sparse file under a size cap is not read at all.
mkdir -p t9 && truncate -s 10G t9/huge.img
cat >m9.yaml <<YAML
version: 1
artifacts:
  -
    description: capped
    supported_os: [linux]
    collector: file
    path: $T/t9
    max_file_size: 1048576
YAML
traced t9.trace t9.tar --no-live -m m9.yaml
expect_rc "a 10 GiB sparse file under a cap" 0
check "is recorded too_large" bash -c "
    tar -xOf t9.tar --wildcards '*/metadata/files.jsonl' |
    grep -q '\"status\":\"too_large\",\"reason\":\"size 10737418240 exceeds max_file_size 1048576\"'"
if [ -n "$STRACE" ]; then
	check "and not read at all" unread t9.trace huge.img
else
	ok "and not read at all # SKIP no strace, or under valgrind"
fi
truncate -s 64M t9/small-sparse.img
printf 'tail' | dd of=t9/small-sparse.img bs=1 seek=$((64 * 1024 * 1024 - 4)) conv=notrunc 2>/dev/null
run "$CUSTODY" collect -o t9b.tar t9/small-sparse.img
expect_rc "a sparse file without a cap is read whole" 0
mkdir x9 && tar -xf t9b.tar -C x9
check "and its bytes are right" cmp "x9/t9b/data$T/t9/small-sparse.img" t9/small-sparse.img

done_testing
