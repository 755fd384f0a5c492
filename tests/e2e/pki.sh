# pki.sh: test PKI helpers for the end-to-end tests, sourced after lib.sh.
# Every key and certificate is made at test time in $T; none is committed.

# The extensions of the test certificates.
pki_conf() {
	cat >"$T/pki.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa_noncritical]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = timeStamping
[signer]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = 1.3.6.1.5.5.7.3.36
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[nosign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
[mail]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
[tls]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[tsaonly]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[noeku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
[casigner]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyCertSign,cRLSign
extendedKeyUsage = 1.3.6.1.5.5.7.3.36
EOF
}

# make_ca NAME SUBJECT: NAME.key and NAME.pem, a self-signed P-256 root.
make_ca() {
	[ -f "$T/pki.cnf" ] || pki_conf
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$1.key" -out "$1.pem" -days 30 -subj "$2" \
	    -config "$T/pki.cnf" -extensions ca 2>/dev/null
}

# make_cert CA NAME SUBJECT EXTENSIONS [KEYOPTS...]: NAME.key and NAME.pem,
# issued by CA; the key is P-256 unless KEYOPTS say otherwise.
make_cert() {
	local ca=$1 name=$2 subj=$3 ext=$4
	shift 4
	[ $# -gt 0 ] || set -- -newkey ec -pkeyopt ec_paramgen_curve:P-256
	openssl req -new "$@" -nodes -keyout "$name.key" -out "$name.csr" \
	    -subj "$subj" -config "$T/pki.cnf" 2>/dev/null &&
	openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
	    -CAcreateserial -days 30 -extfile "$T/pki.cnf" \
	    -extensions "$ext" -out "$name.pem" 2>/dev/null
}

# make_crl CA OUT [CERT...]: a CRL by CA (PEM, valid for 30 days) that
# revokes the certificates CERT, made by `openssl ca` in CA.db/.
make_crl() {
	local ca=$1 out=$2 db=$1.db c
	shift 2
	mkdir -p "$db" && : >"$db/index.txt" && echo 01 >"$db/crlnumber" &&
	cat >"$db/ca.cnf" <<EOF || return 1
[ca]
default_ca = crlca
[crlca]
database = $db/index.txt
crlnumber = $db/crlnumber
default_md = sha256
default_crl_days = 30
EOF
	for c in "$@"; do
		openssl ca -config "$db/ca.cnf" -cert "$ca.pem" \
		    -keyfile "$ca.key" -revoke "$c" 2>/dev/null || return 1
	done
	openssl ca -config "$db/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
	    -gencrl -out "$out" 2>/dev/null
}

# make_tsa DIR CA [EXTENSIONS]: a TSA in DIR (its certificate issued by CA
# with a critical timeStamping EKU unless EXTENSIONS say otherwise, and the
# tsa.cnf that `openssl ts -reply` reads there).
make_tsa() {
	local dir=$1 ca ext=${3:-tsa}
	ca=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	mkdir -p "$dir" &&
	(cd "$dir" && make_cert "$ca" tsa "/CN=Test TSA/O=Custody Tests" "$ext") &&
	cat >"$dir/tsa.cnf" <<'EOF'
[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
}

# start_tsa DIR [MODE]: serve the TSA of DIR on loopback; sets TSA_URL.
# The server is stopped when the test ends (and stops itself if the test
# dies).  Fails when it does not come up within 60 seconds.
TSA_PIDS=
start_tsa() {
	local dir=$1 mode=${2:-good} port i
	rm -f "$dir/port"
	python3 "$HERE/tsa-server.py" "$dir" "$dir/port" "$mode" \
	    2>"$dir/server.err" &
	TSA_PIDS="$TSA_PIDS $!"
	for i in $(seq 600); do
		[ -s "$dir/port" ] && break
		sleep 0.1
	done
	port=$(cat "$dir/port" 2>/dev/null) || return 1
	TSA_URL="http://127.0.0.1:$port/tsa"
}

stop_tsa() {
	local p
	for p in $TSA_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TSA_PIDS=
}
trap 'stop_tsa; chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT

# A port on loopback where nothing listens (bound, then released).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
