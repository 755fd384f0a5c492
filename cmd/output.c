/*
 * output.c: the output file of `custody collect`, from its creation to its
 * end: made new (never over a file, never through a link), removed if a
 * signal or a failure ends the collection before it is sealed, and, once
 * sealed, made durable with its checksum and custody log beside it.
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

/*
 * The partial output to remove if a signal ends the collection.  It is
 * removed through its directory's descriptor: once the collection has made
 * the mounts read-only for this process, only descriptors opened before
 * can still change the output's directory.
 */
static volatile sig_atomic_t partial_set;
static int partial_dirfd = -1;
static char partial[4096];

static void
onsignal(int sig)
{
	static const char msg[] = "custody: interrupted: partial bundle "
	    "removed, nothing was sealed\n";

	if (partial_set)
		unlinkat(partial_dirfd, partial, 0);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigfillset(&sa.sa_mask);
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
	char *dir;

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
	if (access(o->sidecar, F_OK) == 0) {
		warnmsg("%s: %s", o->sidecar, strerror(EEXIST));
		return EXIT_FATAL;
	}
	o->fd = open(o->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (o->fd < 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		return EXIT_FATAL;
	}
	o->created = true;
	o->base = strrchr(o->path, '/') != NULL ? strrchr(o->path, '/') + 1 :
	    o->path;
	if ((dir = strdup(o->path)) == NULL || (o->dirfd = open(dirname(dir),
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		free(dir);
		return EXIT_FATAL;
	}
	free(dir);
	if (access(o->logname, F_OK) == 0) {
		warnmsg("%s: %s", o->logname, strerror(EEXIST));
		return EXIT_FATAL;
	}
	snprintf(partial, sizeof(partial), "%s", o->base);
	partial_dirfd = o->dirfd;
	partial_set = strlen(o->base) < sizeof(partial);
	return EXIT_DONE;
}

void
close_output(struct out *o, bool keep)
{
	if (o->created && !keep) {
		partial_set = 0;
		unlinkat(o->dirfd, o->base, 0);
	}
	free(o->logname);
	if (o->fd > STDOUT_FILENO)
		close(o->fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->path);
	free(o->sidecar);
}

/*
 * The custody log's first events beside the bundle, made through the
 * directory opened before the collection (the mounts are read-only now).
 * A bundle is whole without it: a failure is reported, not fatal.
 */
static int
write_log(struct out *o, const struct cust_collect_result *res)
{
	const char *base = strrchr(o->logname, '/') != NULL ?
	    strrchr(o->logname, '/') + 1 : o->logname;
	size_t n = res->log_text != NULL ? strlen(res->log_text) : 0;
	ssize_t k = 0;
	int fd;

	if (n == 0)
		return EXIT_DONE;
	fd = openat(o->dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	for (size_t off = 0; fd >= 0 && off < n; off += (size_t)k)
		if ((k = write(fd, res->log_text + off, n - off)) < 0 &&
		    errno != EINTR)
			break;
		else if (k < 0)
			k = 0;
	if (fd < 0 || k < 0 || fsync(fd) != 0) {
		warnmsg("%s: %s: the custody log was not written", o->logname,
		    strerror(errno));
		if (fd >= 0)
			unlinkat(o->dirfd, base, 0);
	} else
		o->logged = true;
	if (fd >= 0)
		close(fd);
	return EXIT_DONE;
}

/* Make the bundle durable and write its checksum beside it. */
int
finish_output(struct out *o, const struct cust_collect_result *res)
{
	const char *side = strrchr(o->sidecar, '/') != NULL ?
	    strrchr(o->sidecar, '/') + 1 : o->sidecar;
	FILE *f;
	int fd;

	if (fsync(o->fd) != 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		return EXIT_FATAL;
	}
	fd = openat(o->dirfd, side, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		warnmsg("%s: %s", o->sidecar, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FATAL;
	}
	fprintf(f, "%s  %s\n", res->sha256, o->base);
	if (fflush(f) != 0 || fsync(fd) != 0 || fclose(f) != 0) {
		warnmsg("%s: %s", o->sidecar, strerror(errno));
		unlinkat(o->dirfd, side, 0);
		return EXIT_FATAL;
	}
	return write_log(o, res);
}
