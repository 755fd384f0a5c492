/*
 * test-users.c: home directories from the collection root's own
 * etc/passwd, in a temporary root built per test.  The fields are those of
 * passwd(5), name:password:UID:GID:GECOS:directory:shell; homes are
 * absolute, kept once, without trailing slashes, in file order.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_strv homes;
static int rootfd;

static void
setup(void)
{
	char etc[128];

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	snprintf(etc, sizeof(etc), "%s/etc", scratch);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	rootfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	memset(&homes, 0, sizeof(homes));
}

static void
teardown(void)
{
	cust_strv_free(&homes);
	close(rootfd);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* Write N bytes of TEXT as the root's etc/passwd. */
static void
passwd_n(const char *text, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/passwd", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(text, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

#define PASSWD(text)	passwd_n((text), strlen(text))

static void
load(bool skip_nologin)
{
	cust_strv_free(&homes);
	ck_assert_msg(cust_user_homes(ctx, rootfd, skip_nologin, &homes) ==
	    CUST_OK, "%s", cust_ctx_error(ctx));
}

/* The homes must be exactly WANT, in order. */
static void
is(const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < homes.n; i++)
		ck_assert_str_eq(homes.v[i], want[i]);
	ck_assert_uint_eq(homes.n, n);
}

#define IS(...) do {							\
	static const char *const w_[] = { __VA_ARGS__ };		\
	is(w_, NELEM(w_));						\
} while (0)

/* A typical file: service accounts with nologin or false shells. */
#define TYPICAL \
	"root:x:0:0:root:/root:/bin/bash\n" \
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" \
	"bin:x:2:2:bin:/bin:/sbin/nologin\n" \
	"sshd:x:104:65534::/run/sshd:/usr/bin/false\n" \
	"ntp:x:105:105::/var/lib/ntp:/bin/false\n" \
	"alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\n" \
	"bob:x:1001:1001::/home/bob:/bin/sh\n" \
	"svc:x:1002:1002::/srv/svc:\n"

/* ------------------------------------------------------------- homes */

START_TEST(homes_in_file_order)
{
	PASSWD(TYPICAL);
	load(false);
	IS("/root", "/usr/sbin", "/bin", "/run/sshd", "/var/lib/ntp",
	    "/home/alice", "/home/bob", "/srv/svc");
}
END_TEST

START_TEST(skip_nologin_drops_nologin_and_false_shells)
{
	PASSWD(TYPICAL);
	load(true);
	/* An empty shell is /bin/sh (passwd(5)): a login shell. */
	IS("/root", "/home/alice", "/home/bob", "/srv/svc");
}
END_TEST

START_TEST(duplicate_homes_are_kept_once)
{
	PASSWD("a:x:1:1::/home/shared:/bin/sh\n"
	    "b:x:2:2::/home/shared:/bin/sh\n"
	    "c:x:3:3::/home/c:/bin/sh\n"
	    "d:x:4:4::/home/shared:/bin/sh\n");
	load(false);
	IS("/home/shared", "/home/c");
}
END_TEST

START_TEST(trailing_slashes_are_dropped)
{
	PASSWD("a:x:1:1::/home/a/:/bin/sh\n"
	    "b:x:2:2::/home/a:/bin/sh\n"
	    "c:x:3:3::/home/a//:/bin/sh\n"
	    "d:x:4:4::/home/d///:/bin/sh\n");
	load(false);
	IS("/home/a", "/home/d");
}
END_TEST

START_TEST(root_directory_home_stays_slash)
{
	PASSWD("nobody:x:65534:65534::/:/bin/sh\n"
	    "other:x:1:1::///:/bin/sh\n");
	load(false);
	IS("/");
}
END_TEST

START_TEST(relative_and_empty_homes_are_skipped)
{
	PASSWD("a:x:1:1::home/a:/bin/sh\n"
	    "b:x:2:2:::/bin/sh\n"
	    "c:x:3:3::.:/bin/sh\n"
	    "d:x:4:4::~d:/bin/sh\n"
	    "e:x:5:5::/home/e:/bin/sh\n");
	load(false);
	IS("/home/e");
}
END_TEST

