#!/usr/bin/env bash
# ansible.sh: fleet collection with contrib/ansible (issue 25, item 4).
# Two inventory hosts, aliases of this machine with different case IDs
# (alpha by a local connection; beta over ssh to an sshd of the test's
# own on loopback when one can run, else local too), each get the static
# custody on a tmpfs, collect a
# small tree, stream their bundle back and have it verified; the play
# succeeds, the bundles verify again here with the tested build, and no
# file of the tool is left on the host.  A second play shows that a host
# whose bundle does not verify, or whose binary is not the kit's, fails.
. "$E2E_LIB"

if [ -n "$ASAN" ]; then
	ok "# SKIP the play runs in the plain build's suite"
	done_testing
fi
if ! command -v ansible-playbook >/dev/null; then
	ok "# SKIP needs ansible-playbook (ansible-core)"
	done_testing
fi
SHM=/dev/shm
if [ "$(stat -f -c %T "$SHM" 2>/dev/null)" != tmpfs ]; then
	ok "# SKIP $SHM is not a tmpfs"
	done_testing
fi
# The kit's binary: the static one when built, else the tested build.
KIT=${CUSTODY_STATIC:-}
[ -x "$KIT" ] || KIT=$CUSTODY
SUM=$(sha256sum <"$KIT" | cut -c1-64)
ROLE=$SOURCE_ROOT/contrib/ansible

mkdir tree
make_tree tree
# Ansible's own state on the control node stays under $T.
export ANSIBLE_HOME=$T/ansible ANSIBLE_LOCAL_TEMP=$T/ansible/tmp
export ANSIBLE_ROLES_PATH=$ROLE/roles ANSIBLE_NOCOLOR=1
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0

# host NAME CASE [HOSTVARS]: a host of the YAML inventory, by a local
# connection unless HOSTVARS names another.
host() {
	printf '        %s:\n' "$1"
	case ${3:-} in
	*ansible_connection:*) ;;
	*) printf '          ansible_connection: local\n' ;;
	esac
	printf '          custody_case: %s\n          custody_evidence_id: EVD-%s\n' \
	    "$2" "$1"
	[ -z "${3:-}" ] || printf '          %s\n' "$3"
}
inventory() {
	printf 'all:\n  children:\n    suspects:\n      vars:\n'
	printf '        custody_binary: %s\n' "$KIT"
	printf '        custody_binary_sha256: "%s"\n' "$SUM"
	printf '        custody_examiner: "E2E Examiner"\n'
	printf '        custody_paths: ["%s"]\n' "$T/tree"
	printf '        custody_bundle_dir: %s\n' "$T/bundles"
	printf '        custody_verifier: %s\n' "$CUSTODY"
	printf '      hosts:\n'
}
BETA=
if start_sshd; then
	BETA="ansible_connection: ssh
          ansible_host: 127.0.0.1
          ansible_port: $SSH_PORT
          ansible_user: root
          ansible_ssh_private_key_file: $SSH_KEY
          ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
	ok "beta is reached over ssh (an sshd of the test's own)"
else
	ok "# SKIP beta over ssh: it has a local connection too"
fi
{ inventory; host alpha CASE-A; host beta CASE-B "$BETA"; } >good.yml

leftovers() {
	find "$SHM" -maxdepth 1 \( -name 'custody-*' -o -name '.ansible*' \) \
	    2>/dev/null
	pgrep -f "$SHM/custody-" 2>/dev/null
}
check "nothing of the tool on the host before the play" test -z "$(leftovers)"

run ansible-playbook -i good.yml "$ROLE/collect.yml"
expect_rc "the play over two hosts succeeds" 0
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/.out" | grep -E 'fatal|FAILED|msg' | head
expect_out_match "alpha: no task failed" '^alpha +: ok=[0-9]+ .*failed=0 '
expect_out_match "beta: no task failed" '^beta +: ok=[0-9]+ .*failed=0 '
for h in alpha:CASE-A beta:CASE-B; do
	n=${h%%:*}
	b=bundles/EVD-$n.tar
	check "$n: its bundle is on the control node" test -s "$b"
	ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "bundles/EVD-$n.log")
	run "$CUSTODY" verify --trusted-key-id "$ID" "$b"
	expect_rc "$n: and verifies here with the tested build" 0
	run "$CUSTODY" show "$b"
	expect_out_match "$n: with its own case ID" "^case: +${h#*:}\$"
	expect_out_match "$n: and evidence ID" "^evidence: +EVD-$n\$"
	check "$n: its SHA-256 beside it" \
	    bash -c "cd bundles && sha256sum --quiet -c EVD-$n.tar.sha256"
done
check "no file of the tool is left on the host (no $SHM/custody-*, no custody running from it)" \
    test -z "$(leftovers)"

# A host whose bundle is changed after it arrived (the verifier it is
# given flips a byte first) and a host whose binary is not the kit's
# fail the play.
cat >tampering-verifier <<SH
#!/bin/sh
# The last argument is the bundle: one byte of its payload changed.
for b; do :; done
printf 'X' | dd of="\$b" bs=1 seek=1600 conv=notrunc 2>/dev/null
exec "$CUSTODY" "\$@"
SH
chmod +x tampering-verifier
{ inventory; host gamma CASE-G "custody_verifier: $T/tampering-verifier"
  host delta CASE-D "custody_binary_sha256: \"$(printf '%064d' 0)\""; } \
    >bad.yml
run ansible-playbook -i bad.yml "$ROLE/collect.yml"
expect_rc "a play with a host whose bundle does not verify fails" 2
expect_out_match "gamma: failed" '^gamma +: .*failed=1 '
check "at the verification of its bundle" \
    awk '/^TASK / { t = /the bundle verifies on the control node/ }
	t && /^fatal: \[gamma/ { f = 1 } END { exit !f }' "$T/.out"
expect_out_match "delta, whose binary is not the kit's: failed" \
    '^delta +: .*failed=1 '
check "delta: nothing was collected" test ! -e bundles/EVD-delta.tar
check "no file of the tool is left on the host by the failed play" \
    test -z "$(leftovers)"
done_testing
