#!/usr/bin/env bash
# manifest.sh: collection manifests on the command line: UAC's own artifact
# files load unchanged, their rules are applied, and bad manifests are
# refused with file:line.
. "$E2E_LIB"

UAC="$TEST_DATA/uac/artifacts"

# A tree laid out like a host, collected through a manifest of our own.
mkdir -p host/etc/ssh host/var/log/nginx host/home/u/.ssh
printf 'a\n' >host/var/log/app.log
printf 'b\n' >host/var/log/app.log.1
printf 'c\n' >host/var/log/notes.txt
printf 'd\n' >host/var/log/nginx/access.log
head -c 5000 /dev/zero >host/var/log/big.log
cat >m.yaml <<YAML
version: 1.0
artifacts:
  -
    description: logs by name, not too deep, not too big
    supported_os: [linux]
    collector: file
    path: $T/host/var/log
    name_pattern: ["*.log"]
    max_depth: 1
    max_file_size: 1000
  -
    description: never run
    supported_os: [all]
    collector: command
    command: rm -rf /
    output_file: x.txt
YAML
run "$CUSTODY" collect --no-live -m m.yaml -o b.tar
expect_rc "collect with a manifest" 0
tar -xOf b.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "name_pattern picked *.log" grep -q "\"path\":\"$T/host/var/log/app.log\"" files.jsonl
check "name_pattern left out app.log.1" bash -c "! grep -q 'app.log.1' files.jsonl"
check "name_pattern left out notes.txt" bash -c "! grep -q 'notes.txt' files.jsonl"
check "max_depth 1 left out nginx/access.log" bash -c "! grep -q 'nginx/access.log' files.jsonl"
check "max_file_size: big.log recorded as too_large, not stored" \
    grep -q "\"path\":\"$T/host/var/log/big.log\",\"type\":\"file\",\"status\":\"too_large\",\"reason\":\"size 5000 exceeds max_file_size 1000\"" files.jsonl
check "the command artefact is reported as not run" bash -c \
    "tar -xOf b.tar --wildcards '*/metadata/acquisition.json' |
    grep -q '\"reason\": \"collector command is never run\"'"
expect_out_match "the summary counts it" '^artefacts: +1 run, 1 not run'
run "$CUSTODY" verify b.tar
expect_rc "the bundle verifies (origin unverified)" 4

# A manifest for another system: every artefact skipped, nothing collected.
cat >other.yaml <<YAML
version: 1.0
artifacts:
  -
    description: not for this system
    supported_os: [freebsd]
    collector: file
    path: $T/host/var/log
YAML
run "$CUSTODY" collect --no-live -m other.yaml -o other.tar
expect_rc "a manifest whose every artefact is skipped: partial" 1
expect_err "and collect says so" \
    "custody: no artefact was run: all 1 were skipped (see acquisition.json), so nothing was collected"
expect_out_match "the summary counts it" '^artefacts: +0 run, 1 not run'

# Every UAC artifact file we carry loads unchanged: one `custody
# manifests` for all of them, which names each file it loads and each it
# refuses (one process, not one a file: it was most of this test's CPU).
mapfile -t uac < <(find "$UAC" -name '*.yaml' | sort)
run "$CUSTODY" manifests "${uac[@]}"
expect_rc "custody manifests of the ${#uac[@]} UAC artifact files" 0
n=0
for f in "${uac[@]}"; do
	if grep -qxE -- "$(printf '%s' "$f" | sed 's/[][\.*^$]/\\&/g'): [0-9]+ artefacts?" "$T/.out"; then
		n=$((n + 1))
	else
		not_ok "UAC file loads: $f"
	fi
done
check "all $n UAC artifact files load, and none is refused" \
    test "$n" -ge 30 -a "$n" -eq "${#uac[@]}" -a -z "$ERR"
args=()
for f in "$UAC"/files/ssh/*.yaml "$UAC"/files/shell/bash.yaml; do
	args+=(-m "$f")
done
# The UAC files, not the live state (e2e-live's): --no-live.
run "$CUSTODY" collect --no-live "${args[@]}" -o uac.tar
check "collect with UAC files runs" test "$RC" -eq 0 -o "$RC" -eq 1

# Bad manifests: refused before anything is written, with file:line.
printf 'version: 1\nartifacts:\n  -\n    description: x\n    collector: file\n    path: /etc\n    colour: blue\n' >bad1.yaml
run "$CUSTODY" collect -m bad1.yaml -o bad.tar
expect_rc "an unknown field is refused" 2
expect_err "with file and line" "custody: bad1.yaml:7: unknown field 'colour'"
check "and no bundle is written" test ! -e bad.tar
printf 'version: 1\nartifacts:\n  - [unclosed\n' >bad2.yaml
run "$CUSTODY" collect -m bad2.yaml -o bad.tar
expect_rc "malformed YAML is refused" 2
expect_err_match "with file and line" '^custody: bad2\.yaml:[34]: '
run "$CUSTODY" collect -m nonexistent.yaml -o bad.tar
expect_rc "a missing manifest is refused" 2
expect_err "and named" "custody: nonexistent.yaml: No such file or directory"

run "$CUSTODY" manifests
expect_rc "custody manifests lists the built-in manifest" 0
expect_out_match "by name" 'linux-triage\.yaml'
run "$CUSTODY" manifests --show
expect_rc "custody manifests --show" 0
check "prints the built-in manifest" test "$OUT" = "$(cat "$SOURCE_ROOT/manifests/linux-triage.yaml")"

done_testing
