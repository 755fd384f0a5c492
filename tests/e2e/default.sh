#!/usr/bin/env bash
# default.sh: the built-in manifest collects this machine and the result
# verifies as intact (core issue, acceptance 8), sweeps of / included.
. "$E2E_LIB"

run "$CUSTODY" collect -o host.tar
check "the default collection completes (0) or is partial (1)" \
    test "$RC" -eq 0 -o "$RC" -eq 1
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
check "a one-time key ID is printed" test -n "$ID"
expect_out_match "the verify command is printed" \
    "^verify: +custody verify --trusted-key-id $ID host\\.tar\$"
run "$CUSTODY" verify --trusted-key-id "$ID" host.tar
expect_rc "the default collection verifies" 0
expect_out_match "VERIFIED" '^verdict: +VERIFIED'
tar -xOf host.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "/etc/passwd was collected" grep -q '"path":"/etc/passwd","stored":"data/etc/passwd"' files.jsonl
check "/etc/os-release or its target was recorded" grep -q '"path":"/etc/os-release"' files.jsonl
check "the timeline of / lists /usr/bin" \
    grep -q '"path":"/usr/bin","type":"dir","status":"listed"' files.jsonl
check "an executable of /usr/bin is hashed, not only listed" \
    grep -q '"path":"/usr/bin/[^"]*","type":"file","status":"hashed"' files.jsonl
check "the built-in manifest is named in acquisition.json" bash -c \
    "tar -xOf host.tar --wildcards '*/metadata/acquisition.json' | grep -q '\"name\": \"linux-triage.yaml\"'"
check "nothing under /proc was walked (the live state reads it, itself)" \
    python3 -c 'import json, sys
assert all(r["artefact"] == "live" for r in map(json.loads, open(sys.argv[1]))
           if r.get("path", "").startswith("/proc/"))' files.jsonl

done_testing
