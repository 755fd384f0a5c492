#!/usr/bin/env bash
# timestamp.sh: `custody timestamp` adds a token later, to the custody log,
# without rewriting the bundle (issue 4, acceptance 2).
. "$E2E_LIB"
. "$HERE/pki.sh"

SIG=signatures/tagmanifest-sha512.txt.minisig
LOG="python3 $HERE/logtool.py"

make_ca ca "/CN=Custody Test Root" || exit 99
make_tsa tsa ca || exit 99
start_tsa tsa || exit 99
make_tree tree
"$CUSTODY" keygen -o k >/dev/null || exit 99
"$CUSTODY" keygen -o clerk >/dev/null || exit 99

# Collected offline: no token anywhere.
"$CUSTODY" collect --no-nice --key k.key --evidence-id B -o b.tar tree \
    >/dev/null || exit 99
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp \
    b.tar
expect_rc "an offline bundle has no token" 1

run "$CUSTODY" timestamp --tsa "$TSA_URL" --name "T. Clerk" --key clerk.key \
    --role clerk --organisation "Lab" --reason "case ICC-1" b.tar
expect_rc "custody timestamp" 0
expect_out_match "names the log" '^log: +b\.tar\.custody$'
expect_out_match "gives the event" '^event: +1 timestamped$'
expect_out_match "gives genTime, as not yet verified" \
    '^genTime: +[0-9-]{10}T.*Z \(by the TSA; not yet verified\)$'
head=$(sed -n 's/^head: *//p' "$T/.out")
check "prints the new head digest" test "$head" = \
    "$($LOG chain b.tar.custody)"
check "the bundle was not rewritten" sha256sum --quiet -c b.tar.sha256

run "$CUSTODY" verify --pubkey k.pub --pubkey clerk.pub --tsa-ca ca.pem \
    --require-timestamp b.tar
expect_rc "verify --require-timestamp --tsa-ca with the log" 0
expect_out_match "reports the log's token" \
    '^timestamp:   custody log event 1: genTime .* by O=Custody Tests,CN=Test TSA, verified \(--tsa-ca\);'
expect_out_match "and the log" \
    "^custody log: b\\.tar\\.custody: 2 events, head $head; 2 signed by keys you trust, 0 by others\$"
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp \
    --log-head "$head" b.tar
expect_rc "and with --log-head" 0

mv b.tar.custody saved.custody
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp b.tar
expect_rc "without the log" 1
expect_out_match "which has no log" '^custody log: none$'
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp \
    --log saved.custody b.tar
expect_rc "the log given with --log" 0
mv saved.custody b.tar.custody

# Stock tools on the token in the log: openssl ts, and minisign on the
# event that holds it.
$LOG token b.tar.custody 1 0 >tok.tsr
mkdir x && tar -xf b.tar -C x || exit 99
run openssl ts -verify -data "x/B/$SIG" -in tok.tsr -CAfile ca.pem
expect_rc "openssl ts -verify accepts the token from the log" 0
$LOG event b.tar.custody 1 >ev1.json && $LOG minisig b.tar.custody 1 >ev1.minisig
run minisign -Vm ev1.json -x ev1.minisig -p clerk.pub
expect_rc "minisign verifies the event with the clerk's key" 0

# Without --key a one-time key signs: the event is reported unverified,
# and the token still counts.
run "$CUSTODY" timestamp --tsa "$TSA_URL" b.tar
expect_rc "custody timestamp with a one-time key" 0
run "$CUSTODY" verify --pubkey k.pub --pubkey clerk.pub --tsa-ca ca.pem \
    --require-timestamp b.tar
expect_rc "still verifies" 0
expect_err_match "the one-time key's event is a warning" \
    '^custody: warning: b\.tar\.custody: event 2 \(timestamped\) by \(no name\): signed by key [0-9A-F]{16}, which you have not said you trust \(--pubkey\)$'

# A token edited inside the log is refused, and so is an event whose
# recorded genTime was edited (its signature breaks).
cp b.tar.custody good.custody
$LOG edit b.tar.custody 1 '"token":"M' '"token":"N'
run "$CUSTODY" verify --pubkey k.pub --pubkey clerk.pub --tsa-ca ca.pem b.tar
expect_rc "a token edited in the log" 1
expect_err_match "names the event" \
    '^custody: custody log event 1: token: not a DER TimeStampResp'
