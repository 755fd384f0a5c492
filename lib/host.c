/*
 * host.c: facts about the machine the collection runs on (name, kernel,
 * boot id, operating system) and about its clock, which may lie: what it
 * said, in which zone, from which clock source, and whether it believed
 * itself synchronised.  Also time formatting for every record.
 */
#include <sys/timex.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/*
 * What gmtime_r can represent: years whose tm_year (year - 1900) fits an
 * int, -2147481748-01-01T00:00:00Z to +2147485547-12-31T23:59:59Z.
 * Outside, times were always written as "invalid", and still are.
 */
#define UTC_MIN		(-67768040609740800LL)
#define UTC_MAX		67768036191676799LL

#define FACT_MAX	65536	/* bytes of os-release or of a /proc file */

/*
 * Year, month and day of DAYS since 1970-01-01 in the proleptic Gregorian
 * calendar, by Howard Hinnant's days-to-civil: counting from 0000-03-01 in
 * 400-year eras puts each leap day last in its year, so no table is needed.
 */
static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = era * 400 + (int64_t)yoe + (*m <= 2);
}

/* V, below 10^W, as exactly W digits at P; the byte after them. */
static char *
digits(char *p, uint64_t v, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + w;
}

/*
 * RFC 3339 has room for years 0000 to 9999 only; a hostile filesystem can
 * hold times outside, which are then written with ISO 8601's expanded,
 * signed year ("+10000-01-01T...", "-0001-...") rather than misread.
 */
static char *
year(char *p, int64_t y)
{
	uint64_t a = y < 0 ? (uint64_t)-y : (uint64_t)y;

	if (y < 0 || y > 9999)
		*p++ = y < 0 ? '-' : '+';
	if (a <= 9999)
		return digits(p, a, 4);
	return p + cust_fmt_uint(p, a);
}

/*
 * Written by hand, not with gmtime_r and snprintf: this runs for every
 * time of every file.  gmtime_r also takes glibc's time zone lock, and in
 * a "right/" zone (TZ=right/UTC) it counts leap seconds, which time_t
 * does not, and so wrote times up to 27 seconds early.
 */
void
cust_time_utc(const struct timespec *ts, char out[CUST_TIMELEN])
{
	int64_t t = ts->tv_sec, days, y;
	long ns = (long)ts->tv_nsec, sod;
	unsigned m, d;
	char *p;

	if (t < UTC_MIN || t > UTC_MAX) {
		memcpy(out, "invalid", sizeof("invalid"));
		return;
	}
	days = t / 86400;
	if ((sod = (long)(t % 86400)) < 0) {
		sod += 86400;
		days--;
	}
	civil(days, &y, &m, &d);
	p = year(out, y);
	*p++ = '-';
	p = digits(p, m, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, (uint64_t)sod / 3600, 2);
	*p++ = ':';
	p = digits(p, (uint64_t)sod / 60 % 60, 2);
	*p++ = ':';
	p = digits(p, (uint64_t)sod % 60, 2);
	if (ns < 0 || ns > 999999999) {
		/* Not from a kernel; spelt as "%09ld" always did. */
		snprintf(p, CUST_TIMELEN - (size_t)(p - out), ".%09ldZ", ns);
		return;
	}
	*p++ = '.';
	p = digits(p, (uint64_t)ns, 9);
	memcpy(p, "Z", 2);
}

void
cust_time_local(const struct timespec *ts, char out[CUST_TIMELEN])
{
	struct tm tm;
	time_t t = ts->tv_sec;
	long off;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(out, CUST_TIMELEN, "invalid");
		return;
	}
	off = labs(tm.tm_gmtoff / 60) % (24 * 60);
	snprintf(out, CUST_TIMELEN,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)ts->tv_nsec,
	    tm.tm_gmtoff < 0 ? '-' : '+', (int)(off / 60), (int)(off % 60));
}

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
