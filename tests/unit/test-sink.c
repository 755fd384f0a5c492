/*
 * test-sink.c: the bundle's archive stream.  What the sink writes is read
 * back by libarchive's reader and by GNU tar, and its SHA-256 is checked
 * against OpenSSL's digest of the file on disk.  Write errors (a read-only
 * descriptor, /dev/full) must be reported as CUST_FATAL with a message.
 * A bundle written to a regular file has its writeback started as it grows,
 * on the flusher's thread, never the writer's (counted here by standing in
 * for sync_file_range); other outputs do not.  With recipients the
 * output's errors come from the envelope's thread, some buffers behind
 * the writer, and must be reported all the same.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <openssl/evp.h>

#include "collect/pipeline/pipeline.h"
#include "testpki.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_recipients *rcpt;	/* NULL: the output is in clear */
static int writebacks;		/* calls to sync_file_range */
static int writebacks_here;	/* those made on the test's own thread */
static pid_t test_tid;

/* The library's calls land here (it is linked statically), then go on to
 * the kernel. */
int
sync_file_range(int fd, off_t off, off_t n, unsigned int flags)
{
	writebacks++;
	if (gettid() == test_tid)
		writebacks_here++;
	return (int)syscall(SYS_sync_file_range, fd, off, n, flags);
}

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
}

static void
teardown(void)
{
	cust_recipients_free(rcpt);
	rcpt = NULL;
	scratch_remove();
	cust_ctx_free(ctx);
}

static void
sha256_of(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	ck_assert_int_eq(EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL), 1);
	cust_hex(md, sizeof(md), out);
}

static unsigned char *
pattern(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 2654435761u) >> 11);
	return p;
}

static int
outfile(const char *name, int flags)
{
	int fd = open(path(name), flags | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/* ----------------------------------------------------- reading back */

/* ----------------------------------------------------------- writing */

static const struct timespec t1 = { 1700000000, 123456789 };

#define BIG	(200 * 1000 + 3)

/* Write the test members to a sink on DIR/NAME; its digest and size. */
static void
write_members(const char *name, int level, int threads, char sha[65],
    uint64_t *bytes)
{
	unsigned char *big = pattern(BIG);
	struct cust_sink *s;
	int fd = outfile(name, O_RDWR);
	size_t off = 0, k = 1;

	ck_assert_int_eq(cust_sink_new(ctx, fd, name, level, threads, NULL, &s),
	    CUST_OK);
	/* Every member has the one mtime of the bundle (custody-bundle(5)). */
	cust_sink_set_mtime(s, t1.tv_sec);
	ck_assert_int_eq(cust_sink_write_member(s, "t/a.txt", "alpha\n", 6),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, "t/é/ü.txt", "umlaut", 6),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, "t/empty", "", 0),
	    CUST_OK);
	/* A member written in uneven pieces. */
	ck_assert_int_eq(cust_sink_header(s, "t/data/big", BIG), CUST_OK);
	while (off < BIG) {
		if (k > BIG - off)
			k = BIG - off;
		ck_assert_int_eq(cust_sink_data(s, big + off, k), CUST_OK);
		off += k;
		k = k * 3 + 1;
	}
	ck_assert_int_eq(cust_sink_finish(s), CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, bytes), CUST_OK);
	cust_sink_free(s);
	close(fd);
	free(big);
}

static void
check_members(void)
{
	unsigned char *big = pattern(BIG);

	ck_assert_uint_eq(nmem, 4);
	ck_assert_str_eq(mem[0].name, "t/a.txt");
	ck_assert_str_eq(mem[1].name, "t/é/ü.txt");
	ck_assert_str_eq(mem[2].name, "t/empty");
	ck_assert_str_eq(mem[3].name, "t/data/big");
	ck_assert_uint_eq(mem[0].size, 6);
	ck_assert_mem_eq(mem[0].data, "alpha\n", 6);
	ck_assert_uint_eq(mem[1].size, 6);
	ck_assert_mem_eq(mem[1].data, "umlaut", 6);
	ck_assert_uint_eq(mem[2].size, 0);
	ck_assert_uint_eq(mem[3].size, BIG);
	ck_assert(memcmp(mem[3].data, big, BIG) == 0);
	for (size_t i = 0; i < nmem; i++) {
		ck_assert_uint_eq(mem[i].type, AE_IFREG);
		ck_assert_uint_eq(mem[i].perm, 0644);
	}
	for (size_t i = 0; i < nmem; i++) {
		ck_assert_int_eq(mem[i].mtime, t1.tv_sec);
		ck_assert_int_eq(mem[i].mtime_ns, 0);
	}
	free(big);
}

