/*
 * time.c: an instant as text, in UTC for every record and in the host's
 * zone beside it, to the nanosecond, without gmtime's year limits.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/base.h"

/*
 * What gmtime_r can represent: years whose tm_year (year - 1900) fits an
 * int, -2147481748-01-01T00:00:00Z to +2147485547-12-31T23:59:59Z.
 * Outside, times were always written as "invalid", and still are.
 */
#define UTC_MIN		(-67768040609740800LL)
#define UTC_MAX		67768036191676799LL

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

/* The first line of a small file, without its newline, or NULL. */
