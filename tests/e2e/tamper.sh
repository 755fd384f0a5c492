#!/usr/bin/env bash
# tamper.sh: real bundles, tampered, must fail verification with a message
# naming what is wrong (core issue, acceptance 4).
. "$E2E_LIB"

make_tree tree
"$CUSTODY" keygen -o k >/dev/null 2>&1
"$CUSTODY" collect --key k.key --evidence-id B -o good.tar tree >/dev/null ||
    exit 99
"$CUSTODY" collect --key k.key --evidence-id B -o other.tar tree >/dev/null ||
    exit 99
"$CUSTODY" collect --evidence-id B -o onetime.tar tree >/dev/null || exit 99
D="data$T/tree"

run "$CUSTODY" verify --pubkey k.pub good.tar
expect_rc "the untouched bundle verifies" 0

# verify_fails NAME BUNDLE STDERR-LINE: exit 1, and the exact finding.
verify_fails() {
	run "$CUSTODY" verify --pubkey k.pub "$2"
	expect_rc "$1: verify fails" 1
	expect_err "$1: the finding names it" "$3"
}

tamper flip good.tar t1.tar "$D/a.txt" 0
verify_fails "one payload byte changed" t1.tar \
    "custody: $D/a.txt: content sha256 is $(printf 'hello\n' | sed '1s/^h/\x97/' | sha256sum | cut -d' ' -f1); manifest-sha256.txt says $(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
expect_out_match "one payload byte changed: counted as mismatched" \
    ' 0 missing, 0 extra, 1 mismatched$'

tamper remove good.tar t2.tar "$D/sub/random.bin"
verify_fails "a payload file removed" t2.tar \
    "custody: $D/sub/random.bin: listed in manifest-sha256.txt but not in the bundle"
expect_out_match "a payload file removed: counted as missing" ' 1 missing, '

tamper add good.tar t3.tar "$D/planted.txt" "planted" \
    metadata/acquisition.json
verify_fails "a payload file added" t3.tar \
    "custody: $D/planted.txt: in the bundle but not listed in manifest-sha256.txt"
expect_out_match "a payload file added: counted as extra" ' 1 extra, '

tamper add good.tar t3b.tar "$D/late.txt" "late"
verify_fails "a payload file added after the closing statement" t3b.tar \
    "custody: $D/late.txt: unexpected member after the closing statement"
tamper add good.tar t3c.tar "$D/late.txt" "late" signatures/closing.txt
verify_fails "a payload file added after the signature" t3c.tar \
    "custody: $D/late.txt: unexpected member where signatures/closing.txt should be"

tamper forge good.tar t4.tar "$D/a.txt" "forged"
check "forged bundle: manifests and tag manifest agree with the forgery" \
    bash -c "mkdir f && tar -xf t4.tar -C f && cd f/B &&
    sha256sum --quiet -c manifest-sha256.txt &&
    sha512sum --quiet -c tagmanifest-sha512.txt"
verify_fails "a manifest line changed with the tag manifest" t4.tar \
    "custody: signatures/tagmanifest-sha512.txt.minisig: signature: invalid signature over the data"

tamper edit good.tar t5.tar bag-info.txt "Custody-Format" "Custody-Formet"
verify_fails "bag-info.txt edited" t5.tar \
    "custody: bag-info.txt: sha512 differs from tagmanifest-sha512.txt: the file was altered"

tamper swap good.tar t6.tar signatures/tagmanifest-sha512.txt.minisig other.tar
verify_fails "the signature of another bundle (same key)" t6.tar \
    "custody: signatures/tagmanifest-sha512.txt.minisig: signature: invalid signature over the data"
tamper swap good.tar t6b.tar signatures/tagmanifest-sha512.txt.minisig \
    onetime.tar
verify_fails "the signature of another bundle (other key)" t6b.tar \
    "custody: signatures/tagmanifest-sha512.txt.minisig: claims key ID $(tar -xOf onetime.tar B/metadata/acquisition.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seal"]["key_id"])'), which is not a trusted key ($(key_id k.pub)), and no key recorded in the bundle made it"
