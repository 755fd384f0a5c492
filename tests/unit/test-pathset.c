/*
 * test-pathset.c: the set of paths already recorded.  Membership goes by
 * the exact bytes and length (NUL bytes included), survives many rounds of
 * growth, and the hash underneath is SipHash-2-4 with 128-bit output as in
 * the reference implementation's test vectors (veorq/SipHash, vectors.h,
 * vectors_sip128: key 00..0f, message 00..len-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_pathset *ps;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_pathset_new(ctx, &ps), CUST_OK);
	ck_assert_ptr_nonnull(ps);
}

static void
teardown(void)
{
	cust_pathset_free(ps);
	cust_ctx_free(ctx);
}

#define ADD(s, n)	cust_pathset_add(ps, (s), (n))
#define ADDS(lit)	cust_pathset_add(ps, (lit), sizeof(lit) - 1)

/* ---------------------------------------------------------- membership */

START_TEST(add_is_new_once_then_known)
{
	ck_assert_int_eq(ADDS("/etc/passwd"), 1);
	ck_assert_int_eq(ADDS("/etc/passwd"), 0);
	ck_assert_int_eq(ADDS("/etc/passwd"), 0);
}
END_TEST

START_TEST(add_compares_bytes_not_pointers)
{
	char a[] = "/var/log/syslog", b[] = "/var/log/syslog";

	ck_assert_int_eq(ADD(a, strlen(a)), 1);
	ck_assert_int_eq(ADD(b, strlen(b)), 0);
	b[1] = 'V';
	ck_assert_int_eq(ADD(b, strlen(b)), 1);
}
END_TEST

START_TEST(has_looks_up_and_adds_nothing)
{
	/* An empty set has nothing, and asking adds nothing. */
	ck_assert(!cust_pathset_has(ps, "/etc", 4));
	ck_assert(!cust_pathset_has(ps, "/etc", 4));
	ck_assert_int_eq(ADDS("/etc/passwd"), 1);
	ck_assert(cust_pathset_has(ps, "/etc/passwd", 11));
	ck_assert(!cust_pathset_has(ps, "/etc/passwd", 10));
	ck_assert(!cust_pathset_has(ps, "/etc", 4));
	ck_assert_int_eq(ADDS("/etc"), 1);
	ck_assert(cust_pathset_has(ps, "/etc", 4));
}
END_TEST

START_TEST(count_is_paths_added_once)
{
	ck_assert_uint_eq(cust_pathset_count(ps), 0);
	(void)cust_pathset_has(ps, "/etc", 4);
	ck_assert_uint_eq(cust_pathset_count(ps), 0);
	ck_assert_int_eq(ADDS("/etc"), 1);
	ck_assert_int_eq(ADDS("/etc"), 0);
	ck_assert_int_eq(ADDS("/etc/passwd"), 1);
	ck_assert_uint_eq(cust_pathset_count(ps), 2);
}
END_TEST

/* Strings that differ, some only in one byte, in length or in NULs. */
static const struct {
	const char	*s;
	size_t		 n;
} distinct[] = {
	{ "", 0 },
	{ "\0", 1 },
	{ "\0\0", 2 },
	{ "a", 1 },
	{ "b", 1 },
	{ "a\0", 2 },
	{ "a\0b", 3 },
	{ "a\0c", 3 },
	{ "ab", 2 },
	{ "ba", 2 },
	{ "/etc/passwd", 11 },
	{ "/etc/passwe", 11 },
	{ "/etc/passwd/", 12 },
	{ "/Etc/passwd", 11 },
	{ "/etc/passwd\0", 12 },
	{ "12345678", 8 },		/* one 8-byte block */
	{ "12345679", 8 },
	{ "123456789", 9 },
	{ "1234567\x80", 8 },		/* high bit in the last byte */
	{ "\xff\xfe", 2 },
	{ "\xfe\xff", 2 },
};

START_TEST(distinct_strings_are_distinct)
{
	for (size_t i = 0; i < NELEM(distinct); i++)
		ck_assert_msg(ADD(distinct[i].s, distinct[i].n) == 1,
		    "#%zu not new", i);
	for (size_t i = 0; i < NELEM(distinct); i++)
		ck_assert_msg(ADD(distinct[i].s, distinct[i].n) == 0,
		    "#%zu not known", i);
}
END_TEST

