#!/usr/bin/env bash
# tsa.sh: RFC 3161 timestamps at collection (issue 4, acceptance 1).  A real
# TSA runs on loopback: `openssl ts -reply` behind tsa-server.py, with a
# certificate from a test CA made here, whose timeStamping extended key
# usage is critical.
. "$E2E_LIB"
. "$HERE/pki.sh"

SIG=signatures/tagmanifest-sha512.txt.minisig
TSR=timestamps/tagmanifest-sha512.txt.minisig.tsr

make_ca ca "/CN=Custody Test Root" || exit 99
make_ca other "/CN=Another Root" || exit 99
make_tsa tsa ca || exit 99
start_tsa tsa || exit 99
make_tree tree
"$CUSTODY" keygen -o k >/dev/null || exit 99

run "$CUSTODY" collect --no-nice --key k.key --evidence-id B --tsa "$TSA_URL" \
    -o b.tar tree
expect_rc "collect with --tsa" 0
expect_out_match "the summary counts the token" \
    '^timestamp:  1 token from the TSA in timestamps/$'
expect_out_match "the summary names --tsa-ca in the verify command" \
    '^verify: .* --tsa-ca TSA-CA\.pem b\.tar$'
check "the token follows the signature, then the closing statement" \
    test "$(tar -tf b.tar | tail -4 | tr '\n' ' ')" = \
    "B/$SIG B/$TSR B/signatures/closing.txt B/signatures/closing.txt.minisig "

run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem b.tar
expect_rc "verify --tsa-ca" 0
expect_out_match "the report gives genTime and the TSA, verified" \
    "^timestamp:   $TSR: genTime [0-9-]{10}T[0-9:.]{18}Z by O=Custody Tests,CN=Test TSA, verified \\(--tsa-ca\\); [+-][0-9]+ s from the host clock's end\$"
# The report to attach: its stock commands, openssl ts among them, succeed
# (issue 26).
"$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --report r.txt b.tar \
    >/dev/null 2>&1
sed -n 's/^\$ //p' r.txt >cmds.sh
check "verify --report: its commands hold openssl ts -verify" \
    grep -q '^openssl ts -verify' cmds.sh
check "and succeed" bash -c "mkdir redo && cd redo && bash -e ../cmds.sh >/dev/null 2>&1"
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp \
    b.tar
expect_rc "verify --require-timestamp with the token" 0
run "$CUSTODY" verify --pubkey k.pub b.tar
expect_rc "without --tsa-ca the bundle still verifies" 0
expect_out_match "and the token is reported unchecked" \
    ", UNCHECKED \\(no --tsa-ca\\): not trusted;"
run "$CUSTODY" verify --pubkey k.pub --require-timestamp b.tar
expect_rc "--require-timestamp needs --tsa-ca" 2
run "$CUSTODY" verify --json --pubkey k.pub --tsa-ca ca.pem b.tar
check "the JSON report holds the token" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["timestamps"]
assert len(t) == 1 and t[0]["verified"] and t[0]["over"].endswith(".minisig")
' "$T/.out"

# Stock tools on the extracted bag.
mkdir x && tar -xf b.tar -C x || exit 99
run sh -c "cd x/B && openssl ts -verify -data $SIG -in $TSR -CAfile ../../ca.pem"
expect_rc "openssl ts -verify accepts the token" 0
expect_out_match "and says so" '^Verification: OK$'
run sh -c "cd x/B && sha512sum --quiet --strict -c tagmanifest-sha512.txt"
expect_rc "the tag manifest does not list the token, and still holds" 0
run sh -c "cd x/B && openssl ts -verify -data $SIG -in $TSR -CAfile ../../other.pem"
expect_rc "openssl ts -verify refuses another CA" 1

# Tokens that must not pass.
run "$CUSTODY" verify --pubkey k.pub --tsa-ca other.pem b.tar
expect_rc "a TSA that does not chain to --tsa-ca" 1
expect_err "the finding says why" \
    "custody: $TSR: token: the TSA certificate does not chain to the TSA CA at genTime: unable to get local issuer certificate"
expect_out_match "in the timestamp check" '^verdict: +FAILED: timestamp check: '

"$CUSTODY" collect --no-nice --key k.key --evidence-id B --tsa "$TSA_URL" \
    -o b2.tar tree >/dev/null || exit 99
tamper swap b.tar swapped.tar "$TSR" b2.tar
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem swapped.tar
expect_rc "a token from another bundle" 1
expect_err "is named as covering other data" \
    "custody: $TSR: token: the imprint is not the SHA-256 of this signature file: the token covers other data"