run "$CUSTODY" verify t6b.tar
expect_rc "another bundle's signature fails even without --pubkey" 1

tamper add good.tar t7.tar "../x" "escape" metadata/acquisition.json
verify_fails "a member named ../x" t7.tar \
    "custody: t7.tar: ../x: member is not inside one safe top directory"
tamper add good.tar t8.tar "/x" "absolute" metadata/acquisition.json
verify_fails "a member named /x" t8.tar \
    "custody: t8.tar: /x: member is not inside one safe top directory"
tamper add good.tar t9.tar "data/../../x" "escape" metadata/acquisition.json
verify_fails "a member named B/data/../../x" t9.tar \
    "custody: t9.tar: B/data/../../x: unsafe member name"

# A .tar.zst is a series of whole zstd frames, each of which decodes
# alone: with one left out, or two swapped, the stream is still valid zstd,
# and verify must not take it for the bundle.
mkdir ztree
python3 -c 'import random, sys; random.seed(5)
sys.stdout.buffer.write(random.randbytes(6 << 20))' >ztree/noise
"$CUSTODY" collect --key k.key --evidence-id B -o z.tar.zst ztree \
    >/dev/null 2>&1 || exit 99
check "6 MiB that do not compress make at least six zstd frames" \
    test "$(tamper frames z.tar.zst)" -ge 6
tamper frameswap z.tar.zst zs.tar.zst 2
check "two frames swapped: still valid zstd" zstd -tq zs.tar.zst
verify_fails "two zstd frames swapped" zs.tar.zst \
    "custody: data$T/ztree/noise: content sha256 is $(tamper digest zs.tar.zst "data$T/ztree/noise" sha256); manifest-sha256.txt says $(sha256sum <ztree/noise | cut -d' ' -f1)"
tamper framedrop z.tar.zst zd.tar.zst 2
check "a frame left out: still valid zstd" zstd -tq zd.tar.zst
run "$CUSTODY" verify --pubkey k.pub zd.tar.zst
expect_rc "a zstd frame left out: verify fails" 1
expect_err_match "a zstd frame left out: the tar ends too soon" \
    '^custody: zd\.tar\.zst: offset [0-9]+: the archive is cut short in (a header|a member.s (data|padding)) \(custody-bundle\(5\)\)$'
expect_out_match "and the report says how far the reading got" \
    "^bundle: +zd\\.tar\\.zst \\(reading stopped after $(stat -c %s zd.tar.zst) bytes: no sha256 of the whole\\)\$"

# The listings of find artefacts (custody-bundle(5), "Listings"): a
# collection with two find artefacts and a file artefact over one tree.
make_tree ltree
printf 'x\n' >"ltree/nl
name.txt"
cat >find.yaml <<EOF
version: 1.0
artifacts:
  -
    description: the .txt files
    supported_os: [linux]
    collector: find
    path: $T/ltree
    name_pattern: ["*.txt"]
    file_type: [f]
    output_file: txt_files.txt
  -
    description: everything under sub
    supported_os: [linux]
    collector: find
    path: $T/ltree/sub
  -
    description: a.txt, stored
    supported_os: [linux]
    collector: file
    path: $T/ltree/a.txt
EOF
"$CUSTODY" collect --no-live --key k.key --evidence-id B -m find.yaml \
    -o l.tar >/dev/null 2>&1 || exit 99
TXT=metadata/listings/txt_files.txt
SUB=metadata/listings/find-2.txt
check "the listings come after acquisition.json, in artefact order" \
    bash -c "tar -tf l.tar | sed -n 4,6p | tr '\n' ' ' |
    grep -qx 'B/metadata/acquisition.json B/$TXT B/$SUB '"
check "a path stored by another artefact is still listed; a newline is ^0A" \
    bash -c "tar -xOf l.tar B/$TXT | sort >got && printf '%s\n' \
    '$T/ltree/a.txt' '$T/ltree/nl^0Aname.txt' '$T/ltree/résumé-ü.txt' \
    '$T/ltree/sub/deeper/d.txt' '$T/ltree/with space.txt' | sort | cmp - got"