START_TEST(length_decides_not_terminator)
{
	ck_assert_int_eq(ADD("a\0b", 3), 1);
	ck_assert_int_eq(ADD("a", 1), 1);
	ck_assert_int_eq(ADD("a\0xyz", 1), 0);	/* that is "a" again */
	ck_assert_int_eq(ADD("a\0bzz", 3), 0);	/* and "a\0b" */
	ck_assert_int_eq(ADD("a\0b\0", 4), 1);
}
END_TEST

START_TEST(empty_string_is_a_member_like_any_other)
{
	ck_assert_int_eq(ADD("", 0), 1);
	ck_assert_int_eq(ADD("ignored", 0), 0);
	ck_assert_int_eq(ADD("\0", 1), 1);
}
END_TEST

START_TEST(long_strings_differing_in_one_byte_are_distinct)
{
	enum { N = 4099 };
	char *a = malloc(N);

	ck_assert_ptr_nonnull(a);
	memset(a, 'x', N);
	ck_assert_int_eq(ADD(a, N), 1);
	for (size_t i = 0; i < N; i += 97) {
		a[i] = 'y';
		ck_assert_int_eq(ADD(a, N), 1);
		ck_assert_int_eq(ADD(a, N), 0);
		a[i] = 'x';
	}
	ck_assert_int_eq(ADD(a, N), 0);
	ck_assert_int_eq(ADD(a, N - 1), 1);
	free(a);
}
END_TEST

START_TEST(many_inserts_survive_growth)
{
	enum { N = 200000 };
	char buf[64];
	int n;

	for (int i = 0; i < N; i++) {
		n = snprintf(buf, sizeof(buf), "/home/user/file-%d", i);
		ck_assert_msg(ADD(buf, (size_t)n) == 1, "%s not new", buf);
	}
	for (int i = 0; i < N; i++) {
		n = snprintf(buf, sizeof(buf), "/home/user/file-%d", i);
		ck_assert_msg(cust_pathset_has(ps, buf, (size_t)n), "%s lost",
		    buf);
		ck_assert_msg(ADD(buf, (size_t)n) == 0, "%s lost", buf);
	}
	for (int i = 0; i < 1000; i++) {
		n = snprintf(buf, sizeof(buf), "/home/user/other-%d", i);
		ck_assert(!cust_pathset_has(ps, buf, (size_t)n));
		ck_assert_int_eq(ADD(buf, (size_t)n), 1);
	}
}
END_TEST

/* ------------------------------------------------ growth, by hash */

/* splitmix64: spreads a counter over 64 bits, the same every run. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Add N entries whose first words (the homes) come from HOME, checking at
 * each size in CHECKS that every entry added so far is still there.  The
 * set starts at 1,024 slots and doubles at the first add that finds 768,
 * 1,536, 3,072 or 6,144 entries in it (a lookup is an add), so the checks
 * at those sizes run just after each doubling, and the others before.
 */
static const int checks[] = { 700, 768, 769, 1536, 1537, 3072, 3073, 6144,
    6145, 7000 };

static void
fill(uint64_t (*home)(int), int n)
{
	size_t c = 0;

	for (int i = 0; i < n; i++) {
		ck_assert_msg(cust_pathset_add_hash(ps, home(i),
		    (uint64_t)i + 1) == 1, "entry %d not new", i);
		if (c < NELEM(checks) && i + 1 == checks[c]) {
			for (int j = 0; j <= i; j++)
				ck_assert_msg(cust_pathset_add_hash(ps,
				    home(j), (uint64_t)j + 1) == 0,
				    "entry %d lost at %d entries", j, i + 1);
			c++;
		}
	}
	ck_assert_uint_eq(c, NELEM(checks));
	ck_assert_int_eq(cust_pathset_add_hash(ps, home(0), (uint64_t)n + 1),
	    1);
}

/* All homes in the last four slots of a 1,024-slot table, so the one
 * cluster runs past the end and on from slot 0; each doubling splits it
 * by the next bit up. */
static uint64_t
home_at_end(int i)
{
	return mix((uint64_t)i) << 10 | (uint64_t)(1020 + i % 4);
}

START_TEST(a_cluster_that_wraps_survives_growth)
{
	fill(home_at_end, 7000);
}
END_TEST

/* Sixteen homes in a 1,024-slot table, twice as many at each doubling:
 * long clusters that run into each other. */
