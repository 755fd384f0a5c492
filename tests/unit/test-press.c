/*
 * test-press.c: zstd on worker threads, one frame a piece.  What is written
 * comes back whole and in order from the frames drained, whatever the
 * number of workers and however unevenly the pieces compress; every frame
 * but the last holds one whole piece, with its content size and checksum;
 * the zstd tool accepts the stream; the drain's first error stops the
 * press and is told to the writer and the end; freeing without ending
 * stops the threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <zstd.h>

#include "collect/pipeline/pipeline.h"
#include "harness.h"

#define PIECE	CUST_PRESS_PIECE

static struct cust_ctx *ctx;

/* What the drain saw, and how it behaves.  The drain runs on the press's
 * thread; the test reads this only after cust_press_end or _free, which
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

/* N bytes whose pieces differ in cost: every third piece is noise, which
 * zstd stores almost as it is, the others compress well.  So a worker given
 * a later piece often finishes before the one given an earlier piece. */
static unsigned char *
input(size_t n)
{
	unsigned char *b = calloc(n + 1, 1);
	uint64_t x = 88172645463325252u;

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (i / PIECE) % 3 == 0 ? (unsigned char)x :
		    (unsigned char)("custody "[i % 8] + (i / 4096) % 7);
	}
	return b;
}

/* The stream in S decompresses to exactly WANT (N bytes): every frame is
 * whole, each holds PIECE bytes but the last, and each says its content
 * size and carries a checksum.  Returns the number of frames. */
static size_t
decodes_to(const struct seen *s, const unsigned char *want, size_t n)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	unsigned char *got = malloc(n + 1);
	unsigned long long size;
	size_t off = 0, frames = 0, k;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(got);
	while (off < s->len) {
		k = ZSTD_findFrameCompressedSize(s->buf + off, s->len - off);
		ck_assert_msg(!ZSTD_isError(k), "frame %zu: %s", frames,
		    ZSTD_getErrorName(k));
		/* RFC 8878 3.1.1.1.1: the frame header's descriptor, after the
		 * magic number; bit 2 says a checksum ends the frame. */
		ck_assert_uint_ge(k, 6);
		ck_assert_uint_eq(s->buf[off + 4] & 0x04, 0x04);
		size = ZSTD_getFrameContentSize(s->buf + off, k);
		ck_assert_uint_eq(size, off + k < s->len ? PIECE :
		    n - frames * PIECE);
		{
			ZSTD_inBuffer i = { s->buf + off, k, 0 };
			ZSTD_outBuffer o = { got, n + 1, 0 };
			size_t z;

			ck_assert_uint_le(frames * PIECE, n);
			o.pos = frames * PIECE;
			z = ZSTD_decompressStream(d, &o, &i);
			ck_assert_msg(!ZSTD_isError(z), "frame %zu: %s",
			    frames, ZSTD_getErrorName(z));
			/* 0: the frame is complete and its checksum holds. */
			ck_assert_uint_eq(z, 0);
			ck_assert_uint_eq(i.pos, k);
			ck_assert_uint_eq(o.pos, frames * PIECE + size);
		}
		off += k;
		frames++;
	}
	ck_assert_uint_eq(frames, n == 0 ? 1 : (n + PIECE - 1) / PIECE);
	if (n > 0 && memcmp(got, want, n) != 0)
		ck_abort_msg("the bytes decompressed differ from those written");
	ZSTD_freeDStream(d);
	free(got);
	return frames;
}

/* Write N bytes of B in uneven pieces, from none to several PIECEs. */
static void
feed(struct cust_press *p, const unsigned char *b, size_t n)
{
	size_t off = 0, k;

	srand(11);
	while (off < n) {
		k = (size_t)rand() % (PIECE * 5 / 2);
		if (k > n - off)
			k = n - off;
		ck_assert_int_eq(cust_press_write(p, b + off, k), 0);
		off += k;
	}
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

static void
round_trip(int workers, size_t n)
{
	unsigned char *b = input(n);
	struct seen s = { 0 };
	struct cust_press *p;

	ck_assert_int_eq(cust_press_new(ctx, "out", 1, workers, drain, &s,
	    &p), CUST_OK);
	feed(p, b, n);
	ck_assert_int_eq(cust_press_end(p), 0);
	ck_assert_int_eq(cust_press_end(p), 0);
	/* One call of the drain a frame. */
	ck_assert_int_eq(s.calls, (int)decodes_to(&s, b, n));
	cust_press_free(p);
	free(s.buf);
	free(b);
}

/* Each worker count, over many more pieces than there are slots. */
START_TEST(every_byte_comes_back_in_order)
{
	round_trip(_i, 40 * PIECE + 12345);
}
END_TEST

/* A stream of whole pieces ends with no short frame. */
START_TEST(whole_pieces_make_no_short_frame)
{
	round_trip(2, 6 * PIECE);
	round_trip(0, PIECE);
}
END_TEST

/* No byte written: still one frame, of nothing, so a decoder sees zstd. */
START_TEST(an_empty_stream_is_one_frame)
{
	round_trip(2, 0);
	round_trip(0, 0);
}
END_TEST

/* The zstd tool accepts the stream, and decompresses it to what was
 * written. */
START_TEST(the_zstd_tool_reads_the_stream)
{
	size_t n = 9 * PIECE + 777;
	unsigned char *b = input(n);
	struct seen s = { 0 };
	struct cust_press *p;
	char dir[] = "/tmp/test-press.XXXXXX", cmd[512];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(cust_press_new(ctx, "out", 1, 2, drain, &s, &p),
	    CUST_OK);
	feed(p, b, n);
	ck_assert_int_eq(cust_press_end(p), 0);
	snprintf(cmd, sizeof(cmd), "%s/in", dir);
	ck_assert_ptr_nonnull(f = fopen(cmd, "w"));
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "%s/in.zst", dir);
	ck_assert_ptr_nonnull(f = fopen(cmd, "w"));
	ck_assert_uint_eq(fwrite(s.buf, 1, s.len, f), s.len);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && zstd -q -t in.zst && "
	    "zstd -q -d -c in.zst | cmp - in && rm -r %s", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	cust_press_free(p);
	free(s.buf);
	free(b);
}
END_TEST

