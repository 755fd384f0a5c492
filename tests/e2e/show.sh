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
# The seal key ID shown is derived from the key recorded, never the one
# stated: a bundle re-signed by key 2 dressed in key 1's ID shows key 2,
# says both IDs and exits 1, after the file list.
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
"$CUSTODY" keygen -o k2 >/dev/null 2>&1 || exit 99
"$CUSTODY" collect --no-nice --key k.key -o s.tar tree >/dev/null 2>&1 ||
    exit 99
run "$CUSTODY" show s.tar
expect_rc "show a bundle sealed by key 1" 0
expect_out_match "shows key 1's ID, derived from its key" \
    "^seal key: +$(key_id k.pub) \\(derived from the public key below\\)\$"
python3 - k.pub k2.pub >lie.pub <<'PY' || exit 99
import base64, sys
a, b = (base64.b64decode(open(f).read().splitlines()[1]) for f in sys.argv[1:])
print("untrusted comment: key 2 with key 1's ID")
print(base64.b64encode(b"Ed" + a[2:10] + b[10:]).decode())
PY
python3 "$HERE/tamper.py" identity s.tar lie.tar --sign k2.key lie.pub --acq ||
    exit 99
run "$CUSTODY" show lie.tar
expect_rc "show a bundle whose key carries another key's ID" 1
expect_err "says both IDs" \
    "custody: metadata/acquisition.json: seal public key: claims key ID $(key_id k.pub) but its key is $(key_id k2.pub)"
expect_out_match "shows key 2's ID, not the one claimed" \
    "^seal key: +$(key_id k2.pub) \\(derived from the public key below\\)\$"
expect_out_match "and still lists the files" " $T/tree/a\\.txt  \\[file\\]\$"
python3 "$HERE/tamper.py" edit s.tar id.tar metadata/acquisition.json \
    "\"key_id\": \"$(key_id k.pub)\"" "\"key_id\": \"$(key_id k2.pub)\"" ||
    exit 99
run "$CUSTODY" show id.tar
expect_rc "show a bundle whose seal key_id is another key's" 1
expect_err "says both IDs" \
    "custody: metadata/acquisition.json: seal key_id: claims key ID $(key_id k2.pub) but its key is $(key_id k.pub)"
run "$CUSTODY" show missing.tar
expect_rc "a missing bundle" 3
expect_err "is named" "custody: missing.tar: No such file or directory"
run "$CUSTODY" show
expect_rc "no bundle is a usage error" 2

done_testing
