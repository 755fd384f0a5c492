/*
 * test-report.c: the verifier's findings and their JSON document.  The
 * findings kept are bounded and the rest counted; the JSON is parsed back
 * with jansson and every field compared with the report it came from, with
 * null wherever a string is missing or not UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "format/format.h"
#include "harness.h"

#define MAXKEPT	1000	/* findings kept before more_findings counts */

static struct cust_report *rep;
static json_t *doc;

static void
setup(void)
{
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	doc = NULL;
}

static void
teardown(void)
{
	json_decref(doc);
	cust_report_free(rep);
}

/* The report's JSON parsed back into doc; it must be valid JSON. */
static void
parse(void)
{
	json_error_t err;
	char *s = cust_report_json(rep);

	ck_assert_ptr_nonnull(s);
	json_decref(doc);
	doc = json_loads(s, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(doc != NULL, "line %d: %s", err.line, err.text);
	ck_assert(json_is_object(doc));
	free(s);
}

/* The value at PATH ("a.b"), which must exist. */
static json_t *
at(const char *path)
{
	char buf[128], *p, *dot;
	json_t *v = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; v != NULL && p != NULL; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		v = json_object_get(v, p);
	}
	ck_assert_msg(v != NULL, "no %s", path);
	return v;
}

static const char *
str(const char *path)
{
	json_t *v = at(path);

	ck_assert_msg(json_is_string(v), "%s is not a string", path);
	return json_string_value(v);
}

static json_int_t
num(const char *path)
{
	json_t *v = at(path);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
	return json_integer_value(v);
}

static void
null(const char *path)
{
	ck_assert_msg(json_is_null(at(path)), "%s is not null", path);
}

static void
addf(const char *check, const char *subject, const char *msg)
{
	ck_assert_int_eq(cust_report_add(rep, check, subject, "%s", msg),
	    CUST_OK);
}

/* ------------------------------------------------------------ findings */

START_TEST(add_keeps_check_subject_and_formatted_message)
{
	ck_assert_int_eq(cust_report_add(rep, "validity", "data/etc/passwd",
	    "sha256 %s, manifest says %.8s", "abc", "0123456789"), CUST_OK);
	ck_assert_int_eq(cust_report_add(rep, "structure", NULL, "no %s",
	    "bagit.txt"), CUST_OK);
	ck_assert_uint_eq(rep->nfindings, 2);
	ck_assert_str_eq(rep->findings[0].check, "validity");
	ck_assert_str_eq(rep->findings[0].subject, "data/etc/passwd");
	ck_assert_str_eq(rep->findings[0].message,
	    "sha256 abc, manifest says 01234567");
	ck_assert_str_eq(rep->findings[1].subject, "");
	ck_assert_str_eq(rep->findings[1].message, "no bagit.txt");
	ck_assert_uint_eq(rep->more_findings, 0);
}
END_TEST

START_TEST(add_copies_subject)
{
	char subject[] = "data/a";

	addf("validity", subject, "m");
	subject[5] = 'b';
	ck_assert_str_eq(rep->findings[0].subject, "data/a");
}
END_TEST

START_TEST(add_keeps_a_thousand_then_counts)
{
	char msg[32];

	for (int i = 0; i < MAXKEPT + 5; i++) {
		snprintf(msg, sizeof(msg), "finding %d", i);
		addf("validity", "data/x", msg);
	}
	ck_assert_uint_eq(rep->nfindings, MAXKEPT);
	ck_assert_uint_eq(rep->more_findings, 5);
	ck_assert_str_eq(rep->findings[0].message, "finding 0");
	ck_assert_str_eq(rep->findings[MAXKEPT - 1].message, "finding 999");
}
END_TEST

START_TEST(add_at_the_bound_exactly)
{
	for (int i = 0; i < MAXKEPT; i++)
		addf("completeness", "data/y", "missing");
	ck_assert_uint_eq(rep->nfindings, MAXKEPT);
	ck_assert_uint_eq(rep->more_findings, 0);
	addf("completeness", "data/y", "missing");
	ck_assert_uint_eq(rep->nfindings, MAXKEPT);
	ck_assert_uint_eq(rep->more_findings, 1);
}
END_TEST

START_TEST(report_free_null_is_noop)
{
	cust_report_free(NULL);
}
END_TEST

/* ---------------------------------------------------------------- JSON */

static char *
sdup(const char *s)
{
	char *d = strdup(s);

	ck_assert_ptr_nonnull(d);
	return d;
}

