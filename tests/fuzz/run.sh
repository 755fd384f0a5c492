#!/bin/sh
# run.sh [-t SECONDS] [-j JOBS] [-p TARGETS] BUILD_DIR [TARGET...]: run
# libFuzzer targets built with -Dfuzz=true in BUILD_DIR, each for SECONDS
# (default 15) with JOBS parallel jobs (default 1), TARGETS of them at a
# time (default 1), from its seeds, its regression inputs and the corpus
# it grew before (BUILD_DIR/fuzz/TARGET/corpus).  Each target gets its
# SECONDS whatever -p says: -p only overlaps them, as CI does on two
# cores.  Without TARGET, every target runs.  A crash, a leak, a timeout or a
# broken property fails the target; its input is left in
# BUILD_DIR/fuzz/TARGET/crashes/ and belongs, once fixed, in
# tests/fuzz/regress/TARGET/.  Prints one line per target and writes the
# results, as meson's testlog.json does, to BUILD_DIR/fuzz/results.json.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SECONDS_EACH=15
JOBS=1
PAR=1
usage() {
	echo "usage: run.sh [-t SECONDS] [-j JOBS] [-p TARGETS] BUILD_DIR" \
	    "[TARGET...]" >&2
	exit 2
}
while getopts t:j:p: opt; do
	case $opt in
	t) SECONDS_EACH=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	p) PAR=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
BUILD=$(cd "$1" && pwd)
shift
ALL="verify verify_zstd scan manifest records taglines minisign escape
custody_log tsa cms differential"
[ $# -gt 0 ] || set -- $ALL

# name -> seed directory and dictionary
seeds() {
	case $1 in
	verify|verify_zstd|scan) echo bundles ;;
	*) echo "$1" ;;
	esac
}
dict() {
	case $1 in
	verify|verify_zstd|scan) echo bundle ;;
	records|taglines|manifest|minisign) echo "$1" ;;
	*) echo "" ;;
	esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$BUILD/fuzz"
results=$BUILD/fuzz/results.json
: >"$results"
for t in "$@"; do
	if [ ! -x "$BUILD/tests/fuzz/fuzz-$t" ]; then
		echo "fuzz $t: no $BUILD/tests/fuzz/fuzz-$t (build with" \
		    "-Dfuzz=true and clang)" >&2
		exit 2
	fi
done

# fuzz TARGET: run it; its summary goes to $w/summary, its result (OK or
# FAIL) to $w/result.
fuzz() {
	t=$1
	bin=$BUILD/tests/fuzz/fuzz-$t
	w=$BUILD/fuzz/$t
	rm -f "$w/summary" "$w/result"
	mkdir -p "$w/corpus" "$w/crashes"
	d=$(dict "$t")
	set -- -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2560 \
	    -print_final_stats=1 -artifact_prefix="$w/crashes/"
	[ -z "$d" ] || set -- "$@" -dict="$HERE/dict/$d.dict"
	if [ "$JOBS" -gt 1 ]; then
		set -- "$@" -jobs="$JOBS" -workers="$JOBS"
	fi
	rc=0
	(cd "$w" && "$bin" "$@" corpus "$HERE/seeds/$(seeds "$t")" \
	    "$HERE/regress/$t") >"$w/log" 2>&1 || rc=$?
	# -jobs writes each job's output to fuzz-N.log
	cat "$w"/fuzz-*.log >>"$w/log" 2>/dev/null || :
	rm -f "$w"/fuzz-*.log
	line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$w/log" | tail -1)
	cov=$(echo "$line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	eps=$(echo "$line" | sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p')
	runs=$(grep -E '^stat::number_of_executed_units' "$w/log" |
	    awk '{ n += $2 } END { print n + 0 }')
	res=OK
	[ "$rc" -eq 0 ] || res=FAIL
	{
		printf 'fuzz %-12s %-4s %s runs, %s exec/s, cov %s edges\n' \
		    "$t" "$res" "$runs" "${eps:-?}" "${cov:-?}"
		if [ "$res" = FAIL ]; then
			grep -E 'ERROR|SUMMARY|property broken|Test unit' \
			    "$w/log" | head -20 | sed 's/^/    /'
			echo "    log: $w/log"
		fi
	} >"$w/summary"
	echo "$res" >"$w/result"
}

# PAR targets at a time (each runs for the same time), in the order
# given; then their lines in that order.
running=0
for t in "$@"; do
	if [ "$running" -ge "$PAR" ]; then
		wait
		running=0
	fi
	fuzz "$t" &
	running=$((running + 1))
done
wait
failed=0
for t in "$@"; do
	w=$BUILD/fuzz/$t
	cat "$w/summary" 2>/dev/null || echo "fuzz $t: no summary"
	res=$(cat "$w/result" 2>/dev/null || echo FAIL)
	[ "$res" = OK ] || failed=1
	printf '{"name": "fuzz-%s", "result": "%s"}\n' "$t" "$res" \
	    >>"$results"
done
exit $failed