static uint64_t
home_skewed(int i)
{
	return (mix((uint64_t)i) & ~(uint64_t)0x3ff) |
	    (mix((uint64_t)(i % 16)) & 0x3ff);
}

START_TEST(skewed_homes_survive_growth)
{
	fill(home_skewed, 7000);
}
END_TEST

/* Spread homes: the common case, and more entries than the clusters
 * above allow in a unit test's time. */
START_TEST(spread_homes_survive_growth)
{
	enum { N = 100000 };

	for (uint64_t i = 0; i < N; i++)
		ck_assert_int_eq(cust_pathset_add_hash(ps, mix(i), i), 1);
	for (uint64_t i = 0; i < N; i++)
		ck_assert_msg(cust_pathset_add_hash(ps, mix(i), i) == 0,
		    "entry %ju lost", (uintmax_t)i);
}
END_TEST

START_TEST(same_home_differs_by_second_word)
{
	for (uint64_t b = 1; b <= 2000; b++)
		ck_assert_int_eq(cust_pathset_add_hash(ps, 42, b), 1);
	for (uint64_t b = 1; b <= 2000; b++)
		ck_assert_int_eq(cust_pathset_add_hash(ps, 42, b), 0);
	ck_assert_int_eq(cust_pathset_add_hash(ps, 42 + 1024, 1), 1);
}
END_TEST

/* The all-zero hash marks an empty slot, so it is kept as (0, 1). */
START_TEST(the_zero_hash_is_a_member)
{
	ck_assert_int_eq(cust_pathset_add_hash(ps, 0, 0), 1);
	ck_assert_int_eq(cust_pathset_add_hash(ps, 0, 0), 0);
	ck_assert_int_eq(cust_pathset_add_hash(ps, 0, 1), 0);
	ck_assert_int_eq(cust_pathset_add_hash(ps, 0, 2), 1);
}
END_TEST

START_TEST(sets_are_independent)
{
	struct cust_pathset *other;

	ck_assert_int_eq(cust_pathset_new(ctx, &other), CUST_OK);
	ck_assert_int_eq(ADDS("/x"), 1);
	ck_assert_int_eq(cust_pathset_add(other, "/x", 2), 1);
	ck_assert_int_eq(cust_pathset_add(other, "/x", 2), 0);
	ck_assert_int_eq(ADDS("/x"), 0);
	cust_pathset_free(other);
}
END_TEST

START_TEST(pathset_free_null_is_noop)
{
	cust_pathset_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ SipHash */

/* vectors_sip128[len] from the reference implementation, for some lengths
 * on either side of the 8-byte block. */
static const struct {
	size_t		 len;
	unsigned char	 out[16];
} sip128[] = {
	{ 0, { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6,
	    0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 } },
	{ 1, { 0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76,
	    0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45 } },
	{ 2, { 0x81, 0x77, 0x22, 0x8d, 0xa4, 0xa4, 0x5d, 0xc7, 0xfc, 0xa3,
	    0x8b, 0xde, 0xf6, 0x0a, 0xff, 0xe4 } },
	{ 7, { 0xa1, 0xf1, 0xeb, 0xbe, 0xd8, 0xdb, 0xc1, 0x53, 0xc0, 0xb8,
	    0x4a, 0xa6, 0x1f, 0xf0, 0x82, 0x39 } },
	{ 8, { 0x3b, 0x62, 0xa9, 0xba, 0x62, 0x58, 0xf5, 0x61, 0x0f, 0x83,
	    0xe2, 0x64, 0xf3, 0x14, 0x97, 0xb4 } },
	{ 9, { 0x26, 0x44, 0x99, 0x06, 0x0a, 0xd9, 0xba, 0xab, 0xc4, 0x7f,
	    0x8b, 0x02, 0xbb, 0x6d, 0x71, 0xed } },
	{ 15, { 0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11, 0x7e, 0x08,
	    0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9 } },
	{ 16, { 0x6e, 0xe2, 0xa4, 0xca, 0x67, 0xb0, 0x54, 0xbb, 0xfd, 0x33,
	    0x15, 0xbf, 0x85, 0x23, 0x05, 0x77 } },
	{ 31, { 0x29, 0x39, 0xb0, 0x18, 0x32, 0x23, 0xfa, 0xfc, 0x17, 0x23,
	    0xde, 0x4f, 0x52, 0xc4, 0x3d, 0x35 } },
	{ 32, { 0x7c, 0x39, 0x56, 0xca, 0x5e, 0xea, 0xfc, 0x3e, 0x36, 0x3e,
	    0x9d, 0x55, 0x65, 0x46, 0xeb, 0x68 } },
	{ 63, { 0x51, 0x50, 0xd1, 0x77, 0x2f, 0x50, 0x83, 0x4a, 0x50, 0x3e,
	    0x06, 0x9a, 0x97, 0x3f, 0xbd, 0x7c } },
};

/* The key bytes 00..0f read as two little-endian words. */
#define K0	0x0706050403020100ULL
#define K1	0x0f0e0d0c0b0a0908ULL

/* OUT as the reference prints it: each word little-endian. */
static void
tobytes(const uint64_t out[2], unsigned char b[16])
{
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(out[0] >> (8 * i));
		b[8 + i] = (unsigned char)(out[1] >> (8 * i));
	}
}

