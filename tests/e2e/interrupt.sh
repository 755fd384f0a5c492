#!/usr/bin/env bash
# interrupt.sh: a collection stopped by a signal, a full disk or a file
# size limit never leaves a bundle that verifies as complete, and says
# what happened (hostile host issue, acceptance 8).
. "$E2E_LIB"

# 128 MiB to collect, read at 64 MB/s (about 2 s): eight 16 MiB files,
# written, not sparse (a sparse file's holes are not read, and would end
# the collection before most signals).
mkdir big
for i in 1 2 3 4 5 6 7 8; do
	head -c 16777216 /dev/zero >"big/part$i"
	printf 'marker %d' "$i" | dd of="big/part$i" bs=1 seek=1000 conv=notrunc \
	    2>/dev/null
done

# reading PID: true once custody PID or its child holds a file of big/
# open, so once the collection reads (its signal handlers are in place by
# then), or once PID has ended.
reading() {
	local p
	for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		find "/proc/$p/fd" -lname "$T/big/*" 2>/dev/null | grep -q . &&
		    return 0
	done
	[ ! -e "/proc/$1" ] || [ "$(field "$1" 3)" = Z ]
}

# interrupt SIGNAL ROUND [EXT]: start a collection into int-ROUND.EXT (tar
# by default), signal it at a random moment once it reads.
interrupt() {
	local out="int-$2.${3:-tar}" delay pid rc
	delay=$(python3 -c "import random; print(round(random.uniform(0.05, 2.0), 2))")
	"$CUSTODY" collect --max-rate 64 -o "$out" big >"int-$2.out" \
	    2>"int-$2.err" &
	pid=$!
	wait_for 120 reading "$pid"
	sleep "$delay"
	kill -s "$1" "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		# It finished before the signal: then it must be whole.
		check "round $2 ($1 after ${delay}s): finished first, and verifies" \
		    bash -c "'$CUSTODY' verify --max-expansion 0 '$out' \
		    >/dev/null 2>&1; test \$? -eq 4"
		return
	fi
	if grep -q '^custody: interrupted once the bundle was sealed' \
	    "int-$2.err"; then
		# It came after the seal (output.c defers it): the bundle
		# and its sidecars are kept whole, and the exit says so.
		check "round $2 ($1 after ${delay}s): sealed first, then exit 128+signal" \
		    test "$rc" -eq $((128 + $(kill -l "$1")))
		check "round $2: the sealed bundle is kept, and verifies" \
		    bash -c "'$CUSTODY' verify --max-expansion 0 '$out' \
		    >/dev/null 2>&1; test \$? -eq 4"
		check "round $2: with its sidecar" test -s "$out.sha256"
		return
	fi
	check "round $2 ($1 after ${delay}s): exit 128+signal" \
	    test "$rc" -eq $((128 + $(kill -l "$1")))
	check "round $2: no partial bundle is left" test ! -e "$out"
	check "round $2: no sidecar is left" test ! -e "$out.sha256"
	check "round $2: the terminal says so" grep -qx \
	    'custody: interrupted: partial bundle removed, nothing was sealed' \
	    "int-$2.err"
}
for round in 1 2 3; do interrupt INT "$round"; done
interrupt TERM 4
# Through zstd, whose output is written by a thread of its own.
interrupt INT 5 tar.zst
interrupt TERM 6 tar.zst

# Interrupted while streaming: what was sent never verifies.  The stream
# (16 MiB of random data, which no form stores smaller) goes through a
# FIFO whose reader takes 100,000 bytes and then reads no more: the
# collector, blocked on the full pipe, cannot have finished when the
# signal comes, however fast the machine.
mkdir dense
for i in 1 2 3 4; do
	head -c 4194304 /dev/urandom >"dense/part$i"
done
mkfifo stream.fifo
"$CUSTODY" collect -o - dense 2>/dev/null >stream.fifo &
pid=$!
exec 3<stream.fifo
head -c 100000 <&3 >stream.tar
kill -INT $pid
wait $pid
rc=$?
exec 3<&-
check "an interrupted stream exits 130" test $rc -eq 130
run "$CUSTODY" verify stream.tar
expect_rc "and what it sent does not verify" 1

# A hang-up that the caller ignores, as nohup has it, is ignored: the
# collection goes on to the end, niced (custody and its child) or not.
mkdir calm
head -c 3000000 /dev/urandom >calm/random
for nice in --nice --no-nice; do
	bash -c "trap '' HUP; exec '$CUSTODY' collect $nice --max-rate 3 \
	    -o hup$nice.tar calm" >hup.out 2>hup.err &
	pid=$!
	child=
	if [ $nice = --nice ] &&
	    [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ]
	then
		child=$(child_of $pid)
	else
		sleep 0.3
	fi
	kill -HUP $pid $child
	wait $pid
	check "$nice: a hang-up the caller ignores: exit 0" test $? -eq 0
	check "$nice: and the bundle is whole" \
	    bash -c "sha256sum -c hup$nice.tar.sha256 >/dev/null"
done

# A full disk: a 2 MiB filesystem of our own, or failing that a file size
# limit.  Either way the bundle cannot be written whole.
mkdir small data
head -c 8000000 /dev/urandom >data/random
if mount -t tmpfs -o size=2m tmpfs small 2>/dev/null; then
	trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
	for b in b.tar b.tar.zst; do
		run "$CUSTODY" collect -o "small/$b" data
		expect_rc "$b: a full filesystem is fatal" 3
		expect_err "$b: the terminal names the cause" \
		    "custody: small/$b: No space left on device"
		expect_err "$b: and says the bundle was removed" \
		    "custody: small/$b: removed: the bundle was not sealed"
		check "$b: no partial bundle is left on it" test ! -e "small/$b"
	done
	umount small
fi
for b in capped.tar capped.tar.zst; do
	run bash -c "ulimit -f 2048; exec '$CUSTODY' collect -o $b data"
	expect_rc "$b: a file size limit is fatal" 3
	expect_err "$b: the terminal names the cause" \
	    "custody: $b: File too large"
	check "$b: no partial bundle is left" test ! -e "$b"
done

done_testing
