#!/usr/bin/env bash
# memory.sh: verify's memory does not grow with the names of the payload
# files (issue 28, item 2).  A genuine bundle is given thousands more empty
# payload files with names of 1,800 bytes, listed in every tag file and
# signed again (craft.py many), at two sizes; at both, verify accepts it
# within the bound custody(1) states, 24 MiB and 128 bytes a payload file,
# and refuses it with a wrong key in the same; names are read back for a
# finding, from memory or from the scratch file.  Before, each file cost
# about 1.9 KiB: 546 MiB for 300,000 (45 MiB now).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

# bound N: custody(1)'s bound for verify, in KiB, for N payload files.
bound() {
	echo $((24 * 1024 + 128 * $1 / 1024))
}

make_tree tree
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
"$CUSTODY" keygen -o w >/dev/null 2>&1 || exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id B -o p.tar.zst tree \
    >/dev/null || exit 99
KID=$(sed -n 's/.*custody public key \([0-9A-F]*\).*/\1/p' k.pub)
WID=$(sed -n 's/.*custody public key \([0-9A-F]*\).*/\1/p' w.pub)
FILES=$(tar -I zstd -xOf p.tar.zst B/bag-info.txt |
    sed -n 's/^Payload-Oxum: [0-9]*\.//p')

# Two sizes, the larger four times the smaller, that craft and verify in
# about ten seconds on two idle cores (300,000 take minutes to craft; for
# the figures of custody(1), MEMORY_SIZES="30000 300000"); the larger
# one's names alone, 36 MB, would break the bound if they were kept.
# Under a sanitizer or valgrind memory is not measured: small ones.
SIZES=${MEMORY_SIZES:-5000 20000}
[ -n "$ASAN" ] && SIZES="6000 7000"
# shellcheck disable=SC2086 # two numbers, split on purpose
set -- $SIZES
RSS=() SHOWN=()
for n in "$@"; do
	craft many p.tar.zst "m$n.tar.zst" "$n" k.key k.pub || exit 99
	peak "$CUSTODY" verify --pubkey k.pub "m$n.tar.zst"
	expect_rc "$n more payload files with 1,800-byte names verify" 0
	expect_out_match "every one of them counted and matched" \
	    "^payload: +$((n + FILES)) files, [0-9]+ bytes: $((n + FILES)) matched, 0 missing, 0 extra, 0 mismatched\$"
	RSS+=("$KB")
	measured "within 24 MiB and 128 bytes a payload file" ||
	    check "within 24 MiB and 128 bytes a payload file ($KB KiB, bound $(bound "$n"))" \
	    test "$KB" -le "$(bound "$n")"
	peak "$CUSTODY" verify --pubkey w.pub "m$n.tar.zst"
	expect_rc "with a wrong key, $n more payload files" 1
	expect_err "are refused: the key is not trusted" \
	    "custody: signatures/tagmanifest-sha512.txt.minisig: made by key $KID, which is not a trusted key ($WID)"
	measured "in at most 64 MiB" ||
	    check "in at most 64 MiB ($KB KiB)" test "$KB" -le 65536
	peak "$CUSTODY" show "m$n.tar.zst"
	expect_rc "show lists them" 0
	SHOWN+=("$KB")
done
small=$1 large=$2
measured "memory grows by at most 128 bytes a payload file" ||
    check "memory grows by at most 128 bytes a payload file ($((RSS[1] - RSS[0])) KiB for $((large - small)) more)" \
    test $((RSS[1] - RSS[0])) -le $((128 * (large - small) / 1024))
measured "show's memory does not grow with the files" ||
    check "show's memory does not grow with the files (${SHOWN[0]}, then ${SHOWN[1]} KiB)" \
    test "${SHOWN[1]}" -le $((SHOWN[0] + 1024))
for n in "$@"; do
	rm -f "m$n.tar.zst"
done

# --- a name is read back for a finding: the first ones from the scratch
# file (past 8 MiB of names), the last one from memory.
n=$small
craft many p.tar.zst u.tar.zst "$n" k.key k.pub --unlisted 0 \
    --unlisted $((n - 1)) || exit 99
# name K: the name craft.py gives the K-th member it adds.
name() {
	python3 - "$1" <<'PYNAME'
import sys
k = int(sys.argv[1])
tail = '/' + '/'.join(['z' * 250] * 6) + '/' + 'z' * 31
print('data/many/%08d' % k + 'y' * 242 + tail)
PYNAME
}
first=$(name 0)
last=$(name $((n - 1)))
mkdir tmp
run env TMPDIR="$T/tmp" "$CUSTODY" verify --pubkey k.pub u.tar.zst
expect_rc "two payload files in no manifest, signed all the same" 1
expect_err "the first is named, its name read back from the scratch file" \
    "custody: $first: in the bundle but not listed in manifest-sha256.txt"
expect_err "and has no record" \
    "custody: $first: no record in metadata/files.jsonl"
expect_err "the last is named, its name read back from memory" \
    "custody: $last: in the bundle but not listed in manifest-sha256.txt"
expect_out_match "both counted as extra" ' 0 missing, 2 extra, 0 mismatched$'
check "the scratch file has no name: TMPDIR is left empty" \
    test -z "$(find tmp -mindepth 1)"

run env TMPDIR="$T/nonexistent" "$CUSTODY" verify --pubkey k.pub u.tar.zst
expect_rc "no directory for the scratch file: an error, not a verdict" 3
expect_err "naming the directory" \
    "custody: $T/nonexistent: scratch file of the payload names: No such file or directory"
run env TMPDIR="$T/nonexistent" "$CUSTODY" verify --pubkey k.pub p.tar.zst
expect_rc "a small bundle needs no scratch file" 0

done_testing
