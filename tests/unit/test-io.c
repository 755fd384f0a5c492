/*
 * test-io.c: the bounded reader of small files and the whole-buffer
 * writer.  A file is read whole, NUL-terminated, up to and including its
 * bound; one byte more is refused, also when fstat said 0 (a /proc file);
 * anything but a regular file is refused at once, a FIFO included, which
 * must never be waited on (an alarm fails the test that would hang).
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "base/base.h"
#include "harness.h"

#define GUARD	5	/* seconds before a hanging read is killed */

static struct cust_ctx *ctx;
static char *buf;
static size_t len;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	buf = NULL;
	len = 0;
}

static void
teardown(void)
{
	free(buf);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* A file NAME of N bytes of 'x' (harness put()); its path. */
static const char *
fill(const char *name, size_t n)
{
	char *b;

	ck_assert_ptr_nonnull(b = malloc(n + 1));
	memset(b, 'x', n);
	put(name, b, n);
	free(b);
	return path(name);
}

/* Reading P with bound MAX fails with "P: REASON" and leaves nothing. */
static void
refused(const char *p, size_t max, const char *reason)
{
	char want[256];

	snprintf(want, sizeof(want), "%s: %s", p, reason);
	buf = (char *)1;
	len = 1;
	ck_assert_int_eq(cust_read_file(ctx, p, max, &buf, &len), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
}

/* ---------------------------------------------------------- reading */

START_TEST(regular_file_is_read_whole)
{
	const char *p = path("a.txt");
	int fd;

	ck_assert_int_ge(fd = open(p, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(cust_write_all(fd, "one\ntwo\n", 8), 0);
	close(fd);
	ck_assert_int_eq(cust_read_file(ctx, p, 100, &buf, &len), CUST_OK);
	ck_assert_uint_eq(len, 8);
	ck_assert_str_eq(buf, "one\ntwo\n");
}
END_TEST

START_TEST(empty_file_is_an_empty_string)
{
	ck_assert_int_eq(cust_read_file(ctx, fill("e", 0), 100, &buf, &len),
	    CUST_OK);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(file_of_exactly_max_is_read)
{
	ck_assert_int_eq(cust_read_file(ctx, fill("m", 4096), 4096, &buf, &len),
	    CUST_OK);
	ck_assert_uint_eq(len, 4096);
	ck_assert_uint_eq(strlen(buf), 4096);
}
END_TEST

START_TEST(file_of_max_plus_one_is_refused)
{
	refused(fill("m1", 4097), 4096, "too large (limit 4096 bytes)");
}
END_TEST

START_TEST(file_that_says_size_0_is_read_to_its_end)
{
	char *q;

	/* /proc says 0 bytes: the buffer must grow as the reads go on. */
	ck_assert_int_eq(cust_read_file(ctx, "/proc/self/status", 1 << 20,
	    &buf, &len), CUST_OK);
	ck_assert_uint_gt(len, 64);
	ck_assert_uint_eq(strlen(buf), len);
	ck_assert_ptr_nonnull(q = strstr(buf, "\nPid:"));
	ck_assert_ptr_nonnull(strchr(q + 1, '\n'));
}
END_TEST

START_TEST(file_past_max_after_fstat_is_refused)
{
	/* fstat said 0; the bound is seen by reading one byte past it. */
	refused("/proc/self/status", 16, "too large (limit 16 bytes)");
}
END_TEST

START_TEST(fifo_is_refused_at_once)
{
	const char *p = path("fifo");

	ck_assert_int_eq(mkfifo(p, 0600), 0);
	alarm(GUARD);
	refused(p, 100, "not a regular file");
	alarm(0);
}
END_TEST

START_TEST(directory_is_refused)
{
	refused(scratch, 100, "not a regular file");
}
END_TEST

START_TEST(char_device_is_refused)
{
	alarm(GUARD);
	refused("/dev/null", 100, "not a regular file");
	alarm(0);
}
END_TEST

START_TEST(missing_file_says_why)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "%s", strerror(ENOENT));
	refused(path("none"), 100, reason);
	ck_assert_int_eq(cust_ctx_errno(ctx), ENOENT);
}
END_TEST

START_TEST(missing_optional_file_is_no_buffer)
{
	int fd;

	ck_assert_int_ge(fd = open(scratch, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(cust_read_file_at(ctx, fd, "none", NULL,
	    CUST_READ_OPTIONAL, 100, &buf, &len), CUST_OK);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
	/* Any other failure still fails. */
	ck_assert_int_eq(mkdir(path("d"), 0700), 0);
	ck_assert_int_eq(cust_read_file_at(ctx, fd, "d", NULL,
	    CUST_READ_OPTIONAL, 100, &buf, &len), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "d: not a regular file");
	close(fd);
}
END_TEST

START_TEST(under_dirfd_with_name_for_messages)
{
	int fd;

	fill("f", 10);
	ck_assert_int_ge(fd = open(scratch, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(cust_read_file_at(ctx, fd, "f", "/the/f", 0, 10,
	    &buf, &len), CUST_OK);
	ck_assert_uint_eq(len, 10);
	free(buf);
	ck_assert_int_eq(cust_read_file_at(ctx, fd, "f", "/the/f", 0, 9,
	    &buf, &len), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "/the/f: too large (limit 9 bytes)");
	close(fd);
}
END_TEST

START_TEST(symlink_is_followed_unless_asked_not_to)
{
	char want[256];
	int fd;

	fill("target", 3);
	ck_assert_int_eq(symlink("target", path("link")), 0);
	ck_assert_int_ge(fd = open(scratch, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(cust_read_file_at(ctx, fd, "link", NULL, 0, 10,
	    &buf, &len), CUST_OK);
	ck_assert_uint_eq(len, 3);
	free(buf);
	ck_assert_int_eq(cust_read_file_at(ctx, fd, "link", NULL,
	    CUST_READ_NOFOLLOW | CUST_READ_NOATIME, 10, &buf, &len),
	    CUST_FAILED);
	snprintf(want, sizeof(want), "link: %s", strerror(ELOOP));
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	close(fd);
}
END_TEST

START_TEST(unreadable_file_says_why)
{
	char reason[128];

	if (geteuid() == 0)
		return;		/* root reads it anyway */
	ck_assert_int_eq(chmod(fill("locked", 5), 0), 0);
	snprintf(reason, sizeof(reason), "%s", strerror(EACCES));
	refused(path("locked"), 100, reason);
}
END_TEST

/* ---------------------------------------------------------- writing */

START_TEST(write_all_writes_everything)
{
	static char big[3 * 1024 * 1024];
	struct stat st;
	int fd;

	memset(big, 'y', sizeof(big));
	ck_assert_int_ge(fd = open(path("w"), O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(cust_write_all(fd, big, sizeof(big)), 0);
	ck_assert_int_eq(cust_write_all(fd, big, 0), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)sizeof(big));
	close(fd);
}
END_TEST

static void
tick(int sig)
{
	(void)sig;
}

START_TEST(write_all_goes_on_after_signals_and_short_writes)
{
	static char big[4 * 1024 * 1024], got[64 * 1024];
	struct sigaction sa = { .sa_handler = tick };	/* no SA_RESTART */
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	size_t total = 0;
	ssize_t k;
	pid_t pid;
	int p[2], st;

	/* A blocking write into a full pipe that a signal interrupts
	 * returns what it wrote so far, or EINTR when it wrote nothing. */
	memset(big, 'z', sizeof(big));
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(p[0]);
		if (sigaction(SIGALRM, &sa, NULL) != 0 ||
		    setitimer(ITIMER_REAL, &it, NULL) != 0)
			_exit(2);
		st = cust_write_all(p[1], big, sizeof(big));
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		_exit(st == 0 ? 0 : 1);
	}
	close(p[1]);
	alarm(GUARD * 4);
	while ((k = read(p[0], got, sizeof(got))) > 0) {
		ck_assert_int_eq(memcmp(got, big, (size_t)k), 0);
		total += (size_t)k;
		usleep(200);
	}
	alarm(0);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_uint_eq(total, sizeof(big));
}
END_TEST

START_TEST(write_all_says_errno)
{
	int fd;

	ck_assert_int_ge(fd = open("/dev/full", O_WRONLY), 0);
	errno = 0;
	ck_assert_int_eq(cust_write_all(fd, "abc", 3), ENOSPC);
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);
	ck_assert_int_eq(cust_write_all(-1, "abc", 3), EBADF);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("io");
	TCase *rd = tcase_create("read"), *wr = tcase_create("write");

	tcase_add_checked_fixture(rd, setup, teardown);
	tcase_set_timeout(rd, 30);
	tcase_add_test(rd, regular_file_is_read_whole);
	tcase_add_test(rd, empty_file_is_an_empty_string);
	tcase_add_test(rd, file_of_exactly_max_is_read);
	tcase_add_test(rd, file_of_max_plus_one_is_refused);
	tcase_add_test(rd, file_that_says_size_0_is_read_to_its_end);
	tcase_add_test(rd, file_past_max_after_fstat_is_refused);
	tcase_add_test(rd, fifo_is_refused_at_once);
	tcase_add_test(rd, directory_is_refused);
	tcase_add_test(rd, char_device_is_refused);
	tcase_add_test(rd, missing_file_says_why);
	tcase_add_test(rd, missing_optional_file_is_no_buffer);
	tcase_add_test(rd, under_dirfd_with_name_for_messages);
	tcase_add_test(rd, symlink_is_followed_unless_asked_not_to);
	tcase_add_test(rd, unreadable_file_says_why);
	suite_add_tcase(s, rd);

	tcase_add_checked_fixture(wr, setup, teardown);
	tcase_set_timeout(wr, 30);
	tcase_add_test(wr, write_all_writes_everything);
	tcase_add_test(wr, write_all_goes_on_after_signals_and_short_writes);
	tcase_add_test(wr, write_all_says_errno);
	suite_add_tcase(s, wr);
	return s;
}
