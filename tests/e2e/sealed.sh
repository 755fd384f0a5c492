#!/usr/bin/env bash
# sealed.sh: confidential bundles (issue 24): collect --recipient encrypts
# the sealed bundle to X.509 recipients as it is written; verify, extract
# and show --identity read it; stock openssl decrypts it; a changed or cut
# ciphertext is found before anything is trusted or written; no clear
# text is left on the host.
. "$E2E_LIB"

MARK="custody-h24-marker-$$-$RANDOM"
NAME="custody-h24-name-$$-$RANDOM"
cert() {	# cert NAME KEYGEN-ARGS...: NAME.key and a self-signed NAME.pem
	local n=$1
	shift
	openssl req -x509 -nodes -days 2 -subj "/CN=$n" "$@" \
	    -keyout "$n.key" -out "$n.pem" 2>/dev/null
}
cert rsa -newkey rsa:3072
cert ec -newkey ec -pkeyopt ec_paramgen_curve:P-256
cert other -newkey ec -pkeyopt ec_paramgen_curve:P-384
cert small -newkey rsa:2048
"$CUSTODY" keygen -o k >/dev/null 2>&1

mkdir -p tree/sub out
touch start
printf '%s\n' "$MARK" >tree/secret.txt
printf 'hello\n' >"tree/sub/$NAME.txt"
head -c 70000 /dev/urandom >tree/sub/b.bin

run "$CUSTODY" collect --no-nice --key k.key --recipient rsa.pem \
    --recipient ec.pem --evidence-id EVD-24 -o out/b.tar.zst tree
expect_rc "collect --recipient, twice" 0
check "the bundle is named .p7m, and nothing else was made" \
    test "$(cd out && ls | tr '\n' ' ')" = \
    "b.tar.zst.p7m b.tar.zst.p7m.custody b.tar.zst.p7m.sha256 "
sha=$(sha256sum out/b.tar.zst.p7m | cut -d' ' -f1)
check "the sidecar commits to the ciphertext" \
    grep -q "^$sha  b.tar.zst.p7m$" out/b.tar.zst.p7m.sha256
check "the custody log's first event commits to the ciphertext" \
    sh -c "head -1 out/b.tar.zst.p7m.custody | grep -q '$sha'"

# No clear text: the marker is in the source only.
check "no clear text in the output directory" \
    sh -c "! grep -rqa -e '$MARK' -e '$NAME' out"
# Every regular file made or changed since, outside this test's own
# directory (a search of all /tmp would read other runs' FIFOs and bulk).
check "no clear text left in TMPDIR, /tmp or /var/tmp" \
    sh -c "! find ${TMPDIR:-/tmp} /tmp /var/tmp -xdev -path '$T' -prune \
    -o -type f -newer start -print0 2>/dev/null |
    xargs -0r grep -lsaD skip -e '$MARK' -e '$NAME' | grep -q ."


for k in rsa ec; do
	run "$CUSTODY" verify --identity $k.key --pubkey k.pub out/b.tar.zst.p7m
	expect_rc "verify --identity $k.key alone" 0
	expect_out_match "$k: the report says verified" "^verdict: +VERIFIED"
	expect_out_match "$k: the report gives the envelope's SHA-256" \
	    "^encrypted: +CMS AuthEnvelopedData, AES-256-GCM tag verified \
\([0-9]+ bytes, sha256 $sha\)"
done
run "$CUSTODY" verify --identity other.key --pubkey k.pub out/b.tar.zst.p7m
expect_rc "a key the bundle is not addressed to" 1
expect_err "it says so" "custody: out/b.tar.zst.p7m: not addressed to \
other.key: none of its 2 recipients is this key"
run "$CUSTODY" verify --identity other.key --identity ec.key --pubkey k.pub \
    out/b.tar.zst.p7m
expect_rc "of two identities, the one addressed is used" 0

# A stream end to end: collect to a pipe, verify from it.
"$CUSTODY" collect --no-nice --key k.key --recipient ec.pem -o - tree \
    2>/dev/null | "$CUSTODY" verify --identity ec.key --pubkey k.pub - \
    >pipe.out 2>&1
check "collect -o - | verify --identity -: verified" \
    grep -q "^verdict: *VERIFIED" pipe.out

run "$CUSTODY" verify --pubkey k.pub out/b.tar.zst.p7m
expect_rc "without an identity: the content is not checked" 4
expect_out_match "the ciphertext matches the custody log" \
    "^custody log: matches: $sha"
expect_err "it says plainly that the content was not checked" \
    "custody: out/b.tar.zst.p7m: encrypted, and no --identity given: the \
content was not checked"

run "$CUSTODY" show --identity ec.key out/b.tar.zst.p7m
expect_rc "show --identity" 0
expect_out_match "show lists the file" "secret.txt"

