#!/usr/bin/env bash
# x509policy.sh: an X.509 signer fit for evidence (issue 19, item 4).  A
# real CA, made here with openssl, issues signers fit and unfit to sign
# evidence; `verify --ca` accepts only a document-signing extended key
# usage and never a CA, checks the chain at a time it can trust (a verified
# token's genTime, else the present time; never the signing time the signer
# claims), bounds that signing time by the acquisition and the token, and
# with --crl checks revocation offline.  Every refusal is tried on a plain
# and a zstd bundle, and must exit 1 with its cause named.
. "$E2E_LIB"
. "$HERE/pki.sh"

P7S=signatures/tagmanifest-sha512.txt.p7s
P7STSR=timestamps/tagmanifest-sha512.txt.p7s.tsr
WANT="documentSigning (1.3.6.1.5.5.7.3.36) or emailProtection (1.3.6.1.5.5.7.3.4)"

make_ca ca "/CN=Investigators Root" || exit 99
make_ca other "/CN=Another Root" || exit 99
make_cert ca doc "/CN=Document Signer/O=Forensic Lab" signer || exit 99
make_cert ca mail "/CN=Mail Signer" mail || exit 99
make_cert ca tls "/CN=TLS Server" tls || exit 99
make_cert ca tsaonly "/CN=TSA Only" tsaonly || exit 99
make_cert ca noeku "/CN=No EKU" noeku || exit 99
make_cert ca casig "/CN=Issuing CA" casigner || exit 99
make_cert ca revoked "/CN=Revoked Signer" signer || exit 99
make_crl ca ca.crl revoked.pem || exit 99
openssl crl -in ca.crl -outform DER -out ca.crl.der 2>/dev/null || exit 99
make_crl other other.crl || exit 99
make_tree tree

# bundles NAME: NAME.tar and NAME.tar.zst, signed with NAME.pem.
bundles() {
	local ext
	for ext in tar tar.zst; do
		"$CUSTODY" collect --no-nice --cert "$1.pem" --key "$1.key" \
		    --evidence-id B -o "$1.$ext" tree >/dev/null || return 1
	done
}

# refused NAME LINE [OPTIONS...]: verify --ca refuses both bundles NAME,
# with LINE (after "custody: $P7S: X.509 signature: ") on standard error.
refused() {
	local name=$1 line=$2 ext
	shift 2
	for ext in tar tar.zst; do
		run "$CUSTODY" verify --ca ca.pem "$@" "$name.$ext"
		expect_rc "$name.$ext: refused" 1
		expect_err "$name.$ext: the cause is named" \
		    "custody: $P7S: X.509 signature: $line"
		expect_out_match "$name.$ext: in the signature check" \
		    '^verdict: +FAILED: signature check: '
		expect_out_match "$name.$ext: the report's X.509 line says so" \
		    "^x509: +$P7S: REFUSED \\(see the findings\\)\$"
	done
}

# accepted NAME [OPTIONS...]: verify --ca accepts both bundles NAME.
accepted() {
	local name=$1 ext
	shift
	for ext in tar tar.zst; do
		run "$CUSTODY" verify --ca ca.pem "$@" "$name.$ext"
		expect_rc "$name.$ext: verifies" 0
	done
}

for b in doc mail tls tsaonly noeku casig revoked; do
	bundles $b || exit 99
done

# Signers fit for evidence.
accepted doc
expect_out_match "checked at the present time, revocation not checked" \
    '^x509: +O=Forensic Lab,CN=Document Signer: signature valid, chain to --ca verified at [0-9-]{10}T[0-9:.]{18}Z \(present time\); revocation NOT checked \(no --crl\)$'
accepted mail

# Signers unfit for evidence.
refused tls "the signer's extended key usage (serverAuth) does not allow document signing: $WANT is needed (--x509-eku)"
refused tsaonly "the signer's extended key usage (timeStamping) does not allow document signing: $WANT is needed (--x509-eku)"
refused noeku "the signer's certificate has no extended key usage; evidence needs one that allows document signing: $WANT (--x509-eku)"
refused casig "the signer's certificate is a CA certificate (basicConstraints CA:TRUE or keyCertSign): a CA may not sign evidence"
run "$CUSTODY" verify tls.tar
expect_rc "without --ca nothing is vouched for, and nothing refused" 4

# --x509-eku replaces the default usages.
accepted tls --x509-eku 1.3.6.1.5.5.7.3.1
refused doc "the signer's extended key usage (documentSigning) does not allow document signing: serverAuth (1.3.6.1.5.5.7.3.1) is needed (--x509-eku)" \
    --x509-eku 1.3.6.1.5.5.7.3.1