run "$CUSTODY" verify --pubkey k.pub swapped.tar
expect_rc "a token from another bundle fails even without --tsa-ca" 1

tamper flip b.tar flipped.tar "$TSR" -5
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem flipped.tar
expect_rc "a token with a byte of its signature changed" 1
expect_err_match "is refused" \
    "^custody: $TSR: token: the TSA's signature does not verify"
tamper edit b.tar edited.tar "$TSR" "Custody Tests" "Custody Texts"
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem edited.tar
expect_rc "a token with its certificate edited" 1
tamper append b.tar long.tar "$TSR" k.pub
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem long.tar
expect_rc "a token with bytes after it" 1
expect_err "is refused" "custody: $TSR: token: data after the TimeStampResp"
tamper move b.tar moved.tar "$TSR" "$SIG"
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem moved.tar
expect_rc "a token before the signature" 1
tamper add b.tar extra.tar timestamps/other.tsr "x"
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem extra.tar
expect_rc "an unknown member after the token" 1
expect_err "is refused" \
    "custody: timestamps/other.tsr: unexpected member after the closing statement"

# A TSA that is down, refuses, fails or talks nonsense: the bundle is
# still sealed and complete, and says it is untimestamped.
port=$(free_port)
run "$CUSTODY" collect --no-nice --key k.key --evidence-id B \
    --tsa "http://127.0.0.1:$port/tsa" --tsa-timeout 20 -o down.tar tree
expect_rc "collect with a TSA that is down" 0
expect_err "says why on standard error" \
    "custody: untimestamped: http://127.0.0.1:$port/tsa: Connection refused"
expect_out_match "the summary says untimestamped" \
    "^timestamp:  UNTIMESTAMPED \\(http://127.0.0.1:$port/tsa: Connection refused\\); add one later: custody timestamp\$"
check "no token member" bash -c "! tar -tf down.tar | grep -q timestamps/"
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem down.tar
expect_rc "the untimestamped bundle verifies" 0
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp \
    down.tar
expect_rc "but not with --require-timestamp" 1
expect_err "which says why" \
    "custody: down.tar: no token verified against --tsa-ca, in the bundle or its custody log (--require-timestamp)"
check "the custody log records it" test \
    "$(python3 "$HERE/logtool.py" field down.tar.custody 1 type)" = untimestamped
check "with the reason" test \
    "$(python3 "$HERE/logtool.py" field down.tar.custody 1 reason)" = \
    "http://127.0.0.1:$port/tsa: Connection refused"

mkdir reject && start_tsa reject reject || exit 99
run "$CUSTODY" collect --no-nice --key k.key --tsa "$TSA_URL" -o rej.tar tree
expect_rc "collect with a TSA that refuses" 0
expect_err "says the TSA refused" \
    "custody: untimestamped: $TSA_URL: the TSA refused (status 2)"
mkdir broken && start_tsa broken error || exit 99
run "$CUSTODY" collect --no-nice --key k.key --tsa "$TSA_URL" -o err.tar tree
expect_rc "collect with a TSA that fails" 0
expect_err "says what it answered" \
    "custody: untimestamped: $TSA_URL: received error (code=500, reason=Internal Server Error)"
mkdir junk && start_tsa junk garbage || exit 99
run "$CUSTODY" collect --no-nice --key k.key --tsa "$TSA_URL" -o junk.tar tree
expect_rc "collect with a TSA that answers garbage" 0
expect_err "says it is not a token" \
    "custody: untimestamped: $TSA_URL: missing asn1 encoding"
run "$CUSTODY" verify --pubkey k.pub junk.tar
expect_rc "and the bundle verifies" 0

# Bad --tsa values are usage errors, or failures named as such.
run "$CUSTODY" collect --no-nice --tsa "https://127.0.0.1:1/" -o h.tar tree
expect_rc "an https TSA leaves the bundle untimestamped" 0
expect_err "and says https is not supported" \
    "custody: untimestamped: https://127.0.0.1:1/: https is not supported; use http (the token is signed)"
run "$CUSTODY" collect --no-nice --tsa-timeout 0 --tsa "$TSA_URL" -o t0.tar \
    tree
expect_rc "--tsa-timeout 0" 2
run "$CUSTODY" collect --no-nice --tsa-timeout 5 -o t5.tar tree
expect_rc "--tsa-timeout without --tsa" 2

stop_tsa
done_testing