/* A report as verify would leave it after a digest mismatch. */
static void
broken_report(void)
{
	rep->verdict = CUST_BROKEN;
	rep->failed_check = "validity";
	memset(rep->sha256, 'a', 64);
	rep->bytes = 123456;
	rep->bag = sdup("EVD-0042");
	rep->members = 40;
	rep->payload_files = 30;
	rep->payload_bytes = 99999;
	rep->matched = 27;
	rep->missing = 1;
	rep->extra = 2;
	rep->mismatched = 3;
	strcpy(rep->key_id, "F887C04611BB59DD");
	rep->signature_valid = true;
	rep->key_trusted = false;
	rep->trusted_by = NULL;
	rep->trusted_comment = sdup("case C-1 bag EVD-0042");
	rep->case_id = sdup("C-1");
	rep->evidence_id = sdup("E-7");
	rep->examiner = sdup("J. Smith");
	rep->host = sdup("web01");
	rep->start_utc = sdup("2023-11-14T22:13:20.000000000Z");
	rep->end_utc = sdup("2023-11-14T22:15:00.000000000Z");
	rep->tool = sdup("custody 0.1.0");
	rep->records = 45;
	rep->not_collected = 4;
	rep->custody_events = 2;
	addf("validity", "data/etc/passwd", "digest differs");
	addf("completeness", "data/etc/shadow", "missing from the archive");
}

START_TEST(json_of_broken_report_has_every_field)
{
	char sha[65];

	broken_report();
	parse();
	memset(sha, 'a', 64);
	sha[64] = '\0';
	ck_assert_str_eq(str("failed_check"), "validity");
	ck_assert_str_eq(str("sha256"), sha);
	ck_assert_int_eq(num("bytes"), 123456);
	ck_assert_str_eq(str("bag"), "EVD-0042");
	ck_assert_int_eq(num("payload.files"), 30);
	ck_assert_int_eq(num("payload.bytes"), 99999);
	ck_assert_int_eq(num("payload.matched"), 27);
	ck_assert_int_eq(num("payload.missing"), 1);
	ck_assert_int_eq(num("payload.extra"), 2);
	ck_assert_int_eq(num("payload.mismatched"), 3);
	ck_assert_str_eq(str("seal.key_id"), "F887C04611BB59DD");
	ck_assert(json_is_true(at("seal.signature_valid")));
	ck_assert(json_is_false(at("seal.key_trusted")));
	null("seal.trusted_by");
	ck_assert_str_eq(str("seal.trusted_comment"), "case C-1 bag EVD-0042");
	ck_assert_str_eq(str("acquisition.case_id"), "C-1");
	ck_assert_str_eq(str("acquisition.evidence_id"), "E-7");
	ck_assert_str_eq(str("acquisition.examiner"), "J. Smith");
	ck_assert_str_eq(str("acquisition.host"), "web01");
	ck_assert_str_eq(str("acquisition.start_utc"),
	    "2023-11-14T22:13:20.000000000Z");
	ck_assert_str_eq(str("acquisition.end_utc"),
	    "2023-11-14T22:15:00.000000000Z");
	ck_assert_str_eq(str("acquisition.tool"), "custody 0.1.0");
	ck_assert_int_eq(num("acquisition.records"), 45);
	ck_assert_int_eq(num("acquisition.not_collected"), 4);
	ck_assert_int_eq(num("acquisition.custody_events"), 2);
	ck_assert_int_eq(num("more_findings"), 0);
}
END_TEST

START_TEST(json_findings_are_listed_in_order)
{
	json_t *f;

	broken_report();
	parse();
	f = at("findings");
	ck_assert(json_is_array(f));
	ck_assert_uint_eq(json_array_size(f), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f,
	    0), "check")), "validity");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f,
	    0), "subject")), "data/etc/passwd");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f,
	    0), "message")), "digest differs");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f,
	    1), "check")), "completeness");
}
END_TEST

START_TEST(json_verdicts_are_distinct)
{
	static const enum cust_verdict v[] = { CUST_AUTHENTIC,
	    CUST_UNVERIFIED, CUST_BROKEN, CUST_UNREADABLE };
	char seen[4][64];

	for (size_t i = 0; i < NELEM(v); i++) {
		rep->verdict = v[i];
		parse();
		ck_assert_str_ne(str("verdict"), "");
		snprintf(seen[i], sizeof(seen[i]), "%s", str("verdict"));
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(seen[i], seen[j]);
	}
	ck_assert_str_eq(seen[0], "authentic");
	ck_assert_ptr_nonnull(strstr(seen[1], "unverified"));
}
END_TEST

