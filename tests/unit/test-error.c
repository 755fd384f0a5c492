/*
 * test-error.c: the error context.  Messages have the "subject: reason"
 * shape with the reason from strerror(3) or from OpenSSL's own error string,
 * the status passes through unchanged, overlong messages are cut rather
 * than overflowing, and an OpenSSL failure leaves OpenSSL's queue empty.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/base.h"
#include "harness.h"

static struct cust_ctx *ctx;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_ptr_nonnull(ctx);
	ERR_clear_error();
}

static void
teardown(void)
{
	cust_ctx_free(ctx);
	ERR_clear_error();
}

/* Queue a genuine OpenSSL error: fetching a digest that does not exist. */
static void
ssl_fail(void)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "no-such-digest", NULL);

	ck_assert_ptr_null(md);
	ck_assert_uint_ne(ERR_peek_error(), 0);
}

/* ---------------------------------------------------------- messages */

START_TEST(ctx_new_starts_without_error)
{
	ck_assert_str_eq(cust_ctx_error(ctx), "");
	ck_assert_int_eq(cust_ctx_errno(ctx), 0);
}
END_TEST

START_TEST(set_error_with_errno_appends_strerror)
{
	char want[256];

	snprintf(want, sizeof(want), "/etc/shadow: %s", strerror(EACCES));
	ck_assert_int_eq(cust_set_error(ctx, EACCES, CUST_FAILED, "%s",
	    "/etc/shadow"), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	ck_assert_int_eq(cust_ctx_errno(ctx), EACCES);
}
END_TEST

START_TEST(set_error_without_errno_is_subject_only)
{
	ck_assert_int_eq(cust_set_error(ctx, 0, CUST_FAILED,
	    "%s:%d: unknown field \"%s\"", "m.yaml", 12, "colector"),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "m.yaml:12: unknown field \"colector\"");
	ck_assert_int_eq(cust_ctx_errno(ctx), 0);
}
END_TEST

START_TEST(set_error_with_empty_subject_is_reason_only)
{
	ck_assert_int_eq(cust_set_error(ctx, ENOENT, CUST_FATAL, "%s", ""),
	    CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), strerror(ENOENT));
	ck_assert_int_eq(cust_ctx_errno(ctx), ENOENT);
}
END_TEST

START_TEST(set_error_returns_the_status_given)
{
	static const int st[] = { CUST_OK, CUST_WARN, CUST_FAILED,
	    CUST_FATAL, 7 };

	for (size_t i = 0; i < NELEM(st); i++) {
		ck_assert_int_eq(cust_set_error(ctx, EIO, st[i], "x"), st[i]);
		ck_assert_int_eq(cust_set_error(ctx, 0, st[i], "x"), st[i]);
		ck_assert_int_eq(cust_set_ssl_error(ctx, st[i], "x"), st[i]);
	}
}
END_TEST

START_TEST(set_error_replaces_previous_error)
{
	cust_set_error(ctx, ENOENT, CUST_FAILED, "first");
	cust_set_error(ctx, 0, CUST_WARN, "second");
	ck_assert_str_eq(cust_ctx_error(ctx), "second");
	ck_assert_int_eq(cust_ctx_errno(ctx), 0);
	cust_set_error(ctx, EPERM, CUST_WARN, "third");
	ck_assert_int_eq(cust_ctx_errno(ctx), EPERM);
	ck_assert_ptr_null(strstr(cust_ctx_error(ctx), "second"));
}
END_TEST

START_TEST(set_error_on_null_ctx_returns_status)
{
	ck_assert_int_eq(cust_set_error(NULL, ENOENT, CUST_FAILED, "x"),
	    CUST_FAILED);
	ck_assert_int_eq(cust_set_error(NULL, 0, CUST_FATAL, "x"),
	    CUST_FATAL);
}
END_TEST

START_TEST(ctx_clear_forgets_message_and_errno)
{
	cust_set_error(ctx, ENOSPC, CUST_FATAL, "out");
	ck_assert_str_ne(cust_ctx_error(ctx), "");
	cust_ctx_clear(ctx);
	ck_assert_str_eq(cust_ctx_error(ctx), "");
	ck_assert_int_eq(cust_ctx_errno(ctx), 0);
}
END_TEST

START_TEST(ctx_free_null_is_noop)
{
	cust_ctx_free(NULL);
}
END_TEST

/* ----------------------------------------------------- long messages */

/* A subject of N 'a'..'z' characters; owned by the caller. */
static char *
longsubject(size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = '\0';
	return s;
}

/* The message must be a non-trivial prefix of WANT, cut, not overrun. */
static void
is_cut_prefix(const char *want)
{
	const char *msg = cust_ctx_error(ctx);
	size_t n = strlen(msg);

	ck_assert_uint_lt(n, strlen(want));
	ck_assert_uint_ge(n, 255);
	ck_assert_int_eq(strncmp(msg, want, n), 0);
}

START_TEST(long_subject_is_truncated)
{
	char *s = longsubject(10000);

	ck_assert_int_eq(cust_set_error(ctx, 0, CUST_FAILED, "%s", s),
	    CUST_FAILED);
	is_cut_prefix(s);
	free(s);
}
END_TEST