START_TEST(lines_with_too_few_fields_are_skipped)
{
	PASSWD("# a comment\n"
	    "\n"
	    "short:x:1:1::/home/short\n"
	    "shorter:x:2\n"
	    "+::::::\n"
	    "ok:x:3:3::/home/ok:/bin/sh\n");
	load(false);
	IS("/home/ok");
}
END_TEST

START_TEST(last_line_without_newline_counts)
{
	PASSWD("a:x:1:1::/home/a:/bin/sh\nb:x:2:2::/home/b:/bin/sh");
	load(false);
	IS("/home/a", "/home/b");
}
END_TEST

START_TEST(nologin_shells_are_kept_without_skip)
{
	PASSWD("a:x:1:1::/home/a:/usr/sbin/nologin\n"
	    "b:x:2:2::/home/b:/bin/false\n");
	load(false);
	IS("/home/a", "/home/b");
	load(true);
	ck_assert_uint_eq(homes.n, 0);
}
END_TEST

START_TEST(empty_file_gives_empty_list)
{
	PASSWD("");
	load(false);
	ck_assert_uint_eq(homes.n, 0);
}
END_TEST

START_TEST(missing_file_gives_empty_list)
{
	load(true);
	ck_assert_uint_eq(homes.n, 0);
	ck_assert_str_eq(cust_ctx_error(ctx), "");
}
END_TEST

START_TEST(missing_etc_gives_empty_list)
{
	char etc[128];

	snprintf(etc, sizeof(etc), "%s/etc", scratch);
	ck_assert_int_eq(rmdir(etc), 0);
	load(false);
	ck_assert_uint_eq(homes.n, 0);
}
END_TEST

START_TEST(passwd_is_read_under_the_root_not_the_host)
{
	PASSWD("only:x:1:1::/evidence/only:/bin/sh\n");
	load(false);
	IS("/evidence/only");
}
END_TEST

