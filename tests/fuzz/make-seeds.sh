#!/usr/bin/env bash
# make-seeds.sh [BUILD_DIR]: make the fuzzers' seed corpora from real
# bundles.  The custody binary of BUILD_DIR (default: build) collects small
# trees (plain, zstd, with --hash, with odd names) sealed with the test key
# tests/fuzz/fuzz.key; the bundles and their members and lines become the
# seeds of each target under tests/fuzz/seeds/, and the --hash bundle
# becomes tests/fuzz/template.tar, the bundle fuzz_bag.c rebuilds.  Run it
# again after a change of the bundle format, and commit what it writes
# (a few hundred KiB).  Regression inputs (tests/fuzz/regress/) are kept.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${1:-$SRC/build}
CUSTODY=$BUILD/cmd/custody
SEEDS=$HERE/seeds
[ -x "$CUSTODY" ] || { echo "make-seeds: no $CUSTODY" >&2; exit 2; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/root

# t1: the template's tree; t2: names that need escaping, and specials.
mkdir -p "$R/t1/sub" "$R/t2/dir"
printf 'hello\n' >"$R/t1/a.txt"
: >"$R/t1/empty"
printf 'b\n' >"$R/t1/sub/b.txt"
ln -s a.txt "$R/t1/link"
printf '1\n' >"$R/t2/per%cent"
printf '2\n' >"$R/t2/caret^name"
printf '3\n' >"$R/t2/new
line"
printf '4\n' >"$R/t2/$(printf 'bad\377\376')"
printf '5\n' >"$R/t2/$(printf 'tab\tand\001ctl')"
printf '6\n' >"$R/t2/résumé ü"
printf '7\n' >"$R/t2/dir/$(printf 'x%.0s' $(seq 250))"
mkfifo "$R/t2/fifo"
ln -s /nonexistent "$R/t2/dangling"

collect() {
	out=$1
	shift
	"$CUSTODY" collect --no-nice --key "$HERE/fuzz.key" --root "$R" \
	    --case FUZZ-1 --examiner fuzz -o "$T/$out" "$@" >/dev/null 2>&1 ||
	    [ $? -eq 1 ]	# 1: some artefacts were not taken whole
	[ -s "$T/$out" ] || { echo "make-seeds: no $out" >&2; exit 1; }
}

collect template.tar --evidence-id FUZZ --hash sha512,sha1,md5 /t1
collect odd.tar --evidence-id ODD /t2
collect odd.tar.zst --evidence-id ODDZ --compress zstd /t2
collect plain.tar --evidence-id PLAIN /t1/a.txt

# A test PKI: a CA (pki/ca.pem, committed: the targets trust it), a TSA
# with a critical timeStamping EKU and an X.509 signer with documentSigning
# (which verify --ca needs), P-256 all.
P=$T/pki
mkdir -p "$P"
cat >"$P/pki.cnf" <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = 1.3.6.1.5.5.7.3.36
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_alg = sha256
CNF
(
	cd "$P"
	ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	# shellcheck disable=SC2086
	openssl req -x509 $ec -keyout ca.key -out ca.pem -days 36500 \
	    -subj "/CN=Fuzz CA/O=Custody Tests" -config pki.cnf -extensions ca
	for c in tsa signer; do
		# shellcheck disable=SC2086
		openssl req -new $ec -keyout $c.key -out $c.csr \
		    -subj "/CN=Fuzz $c/O=Custody Tests" -config pki.cnf
		openssl x509 -req -in $c.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 36500 -extfile pki.cnf \
		    -extensions "$(echo $c | sed s/tsa/tsa_ext/)" -out $c.pem
	done
	cp pki.cnf tsa.cnf	# what tests/e2e/tsa-server.py reads
) >/dev/null 2>&1
mkdir -p "$HERE/pki"
cp "$P/ca.pem" "$HERE/pki/ca.pem"

# token DATA OUT: an RFC 3161 answer over DATA from the test TSA.
token() {
	openssl ts -query -data "$1" -sha256 -cert -out "$P/q.tsq" \
	    2>/dev/null &&
	(cd "$P" && openssl ts -reply -config pki.cnf -queryfile q.tsq \
	    -out "$2" 2>/dev/null)
}

# A bundle with an X.509 signature and tokens, from the e2e tests' TSA.
python3 "$SRC/tests/e2e/tsa-server.py" "$P" "$P/port" &
tsa_pid=$!
for _ in $(seq 100); do
	[ -s "$P/port" ] && break
	sleep 0.1
done
collect x509.tar --evidence-id X509 --cert "$P/signer.pem" \
    --key "$P/signer.key" --tsa "http://127.0.0.1:$(cat "$P/port")/tsa" \
    /t1/a.txt
kill $tsa_pid
wait $tsa_pid 2>/dev/null || :

rm -rf "$SEEDS"
mkdir -p "$SEEDS"/{bundles,records,taglines,minisign,manifest,escape}
mkdir -p "$SEEDS"/{custody_log,tsa,cms,differential}
cp "$T/template.tar" "$HERE/template.tar"
cp "$T/template.tar" "$T/odd.tar" "$T/odd.tar.zst" "$T/plain.tar" \
    "$T/x509.tar" "$SEEDS/bundles/"
for b in template odd plain; do
	cp "$T/$b.tar.custody" "$SEEDS/custody_log/$b"
done
# fuzz_differential.c's programs: the first byte picks a bundle of
# seeds/bundles (in byte order of names), and no mutation follows.
n=0
for b in "$SEEDS"/bundles/*; do
	printf "\\$(printf %03o $n)" >"$SEEDS/differential/seed$n"
	n=$((n + 1))
done

# cat0 OUT FILE...: the files joined by NUL bytes (a missing one is empty).
cat0() {
	out=$1
	shift
	: >"$out"
	first=1
	for f in "$@"; do
		[ $first = 1 ] || printf '\0' >>"$out"
		first=0
		[ -f "$f" ] && cat "$f" >>"$out"
	done
	return 0
}

for b in template odd plain; do
	X=$T/x-$b
	mkdir -p "$X"
	tar -xf "$T/$b.tar" -C "$X"
	B=$(echo "$X"/*)
	cat0 "$SEEDS/records/$b" "$B/metadata/files.jsonl" \
	    "$B/metadata/custody.jsonl" "$B/metadata/acquisition.json"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" >"$SEEDS/records/$b-line$n"
	done <"$B/metadata/files.jsonl"
	cat0 "$SEEDS/taglines/$b" "$B/bag-info.txt" "$B/manifest-sha256.txt" \
	    "$B/tagmanifest-sha512.txt" "$B/metadata/algorithms.txt" \
	    "$B/manifest-sha512.txt" "$B/manifest-sha1.txt" \
	    "$B/manifest-md5.txt" "$B/bagit.txt"
	sig=$B/signatures/tagmanifest-sha512.txt.minisig
	cat0 "$SEEDS/minisign/$b" "$HERE/fuzz.pub" "$sig" \
	    "$B/tagmanifest-sha512.txt"
	sed 's/$/\r/' "$sig" >"$T/crlf"
	cat0 "$SEEDS/minisign/$b-crlf" "$HERE/fuzz.pub" "$T/crlf" \
	    "$B/tagmanifest-sha512.txt"
	(cd "$B" && find data -type f | LC_ALL=C sort) >"$T/names-$b"
done
# Tokens over the template's signature file, CMS over its tag manifest.
X=$T/x-template/FUZZ
token "$X/signatures/tagmanifest-sha512.txt.minisig" "$SEEDS/tsa/granted"
token "$X/tagmanifest-sha512.txt" "$SEEDS/tsa/other-data"
printf '\060\005\060\003\002\001\002' >"$SEEDS/tsa/rejection"
openssl cms -sign -binary -cades -md sha256 -in "$X/tagmanifest-sha512.txt" \
    -signer "$P/signer.pem" -inkey "$P/signer.key" -outform DER \
    -out "$SEEDS/cms/cades" 2>/dev/null
openssl cms -sign -binary -md sha256 -in "$X/tagmanifest-sha512.txt" \
    -signer "$P/signer.pem" -inkey "$P/signer.key" -outform DER \
    -out "$SEEDS/cms/plain" 2>/dev/null
for f in "$SEEDS"/tsa/* "$SEEDS"/cms/*; do
	[ -s "$f" ] || { echo "make-seeds: $f is empty" >&2; exit 1; }
done
sed -n 2p "$HERE/fuzz.pub" >"$T/b64"
cat0 "$SEEDS/minisign/bare-key" "$T/b64" \
    "$T/x-plain/PLAIN/signatures/tagmanifest-sha512.txt.minisig" \
    "$T/x-plain/PLAIN/tagmanifest-sha512.txt"

# Stored names (escaped) and the raw paths files.jsonl keeps.
n=0
while IFS= read -r name; do
	n=$((n + 1))
	printf '%s' "$name" >"$SEEDS/escape/stored$n"
done < <(cat "$T"/names-*)
for f in "$R"/t2/*; do
	n=$((n + 1))
	printf '%s' "${f#"$R"}" >"$SEEDS/escape/raw$n"
done
printf 'data/^00/%s' "$(printf x | sha256sum | cut -c1-64)" \
    >"$SEEDS/escape/long"

# Manifests: the built-in one, a few of UAC's, and UAC's quirks.
cp "$SRC/manifests/linux-triage.yaml" "$SEEDS/manifest/"
for f in files/ssh/known_hosts.yaml files/logs/var_log.yaml \
    files/logs/advanced_log_search.yaml files/shell/bash.yaml; do
	src=$SRC/tests/data/uac/artifacts/$f
	[ -f "$src" ] && cp "$src" "$SEEDS/manifest/uac-$(basename "$f")"
done
cat >"$SEEDS/manifest/quirks.yaml" <<'EOF'
version: 1.0
condition: true
artifacts:
  -
    description: UAC's triple quotes and percent variables.
    supported_os: [linux, freebsd]
    collector: command
    command: """
      ls -la %user_home%
      """
    output_file: ls.txt
  -
    description: Every field of a file artefact.
    supported_os: [all]
    collector: file
    path: %user_home%/.ssh "/var/log/with space" '/a\'b'
    name_pattern: ["*.log", "auth*"]
    path_pattern: ["*/log/*"]
    exclude_path_pattern: ["/proc"]
    exclude_name_pattern: ["*.gz"]
    exclude_file_system: [proc, sysfs]
    max_depth: 4
    file_type: [f, l]
    min_file_size: 1
    max_file_size: 1048576
    ignore_date_range: true
    exclude_nologin_users: true
    permissions: [-4000, 755]
    no_user: false
    no_group: false
    is_file_list: false
    compress_output_file: true
    redirect_stderr_to_stdout: false
    modifier: false
EOF
du -sh "$SEEDS" "$HERE/template.tar"
