/*
 * fuzz_differential.c: parser agreement (issue 19).  The input is a
 * program of mutations for a real bundle of tests/fuzz/seeds/bundles (a
 * .tar or a .tar.zst, whatever the writer of the day made): its first
 * byte picks the bundle, and each op after it changes the tar stream at
 * the level of headers (a field, with the checksum fixed; a block
 * inserted, removed or duplicated; a pax 'x' or 'g' header, a GNU 'L' or
 * 'K' header inserted), of pax records, of padding, or of bytes.  Each
 * mutant is verified trusting the test key; whenever verify accepts it
 * (authentic, or intact with its origin unverified), GNU tar, bsdtar and
 * cust_extract() must each extract exactly the sealed tree
 * (fuzz_differ()), or the run aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "fuzz.h"

#ifndef FUZZ_BUNDLES
#error "FUZZ_BUNDLES must name the directory of seed bundles"
#endif

#define BLOCK		512
#define MAX_SEEDS	16
#define MAX_NAMES	64
#define MAX_HEADERS	256
#define MAX_OPS		16
#define MAX_MUTANT	(8 << 20)
#define PIECE		(1024 * 1024)	/* a frame, as zstd_writer.c makes */

struct buf {
	unsigned char	*p;		/* owned */
	size_t		 n, cap;
};

/* A seed bundle: its tar stream, its names, the tree it extracts to. */
struct seed {
	struct buf	 tar;
	bool		 zst;
	char		*names[MAX_NAMES];	/* owned, its members' */
	size_t		 nnames;
	unsigned char	 tpl[BLOCK];	/* its first header, a model */
	struct fuzz_tree want;
};

static struct seed seeds[MAX_SEEDS];
static size_t nseeds;

/* The rest of the input, read a piece at a time (zeros when used up). */
struct cur {
	const uint8_t	*p;
	size_t		 n;
};

static unsigned
u8(struct cur *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

static unsigned
u16(struct cur *c)
{
	return u8(c) | u8(c) << 8;
}

static uint32_t
u32(struct cur *c)
{
	return (uint32_t)u16(c) | (uint32_t)u16(c) << 16;
}

/* Up to MAX bytes of the input, their number in *NP (borrowed). */
static const uint8_t *
take(struct cur *c, size_t max, size_t *np)
{
	const uint8_t *p;

	*np = u8(c) % (max + 1);
	if (*np > c->n)
		*np = c->n;
	p = c->p;
	c->p += *np;
	c->n -= *np;
	return p;
}

/* ------------------------------------------------------------ buffers */

static void
reserve(struct buf *b, size_t n)
{
	unsigned char *q;

	if (b->n + n <= b->cap)
		return;
	b->cap = (b->n + n) * 2;
	if ((q = realloc(b->p, b->cap)) == NULL)
		fuzz_fail("out of memory");
	b->p = q;
}

static void
insert(struct buf *b, size_t at, const void *p, size_t n)
{
	/* Nothing to add: B may still be empty, its pointer NULL. */
	if (n == 0)
		return;
	reserve(b, n);
	memmove(b->p + at + n, b->p + at, b->n - at);
	memcpy(b->p + at, p, n);
	b->n += n;
}

static void
erase(struct buf *b, size_t at, size_t n)
{
	/* Nothing to take: B may be empty, its pointer NULL. */
	if (n == 0)
		return;
	memmove(b->p + at, b->p + at + n, b->n - at - n);
	b->n -= n;
}

static size_t
padded(size_t n)
{
	return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* ------------------------------------------------------------ headers */

/* A header's size field, read leniently (octal, or base-256). */
static uint64_t
hsize(const unsigned char *h)
{
	uint64_t v = 0;

	if (h[124] & 0x80) {
		for (int i = 1; i < 12; i++)
			v = v << 8 | h[124 + i];
		return v;
	}
	for (int i = 0; i < 12; i++)
		if (h[124 + i] >= '0' && h[124 + i] <= '7')
			v = v * 8 + (uint64_t)(h[124 + i] - '0');
		else if (v > 0 || (h[124 + i] != ' ' && h[124 + i] != '0'))
			break;
	return v;
}

/* V in octal, right-aligned with zeros, in a field of WIDTH bytes (any
 * field: the name's 100 as well as the size's 12), and a NUL. */
static void
setoctal(unsigned char *f, size_t width, uint64_t v)
{
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		f[i] = (unsigned char)('0' + (v & 7));
	f[width - 1] = '\0';
}

/* Give the header at H a valid checksum, written as custody writes it. */
static void
fixsum(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	setoctal(h + 148, 7, sum);
	h[155] = ' ';
}

static bool
zeroblock(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i] != 0)
			return false;
	return true;
}

