/*
 * sidecar.c: what `custody timestamp`, `transfer` and `log` share: where a
 * bundle's custody log is (BUNDLE.custody unless --log says), opening it to
 * append (made when missing, and removed again if nothing was written),
 * reading the bundle a new log must be bound to, and the options that say
 * who acts.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "sidecar.h"

char *
sidecar_name(const char *bundle, const char *log)
{
	char *s;

	if (log != NULL)
		return strdup(log);
	if (strcmp(bundle, "-") == 0)
		return NULL;
	if (asprintf(&s, "%s.custody", bundle) < 0)
		return NULL;
	return s;
}

int
sidecar_open(struct sidecar *sc, const char *bundle, const char *log)
{
	struct stat st;

	memset(sc, 0, sizeof(*sc));
	sc->fd = -1;
	if ((sc->name = sidecar_name(bundle, log)) == NULL) {
		if (strcmp(bundle, "-") == 0 && log == NULL)
			return warnmsg("-: give the custody log with --log"),
			    EXIT_USAGE;
		return warnmsg("out of memory"), EXIT_FATAL;
	}
	sc->fd = open(sc->name, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (sc->fd >= 0)
		sc->created = true;
	else if (errno == EEXIST)
		sc->fd = open(sc->name, O_RDWR | O_APPEND | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
	if (sc->fd < 0 || fstat(sc->fd, &st) != 0)
		return warnmsg("%s: %s", sc->name, strerror(errno)),
		    EXIT_FATAL;
	if (!S_ISREG(st.st_mode))
		return warnmsg("%s: not a regular file", sc->name),
		    EXIT_FATAL;
	sc->empty = st.st_size == 0;
	return EXIT_DONE;
}

void
sidecar_close(struct sidecar *sc, bool wrote)
{
	if (sc->created && !wrote)
		unlink(sc->name);
	if (sc->fd >= 0)
		close(sc->fd);
	free(sc->name);
}

int
sidecar_bundle(struct cust_ctx *ctx, const char *bundle,
    struct cust_bundle_ref *ref)
{
	int fd, r;

	memset(ref, 0, sizeof(*ref));
	fd = strcmp(bundle, "-") == 0 ? STDIN_FILENO :
	    open(bundle, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return warnmsg("%s: %s", bundle, strerror(errno)), EXIT_FATAL;
	r = cust_bundle_ref_read(ctx, fd, strcmp(bundle, "-") == 0 ?
	    "standard input" : bundle, ref);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r == CUST_OK)
		return EXIT_DONE;
	warnctx(ctx);
	return r == CUST_FAILED ? EXIT_BAD : EXIT_FATAL;
}

int
actor_option(struct cust_event *ev, int ch, const char *arg)
{
	switch (ch) {
	case ACTOR_ROLE:
		ev->role = arg;
		break;
	case ACTOR_ORGANISATION:
		ev->organisation = arg;
		break;
	case ACTOR_CONTACT:
		ev->contact = arg;
		break;
	case ACTOR_LOCATION:
		ev->location = arg;
		break;
	case ACTOR_REASON:
		ev->purpose = arg;
		break;
	default:
		return -1;
	}
	return 0;
}

/* The new head, printed alone on its line for the paper form. */
int
sidecar_done(struct cust_ctx *ctx, const struct sidecar *sc,
    const char *head)
{
	const struct cust_log_entry *e;
	struct cust_log *log;

	fputs("log:        ", stdout);
	safe_fputs(sc->name, stdout);
	putchar('\n');
	if (cust_log_read(ctx, sc->fd, sc->name, &log) == CUST_OK &&
	    (e = cust_log_entry(log, cust_log_count(log) - 1)) != NULL) {
		printf("event:      %ju %s\n", (uintmax_t)e->seq, e->type);
		if (e->gen_time != NULL) {
			fputs("genTime:    ", stdout);
			safe_fputs(e->gen_time, stdout);
			fputs(" (by the TSA; not yet verified)\n", stdout);
		}
	}
	cust_log_free(log);
	printf("head:       %s\n", head);
	if (fflush(stdout) != 0 || ferror(stdout))
		return warnmsg("standard output: %s", strerror(errno)),
		    EXIT_FATAL;
	return EXIT_DONE;
}
