/*
 * test-slip.c: the records' slips and their recycling between the
 * reading and the hashing thread.  A slip is a deep copy of its record;
 * one written and given back is the next one the reader gets; a record
 * too large for the pool's size gets a slip of its own; and two real
 * threads passing many records through a relay that fills up get every
 * record, in order, while the queue still holds the reader back and the
 * pool never grows past what was in flight.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collect/pipeline/pipeline.h"
#include "harness.h"

#define RECORDS		20000
#define QUEUED		4096	/* jobs a relay holds (queue.c's JOBS) */
#define BATCH		64	/* taken at once, as hasher.c does */

static void
fill(struct cust_record *r, struct stat *st, const char *path)
{
	memset(r, 0, sizeof(*r));
	memset(st, 0, sizeof(*st));
	st->st_ino = 42;
	st->st_mode = S_IFLNK | 0777;
	r->path = path;
	r->pathlen = strlen(path);
	r->st = st;
	r->bytes = -1;
}

START_TEST(slip_is_a_deep_copy_and_comes_back)
{
	char path[] = "usr/bin/x", target[] = "y/z", reason[] = "why";
	struct cust_slips *p;
	struct cust_slip *s, *t, *a, *b;
	struct cust_record r;
	struct cust_ctx *ctx;
	struct stat st, after;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_slips_new(ctx, &p), CUST_OK);
	fill(&r, &st, path);
	r.target = target;
	r.targetlen = 1;		/* only "y": the length is what counts */
	r.reason = reason;
	after = st;
	after.st_size = 7;
	r.after = &after;
	r.hex[0] = "ab";
	ck_assert_ptr_nonnull(s = cust_slip_new(p, &r, true, false));
	/* The caller's buffers are reused at once: nothing may point in. */
	memset(path, 'q', sizeof(path) - 1);
	memset(reason, 'q', sizeof(reason) - 1);
	st.st_ino = 0;
	after.st_size = 0;
	ck_assert_str_eq(s->r.path, "usr/bin/x");
	ck_assert_uint_eq(s->r.pathlen, 9);
	ck_assert_str_eq(s->r.target, "y");
	ck_assert_str_eq(s->r.reason, "why");
	ck_assert_ptr_null(s->r.artefact);
	ck_assert_ptr_null(s->r.meta);
	ck_assert_ptr_eq(s->r.st, &s->st);
	ck_assert_uint_eq(s->r.st->st_ino, 42);
	ck_assert_ptr_eq(s->r.after, &s->after);
	ck_assert_int_eq(s->r.after->st_size, 7);
	ck_assert_ptr_null(s->r.hex[0]);	/* the hasher's to fill */
	ck_assert(s->digest && !s->payload && s->pooled);
	ck_assert_uint_eq(cust_slips_made(p), 1);

	/* Done, but not given back: the reader cannot have it yet. */
	cust_slip_done(p, s);
	ck_assert_ptr_nonnull(t = cust_slip_new(p, &r, false, true));
	ck_assert_ptr_ne(t, s);
	ck_assert_uint_eq(cust_slips_made(p), 2);
	cust_slip_done(p, t);
	cust_slips_give_back(p);
	/* Given back: the next two are those two, refilled. */
	a = s;
	b = t;
	fill(&r, &st, "etc");
	ck_assert_ptr_nonnull(s = cust_slip_new(p, &r, false, true));
	ck_assert_ptr_nonnull(t = cust_slip_new(p, &r, false, false));
	ck_assert((s == a && t == b) || (s == b && t == a));
	ck_assert_uint_eq(cust_slips_made(p), 2);
	ck_assert_str_eq(s->r.path, "etc");
	ck_assert_ptr_null(s->r.target);
	ck_assert_ptr_null(s->r.reason);
	ck_assert_ptr_null(s->r.after);
	ck_assert(!s->digest && s->payload);
	cust_slip_done(p, s);
	cust_slip_done(p, t);
	cust_slips_give_back(p);
	cust_slips_free(p);			/* ASan: nothing leaks */
	cust_ctx_free(ctx);
}
END_TEST

