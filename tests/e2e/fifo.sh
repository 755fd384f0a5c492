#!/usr/bin/env bash
# fifo.sh: every file a command takes by name that is not the bundle (a
# manifest, a key, certificates, CRLs, the custody log) must be a regular
# file: a FIFO is refused at once, never waited on (issue 20, item 4;
# `custody manifests FIFO` and `collect -m FIFO` hung).  Each run is under
# `timeout 10`, so that a hang fails with exit 124; each must exit with
# the code its command documents for the case and name the file.
. "$E2E_LIB"
. "$HERE/pki.sh"

make_ca ca "/CN=Investigators Root" || exit 99
make_cert ca inv "/CN=A. Investigator" signer || exit 99
mkdir tree && printf 'hello\n' >tree/a.txt || exit 99
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
"$CUSTODY" collect --no-nice --key k.key -o b.tar tree >/dev/null 2>&1 ||
    exit 99
[ -f b.tar.custody ] || exit 99
mkfifo fifo || exit 99
mkdir out dir || exit 99
TSA=http://127.0.0.1:9/

# refused RC WHAT ARGS...: custody ARGS exits RC at once, saying on
# standard error that WHAT is not a regular file, and writes nothing.
refused() {
	local rc=$1 what=$2
	shift 2
	run timeout 10 "$CUSTODY" "$@"
	expect_rc "custody $* refuses $what at once" "$rc"
	expect_err "custody $*: says why" "custody: $what: not a regular file"
}

# manifests: exit 1 when a FILE does not load; collect: 2, as for any
# option it cannot use.
refused 1 fifo manifests fifo
refused 1 dir manifests dir
refused 1 /dev/null manifests /dev/null
refused 2 fifo collect --no-nice -m fifo -o o1.tar tree
refused 2 fifo collect --no-nice --key fifo -o o2.tar tree
refused 2 fifo collect --no-nice --cert fifo --key inv.key -o o3.tar tree
refused 2 fifo collect --no-nice --cert inv.pem --key fifo -o o4.tar tree
check "a refused collect leaves no bundle" \
    bash -c '! ls o[1-4].tar* 2>/dev/null | grep -q .'

# verify and extract: the trust options are usage (2); a custody log that
# cannot be read is 3, as a missing one is.
for c in verify "extract -C out"; do
	# shellcheck disable=SC2086 # $c is a command and its option
	refused 2 fifo $c --pubkey fifo b.tar
	# shellcheck disable=SC2086
	refused 2 fifo $c --ca fifo b.tar
	# shellcheck disable=SC2086
	refused 2 fifo $c --tsa-ca fifo b.tar
	# shellcheck disable=SC2086
	refused 2 "--crl: fifo" $c --ca ca.pem --crl fifo b.tar
	# shellcheck disable=SC2086
	refused 3 fifo $c --pubkey k.pub --log fifo b.tar
done
refused 2 /dev/null verify --pubkey /dev/null b.tar
refused 3 dir verify --pubkey k.pub --log dir b.tar
check "a refused extract writes nothing" test -z "$(ls out)"

# The default log, BUNDLE.custody, is held to the same.
cp b.tar c.tar && mkfifo c.tar.custody || exit 99
refused 3 c.tar.custody verify --pubkey k.pub c.tar
refused 3 c.tar.custody log c.tar

# The commands that add to the log: the key is usage (2), the log 3.
refused 2 fifo timestamp --tsa "$TSA" --key fifo b.tar
refused 3 fifo timestamp --tsa "$TSA" --key k.key --log fifo b.tar
refused 2 fifo transfer --from A --to B --key fifo b.tar
refused 3 fifo transfer --from A --to B --key k.key --log fifo b.tar
refused 3 fifo log --log fifo b.tar
refused 3 dir log --log dir b.tar

# What was refused is still usable once it is a file.
run timeout 60 "$CUSTODY" verify --pubkey k.pub b.tar
expect_rc "the bundle itself verifies" 0
run timeout 10 "$CUSTODY" log b.tar
expect_rc "and its log is read" 0
make_crl ca ca.crl || exit 99
run timeout 60 "$CUSTODY" collect --no-nice --cert inv.pem --key inv.key \
    -o x.tar tree
expect_rc "collect --cert --key" 0
run timeout 60 "$CUSTODY" extract -C out --ca ca.pem --crl ca.crl x.tar
expect_rc "extract takes --crl as verify does" 0

done_testing
