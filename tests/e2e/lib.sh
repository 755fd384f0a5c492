# lib.sh: shared helpers for the end-to-end tests (TAP output).
# Sourced by each tests/e2e/*.sh; meson sets CUSTODY, TEST_DATA, E2E_LIB.
set -u

: "${CUSTODY:?CUSTODY must name the custody binary}"
# The tests run python3 hundreds of times: Debian's, which quickstart.sh
# installs, and not a version manager's shim found first in PATH (pyenv's
# runs shell scripts at each call: half a second of CPU, 25 times the
# interpreter's own start).
if [ -x /usr/bin/python3 ]; then
	PATH=/usr/bin:$PATH
fi
. "$(dirname "${BASH_SOURCE[0]}")/wrapper.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/custody-e2e.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 99
TESTS=0
FAILS=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ok() {
	TESTS=$((TESTS + 1))
	echo "ok $TESTS - $*"
}

not_ok() {
	TESTS=$((TESTS + 1))
	FAILS=$((FAILS + 1))
	echo "not ok $TESTS - $*"
}

# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# run COMMAND...: run it, keeping its stdout, stderr and exit code in
# $OUT, $ERR and $RC.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(<"$T/.out")
	ERR=$(<"$T/.err")
}

# expect_rc DESCRIPTION WANT: the last run exited WANT.
expect_rc() {
	if [ "$RC" -eq "$2" ]; then
		ok "$1 (exit $2)"
	else
		not_ok "$1 (exit $RC, want $2)"
		printf '# stdout: %s\n# stderr: %s\n' "$OUT" "$ERR" | head -20
	fi
}

# expect_err DESCRIPTION LINE: the last run printed exactly LINE on stderr.
expect_err() {
	if grep -qxF -- "$2" "$T/.err"; then
		ok "$1"
	else
		not_ok "$1"
		printf '# want stderr line: %s\n# got: %s\n' "$2" "$ERR" | head -20
	fi
}

# expect_err_match DESCRIPTION REGEX: some stderr line matches REGEX.
expect_err_match() {
	if grep -qE -- "$2" "$T/.err"; then
		ok "$1"
	else
		not_ok "$1"
		printf '# want stderr matching: %s\n# got: %s\n' "$2" "$ERR" |
		    head -20
	fi
}

# expect_out_match DESCRIPTION REGEX: some stdout line matches REGEX.
expect_out_match() {
	if grep -qE -- "$2" "$T/.out"; then
		ok "$1"
	else
		not_ok "$1"
		printf '# want stdout matching: %s\n# got: %s\n' "$2" "$OUT" |
		    head -20
	fi
}

# key_id PUBFILE: the key ID written in a public key's comment.
key_id() {
	sed -n '1s/.* //p' "$1"
}

# bag_dir TARFILE: the bag's top directory.
bag_dir() {
	tar -tf "$1" | head -1 | cut -d/ -f1
}

