#!/usr/bin/env bash
# onewalk.sh: artefacts over the same tree share one traversal.  With 1
# and with 8 artefacts (file, hash, stat, find) over one tree, strace -c
# counts the same getdents64 and openat calls: each directory is read
# once and each file opened once, however many artefacts select it.
. "$E2E_LIB"

if ! command -v strace >/dev/null; then
	ok "# SKIP strace is not installed"
	done_testing
	exit 0
fi
F="$T/fix"
for d in a b c d e; do
	for s in 1 2 3; do
		mkdir -p "$F/data/$d/$s"
		for f in x y z; do
			printf '%s\n' "$d$s$f" >"$F/data/$d/$s/$f.log"
		done
		chmod 4755 "$F/data/$d/$s/x.log"
	done
done
art() {
	printf '  -\n    description: %s\n    supported_os: [linux]\n' "$1"
	printf '    collector: %s\n    path: /data\n' "$2"
	[ -n "${3:-}" ] && printf '    %s\n' "$3"
	return 0
}
{ echo "version: 1.0"; echo "artifacts:"; art one file; } >one.yaml
{
	echo "version: 1.0"; echo "artifacts:"
	art content file
	art hashes hash
	art timeline stat
	art logs find 'name_pattern: ["*.log"]'
	art setuid find 'permissions: [-4000]'
	art dirs find 'file_type: [d]'
	art shallow hash 'max_depth: 2'
	art ys stat 'name_pattern: ["y*"]'
} >eight.yaml
# One file at a time (CUSTODY_IO_URING=off): io_uring's opens are no
# system calls strace can count.  The unnamed scratch files (O_TMPFILE)
# are the bundle's, not the tree's: each find artefact has its listing's.
counts() {
	rm -f "$1.tar" "$1.tar".*
	CUSTODY_IO_URING=off strace -f -o "$T/$1.st" \
	    -e trace=getdents64,openat "$CUSTODY" collect --no-nice --root "$F" -m "$1.yaml" \
	    -o "$1.tar" >/dev/null 2>&1
	printf 'getdents64 %s openat %s (scratch files %s) ' \
	    "$(grep -c 'getdents64(' "$T/$1.st")" \
	    "$(grep 'openat(' "$T/$1.st" | grep -vc O_TMPFILE)" \
	    "$(grep 'openat(' "$T/$1.st" | grep -c O_TMPFILE)"
}
one=$(counts one)
eight=$(counts eight)
check "strace counted calls ($one)" test -n "$one"
check "8 artefacts: the same getdents64 and openat counts as 1 ($eight)" \
    test "${one% (*}" = "${eight% (*}"
tar -xOf eight.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "every file is stored once (45)" \
    test "$(grep -c '"stored"' files.jsonl)" -eq 45
check "every directory is recorded once (21)" \
    test "$(grep '"type":"dir"' files.jsonl | sort -u | wc -l)" -eq 21
