/*
 * test-custody_log.c: the hash chain of custody events.  Each line is
 * re-read with jansson and its "prev" recomputed here with OpenSSL over the
 * previous line's bytes, so the chain is checked the way an independent
 * verifier would check it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "format/format.h"
#include "harness.h"

#define ZEROS	"0000000000000000000000000000000000000000000000000000000000000000"

static struct cust_ctx *ctx;
static struct cust_chain chain;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	cust_chain_init(&chain);
}

static void
teardown(void)
{
	cust_chain_fini(&chain);
	cust_ctx_free(ctx);
}

/* SHA-256 hex of N bytes at P, by OpenSSL directly. */
static void
sha256(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	ck_assert_int_eq(EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
add(json_t *event)
{
	ck_assert_ptr_nonnull(event);
	ck_assert_msg(cust_chain_add(ctx, &chain, event) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
}

/* Split the chain's text into at most MAX lines (pointers into a copy). */
static size_t
lines(char **copy, char **v, size_t max)
{
	size_t n = 0;
	char *p, *nl;

	ck_assert_ptr_nonnull(chain.text);
	ck_assert_uint_eq(strlen(chain.text), chain.len);
	ck_assert_ptr_nonnull(*copy = strdup(chain.text));
	for (p = *copy; *p != '\0'; p = nl + 1) {
		ck_assert_ptr_nonnull(nl = strchr(p, '\n'));
		*nl = '\0';
		ck_assert_uint_lt(n, max);
		v[n++] = p;
	}
	return n;
}

/* Check the chain as a verifier would: seq, prev, and chain.prev. */
static void
verify_chain(size_t want)
{
	char *copy, *v[16], prev[65];
	json_error_t err;
	json_t *o;
	size_t n = lines(&copy, v, NELEM(v));

	ck_assert_uint_eq(n, want);
	strcpy(prev, ZEROS);
	for (size_t i = 0; i < n; i++) {
		o = json_loads(v[i], 0, &err);
		ck_assert_msg(o != NULL, "line %zu: %s", i, err.text);
		ck_assert_int_eq(json_integer_value(json_object_get(o, "seq")),
		    (json_int_t)i);
		ck_assert_str_eq(json_string_value(json_object_get(o, "prev")),
		    prev);
		json_decref(o);
		sha256(v[i], strlen(v[i]), prev);
	}
	ck_assert_str_eq(chain.prev, prev);
	ck_assert_uint_eq(chain.seq, n);
	free(copy);
}

START_TEST(new_chain_is_empty_with_zero_prev)
{
	ck_assert_uint_eq(chain.seq, 0);
	ck_assert_str_eq(chain.prev, ZEROS);
	ck_assert_uint_eq(strlen(chain.prev), 64);
	ck_assert_uint_eq(chain.len, 0);
	ck_assert_ptr_null(chain.text);
}
END_TEST

START_TEST(first_line_is_seq_prev_then_event)
{
	json_t *e = json_pack("{s:s, s:i}", "event", "acquired", "files", 3);

	add(e);
	json_decref(e);
	ck_assert_str_eq(chain.text, "{\"seq\":0,\"prev\":\"" ZEROS "\","
	    "\"event\":\"acquired\",\"files\":3}\n");
	ck_assert_uint_eq(chain.seq, 1);
}
END_TEST

START_TEST(three_events_chain_by_sha256_of_previous_line)
{
	json_t *e;

	add(e = json_pack("{s:s}", "event", "acquired"));
	json_decref(e);
	add(e = json_pack("{s:s, s:s}", "event", "sealed", "key_id",
	    "F887C04611BB59DD"));
	json_decref(e);
	add(e = json_pack("{s:s, s:s}", "event", "transfer", "to",
	    "Jos\xc3\xa9"));
	json_decref(e);
	verify_chain(3);
}
END_TEST

START_TEST(prev_covers_line_without_newline)
{
	char *copy, *v[4], with_nl[65], without[65];
	json_t *e = json_object();
	size_t n;

	add(e);
	add(e);
	json_decref(e);
	n = lines(&copy, v, NELEM(v));
	ck_assert_uint_eq(n, 2);
	sha256(v[0], strlen(v[0]), without);
	sha256(chain.text, strlen(v[0]) + 1, with_nl);
	ck_assert_str_ne(with_nl, without);
	ck_assert_ptr_nonnull(strstr(v[1], without));
	free(copy);
}
END_TEST

START_TEST(event_fields_follow_in_their_order)
{
	json_t *e = json_object(), *o;
	const char *keys[8];
	size_t n = 0;
	void *it;

	json_object_set_new(e, "event", json_string("acquired"));
	json_object_set_new(e, "zeta", json_integer(1));
	json_object_set_new(e, "alpha", json_true());
	json_object_set_new(e, "nested", json_pack("{s:[i,i]}", "a", 1, 2));
	add(e);
	json_decref(e);
	o = json_loads(chain.text, JSON_DISABLE_EOF_CHECK, NULL);
	ck_assert_ptr_nonnull(o);
	for (it = json_object_iter(o); it != NULL && n < NELEM(keys);
	    it = json_object_iter_next(o, it))
		keys[n++] = json_object_iter_key(it);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(keys[0], "seq");
	ck_assert_str_eq(keys[1], "prev");
	ck_assert_str_eq(keys[2], "event");
	ck_assert_str_eq(keys[3], "zeta");
	ck_assert_str_eq(keys[4], "alpha");
	ck_assert_str_eq(keys[5], "nested");
	ck_assert(json_is_true(json_object_get(o, "alpha")));
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(
	    json_object_get(o, "nested"), "a"), 1)), 2);
	json_decref(o);
}
END_TEST

