#!/usr/bin/env bash
# bounds.sh: the verifier's resource bounds, as custody(1) states them
# (issue 6).  Hostile bundles with many payload members, huge names, many
# long findings and JSON made to swell must end with exit 1 and the finding
# that names the cause, within the memory the man page promises; and the
# verifier writes nothing, anywhere, below 8 MiB of payload names (past
# that, memory.sh checks the one unnamed scratch file).  Memory is measured as peak RSS and
# capped with prlimit --as, except in a sanitizer build (its shadow memory
# is not ours).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

make_tree tree
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id B -o p.tar tree \
    >/dev/null || exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id B -o z.tar.zst tree \
    >/dev/null || exit 99

IN=p.tar
peak "$CUSTODY" verify --pubkey k.pub -
expect_rc "a small bundle verifies" 0
BASE=$KB

# --- payload members: memory per file is its name and about 500 bytes
N=20000
[ -n "$ASAN" ] && N=5000
craft members "$N" >many.tar || exit 99
IN=many.tar
peak timeout 300 "$CUSTODY" verify -
expect_rc "$N payload members with 2,013-byte names" 1
expect_err "and the stream ends where the metadata should be" \
    "custody: standard input: the bundle ends where metadata/acquisition.json should be"
PER=$(((2048 + 512) * N / 1024))
measured "memory grows by at most 2.5 KiB a payload file" ||
    check "memory grows by at most 2.5 KiB a payload file ($((KB - BASE)) KiB for $N, bound $PER)" \
    test $((KB - BASE)) -le "$PER"
if [ -z "$ASAN" ]; then
	AS=$(((128 << 20) + PER * 1024))
	run prlimit --as=$AS "$CUSTODY" verify - <many.tar
	expect_rc "the same under prlimit --as=$AS" 1
	expect_err "with the same finding, not out of memory" \
	    "custody: standard input: the bundle ends where metadata/acquisition.json should be"
else
	ok "prlimit --as # SKIP sanitizer or valgrind run"
fi
rm -f many.tar

