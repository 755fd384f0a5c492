#!/usr/bin/env bash
# custodylog.sh: the signed, hash-chained custody log beside a bundle
# (issue 4, acceptance 4): three hand-overs by three keys verify; any one
# event removed, reordered or edited, a log moved to another bundle, or a
# last event dropped (with --log-head) fails, naming the event.  The log is
# also checked without custody: logtool.py follows the documented format,
# and stock minisign checks each signature.
. "$E2E_LIB"

LOG="python3 $HERE/logtool.py"

make_tree tree
for k in k1 k2 k3 stranger; do
	"$CUSTODY" keygen -o $k >/dev/null || exit 99
done
run "$CUSTODY" collect --no-nice --case ICC-7 --examiner "A. Responder" \
    --evidence-id B -o b.tar tree
expect_rc "collect" 0
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
expect_out_match "the summary names the custody log and its head" \
    '^custody:    b\.tar\.custody \(1 event, head [0-9a-f]{64}\)$'
check "event 0 is sealed" test "$($LOG field b.tar.custody 0 type)" = sealed
check "by the examiner" test \
    "$($LOG field b.tar.custody 0 actor)" = '{"name": "A. Responder", "role": "collector", "organisation": null, "contact": null}'
check "for the case" test "$($LOG field b.tar.custody 0 purpose)" = ICC-7

transfer() {
	run "$CUSTODY" transfer --from "$1" --to "$2" --key "$3.key" \
	    --reason "$4" --location "Room 4" --role courier \
	    --organisation "Lab" --contact "+1 555 0100" b.tar
	HEAD=$(sed -n 's/^head: *//p' "$T/.out")
}
transfer "A. Responder" "B. Courier" k1 "to the lab"
expect_rc "transfer 1 (key 1)" 0
H1=$HEAD
transfer "B. Courier" "C. Analyst" k2 "analysis"
expect_rc "transfer 2 (key 2)" 0
H2=$HEAD
transfer "C. Analyst" "D. Vault" k3 "storage"
expect_rc "transfer 3 (key 3)" 0
H3=$HEAD
expect_out_match "names the event" '^event: +3 transferred$'
check "prints the head: the SHA-256 of the last line" test "$H3" = \
    "$(tail -n 1 b.tar.custody | tr -d '\n' | sha256sum | cut -d' ' -f1)"
check "three different heads" test "$H1" != "$H2" -a "$H2" != "$H3"

TRUST="--trusted-key-id $ID --pubkey k1.pub --pubkey k2.pub --pubkey k3.pub"
run "$CUSTODY" verify $TRUST b.tar
expect_rc "verify with all three keys trusted" 0
expect_out_match "reports the log: events, head, trust" \
    "^custody log: b\\.tar\\.custody: 4 events, head $H3; 4 signed by keys you trust, 0 by others\$"
run "$CUSTODY" verify $TRUST --log-head "$H3" b.tar
expect_rc "--log-head with the printed head" 0
run "$CUSTODY" verify --trusted-key-id "$ID" --pubkey k1.pub --pubkey k3.pub \
    b.tar
expect_rc "a key not trusted is a warning, not a failure" 0
expect_err "naming the event" \
    "custody: warning: b.tar.custody: event 2 (transferred) by B. Courier: signed by key $(key_id k2.pub), which you have not said you trust (--pubkey)"
expect_out_match "and counted" '; 3 signed by keys you trust, 1 by others$'
run "$CUSTODY" verify --pubkey k1.pub --pubkey k2.pub --pubkey k3.pub b.tar
expect_rc "the bundle's one-time key is not trusted by --pubkey alone" 1

# Without custody's code.
check "the chain holds for an independent reader" test \
    "$($LOG chain b.tar.custody)" = "$H3"
for n in 1 2 3; do
	$LOG event b.tar.custody $n >ev.json
	$LOG minisig b.tar.custody $n >ev.minisig
	run minisign -Vm ev.json -x ev.minisig -p k$n.pub
	expect_rc "minisign verifies event $n with key $n" 0
done
$LOG event b.tar.custody 0 >ev.json
$LOG minisig b.tar.custody 0 >ev.minisig
$LOG pub b.tar.custody 0 >ev0.pub
run minisign -Vm ev.json -x ev.minisig -p ev0.pub
expect_rc "minisign verifies event 0 with the seal key" 0
check "event 0 is signed by the bundle's one-time seal key" test \
    "$($LOG field b.tar.custody 0 key_id)" = "$ID"

# custody log: a readable form, not verified.
run "$CUSTODY" log b.tar
expect_rc "custody log" 0
expect_out_match "says it verifies nothing" '^NOT VERIFIED: '
expect_out_match "gives the head" "^head: +$H3\$"
expect_out_match "lists a hand-over" '^#2   transferred +[0-9-]{10}T'
expect_out_match "with who from" '^    from +B\. Courier$'
run "$CUSTODY" log --json b.tar
check "custody log --json" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["count"] == 4 and d["head"] == sys.argv[2]
assert [e["event"]["type"] for e in d["events"]] == ["sealed"] + ["transferred"] * 3
' "$T/.out" "$H3"

