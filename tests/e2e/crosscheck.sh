#!/usr/bin/env bash
# crosscheck.sh: a bundle checked with stock tools only, no custody code
# (core issue, acceptance 3): tar, sha256sum, sha512sum, md5sum, sha1sum,
# minisign, and Sleuth Kit's mactime on the bodyfile.
. "$E2E_LIB"

make_tree tree
printf 'per%%cent\n' >"tree/100%.txt"
"$CUSTODY" keygen -o k >/dev/null 2>&1
run "$CUSTODY" collect --key k.key --hash sha512,sha1,md5 --evidence-id EVD-1 \
    -o b.tar tree
expect_rc "collect" 0

# The key ID, recomputed from the public key as the README says: the one
# keygen wrote and the one custody verify prints.
derived=$(sed -n 2p k.pub | base64 -d | tail -c 32 | sha256sum |
    cut -c1-16 | fold -w2 | tac | tr -d '\n' | tr a-f A-F)
check "the key ID is the SHA-256 of the key, as the README says" \
    test "$derived" = "$(key_id k.pub)"
run "$CUSTODY" verify --pubkey k.pub b.tar
expect_out_match "custody verify prints that ID" "^seal key: +$derived, "

mkdir x
check "tar -xf extracts the bundle" tar -xf b.tar -C x
cd x/EVD-1 || exit 99
check "sha256sum --strict -c manifest-sha256.txt" \
    sha256sum --quiet --strict -c manifest-sha256.txt
check "sha512sum --strict -c manifest-sha512.txt" \
    sha512sum --quiet --strict -c manifest-sha512.txt
check "sha1sum --strict -c manifest-sha1.txt" \
    sha1sum --quiet --strict -c manifest-sha1.txt
check "md5sum --strict -c manifest-md5.txt" \
    md5sum --quiet --strict -c manifest-md5.txt
check "sha512sum --strict -c tagmanifest-sha512.txt" \
    sha512sum --quiet --strict -c tagmanifest-sha512.txt
run minisign -Vm tagmanifest-sha512.txt \
    -x signatures/tagmanifest-sha512.txt.minisig -p "$T/k.pub"
expect_rc "minisign verifies the signature with the key's .pub" 0
expect_out_match "minisign shows the trusted comment" \
    '^Trusted comment: custody bag:EVD-1 sealed:'
run minisign -Vm signatures/closing.txt -x signatures/closing.txt.minisig \
    -p "$T/k.pub"
expect_rc "minisign verifies the closing statement with the seal key" 0
expect_out_match "minisign shows its trusted comment" \
    '^Trusted comment: custody bag:EVD-1 closed:'
check "sha512sum --strict -c signatures/closing.txt" \
    sha512sum --quiet --strict -c signatures/closing.txt
run bash -c "diff <(grep -v '^#' signatures/closing.txt | cut -c131-) \
    <(find . -type f \( -path './signatures/*' -o -path './timestamps/*' \) \
    ! -name 'closing.txt*' | cut -c3- | LC_ALL=C sort)"
expect_rc "the closing statement lists every signature and token file" 0
check "the tag manifest lists every tag file" \
    test "$(cut -d' ' -f3 tagmanifest-sha512.txt | sort | tr '\n' ' ')" = \
    "bag-info.txt bagit.txt manifest-md5.txt manifest-sha1.txt manifest-sha256.txt manifest-sha512.txt metadata/acquisition.json metadata/algorithms.txt metadata/bodyfile.txt metadata/custody.jsonl metadata/files.jsonl "
# The README's step, exactly: the names tar wrote are the names listed.
nothing_else() {
	cut -d' ' -f3- manifest-sha256.txt | LC_ALL=C sort >../listed
	find data -type f | LC_ALL=C sort | diff ../listed -
}
run nothing_else
expect_rc "find data -type f is exactly the payload manifest's names" 0
check "every payload file is listed" \
    test "$(find data -type f | wc -l)" -eq "$(wc -l <manifest-sha256.txt)"
check "Payload-Oxum counts the payload" \
    grep -qx "Payload-Oxum: $(find data -type f -printf '%s\n' |
    awk '{s += $1} END {print s}').$(find data -type f | wc -l)" bag-info.txt
check "bagit.txt declares BagIt 1.0" \
    grep -qx 'BagIt-Version: 1.0' bagit.txt
check "a '%' in a name is stored as ^25" test -f "data$T/tree/100^25.txt"

run mactime -b metadata/bodyfile.txt -d
expect_rc "mactime reads the bodyfile" 0
expect_out_match "mactime shows a collected file" "$T/tree/a\\.txt"

# A member planted in the tar: every checksum and the seal still pass,
# since they read only listed files; the find | diff step catches it.
cd "$T" || exit 99
python3 "$HERE/tamper.py" add b.tar planted.tar data/planted.txt \
    'not sealed' manifest-sha256.txt || exit 99
mkdir p
check "tar -xf extracts the planted bundle" tar -xf planted.tar -C p
cd p/EVD-1 || exit 99
check "the planted file is there" test -f data/planted.txt
check "sha256sum --strict -c does not see it" \
    sha256sum --quiet --strict -c manifest-sha256.txt
check "sha512sum --strict -c tagmanifest-sha512.txt does not see it" \
    sha512sum --quiet --strict -c tagmanifest-sha512.txt
run minisign -Vm tagmanifest-sha512.txt \
    -x signatures/tagmanifest-sha512.txt.minisig -p "$T/k.pub"
expect_rc "nor does minisign" 0
run nothing_else
expect_rc "the find | diff step catches the planted file" 1
expect_out_match "and names it" '^> data/planted\.txt$'
cd "$T/x/EVD-1" || exit 99

# Tampering that the stock tools catch as well.
printf 'x' >>"data$T/tree/a.txt"
run sha256sum --quiet --strict -c manifest-sha256.txt
expect_rc "sha256sum notices a changed payload file" 1
printf '\n' >>metadata/acquisition.json
run sha512sum --quiet --strict -c tagmanifest-sha512.txt
expect_rc "sha512sum notices a changed tag file" 1
printf ' ' >>tagmanifest-sha512.txt
run minisign -Vm tagmanifest-sha512.txt \
    -x signatures/tagmanifest-sha512.txt.minisig -p "$T/k.pub"
expect_rc "minisign notices a changed tag manifest" 1
sed -i 's/^# none: /# nonE: /' signatures/closing.txt
run minisign -Vm signatures/closing.txt -x signatures/closing.txt.minisig \
    -p "$T/k.pub"
expect_rc "minisign notices a changed closing statement" 1

done_testing
