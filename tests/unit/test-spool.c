/*
 * test-spool.c: unnamed scratch files.  What goes in comes back out, byte
 * for byte, across the 64 KiB write buffer and for several MiB; a spool in
 * a directory is an O_TMPFILE that never shows a name there, and one without
 * a directory (or with one that cannot hold it) lives in memory.  The
 * SHA-512 it takes while written is that of the bytes that come back.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "base/base.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_spool *sp;
static int dirfd_;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	sp = NULL;
	scratch_make();
	dirfd_ = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dirfd_, 0);
}

static void
teardown(void)
{
	cust_spool_free(sp);
	close(dirfd_);
	scratch_remove();
	cust_ctx_free(ctx);
}

static void
newspool(int fd)
{
	ck_assert_int_eq(cust_spool_new(ctx, fd, "test spool", &sp), CUST_OK);
	ck_assert_ptr_nonnull(sp);
}

static void
feed(const void *p, size_t n)
{
	ck_assert_int_eq(cust_spool_write(sp, p, n), CUST_OK);
}

/* Read the rest of the spool in reads of at most CHUNK; owned result. */
static unsigned char *
read_all(size_t chunk, size_t *np)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	ssize_t k;

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (cap - n < chunk) {
			cap = 2 * cap + chunk;
			ck_assert_ptr_nonnull(buf = realloc(buf, cap));
		}
		k = cust_spool_read(sp, buf + n, chunk);
		ck_assert_int_ge(k, 0);
		ck_assert_uint_le((size_t)k, chunk);
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*np = n;
	return buf;
}