# Tampering, each on a fresh copy; verify must fail and name the event.
bad() {
	cp b.tar.custody good.custody
	$LOG "$1" b.tar.custody "${@:2}" || exit 99
}
restore() {
	cp good.custody b.tar.custody
}
fails() {
	run "$CUSTODY" verify $TRUST b.tar
	expect_rc "$1" 1
	expect_err "$1: names the event" "custody: b.tar.custody: $2"
	restore
}
bad drop 2
fails "event 2 deleted" \
    "event 3 (transferred): its sequence number is 3 where 2 was expected: an event before it was removed, or events were reordered"
bad drop 0
fails "event 0 deleted" \
    "event 1 (transferred): its sequence number is 1 where 0 was expected: an event before it was removed, or events were reordered"
bad swap 1 2
fails "events 1 and 2 reordered" \
    "event 2 (transferred): its sequence number is 2 where 1 was expected: an event before it was removed, or events were reordered"
bad edit 2 '"to":"C. Analyst"' '"to":"X. Thief"'
fails "event 2 edited" \
    "event 2 (transferred): its signature does not verify: the event was altered after it was signed"
bad edit 3 'storage' 'shredder'
fails "the last event edited" \
    "event 3 (transferred): its signature does not verify: the event was altered after it was signed"
bad edit 0 '"name":"A. Responder"' '"name":"Z. Nobody"'
fails "event 0 edited" \
    "event 0 (sealed): its signature does not verify: the event was altered after it was signed"
cp b.tar.custody good.custody
python3 -c '
import sys
p = sys.argv[1]
ls = open(p, "rb").read().split(b"\n")
ls[1] = ls[1].replace(b"{\"event\"", b"{ \"event\"", 1)
open(p, "wb").write(b"\n".join(ls))
' b.tar.custody
fails "a line's bytes changed outside its signed event" \
    "event 2 (transferred): it does not chain to event 1 (its \"prev\" is not the SHA-256 of the line before): that line was altered, removed or moved"
head -c -1 b.tar.custody >cut.custody && cp b.tar.custody good.custody &&
    mv cut.custody b.tar.custody
fails "the last line cut short" \
    "line 4 does not end with a newline (cut short?)"

# A key dressed as another: the last event re-signed by a stranger's key,
# naming key 2's ID in its "key_id", its key blob and its signature.  Only
# an ID derived from the key tells them apart.
K2=$(key_id k2.pub)
KS=$(key_id stranger.pub)
bad resign 3 stranger.key stranger.pub "$K2"
run "$CUSTODY" log b.tar
expect_rc "custody log refuses an event whose key is not the one it names" 1
expect_err "and says both IDs" \
    "custody: b.tar.custody: line 4: event 3 (transferred): \"public_key\": claims key ID $K2 but its key is $KS"
fails "an event naming a trusted key's ID, made by another key" \
    "line 4: event 3 (transferred): \"public_key\": claims key ID $K2 but its key is $KS"
bad edit 3 "\"key_id\":\"$(key_id k3.pub)\"" "\"key_id\":\"$K2\""
fails "an event whose key_id names another key than its own" \
    "line 4: event 3 (transferred): \"key_id\": claims key ID $K2 but its key is $(key_id k3.pub)"
run "$CUSTODY" log b.tar
for n in 1 2 3; do
	check "custody log prints event $n's key ID as derived from its key" \
	    grep -qx "    key          $(key_id k$n.pub)" "$T/.out"
done

# The log of another bundle.
"$CUSTODY" collect --no-nice --evidence-id B -o b2.tar tree >/dev/null ||
    exit 99
ID2=$("$CUSTODY" verify b2.tar | sed -n 's/^seal key: *\([0-9A-F]\{16\}\),.*/\1/p')
cp b.tar.custody moved.custody
run "$CUSTODY" verify --trusted-key-id "$ID2" $TRUST --log moved.custody b2.tar
expect_rc "a log moved to another bundle" 1
expect_err_match "names event 0" \
    '^custody: moved\.custody: event 0 \(sealed\): bound to another bundle \(bag B, tag manifest SHA-512 [0-9a-f]{16}\.\.\.\), not to this one \(bag B, [0-9a-f]{16}\.\.\.\)$'

# The last event dropped: only --log-head can tell.
cp b.tar.custody good.custody
head -n 3 good.custody >b.tar.custody
run "$CUSTODY" verify $TRUST b.tar
expect_rc "the last event dropped, without --log-head, cannot be seen" 0
expect_out_match "but the report gives the head, which differs" \
    "^custody log: b\\.tar\\.custody: 3 events, head $H2;"
