/*
 * test-listing.c: the listings of find artefacts (collect/listing.c) and
 * the names a listing may have (format/layout.c).  A name comes from
 * UAC's output_file or from the manifest's stem and the artefact's place,
 * is always one the verifier accepts, and is unique; a line is the path
 * escaped as a stored name, so a newline cannot forge one.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_listings *ls;
static struct cust_rule rules[8];

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_listings_new(ctx, -1, &ls), CUST_OK);
	memset(rules, 0, sizeof(rules));
}

static void
teardown(void)
{
	cust_listings_free(ls);
	cust_ctx_free(ctx);
}

/* The member of a new listing for rules[I], whose output_file is OUT. */
static const char *
add(size_t i, char *out, const char *mname, size_t j)
{
	rules[i].output_file = out;
	ck_assert_int_eq(cust_listings_add(ls, &rules[i], mname, j, "label"),
	    CUST_OK);
	ck_assert_int_eq(cust_listings_find(ls, &rules[i]), (int)i);
	return cust_listings_member(ls, i);
}

START_TEST(named_after_output_file_or_the_manifest)
{
	char suid[] = "suid.txt", json[] = "users.json";

	ck_assert_str_eq(add(0, suid, "artifacts/system/suid.yaml", 0),
	    "metadata/listings/suid.txt");
	ck_assert_str_eq(add(1, NULL, "/m/find.yaml", 1),
	    "metadata/listings/find-2.txt");
	ck_assert_str_eq(add(2, json, "x.yaml", 0),
	    "metadata/listings/users.json.txt");
	ck_assert_str_eq(add(3, NULL, "noext", 4),
	    "metadata/listings/noext-5.txt");
	ck_assert_int_eq(cust_listings_find(ls, &rules[7]), -1);
}
END_TEST

START_TEST(unsafe_bytes_and_dots_become_underscores)
{
	char bad[] = ".a b/%line%\n.txt", dots[] = "..txt";

	ck_assert_str_eq(add(0, bad, "m.yaml", 0),
	    "metadata/listings/_a_b__line__.txt");
	ck_assert_str_eq(add(1, dots, "m.yaml", 0),
	    "metadata/listings/_.txt");
	ck_assert_str_eq(add(2, NULL, ".hidden.yaml", 2),
	    "metadata/listings/_hidden-3.txt");
}
END_TEST

START_TEST(names_taken_get_a_number)
{
	char a[] = "same.txt", b[] = "same", c[] = "same-2.txt";

	ck_assert_str_eq(add(0, a, "m.yaml", 0), "metadata/listings/same.txt");
	ck_assert_str_eq(add(1, b, "m.yaml", 1),
	    "metadata/listings/same-2.txt");
	ck_assert_str_eq(add(2, c, "m.yaml", 2),
	    "metadata/listings/same-2-2.txt");
}
END_TEST

START_TEST(every_name_is_one_the_verifier_takes)
{
	char longname[300];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	add(0, longname, "m.yaml", 0);
	add(1, longname, "m.yaml", 1);
	add(2, NULL, longname, 7);
	for (size_t i = 0; i < 3; i++)
		ck_assert(cust_listing_name_valid(cust_listings_member(ls, i)));
	ck_assert_uint_le(strlen(cust_listings_member(ls, 1)),
	    strlen(CUST_LISTING_DIR) + CUST_LISTING_NAME_MAX + 4);
}
END_TEST

START_TEST(name_validity)
{
	ck_assert(cust_listing_name_valid("metadata/listings/a.txt"));
	ck_assert(cust_listing_name_valid("metadata/listings/A-b_c.d.txt"));
	ck_assert(!cust_listing_name_valid("metadata/listings/.txt"));
	ck_assert(!cust_listing_name_valid("metadata/listings/.a.txt"));
	ck_assert(!cust_listing_name_valid("metadata/listings/a.json"));
	ck_assert(!cust_listing_name_valid("metadata/listings/a/b.txt"));
	ck_assert(!cust_listing_name_valid("metadata/listings/a b.txt"));
	ck_assert(!cust_listing_name_valid("metadata/listing/a.txt"));
	ck_assert(!cust_listing_name_valid("metadata/files.jsonl"));
}
END_TEST

START_TEST(lines_are_escaped_paths)
{
	static const char want[] = "/etc/passwd\n/tmp/a^0Ab\n/x^25y\n";
	const char nl[] = "/tmp/a\nb", pct[] = "/x%y";
	struct cust_spool *sp;
	char buf[128];
	ssize_t n;
	json_t *j;

	add(0, NULL, "m.yaml", 0);
	ck_assert_int_eq(cust_listings_line(ls, 0, "/etc/passwd", 11), CUST_OK);
	ck_assert_int_eq(cust_listings_line(ls, 0, nl, sizeof(nl) - 1),
	    CUST_OK);
	ck_assert_int_eq(cust_listings_line(ls, 0, pct, sizeof(pct) - 1),
	    CUST_OK);
	sp = cust_listings_spool(ls, 0);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	n = cust_spool_read(sp, buf, sizeof(buf));
	ck_assert_int_eq(n, (ssize_t)sizeof(want) - 1);
	ck_assert(memcmp(buf, want, (size_t)n) == 0);
	j = cust_listings_json(ls);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j,
	    0), "lines")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j,
	    0), "member")), "metadata/listings/m-1.txt");
	json_decref(j);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("listing");
	TCase *t = tcase_create("listing");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, named_after_output_file_or_the_manifest);
	tcase_add_test(t, unsafe_bytes_and_dots_become_underscores);
	tcase_add_test(t, names_taken_get_a_number);
	tcase_add_test(t, every_name_is_one_the_verifier_takes);
	tcase_add_test(t, name_validity);
	tcase_add_test(t, lines_are_escaped_paths);
	suite_add_tcase(s, t);
	return s;
}