static void
fill(unsigned char *p, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

/* Names in DIR besides "." and "..". */
static int
names_in_dir(void)
{
	DIR *d = opendir(scratch);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* How many open descriptors of ours point at names starting with PREFIX. */
static int
fds_to(const char *prefix)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[PATH_MAX + 64], target[PATH_MAX];
	ssize_t k;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		if ((k = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[k] = '\0';
		n += strncmp(target, prefix, strlen(prefix)) == 0;
	}
	closedir(d);
	return n;
}

/* Write DATA in chunks of the sizes in CUTS (cycled), then read it back. */
static void
round_trip(int fd, size_t n, size_t readchunk)
{
	static const size_t cuts[] = { 1, 7, 65535, 65536, 65537, 100000, 3,
	    131072, 4096 };
	unsigned char *data = malloc(n + 1), *back;
	size_t off = 0, k, got;

	ck_assert_ptr_nonnull(data);
	fill(data, n, 0x1234567 + n);
	newspool(fd);
	for (size_t i = 0; off < n; i++) {
		k = cuts[i % NELEM(cuts)];
		if (k > n - off)
			k = n - off;
		feed(data + off, k);
		off += k;
		ck_assert_uint_eq(cust_spool_size(sp), off);
	}
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	back = read_all(readchunk, &got);
	ck_assert_uint_eq(got, n);
	ck_assert_int_eq(memcmp(back, data, n), 0);
	ck_assert_uint_eq(cust_spool_size(sp), n);
	free(back);
	free(data);
}

/* ------------------------------------------------------------ memory */

START_TEST(memory_spool_round_trips_small_text)
{
	unsigned char *back;
	size_t n;

	newspool(-1);
	ck_assert_int_eq(cust_spool_puts(sp, "hello "), CUST_OK);
	feed("world\n", 6);
	ck_assert_int_eq(cust_spool_puts(sp, ""), CUST_OK);
	ck_assert_uint_eq(cust_spool_size(sp), 12);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	back = read_all(5, &n);
	ck_assert_uint_eq(n, 12);
	ck_assert_mem_eq(back, "hello world\n", 12);
	free(back);
}
END_TEST

START_TEST(memory_spool_round_trips_5_mib)
{
	round_trip(-1, 5 * 1024 * 1024 + 3, 100000);
}
END_TEST

START_TEST(memory_spool_lives_in_memory_not_in_dir)
{
	int before = fds_to("/memfd:");

	newspool(-1);
	ck_assert_int_eq(fds_to("/memfd:"), before + 1);
	ck_assert_int_eq(names_in_dir(), 0);
}
END_TEST

/* --------------------------------------------------------- directory */

START_TEST(dir_spool_round_trips_5_mib)
{
	round_trip(dirfd_, 5 * 1024 * 1024 + 3, 4096);
}
END_TEST

START_TEST(dir_spool_round_trips_across_buffer_edges)
{
	/* One byte either side of the 64 KiB buffer and of twice that. */
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131071,
	    131072, 131073 };

	for (size_t i = 0; i < NELEM(sizes); i++) {
		round_trip(dirfd_, sizes[i], 65536);
		cust_spool_free(sp);
		sp = NULL;
	}
}
END_TEST

START_TEST(dir_spool_is_unnamed_file_in_dir)
{
	char prefix[128];
	unsigned char buf[4096];

	snprintf(prefix, sizeof(prefix), "%s/", scratch);
	ck_assert_int_eq(fds_to(prefix), 0);
	newspool(dirfd_);
	/* O_TMPFILE: an open file in the directory ... */
	ck_assert_int_eq(fds_to(prefix), 1);
	fill(buf, sizeof(buf), 3);
	for (int i = 0; i < 300; i++)
		feed(buf, sizeof(buf));
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	/* ... that never has a name there. */
	ck_assert_int_eq(names_in_dir(), 0);
	cust_spool_free(sp);
	sp = NULL;
	ck_assert_int_eq(fds_to(prefix), 0);
	ck_assert_int_eq(names_in_dir(), 0);
}
END_TEST

START_TEST(dir_that_is_a_file_falls_back_to_memory)
{
	char path[128];
	unsigned char *back;
	size_t n;
	int fd, before = fds_to("/memfd:");

	snprintf(path, sizeof(path), "%s/plain", scratch);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	newspool(fd);
	ck_assert_int_eq(fds_to("/memfd:"), before + 1);
	ck_assert_int_eq(cust_spool_puts(sp, "still works"), CUST_OK);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	back = read_all(64, &n);
	ck_assert_uint_eq(n, 11);
	ck_assert_mem_eq(back, "still works", 11);
	free(back);
	close(fd);
	ck_assert_int_eq(names_in_dir(), 1);	/* just "plain" */
}
END_TEST

/* ------------------------------------------------------------ reading */

START_TEST(empty_spool_reads_nothing)
{
	unsigned char buf[16];

	newspool(dirfd_);
	ck_assert_uint_eq(cust_spool_size(sp), 0);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	ck_assert_int_eq(cust_spool_read(sp, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(rewind_twice_reads_from_start_again)
{
	unsigned char data[200000], part[1000], *back;
	size_t n;

	fill(data, sizeof(data), 11);
	newspool(dirfd_);
	feed(data, sizeof(data));
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	ck_assert_int_eq(cust_spool_read(sp, part, sizeof(part)),
	    sizeof(part));
	ck_assert_int_eq(memcmp(part, data, sizeof(part)), 0);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	back = read_all(70000, &n);
	ck_assert_uint_eq(n, sizeof(data));
	ck_assert_int_eq(memcmp(back, data, n), 0);
	ck_assert_uint_eq(cust_spool_size(sp), sizeof(data));
	free(back);
}
END_TEST

START_TEST(size_counts_bytes_still_buffered)
{
	newspool(-1);
	feed("0123456789", 10);
	ck_assert_uint_eq(cust_spool_size(sp), 10);
	feed("", 0);
	ck_assert_uint_eq(cust_spool_size(sp), 10);
}
END_TEST

START_TEST(read_after_end_keeps_returning_zero)
{
	unsigned char buf[8];

	newspool(-1);
	feed("abc", 3);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	ck_assert_int_eq(cust_spool_read(sp, buf, sizeof(buf)), 3);
	ck_assert_int_eq(cust_spool_read(sp, buf, sizeof(buf)), 0);
	ck_assert_int_eq(cust_spool_read(sp, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(spools_are_independent)
{
	struct cust_spool *other;
	unsigned char *back;
	ssize_t k;
	size_t n;
	char buf[16];

	newspool(dirfd_);
	ck_assert_int_eq(cust_spool_new(ctx, dirfd_, "other", &other),
	    CUST_OK);
	ck_assert_int_eq(cust_spool_puts(sp, "first"), CUST_OK);
	ck_assert_int_eq(cust_spool_puts(other, "second"), CUST_OK);
	ck_assert_int_eq(cust_spool_rewind(other), CUST_OK);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	back = read_all(3, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(back, "first", 5);
	k = cust_spool_read(other, buf, sizeof(buf));
	ck_assert_int_eq(k, 6);
	ck_assert_mem_eq(buf, "second", 6);
	free(back);
	cust_spool_free(other);
}
END_TEST

/* The digest taken while writing is the SHA-512 of the bytes read back,
 * for writes that straddle the buffer, and is there only once rewound. */
START_TEST(sha512_taken_while_writing_matches_bytes_read_back)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 << 20 };
	unsigned char *p, *back, md[64];
	size_t n, off;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		newspool(i % 2 ? dirfd_ : -1);
		ck_assert_ptr_nonnull(p = malloc(sizes[i] + 1));
		fill(p, sizes[i], 0x5eed + i);
		for (off = 0; off < sizes[i]; off += n) {
			n = 1 + (off * 7919 % 100003);
			if (n > sizes[i] - off)
				n = sizes[i] - off;
			feed(p + off, n);
		}
		ck_assert_ptr_null(cust_spool_sha512(sp));
		ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
		back = read_all(1 << 16, &n);
		ck_assert_uint_eq(n, sizes[i]);
		ck_assert_int_eq(EVP_Digest(back, n, md, NULL, EVP_sha512(),
		    NULL), 1);
		ck_assert_ptr_nonnull(cust_spool_sha512(sp));
		ck_assert_mem_eq(cust_spool_sha512(sp), md, 64);
		/* A second rewind does not hash again. */
		ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
		ck_assert_mem_eq(cust_spool_sha512(sp), md, 64);
		free(back);
		free(p);
		cust_spool_free(sp);
		sp = NULL;
	}
}
END_TEST

START_TEST(spool_free_null_is_noop)
{
	cust_spool_free(NULL);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *memc = tcase_create("memory");
	TCase *dirc = tcase_create("directory");
	TCase *rd = tcase_create("reading");

	tcase_add_checked_fixture(memc, setup, teardown);
	tcase_set_timeout(memc, 60);
	tcase_add_test(memc, memory_spool_round_trips_small_text);
	tcase_add_test(memc, memory_spool_round_trips_5_mib);
	tcase_add_test(memc, memory_spool_lives_in_memory_not_in_dir);
	suite_add_tcase(s, memc);

	tcase_add_checked_fixture(dirc, setup, teardown);
	tcase_set_timeout(dirc, 60);
	tcase_add_test(dirc, dir_spool_round_trips_5_mib);
	tcase_add_test(dirc, dir_spool_round_trips_across_buffer_edges);
	tcase_add_test(dirc, dir_spool_is_unnamed_file_in_dir);
	tcase_add_test(dirc, dir_that_is_a_file_falls_back_to_memory);
	suite_add_tcase(s, dirc);

	tcase_add_checked_fixture(rd, setup, teardown);
	tcase_add_test(rd, empty_spool_reads_nothing);
	tcase_add_test(rd, rewind_twice_reads_from_start_again);
	tcase_add_test(rd, size_counts_bytes_still_buffered);
	tcase_add_test(rd, read_after_end_keeps_returning_zero);
	tcase_add_test(rd, spools_are_independent);
	tcase_add_test(rd, sha512_taken_while_writing_matches_bytes_read_back);
	tcase_add_test(rd, spool_free_null_is_noop);
	suite_add_tcase(s, rd);
	return s;
}

