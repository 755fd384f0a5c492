#!/usr/bin/env bash
# footprint.sh: collect's memory does not grow with the size of the files
# it reads (issue 5: at most 32 MiB while collecting large files), plain or
# through zstd, which keeps its own buffers for every job in flight.  Peak
# RSS comes from /usr/bin/time; a sanitizer or valgrind run measures its
# own memory, not ours, and skips.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

LIMIT=$((32 * 1024))	# KiB
TIME=/usr/bin/time
SKIP=
[ -x "$TIME" ] || SKIP="no /usr/bin/time"
if ldd "$CUSTODY" 2>/dev/null | grep -q libasan ||
    [ -n "${CUSTODY_WRAPPER:-}" ]; then
	SKIP="sanitizer or valgrind run: RSS is not collect's"
fi

# Incompressible, so that zstd's output buffers fill as well as its input.
mkdir -p big
for i in 1 2 3; do
	head -c $((24 * 1024 * 1024)) /dev/urandom >"big/f$i.img" || exit 99
done

"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99

# collected OUTPUT NAME: collect big/ to OUTPUT; pass when it exits 0 and
# its peak RSS is within LIMIT.
collected() {
	local kb

	if [ -n "$SKIP" ]; then
		ok "$2 # SKIP $SKIP"
		return
	fi
	if [ "$1" = - ]; then
		"$TIME" -f %M -o rss "$CUSTODY" collect --no-nice \
		    --key k.key -o - big >out.tar 2>err
	else
		"$TIME" -f %M -o rss "$CUSTODY" collect --no-nice \
		    --key k.key -o "$1" big >/dev/null 2>err
	fi || { not_ok "$2: exit $?"; cat err; return; }
	kb=$(tail -1 rss)
	check "$2: peak RSS $kb KiB, at most $LIMIT" test "$kb" -le "$LIMIT"
}

collected - "72 MiB to standard output"
collected b.tar.zst "72 MiB through zstd"
if [ -z "$SKIP" ]; then
	run "$CUSTODY" verify --pubkey k.pub b.tar.zst
	expect_rc "and the compressed bundle verifies" 0
fi

echo "1..$TESTS"
[ "$FAILS" -eq 0 ]
