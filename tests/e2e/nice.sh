#!/usr/bin/env bash
# nice.sh: under --nice (the default) the collection runs in a session, so
# an autogroup, of its own at nice 19, so that it yields to the work of
# other sessions and not only to its own session's; the caller's session
# is left as it was; signals sent to custody reach the collection; and
# --no-nice keeps the caller's session and priority.
. "$E2E_LIB"

if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" != 1 ]
then
	ok "# SKIP the kernel does not group sessions (no autogroups)"
	done_testing
	exit
fi

# gone PID: true once PID has ended or is a zombie.
gone() {
	[ ! -e "/proc/$1" ] || [ "$(field "$1" 3)" = Z ]
}
# state_is PID S: true when PID is in state S (T stopped, S sleeping...).
state_is() {
	[ "$(field "$1" 3)" = "$2" ]
}
state_not() {
	local s
	s=$(field "$1" 3) && [ "$s" != "$2" ]
}
# reading PID FILE: true while PID holds FILE open, that is while the
# collection is under way.
reading() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

# Whatever fails, no collection outlives the test (a stopped one would
# hold the test's output open).
started=
trap 'kill -KILL $started 2>/dev/null; chmod -R u+rwx "$T" 2>/dev/null
rm -rf "$T"' EXIT

# The collections this test signals read slow/big, 100 MB at 1 MB/s:
# they cannot end by themselves during the test however fast or slow the
# machine is, so every signal finds them at work, and the test waits for
# states, never for a length of time.  Written, not sparse: the holes of
# a sparse file are not read, so --max-rate would not slow them.
mkdir tree slow
head -c 3000 /dev/urandom >tree/a
head -c 100000000 /dev/zero >slow/big
big=$(readlink -f slow/big)
ours=$(cat /proc/$$/autogroup)

"$CUSTODY" collect --max-rate 1 -o n.tar slow >n.out 2>n.err &
pid=$!
child=$(child_of $pid)
started="$started $pid $child"
check "the collection runs in a child" test -n "$child"
check "in a session of its own" test "$(field "$child" 6)" = "$child"
check "its autogroup at nice 19" grep -q ' nice 19$' "/proc/$child/autogroup"
check "and it at nice 19" test "$(field "$child" 19)" = 19
check "the caller's autogroup is not touched" \
    test "$(cat /proc/$$/autogroup)" = "$ours"
wait_for 60 reading "$child" "$big"
kill -TSTP $pid
check "SIGTSTP pauses the collection" wait_for 60 state_is "$child" T
check "and custody" wait_for 60 state_is $pid T
kill -CONT $pid
check "SIGCONT has it go on" wait_for 60 state_not "$child" T
check "still at work" reading "$child" "$big"
kill -INT $pid
wait $pid
check "SIGINT to custody ends the collection: exit 130" test $? -eq 130
check "the child is gone" wait_for 60 gone "$child"
check "no partial bundle is left" test ! -e n.tar
check "the terminal says so" grep -qx \
    'custody: interrupted: partial bundle removed, nothing was sealed' n.err

# Killed outright, custody cannot pass anything on: the child stops as
# on SIGTERM.
"$CUSTODY" collect --max-rate 1 -o k.tar slow >k.out 2>k.err &
pid=$!
child=$(child_of $pid)
started="$started $pid $child"
check "a second collection is at work" wait_for 60 reading "$child" "$big"
kill -KILL $pid
wait $pid 2>/dev/null
check "custody killed: the collection stops too" wait_for 60 gone "$child"
check "and leaves no partial bundle" test ! -e k.tar

run "$CUSTODY" collect -o done.tar tree
expect_rc "a collection run to the end: exit 0" 0
check "acquisition.json records the autogroup" bash -c "tar -xOf done.tar \
    --wildcards '*/metadata/acquisition.json' | python3 -c 'import json, sys
r = json.load(sys.stdin)[\"resources\"]
sys.exit(not (r[\"autogroup_nice_19\"] is True and r[\"nice_19\"] is True))'"

"$CUSTODY" collect --no-nice --max-rate 1 -o p.tar slow >p.out 2>p.err &
pid=$!
started="$started $pid"
check "--no-nice: the collection is at work" wait_for 60 reading $pid "$big"
check "--no-nice: in the caller's session" \
    test "$(field $pid 6)" = "$(field $$ 6)"
check "--no-nice: no child" test -z "$(for p in /proc/[0-9]*; do
    parent_is "${p#/proc/}" $pid && echo x; done)"
kill -INT $pid
wait $pid
check "--no-nice: SIGINT, exit 130" test $? -eq 130

run "$CUSTODY" collect --no-nice -o plain.tar tree
check "--no-nice: acquisition.json records neither" bash -c "tar -xOf \
    plain.tar --wildcards '*/metadata/acquisition.json' | python3 -c '
import json, sys
r = json.load(sys.stdin)[\"resources\"]
sys.exit(not (r[\"autogroup_nice_19\"] is False and r[\"nice_19\"] is False))'"

done_testing
