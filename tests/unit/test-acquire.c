/*
 * test-acquire.c: taking one regular file.  Digests are checked against
 * OpenSSL's one-shot digests of the bytes written by the test, archive
 * members are read back with libarchive's reader, and names are swapped
 * for FIFOs, directories, links and other files between listing and
 * taking.  A file that claims 4096 bytes but holds fewer (sysfs), one that
 * claims none but holds some (/proc), one cut short before it is read and
 * one that grows while it is read show what the archive holds: exactly
 * the bytes hashed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <openssl/evp.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_filetype *ft;
static struct cust_acquirer *acq;
static struct cust_relay *relay;	/* what the acquirer hands on */
static struct cust_digest *dg;		/* the hashing thread's part */
static bool started;			/* a START job came */
static int dirfd_ = -1;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	dirfd_ = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dirfd_, 0);
	ck_assert_int_eq(cust_filetype_new(ctx, &ft), CUST_OK);
	/* A ring large enough that one thread can fill it, then drain it. */
	ck_assert_int_eq(cust_relay_new(ctx, 64 * 1024 * 1024, &relay),
	    CUST_OK);
	ck_assert_int_eq(cust_digest_new(ctx, CUST_ALG_ALL, &dg), CUST_OK);
	ck_assert_int_eq(cust_acquirer_new(ctx, relay, 0, &acq), CUST_OK);
	started = false;
}

static void
teardown(void)
{
	cust_acquirer_free(acq);
	cust_relay_free(relay);
	cust_digest_free(dg);
	cust_filetype_free(ft);
	close(dirfd_);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* N bytes of a pattern that does not repeat within a buffer. */
static unsigned char *
pattern(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 2654435761u) >> 13);
	return p;
}

/* A record job that marks the end of what was relayed so far.  The relay
 * wakes a sleeping consumer only for 256 jobs or 1 MiB; a producer thread
 * that stops after its marker, as collect's reader never does without
 * closing the relay, must wake it, or the consumer may sleep for ever. */
static void
push_marker(void)
{
	struct cust_record rec;
	struct stat st;
	struct cust_slip *marker;

	memset(&rec, 0, sizeof(rec));
	memset(&st, 0, sizeof(st));
	rec.path = "marker";
	rec.pathlen = 6;
	rec.st = &st;
	ck_assert_ptr_nonnull(marker = cust_slip_new(NULL, &rec, false, false));
	ck_assert(cust_relay_record(relay, marker));
	cust_relay_flush(relay);
}

/*
 * Play the hashing thread and the writer: take every job the acquirer
 * relayed, up to the next marker, digesting the chunks as ledger.c does
 * and writing them to S (when not NULL) as writer.c does.  Returns the
 * first failure of the writer's part.
 */
static int
drain_to_marker(struct cust_sink *s)
{
	bool in_member = false;
	int r = CUST_OK;
	struct cust_job j;

	for (;;) {
		ck_assert(cust_relay_next(relay, &j));
		if (j.kind == CUST_JOB_START) {
			ck_assert_int_eq(cust_digest_reset(dg), CUST_OK);
			started = true;
		} else if (j.kind != CUST_JOB_RECORD) {
			if (j.kind == CUST_JOB_CHUNK) {
				ck_assert(started);
				ck_assert_int_eq(cust_digest_update(dg, j.data,
				    j.len), CUST_OK);
			}
			if (s == NULL)
				ck_assert(j.kind == CUST_JOB_CHUNK);
			if (s != NULL && r == CUST_OK)
				r = cust_writer_put(s, &j, &in_member);
			cust_relay_release_jobs(relay, &j, 1);
		} else {
			ck_assert_str_eq(j.slip->r.path, "marker");
			free(j.slip);
			break;
		}
	}
	if (started)
		ck_assert_int_eq(cust_digest_final(dg), CUST_OK);
	ck_assert(r != CUST_OK || !in_member);
	return r;
}

static int
drain(struct cust_sink *s)
{
	push_marker();
	return drain_to_marker(s);
}

