/*
 * test-fmt.c: decimal text without printf.  Every number is compared with
 * what snprintf's "%ju" and "%jd" print for it: powers of ten and their
 * neighbours, the ends of the types, and random values of every size.
 * The writers must not write past the length they return.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "base/base.h"
#include "harness.h"

/*
 * What was written at OUT (N bytes, then the 'x's it was filled with) must
 * be WANT.  Check's asserts each leave a mark in a file, so a sweep of
 * thousands checks quietly and fails with one message.
 */
static void
verify(const char *out, size_t n, const char *want)
{
	if (n > CUST_INTLEN || out[n] != 'x' || strlen(want) != n ||
	    memcmp(out, want, n) != 0)
		ck_abort_msg("\"%.*s\" (%zu bytes), not \"%s\"",
		    (int)(n > CUST_INTLEN ? CUST_INTLEN : n), out, n, want);
}

static void
same_uint(uintmax_t v)
{
	char want[64], out[CUST_INTLEN + 8];

	snprintf(want, sizeof(want), "%ju", v);
	memset(out, 'x', sizeof(out));
	verify(out, cust_fmt_uint(out, v), want);
}

static void
same_int(intmax_t v)
{
	char want[64], out[CUST_INTLEN + 8];

	snprintf(want, sizeof(want), "%jd", v);
	memset(out, 'x', sizeof(out));
	verify(out, cust_fmt_int(out, v), want);
}

START_TEST(uint_zero_and_the_largest)
{
	char out[CUST_INTLEN];

	ck_assert_uint_eq(cust_fmt_uint(out, 0), 1);
	ck_assert_int_eq(out[0], '0');
	ck_assert_uint_eq(cust_fmt_uint(out, UINT64_MAX), 20);
	ck_assert(memcmp(out, "18446744073709551615", 20) == 0);
	same_uint(UINTMAX_MAX);
	same_uint(UINTMAX_MAX - 1);
}
END_TEST

START_TEST(int_ends_and_minus_one)
{
	char out[CUST_INTLEN];

	ck_assert_uint_eq(cust_fmt_int(out, -1), 2);
	ck_assert(memcmp(out, "-1", 2) == 0);
	ck_assert_uint_eq(cust_fmt_int(out, INT64_MIN), 20);
	ck_assert(memcmp(out, "-9223372036854775808", 20) == 0);
	ck_assert_uint_eq(cust_fmt_int(out, INT64_MAX), 19);
	ck_assert(memcmp(out, "9223372036854775807", 19) == 0);
	same_int(0);
	same_int(INTMAX_MIN);
	same_int(INTMAX_MIN + 1);
	same_int(INTMAX_MAX);
}
END_TEST

START_TEST(powers_of_ten_and_neighbours)
{
	uintmax_t p = 1;

	for (int i = 0; i < 20; i++, p *= 10) {
		same_uint(p - 1);
		same_uint(p);
		same_uint(p + 1);
		if (p <= INTMAX_MAX) {
			same_int((intmax_t)p);
			same_int(-(intmax_t)p);
			same_int(-(intmax_t)p + 1);
		}
	}
}
END_TEST

START_TEST(random_values_of_every_size)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		same_uint(x >> (x % 64));
		same_int((intmax_t)(x >> (x % 64)) * (i % 2 ? -1 : 1));
		same_int((intmax_t)x);
	}
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *d = tcase_create("decimal");

	tcase_set_timeout(d, 30);
	tcase_add_test(d, uint_zero_and_the_largest);
	tcase_add_test(d, int_ends_and_minus_one);
	tcase_add_test(d, powers_of_ten_and_neighbours);
	tcase_add_test(d, random_values_of_every_size);
	suite_add_tcase(s, d);
	return s;
}

