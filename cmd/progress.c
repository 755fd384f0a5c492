/*
 * progress.c: one line on the terminal that says how far collect or
 * verify got: files, bytes, rate, what is being worked on, and time
 * elapsed.  Drawn with a carriage return and erased before any other
 * message, and only on a terminal: logs and pipes never hold it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"

#define REDRAW_NS	100000000LL	/* at most ten lines a second */
#define WIDTH		79

static long long
ns_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000LL +
	    (b->tv_nsec - a->tv_nsec);
}

void
progress_start(struct progress *p, bool quiet, const char *files)
{
	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(STDERR_FILENO);
	p->files = files;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

/* "12.3 MB" of N bytes (10^6), into BUF. */
static void
human(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof(unit) / sizeof(*unit)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

void
progress_update(void *arg, uint64_t files, uint64_t bytes,
    const char *current)
{
	struct progress *p = arg;
	struct timespec now;
	char line[256], b[32], rate[32];
	long long el;
	int n;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->drawn && ns_between(&p->last, &now) < REDRAW_NS)
		return;
	p->last = now;
	el = ns_between(&p->start, &now);
	human(bytes, b, sizeof(b));
	human(el > 0 ? (uint64_t)((double)bytes * 1e9 / (double)el) : 0,
	    rate, sizeof(rate));
	n = snprintf(line, sizeof(line), "%ju %s, %s, %s/s, %lld:%02lld ",
	    (uintmax_t)files, p->files, b, rate, el / 60000000000LL,
	    el / 1000000000LL % 60);
	fputs("\r\033[K", stderr);
	fputs(line, stderr);
	/* What is being worked on, cut to the line's width. */
	if (current != NULL && n > 0 && n < WIDTH) {
		char cut[WIDTH + 1];

		snprintf(cut, (size_t)(WIDTH - n) + 1, "%s", current);
		safe_fputs(cut, stderr);
	}
	fflush(stderr);
	p->drawn = true;
}

void
progress_clear(struct progress *p)
{
	if (!p->on || !p->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->drawn = false;
}
