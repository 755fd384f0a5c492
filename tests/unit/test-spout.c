/*
 * test-spout.c: a stream drained on a thread of its own.  Every byte
 * sent reaches the drain, once and in order, by the time the spout ends;
 * room not written to stays for the next call; the drain's first error
 * stops the stream, nothing after it is drained, and the feeding side and
 * the end are told; freeing without ending stops the thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "private.h"

static struct cust_ctx *ctx;

/* What the drain saw, and how it behaves.  The drain runs on the spout's
 * thread; the test reads this only after cust_spout_end or _free, which
 * join that thread. */
struct seen {
	unsigned char	*buf;
	size_t		 len, cap;
	int		 calls;
	int		 fail_at;	/* the call that fails (from 1); 0: none */
	bool		 slow;		/* sleep a little in every call */
};

static int
drain(void *arg, const void *p, size_t n)
{
	struct timespec ms = { 0, 1000000 };
	struct seen *s = arg;

	s->calls++;
	if (s->slow)
		nanosleep(&ms, NULL);
	if (s->calls == s->fail_at)
		return EIO;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		ck_assert_ptr_nonnull(s->buf = realloc(s->buf, s->cap));
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

static unsigned char
byte(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

/* The bytes drained are the first of those sent, in order. */
static void
in_order(const struct seen *s)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->buf[i] != byte(i))
			ck_abort_msg("byte %zu differs", i);
}

/* Fill and send K bytes (at most the room), numbering them from *AT. */
static bool
put(struct cust_spout *sp, size_t k, size_t *at)
{
	unsigned char *p;
	size_t room;

	if ((p = cust_spout_room(sp, &room)) == NULL)
		return false;
	ck_assert_uint_gt(room, 0);
	if (k > room)
		k = room;
	for (size_t i = 0; i < k; i++)
		p[i] = byte((*at)++);
	return cust_spout_wrote(sp, k);
}

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
}

static void
teardown(void)
{
	cust_ctx_free(ctx);
}

START_TEST(every_byte_arrives_once_in_order)
{
	struct seen s = { 0 };
	struct cust_spout *sp;
	size_t at = 0;

	srand(7);
	ck_assert_int_eq(cust_spout_new(ctx, drain, &s, &sp), CUST_OK);
	/* Sizes from none to more than the room, so that the ring wraps
	 * and the feeder waits for the drain many times. */
	for (int i = 0; i < 1000; i++)
		ck_assert(put(sp, (size_t)rand() % 300000, &at));
	ck_assert_int_eq(cust_spout_end(sp), 0);
	ck_assert_uint_gt(at, 16 * 1024 * 1024);
	ck_assert_uint_eq(s.len, at);
	in_order(&s);
	cust_spout_free(sp);
	free(s.buf);
}
END_TEST

START_TEST(end_waits_for_a_slow_drain)
{
	struct seen s = { .slow = true };
	struct cust_spout *sp;
	size_t at = 0;

	ck_assert_int_eq(cust_spout_new(ctx, drain, &s, &sp), CUST_OK);
	for (int i = 0; i < 50; i++)
		ck_assert(put(sp, 1000, &at));
	ck_assert_int_eq(cust_spout_end(sp), 0);
	ck_assert_uint_eq(s.len, 50 * 1000);
	ck_assert_int_eq(cust_spout_end(sp), 0);
	cust_spout_free(sp);
	free(s.buf);
}
END_TEST

START_TEST(unwritten_room_stays_for_the_next_call)
{
	struct seen s = { 0 };
	struct cust_spout *sp;
	size_t n1, n2;
	void *p1, *p2;

	ck_assert_int_eq(cust_spout_new(ctx, drain, &s, &sp), CUST_OK);
	ck_assert_ptr_nonnull(p1 = cust_spout_room(sp, &n1));
	ck_assert(cust_spout_wrote(sp, 0));
	ck_assert_ptr_nonnull(p2 = cust_spout_room(sp, &n2));
	ck_assert_ptr_eq(p1, p2);
	ck_assert_uint_eq(n1, n2);
	/* Room ended unwritten sends nothing. */
	ck_assert_int_eq(cust_spout_end(sp), 0);
	ck_assert_int_eq(s.calls, 0);
	cust_spout_free(sp);
}
END_TEST

START_TEST(first_drain_error_stops_and_is_told)
{
	struct seen s = { .fail_at = 3 };
	struct cust_spout *sp;
	size_t at = 0, piece;
	int i;

	ck_assert_int_eq(cust_spout_new(ctx, drain, &s, &sp), CUST_OK);
	ck_assert_ptr_nonnull(cust_spout_room(sp, &piece));
	/* Whole rooms, each its own call of the drain. */
	for (i = 0; i < 100000 && put(sp, piece, &at); i++)
		;
	ck_assert_int_lt(i, 100000);
	ck_assert_int_eq(cust_spout_end(sp), EIO);
	ck_assert_int_eq(cust_spout_end(sp), EIO);
	/* Two drained; the third failed, and nothing came after. */
	ck_assert_int_eq(s.calls, 3);
	ck_assert_uint_eq(s.len, 2 * piece);
	ck_assert_ptr_null(cust_spout_room(sp, &at));
	cust_spout_free(sp);
	free(s.buf);
}
END_TEST

START_TEST(free_without_end_stops_the_thread)
{
	struct seen s = { .slow = true };
	struct cust_spout *sp;
	size_t at = 0;

	ck_assert_int_eq(cust_spout_new(ctx, drain, &s, &sp), CUST_OK);
	for (int i = 0; i < 20; i++)
		ck_assert(put(sp, 100000, &at));
	cust_spout_free(sp);
	/* Whatever was drained came in order. */
	ck_assert_uint_le(s.len, at);
	in_order(&s);
	cust_spout_free(NULL);
	free(s.buf);
}
END_TEST

static Suite *
spout_suite(void)
{
	Suite *s = suite_create("spout");
	TCase *tc = tcase_create("spout");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_byte_arrives_once_in_order);
	tcase_add_test(tc, end_waits_for_a_slow_drain);
	tcase_add_test(tc, unwritten_room_stays_for_the_next_call);
	tcase_add_test(tc, first_drain_error_stops_and_is_told);
	tcase_add_test(tc, free_without_end_stops_the_thread);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(spout_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