START_TEST(slip_too_large_is_its_own)
{
	struct cust_slips *p;
	struct cust_slip *s;
	struct cust_record r;
	struct cust_ctx *ctx;
	struct stat st;
	char *path;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_slips_new(ctx, &p), CUST_OK);
	ck_assert_ptr_nonnull(path = malloc(4001));
	memset(path, 'a', 4000);
	path[4000] = '\0';
	fill(&r, &st, path);
	ck_assert_ptr_nonnull(s = cust_slip_new(p, &r, false, false));
	ck_assert(!s->pooled);
	ck_assert_uint_eq(strlen(s->r.path), 4000);
	ck_assert_uint_eq(cust_slips_made(p), 0);
	cust_slip_done(p, s);		/* freed, not kept */
	cust_slips_give_back(p);
	fill(&r, &st, "a");
	ck_assert_ptr_nonnull(s = cust_slip_new(p, &r, false, false));
	ck_assert(s->pooled);
	ck_assert_uint_eq(cust_slips_made(p), 1);
	free(s);			/* any slip may go to free() */
	/* Without a pool, a slip of its own. */
	ck_assert_ptr_nonnull(s = cust_slip_new(NULL, &r, false, false));
	ck_assert(!s->pooled);
	cust_slip_done(NULL, s);
	free(path);
	cust_slips_free(p);
	cust_ctx_free(ctx);
}
END_TEST

struct pair {
	struct cust_relay *relay;
	struct cust_slips *slips;
	atomic_size_t	 pushed;	/* records the reader handed over */
	size_t		 taken, bad_order, overrun;
};

static void *
reader(void *arg)
{
	struct pair *c = arg;
	struct cust_record r;
	struct cust_slip *s;
	struct stat st;
	char path[32];

	for (size_t i = 0; i < RECORDS; i++) {
		snprintf(path, sizeof(path), "r%zu", i);
		fill(&r, &st, path);
		st.st_ino = i;
		if ((s = cust_slip_new(c->slips, &r, false, false)) == NULL ||
		    !cust_relay_record(c->relay, s))
			break;
		atomic_store(&c->pushed, i + 1);
	}
	cust_relay_close(c->relay);
	return NULL;
}

/* The hashing thread's part: it starts only once the queue is full. */
static void *
hasher(void *arg)
{
	struct pair *c = arg;
	struct cust_job v[BATCH];
	char path[32];
	size_t n;

	while (atomic_load(&c->pushed) < QUEUED)
		sched_yield();
	for (;;) {
		/* The reader cannot be further ahead than the queue holds. */
		if (atomic_load(&c->pushed) > c->taken + QUEUED)
			c->overrun++;
		if ((n = cust_relay_take(c->relay, v, BATCH)) == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "r%zu", c->taken);
			if (v[i].kind != CUST_JOB_RECORD ||
			    strcmp(v[i].slip->r.path, path) != 0 ||
			    v[i].slip->r.st->st_ino != c->taken)
				c->bad_order++;
			cust_slip_done(c->slips, v[i].slip);
			c->taken++;
		}
		cust_slips_give_back(c->slips);
	}
	return NULL;
}

START_TEST(slips_go_round_a_full_queue)
{
	struct pair c = { .taken = 0 };
	struct cust_ctx *ctx;
	pthread_t t[2];

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_relay_new(ctx, 64 * 1024, &c.relay), CUST_OK);
	ck_assert_int_eq(cust_slips_new(ctx, &c.slips), CUST_OK);
	atomic_init(&c.pushed, 0);
	ck_assert_int_eq(pthread_create(&t[0], NULL, reader, &c), 0);
	ck_assert_int_eq(pthread_create(&t[1], NULL, hasher, &c), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_eq(atomic_load(&c.pushed), RECORDS);
	ck_assert_uint_eq(c.taken, RECORDS);
	ck_assert_uint_eq(c.bad_order, 0);
	ck_assert_uint_eq(c.overrun, 0);
	/* Slips were reused: no more were made than were in flight (the
	 * full queue, a batch taken, one being filled). */
	ck_assert_uint_le(cust_slips_made(c.slips), QUEUED + 2 * BATCH + 1);
	cust_relay_free(c.relay);
	cust_slips_free(c.slips);
	cust_ctx_free(ctx);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("slip");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, slip_is_a_deep_copy_and_comes_back);
	tcase_add_test(tc, slip_too_large_is_its_own);
	tcase_add_test(tc, slips_go_round_a_full_queue);
	suite_add_tcase(s, tc);
	return s;
}