/* ------------------------------------------------------------ tests */

START_TEST(sink_plain_tar_reads_back)
{
	char sha[65];
	uint64_t bytes;

	write_members("out.tar", 0, 0, sha, &bytes);
	readback("out.tar");
	check_members();
	forget();
}
END_TEST

START_TEST(sink_zstd_tar_reads_back)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	unsigned char *p;
	char sha[65];
	uint64_t bytes;
	size_t n;

	write_members("out.tar.zst", 3, 0, sha, &bytes);
	p = slurp("out.tar.zst", &n);
	ck_assert_uint_ge(n, 4);
	ck_assert_mem_eq(p, magic, 4);
	/* Compressed: smaller than the 200 kB member alone. */
	ck_assert_uint_lt(n, BIG);
	free(p);
	ck_assert_int_eq(sh("zstd -q -t out.tar.zst"), 0);
	readback("out.tar.zst");
	check_members();
	forget();
}
END_TEST

START_TEST(sink_zstd_with_threads_reads_back)
{
	char sha[65];
	uint64_t bytes;

	write_members("out.tar.zst", 3, 2, sha, &bytes);
	readback("out.tar.zst");
	check_members();
	forget();
}
END_TEST

START_TEST(sink_digest_and_size_match_file)
{
	static const char *const names[] = { "out.tar", "out.tar.zst" };
	unsigned char *p;
	char sha[65], want[65];
	uint64_t bytes;
	size_t n;

	for (size_t i = 0; i < NELEM(names); i++) {
		write_members(names[i], i == 0 ? 0 : 3, 0, sha, &bytes);
		p = slurp(names[i], &n);
		sha256_of(p, n, want);
		ck_assert_str_eq(sha, want);
		ck_assert_uint_eq(bytes, n);
		free(p);
	}
}
END_TEST

START_TEST(sink_empty_archive_is_valid)
{
	struct cust_sink *s;
	unsigned char *p;
	char sha[65], want[65];
	uint64_t bytes;
	size_t n;
	int fd = outfile("empty.tar", O_RDWR);

	ck_assert_int_eq(cust_sink_new(ctx, fd, "empty.tar", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &bytes), CUST_OK);
	cust_sink_free(s);
	close(fd);
	p = slurp("empty.tar", &n);
	ck_assert_uint_eq(n, bytes);
	sha256_of(p, n, want);
	ck_assert_str_eq(sha, want);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(p[i], 0);
	free(p);
	readback("empty.tar");
	ck_assert_uint_eq(nmem, 0);
	ck_assert_int_eq(sh("tar -tf empty.tar >list && test ! -s list"), 0);
}
END_TEST

START_TEST(sink_stream_ends_with_the_archive)
{
	unsigned char *p;
	char sha[65];
	uint64_t bytes;
	size_t n;

	write_members("out.tar", 0, 0, sha, &bytes);
	p = slurp("out.tar", &n);
	/* Whole blocks, the end-of-archive marker last, and no padding to
	 * a 10240-byte record. */
	ck_assert_uint_eq(n % 512, 0);
	ck_assert_uint_ge(n, 1024);
	for (size_t i = n - 1024; i < n; i++)
		ck_assert_uint_eq(p[i], 0);
	ck_assert_uint_ne(p[n - 1024 - 512], 0);	/* last data block */
	free(p);
}
END_TEST

START_TEST(sink_output_is_read_by_gnu_tar)
{
	char sha[65];
	uint64_t bytes;
	size_t n;
	char *list;

	write_members("out.tar", 0, 0, sha, &bytes);
	ck_assert_int_eq(sh("LC_ALL=C.UTF-8 tar --quoting-style=literal "
	    "-tf out.tar >list"), 0);
	list = (char *)slurp("list", &n);
	ck_assert_str_eq(list, "t/a.txt\nt/é/ü.txt\nt/empty\nt/data/big\n");
	free(list);
	ck_assert_int_eq(sh("tar -xOf out.tar t/a.txt >a"), 0);
	list = (char *)slurp("a", &n);
	ck_assert_str_eq(list, "alpha\n");
	free(list);
	ck_assert_int_eq(sh("tar -tvf out.tar >list"), 0);
	list = (char *)slurp("list", &n);
	ck_assert_msg(strstr(list, "-rw-r--r--") == list, "%s", list);
	ck_assert_msg(strstr(list, " 200003 2023-11-14 ") != NULL, "%s", list);
	free(list);
	ck_assert_int_eq(sh("zstd -q --no-progress out.tar -o out.tar.zst && "
	    "tar --zstd -tf out.tar.zst >/dev/null"), 0);
}
END_TEST