/* Every digest of the bytes T relayed equals OpenSSL's over BUF. */
static void
digests_are(const struct cust_taken *t, const void *buf, size_t n)
{
	char want[2 * EVP_MAX_MD_SIZE + 1];

	ck_assert(t->read);
	ck_assert(started);
	hexof(EVP_sha256(), buf, n, want);
	ck_assert_str_eq(cust_digest_hex(dg, CUST_ALG_SHA256), want);
	hexof(EVP_sha512(), buf, n, want);
	ck_assert_str_eq(cust_digest_hex(dg, CUST_ALG_SHA512), want);
	hexof(EVP_sha1(), buf, n, want);
	ck_assert_str_eq(cust_digest_hex(dg, CUST_ALG_SHA1), want);
	hexof(EVP_md5(), buf, n, want);
	ck_assert_str_eq(cust_digest_hex(dg, CUST_ALG_MD5), want);
}

/* The entry the walker would give for NAME in DIRFD. */
static struct cust_entry
entry_at(int fd, const char *name)
{
	struct cust_entry e;

	memset(&e, 0, sizeof(e));
	e.path = name;
	e.pathlen = strlen(name);
	e.name = name;
	e.dirfd = fd;
	ck_assert_int_eq(cust_stat_at(fd, name, AT_SYMLINK_NOFOLLOW, &e.st,
	    &e.btime), 0);
	return e;
}

static struct cust_entry
entry(const char *name)
{
	return entry_at(dirfd_, name);
}

static void
take(const struct cust_entry *e, struct cust_sink *s, const char *member,
    struct cust_taken *t)
{
	started = false;
	ck_assert_int_eq(cust_acquire(acq, e, s != NULL ? member : NULL, t),
	    CUST_OK);
	ck_assert_int_eq(drain(s), CUST_OK);
}

/* ----------------------------------------------------- reading back */

/* Members of a bundle are regular files, whatever the reader allows. */
static void
readback_file(const char *name)
{
	readback(name);
	all_regular();
}

static void
readback_mem(const void *buf, size_t n)
{
	struct archive *a = archive_read_new();

	ck_assert_ptr_nonnull(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	ck_assert_int_eq(archive_read_open_memory(a, buf, n), ARCHIVE_OK);
	readback_archive(a);
	all_regular();
}

static int
outfile(const char *name)
{
	int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void
close_sink(struct cust_sink *s)
{
	char sha[65];
	uint64_t n;

	ck_assert_int_eq(cust_sink_close(s, sha, &n), CUST_OK);
	cust_sink_free(s);
}

/* ---------------------------------------------------------- content */

START_TEST(acquire_digests_match_openssl)
{
	static const char text[] = "Nov 27 21:20:21 host sshd[42]: "
	    "Accepted publickey for root\n";
	struct cust_entry e;
	struct cust_taken t;

	put("auth.log", text, strlen(text));
	e = entry("auth.log");
	take(&e, NULL, NULL, &t);
	ck_assert_int_eq(t.status, CUST_ST_OK);
	ck_assert_ptr_null(t.what);
	ck_assert_int_eq(t.err, 0);
	ck_assert(t.read);
	ck_assert(!t.moved);
	ck_assert(!t.capped);
	ck_assert(!t.atime_risk);
	ck_assert_int_eq(t.bytes, (int64_t)strlen(text));
	ck_assert_uint_eq(t.st.st_ino, e.st.st_ino);
	digests_are(&t, text, strlen(text));
}
END_TEST

START_TEST(acquire_empty_file)
{
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	int fd = outfile("out.tar");

	put("empty", "", 0);
	e = entry("empty");
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	take(&e, s, "b/data/empty", &t);
	close_sink(s);
	close(fd);
	ck_assert_int_eq(t.status, CUST_ST_OK);
	ck_assert(t.read);
	ck_assert_int_eq(t.bytes, 0);
	digests_are(&t, "", 0);
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, 1);
	ck_assert_str_eq(mem[0].name, "b/data/empty");
	ck_assert_uint_eq(mem[0].size, 0);
	forget();
}
END_TEST

START_TEST(acquire_file_larger_than_read_buffer)
{
	size_t n = 3 * 1024 * 1024 + 7;
	unsigned char *buf = pattern(n);
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	int fd = outfile("out.tar");

	put("big", buf, n);
	e = entry("big");
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	take(&e, s, "b/data/big", &t);
	close_sink(s);
	close(fd);
	ck_assert_int_eq(t.status, CUST_ST_OK);
	ck_assert_int_eq(t.bytes, (int64_t)n);
	digests_are(&t, buf, n);
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, 1);
	ck_assert_uint_eq(mem[0].size, n);
	ck_assert(memcmp(mem[0].data, buf, n) == 0);
	/* The file's own times are in its record, not in the tar header,
	 * which has the bundle's one mtime (0 here: none was set). */
	ck_assert_int_eq(mem[0].mtime, 0);
	forget();
	free(buf);
}
END_TEST

