/*
 * test-logins.c: login records written by the test as struct utmp and
 * struct lastlog into a crafted root (run/utmp, var/log/wtmp,
 * var/log/btmp, var/log/lastlog) parse back exactly, field by field; an
 * absent file is no row and no failure; a symbolic link in their place
 * is not followed; lastlog's sparse holes are skipped.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <lastlog.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <utmp.h>

#include <check.h>

#include "live/sources.h"
#include "harness.h"

static struct cust_ctx *ctx;
static json_t *rows;
static int rootfd;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	mkd("run");
	mkd("var");
	mkd("var/log");
	rootfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	rows = NULL;
}

static void
teardown(void)
{
	json_decref(rows);
	close(rootfd);
	scratch_remove();
	cust_ctx_free(ctx);
}

static struct utmp
record(short type, const char *user, const char *tty, const char *host,
    pid_t pid, int32_t sec, int32_t usec)
{
	struct utmp u;

	memset(&u, 0, sizeof(u));
	u.ut_type = type;
	u.ut_pid = pid;
	strncpy(u.ut_user, user, sizeof(u.ut_user));
	strncpy(u.ut_line, tty, sizeof(u.ut_line));
	strncpy(u.ut_host, host, sizeof(u.ut_host));
	memcpy(u.ut_id, "ts/0", 4);
	u.ut_session = 77;
	u.ut_tv.tv_sec = sec;
	u.ut_tv.tv_usec = usec;
	return u;
}

static const char *
s(size_t i, const char *k)
{
	const json_t *v = json_object_get(json_array_get(rows, i), k);

	return json_is_null(v) ? "null" : json_string_value(v);
}

static json_int_t
n(size_t i, const char *k)
{
	return json_integer_value(json_object_get(json_array_get(rows, i),
	    k));
}

static void
parse(int want)
{
	ck_assert_msg(cust_live_logins(ctx, rootfd, &rows) == want, "%s",
	    cust_ctx_error(ctx));
}

START_TEST(utmp_and_wtmp_records_parse_back_exactly)
{
	struct utmp w[3];

	w[0] = record(USER_PROCESS, "alice", "pts/0", "198.51.100.7", 4242,
	    1767323045, 6);	/* 2026-01-02T03:04:05 */
	inet_pton(AF_INET, "198.51.100.7", &w[0].ut_addr_v6[0]);
	w[1] = record(USER_PROCESS, "bob", "pts/1", "2001:db8::9", 4243,
	    1767323046, 999999);
	inet_pton(AF_INET6, "2001:db8::9", w[1].ut_addr_v6);
	w[2] = record(DEAD_PROCESS, "", "pts/0", "", 4242, 1767326645, 0);
	w[2].ut_exit.e_termination = 1;
	w[2].ut_exit.e_exit = 2;
	put("var/log/wtmp", w, sizeof(w));
	put("run/utmp", &w[1], sizeof(w[1]));
	parse(CUST_OK);
	ck_assert_uint_eq(json_array_size(rows), 4);
	/* run/utmp first */
	ck_assert_str_eq(s(0, "source"), "utmp");
	ck_assert_str_eq(s(0, "user"), "bob");
	ck_assert_str_eq(s(0, "address"), "2001:db8::9");
	ck_assert_str_eq(s(0, "time"), "2026-01-02T03:04:06.999999000Z");
	ck_assert_str_eq(s(1, "source"), "wtmp");
	ck_assert_str_eq(s(1, "type"), "USER_PROCESS");
	ck_assert_str_eq(s(1, "user"), "alice");
	ck_assert_str_eq(s(1, "tty"), "pts/0");
	ck_assert_str_eq(s(1, "id"), "ts/0");
	ck_assert_str_eq(s(1, "host"), "198.51.100.7");
	ck_assert_int_eq(n(1, "pid"), 4242);
	ck_assert_int_eq(n(1, "session"), 77);
	ck_assert_str_eq(s(1, "time"), "2026-01-02T03:04:05.000006000Z");
	ck_assert_str_eq(s(1, "address"), "198.51.100.7");
	ck_assert_str_eq(s(1, "exit"), "null");
	ck_assert_str_eq(s(1, "uid"), "null");
	ck_assert_str_eq(s(3, "type"), "DEAD_PROCESS");
	ck_assert_str_eq(s(3, "user"), "null");
	ck_assert_str_eq(s(3, "address"), "null");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_array_get(rows, 3), "exit"), "exit")), 2);
}
END_TEST

