#!/usr/bin/env bash
# uring.sh: CUSTODY_IO_URING picks how small files are read (custody(1),
# ENVIRONMENT); acquisition.json says which path ran (custody-bundle(5),
# "reading"); both paths give the same records and members; "on" fails
# cleanly, before anything is read, when io_uring is refused.
. "$E2E_LIB"

NOURING="python3 $HERE/no-io-uring.py"

# reading BUNDLE: acquisition.json's "reading", compact.
reading() {
	tar -xOf "$1" --wildcards '*/metadata/acquisition.json' |
	    python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["reading"], sort_keys=True))'
}

# payload BUNDLE: the payload manifest and the records, without times of
# the collection.
payload() {
	tar -xOf "$1" --wildcards '*/manifest-sha256.txt' | sed 's|  [^/]*/|  |'
	tar -xOf "$1" --wildcards '*/metadata/files.jsonl' |
	    sed 's/"artefact":"[^"]*",//'
}

make_tree tree
for i in $(seq 40); do printf 'file %s\n' "$i" >"tree/sub/f$i"; done

run env CUSTODY_IO_URING=off "$CUSTODY" collect --no-nice -o off.tar tree
expect_rc "off: collected" 0
check "off: acquisition.json says one at a time, turned off" \
    test "$(reading off.tar)" = \
    '{"reason": "turned off by the caller", "system_calls": "one_at_a_time"}'

run env CUSTODY_IO_URING=bogus "$CUSTODY" collect --no-nice -o bad.tar tree
expect_rc "a value other than auto, on or off is a usage error" 2
expect_err "and says so" \
    "custody: CUSTODY_IO_URING: 'bogus' is not auto, on or off"

# io_uring where the kernel gives it: the same check as the collector's.
if $NOURING ENOSYS true 2>/dev/null; [ $? = 77 ] ||
    [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" != 0 ]
then
	ok "# SKIP io_uring is not available here"
else
	run env CUSTODY_IO_URING=on "$CUSTODY" collect --no-nice -o on.tar tree
	expect_rc "on: collected" 0
	check "on: acquisition.json says io_uring" \
	    test "$(reading on.tar)" = '{"system_calls": "io_uring"}'
	check "on and off give the same payload and records" \
	    cmp <(payload on.tar) <(payload off.tar)
fi

# Refused as a container's seccomp policy refuses it.
$NOURING EPERM true
if [ $? = 77 ]; then
	ok "# SKIP no seccomp filter here"
else
	run $NOURING EPERM env CUSTODY_IO_URING=on "$CUSTODY" collect \
	    --no-nice -o refused.tar tree
	expect_rc "on, io_uring refused: fails as a request not met" 2
	expect_err "and says why" "custody: io_uring asked for, but\
 io_uring_setup: Operation not permitted"
	check "before writing a bundle" test ! -s refused.tar
	run $NOURING ENOSYS env CUSTODY_IO_URING=auto "$CUSTODY" collect \
	    --no-nice -o auto.tar tree
	expect_rc "auto, io_uring absent: collected one at a time" 0
	check "and acquisition.json says why" test "$(reading auto.tar)" = \
	    '{"reason": "io_uring_setup: Function not implemented", "system_calls": "one_at_a_time"}'
fi

done_testing
