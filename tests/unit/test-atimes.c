/*
 * test-atimes.c: the atime each inode had when the collector first met
 * it.  A directory or an inode with other links is kept at first sight and
 * its later stats get that first atime back; an inode with one link is
 * kept only when noted; the first time noted stays; inodes differ by
 * device and number; a NULL table keeps nothing.
 */
#include <sys/stat.h>

#include <string.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_atimes *at;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_atimes_new(ctx, &at), CUST_OK);
	ck_assert_ptr_nonnull(at);
}

static void
teardown(void)
{
	cust_atimes_free(at);
	cust_ctx_free(ctx);
}

static struct stat
inode(mode_t mode, nlink_t nlink, dev_t dev, ino_t ino, time_t atime)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_nlink = nlink;
	st.st_dev = dev;
	st.st_ino = ino;
	st.st_atim.tv_sec = atime;
	st.st_atim.tv_nsec = 7;
	return st;
}

START_TEST(a_directory_keeps_its_first_atime)
{
	struct stat st = inode(S_IFDIR | 0755, 2, 1, 10, 1000);

	ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
	ck_assert_int_eq(st.st_atim.tv_sec, 1000);
	st.st_atim.tv_sec = 2000;	/* listed since */
	st.st_atim.tv_nsec = 9;
	ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
	ck_assert_int_eq(st.st_atim.tv_sec, 1000);
	ck_assert_int_eq(st.st_atim.tv_nsec, 7);
}
END_TEST

START_TEST(a_second_name_gets_the_first_names_atime)
{
	struct stat one = inode(S_IFREG | 0644, 2, 1, 20, 1000);
	struct stat two = inode(S_IFREG | 0644, 2, 1, 20, 3000);

	ck_assert_int_eq(cust_atimes_first(at, &one), CUST_OK);
	ck_assert_int_eq(cust_atimes_first(at, &two), CUST_OK);
	ck_assert_int_eq(two.st_atim.tv_sec, 1000);
}
END_TEST

START_TEST(a_single_link_file_is_not_kept_unless_noted)
{
	struct stat st = inode(S_IFREG | 0644, 1, 1, 30, 1000);
	struct stat ln = inode(S_IFLNK | 0777, 1, 1, 31, 1000);

	ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
	st.st_atim.tv_sec = 2000;
	ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
	ck_assert_int_eq(st.st_atim.tv_sec, 2000);
	/* A link read while resolving a path is noted before. */
	ck_assert_int_eq(cust_atimes_note(at, &ln), CUST_OK);
	ln.st_atim.tv_sec = 2000;
	ck_assert_int_eq(cust_atimes_first(at, &ln), CUST_OK);
	ck_assert_int_eq(ln.st_atim.tv_sec, 1000);
}
END_TEST

START_TEST(the_first_note_stays)
{
	struct stat st = inode(S_IFDIR | 0755, 2, 1, 40, 1000);

	ck_assert_int_eq(cust_atimes_note(at, &st), CUST_OK);
	st.st_atim.tv_sec = 2000;
	ck_assert_int_eq(cust_atimes_note(at, &st), CUST_OK);
	ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
	ck_assert_int_eq(st.st_atim.tv_sec, 1000);
}
END_TEST

START_TEST(inodes_differ_by_device_and_number)
{
	struct stat a = inode(S_IFDIR | 0755, 2, 1, 50, 1000);
	struct stat b = inode(S_IFDIR | 0755, 2, 2, 50, 2000);
	struct stat c = inode(S_IFDIR | 0755, 2, 1, 51, 3000);

	ck_assert_int_eq(cust_atimes_first(at, &a), CUST_OK);
	ck_assert_int_eq(cust_atimes_first(at, &b), CUST_OK);
	ck_assert_int_eq(cust_atimes_first(at, &c), CUST_OK);
	ck_assert_int_eq(b.st_atim.tv_sec, 2000);
	ck_assert_int_eq(c.st_atim.tv_sec, 3000);
}
END_TEST

START_TEST(many_inodes_survive_growth)
{
	struct stat st;

	for (ino_t i = 1; i <= 5000; i++) {
		st = inode(S_IFDIR | 0755, 2, 3, i, (time_t)i);
		ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
	}
	for (ino_t i = 1; i <= 5000; i++) {
		st = inode(S_IFDIR | 0755, 2, 3, i, 99999);
		ck_assert_int_eq(cust_atimes_first(at, &st), CUST_OK);
		ck_assert_int_eq(st.st_atim.tv_sec, (time_t)i);
	}
}
END_TEST

START_TEST(a_null_table_keeps_nothing)
{
	struct stat st = inode(S_IFDIR | 0755, 2, 1, 60, 1000);

	ck_assert_int_eq(cust_atimes_note(NULL, &st), CUST_OK);
	ck_assert_int_eq(cust_atimes_first(NULL, &st), CUST_OK);
	ck_assert_int_eq(st.st_atim.tv_sec, 1000);
	cust_atimes_free(NULL);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("atimes");
	TCase *tc = tcase_create("first atimes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_directory_keeps_its_first_atime);
	tcase_add_test(tc, a_second_name_gets_the_first_names_atime);
	tcase_add_test(tc, a_single_link_file_is_not_kept_unless_noted);
	tcase_add_test(tc, the_first_note_stays);
	tcase_add_test(tc, inodes_differ_by_device_and_number);
	tcase_add_test(tc, many_inodes_survive_growth);
	tcase_add_test(tc, a_null_table_keeps_nothing);
	suite_add_tcase(s, tc);
	return s;
}
