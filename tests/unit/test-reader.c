/*
 * test-reader.c: a bundle read as hostile bytes.  The archives are built
 * here block by block (ustar headers with their checksums, pax and GNU
 * long-name records), so that every shape an attacker could send can be
 * made exactly: absolute and dot-dot names, links, devices, FIFOs,
 * non-UTF-8 names, truncation, trailing data.  Each must be refused with a
 * message that names the member; a plain bundle-like tar must be read
 * whole, with the digest of every input byte.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "collect/pipeline/pipeline.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_reader *rd;
static int fd = -1;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	rd = NULL;
	fd = -1;
}

static void
teardown(void)
{
	cust_reader_free(rd);
	if (fd >= 0)
		close(fd);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* --------------------------------------------------- making archives */

struct tar {
	unsigned char	*p;
	size_t		 n, cap;
};

static struct tar tb;

static unsigned char *
grow(size_t n)
{
	unsigned char *p;

	if (tb.n + n > tb.cap) {
		tb.cap = (tb.n + n) * 2;
		ck_assert_ptr_nonnull(p = realloc(tb.p, tb.cap));
		tb.p = p;
	}
	p = tb.p + tb.n;
	memset(p, 0, n);
	tb.n += n;
	return p;
}

static void
octal(unsigned char *field, size_t len, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%0*llo", (int)len - 1,
	    (unsigned long long)v);
	memcpy(field, buf, len - 1);
}

