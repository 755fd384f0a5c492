#!/usr/bin/env bash
# collect.sh: collect a generated tree with a generated key and verify it
# (core issue, acceptance 2), plus the collect command line itself.
. "$E2E_LIB"

make_tree tree
printf '\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\2\0\0\0\3\10\2\0\0\0' >tree/img.png
"$CUSTODY" keygen -o k >/dev/null 2>&1
"$CUSTODY" keygen -o other >/dev/null 2>&1
ID=$(key_id k.pub)

run "$CUSTODY" collect --key k.key --case CASE-7 --evidence-id EVD-0042 \
    --examiner "Ana Examiner" -o b.tar tree
expect_rc "collect a tree with a key" 0
expect_out_match "summary names the bundle" '^bundle: +b\.tar$'
expect_out_match "summary gives the seal key ID" "^seal key: +$ID\$"
expect_out_match "summary counts the files" '^collected: +7 files'
expect_out_match "summary gives the verify command" \
    '^verify: +custody verify --pubkey k\.pub b\.tar$'
check "sidecar holds the bundle's sha256" sha256sum --quiet -c b.tar.sha256
check "summary sha256 is the sidecar's" \
    grep -q "^sha256: *$(cut -d' ' -f1 b.tar.sha256)\$" "$T/.out"
check "bag directory is the evidence id" test "$(bag_dir b.tar)" = EVD-0042

run "$CUSTODY" verify --pubkey k.pub b.tar
expect_rc "verify with the sealing key" 0
expect_out_match "verdict VERIFIED" "^verdict: +VERIFIED: .* $ID\$"
expect_out_match "report gives the case" '^case: +CASE-7$'
expect_out_match "report gives the examiner" '^examiner: +Ana Examiner$'
expect_out_match "report counts" \
    '^payload: +7 files, [0-9]+ bytes: 7 matched, 0 missing, 0 extra, 0 mismatched$'

run "$CUSTODY" verify b.tar
expect_rc "verify without a key: origin unverified" 4
expect_out_match "unverified verdict names the key ID" \
    "^verdict: +INTACT, ORIGIN UNVERIFIED: .*key $ID"

run "$CUSTODY" verify --trusted-key-id "$ID" b.tar
expect_rc "verify trusting the key ID" 0

run "$CUSTODY" verify --pubkey other.pub b.tar
expect_rc "verify with another key fails" 1
expect_err "the other key is named" \
    "custody: signatures/tagmanifest-sha512.txt.minisig: made by key $ID, which is not a trusted key ($(key_id other.pub))"

run "$CUSTODY" verify --trusted-key-id "$(key_id other.pub)" b.tar
expect_rc "trusting another key ID fails" 1
expect_err "the key trusted is named" \
    "custody: signatures/tagmanifest-sha512.txt.minisig: made by key $ID, which is not a trusted key ID ($(key_id other.pub))"


run "$CUSTODY" verify --json --pubkey k.pub b.tar
expect_rc "verify --json" 0
check "--json is JSON with the verdict" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "authentic", r
assert r["payload"]["matched"] == 7
assert r["acquisition"]["case_id"] == "CASE-7"' "$T/.out"

# What files.jsonl says about each member of the tree.
mkdir x && tar -xf b.tar -C x
check "symlinks are recorded with their target" python3 -c '
import json, sys
recs = {r["path"]: r for r in map(json.loads, open(sys.argv[1]))}
root = sys.argv[2]
assert recs[root + "/link-to-a"]["type"] == "symlink"
assert recs[root + "/link-to-a"]["target"] == "a.txt"
assert recs[root + "/dangling"]["target"] == "/nonexistent/target"
assert recs[root + "/link-to-dir"]["type"] == "symlink"
assert recs[root + "/empty-dir"]["type"] == "dir"
assert recs[root + "/résumé-ü.txt"]["stored"] == "data" + root + "/résumé-ü.txt"
assert recs[root + "/empty"]["size"] == 0
assert "magic" not in recs[root + "/empty"]
assert recs[root + "/img.png"]["magic"] == "PNG image data, 2 x 3"
assert recs[root + "/a.txt"]["magic"] == "ASCII text"
assert "stored" not in recs[root + "/link-to-a"]
' x/EVD-0042/metadata/files.jsonl "$T/tree"
check "a linked directory is not descended" \
    test ! -e "x/EVD-0042/data$T/tree/link-to-dir/random.bin"

# The command line.
run "$CUSTODY" collect --key k.key -o b.tar tree
expect_rc "an existing output is not overwritten" 3
check "the existing bundle is left alone" sha256sum --quiet -c b.tar.sha256
expect_err "refusal names the file" "custody: b.tar.sha256: File exists"
rm b.tar.sha256
run "$CUSTODY" collect --key k.key -o b.tar tree
expect_rc "an existing bundle is not overwritten" 3
expect_err "refusal names the bundle" "custody: b.tar: File exists"

run "$CUSTODY" collect --hash sha3 -o h.tar tree
expect_rc "an unknown hash algorithm is a usage error" 2
expect_err "the bad name is given" \
    "custody: sha3: unknown hash algorithm (use sha256, sha512, sha1 or md5)"
check "nothing was written" test ! -e h.tar

run "$CUSTODY" collect --hash sha512,sha1,md5 -o h.tar tree
expect_rc "collect with every hash algorithm" 0
check "one manifest per algorithm" test "$(tar -tf h.tar | grep -c '/manifest-')" -eq 4
run "$CUSTODY" verify --trusted-key-id "$(sed -n 's/^seal key: *\([0-9A-F]*\).*/\1/p' "$T/.out")" h.tar
run "$CUSTODY" verify h.tar
expect_rc "a four-manifest bundle verifies (origin unverified)" 4

run "$CUSTODY" collect --bogus
expect_rc "an unknown option is a usage error" 2
run "$CUSTODY" collect --case "$(printf 'a\nb')" -o c.tar tree
expect_rc "a case id with a newline is refused" 2
expect_err "and said why" "custody: case id: control characters are not allowed"
check "and nothing is left behind" test ! -e c.tar

run "$CUSTODY" collect --key nonexistent.key -o c.tar tree
expect_rc "a missing key file is a usage error" 2
check "no bundle without the key" test ! -e c.tar

run "$CUSTODY" collect --help
expect_rc "--help" 0
expect_out_match "--help shows the synopsis" '^usage: custody collect '

mkdir cwd && (cd cwd && "$CUSTODY" collect ../tree >/dev/null 2>&1)
check "default output name is HOST-UTCTIME.tar" \
    bash -c 'ls cwd | grep -qE "^[A-Za-z0-9._-]+-[0-9]{8}T[0-9]{6}Z\.tar$"'

run "$CUSTODY" collect -o missing.tar /nonexistent/path tree/a.txt
expect_rc "a named path that does not exist is a failure: partial" 1
expect_err "and the responder is told" \
    "custody: /nonexistent/path: missing: lstat: No such file or directory"
check "it is recorded in files.jsonl, under the path as named" \
    bash -c 'tar -xOf missing.tar missing/metadata/files.jsonl |
        grep -q "\"path\":\"/nonexistent/path\",.*\"status\":\"missing\""'
run "$CUSTODY" verify missing.tar
expect_out_match "verify counts it as not collected" \
    "1 artefacts not collected"
rm -f missing.tar*
run "$CUSTODY" collect -o missing.tar tree/a.txt/below
expect_rc "so is a path below a file" 1
expect_err "(not a directory)" \
    "custody: $T/tree/a.txt/below: missing: lstat: Not a directory"

done_testing