/* The third frame fails to drain: the two before it are all that left,
 * the writer is told, and so is every end after, and whoever asks. */
static void
stops_at_first_error(int workers)
{
	size_t n = 30 * PIECE;
	unsigned char *b = input(n);
	struct seen s = { .fail_at = 3 };
	struct cust_press *p;
	size_t off;
	int e = 0;

	ck_assert_int_eq(cust_press_new(ctx, "out", 1, workers, drain, &s,
	    &p), CUST_OK);
	ck_assert_int_eq(cust_press_error(p), 0);
	for (off = 0; off < n && e == 0; off += PIECE / 4)
		e = cust_press_write(p, b + off, PIECE / 4);
	ck_assert_int_eq(e, EIO);
	ck_assert_int_eq(cust_press_error(p), EIO);
	ck_assert_uint_lt(off, n);
	ck_assert_int_eq(cust_press_write(p, b, 1), EIO);
	ck_assert_int_eq(cust_press_end(p), EIO);
	ck_assert_int_eq(cust_press_end(p), EIO);
	cust_press_free(p);
	ck_assert_int_eq(s.calls, 3);
	ck_assert_uint_eq(decodes_to(&s, b, 2 * PIECE), 2);
	free(s.buf);
	free(b);
}

START_TEST(the_first_drain_error_stops_and_is_told)
{
	stops_at_first_error(_i);
}
END_TEST

START_TEST(nothing_is_written_after_the_end)
{
	struct seen s = { 0 };
	struct cust_press *p;

	ck_assert_int_eq(cust_press_new(ctx, "out", 1, 2, drain, &s, &p),
	    CUST_OK);
	ck_assert_int_eq(cust_press_write(p, "abc", 3), 0);
	ck_assert_int_eq(cust_press_end(p), 0);
	ck_assert_int_eq(cust_press_write(p, "d", 1), EINVAL);
	ck_assert_uint_eq(decodes_to(&s, (const unsigned char *)"abc", 3), 1);
	cust_press_free(p);
	free(s.buf);
}
END_TEST

/* Freed while the drain is slow and pieces are queued: the threads stop,
 * and what did leave is whole frames of the start of the stream. */
START_TEST(free_without_end_stops_the_threads)
{
	size_t n = 20 * PIECE;
	unsigned char *b = input(n);
	struct seen s = { .slow = true };
	struct cust_press *p;
	size_t frames;

	ck_assert_int_eq(cust_press_new(ctx, "out", 1, 2, drain, &s, &p),
	    CUST_OK);
	ck_assert_int_eq(cust_press_write(p, b, n), 0);
	cust_press_free(p);
	frames = (size_t)s.calls;
	ck_assert_uint_le(frames, 20);
	if (frames > 0)
		decodes_to(&s, b, frames * PIECE);
	cust_press_free(NULL);
	free(s.buf);
	free(b);
}
END_TEST

START_TEST(refuses_a_level_or_workers_out_of_range)
{
	struct cust_press *p = (struct cust_press *)1;
	struct seen s = { 0 };

	ck_assert_int_eq(cust_press_new(ctx, "out.tar.zst", 0, 2, drain, &s,
	    &p), CUST_FATAL);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(cust_ctx_error(ctx), "out.tar.zst: zstd: "
	    "compression level 0 is not within 1 to 22");
	ck_assert_int_eq(cust_press_new(ctx, "out.tar.zst", 23, 2, drain,
	    &s, &p), CUST_FATAL);
	ck_assert_int_eq(cust_press_new(ctx, "out.tar.zst", 1, 5, drain, &s,
	    &p), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "out.tar.zst: zstd: 5 workers "
	    "is not within 0 to 4");
	ck_assert_int_eq(cust_press_new(ctx, "out.tar.zst", 1, -1, drain,
	    &s, &p), CUST_FATAL);
	ck_assert_int_eq(s.calls, 0);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("press");
	TCase *tc = tcase_create("press");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, every_byte_comes_back_in_order, 0,
	    CUST_PRESS_WORKERS_MAX + 1);
	tcase_add_test(tc, whole_pieces_make_no_short_frame);
	tcase_add_test(tc, an_empty_stream_is_one_frame);
	tcase_add_test(tc, the_zstd_tool_reads_the_stream);
	tcase_add_loop_test(tc, the_first_drain_error_stops_and_is_told, 0,
	    3);
	tcase_add_test(tc, nothing_is_written_after_the_end);
	tcase_add_test(tc, free_without_end_stops_the_threads);
	tcase_add_test(tc, refuses_a_level_or_workers_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

