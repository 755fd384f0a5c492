/*
 * test-host.c: time formatting and host and clock facts.  UTC strings are
 * compared with well-known instants and with date(1); local strings are
 * checked in named zones (set here through TZ: the test may read the
 * environment, the library may not) and parsed back to the same instant;
 * host facts are compared with what the system calls say directly.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

#define ZONEINFO	"/usr/share/zoneinfo"

static json_t *jo;

static void
setup(void)
{
	jo = NULL;
}

static void
teardown(void)
{
	json_decref(jo);
}

static void
zone(const char *tz)
{
	ck_assert_int_eq(setenv("TZ", tz, 1), 0);
	tzset();
}

/* Whether the zone database has TZ; tests of named zones need it. */
static bool
have_zone(const char *tz)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, tz);
	return access(path, R_OK) == 0;
}

static const char *
utc(time_t s, long ns)
{
	static char out[CUST_TIMELEN];
	struct timespec ts = { s, ns };

	cust_time_utc(&ts, out);
	return out;
}

static const char *
local(time_t s, long ns)
{
	static char out[CUST_TIMELEN];
	struct timespec ts = { s, ns };

	cust_time_local(&ts, out);
	return out;
}

/* What date(1) prints for instant S in zone TZ with format FMT. */
static const char *
date1(const char *tz, time_t s, const char *fmt)
{
	static char out[128];
	char cmd[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "TZ='%s' date -d @%jd '+%s'", tz,
	    (intmax_t)s, fmt);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(out, sizeof(out), p));
	ck_assert_int_eq(pclose(p), 0);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void
matches(const char *s, const char *pattern)
{
	regex_t re;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, s, 0, NULL, 0) == 0, "\"%s\" !~ %s", s,
	    pattern);
	regfree(&re);
}

#define RFC3339_UTC	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:" \
			"[0-9]{2}\\.[0-9]{9}Z$"
#define RFC3339_OFF	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:" \
			"[0-9]{2}\\.[0-9]{9}[+-][0-9]{2}:[0-9]{2}$"

/* --------------------------------------------------------------- UTC */

START_TEST(time_utc_formats_known_instants)
{
	ck_assert_str_eq(utc(0, 0), "1970-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(1700000000, 123456789),
	    "2023-11-14T22:13:20.123456789Z");
	ck_assert_str_eq(utc(1000000000, 0), "2001-09-09T01:46:40.000000000Z");
	ck_assert_str_eq(utc(951782400, 1), "2000-02-29T00:00:00.000000001Z");
	ck_assert_str_eq(utc(2147483647, 999999999),
	    "2038-01-19T03:14:07.999999999Z");
	ck_assert_str_eq(utc(2147483648, 0), "2038-01-19T03:14:08.000000000Z");
}
END_TEST

START_TEST(time_utc_before_epoch)
{
	ck_assert_str_eq(utc(-1, 0), "1969-12-31T23:59:59.000000000Z");
	ck_assert_str_eq(utc(-1, 999999999), "1969-12-31T23:59:59.999999999Z");
	ck_assert_str_eq(utc(-365 * 86400, 0),
	    "1969-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(-2147483648LL, 0),
	    "1901-12-13T20:45:52.000000000Z");
}
END_TEST

START_TEST(time_utc_agrees_with_date)
{
	static const time_t t[] = { 1, 59, 86399, 86400, 68169600,
	    915148799, 915148800, 1234567890, 1483228799, 1483228800,
	    4102444799LL, 4102444800LL, -86401, -631152000LL };
	char want[160];

	for (size_t i = 0; i < NELEM(t); i++) {
		snprintf(want, sizeof(want), "%s.000000042Z",
		    date1("UTC", t[i], "%Y-%m-%dT%H:%M:%S"));
		ck_assert_str_eq(utc(t[i], 42), want);
		matches(utc(t[i], 42), RFC3339_UTC);
	}
}
END_TEST

START_TEST(time_utc_does_not_depend_on_tz)
{
	char a[CUST_TIMELEN];

	zone("UTC");
	strcpy(a, utc(1700000000, 1));
	zone("Pacific/Kiritimati");
	ck_assert_str_eq(utc(1700000000, 1), a);
	zone("America/St_Johns");
	ck_assert_str_eq(utc(1700000000, 1), a);
}
END_TEST