run "$CUSTODY" verify $TRUST --log-head "$H3" b.tar
expect_rc "the last event dropped, with --log-head" 1
expect_err "names where the log now ends" \
    "custody: b.tar.custody: the log ends at event 2 (transferred) (head $H2), and no line of it is the head --log-head names: events were removed from its end, or it was altered"
restore
run "$CUSTODY" verify $TRUST --log-head "$H2" b.tar
expect_rc "a log that goes on after --log-head" 1
expect_err "says how far" \
    "custody: b.tar.custody: the log goes on after event 2 (transferred), where --log-head says it ends (1 events after it)"
run "$CUSTODY" verify $TRUST --log-head nothex b.tar
expect_rc "--log-head must be a SHA-256" 2

# transfer refuses to extend a broken log, and bad invocations.
cp b.tar.custody good.custody
$LOG drop b.tar.custody 1
run "$CUSTODY" transfer --from D --to E --key k1.key b.tar
expect_rc "transfer onto a broken log" 1
expect_err "says why" \
    "custody: b.tar.custody: event 2 (transferred): its sequence number is 2 where 1 was expected: an event before it was removed, or events were reordered"
restore
run "$CUSTODY" transfer --from D --to E b.tar
expect_rc "transfer without --key" 2
run "$CUSTODY" transfer --to E --key k1.key b.tar
expect_rc "transfer without --from" 2
run "$CUSTODY" transfer --from "$(printf 'D\nE')" --to E --key k1.key b.tar
expect_rc "a name with a line break" 1
expect_err "is refused" "custody: name: control characters are not allowed"
check "and nothing was added" cmp -s good.custody b.tar.custody
run "$CUSTODY" transfer --from D --to E --key k1.pub b.tar
expect_rc "a public key is no signing key" 2
run "$CUSTODY" log nothing.tar
expect_rc "custody log with no log" 3

# A valid event by a key nobody trusts, dated 9999 (issue 28): anyone who
# can write the file can add one.  It fails nothing and blocks nothing; it
# is named, and time is ordered among the trusted events only.
run "$CUSTODY" transfer --from "S. Tranger" --to "Nobody" \
    --key stranger.key b.tar
expect_rc "a stranger's transfer" 0
$LOG resign b.tar.custody 4 stranger.key stranger.pub \
    'time="9999-12-31T23:59:59.000000000Z"' || exit 99
$LOG event b.tar.custody 4 >ev.json
$LOG minisig b.tar.custody 4 >ev.minisig
run minisign -Vm ev.json -x ev.minisig -p stranger.pub
expect_rc "the event dated 9999 is validly signed by the stranger" 0
run "$CUSTODY" verify $TRUST b.tar
expect_rc "a stranger's event dated 9999 leaves verify at 0" 0
expect_err "named as implausible" \
    "custody: warning: b.tar.custody: event 4 (transferred): dated 9999-12-31T23:59:59.000000000Z, after this machine's clock: an implausible time, by a key you do not trust, and not used to order the events after it"
transfer "D. Vault" "E. Court" k3 "trial"
expect_rc "a trusted transfer after it is appended" 0
expect_err_match "with a warning naming it" \
    "^custody: warning: b\\.tar\\.custody: event 4, by key $(key_id stranger.pub), is dated 9999-12-31T23:59:59\\.000000000Z, after this clock "
H5=$HEAD
run "$CUSTODY" verify $TRUST --log-head "$H5" b.tar
expect_rc "the log verifies to its new head" 0
expect_out_match "counting the stranger apart" \
    "^custody log: b\\.tar\\.custody: 6 events, head $H5; 5 signed by keys you trust, 1 by others\$"
check "the trusted event after it is dated now" test \
    "$($LOG field b.tar.custody 5 time | cut -c1-4)" = "$(date -u +%Y)"
# A key's own event dated 9999 still stops that key's appender: its clock
# is wrong.  verify names it, and orders the trusted events after it.
$LOG resign b.tar.custody 5 k3.key k3.pub \
    'time="9999-12-31T23:59:59.000000000Z"' || exit 99
run "$CUSTODY" transfer --from "E. Court" --to "F. Archive" --key k3.key b.tar
expect_rc "a key's own event dated 9999 stops its next transfer" 1
expect_err_match "saying to set the clock" \
    "^custody: b\\.tar\\.custody: this clock says .*, before event 5's time 9999-12-31T23:59:59\\.000000000Z: set the clock\$"
run "$CUSTODY" verify $TRUST b.tar
expect_rc "verify: a trusted key's event dated 9999 is only named" 0
expect_err "as implausible" \
    "custody: warning: b.tar.custody: event 5 (transferred): dated 9999-12-31T23:59:59.000000000Z, after this machine's clock: an implausible time"

done_testing