START_TEST(acquire_stores_member_bytes_equal_to_file)
{
	static const char *const names[] = { "a", "b c", "é.txt" };
	char member[64], want[65], got[65];
	struct cust_taken t[3];
	struct cust_entry e;
	struct cust_sink *s;
	int fd = outfile("out.tar");

	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	for (size_t i = 0; i < NELEM(names); i++) {
		unsigned char *buf = pattern(1000 * i + 1);

		put(names[i], buf, 1000 * i + 1);
		free(buf);
		e = entry(names[i]);
		snprintf(member, sizeof(member), "b/data/%s", names[i]);
		take(&e, s, member, &t[i]);
		ck_assert_int_eq(t[i].status, CUST_ST_OK);
		ck_assert(t[i].read);
	}
	close_sink(s);
	close(fd);
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, NELEM(names));
	for (size_t i = 0; i < NELEM(names); i++) {
		unsigned char *buf = pattern(1000 * i + 1);

		snprintf(member, sizeof(member), "b/data/%s", names[i]);
		ck_assert_str_eq(mem[i].name, member);
		ck_assert_uint_eq(mem[i].size, 1000 * i + 1);
		ck_assert(memcmp(mem[i].data, buf, mem[i].size) == 0);
		hexof(EVP_sha256(), buf, 1000 * i + 1, want);
		hexof(EVP_sha256(), mem[i].data, mem[i].size, got);
		ck_assert_str_eq(got, want);
		free(buf);
	}
	forget();
	/* A member was written for each: the result must say so. */
	for (size_t i = 0; i < NELEM(names); i++)
		ck_assert_msg(t[i].stored, "%s: stored is false",
		    names[i]);
}
END_TEST

START_TEST(acquire_without_sink_stores_nothing)
{
	struct cust_entry e;
	struct cust_taken t;

	put("f", "x", 1);
	e = entry("f");
	take(&e, NULL, "b/data/f", &t);
	ck_assert(t.read);
	ck_assert(!t.stored);
}
END_TEST

START_TEST(acquire_to_pipe_sink)
{
	static const char text[] = "through a pipe\n";
	static unsigned char out[65536];
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	size_t n = 0;
	ssize_t k;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	put("f", text, strlen(text));
	e = entry("f");
	ck_assert_int_eq(cust_sink_new(ctx, p[1], "pipe", 0, 0, NULL, &s),
	    CUST_OK);
	take(&e, s, "b/data/f", &t);
	close_sink(s);		/* small: it fits in the pipe */
	close(p[1]);
	while ((k = read(p[0], out + n, sizeof(out) - n)) > 0)
		n += (size_t)k;
	close(p[0]);
	ck_assert_uint_eq(n % 512, 0);
	readback_mem(out, n);
	ck_assert_uint_eq(nmem, 1);
	ck_assert_str_eq(mem[0].name, "b/data/f");
	ck_assert_uint_eq(mem[0].size, strlen(text));
	ck_assert(memcmp(mem[0].data, text, strlen(text)) == 0);
	forget();
}
END_TEST

