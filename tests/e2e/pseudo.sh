#!/usr/bin/env bash
# pseudo.sh: files whose st_size means nothing (procfs, sysfs) are read to
# their end and stored with their real length (issue 21, item 4).  A /proc
# file of more than 4 MiB first: the buffer it grew once made every later
# /proc/sys read ask for 16 MiB, which /proc/sys refuses with ENOMEM.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

if [ ! -r /proc/kallsyms ] || [ ! -r /proc/sys/kernel/hostname ]; then
	echo "1..0 # SKIP no readable /proc/kallsyms or /proc/sys here"
	exit 0
fi
SYSF=
for f in /sys/kernel/mm/transparent_hugepage/enabled \
    /sys/devices/system/cpu/online /sys/kernel/osrelease; do
	if [ -r "$f" ] && [ "$(stat -c %s "$f")" = 4096 ]; then
		SYSF=$f
		break
	fi
done

"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
args=(/proc/kallsyms /proc/sys/kernel/hostname)
[ -n "$SYSF" ] && args+=("$SYSF")
run "$CUSTODY" collect --no-nice --key k.key --evidence-id PS -o b.tar \
    "${args[@]}"
expect_rc "collect /proc/kallsyms, then /proc/sys/kernel/hostname" 0
tar -xf b.tar || exit 99
J=PS/metadata/files.jsonl
rec() { grep -F "\"path\":\"$1\"" "$J"; }

# cmp -s alone would compare st_size, which is 0 or 4096 here.
same() { cat "$2" | cmp -s "$1" -; }
check "hostname stored whole: the bytes cat gives" \
    same PS/data/proc/sys/kernel/hostname /proc/sys/kernel/hostname
check "hostname's record: ok, pseudo, bytes its real length" bash -c \
    "grep -F '\"path\":\"/proc/sys/kernel/hostname\"' $J |
    grep -F '\"status\":\"ok\"' | grep -F '\"pseudo\":true' |
    grep -qF '\"bytes\":$(wc -c </proc/sys/kernel/hostname),'"
K=$(wc -c <PS/data/proc/kallsyms)
W=$(wc -c </proc/kallsyms)
# kallsyms may change between the two reads (a module loaded): plausible,
# not equal; above the 4 MiB a read() of /proc/sys may ask for.
check "kallsyms stored whole ($K bytes, cat gives $W)" \
    test "$K" -gt $((W * 9 / 10)) -a "$K" -lt $((W * 11 / 10)) \
    -a "$K" -ne $((4 * 1024 * 1024))
check "kallsyms's record: ok and pseudo, bytes what is stored" bash -c \
    "rec() { grep -F \"\\\"path\\\":\\\"\$1\\\"\" $J; }
    rec /proc/kallsyms | grep -F '\"status\":\"ok\"' |
    grep -F '\"pseudo\":true' | grep -qF '\"bytes\":$K,'"
if [ -n "$SYSF" ]; then
	check "sysfs $SYSF stored byte-exact (not padded to 4096)" \
	    same "PS/data$SYSF" "$SYSF"
	check "and its record is ok, not changed" bash -c \
	    "grep -F '\"path\":\"$SYSF\"' $J | grep -F '\"size\":4096,' |
	    grep -qF '\"status\":\"ok\"'"
else
	ok "# SKIP no readable sysfs file of st_size 4096 here"
	ok "# SKIP no readable sysfs file of st_size 4096 here"
fi
run "$CUSTODY" verify --pubkey k.pub b.tar
expect_rc "the bundle verifies" 0
done_testing