START_TEST(symlinked_passwd_is_refused)
{
	char path[128], want[256];

	/* A link on an image would lead out of it; never follow it. */
	snprintf(path, sizeof(path), "%s/etc/passwd", scratch);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(want, sizeof(want), "/etc/passwd: %s", strerror(ELOOP));
	ck_assert_int_eq(cust_user_homes(ctx, rootfd, false, &homes),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	ck_assert_uint_eq(homes.n, 0);
}
END_TEST

START_TEST(nul_byte_does_not_hide_later_users)
{
	static const char text[] =
	    "a:x:1:1::/home/a:/bin/sh\n"
	    "b:x:2:2::/home/b\0junk:/bin/sh\n"
	    "c:x:3:3::/home/c:/bin/sh\n";

	/* A hostile image must not hide users after a NUL byte. */
	passwd_n(text, sizeof(text) - 1);
	load(false);
	ck_assert_uint_ge(homes.n, 2);
	ck_assert_str_eq(homes.v[0], "/home/a");
	ck_assert_str_eq(homes.v[homes.n - 1], "/home/c");
}
END_TEST

START_TEST(many_users_are_all_read)
{
	enum { N = 3000 };
	char *text = malloc(N * 64), *p;
	char want[64];

	ck_assert_ptr_nonnull(text);
	p = text;
	for (int i = 0; i < N; i++)
		p += sprintf(p, "u%d:x:%d:%d::/home/u%d:/bin/sh\n", i, i, i, i);
	passwd_n(text, (size_t)(p - text));
	load(true);
	ck_assert_uint_eq(homes.n, N);
	for (int i = 0; i < N; i += 499) {
		snprintf(want, sizeof(want), "/home/u%d", i);
		ck_assert_str_eq(homes.v[i], want);
	}
	free(text);
}
END_TEST

/* 16 MiB of distinct homes (the most passwd read), with duplicates among
 * them: kept once each, in file order, in seconds (it was quadratic). */
START_TEST(a_full_passwd_of_distinct_homes_is_deduplicated)
{
	size_t max = 16 * 1024 * 1024 - 1, n = 0, users = 0;
	char *text = malloc(max + 64), want[64];

	ck_assert_ptr_nonnull(text);
	while (n + 64 < max) {
		/* Every tenth line repeats the home of the line before. */
		size_t u = users % 10 == 9 ? users - 1 : users;

		n += (size_t)sprintf(text + n, "u%zu:x:1:1::/home/h%zu/:/bin/sh\n",
		    users, u);
		users++;
	}
	passwd_n(text, n);
	load(false);
	ck_assert_uint_eq(homes.n, users - users / 10);
	for (size_t i = 0, u = 0; i < homes.n; i += 7919, u = i / 9 * 10 +
	    i % 9) {
		snprintf(want, sizeof(want), "/home/h%zu", u);
		ck_assert_str_eq(homes.v[i], want);
	}
	ck_assert_str_eq(homes.v[0], "/home/h0");
	free(text);
}
END_TEST

/* Up to 16 MiB is read, not one byte more; nothing else than a regular
 * file is, and a FIFO is never waited on. */
START_TEST(passwd_is_bounded_and_regular)
{
	size_t max = 16 * 1024 * 1024;
	char *text = malloc(max + 1), path[128];
	static const char line[] = "a:x:1:1::/home/a:/bin/sh\n";

	ck_assert_ptr_nonnull(text);
	memset(text, '\n', max + 1);
	memcpy(text, line, sizeof(line) - 1);
	passwd_n(text, max);
	load(false);
	IS("/home/a");
	cust_strv_free(&homes);
	passwd_n(text, max + 1);
	ck_assert_int_eq(cust_user_homes(ctx, rootfd, false, &homes),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "/etc/passwd: too large "
	    "(limit 16777216 bytes)");
	free(text);
	snprintf(path, sizeof(path), "%s/etc/passwd", scratch);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(5);
	ck_assert_int_eq(cust_user_homes(ctx, rootfd, false, &homes),
	    CUST_FAILED);
	alarm(0);
	ck_assert_str_eq(cust_ctx_error(ctx), "/etc/passwd: not a regular "
	    "file");
}
END_TEST

START_TEST(strv_free_empties_and_is_repeatable)
{
	PASSWD(TYPICAL);
	load(false);
	ck_assert_uint_gt(homes.n, 0);
	cust_strv_free(&homes);
	ck_assert_uint_eq(homes.n, 0);
	ck_assert_ptr_null(homes.v);
	cust_strv_free(&homes);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("users");
	TCase *tc = tcase_create("homes");
	TCase *bad = tcase_create("hostile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, homes_in_file_order);
	tcase_add_test(tc, skip_nologin_drops_nologin_and_false_shells);
	tcase_add_test(tc, duplicate_homes_are_kept_once);
	tcase_add_test(tc, trailing_slashes_are_dropped);
	tcase_add_test(tc, root_directory_home_stays_slash);
	tcase_add_test(tc, relative_and_empty_homes_are_skipped);
	tcase_add_test(tc, lines_with_too_few_fields_are_skipped);
	tcase_add_test(tc, last_line_without_newline_counts);
	tcase_add_test(tc, nologin_shells_are_kept_without_skip);
	tcase_add_test(tc, empty_file_gives_empty_list);
	tcase_add_test(tc, missing_file_gives_empty_list);
	tcase_add_test(tc, missing_etc_gives_empty_list);
	tcase_add_test(tc, passwd_is_read_under_the_root_not_the_host);
	tcase_add_test(tc, many_users_are_all_read);
	tcase_add_test(tc, a_full_passwd_of_distinct_homes_is_deduplicated);
	tcase_add_test(tc, passwd_is_bounded_and_regular);
	tcase_add_test(tc, strv_free_empties_and_is_repeatable);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_add_test(bad, symlinked_passwd_is_refused);
	tcase_add_test(bad, nul_byte_does_not_hide_later_users);
	suite_add_tcase(s, bad);
	return s;
}