/* The offsets of the headers of B (its end-of-archive marker last, when
 * there is one), their number returned. */
static size_t
headers(const struct buf *b, size_t *v, size_t max)
{
	size_t off = 0, n = 0;
	uint64_t size;

	while (off + BLOCK <= b->n && n < max) {
		v[n++] = off;
		if (zeroblock(b->p + off))
			break;
		size = hsize(b->p + off);
		if (size > b->n)
			break;
		off += BLOCK + padded((size_t)size);
	}
	return n;
}

/* A header like the seed's first, for NAME of SIZE bytes, of type TYPE. */
static void
mkheader(const struct seed *s, unsigned char *h, const char *name,
    size_t size, char type)
{
	memcpy(h, s->tpl, BLOCK);
	memset(h, 0, 100);
	memcpy(h, name, strnlen(name, 100));
	memset(h + 345, 0, 155);
	setoctal(h + 124, 12, size);
	h[156] = (unsigned char)type;
	fixsum(h);
}

/* Insert at AT a header of TYPE holding BODY (N bytes), padded. */
static void
addheader(struct buf *b, const struct seed *s, size_t at, char type,
    const char *name, const void *body, size_t n)
{
	unsigned char h[BLOCK];
	struct buf t = { NULL, 0, 0 };

	mkheader(s, h, name, n, type);
	insert(&t, 0, h, BLOCK);
	insert(&t, t.n, body, n);
	reserve(&t, padded(n) - n);
	memset(t.p + t.n, 0, padded(n) - n);
	t.n += padded(n) - n;
	insert(b, at, t.p, t.n);
	free(t.p);
}

/* ------------------------------------------------------------ records */

static const char *const keys[] = { "path", "linkpath", "size", "mtime",
    "atime", "ctime", "uid", "gid", "uname", "gname", "comment", "charset",
    "hdrcharset", "SCHILY.xattr.user.a", "LIBARCHIVE.xattr.user.a",
    "SCHILY.fflags", "GNU.sparse.major", "GNU.sparse.minor",
    "GNU.sparse.name", "GNU.sparse.realsize", "GNU.sparse.size",
    "GNU.sparse.map", "SCHILY.devmajor", "SCHILY.realsize" };
static const char *const numbers[] = { "0", "1", "7", "512", "1024", "-1",
    "99999999999", "1.5", "", "0x10" };

/* A value for a record or a field: a member's name, a number or bytes of
 * the input, in V (at most LEN - 1 bytes and a NUL); its length. */
static size_t
value(const struct seed *s, struct cur *c, char *v, size_t len)
{
	const uint8_t *p;
	size_t n;

	switch (u8(c) % 3) {
	case 0:
		snprintf(v, len, "%s", s->names[u8(c) % s->nnames]);
		break;
	case 1:
		snprintf(v, len, "%s", numbers[u8(c) % (sizeof(numbers) /
		    sizeof(numbers[0]))]);
		break;
	default:
		p = take(c, len - 1, &n);
		memcpy(v, p, n);
		v[n] = '\0';
		return n;
	}
	return strlen(v);
}

/* One pax record "LEN KEY=VALUE\n" appended to B; LEN counts itself. */
static void
record(struct buf *b, const char *key, const char *v, size_t vn)
{
	size_t body = 1 + strlen(key) + 1 + vn + 1, n = body + 1;
	char len[24];

	while ((size_t)snprintf(len, sizeof(len), "%zu", n) + body != n)
		n++;
	insert(b, b->n, len, strlen(len));
	insert(b, b->n, " ", 1);
	insert(b, b->n, key, strlen(key));
	insert(b, b->n, "=", 1);
	insert(b, b->n, v, vn);
	insert(b, b->n, "\n", 1);
}

