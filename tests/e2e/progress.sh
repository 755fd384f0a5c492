#!/usr/bin/env bash
# progress.sh: collect and verify draw a progress line on standard error
# when it is a terminal (here a pseudo-terminal, script -qc), at most ten
# times a second, and never in a pipe or with --quiet; collect --verbose
# also lists each artefact a manifest did not run, with its reason.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

command -v script >/dev/null || { echo "1..0 # SKIP no script(1)"; exit 0; }
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
mkdir -p tree || exit 99
for i in $(seq 200); do printf '%s\n' "$i" >"tree/f$i"; done
C="$CUSTODY collect --no-nice --key k.key"

# tty CMD: run CMD under a pseudo-terminal; what it showed in $T/tty.
tty() {
	script -qec "$1" /dev/null >"$T/tty" 2>&1
}

start=$(date +%s%N)
tty "$C -o a.tar tree"
end=$(date +%s%N)
check "collect on a terminal: a progress line (files, bytes, rate, elapsed, artefact)" \
    grep -qaE $'\r\e\\[K[0-9]+ files, [0-9.]+ k?B, [0-9.]+ k?B/s, 0:[0-9]{2} command line' "$T/tty"
draws=$(grep -oa $'\r\e\\[K[0-9]' "$T/tty" | wc -l)
ms=$(( (end - start) / 1000000 ))
check "redrawn at most ten times a second ($draws draws in $ms ms, 200 files)" \
    test "$draws" -le $(( ms / 100 + 2 ))
check "and erased before the summary" \
    grep -qa $'\r\e\\[Kbundle: ' "$T/tty"
tty "$C --quiet -o b.tar tree"
check "collect --quiet on a terminal: none" \
    bash -c "! grep -qa \$'\\e\\[K' '$T/tty'"
$C -o c.tar tree >out.txt 2>err.txt
check "collect in a pipe: none, no escape or carriage return" \
    bash -c "! grep -qa \$'[\\r\\e]' out.txt err.txt"

tty "$CUSTODY verify --pubkey k.pub a.tar"
check "verify on a terminal: a progress line (members, bytes, rate)" \
    grep -qaE $'\r\e\\[K[0-9]+ members, [0-9.]+ k?B, [0-9.]+ [kM]?B/s, 0:[0-9]{2} ' "$T/tty"
tty "$CUSTODY verify -q --pubkey k.pub a.tar"
check "verify -q on a terminal: none" \
    bash -c "! grep -qa \$'\\e\\[K' '$T/tty'"
"$CUSTODY" verify --pubkey k.pub a.tar >out.txt 2>err.txt
check "verify in a pipe: none" bash -c "! grep -qa \$'[\\r\\e]' out.txt err.txt"

# --verbose: an artefact for another system is not run, and said.
cat >m.yaml <<YAML
version: 1
artifacts:
  -
    description: for windows only
    supported_os: [windows]
    collector: file
    path: $T/tree/f1
  -
    description: the tree
    supported_os: [linux]
    collector: file
    path: $T/tree/f2
YAML
# --no-live: the live state a manifest takes by default is not what is
# tested here, and costs seconds of CPU a run.
run $C --no-live --verbose -m m.yaml -o v.tar
expect_rc "collect --verbose" 0
expect_err_match "lists the artefact not run, with its reason" \
    "^custody: .*: not run: not for linux\$"
run $C --no-live -m m.yaml -o w.tar
expect_rc "collect without --verbose" 0
check "does not" bash -c "! grep -q 'not run' '$T/.err'"

done_testing