START_TEST(sink_long_name_round_trips)
{
	char name[400], sha[65];
	struct cust_sink *s;
	uint64_t bytes;
	int fd = outfile("out.tar", O_RDWR);

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "t/", 2);
	name[150] = '/';
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, name, "x", 1),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &bytes), CUST_OK);
	cust_sink_free(s);
	close(fd);
	readback("out.tar");
	ck_assert_uint_eq(nmem, 1);
	ck_assert_str_eq(mem[0].name, name);
	forget();
}
END_TEST

/* -------------------------------------------------------- failures */

/*
 * Write members to a sink on FD (zstd LEVEL with THREADS workers) until a
 * call fails; that call must be CUST_FATAL with message WANT and errno
 * ERR.  MEMBERS bytes of payload are offered in all.
 */
static void
fails_writing_with(int fd, const char *name, int level, int threads,
    size_t members, const char *want, int err)
{
	unsigned char *buf = pattern(members);
	struct cust_sink *s;
	char sha[65];
	uint64_t bytes;
	int r;

	ck_assert_int_eq(cust_sink_new(ctx, fd, name, level, threads, rcpt,
	    &s), CUST_OK);
	r = cust_sink_write_member(s, "t/big", buf, members);
	if (r == CUST_OK)
		r = cust_sink_close(s, sha, &bytes);
	ck_assert_int_eq(r, CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	ck_assert_int_eq(cust_ctx_errno(ctx), err);
	cust_sink_free(s);
	free(buf);
}

static void
fails_writing(int fd, const char *name, int level, size_t members,
    const char *want, int err)
{
	fails_writing_with(fd, name, level, 0, members, want, err);
}

START_TEST(sink_reports_read_only_descriptor)
{
	int fd;

	close(outfile("ro.tar", O_RDWR));
	fd = open(path("ro.tar"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* Large: the failure comes while the member is written. */
	fails_writing(fd, "ro.tar", 0, 1024 * 1024,
	    "ro.tar: Bad file descriptor", EBADF);
	close(fd);
}
END_TEST

START_TEST(sink_reports_read_only_descriptor_at_close)
{
	int fd;

	close(outfile("ro.tar", O_RDWR));
	fd = open(path("ro.tar"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* Small: buffered until the archive is closed. */
	fails_writing(fd, "ro.tar", 0, 10, "ro.tar: Bad file descriptor",
	    EBADF);
	close(fd);
}
END_TEST

START_TEST(sink_reports_full_device)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	fails_writing(fd, "/dev/full", 0, 1024 * 1024,
	    "/dev/full: No space left on device", ENOSPC);
	close(fd);
}
END_TEST

START_TEST(sink_reports_full_device_through_zstd)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	fails_writing(fd, "/dev/full", 3, 100, "/dev/full: No space left on "
	    "device", ENOSPC);
	close(fd);
}
END_TEST

/* Many zstd frames: the failure comes from the press's output thread
 * while the member is still being written, not at the end. */
START_TEST(sink_reports_full_device_through_zstd_workers)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	fails_writing_with(fd, "/dev/full", 1, 2, 16 * 1024 * 1024,
	    "/dev/full: No space left on device", ENOSPC);
	close(fd);
}
END_TEST

START_TEST(sink_reports_closed_pipe_through_zstd_workers)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	fails_writing_with(p[1], "stdout", 1, 2, 16 * 1024 * 1024,
	    "stdout: Broken pipe", EPIPE);
	close(p[1]);
}
END_TEST

START_TEST(sink_reports_closed_pipe)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	/* SIGPIPE is the caller's business; the write must then fail. */
	signal(SIGPIPE, SIG_IGN);
	fails_writing(p[1], "stdout", 0, 1024 * 1024,
	    "stdout: Broken pipe", EPIPE);
	close(p[1]);
}
END_TEST