static void
records(const struct seed *s, struct cur *c, struct buf *body)
{
	char v[512];
	size_t n, k = 1 + u8(c) % 3;

	while (k-- > 0) {
		n = value(s, c, v, sizeof(v));
		record(body, keys[u8(c) % (sizeof(keys) / sizeof(keys[0]))], v,
		    n);
	}
}

/* ------------------------------------------------------------ the ops */

struct mutant {
	struct buf	 b;
	const struct seed *s;
	size_t		 h[MAX_HEADERS];	/* header offsets, redone */
	size_t		 nh;
};

static size_t
pickheader(struct mutant *m, struct cur *c)
{
	return m->h[u8(c) % m->nh];
}

static const struct {
	size_t	off, len;
} fields[] = {
	{ 0, 100 }, { 100, 8 }, { 108, 8 }, { 116, 8 }, { 124, 12 },
	{ 136, 12 }, { 148, 8 }, { 156, 1 }, { 157, 100 }, { 257, 6 },
	{ 263, 2 }, { 265, 32 }, { 297, 32 }, { 329, 8 }, { 337, 8 },
	{ 345, 155 }, { 500, 12 },
};
static const char *const fieldvals[] = { "0004755", "0000000", "0001750",
    "7777777", "", " ", "ustar  ", "ustar", "00", "x", "g", "L", "K", "A",
    "5", "1", "2", "root", "00000000000", "77777777777", "\x80" };

/* A field of a header changed, its checksum fixed unless FLAGS say. */
static void
op_field(struct mutant *m, struct cur *c, unsigned flags)
{
	unsigned char *h = m->b.p + pickheader(m, c);
	size_t f = u8(c) % (sizeof(fields) / sizeof(fields[0]));
	unsigned char *p = h + fields[f].off;
	size_t len = fields[f].len, n;
	const uint8_t *q;
	const char *v;

	switch (u8(c) % 4) {
	case 0:
		v = fieldvals[u8(c) % (sizeof(fieldvals) /
		    sizeof(fieldvals[0]))];
		memset(p, 0, len);
		memcpy(p, v, strlen(v) < len ? strlen(v) : len);
		break;
	case 1:
		q = take(c, len, &n);
		memset(p, 0, len);
		memcpy(p, q, n);
		break;
	case 2:
		p[u8(c) % len] ^= (unsigned char)(u8(c) | 1);
		break;
	default:
		if (len > 1)
			setoctal(p, len, u32(c));
	}
	if (!(flags & 1))
		fixsum(h);
}

/* A block inserted: zeros, a copy of another block, or input bytes. */
static void
op_insert(struct mutant *m, struct cur *c)
{
	size_t nb = m->b.n / BLOCK, at = u16(c) % (nb + 1) * BLOCK, n;
	unsigned char blk[BLOCK];
	const uint8_t *q;

	memset(blk, 0, BLOCK);
	switch (u8(c) % 3) {
	case 0:
		break;
	case 1:
		if (nb > 0)
			memcpy(blk, m->b.p + u16(c) % nb * BLOCK, BLOCK);
		break;
	default:
		q = take(c, 255, &n);
		memcpy(blk, q, n);
	}
	insert(&m->b, at, blk, BLOCK);
}

static void
op_remove(struct mutant *m, struct cur *c)
{
	size_t nb = m->b.n / BLOCK;

	if (nb > 0)
		erase(&m->b, u16(c) % nb * BLOCK, BLOCK);
}

/* A member (its header and data) copied before another header. */
static void
op_dup(struct mutant *m, struct cur *c)
{
	size_t from = pickheader(m, c), to = pickheader(m, c), n;
	unsigned char *copy;

	n = BLOCK + padded((size_t)hsize(m->b.p + from));
	if (from + n > m->b.n)
		return;
	if ((copy = malloc(n)) == NULL)
		fuzz_fail("out of memory");
	memcpy(copy, m->b.p + from, n);
	insert(&m->b, to, copy, n);
	free(copy);
}

/* A pax header ('x', 'g' or Solaris 'X') with records, before a header. */
static void
op_pax(struct mutant *m, struct cur *c)
{
	static const char types[] = "xgxX";
	struct buf body = { NULL, 0, 0 };
	size_t at = pickheader(m, c);
	char type = types[u8(c) % 4];

	records(m->s, c, &body);
	addheader(&m->b, m->s, at, type, "PaxHeader", body.p, body.n);
	free(body.p);
}

