#!/usr/bin/env bash
# ssh.sh: `ssh host custody collect -o - > host.tar` writes nothing on the
# host (issue 25, item 5).  An sshd of the test's own on loopback (a
# throwaway host key and authorized_keys under $T) runs the collector
# under strace, which watches every call that could create, change or
# remove a file; the bundle arrives over the connection and verifies here.
# Without root or sshd, the same collection runs without ssh, and says so.
# (start_sshd is in lib.sh.)
. "$E2E_LIB"

if [ -n "$ASAN" ]; then
	ok "# SKIP traced in the plain build's run (LeakSanitizer cannot work under strace)"
	done_testing
fi
if ! command -v strace >/dev/null; then
	ok "# SKIP needs strace"
	done_testing
fi

mkdir tree
make_tree tree
# Every call by which a process makes, changes or removes a name or a
# file's bytes; memfd_create and mount are watched to be judged apart.
CALLS=open,openat,openat2,creat,mkdir,mkdirat,mknod,mknodat,link,linkat
CALLS=$CALLS,symlink,symlinkat,rename,renameat,renameat2,unlink,unlinkat
CALLS=$CALLS,rmdir,truncate,chmod,fchmodat,chown,fchownat,lchown,utimensat
CALLS=$CALLS,setxattr,lsetxattr,removexattr,lremovexattr,memfd_create,mount
CALLS=$CALLS,unshare,execve
# One file at a time (CUSTODY_IO_URING=off): an open that io_uring makes
# is no system call, and strace would not see it.  The ring path submits
# read-only opens, statx, reads and closes only (lib/collect/uring.c).
# The trace goes to a file of its own (strace's writes, not the
# collector's), where strace -f starts every line with the caller's PID;
# on stderr a call made once threads run reads "[pid N] call(", which the
# checks below would not see.
COLLECT="CUSTODY_IO_URING=off strace -f -qq -o $(printf %q "$T/trace.log") -e trace=$CALLS $(printf %q "$CUSTODY") collect --no-nice --case SSH-1 -o - $(printf %q "$T/tree")"

via=
if start_sshd; then
	via=ssh
fi

if [ "$via" = ssh ]; then
	ok "an sshd of the test's own answers on 127.0.0.1:$SSH_PORT"
	sshc "$COLLECT" >host.tar 2>err.log
	RC=$?
	check "ssh host custody collect -o - > host.tar completes" \
	    test "$RC" -eq 0
else
	ok "# SKIP no sshd of our own (needs root and openssh-server): the collection runs without ssh"
	bash -c "$COLLECT" >host.tar 2>err.log
	RC=$?
	check "custody collect -o - > host.tar completes" test "$RC" -eq 0
fi

ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' err.log)
run "$CUSTODY" verify --trusted-key-id "$ID" host.tar
expect_rc "the bundle that came over the connection verifies" 0
tar -xOf host.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "and holds the tree" grep -q '"path":".*/tree/sub/deeper/d.txt"' files.jsonl

# The trace: it saw the collector read the tree ...
check "the trace saw the collector start" \
    grep -qE "execve\\(\"$CUSTODY\"" trace.log
check "and open the tree's files" grep -qE 'open.*"d\.txt"' trace.log
# ... and no call that makes, changes or removes a file.
grep -E '^[0-9]+ +[a-z0-9_]+\(' trace.log >calls.log
check "every traced call names its caller" \
    test "$(grep -cvE '^[0-9]+ ' trace.log)" -eq 0
grep -E '(open|openat|openat2)\(.*(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_TMPFILE)' \
    calls.log >written.log
grep -E '(^|[0-9] +)(creat|mkdir|mkdirat|mknod|mknodat|link|linkat|symlink|symlinkat|rename|renameat|renameat2|unlink|unlinkat|rmdir|truncate|chmod|fchmodat|chown|fchownat|lchown|utimensat|setxattr|lsetxattr|removexattr|lremovexattr)\(' \
    calls.log >>written.log
if [ -s written.log ]; then
	not_ok "no file is created, opened for writing, changed or removed"
	sed 's/^/# /' written.log | head -10
else
	ok "no file is created, opened for writing, changed or removed"
fi
# Its spool is memory (memfd), and its read-only mounts are in a mount
# namespace of its own: each mount follows an unshare(CLONE_NEWNS).
check "what it spools is in memory (memfd_create), not on a disk" \
    grep -qE '(^|[0-9] +)memfd_create\(' calls.log
check "every mount is in a mount namespace of its own" \
    awk '/ unshare\(CLONE_NEWNS.*= 0/ { ns[$1] = 1 }
	/ mount\(/ && !ns[$1] { bad = 1 } END { exit bad }' calls.log
done_testing
