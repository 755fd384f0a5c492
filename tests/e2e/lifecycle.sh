#!/usr/bin/env bash
# lifecycle.sh: the output's life (issue 21, item 3).  Until it is sealed
# the bundle has no name (an O_TMPFILE) or NAME.partial; only a sealed
# bundle takes NAME, and nothing sealed is ever removed: 30 SIGKILLs at
# random moments, signals delivered exactly when the name is given (strace
# injects them), and an interrupted stream.
. "$E2E_LIB"

mkdir small big out
printf 'evidence\n' >small/a.txt
# About 0.4 s of collecting (zeros: compressed to nothing, so the disk is
# not written).
truncate -s 64M big/zeros
printf 'x\n' >big/x.txt

# intact BUNDLE: verify says intact (0, or 4: the one-time key is not one
# we trust); zeros expand past the bomb bound, hence --max-expansion 0.
intact() {
	"$CUSTODY" verify --max-expansion 0 "$1" >/dev/null 2>&1
	case $? in 0 | 4) return 0 ;; *) return 1 ;; esac
}

# after_kill NAME: what a killed collection may leave in out/: NAME only
# if it verifies, its sidecars only beside it (and whole), and nothing
# else at all (the unnamed bundle and spools went with the process).
after_kill() {
	local n=$1 f
	for f in out/* out/.[!.]*; do
		[ -e "$f" ] || continue
		case ${f#out/} in
		"$n" | "$n.sha256" | "$n.custody") ;;
		*) echo "# left: $f"; return 1 ;;
		esac
	done
	if [ -e "out/$n" ]; then
		intact "out/$n" || { echo "# out/$n does not verify"; return 1; }
		if [ -e "out/$n.sha256" ]; then
			(cd out && sha256sum -c --status "$n.sha256") ||
			    { echo "# $n.sha256 is wrong"; return 1; }
		fi
	elif [ -e "out/$n.sha256" ] || [ -e "out/$n.custody" ]; then
		echo "# a sidecar without out/$n"
		return 1
	fi
}

sealed=0
for i in $(seq 1 30); do
	n=k$i.tar.zst
	delay=0.$(printf %03d $((RANDOM % 400)))
	"$CUSTODY" collect --no-nice -o "out/$n" big >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
	[ -e "out/$n" ] && sealed=$((sealed + 1))
	check "kill -9 after ${delay}s: out/$n only if it verifies, nothing else" \
	    after_kill "$n"
	rm -f out/*
done
echo "# $sealed of 30 had sealed their bundle before the kill"

# A collection that completes leaves the bundle, its sidecars and nothing
# else.
run "$CUSTODY" collect --no-nice -o out/whole.tar small
expect_rc "a whole collection" 0
check "leaves the bundle and its two sidecars, and nothing else" \
    test "$(cd out && echo *)" = "whole.tar whole.tar.custody whole.tar.sha256"
check "which verify" bash -c "cd out && sha256sum -c --status whole.tar.sha256"
run "$CUSTODY" collect --no-nice -o out/whole.tar small
expect_rc "a second collection to the same name is refused" 3
expect_err "and says why" "custody: out/whole.tar.sha256: File exists"
rm -f out/*

# --- a signal at the very moment the bundle is named (strace injects it
# into the call that names it), or at the first call after.  strace
# follows the main thread alone (no -f), the one that names the bundle,
# so that a call's number counts its calls only.
if [ -n "${CUSTODY_WRAPPER:-}" ] || ! command -v strace >/dev/null; then
	ok "signals after sealing # SKIP no strace, or under valgrind"
	skip_strace=yes
fi
# traced OUT ARGS...: collect small/ into OUT under strace, with ARGS for
# it (LeakSanitizer cannot run under ptrace); the calls in trace.txt.
traced() {
	local o=$1
	shift
	run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -qq -o "$T/trace.txt" "$@" "$CUSTODY" collect --no-nice \
	    -o "$o" small
}

# nth CALL PATTERN: the number of the first CALL in trace.txt whose line
# matches PATTERN, among the CALLs only.
nth() {
	grep -E "^$1\(" trace.txt | grep -nE -- "$2" | head -1 | cut -d: -f1
}

# sealed_kept SIG OUT: the collection ended by SIG, said so, and left OUT
# sealed, verifying, with its sidecars.
sealed_kept() {
	expect_rc "$1: ends as the signal says" $((128 + $(kill -l "$1")))
	expect_err "$1: and says the sealed bundle was kept" \
	    "custody: interrupted once the bundle was sealed: it and what was written beside it are kept"
	check "$1: $2 is there and verifies" intact "$2"
	check "$1: with its checksum and custody log" bash -c \
	    "cd out && sha256sum -c --status '${2#out/}.sha256' &&
	    test -s '${2#out/}.custody'"
}

if [ -z "${skip_strace:-}" ]; then
	traced out/t1.tar -e trace=linkat,renameat2,fsync \
	    -e inject=linkat,renameat2:signal=TERM:when=1
	check "SIGTERM came with the call that named the bundle" \
	    grep -qE '^(linkat|renameat2)\(.*"t1.tar".* = 0' trace.txt
	sealed_kept TERM out/t1.tar
	# The next call: the directory made durable, the fsync after it.
	k=$(sed -n '/"t1.tar"/,$p' trace.txt | grep -c '^fsync(' )
	k=$(( $(grep -c '^fsync(' trace.txt) - k + 1 ))
	traced out/t2.tar -e trace=fsync,linkat \
	    -e inject=fsync:signal=INT:when=$k
	check "SIGINT came with the call after the naming one" bash -c \
	    "grep -A1 '\"t2.tar\"' trace.txt | tail -1 | grep -q '^fsync('"
	sealed_kept INT out/t2.tar
	rm -f out/*

	# Where the filesystem has no O_TMPFILE (strace fails that open
	# with EOPNOTSUPP), the bundle is NAME.partial until sealed, then
	# renamed, never over a file.
	traced out/probe.tar -e trace=openat
	k=$(nth openat O_TMPFILE)
	rm -f out/*
	nofile="-e inject=openat:error=EOPNOTSUPP:when=$k"
	traced out/p1.tar -e trace=openat,renameat2 $nofile
	expect_rc "no O_TMPFILE: a whole collection" 0
	check "no O_TMPFILE: written as p1.tar.partial, renamed p1.tar" \
	    grep -qE '^renameat2\(.*"p1.tar.partial", .*"p1.tar", RENAME_NOREPLACE\) = 0' \
	    trace.txt
	check "no O_TMPFILE: the bundle verifies, no .partial is left" \
	    bash -c "cd out && sha256sum -c --status p1.tar.sha256 &&
	    test ! -e p1.tar.partial"
	traced out/p2.tar -e trace=openat,renameat2 $nofile \
	    -e inject=renameat2:signal=TERM:when=1
	sealed_kept TERM out/p2.tar
	check "no O_TMPFILE: and no .partial is left" \
	    test ! -e out/p2.tar.partial
	# Killed outright as it is named: at most the .partial.
	traced out/p3.tar -e trace=openat,renameat2 $nofile \
	    -e inject=renameat2:signal=KILL:when=1
	check "no O_TMPFILE: SIGKILL before the naming leaves the .partial" \
	    test "$(cd out && echo p3*)" = "p3.tar.partial"
	# Interrupted before the seal: the .partial is removed.
	traced out/p4.tar -e trace=openat,fsync $nofile \
	    -e inject=fsync:signal=INT:when=1
	expect_rc "no O_TMPFILE: interrupted before the seal" 130
	expect_err "and says the partial bundle was removed" \
	    "custody: interrupted: partial bundle removed, nothing was sealed"
	check "and no p4 file is left" bash -c "! ls out | grep -q p4"
	touch out/p5.tar.partial
	traced out/p5.tar -e trace=openat $nofile
	expect_rc "no O_TMPFILE: a .partial already there is not replaced" 3
	expect_err_match "and is named" '^custody: out/p5.tar.partial: File exists'
	check "and is left alone" test -e out/p5.tar.partial
	rm -f out/*
fi

# --- an interrupted stream: the receiver holds what was sent, nothing
# was removed.  The signal comes with the first write of a thread (-f),
# which cannot be the last of the stream.
if [ -z "${skip_strace:-}" ]; then
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -o /dev/null -e trace=write \
	    -e inject=write:signal=INT:when=1 "$CUSTODY" collect --no-nice \
	    -o - big 2>stream.err >stream.tar
	check "an interrupted stream exits 130" test $? -eq 130
	check "and says the receiver holds an incomplete stream" grep -qx \
	    'custody: interrupted: the receiver holds an incomplete stream, which will not verify; nothing was sealed' \
	    stream.err
	check "never that anything was removed" \
	    bash -c "! grep -q removed stream.err"
	run "$CUSTODY" verify stream.tar
	expect_rc "and what it holds does not verify" 1
fi

done_testing