# --- names: 2,048 bytes at most under data/, 64 KiB at most at all
for len in 3000 60000; do
	craft name $len >name.tar || exit 99
	run "$CUSTODY" verify name.tar
	expect_rc "a $len-byte payload name" 1
	check "is refused as not a canonical stored name, shown in 4 KiB" \
	    bash -c "grep -qE '^custody: data/n{20}.*: not a canonical stored name\$' \"$T/.err\" &&
	    test \$(wc -L <\"$T/.err\") -le 4200"
done
craft name 900000 >name.tar || exit 99
run "$CUSTODY" verify name.tar
expect_rc "a 900,000-byte member name" 1
expect_err_match "is refused before it is kept" \
    '^custody: name\.tar: offset [0-9]+: pax records of 900041 bytes: more than the longest name allows \(custody-bundle\(5\)\)$'
rm -f name.tar

# --- findings: 1,000 kept, 4 KiB each at most; the rest counted
long=$(head -c 50000 /dev/zero | tr '\0' L)
python3 -c 'import sys
for i in range(1200):
    sys.stdout.write("%064x  data/%04d%s\n" % (i, i, sys.argv[1]))' "$long" \
    >lines.txt
tamper append p.tar findings.tar manifest-sha256.txt lines.txt \
    --sign k.key k.pub || exit 99
rm -f lines.txt
IN=findings.tar
peak timeout 300 "$CUSTODY" verify --pubkey k.pub -
expect_rc "1,200 manifest lines naming 50 KB names not in the bundle" 1
expect_err "200 findings are counted, not kept" \
    "custody: 200 more findings not shown"
check "1,000 are shown, each cut to 4 KiB" bash -c "
    test \$(grep -c ': listed in manifest-sha256.txt but not in the bundle\$' \"$T/.err\") -eq 1000 &&
    test \$(wc -L <\"$T/.err\") -le 4200"
measured "findings cost at most 16 MiB" ||
    check "findings cost at most 16 MiB ($((KB - BASE)) KiB)" \
    test $((KB - BASE)) -le 16384
rm -f findings.tar

# --- JSON: at most 262,144 values in one text, whatever its size
python3 -c 'print("[" + "{}," * (5 * 1024 * 1024) + "{}]")' >swell.json
tamper replace p.tar swell.tar metadata/acquisition.json swell.json \
    --sign k.key k.pub || exit 99
IN=swell.tar
peak timeout 300 "$CUSTODY" verify --pubkey k.pub -
expect_rc "a 15 MiB acquisition.json of 5 million empty objects" 1
expect_err "is not parsed" \
    "custody: metadata/acquisition.json: not a JSON object"
measured "and does not swell (jansson would take 1.2 GB)" ||
    check "and does not swell (jansson would take 1.2 GB): $((KB - BASE)) KiB" \
    test $((KB - BASE)) -le 65536
python3 -c 'print("[" + "0," * 300000 + "0]")' >swell.json
tamper append p.tar swell.tar metadata/files.jsonl swell.json \
    --sign k.key k.pub || exit 99
run "$CUSTODY" verify --pubkey k.pub swell.tar
expect_rc "a files.jsonl line of 300,001 values" 1
expect_err "is refused by the count" \
    "custody: metadata/files.jsonl: line $(($(tar -xOf p.tar B/metadata/files.jsonl | wc -l) + 1)): more JSON values than a record holds (at most 256 values, 3 levels)"
rm -f swell.json swell.tar

# --- files.jsonl: a record's shape, checked before jansson parses it.
# 200 lines of 260,000 values each (104 MB, 17 KB compressed) took jansson
# minutes; each line is refused by a scan that stops at value 257.  Under
# a sanitizer 50 lines: time is not what it checks there.
DENSE=200
[ -n "$ASAN" ] && DENSE=50
python3 -c 'import sys
sys.stdout.write(("[" + "0," * 260000 + "0]\n") * '$DENSE')
sys.stdout.write("{\"a\":" * 4 + "0" + "}" * 4 + "\n")' >dense.txt
tamper append z.tar.zst dense.tar.zst metadata/files.jsonl dense.txt \
    --sign k.key k.pub || exit 99
rm -f dense.txt
lines=$(tar -I zstd -xOf z.tar.zst B/metadata/files.jsonl | wc -l)
run timeout 60 "$CUSTODY" verify --pubkey k.pub dense.tar.zst
expect_rc "$DENSE files.jsonl lines of 260,000 values, re-signed: refused in seconds" 1
check "each dense line is named, unparsed" bash -c "
    test \$(grep -c 'custody: metadata/files.jsonl: line [0-9]*: more JSON values than a record holds (at most 256 values, 3 levels)\$' \"$T/.err\") -eq $DENSE"
expect_err "and a record nested four deep too" \
    "custody: metadata/files.jsonl: line $((lines + DENSE + 1)): nested deeper than a record (at most 256 values, 3 levels)"
run timeout 60 "$CUSTODY" show dense.tar.zst
expect_rc "show refuses the first dense line, in seconds" 1
expect_err "naming it" \
    "custody: dense.tar.zst: metadata/files.jsonl: line $((lines + 1)): more JSON values than a record holds (at most 256 values, 3 levels)"
rm -f dense.tar.zst

# --- a custody log is streamed: 128 bytes an event, one event parsed
# at a time (it was once held whole, at several times its size).  Under
# a sanitizer, whose memory is not measured, 6,000 events.
EVENTS=60000
[ -n "$ASAN" ] && EVENTS=6000
EVENTS=$EVENTS python3 - <<'PYLOG' >big.custody
import base64, hashlib, json, os, sys
prev, out = '0' * 64, sys.stdout.buffer
# A real key's line and its own ID: a log's key IDs are derived from its
# keys, and one that is not is refused as it is read (custody(1), KEY IDS).
pub = open('k.pub').read().splitlines()[1]
kid = base64.b64decode(pub)[2:10][::-1].hex().upper()
for i in range(int(os.environ['EVENTS'])):
    ev = {"seq": i, "type": "note" if i else "sealed",
          "time": "2026-12-06T09:00:00.000000000Z",
          "local_time": "2026-12-06T10:00:00.000000000+01:00", "zone": "CET",
          "actor": {"name": "A", "role": None, "organisation": None,
                    "contact": None},
          "location": None, "purpose": None, "prev": prev,
          "key_id": kid, "public_key": pub}
    if i:
        ev["note"] = "n" * (i % 7 * 100)
    else:
        ev["bundle"] = {"bag": "B", "tagmanifest_sha512": "a" * 128,
                        "sha256": None}
    line = json.dumps({"event": json.dumps(ev, separators=(',', ':')),
                       "minisig": "untrusted comment: x\nAAAA\n"
                       "trusted comment: x\nAAAA\n"},
                      separators=(',', ':')).encode()
    prev = hashlib.sha256(line).hexdigest()
    out.write(line + b'\n')
PYLOG
IN=/dev/null
peak timeout 300 "$CUSTODY" log --json --log big.custody b.tar
expect_rc "custody log --json of a $(($(stat -c %s big.custody) >> 20)) MiB log of $EVENTS events" 0
check "prints every event" test "$(grep -c '^  "event": {$' "$T/.out")" -eq "$EVENTS"
measured "in at most 8 MiB and 256 bytes an event" ||
    check "in at most 8 MiB and 256 bytes an event ($((KB - BASE)) KiB)" \
    test $((KB - BASE)) -le $((8192 + 256 * EVENTS / 1024))
IN=p.tar
peak timeout 300 "$CUSTODY" verify --pubkey k.pub --log big.custody -
expect_rc "verify with that log (another bundle's)" 1
measured "in the same bound" ||
    check "in the same bound ($((KB - BASE)) KiB)" \
    test $((KB - BASE)) -le $((8192 + 256 * EVENTS / 1024))
rm -f big.custody

# --- no temporary files: nothing is created or opened for writing
mkdir tmp empty
for b in p.tar z.tar.zst; do
	run bash -c "cd empty && TMPDIR=\"$T/tmp\" \"\$CUSTODY\" verify --pubkey ../k.pub ../$b"
	expect_rc "verify $b" 0
	check "leaves TMPDIR and the working directory empty" \
	    test -z "$(find tmp empty -mindepth 1)"
done
if [ -n "${CUSTODY_WRAPPER:-}" ]; then
	ok "strace # SKIP under valgrind, which writes its own logs"
elif command -v strace >/dev/null; then
	for b in p.tar z.tar.zst; do
		# LeakSanitizer cannot run under ptrace.
		run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    strace -f -qq -o trace.txt -e trace=%file "$CUSTODY" verify \
		    --pubkey k.pub "$b"
		expect_rc "verify $b under strace" 0
		check "opens nothing for writing, creates nothing" bash -c "
		    ! grep -E 'O_(WRONLY|RDWR|CREAT|TMPFILE)|^[0-9]+ +(creat|mkdir|mkdirat|unlink|unlinkat|rename|renameat2?|link|linkat|symlink|symlinkat|mknod|mknodat)\\(' trace.txt"
	done
else
	ok "strace # SKIP no strace"
fi

done_testing