/* A GNU long name ('L') or long link ('K') header before a header. */
static void
op_long(struct mutant *m, struct cur *c)
{
	size_t at = pickheader(m, c), n;
	char type = u8(c) % 2 ? 'K' : 'L', v[512];

	n = value(m->s, c, v, sizeof(v));
	addheader(&m->b, m->s, at, type, "././@LongLink", v, n + 1);
}

/* Two names for one member, before a header: a GNU 'L' (or 'K') header
 * and a pax path= (or linkpath=) record, in either order. */
static void
op_names(struct mutant *m, struct cur *c)
{
	struct buf body = { NULL, 0, 0 };
	size_t at = pickheader(m, c), n;
	unsigned how = u8(c);
	char v[512];

	n = value(m->s, c, v, sizeof(v));
	addheader(&m->b, m->s, at, how & 1 ? 'K' : 'L', "././@LongLink", v,
	    n + 1);
	n = value(m->s, c, v, sizeof(v));
	record(&body, how & 1 ? "linkpath" : "path", v, n);
	/* After the long name's header and body, or before them. */
	if (how & 2)
		at += BLOCK + padded((size_t)hsize(m->b.p + at));
	addheader(&m->b, m->s, at, 'x', "PaxHeader", body.p, body.n);
	free(body.p);
}

/* The body of the extension header at H becomes BODY. */
static void
rebody(struct mutant *m, size_t h, const struct buf *body)
{
	size_t old = padded((size_t)hsize(m->b.p + h)), pad;
	static const unsigned char zeros[BLOCK];

	if (h + BLOCK + old > m->b.n)
		return;
	erase(&m->b, h + BLOCK, old);
	pad = padded(body->n) - body->n;
	insert(&m->b, h + BLOCK, zeros, pad);
	insert(&m->b, h + BLOCK, body->p, body->n);
	setoctal(m->b.p + h + 124, 12, body->n);
	fixsum(m->b.p + h);
}

/* The records of an existing 'x' or 'g' header: one added before or
 * after the others, the first one's length changed, or the body cut. */
static void
op_record(struct mutant *m, struct cur *c)
{
	struct buf body = { NULL, 0, 0 }, more = { NULL, 0, 0 };
	size_t h = pickheader(m, c), n, cut;
	unsigned char *p = m->b.p + h;
	char num[24];

	if ((p[156] != 'x' && p[156] != 'g') ||
	    (n = (size_t)hsize(p)) > m->b.n - h - BLOCK)
		return;
	insert(&body, 0, p + BLOCK, n);
	switch (u8(c) % 4) {
	case 0:
		records(m->s, c, &body);
		break;
	case 1:
		records(m->s, c, &more);
		insert(&body, 0, more.p, more.n);
		break;
	case 2:
		for (cut = 0; cut < body.n && body.p[cut] >= '0' &&
		    body.p[cut] <= '9'; cut++)
			;
		erase(&body, 0, cut);
		snprintf(num, sizeof(num), "%s", numbers[u8(c) % 5]);
		insert(&body, 0, num, strlen(num));
		break;
	default:
		cut = u8(c) % (body.n + 1);
		body.n -= cut;
	}
	rebody(m, h, &body);
	free(body.p);
	free(more.p);
}

/* A non-zero byte in a member's data padding, or in a header's pad. */
static void
op_padding(struct mutant *m, struct cur *c)
{
	size_t h = pickheader(m, c), size = (size_t)hsize(m->b.p + h);
	size_t pad = padded(size) - size;

	if (pad > 0 && h + BLOCK + padded(size) <= m->b.n)
		m->b.p[h + BLOCK + size + u8(c) % pad] = (unsigned char)(u8(c) |
		    1);
	else {
		m->b.p[h + 500 + u8(c) % 12] = (unsigned char)(u8(c) | 1);
		fixsum(m->b.p + h);
	}
}

static void
op_flip(struct mutant *m, struct cur *c)
{
	if (m->b.n > 0)
		m->b.p[u32(c) % m->b.n] ^= (unsigned char)(u8(c) | 1);
}