START_TEST(siphash128_matches_reference_vectors)
{
	size_t len = sip128[_i].len;
	/* Exactly LEN bytes on the heap, so ASan sees any over-read. */
	unsigned char *in = malloc(len > 0 ? len : 1), b[16];
	uint64_t out[2];

	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < len; i++)
		in[i] = (unsigned char)i;
	cust_siphash128(K0, K1, in, len, out);
	tobytes(out, b);
	ck_assert_mem_eq(b, sip128[_i].out, 16);
	free(in);
}
END_TEST

START_TEST(siphash128_does_not_depend_on_alignment)
{
	unsigned char buf[80], b[16];
	uint64_t out[2];

	for (size_t off = 0; off < 8; off++) {
		for (size_t i = 0; i < 63; i++)
			buf[off + i] = (unsigned char)i;
		cust_siphash128(K0, K1, buf + off, 63, out);
		tobytes(out, b);
		ck_assert_mem_eq(b, sip128[NELEM(sip128) - 1].out, 16);
	}
}
END_TEST

START_TEST(siphash128_depends_on_each_key_word)
{
	unsigned char msg[15];
	uint64_t a[2], b[2], c[2];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	cust_siphash128(K0, K1, msg, sizeof(msg), a);
	cust_siphash128(K0 ^ 1, K1, msg, sizeof(msg), b);
	cust_siphash128(K0, K1 ^ (1ULL << 63), msg, sizeof(msg), c);
	ck_assert(a[0] != b[0] || a[1] != b[1]);
	ck_assert(a[0] != c[0] || a[1] != c[1]);
	ck_assert(b[0] != c[0] || b[1] != c[1]);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("pathset");
	TCase *set = tcase_create("membership");
	TCase *sip = tcase_create("siphash");

	tcase_add_checked_fixture(set, setup, teardown);
	tcase_set_timeout(set, 60);
	tcase_add_test(set, add_is_new_once_then_known);
	tcase_add_test(set, has_looks_up_and_adds_nothing);
	tcase_add_test(set, count_is_paths_added_once);
	tcase_add_test(set, add_compares_bytes_not_pointers);
	tcase_add_test(set, distinct_strings_are_distinct);
	tcase_add_test(set, length_decides_not_terminator);
	tcase_add_test(set, empty_string_is_a_member_like_any_other);
	tcase_add_test(set, long_strings_differing_in_one_byte_are_distinct);
	tcase_add_test(set, many_inserts_survive_growth);
	tcase_add_test(set, a_cluster_that_wraps_survives_growth);
	tcase_add_test(set, skewed_homes_survive_growth);
	tcase_add_test(set, spread_homes_survive_growth);
	tcase_add_test(set, same_home_differs_by_second_word);
	tcase_add_test(set, the_zero_hash_is_a_member);
	tcase_add_test(set, sets_are_independent);
	tcase_add_test(set, pathset_free_null_is_noop);
	suite_add_tcase(s, set);

	tcase_add_loop_test(sip, siphash128_matches_reference_vectors, 0,
	    (int)NELEM(sip128));
	tcase_add_test(sip, siphash128_does_not_depend_on_alignment);
	tcase_add_test(sip, siphash128_depends_on_each_key_word);
	suite_add_tcase(s, sip);
	return s;
}