done_testing() {
	echo "1..$TESTS"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# make_tree DIR: a small tree with the usual awkward members.
make_tree() {
	mkdir -p "$1/sub/deeper" "$1/empty-dir" &&
	printf 'hello\n' >"$1/a.txt" &&
	: >"$1/empty" &&
	printf 'spaced\n' >"$1/with space.txt" &&
	printf 'utf-8 name\n' >"$1/résumé-ü.txt" &&
	head -c 100000 /dev/urandom >"$1/sub/random.bin" &&
	printf 'deep\n' >"$1/sub/deeper/d.txt" &&
	ln -s a.txt "$1/link-to-a" &&
	ln -s sub "$1/link-to-dir" &&
	ln -s /nonexistent/target "$1/dangling"
}

# field PID N: field N of /proc/PID/stat (3 is the state, 4 the parent, 6
# the session, 19 the nice value), read after the name.  Builtins only:
# a scan of every process must take milliseconds, not seconds, or a test
# that looks for a child would be racing the child.
field() {
	local s a
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	read -ra a <<<"${s##*) }"
	echo "${a[$2 - 3]}"
}

# parent_is PID PARENT: true when PID's parent is PARENT.
parent_is() {
	local s a
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	read -ra a <<<"${s##*) }"
	[ "${a[1]}" = "$2" ]
}

# wait_for SECONDS COMMAND...: true once COMMAND succeeds, polled every
# 50 ms; false if it never did.  The bound only keeps a broken build from
# hanging the suite: it is never what a test's verdict turns on.
wait_for() {
	local n=$(($1 * 20))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# child_of PID: the process whose parent is PID, once it exists (60 s).
child_of() {
	local i p
	for i in $(seq 1200); do
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			if parent_is "$p" "$1"; then
				echo "$p"
				return 0
			fi
		done
		[ -e "/proc/$1" ] || return 1
		sleep 0.05
	done
	return 1
}

# pyserve HELPER ARGS...: HELPER.py ARGS (tamper, hostile_tar), served
# by one Python process for all of a test's calls (pyserve.py), started
# at the first; a subshell that would start its own runs HELPER.py once.
pyserve() {
	local rc n
	if [ -z "${PYSERVE_PID:-}" ] && [ "$BASH_SUBSHELL" -eq 0 ]; then
		coproc PYSERVE { exec python3 "$HERE/pyserve.py"; }
	fi
	if [ -z "${PYSERVE_PID:-}" ]; then
		python3 "$HERE/$1.py" "${@:2}"
		return
	fi
	printf '%s\0' "$(($# + 1))" "$PWD" "$@" >&"${PYSERVE[1]}" || return 99
	read -r rc n <&"${PYSERVE[0]}" || return 99
	[ "$n" -eq 0 ] || head -c "$n" <&"${PYSERVE[0]}"
	return "$rc"
}

# tamper OP IN OUT ARGS...: see tamper.py.
tamper() {
	pyserve tamper "$@"
}

# craft OP ARGS...: see craft.py.
craft() {
	python3 "$HERE/craft.py" "$@"
}

# Peak memory (GNU time's %M).  Under a sanitizer or valgrind
# (tests/valgrind.sh sets CUSTODY_WRAPPER) it is theirs, not custody's:
# ASAN says so, and such checks are skipped.
# meson says which sanitizers the build has (CUSTODY_SANITIZE); run by
# hand without it, the binary's libraries tell.
ASAN=
case ${CUSTODY_SANITIZE-unset} in
*address*) ASAN=yes ;;
unset) ldd "$CUSTODY" 2>/dev/null | grep -q libasan && ASAN=yes ;;
esac
[ -z "${CUSTODY_WRAPPER:-}" ] || ASAN=yes
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=

# measured DESCRIPTION: a test that needs peak RSS, or a skip saying why.
measured() {
	if [ -n "$ASAN" ]; then
		ok "$1 # SKIP sanitizer or valgrind run: RSS is not the verifier's"
	elif [ -z "$TIME" ]; then
		ok "$1 # SKIP no /usr/bin/time"
	else
		return 1
	fi
}

# peak CMD...: run CMD like run (stdin from $IN, else /dev/null), its peak
# RSS in KiB in $KB (0 when not measured).
peak() {
	KB=0
	if [ -n "$ASAN" ] || [ -z "$TIME" ]; then
		run "$@" <"${IN:-/dev/null}"
		return
	fi
	run "$TIME" -f %M -o "$T/.rss" "$@" <"${IN:-/dev/null}"
	KB=$(tail -1 "$T/.rss")
	grep -v '^Command exited with non-zero status' "$T/.err" >"$T/.err2"
	mv "$T/.err2" "$T/.err"
	ERR=$(<"$T/.err")
}

# start_sshd: an sshd of the test's own on 127.0.0.1:$SSH_PORT (root only:
# privilege separation), a throwaway host key, root's login by the key
# $SSH_KEY alone; stopped when the test ends.  `sshc ARGS...` runs ssh to
# it.  False, with the reason on stdout as a comment, when it cannot run.
start_sshd() {
	local d=$T/sshd
	if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] ||
	    ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
		echo "# no sshd of our own: needs root and openssh-server"
		return 1
	fi
	mkdir -p "$d" /run/sshd && chmod 700 "$d" &&
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" &&
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_key" &&
	cp "$d/client_key.pub" "$d/authorized_keys" || return 1
	SSH_KEY=$d/client_key
	SSH_PORT=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$d/sshd_config" <<CONF
ListenAddress 127.0.0.1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel ERROR
CONF
	/usr/sbin/sshd -D -e -f "$d/sshd_config" -p "$SSH_PORT" \
	    2>"$d/sshd.log" &
	SSHD_PID=$!
	trap 'kill "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null
	    chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
	if ! wait_for 20 sshc true 2>"$d/ssh.err"; then
		sed 's/^/# /' "$d/sshd.log" "$d/ssh.err" | tail -5
		return 1
	fi
}

sshc() {
	ssh -p "$SSH_PORT" -i "$SSH_KEY" -o BatchMode=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR root@127.0.0.1 "$@"
}