/* After the end: zero blocks, input bytes, or a copy of a member. */
static void
op_trail(struct mutant *m, struct cur *c)
{
	static const unsigned char zeros[BLOCK];
	const uint8_t *q;
	size_t n, h;

	switch (u8(c) % 3) {
	case 0:
		insert(&m->b, m->b.n, zeros, BLOCK);
		break;
	case 1:
		q = take(c, 255, &n);
		insert(&m->b, m->b.n, q, n);
		break;
	default:
		h = pickheader(m, c);
		n = BLOCK + padded((size_t)hsize(m->b.p + h));
		if (h + n <= m->b.n) {
			reserve(&m->b, n);
			insert(&m->b, m->b.n, m->b.p + h, n);
		}
	}
}

typedef void opfn(struct mutant *, struct cur *);
static opfn *const ops[] = { op_insert, op_remove, op_dup, op_pax,
    op_long, op_names, op_record, op_padding, op_flip, op_trail };
#define NOPS	(sizeof(ops) / sizeof(ops[0]) + 1)	/* and op_field */

static void
mutate(struct mutant *m, struct cur *c)
{
	unsigned op;

	for (int i = 0; i < MAX_OPS && c->n > 0 && m->b.n < MAX_MUTANT; i++) {
		if ((m->nh = headers(&m->b, m->h, MAX_HEADERS)) == 0)
			return;
		op = u8(c);
		if (op % NOPS == 0)
			op_field(m, c, op / NOPS);
		else
			ops[op % NOPS - 1](m, c);
	}
}

/* ------------------------------------------------------------ seeds */

static void
unzstd(const unsigned char *p, size_t n, struct buf *out)
{
	ZSTD_inBuffer in = { p, n, 0 };
	ZSTD_outBuffer o;
	ZSTD_DCtx *d;
	size_t r;

	if ((d = ZSTD_createDCtx()) == NULL)
		fuzz_fail("out of memory");
	do {
		reserve(out, 1 << 20);
		o = (ZSTD_outBuffer){ out->p + out->n, out->cap - out->n, 0 };
		r = ZSTD_decompressStream(d, &o, &in);
		if (ZSTD_isError(r))
			fuzz_fail("seed: zstd: %s", ZSTD_getErrorName(r));
		out->n += o.pos;
	} while (in.pos < in.size || o.pos == o.size);
	ZSTD_freeDCtx(d);
}

/* The tar stream T compressed in frames of 1 MiB, as custody does. */
static void
enzstd(const struct buf *t, struct buf *out)
{
	ZSTD_CCtx *z;
	size_t k, piece;

	if ((z = ZSTD_createCCtx()) == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel,
	    1)) || ZSTD_isError(ZSTD_CCtx_setParameter(z,
	    ZSTD_c_checksumFlag, 1)))
		fuzz_fail("zstd context");
	for (size_t at = 0; at < t->n || at == 0; at += piece) {
		piece = t->n - at < PIECE ? t->n - at : PIECE;
		reserve(out, ZSTD_compressBound(piece));
		k = ZSTD_compress2(z, out->p + out->n, out->cap - out->n,
		    t->p + at, piece);
		if (ZSTD_isError(k))
			fuzz_fail("zstd: %s", ZSTD_getErrorName(k));
		out->n += k;
		if (piece == 0)
			break;
	}
	ZSTD_freeCCtx(z);
}

static void
slurp(const char *path, struct buf *b)
{
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fuzz_fail("%s: %s", path, strerror(errno));
	do {
		reserve(b, 65536);
		if ((r = read(fd, b->p + b->n, b->cap - b->n)) == -1)
			fuzz_fail("%s: %s", path, strerror(errno));
		b->n += (size_t)r;
	} while (r > 0);
	close(fd);
}

/* The names of the seed's members, from its headers and pax paths. */
static void
names(struct seed *s)
{
	size_t h[MAX_HEADERS], n = headers(&s->tar, h, MAX_HEADERS);
	const unsigned char *p;
	char name[101];

	for (size_t i = 0; i < n && s->nnames < MAX_NAMES; i++) {
		p = s->tar.p + h[i];
		if (zeroblock(p) || p[156] == 'x' || p[156] == 'g')
			continue;
		memcpy(name, p, 100);
		name[100] = '\0';
		if ((s->names[s->nnames++] = strdup(name)) == NULL)
			fuzz_fail("out of memory");
	}
	if (s->nnames == 0)
		fuzz_fail("seed without members");
	memcpy(s->tpl, s->tar.p, BLOCK);
}

