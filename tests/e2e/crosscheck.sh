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
