#!/usr/bin/env bash
# stream.sh: bundles through pipes and zstd, both ways (core issue,
# acceptance 5): collect -o - | verify -, and .tar.zst files.
. "$E2E_LIB"

make_tree tree
"$CUSTODY" keygen -o k >/dev/null 2>&1

"$CUSTODY" collect --key k.key -o - tree 2>collect.err |
    "$CUSTODY" verify --pubkey k.pub - >verify.out 2>verify.err
st=("${PIPESTATUS[@]}")
check "collect -o - exits 0" test "${st[0]}" -eq 0
check "verify - exits 0" test "${st[1]}" -eq 0
check "the streamed bundle is VERIFIED" grep -q '^verdict: *VERIFIED' verify.out
check "with -o - the summary goes to stderr" \
    grep -q '^bundle: *(standard output)$' collect.err

"$CUSTODY" collect --key k.key -o - tree >s.tar 2>/dev/null
check "a streamed bundle is a tar" bash -c 'tar -tf s.tar >/dev/null'
check "and no sidecar is written for it" test ! -e -.sha256

run "$CUSTODY" collect --key k.key -o b.tar.zst tree
expect_rc "collect -o FILE.tar.zst" 0
check "the .tar.zst is zstd" zstd -tq b.tar.zst
check "and a tar inside" bash -c 'zstd -dc b.tar.zst | tar -tf - >/dev/null'
check "its sidecar checks" sha256sum --quiet -c b.tar.zst.sha256
run "$CUSTODY" verify --pubkey k.pub b.tar.zst
expect_rc "verify FILE.tar.zst" 0
run "$CUSTODY" verify --pubkey k.pub - <b.tar.zst
expect_rc "verify a .tar.zst on standard input" 0

"$CUSTODY" collect --key k.key --compress zstd -o - tree 2>/dev/null |
    "$CUSTODY" verify --pubkey k.pub - >/dev/null 2>&1
st=("${PIPESTATUS[@]}")
check "collect --compress zstd -o - | verify - " \
    test "${st[0]}${st[1]}" = "00"

zstd -dcq b.tar.zst >plain.tar
run "$CUSTODY" verify --pubkey k.pub plain.tar
expect_rc "the decompressed bundle verifies as well" 0

# A stream cut short never verifies.
"$CUSTODY" collect --key k.key -o - tree 2>/dev/null | head -c 20000 |
    "$CUSTODY" verify --pubkey k.pub - >/dev/null 2>&1
check "a stream cut short fails" test "${PIPESTATUS[2]}" -eq 1
head -c 3000 b.tar.zst >cut.tar.zst
run "$CUSTODY" verify --pubkey k.pub cut.tar.zst
expect_rc "a .tar.zst cut short fails" 1

# A reader that goes away: collect says so and exits 3.
run bash -c "'$CUSTODY' collect --key k.key -o - tree | head -c 10 >/dev/null"
check "a closed pipe is an error, not a silent success" \
    grep -qE '^custody: standard output: (Broken pipe|write)' "$T/.err"

if command -v script >/dev/null; then
	run script -qec "'$CUSTODY' collect -o - tree" /dev/null
	expect_rc "a bundle is never written to a terminal" 2
	check "and the refusal says why" grep -q \
	    'custody: -: refusing to write a bundle to a terminal' "$T/.out"
fi

done_testing
