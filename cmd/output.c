/*
 * output.c: the output file of `custody collect`, from its creation to its
 * end.  Until it is sealed the bundle has no name: an unnamed O_TMPFILE in
 * the output's directory, or, where the filesystem has none, NAME.partial.
 * Only a sealed bundle takes its name, atomically and never over a file
 * (linkat, or renameat2 with RENAME_NOREPLACE), so that whatever ends the
 * collection (a signal, a failure, SIGKILL, the OOM killer) no file under
 * the final name is ever incomplete.  Once named, the bundle is made
 * durable with its checksum and custody log beside it, and nothing of it
 * is ever removed: a signal that comes then waits until they are written.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "collect.h"

/* Where the output is, for the signal handler. */
enum { OUT_NONE, OUT_FILE, OUT_STREAM, OUT_SEALED };

/*
 * The partial output to remove if a signal ends the collection, when it
 * has a name (NAME.partial).  It is removed through its directory's
 * descriptor: once the collection has made the mounts read-only for this
 * process, only descriptors opened before can still change the output's
 * directory.  Once the bundle is sealed and named, a signal is only noted
 * (deferred): the caller ends as it said, after the sidecars.
 */
static volatile sig_atomic_t state = OUT_NONE;
static volatile sig_atomic_t partial_set;
static volatile sig_atomic_t deferred;
static int partial_dirfd = -1;
static char partial[4096];

static void
onsignal(int sig)
{
	static const char file[] = "custody: interrupted: partial bundle "
	    "removed, nothing was sealed\n";
	static const char stream[] = "custody: interrupted: the receiver "
	    "holds an incomplete stream, which will not verify; nothing was "
	    "sealed\n";

	if (state == OUT_SEALED) {
		deferred = sig;
		return;
	}
	if (partial_set)
		unlinkat(partial_dirfd, partial, 0);
	if (state == OUT_STREAM)
		(void)!write(STDERR_FILENO, stream, sizeof(stream) - 1);
	else
		(void)!write(STDERR_FILENO, file, sizeof(file) - 1);
	_exit(128 + sig);
}

void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigfillset(&sa.sa_mask);
	/* Deferred after sealing: the writes of the sidecars and the summary
	 * go on. */
	sa.sa_flags = SA_RESTART;
	/* SIGINT is caught even where the shell ignores it (a background
	 * job), so that a caller can still interrupt; a hang-up that the
	 * caller ignores (nohup) is ignored, and the collection outlives the
	 * terminal, as asked. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!caller_ignores(SIGHUP))
		sigaction(SIGHUP, &sa, NULL);
	/* Over a file size limit, write(2) must fail (EFBIG) so that the
	 * partial bundle is removed, not kill us and leave it behind. */
	signal(SIGXFSZ, SIG_IGN);
}

int
signal_deferred(void)
{
	return deferred;
}

/* Every byte of S that is not a letter, a digit, '.', '-' or '_' made '_'
 * (POSIX's portable file name characters). */
static void
portable(char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";

	for (; *s != '\0'; s++)
		if (strchr(ok, *s) == NULL)
			*s = '_';
}

/* "<hostname>-<UTC time>.tar" */
static char *
default_name(void)
{
	char host[256], when[32], *s;
	time_t t = time(NULL);
	struct tm tm;

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	portable(host);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&s, "%s-%s.tar", host, when) < 0)
		return NULL;
	return s;
}

/* The bag's top directory: the evidence id, or the output's base name. */
char *
bag_name(const char *evidence, const char *path)
{
	char *s, *base;

	if (evidence != NULL)
		s = strdup(evidence);
	else if (path == NULL) {
		if ((s = default_name()) != NULL)
			s[strlen(s) - 4] = '\0';
	} else {
		base = strrchr(path, '/');
		s = strdup(base != NULL ? base + 1 : path);
		if (s != NULL && endswith(s, ".p7m"))
			s[strlen(s) - 4] = '\0';
		if (s != NULL && endswith(s, ".tar.zst"))
			s[strlen(s) - 8] = '\0';
		else if (s != NULL && endswith(s, ".tar"))
			s[strlen(s) - 4] = '\0';
	}
	if (s == NULL)
		return NULL;
	portable(s);
	if (s[0] == '.' || s[0] == '\0') {
		free(s);
		return strdup("bundle");
	}
	return s;
}

