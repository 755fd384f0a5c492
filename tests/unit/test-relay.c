/*
 * test-relay.c: the hand-over between the reading, hashing and writing
 * threads.  Three real threads pass many chunks of odd sizes through a
 * ring far smaller than the data, as collect does: every byte must arrive,
 * in order, unchanged, with headers and finishes in their places, and the
 * chain must neither stall nor lose work when the ring wraps, reservations
 * are given back, or one thread aborts.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collect/pipeline/pipeline.h"
#include "harness.h"

#define RING	(64 * 1024)	/* the largest chunk is a quarter */
#define CHUNKS	20000

struct chain {
	struct cust_relay *in;		/* reader to middle, with the ring */
	struct cust_relay *out;		/* middle to writer */
	unsigned	 seed;
	size_t		 abort_at;	/* the writer aborts at this chunk;
					   0: never */
	/* What each side saw. */
	size_t		 sent, passed, got, headers, finishes;
	uint64_t	 bytes_sent, bytes_got;
	bool		 bad_byte, bad_order, producer_stopped;
};

static unsigned
next_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Byte K of chunk I: a pattern that differs from chunk to chunk. */
static unsigned char
pattern(size_t i, size_t k)
{
	return (unsigned char)(i * 131 + k * 7 + (k >> 8));
}

static void *
producer(void *arg)
{
	struct chain *c = arg;
	struct timespec t = { 1, 0 };
	unsigned s = c->seed;
	char name[32];
	unsigned char *p;
	size_t n, used;

	for (size_t i = 0; i < CHUNKS; i++) {
		if (i % 7 == 0) {
			snprintf(name, sizeof(name), "m%zu", i);
			if (!cust_relay_header(c->in, name, 0, &t))
				goto stopped;
		}
		n = 1 + next_rand(&s) % cust_relay_max(c->in);
		if ((p = cust_relay_reserve(c->in, n)) == NULL)
			goto stopped;
		/* A short read: part of the reservation goes back. */
		used = i % 5 == 0 ? 1 + n / 2 : n;
		if (used < n)
			cust_relay_unreserve(c->in, n - used);
		for (size_t k = 0; k < used; k++)
			p[k] = pattern(i, k);
		if (!cust_relay_chunk(c->in, p, used))
			goto stopped;
		c->sent++;
		c->bytes_sent += used;
		if (i % 7 == 6 && !cust_relay_finish(c->in))
			goto stopped;
	}
	cust_relay_close(c->in);
	return NULL;
stopped:
	c->producer_stopped = true;
	return NULL;
}

/* The hashing thread's part: take in batches, pass on in batches, and
 * let the writer have everything before waiting (as ledger.c does). */
static void *
middle(void *arg)
{
	struct chain *c = arg;
	struct cust_job v[64];
	size_t n;

	for (;;) {
		if (cust_relay_empty(c->in))
			cust_relay_flush(c->out);
		if ((n = cust_relay_take(c->in, v, 64)) == 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (v[i].kind == CUST_JOB_CHUNK)
				c->passed++;
		if (!cust_relay_push(c->out, v, n))
			break;
	}
	cust_relay_close(c->out);
	return NULL;
}

static void *
writer(void *arg)
{
	struct chain *c = arg;
	struct cust_job v[64];
	char name[32];
	size_t n, expect_header = 0;

	while ((n = cust_relay_take(c->out, v, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			const struct cust_job *j = &v[i];
			const unsigned char *p = j->data;

			if (j->kind == CUST_JOB_HEADER) {
				snprintf(name, sizeof(name), "m%zu", c->got);
				if (strcmp(j->data, name) != 0 ||
				    j->len != strlen(name) + 1 ||
				    c->got != expect_header)
					c->bad_order = true;
				expect_header += 7;
				c->headers++;
			} else if (j->kind == CUST_JOB_FINISH) {
				if (c->got % 7 != 0)
					c->bad_order = true;
				c->finishes++;
			} else if (j->kind == CUST_JOB_CHUNK) {
				for (size_t k = 0; k < j->len; k++)
					if (p[k] != pattern(c->got, k))
						c->bad_byte = true;
				c->bytes_got += j->len;
				c->got++;
			}
		}
		cust_relay_release_jobs(c->in, v, n);
		if (c->abort_at != 0 && c->got >= c->abort_at) {
			cust_relay_abort(c->out);
			cust_relay_abort(c->in);
			break;
		}
	}
	return NULL;
}

static void
run_chain(struct chain *c)
{
	struct cust_ctx *ctx;
	pthread_t t[3];

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_relay_new(ctx, RING, &c->in), CUST_OK);
	ck_assert_int_eq(cust_relay_new(ctx, 0, &c->out), CUST_OK);
	ck_assert_int_eq(pthread_create(&t[0], NULL, producer, c), 0);
	ck_assert_int_eq(pthread_create(&t[1], NULL, middle, c), 0);
	ck_assert_int_eq(pthread_create(&t[2], NULL, writer, c), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	cust_relay_free(c->out);
	cust_relay_free(c->in);
	cust_ctx_free(ctx);
}

START_TEST(relay_chain_delivers_every_byte_in_order)
{
	struct chain c = { .seed = 12345u + (unsigned)_i };

	run_chain(&c);
	ck_assert(!c.producer_stopped);
	ck_assert_uint_eq(c.sent, CHUNKS);
	ck_assert_uint_eq(c.passed, CHUNKS);
	ck_assert_uint_eq(c.got, CHUNKS);
	ck_assert_uint_eq(c.bytes_got, c.bytes_sent);
	ck_assert_uint_eq(c.headers, (CHUNKS + 6) / 7);
	ck_assert_uint_eq(c.finishes, CHUNKS / 7);
	ck_assert(!c.bad_byte);
	ck_assert(!c.bad_order);
	/* The ring was lapped many times over. */
	ck_assert_uint_gt(c.bytes_sent, 50 * RING);
}
END_TEST

START_TEST(relay_abort_stops_every_thread)
{
	struct chain c = { .seed = 99u, .abort_at = CHUNKS / 3 };

	run_chain(&c);		/* returns: nobody waits forever */
	ck_assert(c.producer_stopped);
	ck_assert_uint_ge(c.got, CHUNKS / 3);
	ck_assert_uint_lt(c.sent, CHUNKS);
	ck_assert(!c.bad_byte);
}
END_TEST

START_TEST(relay_next_is_false_after_close_and_drain)
{
	struct cust_ctx *ctx;
	struct cust_relay *r;
	struct cust_job j;
	void *p;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_relay_new(ctx, RING, &r), CUST_OK);
	ck_assert_ptr_nonnull(p = cust_relay_reserve(r, 10));
	ck_assert(cust_relay_chunk(r, p, 10));
	cust_relay_close(r);
	ck_assert(cust_relay_next(r, &j));
	ck_assert_int_eq(j.kind, CUST_JOB_CHUNK);
	ck_assert_uint_eq(j.len, 10);
	cust_relay_release(r, j.data, j.len);
	ck_assert(!cust_relay_next(r, &j));
	ck_assert(cust_relay_empty(r));
	cust_relay_free(r);
	cust_ctx_free(ctx);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("relay");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, relay_chain_delivers_every_byte_in_order, 0,
	    3);
	tcase_add_test(tc, relay_abort_stops_every_thread);
	tcase_add_test(tc, relay_next_is_false_after_close_and_drain);
	suite_add_tcase(s, tc);
	return s;
}

