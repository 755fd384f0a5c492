#!/usr/bin/env bash
# options.sh: every subcommand takes its options before or after its
# operands, GNU style, and "--" ends them (issue 21, item 1): an option
# after an operand is never taken for a path, and an unknown option
# anywhere is a usage error (exit 2).
. "$E2E_LIB"

unset POSIXLY_CORRECT

make_tree tree
printf 'not an option\n' >./-o
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
ID=$(key_id k.pub)

# (grep and sed, not python: a python start takes seconds on a busy host)
# acq BUNDLE: its acquisition.json on stdout
acq() {
	tar -xOf "$1" --wildcards '*/metadata/acquisition.json'
}
# case_is BUNDLE ID: its acquisition record's case_id is ID
case_is() {
	acq "$1" | grep -qx "  \"case_id\": \"$2\","
}
# command_line BUNDLE: the command line it records, as one JSON array
command_line() {
	acq "$1" | sed -n '/^  "command_line": \[/,/^  \]/p' |
	    tr -d ' \n' | sed 's/,$//'
}
# paths BUNDLE: the paths of its files.jsonl, one a line (no name here
# needs a JSON escape)
paths() {
	tar -xOf "$1" --wildcards '*/metadata/files.jsonl' |
	    sed -n 's/^{"path":"\([^"]*\)".*/\1/p'
}

# --- collect
run "$CUSTODY" collect --no-nice tree -o after.tar --key k.key --case X
expect_rc "collect PATH -o OUT --key K --case X" 0
check "collect PATH -o OUT writes OUT" test -s after.tar
check "nothing was written under the default name" \
    test -z "$(ls | grep -v -e '^after\.tar' -e '^k\.' -e '^tree$' -e '^-o$')"
expect_out_match "the summary names OUT and the key" '^bundle: +after\.tar$'
check "--case after the PATH is recorded" case_is after.tar X
check "the option values were not collected as paths" eval \
    '! paths after.tar | grep -qx -e "$T/-o" -e "$T/after.tar" -e "$T/k.key"'
check "the PATH was collected" eval 'paths after.tar | grep -qx "$T/tree/a.txt"'
check "the command line is recorded as typed, not as getopt reordered it" \
    test "$(command_line after.tar)" = '"command_line":["collect",'\
'"--no-nice","tree","-o","after.tar","--key","k.key","--case","X"]'
run "$CUSTODY" verify --pubkey k.pub after.tar
expect_rc "the bundle written after a late -o verifies" 0

run "$CUSTODY" collect -o before.tar --no-nice tree --case X --key k.key
expect_rc "collect -o OUT PATH --case X (options on both sides)" 0
check "-o before and --case after both honoured" case_is before.tar X

run "$CUSTODY" collect --no-nice -o dash.tar --key k.key -- tree -o
expect_rc "collect -o OUT -- PATH -o" 0
check "after --, -o is a PATH: the file named -o is collected" \
    eval 'paths dash.tar | grep -qx "$T/-o"'
check "after --, -o is a PATH: the tree is collected too" \
    eval 'paths dash.tar | grep -qx "$T/tree/a.txt"'

run "$CUSTODY" collect --no-nice -o bogus.tar tree --bogus
expect_rc "collect PATH --bogus: usage" 2
check "collect PATH --bogus writes no bundle" test ! -e bogus.tar

# --- verify
run "$CUSTODY" verify after.tar --pubkey k.pub
expect_rc "verify BUNDLE --pubkey K: the key is trusted" 0
expect_out_match "verify BUNDLE --pubkey K: verdict VERIFIED" \
    "^verdict: +VERIFIED: .* $ID\$"
run "$CUSTODY" verify after.tar --json --trusted-key-id "$ID"
expect_rc "verify BUNDLE --json --trusted-key-id ID" 0
expect_out_match "verify BUNDLE --json prints the JSON report" \
    '^  "verdict": "authentic",$'
run "$CUSTODY" verify - --pubkey k.pub <after.tar
expect_rc "verify - --pubkey K (standard input, then an option)" 0
run "$CUSTODY" verify after.tar --bogus
expect_rc "verify BUNDLE --bogus: usage" 2
run "$CUSTODY" verify -- --pubkey
expect_rc "verify -- --pubkey: --pubkey is the BUNDLE, which is not there" 3
expect_err "verify -- --pubkey: names the missing bundle" \
    "custody: --pubkey: No such file or directory"