START_TEST(event_is_borrowed_and_left_unchanged)
{
	json_t *e = json_pack("{s:s}", "event", "acquired");

	add(e);
	add(e);
	ck_assert_int_eq(e->refcount, 1);
	ck_assert_uint_eq(json_object_size(e), 1);
	ck_assert_ptr_null(json_object_get(e, "seq"));
	ck_assert_ptr_null(json_object_get(e, "prev"));
	json_decref(e);
	/* The same event twice: two lines, different prev. */
	verify_chain(2);
}
END_TEST

START_TEST(newlines_in_values_stay_inside_one_line)
{
	json_t *e = json_pack("{s:s}", "note", "line one\nline two\r\n\"q\"");
	json_t *o;

	add(e);
	json_decref(e);
	ck_assert_ptr_eq(strchr(chain.text, '\n'),
	    chain.text + chain.len - 1);
	o = json_loads(chain.text, JSON_DISABLE_EOF_CHECK, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "note")),
	    "line one\nline two\r\n\"q\"");
	json_decref(o);
}
END_TEST

START_TEST(many_events_keep_chaining)
{
	json_t *e;
	char *copy, *v[16];
	size_t n;

	for (int i = 0; i < 12; i++) {
		add(e = json_pack("{s:s, s:i}", "event", "x", "i", i));
		json_decref(e);
	}
	verify_chain(12);
	n = lines(&copy, v, NELEM(v));
	/* Editing any line breaks the next line's prev. */
	for (size_t i = 0; i + 1 < n; i++) {
		char h[65];

		v[i][strlen(v[i]) - 2] ^= 1;
		sha256(v[i], strlen(v[i]), h);
		ck_assert_ptr_null(strstr(v[i + 1], h));
	}
	free(copy);
}
END_TEST

START_TEST(fini_releases_and_init_restarts)
{
	json_t *e = json_object();

	add(e);
	cust_chain_fini(&chain);
	ck_assert_ptr_null(chain.text);
	cust_chain_fini(&chain);
	cust_chain_init(&chain);
	add(e);
	json_decref(e);
	verify_chain(1);
	ck_assert_str_eq(chain.text, "{\"seq\":0,\"prev\":\"" ZEROS "\"}\n");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("custody_log");
	TCase *tc = tcase_create("chain");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, new_chain_is_empty_with_zero_prev);
	tcase_add_test(tc, first_line_is_seq_prev_then_event);
	tcase_add_test(tc, three_events_chain_by_sha256_of_previous_line);
	tcase_add_test(tc, prev_covers_line_without_newline);
	tcase_add_test(tc, event_fields_follow_in_their_order);
	tcase_add_test(tc, event_is_borrowed_and_left_unchanged);
	tcase_add_test(tc, newlines_in_values_stay_inside_one_line);
	tcase_add_test(tc, many_events_keep_chaining);
	tcase_add_test(tc, fini_releases_and_init_restarts);
	suite_add_tcase(s, tc);
	return s;
}

