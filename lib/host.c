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
 * RFC 3339 has room for years 0000 to 9999 only; a hostile filesystem can
 * hold times outside, which are then written with ISO 8601's expanded,
 * signed year ("+10000-01-01T...", "-0001-...") rather than misread.
 */
void
cust_time_utc(const struct timespec *ts, char out[CUST_TIMELEN])
{
	struct tm tm;
	time_t t = ts->tv_sec;
	long long year;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, CUST_TIMELEN, "invalid");
		return;
	}
	year = (long long)tm.tm_year + 1900;
	snprintf(out, CUST_TIMELEN, year >= 0 && year <= 9999 ?
	    "%04lld-%02d-%02dT%02d:%02d:%02d.%09ldZ" :
	    "%+05lld-%02d-%02dT%02d:%02d:%02d.%09ldZ", year, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
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
static char *
firstline(const char *path)
{
	char buf[512];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

/* PRETTY_NAME from os-release, unquoted, or NULL. */
static char *
osname(void)
{
	char line[512], *v, *end;
	FILE *f;

	if ((f = fopen("/etc/os-release", "re")) == NULL &&
	    (f = fopen("/usr/lib/os-release", "re")) == NULL)
		return NULL;
	v = NULL;
	while (v == NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		v = line + 12;
		v[strcspn(v, "\r\n")] = '\0';
		if (*v == '"' && (end = strrchr(v + 1, '"')) != NULL) {
			*end = '\0';
			v++;
		}
		v = strdup(v);
	}
	fclose(f);
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
