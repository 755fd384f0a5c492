/*
 * test-flusher.c: fdatasync on a thread of its own.  A kick makes the
 * thread flush; the first flush that fails is remembered and told to the
 * next kick and to the end, since the kernel tells a failed writeback only
 * once; ending waits, and never hangs, kicked or not.  fdatasync fails on
 * a pipe with EINVAL, which stands in for a disk that fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "collect/pipeline/pipeline.h"
#include "harness.h"

static struct cust_ctx *ctx;

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

/* Kick until a kick reports an error, for up to 10 s: the flush runs on
 * the other thread, whenever it gets there. */
static int
kick_until_error(struct cust_flusher *f)
{
	struct timespec ms = { 0, 1000000 };
	int e = 0;

	for (int i = 0; i < 10000 && e == 0; i++) {
		e = cust_flusher_kick(f);
		if (e == 0)
			nanosleep(&ms, NULL);
	}
	return e;
}

START_TEST(file_flushes_without_error)
{
	char path[] = "/tmp/test-flusher.XXXXXX";
	struct cust_flusher *f;
	char buf[4096];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(cust_flusher_new(ctx, fd, &f), CUST_OK);
	for (int i = 0; i < 64; i++) {
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), sizeof(buf));
		ck_assert_int_eq(cust_flusher_kick(f), 0);
	}
	ck_assert_int_eq(cust_flusher_end(f), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 64 * sizeof(buf));
	cust_flusher_free(f);
	close(fd);
}
END_TEST

START_TEST(failed_flush_is_told_to_next_kick_and_end)
{
	struct cust_flusher *f;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(cust_flusher_new(ctx, p[1], &f), CUST_OK);
	ck_assert_int_eq(kick_until_error(f), EINVAL);
	/* Kept: every later kick, and the end, still say so. */
	ck_assert_int_eq(cust_flusher_kick(f), EINVAL);
	ck_assert_int_eq(cust_flusher_end(f), EINVAL);
	ck_assert_int_eq(cust_flusher_end(f), EINVAL);
	cust_flusher_free(f);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(first_failed_flush_is_the_one_told)
{
	struct timespec ms = { 0, 1000000 };
	struct cust_flusher *f;
	int p[2], path;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(cust_flusher_new(ctx, p[1], &f), CUST_OK);
	ck_assert_int_eq(kick_until_error(f), EINVAL);
	/* The same descriptor now fails otherwise: fdatasync on an O_PATH
	 * descriptor gives EBADF.  The flushes it makes fail must not
	 * replace the first error.  (Correct code can never fail this; on a
	 * machine too busy to run the flusher in a second, a wrong one could
	 * pass.) */
	ck_assert_int_ge(path = open("/", O_PATH | O_CLOEXEC), 0);
	ck_assert_int_eq(dup2(path, p[1]), p[1]);
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(cust_flusher_kick(f), EINVAL);
		nanosleep(&ms, NULL);
	}
	ck_assert_int_eq(cust_flusher_end(f), EINVAL);
	cust_flusher_free(f);
	close(path);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(unkicked_flusher_does_not_flush)
{
	struct cust_flusher *f;
	int p[2];

	/* A flush on a pipe would fail; none may have run. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(cust_flusher_new(ctx, p[1], &f), CUST_OK);
	ck_assert_int_eq(cust_flusher_end(f), 0);
	cust_flusher_free(f);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(free_without_end_stops_the_thread)
{
	struct cust_flusher *f;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(cust_flusher_new(ctx, p[1], &f), CUST_OK);
	ck_assert_int_eq(kick_until_error(f), EINVAL);
	(void)cust_flusher_kick(f);
	cust_flusher_free(f);
	cust_flusher_free(NULL);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("flusher");
	TCase *tc = tcase_create("flusher");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, file_flushes_without_error);
	tcase_add_test(tc, failed_flush_is_told_to_next_kick_and_end);
	tcase_add_test(tc, first_failed_flush_is_the_one_told);
	tcase_add_test(tc, unkicked_flusher_does_not_flush);
	tcase_add_test(tc, free_without_end_stops_the_thread);
	suite_add_tcase(s, tc);
	return s;
}