/* The last component of PATH. */
static const char *
base_of(const char *path)
{
	return strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
}

/* 0 when NAME is free in O->dirfd; EEXIST when it is there (a link,
 * even dangling, counts); another errno when that cannot be known. */
static int
taken(const struct out *o, const char *name)
{
	struct stat st;

	if (fstatat(o->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return EEXIST;
	return errno == ENOENT ? 0 : errno;
}

/*
 * An unnamed file in the output's directory, to be named when sealed:
 * only where it can be named later without privilege, through
 * /proc/self/fd (linkat with AT_EMPTY_PATH may need CAP_DAC_READ_SEARCH).
 */
static int
unnamed(struct out *o)
{
	struct stat a, b;
	char proc[64];
	int fd;

	fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (fstat(fd, &a) != 0 || stat(proc, &b) != 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		errno = EOPNOTSUPP;
		return -1;
	}
	o->unnamed = true;
	return fd;
}

/* NAME.partial, new: where the filesystem has no O_TMPFILE. */
static int
named(struct out *o)
{
	const char *base;
	int fd = -1;

	if (asprintf(&o->partial, "%s.partial", o->path) < 0) {
		o->partial = NULL;
		errno = ENOMEM;
		return -1;
	}
	if (strlen(base = base_of(o->partial)) >= sizeof(partial))
		errno = ENAMETOOLONG;
	else
		fd = openat(o->dirfd, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		warnmsg("%s: %s%s", o->partial, strerror(errno), errno ==
		    EEXIST ? " (an interrupted collection's? remove it)" : "");
		free(o->partial);	/* not ours: never removed */
		o->partial = NULL;
		return -1;
	}
	memcpy(partial, base, strlen(base) + 1);
	partial_dirfd = o->dirfd;
	partial_set = 1;
	return fd;
}

/* The output's directory, and nothing in it under the names we need. */
static int
check_names(struct out *o)
{
	const char *names[] = { o->sidecar, o->base, o->logname };
	char *dir;
	int err;

	if ((dir = strdup(o->path)) == NULL || (o->dirfd = open(dirname(dir),
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		free(dir);
		return EXIT_FATAL;
	}
	free(dir);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((err = taken(o, base_of(names[i]))) != 0) {
			warnmsg("%s: %s", names[i], strerror(err));
			return EXIT_FATAL;
		}
	return EXIT_DONE;
}

/* A confidential bundle's name ends in .p7m, added when it is not
 * there. */
static char *
sealed_name(char *path)
{
	char *s;

	if (path == NULL || endswith(path, ".p7m"))
		return path;
	if (asprintf(&s, "%s.p7m", path) < 0)
		s = NULL;
	free(path);
	return s;
}

int
open_output(struct out *o, const char *arg, bool zstd, bool sealed)
{
	int rc;

	o->fd = o->dirfd = -1;
	o->tty = stdout;
	o->zstd = zstd;
	if (arg != NULL && strcmp(arg, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			warnmsg("-: refusing to write a bundle to a terminal");
			return EXIT_USAGE;
		}
		o->fd = STDOUT_FILENO;
		o->tty = stderr;
		state = OUT_STREAM;
		return EXIT_DONE;
	}
	o->path = arg != NULL ? strdup(arg) : default_name();
	if (sealed)
		o->path = sealed_name(o->path);
	if (o->path == NULL || asprintf(&o->sidecar, "%s.sha256", o->path) < 0
	    || asprintf(&o->logname, "%s.custody", o->path) < 0)
		return warnmsg("out of memory"), EXIT_FATAL;
	o->zstd = zstd || endswith(o->path, ".zst") ||
	    endswith(o->path, ".zst.p7m");
	o->base = base_of(o->path);
	if ((rc = check_names(o)) != EXIT_DONE)
		return rc;
	if ((o->fd = unnamed(o)) < 0 && (errno == EOPNOTSUPP ||
	    errno == EISDIR || errno == EINVAL))
		o->fd = named(o);
	else if (o->fd < 0)
		warnmsg("%s: %s", o->path, strerror(errno));
	if (o->fd < 0)
		return EXIT_FATAL;
	state = OUT_FILE;
	return EXIT_DONE;
}

void
close_output(struct out *o)
{
	/* Never the final name: only the partial one, while unsealed. */
	if (o->partial != NULL && !o->published) {
		partial_set = 0;
		unlinkat(o->dirfd, partial, 0);
	}
	free(o->partial);
	free(o->logname);
	if (o->fd > STDOUT_FILENO)
		close(o->fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->path);
	free(o->sidecar);
}

/* Name the unnamed file FD NAME in the output's directory, never over a
 * file: with AT_EMPTY_PATH where allowed, else through /proc/self/fd. */
static int
name_fd(const struct out *o, int fd, const char *name)
{
	char proc[64];

	if (linkat(fd, "", o->dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, o->dirfd, name, AT_SYMLINK_FOLLOW);
}

/*
 * Give the sealed bundle its name, atomically and never over a file.  The
 * signals that end a collection wait meanwhile: one that comes once the
 * name is given is only noted.
 */
static int
publish(struct out *o)
{
	sigset_t all, was;
	int r;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &was);
	if (o->unnamed)
		r = name_fd(o, o->fd, o->base);
	else {
		r = renameat2(o->dirfd, partial, o->dirfd, o->base,
		    RENAME_NOREPLACE);
		/* No RENAME_NOREPLACE here: a new link never replaces. */
		if (r != 0 && errno == EINVAL && (r = linkat(o->dirfd, partial,
		    o->dirfd, o->base, 0)) == 0)
			unlinkat(o->dirfd, partial, 0);
	}
	if (r == 0) {
		o->published = true;
		partial_set = 0;
		state = OUT_SEALED;
	} else
		warnmsg("%s: %s: the sealed bundle could not take its name",
		    o->path, strerror(errno));
	sigprocmask(SIG_SETMASK, &was, NULL);
	return r == 0 ? EXIT_DONE : EXIT_FATAL;
}

/*
 * TEXT, N bytes, as NAME beside the bundle, through the directory opened
 * before the collection (the mounts are read-only now): written unnamed
 * and then named, so that it is there whole or not at all, where the
 * filesystem allows; else made new under its name, and removed if it
 * could not be written.  0, or -1 and errno.
 */
static int
write_beside(const struct out *o, const char *name, const char *text,
    size_t n)
{
	ssize_t k = 0;
	int fd, err = 0;

	fd = o->unnamed ? openat(o->dirfd, ".", O_TMPFILE | O_WRONLY |
	    O_CLOEXEC, 0644) : openat(o->dirfd, name, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < n; off += (size_t)k)
		if ((k = write(fd, text + off, n - off)) < 0 && errno != EINTR)
			break;
		else if (k < 0)
			k = 0;
	if (k < 0 || fsync(fd) != 0 || (o->unnamed && name_fd(o, fd, name) !=
	    0))
		err = errno;
	if (err != 0 && !o->unnamed)
		unlinkat(o->dirfd, name, 0);
	close(fd);
	errno = err;
	return err != 0 ? -1 : 0;
}

/*
 * The custody log's first events beside the bundle.  A bundle is whole
 * without it: a failure is reported, not fatal.
 */
static void
write_log(struct out *o, const struct cust_collect_result *res)
{
	size_t n = res->log_text != NULL ? strlen(res->log_text) : 0;

	if (n == 0)
		return;
	if (write_beside(o, base_of(o->logname), res->log_text, n) != 0)
		warnmsg("%s: %s: the custody log was not written", o->logname,
		    strerror(errno));
	else
		o->logged = true;
}

/* Make the bundle durable, name it and write its checksum beside it. */
int
finish_output(struct out *o, const struct cust_collect_result *res)
{
	char *line;
	int n, r;

	if (o->path == NULL) {
		state = OUT_SEALED;	/* the stream is whole */
		return EXIT_DONE;
	}
	if (fsync(o->fd) != 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		return EXIT_FATAL;
	}
	if (publish(o) != EXIT_DONE)
		return EXIT_FATAL;
	/* The name as durable as the bytes. */
	if (fsync(o->dirfd) != 0)
		warnmsg("%s: %s", o->path, strerror(errno));
	if ((n = asprintf(&line, "%s  %s\n", res->sha256, o->base)) < 0)
		return warnmsg("out of memory"), EXIT_FATAL;
	r = write_beside(o, base_of(o->sidecar), line, (size_t)n);
	free(line);
	if (r != 0) {
		warnmsg("%s: %s: %s is sealed, but its checksum was not "
		    "written", o->sidecar, strerror(errno), o->path);
		return EXIT_FATAL;
	}
	write_log(o, res);
	return EXIT_DONE;
}