check "no path is recorded twice" \
    test "$(grep -o '"path":"[^"]*"' files.jsonl | sort | uniq -d | wc -l)" \
    -eq 0

# Which walk goes first: the sweeps of a root (a timeline, and *.log files
# stored from it) enclose a hashed directory; the hashing must still take
# its executables, and the sweeps the rest (docs/design.md, 7.14).
art2() {
	printf '  -\n    description: %s\n    supported_os: [linux]\n' "$1"
	printf '    collector: %s\n    path: %s\n' "$2" "$3"
	[ -n "${4:-}" ] && printf '    %s\n' "$4"
	return 0
}
mkdir -p "$F/data/bin"
printf '#!/bin/sh\n' >"$F/data/bin/tool"
chmod 755 "$F/data/bin/tool"
{
	echo "version: 1.0"; echo "artifacts:"
	art2 timeline stat /
	art2 logs file / 'name_pattern: ["*.log"]'
	art2 exes hash /data/bin
} >nested.yaml
run "$CUSTODY" collect --no-nice --root "$F" -m nested.yaml -o nested.tar
expect_rc "a timeline, logs and hashes nested in one another" 0
tar -xOf nested.tar --wildcards '*/metadata/files.jsonl' >nested.jsonl
check "the enclosed hash artefact hashes its executable" \
    grep -q '"path":"/data/bin/tool".*"artefact":"nested.yaml:[0-9]*".*"sha256"' \
    nested.jsonl
check "and it is not listed by the timeline" \
    test "$(grep '"path":"/data/bin/tool"' nested.jsonl | grep -c listed)" \
    -eq 0
check "the sweeps' file artefact stores a log" \
    grep -q '"path":"/data/a/1/y.log","stored"' nested.jsonl
check "the timeline lists a directory" \
    grep -q '"path":"/data/a","type":"dir","status":"listed"' nested.jsonl

# A start path inside another's tree joins its walk: the stat of /data
# and the file artefact of /data/a/1 are one traversal, and the nested
# one must still store what the other lists (UAC's find and stat sweeps
# of / once hid every file of /etc).
{ echo "version: 1.0"; echo "artifacts:"; art conf file 'name_pattern: ["*.conf"]'
  art all stat
  printf '  -\n    description: nested\n    collector: file\n    path: /data/a/1\n'
} >stored.yaml
run "$CUSTODY" collect --no-nice --root "$F" -m stored.yaml -o stored.tar
expect_rc "a stat of /data and a file artefact of /data/a/1" 0
tar -xOf stored.tar --wildcards '*/metadata/files.jsonl' >stored.jsonl
check "the nested walk stores its 3 files, listed by the first walk too" \
    test "$(grep -c '"path":"/data/a/1/[xyz].log","stored"' stored.jsonl)" \
    -eq 3
check "and nothing else is stored" test "$(grep -c '"stored"' stored.jsonl)" -eq 3

# Start paths nested in one another, of every collector: the directories
# are read as often as by the one artefact over /data, and each artefact
# still takes what it would alone (its max_depth counted from its own
# path).  A start reached through a link (data/a, which its own walk
# follows) keeps a walk of its own.
{
	echo "version: 1.0"; echo "artifacts:"
	art2 all stat /data
	art2 content file /data/a
	art2 hashes hash '/data/b/2 /data/c' 'max_depth: 1'
	art2 logs find /data/d 'name_pattern: ["y*"]'
	art2 one file /data/e/3/z.log
} >nest.yaml
one=$(counts one)
nest=$(counts nest)
check "nested starts: the same getdents64 count as one walk ($nest)" \
    test "${one%% openat*}" = "${nest%% openat*}"
tar -xOf nest.tar --wildcards '*/metadata/files.jsonl' >nest.jsonl
check "the nested file artefact stores its 9 files" \
    test "$(grep -c '"path":"/data/a/[^"]*","stored"' nest.jsonl)" -eq 9
check "and records its 4 directories" \
    test "$(grep '"path":"/data/a[^"]*","type":"dir"' nest.jsonl |
    grep -vc listed)" -eq 4
check "the hash artefact hashes the files one level below its path" \
    test "$(grep '"status":"hashed"' nest.jsonl |
    grep -c '"path":"/data/b/2/[xyz].log"')" -eq 3
check "and none two levels below" \
    grep -q '"path":"/data/c/1/x.log","type":"file","status":"listed"' \
    nest.jsonl
check "the find artefact lists what its pattern selects" \
    test "$(tar -xOf nest.tar --wildcards '*/metadata/listings/*' |
    grep -c '^/data/d/[123]/y.log$')" -eq 3
check "the file start stores that one file" \
    grep -q '"path":"/data/e/3/z.log","stored"' nest.jsonl
check "and the stat artefact lists the rest" \
    grep -q '"path":"/data/e/3/y.log","type":"file","status":"listed"' \
    nest.jsonl
check "no path is recorded twice" \
    test "$(grep -o '"path":"[^"]*"' nest.jsonl | sort | uniq -d | wc -l)" \
    -eq 0
ln -s data/a "$F/link"
{
	echo "version: 1.0"; echo "artifacts:"
	art2 all stat /data
	art2 linked file /link/2
} >linked.yaml
run "$CUSTODY" collect --no-nice --root "$F" -m linked.yaml -o linked.tar
expect_rc "a start through a link, inside another start's tree" 0
check "stores what lies beyond the link, under the path it resolves to" \
    test "$(tar -xOf linked.tar --wildcards '*/metadata/files.jsonl' |
    grep -c '"path":"/data/a/2/[xyz].log","stored"')" -eq 3
done_testing
