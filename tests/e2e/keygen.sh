#!/bin/bash
# keygen.sh: end-to-end tests of `custody keygen`, in TAP.  Needs CUSTODY
# (the built binary); checks the files it writes with openssl, base64 and
# sha256sum rather than with custody itself.
set -u
: "${CUSTODY:?CUSTODY must name the custody binary}"
. "$(dirname "$0")/wrapper.sh"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..36"
n=0

# check DESCRIPTION COMMAND...: one TAP line, ok when COMMAND succeeds.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/# /' "$tmp/out" "$tmp/err" 2>/dev/null
	fi
}

# run ARGS...: custody's stdout in $tmp/out, stderr in $tmp/err, status $rc.
run() {
	"$CUSTODY" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

status() { [ "$rc" -eq "$1" ]; }
out_is() { [ "$(cat "$tmp/out")" = "$1" ]; }
err_is() { [ "$(cat "$tmp/err")" = "$1" ]; }
empty() { [ ! -s "$tmp/$1" ]; }
mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }
absent() { [ ! -e "$1" ] && [ ! -L "$1" ]; }

# hexbytes FILE: the bytes of FILE in lowercase hex
hexbytes() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# keyid HEX: 8 bytes of hex read as a little-endian integer, as minisign
# prints key IDs
keyid() { printf '%s\n' "$1" | fold -w2 | tac | tr -d '\n' | tr a-f A-F; }

synopsis='usage: custody keygen -o PREFIX'

# --- success
run keygen -o "$tmp/k"
check "keygen exits 0" status 0
check "keygen writes nothing to stderr" empty err
id=$(sed -n '1s/^key ID: \([0-9A-F]\{16\}\)$/\1/p' "$tmp/out")
check "keygen prints a 16-digit key ID" [ -n "$id" ]
check "keygen prints the two paths" out_is "key ID: $id
secret key: $tmp/k.key
public key: $tmp/k.pub"
check "secret key has mode 600" mode_is "$tmp/k.key" 600
check "public key has mode 644" mode_is "$tmp/k.pub" 644
check "secret key is PKCS#8 PEM" \
    [ "$(head -n 1 "$tmp/k.key")" = "-----BEGIN PRIVATE KEY-----" ]
check "openssl reads the secret key as Ed25519" \
    [ "$(openssl pkey -in "$tmp/k.key" -noout -text 2>/dev/null |
    head -n 1)" = "ED25519 Private-Key:" ]
check "public key file has two lines" \
    [ "$(wc -l <"$tmp/k.pub")" -eq 2 ]
comment="untrusted comment: custody public key $id"
check "public key comment carries the printed key ID" \
    [ "$(sed -n 1p "$tmp/k.pub")" = "$comment" ]
sed -n 2p "$tmp/k.pub" | base64 -d >"$tmp/blob" 2>/dev/null
check "public key line decodes to 42 bytes" \
    [ "$(stat -c %s "$tmp/blob")" -eq 42 ]
check "public key algorithm is Ed" [ "$(head -c 2 "$tmp/blob")" = "Ed" ]
check "key ID in the base64 matches the printed one" \
    [ "$(keyid "$(hexbytes "$tmp/blob" | cut -c5-20)")" = "$id" ]
tail -c 32 "$tmp/blob" >"$tmp/pk"
openssl pkey -in "$tmp/k.key" -pubout -outform DER 2>/dev/null |
    tail -c 32 >"$tmp/pk.ssl"
check "public key in the .pub is the secret key's" \
    cmp -s "$tmp/pk" "$tmp/pk.ssl"
check "key ID is the start of SHA-256 of the public key" \
    [ "$(keyid "$(sha256sum "$tmp/pk" | cut -c1-16)")" = "$id" ]
run keygen --output="$tmp/eq"
check "--output=PREFIX works" \
    eval 'status 0 && [ -f "$tmp/eq.key" ] && [ -f "$tmp/eq.pub" ]'

# --- refusal to overwrite
cp "$tmp/k.key" "$tmp/k.key.orig"
cp "$tmp/k.pub" "$tmp/k.pub.orig"
run keygen -o "$tmp/k"
check "existing key pair: exit 3" status 3
check "existing key pair: nothing on stdout" empty out
check "existing key pair: says which file exists" \
    err_is "custody: $tmp/k.key: File exists"
check "existing key pair: secret key untouched" \
    cmp -s "$tmp/k.key" "$tmp/k.key.orig"
check "existing key pair: public key untouched" \
    cmp -s "$tmp/k.pub" "$tmp/k.pub.orig"
: >"$tmp/p.pub"
run keygen --output "$tmp/p"
check "existing .pub alone: exit 3 with the exact message" \
    eval 'status 3 && err_is "custody: $tmp/p.pub: File exists"'
check "existing .pub alone: no .key left behind" absent "$tmp/p.key"
run keygen -o "$tmp/none/k"
check "missing directory: exit 3 with the exact message" \
    eval 'status 3 &&
    err_is "custody: $tmp/none/k.key: No such file or directory"'

# --- usage errors
run keygen
check "missing -o: exit 2" status 2
check "missing -o: reason and synopsis on stderr" \
    err_is "custody: keygen: missing -o PREFIX
$synopsis"
check "missing -o: nothing on stdout" empty out
run keygen -o "$tmp/x" extra
check "extra argument: exit 2, reason and synopsis" \
    eval 'status 2 && err_is "custody: keygen: unexpected argument extra
$synopsis"'
check "extra argument: no files written" absent "$tmp/x.key"
run keygen -x
check "unknown short option: exit 2, reason and synopsis" \
    eval 'status 2 && err_is "custody: keygen: unknown option -x
$synopsis"'
run keygen --bogus
check "unknown long option: exit 2, reason and synopsis" \
    eval 'status 2 && err_is "custody: keygen: unknown option --bogus
$synopsis"'
run keygen -o
check "-o without PREFIX: exit 2, reason and synopsis" \
    eval 'status 2 && err_is "custody: keygen: option -o needs an argument
$synopsis"'

# --- help
run keygen --help
check "--help: exit 0, nothing on stderr" eval 'status 0 && empty err'
check "--help: synopsis first on stdout" \
    [ "$(head -n 1 "$tmp/out")" = "$synopsis" ]
check "--help: lists every option" \
    eval 'grep -q -- "-o, --output PREFIX" "$tmp/out" &&
    grep -q -- "-h, --help" "$tmp/out"'
"$CUSTODY" keygen -h >"$tmp/out.h" 2>&1
check "-h prints the same help" cmp -s "$tmp/out" "$tmp/out.h"