cp good.custody b.tar.custody
$LOG edit b.tar.custody 1 '"gen_time":"2' '"gen_time":"1'
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem b.tar
expect_rc "a genTime edited in the log" 1
expect_err "names the event" \
    "custody: b.tar.custody: event 1 (timestamped): its signature does not verify: the event was altered after it was signed"
cp good.custody b.tar.custody

# A TSA that is down: nothing is added.
cp b.tar.custody before.custody
port=$(free_port)
run "$CUSTODY" timestamp --tsa "http://127.0.0.1:$port/" b.tar
expect_rc "custody timestamp with the TSA down" 1
expect_err "says why" "custody: http://127.0.0.1:$port/: Connection refused"
expect_err "and that nothing was added" \
    "custody: b.tar.custody: nothing was added"
check "the log is as it was" cmp -s before.custody b.tar.custody

# A bundle streamed over a pipe has no log: one is made, bound to it.
"$CUSTODY" collect --no-nice --key k.key --evidence-id S -o - tree \
    >s.tar 2>/dev/null || exit 99
check "a streamed bundle has no custody log" test ! -e s.tar.custody
run "$CUSTODY" timestamp --tsa "$TSA_URL" s.tar
expect_rc "custody timestamp makes the log" 0
check "event 0 binds it to the bundle" test \
    "$($LOG field s.tar.custody 0 bundle | python3 -c 'import json,sys; print(json.load(sys.stdin)["bag"])')" = S
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem --require-timestamp s.tar
expect_rc "and it verifies" 0
run "$CUSTODY" timestamp --tsa "$TSA_URL" - <s.tar
expect_rc "a bundle on standard input needs --log" 2

# An event signed by a key you do not trust is never decisive (issue 28):
# a bad token inside one is a warning, and the chain goes on after it.
"$CUSTODY" keygen -o stranger >/dev/null || exit 99
make_ca other "/CN=Another Root" || exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id C -o c.tar tree \
    >/dev/null || exit 99
run "$CUSTODY" timestamp --tsa "$TSA_URL" c.tar
expect_rc "a one-time key's token for another bundle" 0
run "$CUSTODY" verify --pubkey k.pub --tsa-ca other.pem c.tar
expect_rc "its TSA not under --tsa-ca, in an event not trusted: verifies" 0
expect_err_match "with a warning naming the event" \
    '^custody: warning: custody log event 1 \(by key [0-9A-F]{16}, not trusted\): '
$LOG resign c.tar.custody 1 stranger.key stranger.pub \
    "tokens=$($LOG field b.tar.custody 1 tokens)" || exit 99
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem c.tar
expect_rc "a stranger's valid event holding a token over other data: verifies" 0
expect_err_match "with a warning naming it" \
    "^custody: warning: custody log event 1 \\(by key $(key_id stranger.pub), not trusted\\): "
check "and no failure" bash -c "! grep -v '^custody: warning: ' \"$T/.err\" | grep -q ."
run "$CUSTODY" verify --pubkey k.pub --pubkey stranger.pub --tsa-ca ca.pem \
    c.tar
expect_rc "the same event, by a key you trust, fails" 1
expect_err_match "naming the token" '^custody: custody log event 1: '
run "$CUSTODY" transfer --from "A. Responder" --to "B. Courier" \
    --key k.key c.tar
expect_rc "a trusted transfer appends after it" 0
run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem c.tar
expect_rc "and the bundle still verifies" 0
expect_out_match "its log counted" \
    '^custody log: c\.tar\.custody: 3 events, head [0-9a-f]{64}; 2 signed by keys you trust, 1 by others$'

# Bad invocations.
run "$CUSTODY" timestamp b.tar
expect_rc "--tsa is required" 2
run "$CUSTODY" timestamp --tsa "$TSA_URL" nonexistent.tar
expect_rc "a bundle that is not there" 3
check "leaves no log behind" test ! -e nonexistent.tar.custody
head -c 3000 b.tar >cut.tar
run "$CUSTODY" timestamp --tsa "$TSA_URL" cut.tar
expect_rc "a damaged bundle" 1
check "leaves no log behind" test ! -e cut.tar.custody

stop_tsa
done_testing