/* A field that fills its whole width has no NUL; bytes that are not
 * UTF-8 are escaped. */
START_TEST(full_width_and_binary_fields_are_kept)
{
	struct utmp u = record(LOGIN_PROCESS, "", "", "", 1, 0, 0);

	memset(u.ut_user, 'u', sizeof(u.ut_user));
	memcpy(u.ut_line, "tty\xff\x01", 5);
	put("var/log/btmp", &u, sizeof(u));
	parse(CUST_OK);
	ck_assert_uint_eq(json_array_size(rows), 1);
	ck_assert_str_eq(s(0, "source"), "btmp");
	ck_assert_uint_eq(strlen(s(0, "user")), sizeof(u.ut_user));
	ck_assert_str_eq(s(0, "tty"), "tty^FF^01");
	ck_assert_str_eq(s(0, "type"), "LOGIN_PROCESS");
}
END_TEST

START_TEST(lastlog_holes_are_skipped_and_uids_kept)
{
	struct lastlog l;
	int fd;

	memset(&l, 0, sizeof(l));
	l.ll_time = 1767323045;
	strncpy(l.ll_line, "pts/3", sizeof(l.ll_line));
	strncpy(l.ll_host, "203.0.113.5", sizeof(l.ll_host));
	fd = open(path("var/log/lastlog"), O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	/* uid 1000, then uid 60000: a hole of 17 MB between */
	ck_assert_int_eq(pwrite(fd, &l, sizeof(l), 1000 * sizeof(l)),
	    (ssize_t)sizeof(l));
	ck_assert_int_eq(pwrite(fd, &l, sizeof(l), 60000 * sizeof(l)),
	    (ssize_t)sizeof(l));
	close(fd);
	parse(CUST_OK);
	ck_assert_uint_eq(json_array_size(rows), 2);
	ck_assert_str_eq(s(0, "type"), "LASTLOG");
	ck_assert_int_eq(n(0, "uid"), 1000);
	ck_assert_int_eq(n(1, "uid"), 60000);
	ck_assert_str_eq(s(1, "tty"), "pts/3");
	ck_assert_str_eq(s(1, "host"), "203.0.113.5");
	ck_assert_str_eq(s(1, "time"), "2026-01-02T03:04:05.000000000Z");
}
END_TEST

START_TEST(no_login_files_is_no_rows)
{
	parse(CUST_OK);
	ck_assert_uint_eq(json_array_size(rows), 0);
}
END_TEST

/* var/log/wtmp -> the host's: not followed, a warning; the other files
 * are still read. */
START_TEST(a_symbolic_link_is_not_followed)
{
	struct utmp u = record(USER_PROCESS, "carol", "pts/2", "", 9, 1, 0);

	ck_assert_int_eq(symlink("/var/log/wtmp", path("var/log/wtmp")), 0);
	put("run/utmp", &u, sizeof(u));
	parse(CUST_WARN);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "var/log/wtmp: Too many levels of symbolic links");
	ck_assert_uint_eq(json_array_size(rows), 1);
	ck_assert_str_eq(s(0, "user"), "carol");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *su = suite_create("logins");
	TCase *tc = tcase_create("logins");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, utmp_and_wtmp_records_parse_back_exactly);
	tcase_add_test(tc, full_width_and_binary_fields_are_kept);
	tcase_add_test(tc, lastlog_holes_are_skipped_and_uids_kept);
	tcase_add_test(tc, no_login_files_is_no_rows);
	tcase_add_test(tc, a_symbolic_link_is_not_followed);
	suite_add_tcase(su, tc);
	return su;
}
