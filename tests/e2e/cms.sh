#!/usr/bin/env bash
# cms.sh: X.509 signatures (detached CMS, CAdES-BES) for organisations with
# a PKI (issue 4, acceptance 3).  Every key and certificate is made here.
. "$E2E_LIB"
. "$HERE/pki.sh"

P7S=signatures/tagmanifest-sha512.txt.p7s
SIG=signatures/tagmanifest-sha512.txt.minisig

make_ca ca "/CN=Investigators Root" || exit 99
make_ca other "/CN=Another Root" || exit 99
make_cert ca inter "/CN=Investigators Issuing CA" ca || exit 99
make_cert inter inv "/CN=A. Investigator/O=Forensic Lab" signer || exit 99
cat inv.pem inter.pem >inv-chain.pem
make_cert ca p384 "/CN=P-384 Signer" signer -newkey ec \
    -pkeyopt ec_paramgen_curve:P-384 || exit 99
make_cert ca rsa "/CN=RSA Signer" signer -newkey rsa:3072 || exit 99
make_cert ca weak "/CN=Weak Signer" signer -newkey rsa:2048 || exit 99
make_cert ca ed "/CN=Ed25519 Signer" signer -newkey ed25519 || exit 99
make_cert ca nosign "/CN=No Signing" nosign || exit 99
make_tree tree

run "$CUSTODY" collect --no-nice --cert inv-chain.pem --key inv.key \
    --evidence-id B -o b.tar tree
expect_rc "collect --cert --key (ECDSA P-256, with its chain)" 0
expect_out_match "the summary names the signature" \
    "^x509: +$P7S\$"
expect_out_match "the minisign seal uses a one-time key" \
    '^seal key: +[0-9A-F]{16} \(one-time key'
check "the .p7s follows the minisign signature, then the closing statement" \
    test "$(tar -tf b.tar | tail -4 | tr '\n' ' ')" = \
    "B/$SIG B/$P7S B/signatures/closing.txt B/signatures/closing.txt.minisig "

run "$CUSTODY" verify --ca ca.pem b.tar
expect_rc "verify --ca" 0
expect_out_match "reports the signer, checked at the present time" \
    '^x509: +O=Forensic Lab,CN=A. Investigator: signature valid, chain to --ca verified at [0-9-]{10}T[0-9:.]{18}Z \(present time\); revocation NOT checked \(no --crl\)$'
expect_out_match "the X.509 signature makes the origin trusted" \
    '^verdict: +VERIFIED: complete and unaltered, signed by O=Forensic Lab,CN=A. Investigator \(X.509, chain to --ca\)$'
# The report to attach: the same bytes twice, and its stock commands,
# openssl cms among them, succeed (issue 26).
"$CUSTODY" verify --ca ca.pem --report r1.txt b.tar >/dev/null 2>&1
"$CUSTODY" verify --ca ca.pem --report r2.txt b.tar >/dev/null 2>&1
check "verify --report: the same bytes twice (the check's clock not in it)" \
    cmp r1.txt r2.txt
sed -n 's/^\$ //p' r1.txt >cmds.sh
check "its commands hold openssl cms" grep -q '^openssl cms -verify' cmds.sh
check "and succeed" bash -c "mkdir redo && cd redo && bash -e ../cmds.sh >/dev/null 2>&1"
run "$CUSTODY" verify --ca ca.pem --require-cms b.tar
expect_rc "verify --ca --require-cms" 0
run "$CUSTODY" verify b.tar
expect_rc "without --ca the origin is unverified" 4
expect_out_match "and the signature unchecked" \
    'signature valid, NOT checked against a CA you trust \(no --ca\)$'
run "$CUSTODY" verify --ca other.pem b.tar
expect_rc "verify --ca with a different CA" 1
expect_err "names the cause" \
    "custody: $P7S: X.509 signature: certificate verify error (Verify error: unable to get local issuer certificate)"
run "$CUSTODY" verify --require-cms b.tar
expect_rc "--require-cms needs --ca" 2
run "$CUSTODY" verify --json --ca ca.pem b.tar
check "the JSON report holds the signer" python3 -c '
import json, sys
x = json.load(open(sys.argv[1]))["x509"]
assert x["verified"] and x["subject"] == "O=Forensic Lab,CN=A. Investigator"
assert x["checked_by"] == "present time" and not x["revocation_checked"]
' "$T/.out"

# Stock tools on the extracted bag.
mkdir x && tar -xf b.tar -C x || exit 99
run sh -c "cd x/B && openssl cms -verify -binary -inform DER -in $P7S \
    -content tagmanifest-sha512.txt -CAfile ../../ca.pem -purpose any \
    -out /dev/null"
expect_rc "openssl cms -verify accepts it" 0
run sh -c "cd x/B && openssl cms -verify -binary -inform DER -in $P7S \
    -content tagmanifest-sha512.txt -CAfile ../../other.pem -purpose any \
    -out /dev/null"
expect_rc "openssl cms -verify refuses another CA" 4
run sh -c "cd x/B && openssl cms -cmsout -print -inform DER -in $P7S"
expect_out_match "it holds signingCertificateV2 (CAdES-BES)" \
    'object: id-smime-aa-signingCertificateV2'