static void
addseed(const char *path)
{
	struct seed *s = &seeds[nseeds];
	struct buf raw = { NULL, 0, 0 };

	slurp(path, &raw);
	s->zst = raw.n >= 4 && memcmp(raw.p, "\x28\xb5\x2f\xfd", 4) == 0;
	if (s->zst)
		unzstd(raw.p, raw.n, &s->tar);
	else
		insert(&s->tar, 0, raw.p, raw.n);
	if (s->tar.n < BLOCK)
		fuzz_fail("%s: not a bundle", path);
	names(s);
	fuzz_tree_of(raw.p, raw.n, s->zst, &s->want);
	free(raw.p);
	nseeds++;
}

static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
loadseeds(void)
{
	struct dirent **v;
	char path[4096];
	int n;

	if ((n = scandir(FUZZ_BUNDLES, &v, visible, alphasort)) == -1)
		fuzz_fail("%s: %s", FUZZ_BUNDLES, strerror(errno));
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", FUZZ_BUNDLES,
		    v[i]->d_name);
		if (nseeds < MAX_SEEDS)
			addseed(path);
		free(v[i]);
	}
	free(v);
	if (nseeds == 0)
		fuzz_fail("no bundle in %s", FUZZ_BUNDLES);
}

/* ------------------------------------------------------------ the run */

/* Verify trusting the test key: true when the bundle is accepted. */
static bool
accepted(const void *p, size_t n)
{
	const struct cust_key *k[1] = { fuzz_key() };
	struct cust_verify_opts o = { .keys = k, .nkeys = 1, .name = "fuzz",
	    .log_fd = -1 };
	struct cust_report *rep;
	bool ok;

	o.fd = fuzz_memfd(p, n);
	if (cust_verify(fuzz_ctx(), &o, &rep) != CUST_OK)
		fuzz_fail("cust_verify: %s", cust_ctx_error(fuzz_ctx()));
	close(o.fd);
	ok = rep->verdict == CUST_AUTHENTIC || rep->verdict == CUST_UNVERIFIED;
	cust_report_free(rep);
	cust_ctx_clear(fuzz_ctx());
	return ok;
}

/*
 * With FUZZ_DIFFERENTIAL_SKIP set to typeflags ("g", "gL"), a mutant with
 * a header of one of them is not tried: a campaign can look past a class
 * of bug it has found already, while it is being fixed.
 */
static bool
skipped(struct mutant *m)
{
	const char *skip = getenv("FUZZ_DIFFERENTIAL_SKIP");

	if (skip == NULL || skip[0] == '\0')
		return false;
	m->nh = headers(&m->b, m->h, MAX_HEADERS);
	for (size_t i = 0; i < m->nh; i++)
		if (m->b.p[m->h[i] + 156] != '\0' &&
		    strchr(skip, m->b.p[m->h[i] + 156]) != NULL)
			return true;
	return false;
}

/* With FUZZ_DIFFERENTIAL_OUT set, the mutant is written there too: to
 * see what an input makes of its bundle. */
static void
dump(const struct buf *b)
{
	const char *path = getenv("FUZZ_DIFFERENTIAL_OUT");
	int fd;

	if (path == NULL)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || write(fd, b->p, b->n) != (ssize_t)b->n)
		fuzz_fail("%s: %s", path, strerror(errno));
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cur c = { data, size };
	struct mutant m = { { NULL, 0, 0 }, NULL, { 0 }, 0 };
	struct buf z = { NULL, 0, 0 };
	const struct buf *out = &m.b;

	if (nseeds == 0)
		loadseeds();
	m.s = &seeds[u8(&c) % nseeds];
	insert(&m.b, 0, m.s->tar.p, m.s->tar.n);
	mutate(&m, &c);
	if (skipped(&m))
		goto out;
	if (m.s->zst) {
		enzstd(&m.b, &z);
		out = &z;
	}
	dump(out);
	if (accepted(out->p, out->n))
		fuzz_differ(out->p, out->n, m.s->zst, &m.s->want);
out:
	free(m.b.p);
	free(z.p);
	return 0;
}