/* A sink freed before its close is given up: what libarchive still holds
 * (a small member, the end of the archive) is not written. */
static void
freed_open_writes_nothing_more(const char *name, int level, int threads)
{
	struct cust_sink *s;
	struct stat st;
	int fd = outfile(name, O_RDWR);

	ck_assert_int_eq(cust_sink_new(ctx, fd, name, level, threads, rcpt,
	    &s), CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, "t/small", "abc", 3),
	    CUST_OK);
	cust_sink_free(s);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
}

START_TEST(sink_freed_open_writes_nothing_more)
{
	freed_open_writes_nothing_more("out.tar", 0, 0);
	freed_open_writes_nothing_more("out.tar.zst", 1, 2);
}
END_TEST

/* An EC P-256 recipient for the sinks made from now on. */
static void
encrypted(void)
{
	EVP_PKEY *k = tk_ec("P-256");
	X509 *c = tk_cert("Investigator", NULL, k, NULL, NULL, -60, 86400, 1,
	    NULL);
	char *p = tk_pem(scratch, "rcpt.pem", &c, 1, NULL);

	ck_assert_int_eq(cust_recipients_load(ctx, (const char *const *)&p, 1,
	    &rcpt), CUST_OK);
	free(p);
	X509_free(c);
	EVP_PKEY_free(k);
}

START_TEST(sink_reports_full_device_through_envelope)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	encrypted();
	/* While the member is written, at the end, and through zstd. */
	fails_writing(fd, "/dev/full", 0, 4 * 1024 * 1024,
	    "/dev/full: No space left on device", ENOSPC);
	fails_writing(fd, "/dev/full", 0, 10,
	    "/dev/full: No space left on device", ENOSPC);
	fails_writing_with(fd, "/dev/full", 1, 2, 16 * 1024 * 1024,
	    "/dev/full: No space left on device", ENOSPC);
	close(fd);
}
END_TEST

START_TEST(sink_reports_closed_pipe_through_envelope)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	encrypted();
	fails_writing(p[1], "stdout", 0, 4 * 1024 * 1024,
	    "stdout: Broken pipe", EPIPE);
	close(p[1]);
}
END_TEST

/* What the envelope still holds is written by a drain, and its failure
 * is the sink's pending error; nothing failed before it. */
START_TEST(sink_drain_reports_the_envelope_error)
{
	unsigned char *buf = pattern(100 * 1024);
	struct cust_sink *s;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	encrypted();
	ck_assert_int_eq(cust_sink_new(ctx, fd, "/dev/full", 0, 0, rcpt, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, "t/f", buf, 100 * 1024),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_pending(s), CUST_OK);
	ck_assert_int_eq(cust_sink_drain(s), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "/dev/full: No space left on "
	    "device");
	ck_assert_int_eq(cust_ctx_errno(ctx), ENOSPC);
	cust_ctx_clear(ctx);
	ck_assert_int_eq(cust_sink_pending(s), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "/dev/full: No space left on "
	    "device");
	cust_sink_free(s);
	close(fd);
	free(buf);
}
END_TEST

START_TEST(sink_freed_open_through_envelope_writes_nothing)
{
	encrypted();
	freed_open_writes_nothing_more("out.tar.p7m", 0, 0);
	freed_open_writes_nothing_more("out.tar.zst.p7m", 1, 2);
}
END_TEST

START_TEST(sink_refuses_second_close)
{
	struct cust_sink *s;
	char sha[65];
	uint64_t bytes;
	int fd = outfile("out.tar", O_RDWR);

	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &bytes), CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &bytes), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "out.tar: not open");
	cust_sink_free(s);
	close(fd);
}
END_TEST

START_TEST(sink_refuses_more_data_than_declared)
{
	struct cust_sink *s;
	int fd = outfile("out.tar", O_RDWR);
	const char *msg;

	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_header(s, "t/f", 4), CUST_OK);
	ck_assert_int_eq(cust_sink_data(s, "12345678", 8), CUST_FATAL);
	msg = cust_ctx_error(ctx);
	ck_assert_msg(strncmp(msg, "out.tar: ", 9) == 0, "%s", msg);
	ck_assert_msg(strstr(msg, "(null)") == NULL, "%s", msg);
	cust_sink_free(s);
	close(fd);
}
END_TEST

