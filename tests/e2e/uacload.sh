#!/usr/bin/env bash
# uacload.sh: all of UAC 3.3.0 loads (every artifact file and every
# profile, from ../shared/compat/uac when it is there), -m DIR loads a
# directory, --profile reads UAC's profile rules, and `manifests --check`
# says for a sample of 20 artefacts of every collector what collect will
# do, or why it skips them.
. "$E2E_LIB"

D="$TEST_DATA/uac/artifacts"
SHARED=${UAC_TREE:-$SOURCE_ROOT/../shared/compat/uac}
[ -d "$SHARED/artifacts" ] || SHARED=$SOURCE_ROOT/../../shared/compat/uac
F="$T/fix"
mkdir -p "$F"/usr/bin "$F"/etc
printf '#!/bin/sh\n' >"$F"/usr/bin/lastb
chmod 0755 "$F"/usr/bin/lastb

if [ -d "$SHARED/artifacts" ]; then
	n=$(find "$SHARED/artifacts" -name '*.yaml' | wc -l)
	run "$CUSTODY" manifests --check "$SHARED/artifacts"
	expect_rc "every UAC artifact file loads with -m DIR" 0
	check "all $n of them, none refused" grep -qx "$n manifests loaded" \
	    "$T/.out"
	check "UAC 3.3.0 has 421 artifact files" test "$n" -eq 421
	for p in "$SHARED"/profiles/*.yaml; do
		run "$CUSTODY" manifests --check --profile "$p"
		expect_rc "profile $(basename "$p") loads" 0
	done
	run "$CUSTODY" manifests --check --profile \
	    "$SHARED/profiles/ir_triage.yaml"
	check "ir_triage's exclusion holds (package_owns_file.yaml)" \
	    bash -c "! grep -q 'package_owns_file.yaml:' '$T/.out'"
	check "ir_triage takes hash_executables.yaml" \
	    grep -q '/hash_executables/hash_executables.yaml:' "$T/.out"
else
	for i in 1 2 3 4 5 6 7 8 9; do
		ok "# SKIP no UAC tree at $SHARED"
	done
fi

# A profile of our own over the subset in tests/data: a glob, a whole
# directory, and exclusions of a file and of a glob, in UAC's order.
mkdir -p uac/profiles
ln -s "$D" uac/artifacts
cat >uac/profiles/p.yaml <<'P'
name: p
description: test  # a comment
artifacts:
  - system/s*id.yaml
  - files/shell
  - !files/shell/bash.yaml
  - !files/shell/[a-d]*.yaml
  - ./artifacts/system/suid.yaml
P
run "$CUSTODY" manifests --check --profile uac/profiles/p.yaml
expect_rc "a profile with globs, a directory and exclusions" 0
got=$(grep -o '[a-z_]*/[a-z_]*\.yaml: [0-9]' "$T/.out" | cut -d: -f1 |
    tr '\n' ' ')
want="system/sgid.yaml system/suid.yaml shell/elvish.yaml shell/fish.yaml shell/ion.yaml shell/ksh.yaml shell/mksh.yaml shell/nscli.yaml shell/osh.yaml shell/powershell.yaml shell/tcsh.yaml shell/xonsh.yaml shell/zsh.yaml "
check "it names those files in UAC's order, each once ($got)" \
    test "$got" = "$want"
printf 'artifacts:\n  - system/nothing*.yaml\n' >uac/profiles/q.yaml
run "$CUSTODY" manifests --check --profile uac/profiles/q.yaml
expect_rc "an entry that names nothing is an error" 1
expect_err_match "and says which" "q.yaml:2: 'system/nothing\*.yaml' names no artifact file"
run "$CUSTODY" collect --profile no-such-profile -o x.tar
expect_rc "an unknown profile name is a usage error" 2

# Twenty artefacts across the collectors, decided on the fixture root.
run "$CUSTODY" manifests --check --root "$F" \
    "$D/files/logs/var_log.yaml" "$D/files/shell/bash.yaml" \
    "$D/files/logs/tomcat.yaml" "$D/system/suid.yaml" \
    "$D/system/getcap.yaml" "$D/packages/slackpkg.yaml" \
    "$D/live_response/system/socket_files.yaml" \
    "$D/live_response/system/lastb.yaml" \
    "$D/hash_executables/hash_executables.yaml" \
    "$D/bodyfile/bodyfile.yaml" \
    "$D/live_response/process/hash_running_processes.yaml" \
    "$D/live_response/vms/virt-top.yaml" \
    "$D/system/user_name_unknown_files.yaml"
expect_rc "manifests --check on 13 files" 0
while IFS='|' read -r file line want; do
	got=$(awk -v f="$D/$file:" -v l="  line $line:" '
	    index($0, f) == 1 { on = 1; next }
	    /^\// { on = 0 }
	    on && index($0, l) == 1 { sub(/^[^:]*: [^:]*: /, ""); print }' \
	    "$T/.out")
	check "$file:$line: $want" test "$got" = "$want"
done <<'W'
files/logs/var_log.yaml|4|will store its files (content, hashes, metadata)
files/logs/var_log.yaml|11|skipped: not for linux
files/shell/bash.yaml|19|will store its files (content, hashes, metadata)
files/shell/bash.yaml|29|skipped: collector command is never run
files/shell/bash.yaml|36|skipped: is_file_list names the output of a command, which is never run
files/logs/tomcat.yaml|12|skipped: path needs shell expansion
system/suid.yaml|6|will list matches (metadata, no content)
system/getcap.yaml|8|skipped: its command, run on each match, is never run
packages/slackpkg.yaml|6|skipped: condition is false: command_exists "slackpkg"
live_response/system/socket_files.yaml|6|skipped: condition is false: if [ "%mount_point%" == "/" ]; then true; else false; fi
live_response/system/lastb.yaml|24|will list matches (metadata, no content)
hash_executables/hash_executables.yaml|5|will hash its files, not store them
bodyfile/bodyfile.yaml|5|will record metadata only
live_response/process/hash_running_processes.yaml|5|skipped: not for linux
live_response/process/hash_running_processes.yaml|11|will hash its files, not store them
live_response/process/hash_running_processes.yaml|36|skipped: collector command is never run
live_response/vms/virt-top.yaml|6|skipped: collector command is never run
system/user_name_unknown_files.yaml|16|will list matches (metadata, no content)
system/user_name_unknown_files.yaml|34|skipped: not for linux
live_response/system/lastb.yaml|6|skipped: collector command is never run
W

# No cap on -m: 70 manifests (UAC's ir_triage needs 65 and more).
ms=()
for i in $(seq 1 70); do ms+=(-m "$D/system/suid.yaml"); done
run "$CUSTODY" collect --no-nice --root "$F" "${ms[@]}" -o many.tar
expect_rc "collect takes 70 -m manifests" 0
done_testing
