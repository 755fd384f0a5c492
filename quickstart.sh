#!/bin/sh
# quickstart.sh: the two commands of the README on a fresh Debian 12 host.
#
#   ./quickstart.sh collect   install what is missing, build, and collect
#                             this machine with the built-in manifest
#   ./quickstart.sh test      install what is missing, build (plain and
#                             ASan+UBSan) and run the whole test suite,
#                             then each fuzz target briefly (clang)
#   ./quickstart.sh static    install what is missing and build the
#                             static custody (build-static/cmd/custody)
#
# Run as root: packages are installed with apt-get, and a collection of
# the whole machine needs to read what only root may read.
set -eu
cd "$(dirname "$0")"

BUILD_DEPS="gcc pkg-config meson ninja-build libarchive-dev libssl-dev
libmagic-dev libmagic-mgc libyaml-dev libjansson-dev libzstd-dev liburing-dev
check"
# The static build (the responder's kit) links libmagic.a, which needs
# these archives too; Debian's libmagic-dev does not pull them in.
STATIC_DEPS="liblzma-dev libbz2-dev zlib1g-dev"
TEST_DEPS="python3 zstd minisign sleuthkit openssl util-linux bsdutils
coreutils tar libarchive-tools mandoc time strace faketime zsh attr acl
libcap2-bin e2fsprogs hashdeep python3-jsonschema debhelper dpkg-dev
ansible-core openssh-server openssh-client"
# The libFuzzer targets of tests/fuzz (clang 14 and its runtimes).
FUZZ_DEPS="clang libclang-rt-14-dev"

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		    grep -q '^install ok installed$' || printf '%s ' "$p"
	done
}

install() {
	# shellcheck disable=SC2086
	need=$(missing $*)
	[ -z "$need" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "quickstart: missing Debian packages: $need" >&2
		echo "quickstart: run as root, or: apt-get install $need" >&2
		exit 3
	fi
	echo "quickstart: installing $need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
}

build() {
	dir=$1
	shift
	# Quiet when all is well; the whole output when something is not.
	# An existing build directory takes the options given now (a build
	# made by `collect` gets -Dkit=true from `test`).
	if [ -f "$dir/build.ninja" ]; then
		set -- configure "$dir" "$@"
	else
		set -- setup "$dir" -Dwerror=true "$@"
	fi
	if ! meson "$@" >"$dir.log" 2>&1; then
		cat "$dir.log" >&2
		echo "quickstart: meson $1 $dir failed" >&2
		exit 3
	fi
	if ! meson compile -C "$dir" >"$dir.log" 2>&1; then
		cat "$dir.log" >&2
		echo "quickstart: building $dir failed" >&2
		exit 3
	fi
	rm -f "$dir.log"
}

# The clang build of the libFuzzer targets (only they: the replay programs
# and everything else run in build and build-asan), at -O1 with line
# tables, as libFuzzer's authors build: a crash still names its lines,
# and the build takes less CPU than -O2 -g.  Built beside
# build-asan, at the same priority: at the lowest, while
# the tests ran, it got nothing until their end, and the fuzz runs could
# not start beside the sanitizer suite's last tests.
fuzz_build() {
	mkdir -p build-fuzz/fuzz
	if ! command -v clang >/dev/null ||
	    ! { [ -f build-fuzz/build.ninja ] || CC=clang meson setup \
	    build-fuzz -Dwerror=true -Dfuzz=true -Db_sanitize=address,undefined \
	    -Db_lundef=false -Doptimization=1 -Ddebug=true -Dc_args=-g1 \
	    >build-fuzz.log 2>&1; } ||
	    ! meson compile -C build-fuzz fuzzers >build-fuzz.log 2>&1; then
		echo '{"name": "fuzz-build", "result": "FAIL"}' \
		    >build-fuzz/fuzz/results.json
		return 1
	fi
	rm -f build-fuzz.log
	stage "the fuzz build"
}

# A short run of every fuzz target, FUZZ_SECONDS each (default 5), two at
# a time (each still gets its seconds); its results join the count.  Long
# runs: HACKING.md, Fuzzing.
fuzz() {
	tests/fuzz/run.sh -t "${FUZZ_SECONDS:-5}" -p 2 build-fuzz
}

# Each build's suite starts as soon as that build is done, the longest
# tests first: the plain build's while build-asan and build-fuzz compile
# (the compilers' serial steps, configure and link, leave a core idle
# otherwise), the sanitizer build's beside it.  ASan keeps 16 MB of freed
# memory in quarantine rather than its 256: a use after free is still
# caught while the block is among the last 16 MB freed, and a collection
# of thousands of files no longer faults in a fresh page for each
# allocation (a third less CPU).  Many tests wait (on the disk's syncs, on
# throttled reads, on signals), and four at a time keep two cores busy
# where two at a time did not.  The two ways of reading small files
# (design 7.15) each get a whole suite: the plain build's reads one at a
# time (CUSTODY_IO_URING=off), the sanitizer build's in io_uring batches
# wherever the kernel allows them (auto).
plain_suite() {
	CUSTODY_IO_URING=off CUSTODY_STATIC=$(pwd)/build/cmd/custody-static \
	    meson test -C build --print-errorlogs >build.test.log 2>&1
}

asan_suite() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=16:handle_sigill=1 \
	    meson test -C build-asan --print-errorlogs >build-asan.test.log 2>&1
}