run "$CUSTODY" verify --pubkey k.pub l.tar
expect_rc "a bundle with listings verifies" 0
run "$CUSTODY" show l.tar
expect_out_match "show names each listing, its lines and artefact" \
    "^listings: +$TXT: 5 lines, find\\.yaml:4\$"
expect_out_match "show names the second listing" \
    "^ +$SUB: 4 lines, find\\.yaml:12\$"
mkdir lx
check "extract copies the listings out as they are" bash -c \
    "'$CUSTODY' extract --pubkey k.pub -C lx l.tar >/dev/null 2>&1 &&
    tar -xOf l.tar B/$SUB | cmp - lx/B/$SUB"

tamper edit l.tar lt1.tar "$TXT" "a.txt" "b.txt"
verify_fails "a listing's line changed" lt1.tar \
    "custody: $TXT: sha512 differs from tagmanifest-sha512.txt: the file was altered"
tamper remove l.tar lt2.tar "$SUB"
verify_fails "a listing removed" lt2.tar \
    "custody: metadata/files.jsonl: unexpected member where $SUB should be"
tamper add l.tar lt3.tar metadata/listings/extra.txt "/etc/passwd
" metadata/files.jsonl
verify_fails "a listing added" lt3.tar \
    "custody: metadata/listings/extra.txt: unexpected member where metadata/files.jsonl should be"
tamper move l.tar lt4.tar "$SUB" "$TXT"
verify_fails "two listings reordered" lt4.tar \
    "custody: $SUB: unexpected member where $TXT should be"
tamper rename l.tar lt5.tar "$SUB" metadata/listings/other.txt
verify_fails "a listing renamed" lt5.tar \
    "custody: metadata/listings/other.txt: unexpected member where $SUB should be"
# Re-signed with the seal key, so that only the cross-checks can tell.
tamper edit l.tar lt6.tar "$TXT" "a.txt" "z.txt" --sign k.key k.pub
verify_fails "a listed path with no record in files.jsonl" lt6.tar \
    "custody: $TXT: line 1 names a path that has no record in metadata/files.jsonl"
tamper edit l.tar lt7.tar "$SUB" "d.txt
" "d.txt
$T/ltree/a.txt
" --sign k.key k.pub
verify_fails "a listing with more lines than acquisition.json says" lt7.tar \
    "custody: $SUB: 5 lines; acquisition.json says 4"
tamper edit l.tar lt8.tar "$TXT" "nl^0Aname" "nl
name" --sign k.key k.pub
verify_fails "a raw newline forges a line" lt8.tar \
    "custody: $TXT: 6 lines; acquisition.json says 5"
expect_err "a raw newline forges a line: its halves have no record" \
    "custody: $TXT: line 3 names a path that has no record in metadata/files.jsonl"
tamper edit l.tar lt9.tar "$TXT" "nl^0Aname" "nl^0aname" --sign k.key k.pub
verify_fails "a listed path not escaped as custody escapes" lt9.tar \
    "custody: $TXT: line 2 is not an escaped path"

size=$(stat -c %s good.tar)
for cut in 100 1000 $((size / 2)) $((size - 1536)); do
	head -c $((size - cut)) good.tar >trunc.tar
	run "$CUSTODY" verify --pubkey k.pub trunc.tar
	expect_rc "the archive truncated by $cut bytes" 1
	expect_err_match "truncation by $cut bytes is named" \
	    '^custody: trunc\.tar: (offset [0-9]+: (the archive is cut short .*|the archive ends without its end-of-archive marker: it was cut short) \(custody-bundle\(5\)\)|B/data/.*: member claims [0-9]+ bytes, more than the whole bundle holds)$'
done

run "$CUSTODY" verify --pubkey k.pub /nonexistent.tar
expect_rc "a missing bundle cannot be read" 3
expect_err "and says so" "custody: /nonexistent.tar: No such file or directory"
head -c 5000 /dev/urandom >junk.tar
run "$CUSTODY" verify --pubkey k.pub junk.tar
expect_rc "random bytes are not a bundle" 1

done_testing