START_TEST(time_utc_out_of_range_is_not_a_date)
{
	struct timespec ts = { (time_t)INT64_MAX, 0 };
	char out[CUST_TIMELEN];

	memset(out, 'x', sizeof(out));
	cust_time_utc(&ts, out);
	ck_assert_ptr_nonnull(memchr(out, '\0', sizeof(out)));
	ck_assert(out[0] < '0' || out[0] > '9');
}
END_TEST

/* cust_time_utc as it was written on gmtime_r and snprintf, for TZ=UTC. */
static const char *
ref(time_t s, long ns)
{
	static char out[CUST_TIMELEN];
	struct tm tm;
	long long y;

	if (gmtime_r(&s, &tm) == NULL)
		return "invalid";
	y = (long long)tm.tm_year + 1900;
	snprintf(out, sizeof(out), y >= 0 && y <= 9999 ?
	    "%04lld-%02d-%02dT%02d:%02d:%02d.%09ldZ" :
	    "%+05lld-%02d-%02dT%02d:%02d:%02d.%09ldZ", y, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
	return out;
}

START_TEST(time_utc_calendar_edges)
{
	ck_assert_str_eq(utc(951868799, 999999999),
	    "2000-02-29T23:59:59.999999999Z");
	ck_assert_str_eq(utc(951868800, 0), "2000-03-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(4107542399, 0), "2100-02-28T23:59:59.000000000Z");
	ck_assert_str_eq(utc(4107542400, 0), "2100-03-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(-2203891201, 0), "1900-02-28T23:59:59.000000000Z");
	ck_assert_str_eq(utc(-11670998400, 0),
	    "1600-02-29T00:00:00.000000000Z");
	ck_assert_str_eq(utc(13574606400, 0), "2400-02-29T12:00:00.000000000Z");
	ck_assert_str_eq(utc(253402300799, 999999999),
	    "9999-12-31T23:59:59.999999999Z");
	ck_assert_str_eq(utc(-62167219200, 0),
	    "0000-01-01T00:00:00.000000000Z");
}
END_TEST

START_TEST(time_utc_expanded_years_outside_0000_9999)
{
	ck_assert_str_eq(utc(253402300800, 0),
	    "+10000-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(-62167219201, 999999999),
	    "-0001-12-31T23:59:59.999999999Z");
	ck_assert_str_eq(utc(-62198755200, 0),
	    "-0001-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(-377705116800, 0),
	    "-9999-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(-377705116801, 0),
	    "-10000-12-31T23:59:59.000000000Z");
	/* The last instants a struct tm holds, and the first it does not. */
	ck_assert_str_eq(utc(67768036191676799, 1),
	    "+2147485547-12-31T23:59:59.000000001Z");
	ck_assert_str_eq(utc(-67768040609740800, 0),
	    "-2147481748-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(utc(67768036191676800, 0), "invalid");
	ck_assert_str_eq(utc(-67768040609740801, 0), "invalid");
	ck_assert_str_eq(utc((time_t)INT64_MIN, 0), "invalid");
	ck_assert_str_eq(utc((time_t)INT64_MAX, 999999999), "invalid");
}
END_TEST

/* Not from a kernel, but spelt as "%09ld" always spelt them. */
START_TEST(time_utc_odd_nanoseconds)
{
	ck_assert_str_eq(utc(0, -1), "1970-01-01T00:00:00.-00000001Z");
	ck_assert_str_eq(utc(0, 1000000000), "1970-01-01T00:00:00.1000000000Z");
	ck_assert_str_eq(utc(-1, LONG_MAX),
	    "1969-12-31T23:59:59.9223372036854775807Z");
	ck_assert_str_eq(utc(-1, LONG_MIN),
	    "1969-12-31T23:59:59.-9223372036854775808Z");
}
END_TEST

/* Check's asserts each leave a mark in a file; a sweep checks quietly. */
static void
agree(time_t t, long ns)
{
	char got[CUST_TIMELEN];
	struct timespec ts = { t, ns };
	const char *want;

	cust_time_utc(&ts, got);
	want = ref(t, ns);
	if (strcmp(got, want) != 0)
		ck_abort_msg("%jd.%09ld: \"%s\", not \"%s\"", (intmax_t)t, ns,
		    got, want);
}

/* The first instant of DAY and one later, at a time and nanosecond that
 * vary from day to day. */
static void
agree_on(int64_t day)
{
	uint64_t u = (uint64_t)day;

	agree((time_t)(day * 86400), 0);
	agree((time_t)(day * 86400 + (int64_t)(u * 7919 % 86400)),
	    (long)(u * 104729 % 1000000000));
}

/* Every day where the calendar turns (years 0 to 4, 1896 to 2104, 9995 to
 * 10000), every 29th day between, and random instants of every size. */
START_TEST(time_utc_agrees_with_gmtime)
{
	static const int64_t each[][2] = { { -719528 - 400, -717701 },
	    { -27028, 49308 }, { 2931071, 2932897 + 400 } };
	static const time_t edge[] = { INT64_MIN, INT64_MIN + 1,
	    -67768040609740801, -67768040609740800, 67768036191676799,
	    67768036191676800, INT64_MAX - 1, INT64_MAX };
	uint64_t x = 88172645463325252ULL;
	time_t t;

	zone("UTC");
	for (size_t i = 0; i < NELEM(each); i++)
		for (int64_t d = each[i][0]; d <= each[i][1]; d++)
			agree_on(d);
	for (int64_t d = -719528; d <= 2932897; d += 29)
		agree_on(d);
	for (size_t i = 0; i < NELEM(edge); i++)
		agree(edge[i], 5);
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		t = (time_t)(x >> (x % 64));
		agree(t, 999999999);
		agree(-t, 1);
	}
}
END_TEST

/* time_t counts no leap seconds, whatever zone the host is set to. */
START_TEST(time_utc_ignores_leap_second_zones)
{
	if (!have_zone("right/UTC"))
		return;
	zone("right/UTC");
	ck_assert_str_eq(utc(1700000000, 0), "2023-11-14T22:13:20.000000000Z");
	ck_assert_str_eq(utc(1483228800, 0), "2017-01-01T00:00:00.000000000Z");
}
END_TEST

/* -------------------------------------------------------------- local */

START_TEST(time_local_amsterdam_winter_and_summer)
{
	if (!have_zone("Europe/Amsterdam"))
		return;
	zone("Europe/Amsterdam");
	ck_assert_str_eq(local(1700000000, 123456789),
	    "2023-11-14T23:13:20.123456789+01:00");
	/* 2023-07-22T04:26:40Z */
	ck_assert_str_eq(local(1690000000, 0),
	    "2023-07-22T06:26:40.000000000+02:00");
}
END_TEST

START_TEST(time_local_half_hour_and_negative_offsets)
{
	if (!have_zone("America/St_Johns") || !have_zone("Asia/Kathmandu") ||
	    !have_zone("America/Los_Angeles"))
		return;
	zone("America/St_Johns");	/* NST, UTC-03:30 in November */
	ck_assert_str_eq(local(1700000000, 0),
	    "2023-11-14T18:43:20.000000000-03:30");
	zone("Asia/Kathmandu");		/* UTC+05:45 */
	ck_assert_str_eq(local(1700000000, 0),
	    "2023-11-15T03:58:20.000000000+05:45");
	zone("America/Los_Angeles");	/* PST, UTC-08:00 */
	ck_assert_str_eq(local(1700000000, 0),
	    "2023-11-14T14:13:20.000000000-08:00");
}
END_TEST

START_TEST(time_local_in_utc_has_zero_offset)
{
	zone("UTC");
	ck_assert_str_eq(local(0, 7), "1970-01-01T00:00:00.000000007+00:00");
	zone("UTC0");
	ck_assert_str_eq(local(1700000000, 0),
	    "2023-11-14T22:13:20.000000000+00:00");
}
END_TEST

START_TEST(time_local_posix_rule_zone)
{
	/* No database needed: a POSIX TZ rule, 5 h west of UTC. */
	zone("EST5");
	ck_assert_str_eq(local(1700000000, 0),
	    "2023-11-14T17:13:20.000000000-05:00");
	zone("XYZ-13:45");
	ck_assert_str_eq(local(1700000000, 0),
	    "2023-11-15T11:58:20.000000000+13:45");
}
END_TEST

START_TEST(time_local_offset_agrees_with_date)
{
	static const char *const zones[] = { "Europe/Amsterdam",
	    "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe",
	    "America/Sao_Paulo" };
	static const time_t t[] = { 1700000000, 1690000000, 1679792400,
	    1679792399, 1698541200, 1698541199, 1000000000 };
	char want[16];

	for (size_t z = 0; z < NELEM(zones); z++) {
		if (!have_zone(zones[z]))
			continue;
		zone(zones[z]);
		for (size_t i = 0; i < NELEM(t); i++) {
			strcpy(want, date1(zones[z], t[i], "%:z"));
			matches(local(t[i], 0), RFC3339_OFF);
			ck_assert_msg(strcmp(local(t[i], 0) + 29, want) == 0,
			    "%s @%jd: %s, date says %s", zones[z],
			    (intmax_t)t[i], local(t[i], 0), want);
		}
	}
}
END_TEST

/* Seconds since the epoch of an RFC 3339 string with an offset. */
static time_t
parse(const char *s, long *nsp)
{
	struct tm tm;
	int oh, om, n = 0;
	char sign;

	memset(&tm, 0, sizeof(tm));
	ck_assert_int_eq(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%9ld%c%2d:%2d%n",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, nsp, &sign, &oh, &om, &n), 10);
	ck_assert_uint_eq((size_t)n, strlen(s));
	ck_assert(sign == '+' || sign == '-');
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
}

START_TEST(time_local_names_the_same_instant)
{
	static const char *const zones[] = { "Europe/Amsterdam",
	    "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham",
	    "America/New_York", "UTC" };
	uint64_t x = 88172645463325252ULL;
	time_t t;
	long ns;

	for (size_t z = 0; z < NELEM(zones); z++) {
		if (!have_zone(zones[z]))
			continue;
		zone(zones[z]);
		for (int i = 0; i < 2000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* 1970 to 2100, on whole seconds and odd ones */
			t = (time_t)(x % 4102444800ULL);
			ck_assert_msg(parse(local(t, 123), &ns) == t,
			    "%s @%jd: %s", zones[z], (intmax_t)t,
			    local(t, 123));
			ck_assert_int_eq(ns, 123);
		}
	}
}
END_TEST

/* -------------------------------------------------------------- facts */

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

START_TEST(host_facts_hostname_is_gethostname)
{
	char name[256];

	ck_assert_int_eq(gethostname(name, sizeof(name)), 0);
	ck_assert_ptr_nonnull(jo = cust_host_facts());
	ck_assert(json_is_object(jo));
	ck_assert_str_eq(jstr(jo, "hostname"), name);
}
END_TEST

START_TEST(host_facts_kernel_is_uname)
{
	struct utsname u;

	ck_assert_int_eq(uname(&u), 0);
	ck_assert_ptr_nonnull(jo = cust_host_facts());
	ck_assert_str_eq(jstr(jo, "kernel"), u.sysname);
	ck_assert_str_eq(jstr(jo, "kernel_release"), u.release);
	ck_assert_str_eq(jstr(jo, "kernel_version"), u.version);
	ck_assert_str_eq(jstr(jo, "machine"), u.machine);
}
END_TEST

/* The first line of PATH, or "" when it cannot be read. */
static void
firstline(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

START_TEST(host_facts_boot_and_machine_ids_are_the_files)
{
	char want[512];

	ck_assert_ptr_nonnull(jo = cust_host_facts());
	firstline("/proc/sys/kernel/random/boot_id", want, sizeof(want));
	if (want[0] != '\0') {
		ck_assert_str_eq(jstr(jo, "boot_id"), want);
		matches(want, "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
		    "[0-9a-f]{4}-[0-9a-f]{12}$");
	}
	firstline("/etc/machine-id", want, sizeof(want));
	if (want[0] != '\0')
		ck_assert_str_eq(jstr(jo, "machine_id"), want);
	else
		ck_assert_ptr_null(json_object_get(jo, "machine_id"));
}
END_TEST

START_TEST(clock_facts_in_winter)
{
	struct timespec start = { 1700000000, 5 }, end = { 1700000100, 6 };
	const json_t *v;

	if (!have_zone("Europe/Amsterdam"))
		return;
	zone("Europe/Amsterdam");
	ck_assert_ptr_nonnull(jo = cust_clock_facts(&start, &end));
	ck_assert_str_eq(jstr(jo, "start_utc"),
	    "2023-11-14T22:13:20.000000005Z");
	ck_assert_str_eq(jstr(jo, "end_utc"), "2023-11-14T22:15:00.000000006Z");
	ck_assert_str_eq(jstr(jo, "start_local"),
	    "2023-11-14T23:13:20.000000005+01:00");
	ck_assert_str_eq(jstr(jo, "end_local"),
	    "2023-11-14T23:15:00.000000006+01:00");
	ck_assert_str_eq(jstr(jo, "time_zone"), "CET");
	v = json_object_get(jo, "utc_offset_seconds");
	ck_assert(json_is_integer(v));
	ck_assert_int_eq(json_integer_value(v), 3600);
	if ((v = json_object_get(jo, "synchronised")) != NULL)
		ck_assert(json_is_boolean(v));
	if ((v = json_object_get(jo, "max_error_us")) != NULL)
		ck_assert(json_is_integer(v));
}
END_TEST

START_TEST(clock_facts_in_summer)
{
	struct timespec start = { 1690000000, 0 }, end = { 1690003600, 0 };

	if (!have_zone("Europe/Amsterdam"))
		return;
	zone("Europe/Amsterdam");
	ck_assert_ptr_nonnull(jo = cust_clock_facts(&start, &end));
	ck_assert_str_eq(jstr(jo, "time_zone"), "CEST");
	ck_assert_int_eq(json_integer_value(json_object_get(jo,
	    "utc_offset_seconds")), 7200);
	ck_assert_str_eq(jstr(jo, "end_local"),
	    "2023-07-22T07:26:40.000000000+02:00");
}
END_TEST

START_TEST(clock_facts_west_of_utc_has_negative_offset)
{
	struct timespec start = { 1700000000, 0 }, end = start;

	zone("EST5");
	ck_assert_ptr_nonnull(jo = cust_clock_facts(&start, &end));
	ck_assert_int_eq(json_integer_value(json_object_get(jo,
	    "utc_offset_seconds")), -5 * 3600);
	ck_assert_str_eq(jstr(jo, "start_local"),
	    "2023-11-14T17:13:20.000000000-05:00");
	ck_assert_str_eq(jstr(jo, "start_utc"), jstr(jo, "end_utc"));
}
END_TEST

START_TEST(clock_facts_source_is_the_kernel_clocksource)
{
	struct timespec now;
	char want[128];

	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &now), 0);
	ck_assert_ptr_nonnull(jo = cust_clock_facts(&now, &now));
	firstline("/sys/devices/system/clocksource/clocksource0/"
	    "current_clocksource", want, sizeof(want));
	if (want[0] != '\0')
		ck_assert_str_eq(jstr(jo, "clock_source"), want);
	matches(jstr(jo, "start_utc"), RFC3339_UTC);
	matches(jstr(jo, "start_local"), RFC3339_OFF);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("host");
	TCase *u = tcase_create("utc");
	TCase *l = tcase_create("local");
	TCase *f = tcase_create("facts");

	tcase_set_timeout(u, 30);
	tcase_add_test(u, time_utc_formats_known_instants);
	tcase_add_test(u, time_utc_before_epoch);
	tcase_add_test(u, time_utc_agrees_with_date);
	tcase_add_test(u, time_utc_does_not_depend_on_tz);
	tcase_add_test(u, time_utc_out_of_range_is_not_a_date);
	tcase_add_test(u, time_utc_calendar_edges);
	tcase_add_test(u, time_utc_expanded_years_outside_0000_9999);
	tcase_add_test(u, time_utc_odd_nanoseconds);
	tcase_add_test(u, time_utc_agrees_with_gmtime);
	tcase_add_test(u, time_utc_ignores_leap_second_zones);
	suite_add_tcase(s, u);

	tcase_set_timeout(l, 60);
	tcase_add_test(l, time_local_amsterdam_winter_and_summer);
	tcase_add_test(l, time_local_half_hour_and_negative_offsets);
	tcase_add_test(l, time_local_in_utc_has_zero_offset);
	tcase_add_test(l, time_local_posix_rule_zone);
	tcase_add_test(l, time_local_offset_agrees_with_date);
	tcase_add_test(l, time_local_names_the_same_instant);
	suite_add_tcase(s, l);

	tcase_add_checked_fixture(f, setup, teardown);
	tcase_add_test(f, host_facts_hostname_is_gethostname);
	tcase_add_test(f, host_facts_kernel_is_uname);
	tcase_add_test(f, host_facts_boot_and_machine_ids_are_the_files);
	tcase_add_test(f, clock_facts_in_winter);
	tcase_add_test(f, clock_facts_in_summer);
	tcase_add_test(f, clock_facts_west_of_utc_has_negative_offset);
	tcase_add_test(f, clock_facts_source_is_the_kernel_clocksource);
	suite_add_tcase(s, f);
	return s;
}