START_TEST(json_empty_report_has_nulls)
{
	parse();
	null("failed_check");
	null("bag");
	null("seal.key_id");
	null("seal.trusted_by");
	null("seal.trusted_comment");
	null("acquisition.case_id");
	null("acquisition.examiner");
	null("acquisition.tool");
	ck_assert_str_eq(str("sha256"), "");
	ck_assert(json_is_false(at("seal.signature_valid")));
	ck_assert_uint_eq(json_array_size(at("findings")), 0);
	ck_assert_int_eq(num("more_findings"), 0);
	ck_assert_int_eq(num("payload.files"), 0);
}
END_TEST

START_TEST(json_non_utf8_strings_are_null)
{
	json_t *f;

	rep->bag = sdup("EVD-\xff");
	rep->case_id = sdup("caf\xc3");			/* truncated */
	rep->examiner = sdup("\xed\xa0\x80");		/* surrogate */
	rep->host = sdup("h\xc3\xa9te");			/* valid */
	rep->trusted_comment = sdup("\xc0\xaf");		/* overlong */
	addf("archive", "data/\xff\xfe", "name is not UTF-8");
	addf("archive", "data/ok", "bad \xff message");
	parse();
	null("bag");
	null("acquisition.case_id");
	null("acquisition.examiner");
	null("seal.trusted_comment");
	ck_assert_str_eq(str("acquisition.host"), "h\xc3\xa9te");
	f = at("findings");
	ck_assert(json_is_null(json_object_get(json_array_get(f, 0),
	    "subject")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f,
	    0), "message")), "name is not UTF-8");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f,
	    1), "subject")), "data/ok");
	ck_assert(json_is_null(json_object_get(json_array_get(f, 1),
	    "message")));
}
END_TEST

START_TEST(json_escapes_quotes_and_controls)
{
	static const char nasty[] = "a \"quoted\"\n\ttab \\ back\x01";

	rep->examiner = sdup(nasty);
	addf("metadata", nasty, nasty);
	parse();
	ck_assert_str_eq(str("acquisition.examiner"), nasty);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    at("findings"), 0), "subject")), nasty);
}
END_TEST

START_TEST(json_counts_findings_beyond_the_bound)
{
	for (int i = 0; i < MAXKEPT + 25; i++)
		addf("validity", "data/z", "digest differs");
	parse();
	ck_assert_uint_eq(json_array_size(at("findings")), MAXKEPT);
	ck_assert_int_eq(num("more_findings"), 25);
}
END_TEST

START_TEST(json_large_counts_survive)
{
	rep->bytes = (uint64_t)1 << 40;
	rep->payload_bytes = ((uint64_t)1 << 53) + 1;
	rep->records = 4000000000ULL;
	parse();
	ck_assert_int_eq(num("bytes"), (json_int_t)1 << 40);
	ck_assert_int_eq(num("payload.bytes"), ((json_int_t)1 << 53) + 1);
	ck_assert_int_eq(num("acquisition.records"), 4000000000LL);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("report");
	TCase *add = tcase_create("findings");
	TCase *js = tcase_create("json");

	tcase_add_checked_fixture(add, setup, teardown);
	tcase_add_test(add, add_keeps_check_subject_and_formatted_message);
	tcase_add_test(add, add_copies_subject);
	tcase_add_test(add, add_keeps_a_thousand_then_counts);
	tcase_add_test(add, add_at_the_bound_exactly);
	tcase_add_test(add, report_free_null_is_noop);
	suite_add_tcase(s, add);

	tcase_add_checked_fixture(js, setup, teardown);
	tcase_add_test(js, json_of_broken_report_has_every_field);
	tcase_add_test(js, json_findings_are_listed_in_order);
	tcase_add_test(js, json_verdicts_are_distinct);
	tcase_add_test(js, json_empty_report_has_nulls);
	tcase_add_test(js, json_non_utf8_strings_are_null);
	tcase_add_test(js, json_escapes_quotes_and_controls);
	tcase_add_test(js, json_counts_findings_beyond_the_bound);
	tcase_add_test(js, json_large_counts_survive);
	suite_add_tcase(s, js);
	return s;
}