/* A ustar header: NAME (N raw bytes, at most 100), TYPE, SIZE, LINK. */
static void
header(const char *name, size_t n, char type, uint64_t size,
    const char *link)
{
	unsigned char *h = grow(512);
	unsigned sum = 0;

	ck_assert_uint_le(n, 100);
	memcpy(h, name, n);
	octal(h + 100, 8, type == '5' ? 0755 : 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, 1700000000);
	h[156] = (unsigned char)type;
	if (link != NULL)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	octal(h + 329, 8, type == '3' || type == '4' ? 1 : 0);
	octal(h + 337, 8, type == '3' || type == '4' ? 3 : 0);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void
data(const void *p, size_t n)
{
	unsigned char *d = grow((n + 511) / 512 * 512);

	memcpy(d, p, n);
}

/* A member as collect writes it (tarfmt.c), and its data. */
static void
file(const char *name, const char *text)
{
	size_t n = cust_tar_header_len(name, strlen(name), strlen(text));

	cust_tar_header(grow(n), name, strlen(name), strlen(text),
	    1700000000);
	data(text, strlen(text));
}

/* The same with a raw ustar header, which canonical rules may refuse. */
static void
rawfile(const char *name, const char *text)
{
	header(name, strlen(name), '0', strlen(text), NULL);
	data(text, strlen(text));
}

/* One pax record "LEN KEY=VALUE\n" (VALUE N bytes) appended to REC. */
static size_t
record(char **rec, size_t have, const char *key, const char *value, size_t n)
{
	size_t len = strlen(key) + n + 3, digits;
	char *p;
	int k;

	/* The length counts its own digits. */
	for (digits = 1; ; digits++) {
		size_t total = len + digits, d = 0;

		for (size_t t = total; t > 0; t /= 10)
			d++;
		if (d == digits) {
			len = total;
			break;
		}
	}
	ck_assert_ptr_nonnull(p = realloc(*rec, have + len + 1));
	*rec = p;
	k = snprintf(p + have, len + 1, "%zu %s=", len, key);
	memcpy(p + have + k, value, n);
	p[have + len - 1] = '\n';
	return have + len;
}

static void
paxrec(const char *rec, size_t len)
{
	header("PaxHeader/x", 11, 'x', len, NULL);
	data(rec, len);
}

/* A pax extended header with one record KEY=VALUE (VALUE N bytes). */
static void
pax(const char *key, const char *value, size_t n)
{
	char *rec = NULL;
	size_t len = record(&rec, 0, key, value, n);

	paxrec(rec, len);
	free(rec);
}

/* A GNU long-name record for the next header. */
static void
longname(const char *name)
{
	header("././@LongLink", 13, 'L', strlen(name) + 1, NULL);
	data(name, strlen(name) + 1);
}

static void
end(void)
{
	grow(1024);
}

static void
reset(void)
{
	free(tb.p);
	memset(&tb, 0, sizeof(tb));
}

/* Save the archive as DIR/NAME; its SHA-256 in WANT when not NULL. */
static void
save(const char *name, char want[65])
{
	FILE *f = fopen(path(name), "wb");

	ck_assert_ptr_nonnull(f);
	if (tb.n > 0)
		ck_assert_uint_eq(fwrite(tb.p, 1, tb.n, f), tb.n);
	ck_assert_int_eq(fclose(f), 0);
	if (want != NULL) {
		unsigned char md[32];

		ck_assert_int_eq(EVP_Digest(tb.p, tb.n, md, NULL, EVP_sha256(),
		    NULL), 1);
		cust_hex(md, 32, want);
	}
}

static void
open_reader(const char *name)
{
	fd = open(path(name), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cust_reader_new(ctx, fd, "in.tar", &rd), CUST_OK);
}

/* Read every member to its end; CUST_OK at the end of the archive or the
 * first failure.  The members' names go into NAMES (space-separated). */
static int
read_all(char *names, size_t cap)
{
	const struct cust_member *m;
	const void *p;
	ssize_t k;
	int r;

	if (names != NULL)
		names[0] = '\0';
	for (;;) {
		if ((r = cust_reader_next(rd, &m)) != CUST_OK)
			return r;
		if (m == NULL)
			return CUST_OK;
		if (names != NULL) {
			if (names[0] != '\0')
				strncat(names, " ", cap - strlen(names) - 1);
			strncat(names, m->rel, cap - strlen(names) - 1);
		}
		while ((k = cust_reader_data(rd, &p)) > 0)
			;
		if (k < 0)
			return (int)k;
	}
}

/* Open a reader on FD and read it all: the first status not CUST_OK. */
static int
opened(void)
{
	int r;

	cust_reader_free(rd);
	rd = NULL;
	r = cust_reader_new(ctx, fd, "in.tar", &rd);

	return r != CUST_OK ? r : read_all(NULL, 0);
}

/* Build nothing more: save, read, and expect CUST_FAILED with WANT. */
static void
refused(const char *want)
{
	save("in.tar", NULL);
	if (fd >= 0)
		close(fd);
	fd = open(path("in.tar"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(opened(), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
}

/* ---------------------------------------------------------- accepts */

START_TEST(reader_accepts_bundle_like_tar)
{
	static char big[1500];
	const struct cust_member *m;
	const void *p;
	char want[65], got[65];
	unsigned char buf[2048];
	uint64_t bytes;
	size_t n;
	ssize_t k;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	file("EVD-0042/bagit.txt", "BagIt-Version: 1.0\n");
	file("EVD-0042/data/etc/big", big);
	file("EVD-0042/data/é/ü.txt", "umlaut\n");
	file("EVD-0042/data/empty", "");
	end();
	save("in.tar", want);
	open_reader("in.tar");
	ck_assert_ptr_null(cust_reader_bag(rd));

	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->path, "EVD-0042/bagit.txt");
	ck_assert_str_eq(m->rel, "bagit.txt");
	ck_assert_uint_eq(m->size, 19);
	ck_assert_str_eq(cust_reader_bag(rd), "EVD-0042");

	/* The data is read by the caller, in order, without holes. */
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_str_eq(m->rel, "data/etc/big");
	ck_assert_uint_eq(m->size, sizeof(big) - 1);
	n = 0;
	while ((k = cust_reader_data(rd, &p)) > 0) {
		ck_assert_uint_le(n + (size_t)k, sizeof(buf));
		memcpy(buf + n, p, (size_t)k);
		n += (size_t)k;
	}
	ck_assert_int_eq(k, 0);
	ck_assert_uint_eq(n, sizeof(big) - 1);
	ck_assert(memcmp(buf, big, n) == 0);

	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_str_eq(m->path, "EVD-0042/data/é/ü.txt");
	ck_assert_str_eq(m->rel, "data/é/ü.txt");
	/* Data left unread is skipped by the next call. */
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_str_eq(m->rel, "data/empty");
	ck_assert_uint_eq(m->size, 0);
	ck_assert_int_eq(cust_reader_data(rd, &p), 0);
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_ptr_null(m);
	/* The end stays the end. */
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_ptr_null(m);
	cust_reader_digest(rd, got, &bytes);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(bytes, tb.n);
	reset();
}
END_TEST

START_TEST(reader_accepts_zstd)
{
	char names[256];

	file("b/bagit.txt", "x\n");
	file("b/data/a", "alpha\n");
	end();
	save("in.tar", NULL);
	ck_assert_int_eq(sh("zstd -q in.tar -o in.tar.zst"), 0);
	open_reader("in.tar.zst");
	ck_assert_int_eq(read_all(names, sizeof(names)), CUST_OK);
	ck_assert_str_eq(names, "bagit.txt data/a");
	reset();
}
END_TEST

START_TEST(reader_accepts_long_names)
{
	char name[300], names[400];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "b/data/", 7);
	file(name, "x");
	end();
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(names, sizeof(names)), CUST_OK);
	ck_assert_str_eq(names, name + 2);
	reset();
}
END_TEST

/* The ustar name field holds 99 bytes of ASCII; 100 go in a pax path. */
START_TEST(reader_accepts_names_at_the_ustar_boundary)
{
	char n99[100], n100[101], names[256], want[256];

	memset(n99, 'a', 99);
	memcpy(n99, "b/data/", 7);
	n99[99] = '\0';
	memset(n100, 'a', 100);
	memcpy(n100, "b/data/", 7);
	n100[100] = '\0';
	ck_assert_uint_eq(cust_tar_header_len(n99, 99, 1), 512);
	ck_assert_uint_eq(cust_tar_header_len(n100, 100, 1), 3 * 512);
	file(n99, "x");
	file(n100, "y");
	end();
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(names, sizeof(names)), CUST_OK);
	snprintf(want, sizeof(want), "%s %s", n99 + 2, n100 + 2);
	ck_assert_str_eq(names, want);
	reset();
}
END_TEST