START_TEST(acquire_write_error_is_fatal)
{
	size_t n = 3 * 1024 * 1024;
	unsigned char *buf = pattern(n);
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	put("big", buf, n);
	free(buf);
	e = entry("big");
	ck_assert_int_eq(cust_sink_new(ctx, fd, "full", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_acquire(acq, &e, "b/data/big", &t), CUST_OK);
	ck_assert_int_eq(drain(s), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "full: No space left on device");
	ck_assert_int_eq(cust_ctx_errno(ctx), ENOSPC);
	cust_sink_free(s);
	close(fd);
}
END_TEST

/* ---------------------------------------------------------- changes */

START_TEST(acquire_reports_vanished)
{
	struct cust_entry e;
	struct cust_taken t;

	put("gone", "x", 1);
	e = entry("gone");
	ck_assert_int_eq(unlink(path("gone")), 0);
	take(&e, NULL, NULL, &t);
	ck_assert_int_eq(t.status, CUST_ST_VANISHED);
	ck_assert_str_eq(t.what, "open");
	ck_assert_int_eq(t.err, ENOENT);
	ck_assert(!t.read);
	ck_assert(!started);
	ck_assert_int_eq(t.bytes, 0);
}
END_TEST

START_TEST(acquire_reports_fifo_without_blocking)
{
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	int fd = outfile("out.tar");

	put("log", "x", 1);
	e = entry("log");
	ck_assert_int_eq(unlink(path("log")), 0);
	ck_assert_int_eq(mkfifo(path("log"), 0600), 0);
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	alarm(20);	/* a read from the FIFO would hang: die instead */
	take(&e, s, "b/data/log", &t);
	alarm(0);
	ck_assert_int_eq(t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(t.what, "replaced by a non-regular file");
	ck_assert(!t.read);
	ck_assert(!t.stored);
	ck_assert(!started);
	/* Nothing was written for it. */
	close_sink(s);
	close(fd);
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, 0);
}
END_TEST

START_TEST(acquire_reports_directory_in_place)
{
	struct cust_entry e;
	struct cust_taken t;

	put("f", "x", 1);
	e = entry("f");
	ck_assert_int_eq(unlink(path("f")), 0);
	ck_assert_int_eq(mkdir(path("f"), 0700), 0);
	take(&e, NULL, NULL, &t);
	ck_assert_int_eq(t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(t.what, "replaced by a non-regular file");
	ck_assert(!t.read);
}
END_TEST

START_TEST(acquire_does_not_follow_symlink_in_place)
{
	struct cust_entry e;
	struct cust_taken t;

	put("f", "x", 1);
	put("secret", "not this one", 12);
	e = entry("f");
	ck_assert_int_eq(unlink(path("f")), 0);
	ck_assert_int_eq(symlink("secret", path("f")), 0);
	take(&e, NULL, NULL, &t);
	ck_assert_int_eq(t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(t.what, "open");
	ck_assert_int_eq(t.err, ELOOP);
	ck_assert(!t.read);
	ck_assert_int_eq(t.bytes, 0);
}
END_TEST

START_TEST(acquire_reports_replaced_inode)
{
	static const char now[] = "the new file's bytes\n";
	struct cust_entry e;
	struct cust_taken t;

	put("f", "old", 3);
	e = entry("f");
	put("g", now, strlen(now));
	ck_assert_int_eq(rename(path("g"), path("f")), 0);
	take(&e, NULL, NULL, &t);
	ck_assert_int_eq(t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(t.what, "replaced after listing");
	ck_assert(t.read);
	ck_assert_uint_ne(t.st.st_ino, e.st.st_ino);
	/* What was read is what the digests are of. */
	ck_assert_int_eq(t.bytes, (int64_t)strlen(now));
	digests_are(&t, now, strlen(now));
}
END_TEST

START_TEST(acquire_reads_size_zero_proc_file)
{
	int pfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	char want[65];
	int fd = outfile("out.tar");

	ck_assert_int_ge(pfd, 0);
	e = entry_at(pfd, "status");
	ck_assert_int_eq(e.st.st_size, 0);
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	take(&e, s, "b/data/proc/self/status", &t);
	ck_assert_int_eq(t.status, CUST_ST_OK);
	ck_assert(t.read);
	ck_assert(!t.capped);
	ck_assert_int_gt(t.bytes, 0);
	snprintf(want, sizeof(want), "%s", cust_digest_hex(dg,
	    CUST_ALG_SHA256));
	close_sink(s);
	close(fd);
	close(pfd);
	/* The member holds exactly the bytes hashed. */
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, 1);
	ck_assert_uint_eq(mem[0].size, (size_t)t.bytes);
	ck_assert(strncmp((char *)mem[0].data, "Name:", 5) == 0);
	{
		char got[65];

		hexof(EVP_sha256(), mem[0].data, mem[0].size, got);
		ck_assert_str_eq(got, want);
	}
	forget();
}
END_TEST

START_TEST(acquire_reads_sysfs_file_to_its_end)
{
	static const char sys[] = "/sys/devices/system/cpu";
	unsigned char text[4096];
	int sfd = open(sys, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	ssize_t n;

	if (sfd < 0)
		return;		/* no sysfs here */
	e = entry_at(sfd, "online");
	if (e.st.st_size != 4096) {
		close(sfd);
		return;
	}
	fd = openat(sfd, "online", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, text, sizeof(text));
	close(fd);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, 4096);
	fd = outfile("out.tar");
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	take(&e, s, "b/data/online", &t);
	close_sink(s);
	close(fd);
	close(sfd);
	/* st_size 4096 means nothing on sysfs: the real bytes, no padding. */
	ck_assert_int_eq(t.status, CUST_ST_OK);
	ck_assert(t.pseudo);
	ck_assert(!t.padded);
	ck_assert_int_eq(t.bytes, n);
	digests_are(&t, text, (size_t)n);
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, 1);
	ck_assert_uint_eq(mem[0].size, (size_t)n);
	ck_assert(memcmp(mem[0].data, text, (size_t)n) == 0);
	forget();
}
END_TEST

/* A file cut short between fstat and reading: what was read, then zeros,
 * and T says where the zeros start. */
START_TEST(acquire_pads_file_that_shrank)
{
	enum { FULL = 300000, KEPT = 100000 };
	unsigned char *text = pattern(FULL);
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	int fd, in;

	put("shrinks", text, FULL);
	memset(text + KEPT, 0, FULL - KEPT);
	e = entry("shrinks");
	ck_assert_int_ge(in = cust_acquire_open(&e, &t), 0);
	ck_assert_int_eq(t.st.st_size, FULL);
	ck_assert_int_eq(truncate(path("shrinks"), KEPT), 0);
	fd = outfile("out.tar");
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s), CUST_OK);
	started = false;
	ck_assert_int_eq(cust_acquire_fd(acq, &e, in, "b/data/shrinks", &t),
	    CUST_OK);
	ck_assert_int_eq(drain(s), CUST_OK);
	close_sink(s);
	close(fd);
	ck_assert_int_eq(t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(t.what, "shrank while read");
	ck_assert(!t.pseudo);
	ck_assert(t.padded);
	ck_assert_int_eq(t.bytes, FULL);
	ck_assert_int_eq(t.got, KEPT);
	digests_are(&t, text, FULL);
	readback_file("out.tar");
	ck_assert_uint_eq(nmem, 1);
	ck_assert_uint_eq(mem[0].size, FULL);
	ck_assert(memcmp(mem[0].data, text, FULL) == 0);
	forget();
	free(text);
}
END_TEST

/* Drain a pipe; after the first bytes, append one byte to a file. */
struct grower {
	int		 rfd;
	const char	*file;
	unsigned char	*buf;
	size_t		 n, cap;
};

static void *
grow(void *arg)
{
	struct grower *g = arg;
	bool grown = false;
	ssize_t k;

	while ((k = read(g->rfd, g->buf + g->n, g->cap - g->n)) > 0) {
		g->n += (size_t)k;
		if (!grown) {
			int fd = open(g->file, O_WRONLY | O_APPEND);

			if (fd >= 0) {
				grown = write(fd, "!", 1) == 1;
				close(fd);
			}
		}
		if (g->n == g->cap)
			break;
	}
	return NULL;
}

/* The reading thread of a collection: one file, then a marker. */
struct taking {
	const struct cust_entry *e;
	const char	*member;
	struct cust_taken *t;
	int		 r;
};

static void *
taker(void *arg)
{
	struct taking *k = arg;

	k->r = cust_acquire(acq, k->e, k->member, k->t);
	push_marker();
	return NULL;
}

START_TEST(acquire_reports_file_modified_while_read)
{
	struct taking k;
	pthread_t rt;
	size_t n = 3 * 1024 * 1024;
	unsigned char *buf = pattern(n);
	struct grower g;
	struct cust_entry e;
	struct cust_taken t;
	struct cust_sink *s;
	struct stat st;
	pthread_t th;
	int p[2];

	put("growing", buf, n);
	e = entry("growing");
	ck_assert_int_eq(pipe(p), 0);
	memset(&g, 0, sizeof(g));
	g.rfd = p[0];
	g.file = path("growing");
	g.cap = n + 1024 * 1024;
	ck_assert_ptr_nonnull(g.buf = malloc(g.cap));
	ck_assert_int_eq(pthread_create(&th, NULL, grow, &g), 0);
	ck_assert_int_eq(cust_sink_new(ctx, p[1], "pipe", 0, 0, NULL, &s),
	    CUST_OK);
	/* With a 256 KiB ring the 3 MiB cannot all be read before most of
	 * it has passed the 64 KiB pipe, so not before the pipe's reader
	 * has appended: the file grows while it is read. */
	cust_acquirer_free(acq);
	cust_relay_free(relay);
	ck_assert_int_eq(cust_relay_new(ctx, 256 * 1024, &relay), CUST_OK);
	ck_assert_int_eq(cust_acquirer_new(ctx, relay, 0, &acq), CUST_OK);
	k = (struct taking){ .e = &e, .member = "b/data/growing", .t = &t };
	started = false;
	ck_assert_int_eq(pthread_create(&rt, NULL, taker, &k), 0);
	ck_assert_int_eq(drain_to_marker(s), CUST_OK);
	ck_assert_int_eq(pthread_join(rt, NULL), 0);
	ck_assert_int_eq(k.r, CUST_OK);
	close_sink(s);
	close(p[1]);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	close(p[0]);
	ck_assert_int_eq(stat(path("growing"), &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)n + 1);
	ck_assert_int_eq(t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(t.what, "modified while read");
	ck_assert(t.moved);
	ck_assert_int_eq(t.st.st_size, (off_t)n);
	ck_assert_int_eq(t.after.st_size, (off_t)n + 1);
	/* The size given to the header was read and hashed, no more. */
	ck_assert_int_eq(t.bytes, (int64_t)n);
	digests_are(&t, buf, n);
	readback_mem(g.buf, g.n);
	ck_assert_uint_eq(nmem, 1);
	ck_assert_uint_eq(mem[0].size, n);
	ck_assert(memcmp(mem[0].data, buf, n) == 0);
	forget();
	free(g.buf);
	free(buf);
}
END_TEST

/* ------------------------------------------------------------ atime */

static void
age(const char *name)
{
	struct timespec ts[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 0 },	/* 2001 */
		{ .tv_sec = 0, .tv_nsec = UTIME_OMIT },
	};

	ck_assert_int_eq(utimensat(AT_FDCWD, path(name), ts, 0), 0);
}

START_TEST(acquire_keeps_atime)
{
	struct cust_entry e;
	struct cust_taken t;
	struct stat st;
	char c;
	int fd;

	put("probe", "x", 1);
	put("f", "evidence\n", 9);
	age("probe");
	age("f");
	/* Here a plain read moves an atime older than the mtime (relatime);
	 * where it does not, the check below would prove nothing. */
	fd = open(path("probe"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	close(fd);
	ck_assert_int_eq(stat(path("probe"), &st), 0);
	if (st.st_atim.tv_sec == 1000000000)
		return;		/* noatime: nothing to see */
	e = entry("f");
	take(&e, NULL, NULL, &t);
	ck_assert_int_eq(t.status, CUST_ST_OK);
	ck_assert(!t.atime_risk);
	ck_assert_int_eq(stat(path("f"), &st), 0);
	ck_assert_int_eq(st.st_atim.tv_sec, 1000000000);
	ck_assert_int_eq(st.st_atim.tv_nsec, 0);
}
END_TEST

/* ------------------------------------------------------------ batches */

/* A batch of NAMES opened and stat'ed through io_uring into F, or false
 * when io_uring is not available here. */
static bool
batch_open(struct cust_uring **up, struct cust_uring_file *f,
    const char *const *names, size_t n)
{
	char why[256];
	int r;

	if ((r = cust_uring_new(ctx, up, why, sizeof(why))) == CUST_FAILED)
		return false;
	ck_assert_int_eq(r, CUST_OK);
	for (size_t k = 0; k < n; k++) {
		f[k].dirfd = dirfd_;
		f[k].name = names[k];
	}
	ck_assert_int_eq(cust_uring_open(*up, f, n), CUST_OK);
	return true;
}

START_TEST(batch_reads_only_small_regular_files)
{
	static const char *const names[] = { "small", "large", "fifo",
	    "link" };
	static unsigned char buf[CUST_URING_SMALL];
	unsigned char *text = pattern(CUST_URING_SMALL + 1);
	struct cust_uring_file f[4];
	struct cust_entry e[4];
	struct cust_uring *u;

	put("small", text, 5000);
	put("large", text, CUST_URING_SMALL + 1);
	put("fifo", "x", 1);
	put("link", "x", 1);
	for (size_t k = 0; k < 4; k++)
		e[k] = entry(names[k]);
	ck_assert_int_eq(unlink(path("fifo")), 0);
	ck_assert_int_eq(mkfifo(path("fifo"), 0600), 0);
	ck_assert_int_eq(unlink(path("link")), 0);
	ck_assert_int_eq(symlink("small", path("link")), 0);
	if (!batch_open(&u, f, names, 4)) {
		free(text);
		return;		/* no io_uring here: e2e-uring says so */
	}
	ck_assert_int_ge(f[0].fd, 0);
	ck_assert(cust_acquire_small(acq, &e[0], f[0].fd, &f[0].t));
	ck_assert(!cust_acquire_small(acq, &e[1], f[1].fd, &f[1].t));
	/* Opened without blocking, as one at a time, and never read. */
	ck_assert_int_ge(f[2].fd, 0);
	ck_assert(S_ISFIFO(f[2].t.st.st_mode));
	ck_assert(!cust_acquire_small(acq, &e[2], f[2].fd, &f[2].t));
	/* No link followed. */
	ck_assert_int_eq(f[3].fd, -1);
	ck_assert_int_eq(f[3].err, ELOOP);
	f[0].buf = buf;
	f[0].want = 5000;
	ck_assert_int_eq(cust_uring_read(u, f, 4), CUST_OK);
	ck_assert_int_eq(f[0].got, 5000);
	ck_assert_int_eq(f[0].aerr, 0);
	started = false;
	ck_assert_int_eq(cust_acquire_read(acq, &e[0], f[0].fd, NULL,
	    &f[0].t, f[0].buf, f[0].got, &f[0].after, f[0].aerr), CUST_OK);
	ck_assert_int_eq(drain(NULL), CUST_OK);
	ck_assert_int_eq(f[0].t.status, CUST_ST_OK);
	ck_assert(!f[0].t.moved);
	digests_are(&f[0].t, text, 5000);
	for (size_t k = 0; k < 3; k++)
		ck_assert_int_eq(cust_uring_close(u, f[k].fd), CUST_OK);
	cust_uring_free(u);
	free(text);
}
END_TEST

START_TEST(batch_pads_file_that_shrank_after_its_statx)
{
	enum { FULL = 20000, KEPT = 7000 };
	static const char *const names[] = { "shrinks" };
	static unsigned char buf[CUST_URING_SMALL];
	unsigned char *text = pattern(FULL);
	struct cust_uring_file f[1];
	struct cust_entry e;
	struct cust_uring *u;

	put("shrinks", text, FULL);
	memset(text + KEPT, 0, FULL - KEPT);
	e = entry("shrinks");
	if (!batch_open(&u, f, names, 1)) {
		free(text);
		return;
	}
	ck_assert(cust_acquire_small(acq, &e, f[0].fd, &f[0].t));
	ck_assert_int_eq(truncate(path("shrinks"), KEPT), 0);
	f[0].buf = buf;
	f[0].want = FULL;
	ck_assert_int_eq(cust_uring_read(u, f, 1), CUST_OK);
	ck_assert_int_eq(f[0].got, KEPT);
	started = false;
	ck_assert_int_eq(cust_acquire_read(acq, &e, f[0].fd, NULL, &f[0].t,
	    f[0].buf, f[0].got, &f[0].after, f[0].aerr), CUST_OK);
	ck_assert_int_eq(drain(NULL), CUST_OK);
	ck_assert_int_eq(f[0].t.status, CUST_ST_CHANGED);
	ck_assert_str_eq(f[0].t.what, "shrank while read");
	ck_assert(f[0].t.padded);
	ck_assert(f[0].t.moved);
	ck_assert_int_eq(f[0].t.got, KEPT);
	ck_assert_int_eq(f[0].t.bytes, FULL);
	digests_are(&f[0].t, text, FULL);
	ck_assert_int_eq(cust_uring_close(u, f[0].fd), CUST_OK);
	cust_uring_free(u);
	free(text);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("acquire");
	TCase *content = tcase_create("content");
	TCase *changes = tcase_create("changes");
	TCase *atime = tcase_create("atime");
	TCase *batch = tcase_create("batch");

	tcase_add_checked_fixture(content, setup, teardown);
	tcase_set_timeout(content, 60);
	tcase_add_test(content, acquire_digests_match_openssl);
	tcase_add_test(content, acquire_empty_file);
	tcase_add_test(content, acquire_file_larger_than_read_buffer);
	tcase_add_test(content, acquire_stores_member_bytes_equal_to_file);
	tcase_add_test(content, acquire_without_sink_stores_nothing);
	tcase_add_test(content, acquire_to_pipe_sink);
	tcase_add_test(content, acquire_write_error_is_fatal);
	suite_add_tcase(s, content);

	tcase_add_checked_fixture(changes, setup, teardown);
	tcase_set_timeout(changes, 60);
	tcase_add_test(changes, acquire_reports_vanished);
	tcase_add_test(changes, acquire_reports_fifo_without_blocking);
	tcase_add_test(changes, acquire_reports_directory_in_place);
	tcase_add_test(changes, acquire_does_not_follow_symlink_in_place);
	tcase_add_test(changes, acquire_reports_replaced_inode);
	tcase_add_test(changes, acquire_reads_size_zero_proc_file);
	tcase_add_test(changes, acquire_reads_sysfs_file_to_its_end);
	tcase_add_test(changes, acquire_pads_file_that_shrank);
	tcase_add_test(changes, acquire_reports_file_modified_while_read);
	suite_add_tcase(s, changes);

	tcase_add_checked_fixture(batch, setup, teardown);
	tcase_set_timeout(batch, 60);
	tcase_add_test(batch, batch_reads_only_small_regular_files);
	tcase_add_test(batch, batch_pads_file_that_shrank_after_its_statx);
	suite_add_tcase(s, batch);

	tcase_add_checked_fixture(atime, setup, teardown);
	tcase_add_test(atime, acquire_keeps_atime);
	suite_add_tcase(s, atime);
	return s;
}