# finish PLAIN ASAN FUZZBUILD: wait for the suites; the fuzz runs start
# when the plain suite ends and share the machine with the sanitizer
# suite's last tests instead of waiting for them (each target still runs
# its seconds, with fewer executions in them).  Each output is shown when
# it ends.
finish() {
	ok=0
	wait "$1" || ok=1
	stage "the tests of build"
	cat build.test.log
	fz=
	if wait "$3"; then
		fuzz >fuzz.log 2>&1 &
		fz=$!
	else
		cat build-fuzz.log >&2 2>/dev/null || :
		echo "quickstart: the fuzz targets did not build" >&2
		ok=1
	fi
	wait "$2" || ok=1
	stage "the tests of build-asan"
	cat build-asan.test.log
	if [ -n "$fz" ]; then
		wait $fz || ok=1
		stage "the fuzz runs"
		cat fuzz.log
	fi
	rm -f build.test.log build-asan.test.log fuzz.log
	return $ok
}

# stage WHAT: how long the run has taken when WHAT is done.
stage() {
	echo "quickstart: $1 after $(($(date +%s) - START)) s" >&2
}

count() {
	python3 - "$@" <<'PY'
import json, sys
ok = bad = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r != "SKIP":
            bad += 1
print("%d passed, %d failed" % (ok, bad))
PY
}

case "${1:-}" in
collect)
	install $BUILD_DEPS
	build build
	mkdir -p bundles
	cd bundles
	echo "quickstart: collecting this machine into $(pwd)" >&2
	../build/cmd/custody collect
	;;
test)
	install $BUILD_DEPS $STATIC_DEPS $TEST_DEPS $FUZZ_DEPS
	START=$(date +%s)
	rc=0
	# -Dkit=true: build also links custody-static, the responder's kit,
	# from its own objects (tests/e2e/static.sh tests it).
	build build -Dkit=true
	stage "build"
	plain_suite &
	plain=$!
	fuzz_build &
	fb=$!
	# -O1, as AddressSanitizer's authors advise, and -g1: a report still
	# names each frame's function, file and line; the build takes a
	# third less CPU than -O2 -g.  Undefined behaviour traps (SIGILL,
	# which ASan reports with the stack: handle_sigill=1) instead of
	# calling libubsan: the same checks, without the runtime whose 6 MB
	# and the checks' 2 MB of data LeakSanitizer scanned at every exit,
	# which made each custody process in the suite twice as costly.
	if ! (build build-asan -Db_sanitize=address,undefined \
	    -Db_lundef=false -Doptimization=1 -Ddebug=true \
	    "-Dc_args=-g1 -fsanitize-undefined-trap-on-error" \
	    -Dc_link_args=-fsanitize-undefined-trap-on-error); then
		kill "$plain" "$fb" 2>/dev/null
		exit 3
	fi
	stage "build-asan"
	asan_suite &
	asan=$!
	finish "$plain" "$asan" "$fb" || rc=1
	count build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	    build-fuzz/fuzz/results.json
	exit $rc
	;;
static)
	# The responder's kit alone: one statically linked, stripped custody
	# in build-static/cmd/custody (README, "The responder's kit").
	install $BUILD_DEPS $STATIC_DEPS
	build build-static -Dstatic=true -Dstrip=true
	;;
*)
	echo "usage: ./quickstart.sh collect | test | static" >&2
	exit 2
	;;
esac
