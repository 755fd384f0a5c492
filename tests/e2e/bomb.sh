#!/usr/bin/env bash
# bomb.sh: zstd bombs (issue 6, acceptance 4).  In the canonical frames
# of custody-bundle(5), 1 MiB a frame, a frame of zeros takes 53 bytes:
# 100 GiB fit in 5.6 MB, and a 1 KiB file holds 14 MiB.  The verifier refuses a member that claims
# more than the bundle may expand to before reading it, and any stream that
# expands more than 1000 times past its first GiB while reading it
# (--max-expansion sets the ratio, 0 lifts the bound); its memory stays
# small, and nothing takes long.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

GiB=$((1 << 30))
# Under valgrind (tests/valgrind.sh), streaming gigabytes takes an hour:
# those cases run in the plain and sanitizer builds only.
HEAVY=yes
[ -z "${CUSTODY_WRAPPER:-}" ] || HEAVY=
# skip_heavy N: N skipped results.
skip_heavy() {
	for _ in $(seq "$1"); do
		ok "# SKIP under valgrind: streams over 1 GiB"
	done
}
BOMB='^custody: standard input: decompression bomb: the zstd stream expands more than 1000 times past its first GiB \([0-9]+ bytes from [0-9]+\); see --max-expansion$'

# pipe FILE ARGS...: verify FILE read from a pipe (its size unknown), with
# a generous "did not hang" timeout; peak RSS in KiB in $KB.
pipe() {
	local f=$1
	shift
	KB=0
	if [ -z "$ASAN" ] && [ -x /usr/bin/time ]; then
		run bash -c "cat $f | /usr/bin/time -f %M -o .rss timeout 300 \
		    \"\$CUSTODY\" verify $*"
		KB=$(tail -1 .rss)
		grep -v '^Command exited with non-zero status' "$T/.err" \
		    >"$T/.err2"
		mv "$T/.err2" "$T/.err"
		ERR=$(cat "$T/.err")
	else
		run bash -c "cat $f | timeout 300 \"\$CUSTODY\" verify $*"
	fi
}

# small DESCRIPTION: peak RSS stayed under 64 MiB (not measured under ASan).
small() {
	if [ -n "$ASAN" ] || [ ! -x /usr/bin/time ]; then
		ok "$1 # SKIP sanitizer build or no /usr/bin/time"
	else
		check "$1 ($KB KiB)" test "$KB" -le 65536
	fi
}

# --- 100 GiB of zeros in a 5.6 MB stream
craft bomb b100.tar.zst $((100 * GiB)) $((100 * GiB)) || exit 99
size=$(stat -c %s b100.tar.zst)
ok "100 GiB in $size bytes: $((100 * GiB / size)):1, the densest canonical stream"
run timeout 300 "$CUSTODY" verify b100.tar.zst
expect_rc "a 100 GiB bomb" 1
expect_err "is refused by its claimed size, before its data is read" \
    "custody: b100.tar.zst: H/data/zeros.img: member claims 107374182400 bytes, more than the bundle may expand to (see --max-expansion)"
if [ -n "$HEAVY" ]; then
	pipe b100.tar.zst -
	expect_rc "the same bomb from a pipe (its size unknown)" 1
	expect_err_match "is refused by the expansion bound after 1 GiB" "$BOMB"
	small "in little memory"
	run bash -c "cat b100.tar.zst | timeout 300 \"\$CUSTODY\" show -"
	expect_rc "custody show refuses the bomb from a pipe too" 1
	expect_err_match "with the same bound" "$BOMB"
else
	skip_heavy 6
fi
rm -f b100.tar.zst

# --- a 1 KiB file: 14 frames, most of them 1 MiB of zeros
craft bomb b1k.tar.zst $((100 * GiB)) $((14 << 20)) || exit 99
size=$(stat -c %s b1k.tar.zst)
check "the 1 KiB bomb is at most 1024 bytes ($size)" test "$size" -le 1024
ok "it expands to $(zstd -dc b1k.tar.zst | wc -c) bytes: $(($(zstd -dc b1k.tar.zst | wc -c) / size)):1; its member claims 100 GiB"
run timeout 300 "$CUSTODY" verify b1k.tar.zst
expect_rc "a 1 KiB file claiming 100 GiB" 1
expect_err "is refused by its claimed size" \
    "custody: b1k.tar.zst: H/data/zeros.img: member claims 107374182400 bytes, more than the bundle may expand to (see --max-expansion)"
pipe b1k.tar.zst -
expect_rc "from a pipe" 1
expect_err_match "it ends where its zeros do" \
    '^custody: standard input: offset [0-9]+: the archive is cut short in a member.s data \(custody-bundle\(5\)\)$' 

# --- the bound can be raised or lifted
craft bomb b2.tar.zst $((3 * GiB / 2)) $((3 * GiB / 2)) || exit 99
if [ -n "$HEAVY" ]; then
	pipe b2.tar.zst -
	expect_rc "1.5 GiB of zeros from a pipe" 1
	expect_err_match "trips the default bound" "$BOMB"
	pipe b2.tar.zst --max-expansion 100000 -
	expect_rc "with --max-expansion 100000" 1
	expect_err_match "reads it all, and finds what is really wrong" \
	    '^custody: standard input: offset [0-9]+: the archive ends without its end-of-archive marker: it was cut short \(custody-bundle\(5\)\)$' 
	small "in little memory"
else
	skip_heavy 5
fi
run "$CUSTODY" verify --max-expansion 2x b2.tar.zst
expect_rc "--max-expansion takes a whole number" 2
expect_err "and says so" "custody: --max-expansion: 2x: not a whole number"
rm -f b2.tar.zst

# --- a real bundle of zeros: the bound's price, and the way out
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
if [ -n "$HEAVY" ]; then
	mkdir img && truncate -s $((5 * GiB / 4)) img/wiped.img
	"$CUSTODY" collect --no-nice --key k.key --evidence-id Z -o zeros.tar.zst img \
	    >/dev/null || exit 99
	rm -rf img
	run timeout 300 "$CUSTODY" verify --pubkey k.pub zeros.tar.zst
	expect_rc "a genuine bundle holding a 1.25 GiB file of zeros" 1
	expect_err "exceeds the default bound, and says which option lifts it" \
	    "custody: zeros.tar.zst: Z/data$T/img/wiped.img: member claims 1342177280 bytes, more than the bundle may expand to (see --max-expansion)"
	run timeout 300 "$CUSTODY" verify --pubkey k.pub --max-expansion 0 \
	    zeros.tar.zst
	expect_rc "and verifies with --max-expansion 0" 0
else
	skip_heavy 4
fi
rm -f zeros.tar.zst

# --- the zstd window: a canonical frame has none (single segment: its
# window is its content, 1 MiB at most), so a frame that asks for one is
# refused before it is decoded
craft bomb bw.tar.zst $((64 << 20)) $((64 << 20)) --window 28 || exit 99
pipe bw.tar.zst -
expect_rc "a frame asking for a 256 MiB window" 1
expect_err_match "is refused" \
    '^custody: standard input: zstd frame 1, offset [0-9]+: frame header descriptor 0x00 is not canonical' 
rm -f bw.tar.zst

done_testing
