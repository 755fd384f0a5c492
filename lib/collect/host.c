/*
 * host.c: facts about the machine the collection runs on (name, kernel,
 * boot id, operating system) and about its clock, which may lie: what it
 * said, in which zone, from which clock source, and whether it believed
 * itself synchronised.
 */
#include <sys/timex.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

#define FACT_MAX	65536	/* bytes of os-release or of a /proc file */

/*
 * PATH whole into *BUFP (owned by the caller), or NULL.  Through the
 * bounded reader: a FIFO planted at /etc/machine-id must not hang a
 * collection.  Why it failed is nobody's concern, so its context is its
 * own: a fact that cannot be read is left out.
 */
static char *
slurp(const char *path, unsigned flags)
{
	struct cust_ctx *ctx;
	char *buf = NULL;
	size_t n;

	if (cust_ctx_new(&ctx) != CUST_OK)
		return NULL;
	if (cust_read_file_at(ctx, AT_FDCWD, path, NULL, flags, FACT_MAX,
	    &buf, &n) == CUST_OK && n == 0) {
		free(buf);
		buf = NULL;
	}
	cust_ctx_free(ctx);
	return buf;
}

/* The first line of a small file, without its newline, or NULL. */
static char *
firstline(const char *path)
{
	char *s;

	if ((s = slurp(path, CUST_READ_NOFOLLOW)) != NULL)
		s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* PRETTY_NAME from os-release, unquoted, or NULL. */
static char *
osname(void)
{
	char *buf, *p, *nl, *end, *v = NULL;

	/* /etc/os-release is a link to /usr/lib/os-release on many systems. */
	if ((buf = slurp("/etc/os-release", 0)) == NULL &&
	    (buf = slurp("/usr/lib/os-release", 0)) == NULL)
		return NULL;
	for (p = buf; p != NULL && v == NULL; p = nl != NULL ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (strncmp(p, "PRETTY_NAME=", 12) != 0)
			continue;
		v = p + 12;
		v[strcspn(v, "\r")] = '\0';
		if (*v == '"' && (end = strrchr(v + 1, '"')) != NULL) {
			*end = '\0';
			v++;
		}
		v = strdup(v);
	}
	free(buf);
	return v;
}

/* Set KEY to the string S (owned, freed here) when it is valid UTF-8. */
static int
setstr(json_t *o, const char *key, char *s)
{
	int r = 0;

	if (s != NULL && cust_utf8_valid(s, strlen(s)))
		r = json_object_set_new(o, key, json_string(s));
	free(s);
	return r;
}

json_t *
cust_host_facts(void)
{
	struct utsname u;
	json_t *o;
	char name[256];
	int bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		bad |= setstr(o, "hostname", strdup(name));
	}
	if (uname(&u) == 0) {
		bad |= setstr(o, "kernel", strdup(u.sysname));
		bad |= setstr(o, "kernel_release", strdup(u.release));
		bad |= setstr(o, "kernel_version", strdup(u.version));
		bad |= setstr(o, "machine", strdup(u.machine));
	}
	bad |= setstr(o, "os", osname());
	bad |= setstr(o, "boot_id",
	    firstline("/proc/sys/kernel/random/boot_id"));
	bad |= setstr(o, "machine_id", firstline("/etc/machine-id"));
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
cust_clock_facts(const struct timespec *start, const struct timespec *end)
{
	char utc[CUST_TIMELEN], loc[CUST_TIMELEN];
	struct timex tx;
	struct tm tm;
	json_t *o;
	time_t t = start->tv_sec;
	int state, bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	cust_time_utc(start, utc);
	cust_time_local(start, loc);
	bad |= json_object_set_new(o, "start_utc", json_string(utc));
	bad |= json_object_set_new(o, "start_local", json_string(loc));
	cust_time_utc(end, utc);
	cust_time_local(end, loc);
	bad |= json_object_set_new(o, "end_utc", json_string(utc));
	bad |= json_object_set_new(o, "end_local", json_string(loc));
	if (localtime_r(&t, &tm) != NULL) {
		bad |= setstr(o, "time_zone", strdup(tm.tm_zone));
		bad |= json_object_set_new(o, "utc_offset_seconds",
		    json_integer(tm.tm_gmtoff));
	}
	bad |= setstr(o, "clock_source", firstline(
	    "/sys/devices/system/clocksource/clocksource0/current_clocksource"));
	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state >= 0) {
		bad |= json_object_set_new(o, "synchronised",
		    json_boolean(state != TIME_ERROR &&
		    (tx.status & STA_UNSYNC) == 0));
		bad |= json_object_set_new(o, "max_error_us",
		    json_integer(tx.maxerror));
	}
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