# --- show
run "$CUSTODY" show after.tar -h
expect_rc "show BUNDLE -h: the help" 0
expect_out_match "show BUNDLE -h prints the help" '^usage: custody show '
run "$CUSTODY" show after.tar --bogus
expect_rc "show BUNDLE --bogus: usage" 2
run "$CUSTODY" show -- --bogus
expect_rc "show -- --bogus: --bogus is the BUNDLE, which is not there" 3
expect_err "show -- --bogus: names the missing bundle" \
    "custody: --bogus: No such file or directory"

# --- extract
mkdir x
run "$CUSTODY" extract after.tar -C x --pubkey k.pub
expect_rc "extract BUNDLE -C DIR --pubkey K" 0
check "extract BUNDLE -C DIR extracts into DIR" \
    test -f "x/$(bag_dir after.tar)/bagit.txt"
run "$CUSTODY" extract after.tar -C x --bogus
expect_rc "extract BUNDLE --bogus: usage" 2
# extract's help names --x509-eku and --crl, "as for custody verify": it
# takes them (here refused only for want of --ca, as verify refuses them)
run "$CUSTODY" extract after.tar -C x --x509-eku 1.3.6.1.5.5.7.3.36
expect_rc "extract BUNDLE --x509-eku OID without --ca: usage" 2
expect_err "extract takes --x509-eku, and asks for --ca as verify does" \
    "custody: --x509-eku: needs --ca, the CA that the signer's certificate must chain to"

# --- log
run "$CUSTODY" log after.tar --json
expect_rc "log BUNDLE --json" 0
expect_out_match "log BUNDLE --json prints the events as JSON" \
    '^  "count": 1,$'
run "$CUSTODY" log after.tar --bogus
expect_rc "log BUNDLE --bogus: usage" 2

# --- transfer
run "$CUSTODY" transfer after.tar --from Ana --to Ben --key k.key
expect_rc "transfer BUNDLE --from A --to B --key K" 0
check "transfer BUNDLE ...: the event is in the log" eval \
    '"$CUSTODY" log after.tar | grep -q "^#[0-9]* *transferred"'
run "$CUSTODY" transfer after.tar --from Ana --to Ben --key k.key --bogus
expect_rc "transfer BUNDLE ... --bogus: usage" 2

# --- timestamp: an unreachable TSA, so that the options are shown taken
# (the TSA was asked) without a TSA to run.
run "$CUSTODY" timestamp after.tar --tsa http://127.0.0.1:1/ \
    --tsa-timeout 2
expect_rc "timestamp BUNDLE --tsa URL: the TSA is asked (no token)" 1
expect_err "timestamp BUNDLE --tsa URL: nothing added" \
    "custody: after.tar.custody: nothing was added"
run "$CUSTODY" timestamp after.tar --bogus
expect_rc "timestamp BUNDLE --bogus: usage" 2

# --- manifests
printf 'not: [a manifest\n' >m.yaml
run "$CUSTODY" manifests m.yaml -s
expect_rc "manifests FILE -s: -s is an option, which takes no FILE" 2
expect_err "manifests FILE -s: says so" \
    "custody: manifests: --show takes no FILE"
run "$CUSTODY" manifests m.yaml --bogus
expect_rc "manifests FILE --bogus: usage" 2
expect_err "manifests FILE --bogus: names the option" \
    "custody: manifests: unknown option --bogus"

# --- keygen (no operands: a stray word is refused wherever it is)
run "$CUSTODY" keygen stray -o k2
expect_rc "keygen WORD -o PREFIX: usage" 2
expect_err "keygen WORD -o PREFIX: names the word" \
    "custody: keygen: unexpected argument stray"
check "keygen WORD -o PREFIX: no key written" test ! -e k2.key
run "$CUSTODY" keygen stray --bogus
expect_rc "keygen WORD --bogus: usage" 2
expect_err "keygen WORD --bogus: names the option" \
    "custody: keygen: unknown option --bogus"

# --- POSIXLY_CORRECT would make getopt stop at the first operand: custody
# takes its options anywhere all the same.
run env POSIXLY_CORRECT=1 "$CUSTODY" collect --no-nice tree -o posix.tar \
    --key k.key
expect_rc "POSIXLY_CORRECT: collect PATH -o OUT" 0
check "POSIXLY_CORRECT: collect PATH -o OUT writes OUT" test -s posix.tar
check "POSIXLY_CORRECT: -o is not collected as a path" \
    eval '! paths posix.tar | grep -qx "$T/-o"'
run env POSIXLY_CORRECT=1 "$CUSTODY" verify posix.tar --pubkey k.pub
expect_rc "POSIXLY_CORRECT: verify BUNDLE --pubkey K" 0

# --- the top level: its options end at the command name
run "$CUSTODY" --bogus show after.tar
expect_rc "custody --bogus COMMAND: usage" 2

done_testing
