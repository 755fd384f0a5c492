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