/* One member of MIB MiB through a sink on FD; the sink's SHA-256 in SHA. */
static void
write_mib(int fd, size_t mib, char sha[65])
{
	static unsigned char chunk[64 * 1024];
	struct cust_sink *s;
	uint64_t bytes;

	memset(chunk, 'w', sizeof(chunk));
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_header(s, "big", mib << 20), CUST_OK);
	for (size_t i = 0; i < (mib << 20) / sizeof(chunk); i++)
		ck_assert_int_eq(cust_sink_data(s, chunk, sizeof(chunk)),
		    CUST_OK);
	ck_assert_int_eq(cust_sink_finish(s), CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &bytes), CUST_OK);
	ck_assert_uint_gt(bytes, mib << 20);
	cust_sink_free(s);
}

START_TEST(sink_starts_writeback_of_a_file_as_it_grows)
{
	unsigned char *p;
	char sha[65], want[65];
	size_t n;
	int fd = outfile("out.tar", O_RDWR);

	writebacks = writebacks_here = 0;
	test_tid = gettid();
	write_mib(fd, 6, sha);
	close(fd);
	/* Asked for once a MiB, so that the fsync at the end finds little
	 * left; started by the flusher, which meets requests that come
	 * while it is busy with one call. */
	ck_assert_int_ge(writebacks, 1);
	ck_assert_int_eq(writebacks_here, 0);
	p = slurp("out.tar", &n);
	sha256_of(p, n, want);
	ck_assert_str_eq(sha, want);
	free(p);
}
END_TEST

START_TEST(sink_leaves_writeback_alone_for_other_outputs)
{
	char sha[65];
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	writebacks = 0;
	write_mib(fd, 6, sha);
	close(fd);
	ck_assert_int_eq(writebacks, 0);
}
END_TEST

START_TEST(sink_refuses_bad_zstd_level)
{
	struct cust_sink *s = (struct cust_sink *)1;
	int fd = outfile("out.tar.zst", O_RDWR);

	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar.zst", 99, 0, NULL, &s),
	    CUST_FATAL);
	ck_assert_ptr_null(s);
	ck_assert_msg(strncmp(cust_ctx_error(ctx), "out.tar.zst: zstd: ",
	    19) == 0, "%s", cust_ctx_error(ctx));
	close(fd);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("sink");
	TCase *rt = tcase_create("round trip");
	TCase *err = tcase_create("errors");

	tcase_add_checked_fixture(rt, setup, teardown);
	tcase_set_timeout(rt, 60);
	tcase_add_test(rt, sink_plain_tar_reads_back);
	tcase_add_test(rt, sink_zstd_tar_reads_back);
	tcase_add_test(rt, sink_zstd_with_threads_reads_back);
	tcase_add_test(rt, sink_digest_and_size_match_file);
	tcase_add_test(rt, sink_empty_archive_is_valid);
	tcase_add_test(rt, sink_stream_ends_with_the_archive);
	tcase_add_test(rt, sink_output_is_read_by_gnu_tar);
	tcase_add_test(rt, sink_long_name_round_trips);
	tcase_add_test(rt, sink_starts_writeback_of_a_file_as_it_grows);
	tcase_add_test(rt, sink_leaves_writeback_alone_for_other_outputs);
	suite_add_tcase(s, rt);

	tcase_add_checked_fixture(err, setup, teardown);
	tcase_set_timeout(err, 60);
	tcase_add_test(err, sink_reports_read_only_descriptor);
	tcase_add_test(err, sink_reports_read_only_descriptor_at_close);
	tcase_add_test(err, sink_reports_full_device);
	tcase_add_test(err, sink_reports_full_device_through_zstd);
	tcase_add_test(err, sink_reports_full_device_through_zstd_workers);
	tcase_add_test(err, sink_reports_closed_pipe_through_zstd_workers);
	tcase_add_test(err, sink_freed_open_writes_nothing_more);
	tcase_add_test(err, sink_reports_closed_pipe);
	tcase_add_test(err, sink_refuses_second_close);
	tcase_add_test(err, sink_refuses_more_data_than_declared);
	tcase_add_test(err, sink_refuses_bad_zstd_level);
	tcase_add_test(err, sink_reports_full_device_through_envelope);
	tcase_add_test(err, sink_reports_closed_pipe_through_envelope);
	tcase_add_test(err, sink_drain_reports_the_envelope_error);
	tcase_add_test(err, sink_freed_open_through_envelope_writes_nothing);
	suite_add_tcase(s, err);
	return s;
}

