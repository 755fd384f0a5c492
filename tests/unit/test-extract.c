/*
 * test-extract.c: cust_extract writes a bundle's members under the target
 * directory and nowhere else.  Archives are written here with libarchive
 * to a memory file: a plain bag comes out byte for byte; a symlink, a
 * "..", a member named twice or a bag directory already there is refused
 * with the member named, and leaves nothing outside the target.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>	/* AE_IFREG, AE_IFLNK */
#include <check.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static int dfd, tfd;
static struct cust_extract_stats st;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	ck_assert_int_ge(dfd = open(scratch, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_ge(tfd = memfd_create("bundle", 0), 0);
}

static void
teardown(void)
{
	close(tfd);
	close(dfd);
	scratch_remove();
	cust_ctx_free(ctx);
}

static void
emit(const void *p, size_t n)
{
	ck_assert_int_eq(write(tfd, p, n), (ssize_t)n);
}

/* Add a member NAME of type TYPE (AE_IFREG: with TEXT; AE_IFLNK: to TEXT),
 * in the canonical form of custody-bundle(5); a link has its header's type
 * and link name changed, so that only those break the rules. */
static void
add(const char *name, unsigned type, const char *text)
{
	static const unsigned char zero[512];
	size_t n = type == AE_IFREG ? strlen(text) : 0;
	size_t h = cust_tar_header_len(name, strlen(name), n);
	unsigned char *b = calloc(1, h), *u;
	unsigned sum = 0;

	ck_assert_ptr_nonnull(b);
	cust_tar_header(b, name, strlen(name), n, 1700000000);
	if (type == AE_IFLNK) {
		u = b + h - 512;
		u[156] = '2';
		strncpy((char *)u + 157, text, 100);
		memset(u + 148, ' ', 8);
		for (size_t i = 0; i < 512; i++)
			sum += u[i];
		snprintf((char *)u + 148, 8, "%06o", sum);
		u[155] = ' ';
	}
	emit(b, h);
	free(b);
	if (n > 0) {
		emit(text, n);
		emit(zero, (512 - n % 512) % 512);
	}
}

/* End the archive and extract it into the target directory. */
static int
extract(void)
{
	static const unsigned char end[1024];

	emit(end, sizeof(end));
	ck_assert_int_eq(lseek(tfd, 0, SEEK_SET), 0);
	return cust_extract(ctx, tfd, "b.tar", dfd, 0, NULL, &st);
}

static const char *
contents(const char *rel)
{
	static char buf[256];
	char p[256];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static mode_t
mode(const char *rel)
{
	char p[256];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	ck_assert_int_eq(lstat(p, &sb), 0);
	return sb.st_mode;
}

/* Bytes that are not the ones verified leave nothing behind; the bytes
 * verified come out. */
START_TEST(bytes_other_than_verified_are_not_kept)
{
	static const char zeros[] = "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	const char *msg, *at;
	char got[65];

	add("B/bagit.txt", AE_IFREG, "BagIt-Version: 1.0\n");
	add("B/data/x/y/z.txt", AE_IFREG, "zed\n");
	{
		static const unsigned char end[1024];

		emit(end, sizeof(end));
	}
	ck_assert_int_eq(lseek(tfd, 0, SEEK_SET), 0);
	ck_assert_int_eq(cust_extract(ctx, tfd, "b.tar", dfd, 0, zeros, &st),
	    CUST_FAILED);
	msg = cust_ctx_error(ctx);
	ck_assert_ptr_nonnull(at = strstr(msg, "b.tar: changed since it was "
	    "verified (sha256 "));
	ck_assert_ptr_nonnull(strstr(msg, "): nothing extracted was kept"));
	snprintf(got, sizeof(got), "%s", at + strlen("b.tar: changed since "
	    "it was verified (sha256 "));
	ck_assert_ptr_null(contents("B/bagit.txt"));
	ck_assert_int_eq(faccessat(dfd, "B", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_str_eq(st.bag, "");
	ck_assert_int_eq(lseek(tfd, 0, SEEK_SET), 0);
	ck_assert_msg(cust_extract(ctx, tfd, "b.tar", dfd, 0, got, &st) ==
	    CUST_OK, "%s", cust_ctx_error(ctx));
	ck_assert_str_eq(contents("B/data/x/y/z.txt"), "zed\n");
}
END_TEST

START_TEST(a_bag_comes_out_byte_for_byte)
{
	add("B/bagit.txt", AE_IFREG, "BagIt-Version: 1.0\n");
	add("B/data/x/y/z.txt", AE_IFREG, "zed\n");
	add("B/data/x/empty", AE_IFREG, "");
	ck_assert_msg(extract() == CUST_OK, "%s", cust_ctx_error(ctx));
	ck_assert_str_eq(contents("B/bagit.txt"), "BagIt-Version: 1.0\n");
	ck_assert_str_eq(contents("B/data/x/y/z.txt"), "zed\n");
	ck_assert_str_eq(contents("B/data/x/empty"), "");
	ck_assert_uint_eq(st.files, 3);
	ck_assert_uint_eq(st.dirs, 4);
	ck_assert_uint_eq(st.bytes, 23);
	ck_assert_str_eq(st.bag, "B");
	ck_assert_uint_eq(mode("B/data/x/y/z.txt"), S_IFREG | 0600);
	ck_assert_uint_eq(mode("B/data/x"), S_IFDIR | 0700);
}
END_TEST

START_TEST(a_symlink_member_is_refused_and_not_made)
{
	add("B/bagit.txt", AE_IFREG, "x");
	add("B/data", AE_IFLNK, "/etc");
	add("B/data/passwd", AE_IFREG, "owned");
	ck_assert_int_eq(extract(), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 1180: header type '2' "
	    "is not allowed (only '0', and 'x' before it) "
	    "(custody-bundle(5))");
	ck_assert_ptr_null(contents("B/data"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(st.files, 1);
}
END_TEST

START_TEST(dot_dot_is_refused)
{
	add("B/bagit.txt", AE_IFREG, "x");
	add("B/../escaped", AE_IFREG, "x");
	ck_assert_int_eq(extract(), CUST_FAILED);
	ck_assert_ptr_nonnull(strstr(cust_ctx_error(ctx), "B/../escaped"));
	ck_assert_ptr_null(contents("escaped"));
}
END_TEST

START_TEST(a_member_named_twice_does_not_overwrite)
{
	add("B/bagit.txt", AE_IFREG, "first");
	add("B/bagit.txt", AE_IFREG, "second");
	ck_assert_int_eq(extract(), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "b.tar: B/bagit.txt: member "
	    "named twice (or a file is already there): File exists");
	ck_assert_str_eq(contents("B/bagit.txt"), "first");
}
END_TEST

START_TEST(a_planted_symlink_is_not_followed)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/B", scratch);
	ck_assert_int_eq(symlink("/tmp", p), 0);
	add("B/bagit.txt", AE_IFREG, "x");
	ck_assert_int_eq(extract(), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "B: the bag directory cannot "
	    "be created (it must not exist yet): File exists");
	ck_assert_uint_eq(st.files, 0);
}
END_TEST

START_TEST(a_file_where_a_directory_goes_is_the_bundles_fault)
{
	add("B/bagit.txt", AE_IFREG, "x");
	add("B/bagit.txt/y", AE_IFREG, "y");
	ck_assert_int_eq(extract(), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "b.tar: B/bagit.txt/y: open "
	    "directory: Not a directory");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("extract");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_bag_comes_out_byte_for_byte);
	tcase_add_test(tc, bytes_other_than_verified_are_not_kept);
	tcase_add_test(tc, a_symlink_member_is_refused_and_not_made);
	tcase_add_test(tc, dot_dot_is_refused);
	tcase_add_test(tc, a_member_named_twice_does_not_overwrite);
	tcase_add_test(tc, a_planted_symlink_is_not_followed);
	tcase_add_test(tc, a_file_where_a_directory_goes_is_the_bundles_fault);
	suite_add_tcase(s, tc);
	return s;
}