accepted doc --x509-eku 1.3.6.1.5.5.7.3.1 --x509-eku 1.3.6.1.5.5.7.3.36
run "$CUSTODY" verify --ca ca.pem --x509-eku serverAuth doc.tar
expect_rc "--x509-eku takes dotted numbers only" 2
expect_err "says so" \
    "custody: --x509-eku: serverAuth: not an object identifier in dotted numbers (1.3.6.1.5.5.7.3.36)"
run "$CUSTODY" verify --x509-eku 1.3.6.1.5.5.7.3.1 doc.tar
expect_rc "--x509-eku needs --ca" 2

# Revocation, offline.
refused revoked "certificate verify error (Verify error: certificate revoked)" \
    --crl ca.crl
refused revoked "certificate verify error (Verify error: certificate revoked)" \
    --crl ca.crl.der
accepted revoked
expect_out_match "without --crl the report says revocation was not checked" \
    '; revocation NOT checked \(no --crl\)$'
accepted doc --crl ca.crl
expect_out_match "with --crl the report says revocation was checked" \
    '\(present time\); revocation checked \(--crl\)$'
run "$CUSTODY" verify --json --ca ca.pem --crl ca.crl.der doc.tar
check "and so does the JSON report" python3 -c '
import json, sys
x = json.load(open(sys.argv[1]))["x509"]
assert x["verified"] and x["revocation_checked"], x
assert x["checked_by"] == "present time", x
' "$T/.out"
refused doc "certificate verify error (Verify error: unable to get certificate CRL)" \
    --crl other.crl
run "$CUSTODY" verify --json --ca ca.pem --crl ca.crl revoked.tar.zst
check "a refused signer is in the JSON report as such" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
x = r["x509"]
assert x["refused"] and not x["verified"] and not x["revocation_checked"], x
assert r["verdict"] == "failed", r["verdict"]
' "$T/.out"
run "$CUSTODY" verify --crl ca.crl doc.tar
expect_rc "--crl needs --ca" 2
run "$CUSTODY" verify --ca ca.pem --crl tls.pem doc.tar
expect_rc "a --crl that holds no CRL" 2
expect_err "says so" "custody: --crl: tls.pem: no PEM CRL in it"

# Files named by options must not hang on a FIFO.
mkfifo fifo || exit 99
run timeout 20 "$CUSTODY" verify --ca ca.pem --crl fifo doc.tar
expect_rc "--crl FIFO is refused at once" 2
expect_err "as not a regular file" "custody: --crl: fifo: not a regular file"
run timeout 20 "$CUSTODY" verify --ca fifo doc.tar
expect_rc "--ca FIFO is refused at once" 2
expect_err "as not a regular file" "custody: fifo: not a regular file"
run timeout 20 "$CUSTODY" verify --ca ca.pem --tsa-ca fifo doc.tar
expect_rc "--tsa-ca FIFO is refused at once" 2

# A signature back-dated before the acquisition began: made with openssl
# over the bundle's own tag manifest, a day in the past, and put in the
# place of the collector's (the minisign signature does not cover it).
sign_at() {	# OFFSET CERT OUT: a CAdES detached signature over $TM
	at "$1" openssl cms -sign -binary -cades -nosmimecap \
	    -md sha256 -in "$TM" -signer "$2.pem" -inkey "$2.key" \
	    -outform DER -out "$3" 2>/dev/null
}
export FAKETIME_DONT_FAKE_MONOTONIC=1
# libfaketime is preloaded before AddressSanitizer's runtime, which ASan
# refuses by default; the order is harmless here (it only wraps the clock
# calls).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# The library itself, not the faketime wrapper: the wrapper shares its
# clock through a named semaphore, and one left by a killed run under a
# recycled PID makes it fail ("sem_open: File exists").
FT_LIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -f "$f" ] && FT_LIB=$f && break
done
# at OFFSET CMD...: run CMD with its clock moved by OFFSET ("-1d").
at() {
	local offset=$1
	shift
	LD_PRELOAD=$FT_LIB FAKETIME=$offset "$@"
}
if [ -n "$FT_LIB" ] && [ "$(at -2d date -u +%F)" != "$(date -u +%F)" ]; then
	HAVE_FAKETIME=1
else
	HAVE_FAKETIME=0
fi
skip() {
	ok "$1 # SKIP faketime is not installed"
}

if [ $HAVE_FAKETIME = 1 ]; then
	mkdir x && tar -xf doc.tar -C x || exit 99
	TM=$T/x/B/tagmanifest-sha512.txt
	sign_at -1d doc early.p7s || exit 99
	for ext in tar tar.zst; do
		tamper replace doc.$ext early.$ext "$P7S" early.p7s || exit 99
		run "$CUSTODY" verify --ca ca.pem early.$ext
		expect_rc "early.$ext: a signingTime before the acquisition" 1
		expect_err_match "names the cause" \
		    "^custody: $P7S: X.509 signature: signingTime [0-9-]{10}T[0-9:.]{18}Z is before the acquisition's start \\([0-9-]{10}T[0-9:.]{18}Z, acquisition.json\\)$"
	done