/* A size past the ustar field's 8 GiB goes in a pax size record, which
 * the reader takes: through a pipe (no size to bound it), the header is
 * accepted and only the data is found missing. */
START_TEST(reader_takes_a_pax_size_past_8_gib)
{
	const uint64_t big = 0x200000001ULL;
	const struct cust_member *m;
	size_t n = cust_tar_header_len("b/data/big", 10, big);
	int pfd[2];

	ck_assert_uint_eq(n, 3 * 512);
	cust_tar_header(grow(n), "b/data/big", 10, big, 1700000000);
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(pfd[1], tb.p, tb.n), (ssize_t)tb.n);
	close(pfd[1]);
	fd = pfd[0];
	ck_assert_int_eq(cust_reader_new(ctx, fd, "in.tar", &rd), CUST_OK);
	ck_assert_msg(cust_reader_next(rd, &m) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert_uint_eq(m->size, big);
	ck_assert_str_eq(m->rel, "data/big");
	reset();
}
END_TEST

/* A sparse member as collect writes it: the reader gives its content,
 * holes as zeros, and the map's rules are the encoder's. */
START_TEST(reader_expands_a_sparse_member)
{
	const struct cust_region reg[] = { { 4096, 3 }, { 3 << 20, 2 } };
	const uint64_t real = 5 << 20;
	const struct cust_member *m;
	size_t maplen = cust_tar_sparse_map(reg, 2, real, NULL), h;
	uint64_t at = 0, nonzero = 0;
	unsigned char *map;
	const unsigned char *q;
	const void *p;
	ssize_t k;
	char want[65];

	ck_assert_uint_eq(maplen, 512);
	h = cust_tar_sparse_header_len("b/data/s", 8, maplen + 5, real);
	cust_tar_sparse_header(grow(h), "b/data/s", 8, maplen + 5, real,
	    1700000000);
	map = grow(maplen);
	cust_tar_sparse_map(reg, 2, real, map);
	ck_assert_str_eq((char *)map,
	    "3\n4096\n3\n3145728\n2\n5242880\n0\n");
	data("abcde", 5);
	end();
	save("in.tar", want);
	open_reader("in.tar");
	ck_assert_msg(cust_reader_next(rd, &m) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert_uint_eq(m->size, real);
	while ((k = cust_reader_data(rd, &p)) > 0) {
		q = p;
		for (ssize_t i = 0; i < k; i++, at++)
			if (q[i] != 0) {
				ck_assert(at == 4096 || at == 4097 ||
				    at == 4098 || at == (3 << 20) ||
				    at == (3 << 20) + 1);
				nonzero++;
			}
	}
	ck_assert_int_eq(k, 0);
	ck_assert_uint_eq(at, real);
	ck_assert_uint_eq(nonzero, 5);
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_ptr_null(m);
	reset();
}
END_TEST

START_TEST(sparse_map_rules)
{
	const struct cust_region ok[] = { { 0, 10 }, { 2 << 20, 10 } };
	const struct cust_region touch[] = { { 0, 10 }, { 10, 10 } };
	const struct cust_region empty[] = { { 0, 0 } };

	ck_assert_ptr_null(cust_tar_sparse_check(ok, 2, 3 << 20));
	ck_assert_ptr_null(cust_tar_sparse_check(NULL, 0, 1 << 20));
	ck_assert_ptr_nonnull(cust_tar_sparse_check(touch, 2, 2 << 20));
	ck_assert_ptr_nonnull(cust_tar_sparse_check(empty, 1, 2 << 20));
	/* Beyond the size, and holes below 1 MiB. */
	ck_assert_ptr_nonnull(cust_tar_sparse_check(ok, 2, 2 << 20));
	ck_assert_ptr_nonnull(cust_tar_sparse_check(ok, 1, 1 << 20));
	/* Data to the end: no (size, 0) entry. */
	ck_assert_uint_eq(cust_tar_sparse_map(ok, 2, (2 << 20) + 10, NULL),
	    512);
}
END_TEST

START_TEST(reader_refuses_gnu_long_names)
{
	char name[300];

	/* GNU tar reads the 'L' record's name, another reader the ustar
	 * name: two readers, two trees. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "b/data/", 7);
	longname(name);
	file("b/data/short-alias", "x");
	end();
	refused("offset 156: header type 'L' is not allowed (only '0', and "
	    "'x' before it) (custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_zero_padding_after_end)
{
	file("b/x", "x");
	end();
	grow(8192);	/* a 10240-byte record, as tar(1) pads */
	refused("offset 2048: data after the end-of-archive marker "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_reads_what_the_sink_writes)
{
	struct cust_sink *s;
	char sha[65], got[65], names[128];
	uint64_t n, m;
	int out = open(path("sink.tar.zst"), O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);

	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(cust_sink_new(ctx, out, "sink", 3, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, "b/bagit.txt", "x", 1),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_write_member(s, "b/data/é", "y", 1),
	    CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &n), CUST_OK);
	cust_sink_free(s);
	close(out);
	open_reader("sink.tar.zst");
	ck_assert_int_eq(read_all(names, sizeof(names)), CUST_OK);
	ck_assert_str_eq(names, "bagit.txt data/é");
	cust_reader_digest(rd, got, &m);
	ck_assert_str_eq(got, sha);
	ck_assert_uint_eq(m, n);
}
END_TEST

START_TEST(reader_refuses_empty_input)
{
	save("in.tar", NULL);	/* zero bytes */
	fd = open(path("in.tar"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(opened(), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 0: not a custody "
	    "bundle: empty (custody-bundle(5))");
}
END_TEST

/* ---------------------------------------------------------- refuses */

static const struct badname {
	const char	*name;
	const char	*msg;
} badnames[] = {
	{ "/x", "/x: member is not inside one safe top directory" },
	{ "/b/x", "/b/x: member is not inside one safe top directory" },
	{ "../x", "../x: member is not inside one safe top directory" },
	{ "./b/x", "./b/x: member is not inside one safe top directory" },
	{ ".b/x", ".b/x: member is not inside one safe top directory" },
	{ "b c/x", "b c/x: member is not inside one safe top directory" },
	{ "x", "x: member is not inside one safe top directory" },
	{ "b/../x", "b/../x: unsafe member name" },
	{ "b/..", "b/..: unsafe member name" },
	{ "b/./x", "b/./x: unsafe member name" },
	{ "b//x", "b//x: unsafe member name" },
	{ "b/x/../../y", "b/x/../../y: unsafe member name" },
	{ "b/x\ny", "b/x\ny: unsafe member name" },
	{ "b/x\ry", "b/x\ry: unsafe member name" },
	{ "b/\x7f", "b/\x7f: unsafe member name" },
};

START_TEST(reader_refuses_unsafe_name)
{
	const struct badname *b = &badnames[_i];

	file(b->name, "evil\n");
	end();
	refused(b->msg);
	reset();
}
END_TEST

START_TEST(reader_refuses_unsafe_name_after_a_good_one)
{
	const struct badname *b = &badnames[_i];
	char names[64];

	if (strncmp(b->name, "b/", 2) != 0)
		return;		/* the top directory differs anyway */
	file("b/bagit.txt", "ok\n");
	file(b->name, "evil\n");
	end();
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(names, sizeof(names)), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), b->msg);
	ck_assert_str_eq(names, "bagit.txt");
	reset();
}
END_TEST

START_TEST(reader_refuses_a_header_in_another_form)
{
	/* Every field a reader might act on (mode, owner, names) is
	 * predicted: a header written by another tar is not accepted. */
	rawfile("b/bagit.txt", "x");
	end();
	refused("offset 265: header field uname is not canonical "
	    "(custody-bundle(5))");
	reset();
	file("b/bagit.txt", "x");
	rawfile("b/data/a", "y");
	end();
	refused("offset 1289: header field uname is not canonical "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_second_top_directory)
{
	file("b/bagit.txt", "x");
	file("c/data/x", "y");
	end();
	refused("c/data/x: member outside the bundle's top directory");
	reset();
	file("b/bagit.txt", "x");
	file("bb/data/x", "y");
	end();
	refused("bb/data/x: member outside the bundle's top directory");
	reset();
}
END_TEST

START_TEST(reader_refuses_overlong_top_directory)
{
	char name[140];

	memset(name, 'b', 129);
	strcpy(name + 129, "/x");
	longname(name);
	file("b/alias", "x");
	end();
	{
		char want[200];

		(void)want;
		refused("offset 156: header type 'L' is not allowed (only "
		    "'0', and 'x' before it) (custody-bundle(5))");
	}
	reset();
	file(name, "x");
	end();
	{
		char want[200];

		snprintf(want, sizeof(want), "%s: member is not inside one "
		    "safe top directory", name);
		refused(want);
	}
	reset();
}
END_TEST

START_TEST(reader_refuses_pax_path_overriding_safe_name)
{
	/* The ustar name looks fine; the pax record is what counts. */
	pax("path", "b/../../etc/cron.d/x", 20);
	file("b/data/harmless", "* * * * * root id\n");
	end();
	refused("offset 0: the member's headers are not canonical (a pax "
	    "header where none is due, or none where one is) "
	    "(custody-bundle(5))");
	reset();
	file("b/../../etc/cron.d/x", "* * * * * root id\n");
	end();
	refused("b/../../etc/cron.d/x: unsafe member name");
	reset();
}
END_TEST

static const struct badtype {
	char		 type;
	const char	*name;
	const char	*link;
	const char	*msg;
} badtypes[] = {
	{ '2', "b/data/link", "/etc/shadow",
	    "b/data/link: member is not a regular file" },
	{ '1', "b/data/hard", "b/bagit.txt",
	    "b/data/hard: member is not a regular file" },
	{ '5', "b/data/dir", NULL,
	    "b/data/dir: member is not a regular file" },
	{ '3', "b/data/tty", NULL,
	    "b/data/tty: member is not a regular file" },
	{ '4', "b/data/disk", NULL,
	    "b/data/disk: member is not a regular file" },
	{ '6', "b/data/fifo", NULL,
	    "b/data/fifo: member is not a regular file" },
};

START_TEST(reader_refuses_non_regular_member)
{
	const struct badtype *b = &badtypes[_i];

	char want[160];

	file("b/bagit.txt", "x");
	header(b->name, strlen(b->name), b->type, 0, b->link);
	end();
	/* The message names the type; b->msg said it in older words. */
	snprintf(want, sizeof(want), "offset 1180: header type '%c' is not "
	    "allowed (only '0', and 'x' before it) (custody-bundle(5))",
	    b->type);
	(void)b->msg;
	refused(want);
	reset();
}
END_TEST

START_TEST(reader_refuses_pax_symlink)
{
	/* A link target given by pax, on a regular-looking member. */
	pax("linkpath", "/etc/shadow", 11);
	header("b/data/l", 8, '2', 0, NULL);
	end();
	refused("offset 515: pax record 'linkpath' is not allowed "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_sparse_member)
{
	unsigned char *h;
	unsigned sum = 0;

	/* An old GNU sparse file: 512 stored bytes at offset 1024. */
	header("b/data/sparse", 13, 'S', 512, NULL);
	h = tb.p + tb.n - 512;
	memcpy(h + 257, "ustar  ", 8);	/* old GNU magic: sparse maps */
	octal(h + 386, 12, 1024);
	octal(h + 398, 12, 512);
	octal(h + 483, 12, 1536);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	data("x", 1);
	end();
	refused("offset 156: header type 'S' is not allowed (only '0', and "
	    "'x' before it) (custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_non_utf8_name)
{
	const char *msg;

	file("b/data/\xff\xfe.txt", "x");
	end();
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(NULL, 0), CUST_FAILED);
	/* The message names the member, its bad bytes made printable. */
	msg = cust_ctx_error(ctx);
	ck_assert_msg(strstr(msg, "b/data/") != NULL &&
	    strstr(msg, ".txt") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "\xff") == NULL, "%s", msg);
	reset();
}
END_TEST

START_TEST(reader_refuses_non_utf8_pax_name)
{
	const char *msg;

	char *rec = NULL;
	size_t len;

	len = record(&rec, 0, "hdrcharset", "BINARY", 6);
	len = record(&rec, len, "path", "b/data/\xc3\x28", 9);
	paxrec(rec, len);
	free(rec);
	file("b/data/x", "x");
	end();
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(NULL, 0), CUST_FAILED);
	msg = cust_ctx_error(ctx);
	/* Its header is not one collect writes: refused there first. */
	ck_assert_str_eq(msg, "offset 0: header field name is not canonical "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_overlong_name)
{
	size_t n = 70 * 1024;
	char *name = malloc(n + 1);

	ck_assert_ptr_nonnull(name);
	memset(name, 'a', n);
	memcpy(name, "b/data/", 7);
	name[n] = '\0';
	pax("path", name, n);
	file("b/data/x", "x");
	end();
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(NULL, 0), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 124: pax records of "
	    "71692 bytes: more than the longest name allows "
	    "(custody-bundle(5))");
	free(name);
	reset();
}
END_TEST

START_TEST(reader_refuses_other_compression)
{
	file("b/bagit.txt", "x\n");
	end();
	save("in.tar", NULL);
	ck_assert_int_eq(sh("gzip -n -q in.tar"), 0);
	fd = open(path("in.tar.gz"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* Only plain tar and zstd are read. */
	ck_assert_int_eq(opened(), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 0: not a custody "
	    "bundle: neither a ustar tar nor zstd (custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_garbage)
{
	static const char junk[] = "this is not a tar archive at all\n";

	data(junk, sizeof(junk));
	grow(2048);
	refused("offset 0: not a custody bundle: neither a ustar tar nor "
	    "zstd (custody-bundle(5))");
	reset();
}
END_TEST

/* -------------------------------------------------------- truncated */

START_TEST(reader_refuses_archive_cut_in_data)
{
	static char big[4000];
	const struct cust_member *m;
	int pfd[2];
	const void *p;
	ssize_t k;

	memset(big, 'z', sizeof(big) - 1);
	file("b/bagit.txt", "x\n");
	file("b/data/big", big);
	end();
	tb.n = 512 + 512 + 512 + 1000;	/* inside big's data */
	/* Through a pipe: from a regular file, big's size claim would be
	 * refused at its header already, as more than the file holds. */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(pfd[1], tb.p, tb.n), (ssize_t)tb.n);
	close(pfd[1]);
	fd = pfd[0];
	ck_assert_int_eq(cust_reader_new(ctx, fd, "in.tar", &rd), CUST_OK);
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_str_eq(m->rel, "data/big");
	while ((k = cust_reader_data(rd, &p)) > 0)
		;
	ck_assert_int_eq(k, CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 2536: the archive is "
	    "cut short in a member's data (custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_archive_cut_in_header)
{
	file("b/bagit.txt", "x\n");
	file("b/data/a", "y\n");
	end();
	tb.n = 512 + 512 + 300;
	save("in.tar", NULL);
	open_reader("in.tar");
	ck_assert_int_eq(read_all(NULL, 0), CUST_FAILED);
	ck_assert_str_ne(cust_ctx_error(ctx), "");
	reset();
}
END_TEST

START_TEST(reader_refuses_archive_without_end_marker)
{
	file("b/bagit.txt", "x\n");
	file("b/data/a", "y\n");
	save("in.tar", NULL);	/* no end() */
	open_reader("in.tar");
	ck_assert_int_eq(read_all(NULL, 0), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 2048: the archive ends "
	    "without its end-of-archive marker: it was cut short "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_half_end_marker)
{
	file("b/bagit.txt", "x\n");
	grow(512);
	refused("offset 1536: the archive is cut short in its end-of-archive "
	    "marker (custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_missing_end_marker_after_skipped_data)
{
	const struct cust_member *m;

	file("b/bagit.txt", "x\n");
	file("b/data/a", "y\n");
	save("in.tar", NULL);	/* no end() */
	open_reader("in.tar");
	/* A reader that skips the data (custody show does) must notice
	 * too. */
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_OK);
	ck_assert_int_eq(cust_reader_next(rd, &m), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "offset 2048: the archive ends "
	    "without its end-of-archive marker: it was cut short "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_data_after_the_end)
{
	static const char hidden[] = "b/data/hidden";

	file("b/bagit.txt", "x\n");
	end();
	/* A whole second archive after the end marker. */
	file(hidden, "smuggled\n");
	end();
	refused("offset 2048: data after the end-of-archive marker "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_one_byte_after_the_end)
{
	file("b/bagit.txt", "x\n");
	end();
	grow(4096);
	tb.p[tb.n - 1] = 1;
	refused("offset 2048: data after the end-of-archive marker "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

START_TEST(reader_refuses_much_padding_after_the_end)
{
	file("b/bagit.txt", "x\n");
	end();
	grow(2 * 1024 * 1024);
	refused("offset 2048: data after the end-of-archive marker "
	    "(custody-bundle(5))");
	reset();
}
END_TEST

/* ----------------------------------------------------- unreadable */

START_TEST(reader_reports_unreadable_input_as_fatal)
{
	const struct cust_member *m;
	int r;

	fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	r = cust_reader_new(ctx, fd, "dir", &rd);
	if (r == CUST_OK)
		r = cust_reader_next(rd, &m);
	ck_assert_int_eq(r, CUST_FATAL);
	ck_assert_int_eq(cust_ctx_errno(ctx), EISDIR);
	ck_assert_str_eq(cust_ctx_error(ctx), "read: Is a directory");
}
END_TEST

START_TEST(reader_reports_write_only_input_as_fatal)
{
	const struct cust_member *m;
	int r;

	file("b/bagit.txt", "x\n");
	end();
	save("in.tar", NULL);
	fd = open(path("in.tar"), O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	r = cust_reader_new(ctx, fd, "in.tar", &rd);
	if (r == CUST_OK)
		r = cust_reader_next(rd, &m);
	ck_assert_int_eq(r, CUST_FATAL);
	ck_assert_int_eq(cust_ctx_errno(ctx), EBADF);
	reset();
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *ok = tcase_create("accepts");
	TCase *no = tcase_create("refuses");
	TCase *cut = tcase_create("truncated");
	TCase *io = tcase_create("unreadable");

	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_test(ok, reader_accepts_bundle_like_tar);
	tcase_add_test(ok, reader_accepts_zstd);
	tcase_add_test(ok, reader_accepts_long_names);
	tcase_add_test(ok, reader_accepts_names_at_the_ustar_boundary);
	tcase_add_test(ok, reader_takes_a_pax_size_past_8_gib);
	tcase_add_test(ok, reader_expands_a_sparse_member);
	tcase_add_test(ok, sparse_map_rules);
	tcase_add_test(ok, reader_refuses_gnu_long_names);
	tcase_add_test(ok, reader_refuses_zero_padding_after_end);
	tcase_add_test(ok, reader_reads_what_the_sink_writes);
	tcase_add_test(ok, reader_refuses_empty_input);
	suite_add_tcase(s, ok);

	tcase_add_checked_fixture(no, setup, teardown);
	tcase_add_loop_test(no, reader_refuses_unsafe_name, 0,
	    (int)NELEM(badnames));
	tcase_add_loop_test(no, reader_refuses_unsafe_name_after_a_good_one,
	    0, (int)NELEM(badnames));
	tcase_add_test(no, reader_refuses_a_header_in_another_form);
	tcase_add_test(no, reader_refuses_second_top_directory);
	tcase_add_test(no, reader_refuses_overlong_top_directory);
	tcase_add_test(no, reader_refuses_pax_path_overriding_safe_name);
	tcase_add_loop_test(no, reader_refuses_non_regular_member, 0,
	    (int)NELEM(badtypes));
	tcase_add_test(no, reader_refuses_pax_symlink);
	tcase_add_test(no, reader_refuses_sparse_member);
	tcase_add_test(no, reader_refuses_non_utf8_name);
	tcase_add_test(no, reader_refuses_non_utf8_pax_name);
	tcase_add_test(no, reader_refuses_overlong_name);
	tcase_add_test(no, reader_refuses_other_compression);
	tcase_add_test(no, reader_refuses_garbage);
	suite_add_tcase(s, no);

	tcase_add_checked_fixture(cut, setup, teardown);
	tcase_add_test(cut, reader_refuses_archive_cut_in_data);
	tcase_add_test(cut, reader_refuses_archive_cut_in_header);
	tcase_add_test(cut, reader_refuses_archive_without_end_marker);
	tcase_add_test(cut, reader_refuses_half_end_marker);
	tcase_add_test(cut,
	    reader_refuses_missing_end_marker_after_skipped_data);
	tcase_add_test(cut, reader_refuses_data_after_the_end);
	tcase_add_test(cut, reader_refuses_one_byte_after_the_end);
	tcase_add_test(cut, reader_refuses_much_padding_after_the_end);
	suite_add_tcase(s, cut);

	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_test(io, reader_reports_unreadable_input_as_fatal);
	tcase_add_test(io, reader_reports_write_only_input_as_fatal);
	suite_add_tcase(s, io);
	return s;
}

