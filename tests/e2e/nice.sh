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

# gone PID: true once PID has ended (5 s).
gone() {
	local i
	for i in $(seq 50); do
		[ -e "/proc/$1" ] || return 0
		[ "$(field "$1" 3)" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# Whatever fails, no collection outlives the test (a stopped one would
# hold the test's output open).
started=
trap 'kill -KILL $started 2>/dev/null; chmod -R u+rwx "$T" 2>/dev/null
rm -rf "$T"' EXIT

mkdir tree
head -c 3000000 /dev/urandom >tree/a
ours=$(cat /proc/$$/autogroup)

# --max-rate 1 makes the 3 MB take about three seconds.
"$CUSTODY" collect --max-rate 1 -o n.tar tree >n.out 2>n.err &
pid=$!
child=$(child_of $pid)
started="$started $pid $child"
check "the collection runs in a child" test -n "$child"
check "in a session of its own" test "$(field "$child" 6)" = "$child"
check "its autogroup at nice 19" grep -q ' nice 19$' "/proc/$child/autogroup"
check "and it at nice 19" test "$(field "$child" 19)" = 19
check "the caller's autogroup is not touched" \
    test "$(cat /proc/$$/autogroup)" = "$ours"
kill -TSTP $pid
sleep 0.3
check "SIGTSTP pauses the collection" test "$(field "$child" 3)" = T
check "and custody" test "$(field $pid 3)" = T
kill -CONT $pid
sleep 0.3
check "SIGCONT has it go on" test "$(field "$child" 3)" != T
kill -INT $pid
wait $pid
check "SIGINT to custody ends the collection: exit 130" test $? -eq 130
check "the child is gone" gone "$child"
check "no partial bundle is left" test ! -e n.tar
check "the terminal says so" grep -qx \
    'custody: interrupted: partial bundle removed, nothing was sealed' n.err

# Killed outright, custody cannot pass anything on: the child stops as
# on SIGTERM.
"$CUSTODY" collect --max-rate 1 -o k.tar tree >k.out 2>k.err &
pid=$!
child=$(child_of $pid)
started="$started $pid $child"
kill -KILL $pid
wait $pid 2>/dev/null
check "custody killed: the collection stops too" gone "$child"
check "and leaves no partial bundle" test ! -e k.tar

run "$CUSTODY" collect -o done.tar tree
expect_rc "a collection run to the end: exit 0" 0
check "acquisition.json records the autogroup" bash -c "tar -xOf done.tar \
    --wildcards '*/metadata/acquisition.json' | python3 -c 'import json, sys
r = json.load(sys.stdin)[\"resources\"]
sys.exit(not (r[\"autogroup_nice_19\"] is True and r[\"nice_19\"] is True))'"

"$CUSTODY" collect --no-nice --max-rate 1 -o p.tar tree >p.out 2>p.err &
pid=$!
started="$started $pid"
sleep 0.5
check "--no-nice: in the caller's session" \
    test "$(field $pid 6)" = "$(field $$ 6)"
check "--no-nice: no child" test -z "$(for p in /proc/[0-9]*; do
    [ "$(field "${p#/proc/}" 4)" = $pid ] && echo x; done)"
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
