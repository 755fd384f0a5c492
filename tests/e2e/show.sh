#!/usr/bin/env bash
# show.sh: custody show prints the acquisition record and the file list
# without extracting anything.
. "$E2E_LIB"

make_tree tree
"$CUSTODY" collect --case SHOW-1 --examiner "E. Xaminer" -o b.tar tree \
    >/dev/null 2>&1
run "$CUSTODY" show b.tar
expect_rc "show a bundle" 0
expect_out_match "says it has not verified anything" 'run custody verify'
expect_out_match "shows the case" '^case: +SHOW-1$'
expect_out_match "shows the examiner" '^examiner: +E\. Xaminer$'
expect_out_match "lists a file with its sha256" \
    "^ok +6 $(printf 'hello\n' | sha256sum | cut -d' ' -f1) $T/tree/a\\.txt  \\[file\\]\$"
expect_out_match "lists a symlink" "^ok .* $T/tree/link-to-a  \\[symlink\\]\$"
check "nothing was extracted" test "$(ls | sort | tr '\n' ' ')" = "b.tar b.tar.custody b.tar.sha256 tree "
run "$CUSTODY" show - <b.tar
expect_rc "show from standard input" 0
run "$CUSTODY" show missing.tar
expect_rc "a missing bundle" 3
expect_err "is named" "custody: missing.tar: No such file or directory"
run "$CUSTODY" show
expect_rc "no bundle is a usage error" 2

done_testing