else
	skip "a signingTime before the acquisition"
fi

# An expired signer whose signature claims a time when it was valid: its
# CA and certificate made 20 and 10 days ago (valid for 3 days), the bundle
# collected 8 days ago by the host clock.  Judged at the present time, it
# fails; with a verified token from that time over the signature, the
# same certificate passes, judged at genTime.
if [ $HAVE_FAKETIME = 1 ]; then
	at -20d openssl req -x509 -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout oldca.key \
	    -out oldca.pem -days 60 -subj "/CN=Old Root" -config pki.cnf \
	    -extensions ca 2>/dev/null || exit 99
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout old.key -out old.csr -subj "/CN=Expired Signer" \
	    -config pki.cnf 2>/dev/null || exit 99
	at -10d openssl x509 -req -in old.csr -CA oldca.pem \
	    -CAkey oldca.key -CAcreateserial -days 3 -extfile pki.cnf \
	    -extensions signer -out old.pem 2>/dev/null || exit 99
	make_tsa oldtsa oldca || exit 99
	at -20d openssl x509 -req -in oldtsa/tsa.csr -CA oldca.pem \
	    -CAkey oldca.key -CAcreateserial -days 60 -extfile pki.cnf \
	    -extensions tsa -out oldtsa/tsa.pem 2>/dev/null || exit 99
	# The TSA's clock too is 8 days behind (openssl ts -reply inherits it).
	at -8d start_tsa oldtsa || exit 99
	for ext in tar tar.zst; do
		at -8d "$CUSTODY" collect --no-nice --cert old.pem \
		    --key old.key --evidence-id B -o old.$ext tree \
		    >/dev/null || exit 99
		run "$CUSTODY" verify --ca oldca.pem old.$ext
		expect_rc "old.$ext: an expired signer, back-dated" 1
		expect_err "is judged at the present time, and named" \
		    "custody: $P7S: X.509 signature: certificate verify error (Verify error: certificate has expired)"
		at -8d "$CUSTODY" collect --no-nice --cert old.pem \
		    --key old.key --evidence-id B --tsa "$TSA_URL" \
		    -o oldts.$ext tree >/dev/null || exit 99
		run "$CUSTODY" verify --ca oldca.pem --tsa-ca oldca.pem \
		    oldts.$ext
		expect_rc "oldts.$ext: with a verified token from its time" 0
		expect_out_match "it is judged at genTime" \
		    '^x509: +CN=Expired Signer: signature valid, chain to --ca verified at .* \(token genTime\);'
		run "$CUSTODY" verify --ca oldca.pem oldts.$ext
		expect_rc "oldts.$ext: an unverified token (no --tsa-ca) is no time to trust" 1
		expect_err "and the present time is used" \
		    "custody: $P7S: X.509 signature: certificate verify error (Verify error: certificate has expired)"
	done
	stop_tsa
else
	skip "an expired signer, back-dated"
fi

# A signingTime after the token over the signature: a signature dated a
# day ahead, and a token over it from the TSA now.  Put in the place of
# the collector's, they disagree with the closing statement, which the
# one-time seal key signed: that is what verify names first.  The rule on
# signingTime itself is tested in tests/unit/test-cms.c, on signatures
# made for it.
if [ $HAVE_FAKETIME = 1 ]; then
	make_tsa tsa ca || exit 99
	sign_at +1d doc late.p7s || exit 99
	openssl ts -query -data late.p7s -sha256 -cert -out late.tsq \
	    2>/dev/null || exit 99
	(cd tsa && openssl ts -reply -config tsa.cnf -queryfile ../late.tsq \
	    -out ../late.tsr 2>/dev/null) || exit 99
	for ext in tar tar.zst; do
		tamper replace doc.$ext late1.$ext "$P7S" late.p7s || exit 99
		tamper add late1.$ext late.$ext "$P7STSR" "" \
		    signatures/closing.txt || exit 99
		tamper replace late.$ext late2.$ext "$P7STSR" late.tsr || exit 99
		run "$CUSTODY" verify --ca ca.pem --tsa-ca ca.pem late2.$ext
		expect_rc "late.$ext: a signingTime after the token's genTime" 1
		expect_err_match "names the cause" \
		    "^custody: $P7S: .*(closing statement|replaced)"
	done
else
	skip "a signingTime after the token's genTime"
fi

done_testing