expect_out_match "and the signing time" 'object: signingTime'
run sh -c "cd x/B && sha512sum --quiet --strict -c tagmanifest-sha512.txt"
expect_rc "the tag manifest does not list the .p7s" 0

# Other keys: P-384 and RSA 3072 are taken; weaker or other keys are not.
run "$CUSTODY" collect --no-nice --cert p384.pem --key p384.key -o p384.tar \
    tree
expect_rc "an ECDSA P-384 certificate" 0
run "$CUSTODY" verify --ca ca.pem p384.tar
expect_rc "verifies" 0
run "$CUSTODY" collect --no-nice --cert rsa.pem --key rsa.key -o rsa.tar tree
expect_rc "an RSA 3072 certificate" 0
run "$CUSTODY" verify --ca ca.pem rsa.tar
expect_rc "verifies" 0
run "$CUSTODY" collect --no-nice --cert weak.pem --key weak.key -o w.tar tree
expect_rc "an RSA 2048 certificate is refused" 2
expect_err "says why" \
    "custody: weak.key: a 2048-bit RSA key is too weak: use 3072 bits or more"
check "and nothing is left behind" test ! -e w.tar
run "$CUSTODY" collect --no-nice --cert ed.pem --key ed.key -o e.tar tree
expect_rc "an Ed25519 certificate is refused" 2
expect_err "says why" \
    "custody: ed.key: Ed25519 is not usable in CMS with OpenSSL 3.0: use an ECDSA P-256 or P-384, or an RSA (3072 bits or more) certificate"
run "$CUSTODY" collect --no-nice --cert inv.pem --key p384.key -o m.tar tree
expect_rc "a key that is not the certificate's" 2
expect_err "says so" "custody: p384.key: not the private key of inv.pem"
run "$CUSTODY" collect --no-nice --cert nosign.pem --key nosign.key -o n.tar \
    tree
expect_rc "a certificate that may not sign" 2
expect_err "says so" \
    "custody: nosign.pem: its key usage allows neither digitalSignature nor nonRepudiation"
run "$CUSTODY" collect --no-nice --cert inv.pem -o c.tar tree
expect_rc "--cert without --key" 2

# Tampered signatures.
"$CUSTODY" collect --no-nice --cert inv-chain.pem --key inv.key \
    --evidence-id B -o b2.tar tree >/dev/null || exit 99
tamper swap b.tar swapped.tar "$P7S" b2.tar
run "$CUSTODY" verify --ca ca.pem swapped.tar
expect_rc "the .p7s of another bundle" 1
expect_err_match "is refused" "^custody: $P7S: X.509 signature: "
tamper remove b.tar nop7s.tar "$P7S"
run "$CUSTODY" verify --ca ca.pem nop7s.tar
expect_rc "--ca and no .p7s" 1
expect_err "says --ca asks for one" \
    "custody: $P7S: no X.509 signature in the bundle, and --ca asks for one"
tamper append b.tar long.tar "$P7S" inv.pem
run "$CUSTODY" verify --ca ca.pem long.tar
expect_rc "a .p7s with bytes after it" 1
run "$CUSTODY" verify long.tar
expect_rc "fails even without --ca" 1

# With a TSA: a token over each signature, and the certificate checked at
# the genTime of the one over the .p7s.
make_tsa tsa ca && start_tsa tsa || exit 99
run "$CUSTODY" collect --no-nice --cert inv-chain.pem --key inv.key \
    --evidence-id B --tsa "$TSA_URL" -o bt.tar tree
expect_rc "collect --cert --tsa" 0
expect_out_match "two tokens" '^timestamp:  2 tokens from the TSA in timestamps/$'
check "members after the signature, in order" test \
    "$(tar -tf bt.tar | tail -6 | sed 's,^B/,,' | tr '\n' ' ')" = \
    "$SIG $P7S timestamps/tagmanifest-sha512.txt.minisig.tsr timestamps/tagmanifest-sha512.txt.p7s.tsr signatures/closing.txt signatures/closing.txt.minisig "
run "$CUSTODY" verify --ca ca.pem --tsa-ca ca.pem --require-cms \
    --require-timestamp bt.tar
expect_rc "verify --ca --tsa-ca" 0
expect_out_match "the certificate is checked at the token's genTime" \
    '^x509: .*: signature valid, chain to --ca verified at .* \(token genTime\); revocation NOT checked \(no --crl\)$'
mkdir y && tar -xf bt.tar -C y || exit 99
run sh -c "cd y/B && openssl ts -verify -data $P7S \
    -in timestamps/tagmanifest-sha512.txt.p7s.tsr -CAfile ../../ca.pem"
expect_rc "openssl ts -verify accepts the token over the .p7s" 0
tamper remove bt.tar orphan.tar "$P7S"
run "$CUSTODY" verify --tsa-ca ca.pem orphan.tar
expect_rc "a token over a .p7s the bundle lacks" 1
expect_err "is a structure failure" \
    "custody: timestamps/tagmanifest-sha512.txt.p7s.tsr: a timestamp of the .p7s, but the bundle has no .p7s"
stop_tsa

done_testing
