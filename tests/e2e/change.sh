#!/usr/bin/env bash
# change.sh: files that change, vanish or are refused while a collection
# runs (hostile host issue, acceptance 1 and 2).  --max-rate slows the
# reading of one big file so that the change happens while it is read:
# seconds of margin, not a race.
. "$E2E_LIB"

records() {
	tar -xOf "$1" --wildcards '*/metadata/files.jsonl'
}

# reading FILE: true while some process holds FILE open.
reading() {
	find /proc/[0-9]*/fd -lname "$1" 2>/dev/null | grep -q .
}

# 1. A background writer appends to a file while it is read: from the
#    moment the collection opens it (throttled, it reads for four seconds
#    at least) until the collection has ended, however slow the machine.
mkdir -p w
head -c 12000000 /dev/urandom >w/growing.log
(
	wait_for 120 reading "$T/w/growing.log"
	i=0
	while [ ! -e w.done ] && [ "$i" -lt 12000 ]; do
		printf 'line %d\n' "$i" >>w/growing.log
		sleep 0.01
		i=$((i + 1))
	done
) &
writer=$!
run "$CUSTODY" collect --max-rate 3 -o w.tar w
touch w.done
wait $writer
expect_rc "collect a file that grows while read" 0
expect_err_match "the terminal says it changed" \
    "^custody: $T/w/growing\\.log: changed: modified while read\$"
expect_out_match "the summary counts it" '^changed: +1 '
records w.tar >w.jsonl
check "its record says changed, with both stats" python3 -c '
import json, sys
r = [r for r in map(json.loads, open("w.jsonl")) if r["path"].endswith("growing.log")][0]
assert r["status"] == "changed", r
assert r["size"] >= 12000000 and r["bytes"] == r["size"], r
assert r["after"]["size"] > r["size"], r'
run "$CUSTODY" verify w.tar
expect_rc "the bundle verifies" 4
mkdir wx && tar -xf w.tar -C wx
check "the archived bytes match the recorded hash" \
    bash -c 'cd wx/w && sha256sum --quiet --strict -c manifest-sha256.txt &&
    test "$(sha256sum "data'"$T"'/w/growing.log" | cut -d" " -f1)" = \
    "$(python3 -c "import json; print([r for r in map(json.loads, open(\"'"$T"'/w.jsonl\")) if r[\"path\"].endswith(\"growing.log\")][0][\"sha256\"])")"'
check "the archived bytes are the file's first bytes" \
    cmp -n "$(stat -c %s "wx/w/data$T/w/growing.log")" \
    "wx/w/data$T/w/growing.log" w/growing.log

# 2. A file deleted between listing and opening, and a directory the
#    collecting user may not read, in one run as an unprivileged user.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# v/a-mid, a directory, ends the batch a-big is in (io_uring opens
	# a batch's files together): b-gone is opened after a-big is read.
	mkdir -p v/secret v/a-mid
	head -c 6000000 /dev/urandom >v/a-big
	printf 'gone soon\n' >v/b-gone
	printf 'private\n' >v/secret/key
	chmod 0755 v && chmod 0644 v/a-big v/b-gone && chmod 0700 v/secret
	chmod 0777 "$T"
	# Removed once the collection is reading a-big (throttled to 2 MB/s),
	# so after the walk met v/ and before it reaches b-gone, however
	# slowly the binary starts (valgrind).
	(
		wait_for 120 reading "$T/v/a-big"
		rm -f v/b-gone
	) &
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CUSTODY" collect --max-rate 2 -o v.tar v
	wait
	expect_rc "a vanished file and a denied directory: partial" 1
	expect_err "the vanished file is reported" \
	    "custody: $T/v/b-gone: vanished: lstat: No such file or directory"
	expect_err "the denied directory is reported" \
	    "custody: $T/v/secret: denied: open: Permission denied"
	expect_out_match "the summary counts both" '^failed: +2 '
	records v.tar >v.jsonl
	check "files.jsonl records vanished and denied with the errno text" \
	    python3 -c '
import json
recs = {r["path"].rsplit("/", 1)[1]: r for r in map(json.loads, open("v.jsonl"))}
assert recs["b-gone"]["status"] == "vanished", recs["b-gone"]
assert recs["b-gone"]["reason"] == "lstat: No such file or directory"
assert recs["secret"]["status"] == "denied", recs["secret"]
assert recs["secret"]["reason"] == "open: Permission denied"'
	run "$CUSTODY" verify v.tar
	expect_rc "a partial bundle still verifies" 4
	expect_out_match "and its report counts what was not collected" \
	    '^records: .* 2 artefacts not collected'
fi

done_testing
