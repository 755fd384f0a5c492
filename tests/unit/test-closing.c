/*
 * test-closing.c: the closing statement's format (lib/closing.c).  What
 * cust_closing_text writes, cust_closing_parse reads back to the same
 * digests; anything else, a line out of order, a digest in capitals, a
 * missing or extra line, fails with the line it is on.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "format/format.h"
#include "harness.h"

#define HEADER	"# custody-closing/1: each member after " \
		"tagmanifest-sha512.txt and before this statement\n"

static struct cust_ctx *ctx;
static char sums[CUST_NCLOSED][129];
static char got[CUST_NCLOSED][129];

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	memset(sums, 0, sizeof(sums));
	memset(sums[0], 'a', 128);
}

static void
teardown(void)
{
	cust_ctx_free(ctx);
}

/* The statement for SUMS (owned by the caller). */
static char *
text(size_t *np)
{
	char *t;

	ck_assert_int_eq(cust_closing_text(ctx, sums, &t, np), CUST_OK);
	ck_assert_uint_eq(strlen(t), *np);
	return t;
}

/* TEXT must fail to parse with WANT. */
static void
refused(const char *t, const char *want)
{
	ck_assert_int_eq(cust_closing_parse(ctx, t, strlen(t), got),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
}

START_TEST(closing_without_optional_members_says_none)
{
	size_t n;
	char *t = text(&n);
	char want[1024];

	snprintf(want, sizeof(want), HEADER "%s  %s\n# none: %s\n# none: %s\n"
	    "# none: %s\n", sums[0], CUST_SIG_MEMBER, CUST_P7S_MEMBER,
	    CUST_TSR_MEMBER, CUST_P7STSR_MEMBER);
	ck_assert_str_eq(t, want);
	ck_assert_int_eq(cust_closing_parse(ctx, t, n, got), CUST_OK);
	ck_assert_str_eq(got[0], sums[0]);
	for (size_t i = 1; i < CUST_NCLOSED; i++)
		ck_assert_str_eq(got[i], "");
	free(t);
}
END_TEST

START_TEST(closing_round_trips_every_member)
{
	size_t n;
	char *t;

	memset(sums[1], 'b', 128);
	memset(sums[3], '0', 128);
	t = text(&n);
	ck_assert_int_eq(cust_closing_parse(ctx, t, n, got), CUST_OK);
	for (size_t i = 0; i < CUST_NCLOSED; i++)
		ck_assert_str_eq(got[i], sums[i]);
	free(t);
}
END_TEST

START_TEST(closing_refuses_other_forms)
{
	size_t n;
	char *t = text(&n), *p;

	refused("", "line 1 is not the custody-closing/1 header");
	/* The last line cut off, or one more line. */
	t[n - 1] = '\0';
	refused(t, "line 5 is neither \"<sha512>  " CUST_P7STSR_MEMBER "\" "
	    "nor \"# none: " CUST_P7STSR_MEMBER "\"");
	t[n - 1] = '\n';
	ck_assert_ptr_nonnull(t = realloc(t, n + 8));
	strcpy(t + n, "extra\n");
	refused(t, "line 6: text after the last member");
	t[n] = '\0';
	/* A digest in capitals, a token line where the .p7s should be. */
	p = strstr(t, "aaaa");
	p[0] = 'A';
	refused(t, "line 2 is neither \"<sha512>  " CUST_SIG_MEMBER "\" nor "
	    "\"# none: " CUST_SIG_MEMBER "\"");
	p[0] = 'a';
	p = strstr(t, "# none: " CUST_P7S_MEMBER);
	memcpy(p + 8, CUST_TSR_MEMBER, 16);
	refused(t, "line 3 is neither \"<sha512>  " CUST_P7S_MEMBER "\" nor "
	    "\"# none: " CUST_P7S_MEMBER "\"");
	free(t);
	/* The minisign signature is never "none". */
	sums[0][0] = '\0';
	t = text(&n);
	refused(t, "lists no minisign signature");
	free(t);
	refused(HEADER, "ends before every member is accounted for");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("closing");
	TCase *tc = tcase_create("format");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, closing_without_optional_members_says_none);
	tcase_add_test(tc, closing_round_trips_every_member);
	tcase_add_test(tc, closing_refuses_other_forms);
	suite_add_tcase(s, tc);
	return s;
}