START_TEST(long_subject_with_errno_is_truncated_at_any_length)
{
	char want[4096];
	char *s;

	/* Each length puts the cut at a different place: in the subject, in
	 * the ": " or in the reason. */
	for (size_t n = 990; n < 1060; n++) {
		s = longsubject(n);
		snprintf(want, sizeof(want), "%s: %s", s, strerror(ENOENT));
		cust_set_error(ctx, ENOENT, CUST_FAILED, "%s", s);
		if (strcmp(cust_ctx_error(ctx), want) != 0)
			is_cut_prefix(want);
		ck_assert_int_eq(cust_ctx_errno(ctx), ENOENT);
		free(s);
	}
}
END_TEST

START_TEST(long_subject_with_ssl_reason_is_truncated)
{
	char *s = longsubject(5000);

	ssl_fail();
	ck_assert_int_eq(cust_set_ssl_error(ctx, CUST_FATAL, "%s", s),
	    CUST_FATAL);
	is_cut_prefix(s);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ OpenSSL */

START_TEST(ssl_error_uses_last_queued_reason_and_drains_queue)
{
	char reason[256], want[512];

	ssl_fail();
	ssl_fail();
	ERR_error_string_n(ERR_peek_last_error(), reason, sizeof(reason));
	snprintf(want, sizeof(want), "fetch sha9: %s", reason);
	ck_assert_int_eq(cust_set_ssl_error(ctx, CUST_FATAL, "fetch %s",
	    "sha9"), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	ck_assert_int_eq(cust_ctx_errno(ctx), 0);
}
END_TEST

START_TEST(ssl_error_with_empty_queue_still_gives_reason)
{
	const char *msg;

	cust_set_error(ctx, ENOENT, CUST_FAILED, "before");
	ck_assert_int_eq(cust_set_ssl_error(ctx, CUST_FATAL, "sign"),
	    CUST_FATAL);
	msg = cust_ctx_error(ctx);
	ck_assert_int_eq(strncmp(msg, "sign: ", 6), 0);
	ck_assert_uint_gt(strlen(msg), 6);
	ck_assert_int_eq(cust_ctx_errno(ctx), 0);
}
END_TEST

START_TEST(ssl_error_on_null_ctx_drains_queue)
{
	ssl_fail();
	ck_assert_int_eq(cust_set_ssl_error(NULL, CUST_FAILED, "x"),
	    CUST_FAILED);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(ssl_error_leaves_later_operations_clean)
{
	ssl_fail();
	cust_set_ssl_error(ctx, CUST_FATAL, "x");
	/* A later success must not find stale errors left behind. */
	ck_assert_uint_eq(ERR_get_error(), 0);
	ck_assert_int_eq(cust_set_ssl_error(ctx, CUST_FATAL, "y"),
	    CUST_FATAL);
	ck_assert_ptr_null(strstr(cust_ctx_error(ctx), "no-such-digest"));
}
END_TEST

/* -------------------------------------------------------------- wipe */

START_TEST(wipe_zeroes_exactly_n_bytes)
{
	unsigned char buf[64];

	memset(buf, 0xa5, sizeof(buf));
	cust_wipe(buf + 8, 40);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], i >= 8 && i < 48 ? 0 : 0xa5);
}
END_TEST

START_TEST(wipe_of_zero_bytes_changes_nothing)
{
	unsigned char buf[16];

	memset(buf, 0x5a, sizeof(buf));
	cust_wipe(buf, 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0x5a);
}
END_TEST

START_TEST(wipe_clears_heap_secret_before_free)
{
	size_t n = 4096 + 3;
	unsigned char *p = malloc(n);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + 1) | 1;
	cust_wipe(p, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(p[i], 0);
	free(p);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("error");
	TCase *msg = tcase_create("messages");
	TCase *lng = tcase_create("long");
	TCase *ssl = tcase_create("openssl");
	TCase *wipe = tcase_create("wipe");

	tcase_add_checked_fixture(msg, setup, teardown);
	tcase_add_test(msg, ctx_new_starts_without_error);
	tcase_add_test(msg, set_error_with_errno_appends_strerror);
	tcase_add_test(msg, set_error_without_errno_is_subject_only);
	tcase_add_test(msg, set_error_with_empty_subject_is_reason_only);
	tcase_add_test(msg, set_error_returns_the_status_given);
	tcase_add_test(msg, set_error_replaces_previous_error);
	tcase_add_test(msg, set_error_on_null_ctx_returns_status);
	tcase_add_test(msg, ctx_clear_forgets_message_and_errno);
	tcase_add_test(msg, ctx_free_null_is_noop);
	suite_add_tcase(s, msg);

	tcase_add_checked_fixture(lng, setup, teardown);
	tcase_add_test(lng, long_subject_is_truncated);
	tcase_add_test(lng, long_subject_with_errno_is_truncated_at_any_length);
	tcase_add_test(lng, long_subject_with_ssl_reason_is_truncated);
	suite_add_tcase(s, lng);

	tcase_add_checked_fixture(ssl, setup, teardown);
	tcase_add_test(ssl, ssl_error_uses_last_queued_reason_and_drains_queue);
	tcase_add_test(ssl, ssl_error_with_empty_queue_still_gives_reason);
	tcase_add_test(ssl, ssl_error_on_null_ctx_drains_queue);
	tcase_add_test(ssl, ssl_error_leaves_later_operations_clean);
	suite_add_tcase(s, ssl);

	tcase_add_test(wipe, wipe_zeroes_exactly_n_bytes);
	tcase_add_test(wipe, wipe_of_zero_bytes_changes_nothing);
	tcase_add_test(wipe, wipe_clears_heap_secret_before_free);
	suite_add_tcase(s, wipe);
	return s;
}

