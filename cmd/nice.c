/*
 * nice.c: collect's --nice: the lowest CPU priority and the idle I/O
 * class, in a scheduling group of its own.  Linux weighs a nice value
 * only against the threads of the same group, and with autogroups
 * (kernel.sched_autogroup_enabled, on by default in Debian) every session
 * is one: niced, custody in the responder's shell still took an even
 * share of the processors against busy processes in another session, and
 * a fragile host's own work did not go first.  So the collection runs in a
 * child that starts a session of its own, alone in its autogroup, and
 * sets that group to nice 19; the responder's own session is not touched.
 * The parent only waits: it hands on the signals meant for the
 * collection (the terminal's go to the parent's process group) and ends
 * as the child did.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "collect.h"

#define AUTOGROUP_ON	"/proc/sys/kernel/sched_autogroup_enabled"
#define AUTOGROUP	"/proc/self/autogroup"

static volatile pid_t child;

/* The signals a caller or a terminal sends to stop or pause custody. */
static const int passed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
    SIGCONT };

static void
pass_on(int sig)
{
	int e = errno;

	if (sig == SIGTSTP) {
		/* Pause both, as the terminal would have without us. */
		kill(child, SIGSTOP);
		kill(getpid(), SIGSTOP);
	} else
		kill(child, sig);
	errno = e;
}

static bool
autogroups(void)
{
	char c = '0';
	int fd;

	if ((fd = open(AUTOGROUP_ON, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

/* In the child, a session of its own: its autogroup to nice 19. */
static bool
lower_group(void)
{
	int fd;

	if (setsid() == -1) {
		warnmsg("setsid: %s", strerror(errno));
		return false;
	}
	if ((fd = open(AUTOGROUP, O_WRONLY | O_CLOEXEC)) == -1 ||
	    write(fd, "19", 2) != 2) {
		warnmsg("%s: %s", AUTOGROUP, strerror(errno));
		if (fd != -1)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* The parent: wait for the child and end as it did; never returns. */
static void
wait_child(pid_t pid, const sigset_t *was)
{
	struct sigaction sa;
	int status, sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pass_on;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	child = pid;
	/* A signal is passed on when the child would act on it: SIGINT and
	 * SIGTERM always (collect catches them), the others unless the
	 * caller ignores them, as the child then does too (nohup: SIGHUP;
	 * a shell's background job: SIGQUIT). */
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		if (passed[i] == SIGINT || passed[i] == SIGTERM ||
		    !caller_ignores(passed[i]))
			sigaction(passed[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, was, NULL);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			warnmsg("waitpid: %s", strerror(errno));
			_exit(EXIT_FATAL);
		}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	/* Killed: die of the same signal, for the caller to see. */
	sig = WTERMSIG(status);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* Go on in a child alone in a session, and so in an autogroup, of its
 * own, at nice 19; the parent waits and ends as the child did.  true in
 * the child when the group was lowered; false where the kernel has no
 * autogroups, or it failed (said on stderr). */
static bool
own_session(void)
{
	sigset_t block, was;
	pid_t parent = getpid(), pid;
	bool lowered;

	if (!autogroups())
		return false;
	/* Nothing sent between the fork and the handlers is lost: the
	 * parent passes it on once they are set, and the child's own
	 * handlers take what comes after. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		sigaddset(&block, passed[i]);
	sigprocmask(SIG_BLOCK, &block, &was);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		warnmsg("fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &was, NULL);
		return false;
	}
	if (pid > 0)
		wait_child(pid, &was);
	/* If the parent goes (killed outright), the collection stops as
	 * on SIGTERM, removing its partial bundle. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		raise(SIGTERM);
	lowered = lower_group();
	sigprocmask(SIG_SETMASK, &was, NULL);
	return lowered;
}

/* A fragile production host comes first.  Failures are not fatal; the
 * summary would be wrong to claim what did not happen, so report them. */
void
be_nice(struct cust_collect_opts *co)
{
	enum { WHO_PROCESS = 1, CLASS_IDLE = 3, CLASS_SHIFT = 13 };

	co->autogroup = own_session();
	if (setpriority(PRIO_PROCESS, 0, 19) == 0)
		co->niced = true;
	else
		warnmsg("setpriority: %s", strerror(errno));
	if (syscall(SYS_ioprio_set, WHO_PROCESS, 0,
	    CLASS_IDLE << CLASS_SHIFT) == 0)
		co->io_idle = true;
	else
		warnmsg("ioprio_set: %s", strerror(errno));
}