mkdir x
run "$CUSTODY" extract -C x --identity rsa.key --pubkey k.pub \
    out/b.tar.zst.p7m
expect_rc "extract --identity" 0
check "extract wrote the collected file" cmp x/EVD-24/data"$T"/tree/secret.txt \
    tree/secret.txt

run "$CUSTODY" export -f csv --identity ec.key --pubkey k.pub \
    out/b.tar.zst.p7m
expect_rc "export --identity" 0
expect_out_match "exports the collected file's record" "secret\\.txt"
run "$CUSTODY" export -f csv --pubkey k.pub out/b.tar.zst.p7m
expect_rc "export without an identity exports nothing" 1
expect_err "and says why" "custody: out/b.tar.zst.p7m: not exported: it \
is encrypted, and no --identity was given; nothing was written"

# The independent route: stock openssl, then the README's cross-check.
mkdir stock
check "openssl cms -decrypt reads it" openssl cms -decrypt -inform DER \
    -in out/b.tar.zst.p7m -recip ec.pem -inkey ec.key -out stock/b.tar.zst
(
	cd stock && tar -xf b.tar.zst && cd EVD-24 &&
	sha256sum --quiet --strict -c manifest-sha256.txt &&
	cut -d' ' -f3- manifest-sha256.txt | LC_ALL=C sort >../listed &&
	find data -type f | LC_ALL=C sort | diff ../listed - &&
	sha512sum --quiet --strict -c tagmanifest-sha512.txt &&
	minisign -Vqm tagmanifest-sha512.txt -p "$T/k.pub" \
	    -x signatures/tagmanifest-sha512.txt.minisig
) >stock.log 2>&1
check "the decrypted bag passes the stock cross-check" test $? -eq 0

# A flipped byte in the content, near the tag, and a cut: found by verify;
# extract writes nothing.
size=$(stat -c %s out/b.tar.zst.p7m)
flip() {	# flip FILE OFFSET
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o)
b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 1]))' "$1" "$2"
}
cp out/b.tar.zst.p7m mid.p7m && flip mid.p7m $((size / 2))
cp out/b.tar.zst.p7m end.p7m && flip end.p7m $((size - 20))
head -c $((size - 100)) out/b.tar.zst.p7m >cut.p7m
head -c $((size - 10)) out/b.tar.zst.p7m >cut2.p7m
for f in mid end cut cut2; do
	run "$CUSTODY" verify --identity ec.key --pubkey k.pub $f.p7m
	expect_rc "verify: $f.p7m fails" 1
	mkdir x-$f
	run "$CUSTODY" extract -C x-$f --identity ec.key --pubkey k.pub $f.p7m
	expect_rc "extract: $f.p7m refused" 1
	check "extract wrote nothing for $f.p7m" \
	    test -z "$(ls -A x-$f)"
done
run "$CUSTODY" verify --identity ec.key --pubkey k.pub end.p7m
expect_err "a changed tag is an authentication failure" \
    "custody: end.p7m: authentication failed: the ciphertext was changed, \
or the envelope is not whole"
run "$CUSTODY" verify --pubkey k.pub --log out/b.tar.zst.p7m.custody mid.p7m
expect_rc "without a key, a changed ciphertext differs from the log" 1

run "$CUSTODY" collect --no-nice --recipient small.pem -o out/c.tar tree
expect_rc "an RSA key under 3072 bits is refused" 2
expect_err "saying why" "custody: small.pem: an RSA key of 2048 bits \
(3072 or more are needed)"

# As root: nothing in clear on the output file system, free space
# included: a small ext4 image, searched raw.
if [ "$(id -u)" != 0 ] || ! command -v mkfs.ext4 >/dev/null ||
    [ -n "$ASAN" ]; then
	echo "ok $((TESTS + 1)) # SKIP raw device search: needs root and \
mkfs.ext4, and no sanitizer build"
	TESTS=$((TESTS + 1))
else
	truncate -s 16M fs.img && mkfs.ext4 -q -F fs.img && mkdir mnt &&
	    mount -o loop fs.img mnt
	if mountpoint -q mnt; then
		run "$CUSTODY" collect --no-nice --key k.key \
		    --recipient ec.pem -o mnt/e.tar tree
		expect_rc "collect onto a fresh ext4" 0
		rm -f mnt/e.tar.p7m
		umount mnt
		check "the marker is nowhere on the raw image, free space too" \
		    sh -c "! grep -qa '$MARK' fs.img"
		check "nor is a collected file's name (no clear spool)" \
		    sh -c "! grep -qa '$NAME' fs.img"
	else
		echo "ok $((TESTS + 1)) # SKIP raw device search: loop mount \
refused"
		TESTS=$((TESTS + 1))
	fi
fi
done_testing
