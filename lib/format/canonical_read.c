/*
 * canonical_read.c: a bundle read as a stream of hostile bytes, and accepted
 * only in the canonical form of custody-bundle(5).  This is a strict parser of
 * that one form, not a general tar reader: it takes a member's name and size
 * from its headers, encodes them again as collect would (canonical_tar.c),
 * and compares every header byte; data padding must be zeros; two zero blocks
 * end the archive and nothing follows them.  So every byte of the bundle is
 * either sealed content, checked by verify against the manifests, or a byte
 * this file predicted: no tar reader, GNU tar or bsdtar or another, can find
 * in it a member, a name, a mode or an owner that verify did not see.  The
 * first byte that breaks a rule ends the read, with its offset in the tar
 * stream and the rule.
 *
 * A zstd bundle is decompressed here too, and its framing is canonical as
 * well: standard frames only (no skippable frames, no dictionary), each
 * with its content size and checksum, each but the last holding exactly
 * CUST_PRESS_PIECE bytes, and nothing after the last.  The expansion is
 * bounded while it is read.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "format/format.h"

#define IN_BUF		(256 * 1024)
#define NAME_MAX_LEN	(64 * 1024)	/* longest member name accepted */
#define RECORDS_MAX	(NAME_MAX_LEN + 128)	/* hdrcharset, path, size */
#define ZSTD_MAGIC	0xFD2FB528u
#define ZSTD_SKIP_MASK	0xFFFFFFF0u
#define ZSTD_SKIP	0x184D2A50u
#define FRAME_HEAD_MAX	13		/* magic, descriptor, 8-byte size */
#define WINDOW_LOG	27		/* zstd window: 128 MiB at most */
#define FREE_BYTES	((uint64_t)1 << 30)	/* never a bomb below this */

struct cust_reader {
	struct cust_ctx	*ctx;		/* borrowed */
	char		*name;		/* owned: the bundle, for messages */
	int		 fd;		/* borrowed */
	unsigned char	*buf;		/* owned: input buffer */
	size_t		 pending;	/* input read, not yet passed on */
	bool		 started;
	ZSTD_DStream	*zs;		/* owned: NULL for a plain tar */
	unsigned char	*zout;		/* owned: decompressed bytes */
	ZSTD_inBuffer	 zin;		/* the input not yet decompressed */
	bool		 in_frame;	/* a zstd frame is being decoded */
	uint64_t	 frames;	/* zstd frames begun */
	uint64_t	 frame_size;	/* the current frame's content size */
	bool		 eof;		/* read() said the input ended */
	struct cust_tap	*tap;		/* owned: SHA-256 of the input */
	uint64_t	 in_bytes;	/* input bytes read */
	uint64_t	 in_size;	/* input bytes in all (0: unknown) */
	uint64_t	 out_bytes;	/* tar bytes produced */
	uint64_t	 ratio;		/* expansion bound (0: none): of a zstd
					   stream, and of a sparse member's
					   holes */
	uint64_t	 holes;		/* hole bytes made so far */
	int		 rerr;		/* errno of a failed read() */
	char		 why[256];	/* why the stream stopped otherwise */
	const unsigned char *cur;	/* borrowed: tar bytes not yet used */
	size_t		 avail;
	uint64_t	 pos;		/* tar offset of *cur */
	unsigned char	*hdr;		/* owned: a member's header bytes */
	unsigned char	*want;		/* owned: the same, as predicted */
	char		*path;		/* owned: the current member's name */
	char		*bag;		/* owned: the top directory */
	bool		 have_mtime;
	uint64_t	 mtime;		/* every member's, from the first */
	struct cust_member m;
	uint64_t	 left;		/* content bytes of the member not read */
	uint64_t	 area;		/* bytes of its data area (tar size) */
	bool		 sparse;	/* a sparse member: */
	struct cust_region *reg;	/* owned: its data regions */
	size_t		 nreg;
	size_t		 ri;		/* the region being read or next */
	bool		 in_member;
	bool		 done;
};

/* ------------------------------------------------------------ the input */

/* Read input into P, hashing and counting it: the bytes read, 0 at the
 * end, -1 when read() failed. */
static ssize_t
fill(struct cust_reader *r, unsigned char *p, size_t n)
{
	ssize_t k;

	do
		k = read(r->fd, p, n);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		r->rerr = errno;
		return -1;
	}
	if (cust_tap_write(r->tap, p, (size_t)k) != 0) {
		r->rerr = ENOMEM;
		return -1;
	}
	r->in_bytes += (uint64_t)k;
	r->eof = k == 0;
	return k;
}

static ssize_t __attribute__((format(printf, 2, 3)))
stop(struct cust_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Sniff the first bytes: zstd's magic number, or a plain tar. */
static ssize_t
start(struct cust_reader *r)
{
	ssize_t k = 0;

	r->started = true;
	while (r->pending < 4 && (k = fill(r, r->buf + r->pending,
	    IN_BUF - r->pending)) > 0)
		r->pending += (size_t)k;
	if (k < 0)
		return -1;
	if (r->pending >= 4 && (le32(r->buf) & ZSTD_SKIP_MASK) == ZSTD_SKIP)
		return stop(r, "zstd frame 0, offset 0: a skippable frame is "
		    "not allowed (custody-bundle(5))");
	if (r->pending < 4 || le32(r->buf) != ZSTD_MAGIC)
		return 0;
	if ((r->zs = ZSTD_createDStream()) == NULL ||
	    (r->zout = malloc(IN_BUF)) == NULL)
		return stop(r, "zstd: out of memory");
	if (ZSTD_isError(ZSTD_DCtx_setParameter(r->zs, ZSTD_d_windowLogMax,
	    WINDOW_LOG)))
		return stop(r, "zstd: cannot bound the window");
	r->zin.src = r->buf;
	r->zin.size = r->pending;
	r->zin.pos = 0;
	r->pending = 0;
	return 0;
}

static ssize_t
plain(struct cust_reader *r)
{
	size_t n = r->pending;

	if (n == 0)
		return r->eof ? 0 : fill(r, r->buf, IN_BUF);
	r->pending = 0;
	return (ssize_t)n;
}

/* The compressed offset of the next input byte. */
static uint64_t
zoffset(const struct cust_reader *r)
{
	return r->in_bytes - (r->zin.size - r->zin.pos);
}

/* At least N input bytes ahead of zin.pos, unless the input ends first:
 * what is left is moved to the buffer's start and more is read after it. */
static int
ahead(struct cust_reader *r, size_t n)
{
	size_t have = r->zin.size - r->zin.pos;
	ssize_t k;

	while (have < n && !r->eof) {
		memmove(r->buf, r->buf + r->zin.pos, have);
		r->zin.src = r->buf;
		r->zin.pos = 0;
		r->zin.size = have;
		if ((k = fill(r, r->buf + have, IN_BUF - have)) < 0)
			return -1;
		have += (size_t)k;
		r->zin.size = have;
	}
	return 0;
}

/* The smallest frame content size field zstd writes for SIZE (RFC 8878
 * 3.1.1.1.1 with Single_Segment_flag set): its code and width. */
static unsigned
fcs_code(uint64_t size)
{
	if (size < 256)
		return 0;
	if (size < 65536 + 256)
		return 1;
	if (size <= 0xFFFFFFFFu)
		return 2;
	return 3;
}

/*
 * A frame begins at zin.pos: its header must be the one the press's
 * ZSTD_compress2 writes, and nothing else (no window descriptor, no
 * dictionary, no skippable frame).  The frame before it must have been a
 * full piece.  1 when a frame begins, 0 when the input has ended.
 */
static int
frame(struct cust_reader *r)
{
	static const unsigned width[] = { 1, 2, 4, 8 };
	const unsigned char *p;
	uint64_t at, k = r->frames, fcs = 0;
	unsigned char fhd;
	unsigned code;

	if (ahead(r, FRAME_HEAD_MAX) != 0)
		return -1;
	if (r->zin.pos == r->zin.size)
		return 0;
	p = (const unsigned char *)r->zin.src + r->zin.pos;
	at = zoffset(r);
	if (r->zin.size - r->zin.pos < 6)
		return stop(r, "zstd frame %ju, offset %ju: the zstd stream is "
		    "cut short", (uintmax_t)k, (uintmax_t)at);
	if ((le32(p) & ZSTD_SKIP_MASK) == ZSTD_SKIP)
		return stop(r, "zstd frame %ju, offset %ju: a skippable frame "
		    "is not allowed (custody-bundle(5))", (uintmax_t)k,
		    (uintmax_t)at);
	if (le32(p) != ZSTD_MAGIC)
		return stop(r, "zstd frame %ju, offset %ju: not a zstd frame: "
		    "data after the last frame", (uintmax_t)k, (uintmax_t)at);
	if (k > 0 && r->frame_size != CUST_PRESS_PIECE)
		return stop(r, "zstd frame %ju, offset %ju: frame %ju holds %ju "
		    "bytes; only the last may hold fewer than %u",
		    (uintmax_t)k, (uintmax_t)at, (uintmax_t)(k - 1),
		    (uintmax_t)r->frame_size, CUST_PRESS_PIECE);
	fhd = p[4];
	code = fhd >> 6;
	if ((fhd & 0x3F) != 0x24)	/* single segment, checksum, nothing else */
		return stop(r, "zstd frame %ju, offset %ju: frame header "
		    "descriptor 0x%02x is not canonical (it must have a single "
		    "segment and a checksum, and no dictionary)",
		    (uintmax_t)k, (uintmax_t)(at + 4), fhd);
	if (r->zin.size - r->zin.pos < 5 + width[code])
		return stop(r, "zstd frame %ju, offset %ju: the zstd stream is "
		    "cut short", (uintmax_t)k, (uintmax_t)at);
	for (unsigned i = width[code]; i-- > 0;)
		fcs = fcs << 8 | p[5 + i];
	if (code == 1)
		fcs += 256;
	if (fcs == 0 || fcs > CUST_PRESS_PIECE || fcs_code(fcs) != code)
		return stop(r, "zstd frame %ju, offset %ju: content size %ju is "
		    "not canonical", (uintmax_t)k, (uintmax_t)(at + 5),
		    (uintmax_t)fcs);
	r->frame_size = fcs;
	r->frames++;
	r->in_frame = true;
	return 1;
}

/* The next decompressed bytes: 0 once every frame is complete and the
 * input has ended; a frame cut short or any byte that is not a canonical
 * frame stops. */
static ssize_t
inflate(struct cust_reader *r)
{
	ZSTD_outBuffer o = { r->zout, IN_BUF, 0 };
	ssize_t k;
	size_t z;
	int f;

	for (;;) {
		if (!r->in_frame && (f = frame(r)) <= 0)
			return f;
		if (r->zin.pos == r->zin.size) {
			if (r->eof)
				return stop(r, "zstd frame %ju, offset %ju: the "
				    "zstd stream is cut short",
				    (uintmax_t)(r->frames - 1),
				    (uintmax_t)zoffset(r));
			if ((k = fill(r, r->buf, IN_BUF)) < 0)
				return -1;
			r->zin.src = r->buf;
			r->zin.size = (size_t)k;
			r->zin.pos = 0;
			continue;
		}
		z = ZSTD_decompressStream(r->zs, &o, &r->zin);
		if (ZSTD_isError(z))
			return stop(r, "zstd frame %ju, offset %ju: the zstd "
			    "stream is damaged: %s", (uintmax_t)(r->frames - 1),
			    (uintmax_t)zoffset(r), ZSTD_getErrorName(z));
		if (z == 0)
			r->in_frame = false;
		if (o.pos > 0)
			return (ssize_t)o.pos;
	}
}

/* A zstd stream may expand RATIO times, and any amount up to FREE_BYTES:
 * past that, hashing a stream of zeros is work the bundle did not pay for. */
static bool
bomb(struct cust_reader *r, size_t n)
{
	uint64_t out = r->out_bytes + n;
	uint64_t used = zoffset(r);

	if (r->zs == NULL || r->ratio == 0 || out <= FREE_BYTES ||
	    out / r->ratio <= used)
		return false;
	stop(r, "decompression bomb: the zstd stream expands more than %ju "
	    "times past its first GiB (%ju bytes from %ju); see "
	    "--max-expansion", (uintmax_t)r->ratio, (uintmax_t)out,
	    (uintmax_t)used);
	return true;
}

/* A sparse member's holes are zeros the bundle does not hold: with the
 * tar bytes, they may come to RATIO times the input read, and any amount
 * up to FREE_BYTES, as a zstd stream's may (hashing them is work too). */
static bool
hole_bomb(struct cust_reader *r, uint64_t n)
{
	uint64_t out = r->out_bytes + r->holes + n;
	uint64_t in = r->zs != NULL ? zoffset(r) : r->in_bytes;

	if (r->ratio == 0 || out <= FREE_BYTES || out / r->ratio <= in)
		return false;
	stop(r, "sparse bomb: the holes of sparse members expand the bundle "
	    "more than %ju times past its first GiB (%ju bytes from %ju); see "
	    "--max-expansion", (uintmax_t)r->ratio, (uintmax_t)out,
	    (uintmax_t)in);
	return true;
}

/* The most a sparse member may claim: RATIO times the input, or
 * FREE_BYTES; UINT64_MAX when that is not known (a pipe: then
 * hole_bomb() stops it as its holes are made). */
static uint64_t
hole_room(const struct cust_reader *r)
{
	if (r->in_size == 0 || r->ratio == 0 ||
	    r->in_size > UINT64_MAX / r->ratio)
		return UINT64_MAX;
	return r->in_size * r->ratio > FREE_BYTES ? r->in_size * r->ratio :
	    FREE_BYTES;
}

/* More tar bytes in cur/avail: 1, 0 at the end of the input, -1 when the
 * stream stopped (rerr or why says why). */
static int
more(struct cust_reader *r)
{
	ssize_t n = 0;

	if (r->avail > 0)
		return 1;
	if (!r->started)
		n = start(r);
	if (n == 0)
		n = r->zs != NULL ? inflate(r) : plain(r);
	if (n > 0 && bomb(r, (size_t)n))
		n = -1;
	if (n <= 0)
		return (int)n;
	r->cur = r->zs != NULL ? r->zout : r->buf;
	r->avail = (size_t)n;
	r->out_bytes += (uint64_t)n;
	return 1;
}

static void
used(struct cust_reader *r, size_t n)
{
	r->cur += n;
	r->avail -= n;
	r->pos += n;
}

/* ------------------------------------------------------------- messages */

/* A stream that stopped: CUST_FATAL when read() failed. */
static int
failed(struct cust_reader *r)
{
	if (r->rerr != 0)
		return cust_set_error(r->ctx, r->rerr, CUST_FATAL, "read");
	return cust_set_error(r->ctx, 0, CUST_FAILED, "%s", r->why[0] != '\0' ?
	    r->why : "unreadable bundle");
}

static int
bad(struct cust_reader *r, const char *path, const char *why)
{
	if (path == NULL)
		return cust_set_error(r->ctx, 0, CUST_FAILED, "%s", why);
	/* A hostile name may be huge: keep room for the reason. */
	if (strlen(path) > 256)
		return cust_set_error(r->ctx, 0, CUST_FAILED, "%.256s...: %s",
		    path, why);
	return cust_set_error(r->ctx, 0, CUST_FAILED, "%s: %s", path, why);
}

/* A canonical rule broken at tar offset AT. */
static int __attribute__((format(printf, 3, 4)))
rule(struct cust_reader *r, uint64_t at, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return cust_set_error(r->ctx, 0, CUST_FAILED, "offset %ju: %s "
	    "(custody-bundle(5))", (uintmax_t)at, why);
}

/* The input stopped or ended where N more bytes were due. */
static int
short_of(struct cust_reader *r, int k, const char *where)
{
	if (k < 0)
		return failed(r);
	return rule(r, r->pos, "the archive is cut short %s", where);
}

/* N tar bytes into P; a short read is an error naming WHERE. */
static int
take(struct cust_reader *r, unsigned char *p, size_t n, const char *where)
{
	size_t k;
	int m;

	while (n > 0) {
		if ((m = more(r)) <= 0)
			return short_of(r, m, where);
		k = r->avail < n ? r->avail : n;
		memcpy(p, r->cur, k);
		used(r, k);
		p += k;
		n -= k;
	}
	return CUST_OK;
}

/* -------------------------------------------------------------- names */

static bool
bagchars(const char *s, size_t n)
{
	if (n == 0 || n > 128 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._-", s[i]))
			return false;
	return true;
}

/* No empty, "." or ".." component; no control bytes. */
static bool
safe_rel(const char *s)
{
	const char *p = s, *slash;
	size_t n;

	if (*s == '\0' || *s == '/')
		return false;
	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int
check_name(struct cust_reader *r, const char *path)
{
	const char *slash = strchr(path, '/');
	size_t n;

	if (!cust_utf8_valid(path, strlen(path))) {
		char *esc = cust_escape(path, strlen(path), NULL);
		int rc = bad(r, esc != NULL ? esc : "(member)",
		    "member name is not UTF-8");

		free(esc);
		return rc;
	}
	if (slash == NULL || !bagchars(path, (size_t)(slash - path)))
		return bad(r, path, "member is not inside one safe top "
		    "directory");
	n = (size_t)(slash - path);
	if (r->bag == NULL && (r->bag = strndup(path, n)) == NULL)
		return cust_set_error(r->ctx, ENOMEM, CUST_FATAL, "reader");
	if (strlen(r->bag) != n || memcmp(r->bag, path, n) != 0)
		return bad(r, path, "member outside the bundle's top directory");
	if (!safe_rel(slash + 1))
		return bad(r, path, "unsafe member name");
	return CUST_OK;
}

/* ------------------------------------------------------------ headers */

static int	claims(struct cust_reader *, const char *, uint64_t);
static int	sparse_map(struct cust_reader *, uint64_t realsize);

static bool
zeros(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* An octal field of N bytes as a number, read leniently (the comparison
 * with the canonical encoding judges its form): false when it holds none. */
static bool
octal(const unsigned char *f, size_t n, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return false;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (*v > (UINT64_MAX >> 3))
			return false;
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	}
	return true;
}

/* The most a member can hold: the input's size for a plain tar, what the
 * bound lets it expand to for zstd; UINT64_MAX when that is not known. */
static uint64_t
room(const struct cust_reader *r)
{
	if (r->in_size == 0 || (r->zs != NULL && r->ratio == 0))
		return UINT64_MAX;
	if (r->zs == NULL)
		return r->in_size;
	if (r->in_size > UINT64_MAX / r->ratio)
		return UINT64_MAX;
	return r->in_size * r->ratio > FREE_BYTES ? r->in_size * r->ratio :
	    FREE_BYTES;
}

/* What an 'x' header's records say. */
struct pax {
	bool		 has_size;
	uint64_t	 size;
	bool		 sparse;	/* a GNU.sparse record was met */
	bool		 has_real;
	uint64_t	 realsize;
};

/* The decimal value of the N bytes at P (tar offset AT), read leniently
 * (the comparison with the canonical encoding judges its form). */
static int
decimal(struct cust_reader *r, const unsigned char *p, size_t n, uint64_t at,
    uint64_t *v)
{
	*v = 0;
	for (size_t j = 0; j < n; j++) {
		if (p[j] < '0' || p[j] > '9' || *v > UINT64_MAX / 10 - 1)
			return rule(r, at + j, "malformed pax number");
		*v = *v * 10 + (uint64_t)(p[j] - '0');
	}
	return CUST_OK;
}

/* The name of a `path` or `GNU.sparse.name` record, VLEN bytes at V. */
static int
name_record(struct cust_reader *r, const unsigned char *v, size_t vlen,
    uint64_t at)
{
	free(r->path);
	if ((r->path = malloc(vlen + 1)) == NULL)
		return cust_set_error(r->ctx, ENOMEM, CUST_FATAL, "reader");
	memcpy(r->path, v, vlen);
	r->path[vlen] = '\0';
	if (strlen(r->path) != vlen)
		return rule(r, at, "a pax path holds a NUL byte");
	return CUST_OK;
}

static bool
key_is(const unsigned char *k, size_t n, const char *key)
{
	return n == strlen(key) && memcmp(k, key, n) == 0;
}

/*
 * The pax records of an 'x' header, N bytes at P (tar offset AT): each "LEN
 * KEY=VALUE\n"; only `hdrcharset`, `path`, `size` and the four GNU.sparse
 * records of the 1.0 form are read here, and any other key is refused by
 * name.  Their form and order are judged by the comparison with the
 * canonical encoding.
 */
static int
records(struct cust_reader *r, const unsigned char *p, size_t n, uint64_t at,
    struct pax *x)
{
	size_t i = 0, len, k, eq, klen, vlen;
	const unsigned char *key, *val;
	int rc = CUST_OK;

	while (rc == CUST_OK && i < n) {
		len = 0;
		for (k = i; k < n && p[k] >= '0' && p[k] <= '9' && k - i < 7; k++)
			len = len * 10 + (size_t)(p[k] - '0');
		if (k == i || k >= n || p[k] != ' ' || len <= k - i + 1 ||
		    len > n - i || p[i + len - 1] != '\n')
			return rule(r, at + i, "malformed pax record");
		for (eq = k + 1; eq < i + len - 1 && p[eq] != '='; eq++)
			;
		if (eq == i + len - 1)
			return rule(r, at + i, "malformed pax record");
		key = p + k + 1;
		klen = eq - k - 1;
		val = p + eq + 1;
		vlen = i + len - 1 - (eq + 1);
		if (key_is(key, klen, "path") ||
		    key_is(key, klen, "GNU.sparse.name")) {
			x->sparse |= klen != 4;
			rc = name_record(r, val, vlen, at + eq + 1);
		} else if (key_is(key, klen, "hdrcharset")) {
			/* Its only value is judged by the comparison. */
		} else if (key_is(key, klen, "size")) {
			x->has_size = true;
			rc = decimal(r, val, vlen, at + eq + 1, &x->size);
		} else if (key_is(key, klen, "GNU.sparse.realsize")) {
			x->sparse = x->has_real = true;
			rc = decimal(r, val, vlen, at + eq + 1, &x->realsize);
		} else if (key_is(key, klen, "GNU.sparse.major") ||
		    key_is(key, klen, "GNU.sparse.minor")) {
			x->sparse = true;	/* 1 and 0: by the comparison */
		} else
			return rule(r, at + k + 1, "pax record '%.*s' is not "
			    "allowed", (int)(klen > 40 ? 40 : klen),
			    (const char *)key);
		i += len;
	}
	return rc;
}

/* A header block that is neither a member's nor the end: say which. */
static int
not_member(struct cust_reader *r, const unsigned char *b, uint64_t at)
{
	unsigned char t = b[156];

	if (t >= 0x21 && t <= 0x7e)
		return rule(r, at + 156, "header type '%c' is not allowed (only "
		    "'0', and 'x' before it)", t);
	return rule(r, at + 156, "header type 0x%02x is not allowed (only "
	    "'0', and 'x' before it)", t);
}

/* The end of the archive: B, at AT, was a zero block; the next must be
 * one too, and the stream must end there. */
static int
end(struct cust_reader *r, uint64_t at)
{
	unsigned char b[CUST_TAR_BLOCK];
	int k, rc;

	r->done = true;
	if (r->bag == NULL)
		return rule(r, at, "the archive holds no member");
	if ((rc = take(r, b, sizeof(b), "in its end-of-archive marker")) !=
	    CUST_OK)
		return rc;
	if (!zeros(b, sizeof(b)))
		return rule(r, at + CUST_TAR_BLOCK, "the end-of-archive marker "
		    "is one zero block, not two");
	if ((k = more(r)) < 0)
		return failed(r);
	if (k > 0)
		return rule(r, r->pos, "data after the end-of-archive marker");
	return CUST_OK;
}

/* Whether byte I of a member's N header bytes is a checksum's. */
static bool
checksum(size_t i, size_t n)
{
	size_t b = i < CUST_TAR_BLOCK ? i : i - (n - CUST_TAR_BLOCK);

	return (i < CUST_TAR_BLOCK || i >= n - CUST_TAR_BLOCK) && b >= 148 &&
	    b < 156;
}

/* Compare the N header bytes read at AT with the canonical ones: the
 * first that differs names its rule, the checksums last, so that the
 * message names the field that was changed, not the sum that follows. */
static int
compare(struct cust_reader *r, size_t n, size_t rec, uint64_t at)
{
	size_t i = 0;

	while (i < n && (r->hdr[i] == r->want[i] || checksum(i, n)))
		i++;
	if (i == n)
		for (i = 0; i < n && r->hdr[i] == r->want[i]; i++)
			;
	if (i == n)
		return CUST_OK;
	if (rec > 0 && i >= CUST_TAR_BLOCK && i < n - CUST_TAR_BLOCK)
		return rule(r, at + i, "the pax records are not canonical");
	return rule(r, at + i, "header field %s is not canonical",
	    cust_tar_field(i));
}

/* The longest map: a count and two numbers an entry, each at most 20
 * digits and a newline, padded to a block. */
#define MAP_MAX	(((CUST_SPARSE_REGIONS + 1) * 2 + 1) * 21 + CUST_TAR_BLOCK)

/* The next decimal line of the map in P[*AT..N): false when there is no
 * whole line yet or it is no number (its form is judged by comparison). */
static bool
map_number(const unsigned char *p, size_t n, size_t *at, uint64_t *v)
{
	size_t i = *at;

	*v = 0;
	for (; i < n && p[i] >= '0' && p[i] <= '9' && i - *at < 20; i++)
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	if (i == *at || i >= n || p[i] != '\n')
		return false;
	*at = i + 1;
	return true;
}

/* Parse the map in the N bytes at P into r->reg: 1 when whole, 0 when
 * more blocks are needed, -1 when it is not a map. */
static int
map_parse(struct cust_reader *r, const unsigned char *p, size_t n,
    uint64_t realsize)
{
	uint64_t count, off, len;
	size_t at = 0;

	r->nreg = 0;
	if (!map_number(p, n, &at, &count))
		return n >= 21 ? -1 : 0;
	if (count == 0 || count > CUST_SPARSE_REGIONS + 1)
		return -1;
	for (uint64_t i = 0; i < count; i++) {
		if (!map_number(p, n, &at, &off) ||
		    !map_number(p, n, &at, &len))
			return n - at >= 42 ? -1 : 0;
		/* The last entry (realsize, 0) only marks the size. */
		if (i + 1 == count && len == 0 && off == realsize)
			break;
		r->reg[r->nreg].off = off;
		r->reg[r->nreg++].len = len;
	}
	return 1;
}

/*
 * A sparse member's map, at the start of its data area: read block by
 * block until it is whole, checked (cust_tar_sparse_check), encoded again
 * and compared byte for byte; then the regions must fill the data area.
 */
static int
sparse_map(struct cust_reader *r, uint64_t realsize)
{
	uint64_t at = r->pos, data = 0;
	const char *why = NULL;
	size_t n = 0, len;
	unsigned char *p;
	int k = 0, rc = CUST_OK;

	if (r->reg == NULL && (r->reg = malloc((CUST_SPARSE_REGIONS + 1) *
	    sizeof(*r->reg))) == NULL)
		return cust_set_error(r->ctx, ENOMEM, CUST_FATAL, "reader");
	/* The map read, then as it should be. */
	if ((p = malloc(2 * MAP_MAX)) == NULL)
		return cust_set_error(r->ctx, ENOMEM, CUST_FATAL, "reader");
	while (k == 0 && n + CUST_TAR_BLOCK <= MAP_MAX &&
	    n + CUST_TAR_BLOCK <= r->area) {
		if ((rc = take(r, p + n, CUST_TAR_BLOCK, "in a sparse map")) !=
		    CUST_OK)
			goto out;
		n += CUST_TAR_BLOCK;
		k = map_parse(r, p, n, realsize);
	}
	if (k <= 0)
		why = "not a map of decimal lines";
	else if ((why = cust_tar_sparse_check(r->reg, r->nreg, realsize)) ==
	    NULL) {
		len = cust_tar_sparse_map(r->reg, r->nreg, realsize, p + MAP_MAX);
		if (len != n || memcmp(p, p + MAP_MAX, n) != 0)
			why = "its numbers or padding are not canonical";
	}
	if (why != NULL) {
		rc = rule(r, at, "%s: the sparse map is not canonical: %s",
		    r->m.rel, why);
		goto out;
	}
	for (size_t i = 0; i < r->nreg; i++)
		data += r->reg[i].len;
	if (r->area - n != data) {
		rc = rule(r, at, "%s: the sparse map's regions hold %ju bytes, "
		    "the member %ju", r->m.rel, (uintmax_t)data,
		    (uintmax_t)(r->area - n));
		goto out;
	}
	r->m.size = realsize;
	r->ri = 0;
out:
	free(p);
	return rc;
}

/*
 * One member's headers, from the block B already read at AT: an optional
 * 'x' header with its records, then the ustar header.  The name and size
 * they give are encoded again and every byte compared.
 */
static int
headers(struct cust_reader *r, const unsigned char *b, uint64_t at)
{
	uint64_t size = 0, xsize = 0, mtime = 0;
	size_t n = CUST_TAR_BLOCK, rec = 0, pad, plen, want;
	struct pax x = { 0 };
	unsigned char *u;
	char why[160];
	int rc;

	memcpy(r->hdr, b, CUST_TAR_BLOCK);
	free(r->path);
	r->path = NULL;
	if (at == 0 && memcmp(b + 257, "ustar", 5) != 0)
		return rule(r, 0, "not a custody bundle: neither a ustar tar "
		    "nor zstd");
	if (b[156] == 'x') {
		if (!octal(b + 124, 12, &xsize) || xsize == 0)
			return rule(r, at + 124, "pax header size is not "
			    "canonical");
		if (xsize > RECORDS_MAX)
			return rule(r, at + 124, "pax records of %ju bytes: "
			    "more than the longest name allows",
			    (uintmax_t)xsize);
		rec = (size_t)xsize;
		pad = (rec + CUST_TAR_BLOCK - 1) / CUST_TAR_BLOCK *
		    CUST_TAR_BLOCK;
		if ((rc = take(r, r->hdr + n, pad + CUST_TAR_BLOCK,
		    "in a member's headers")) != CUST_OK)
			return rc;
		if ((rc = records(r, r->hdr + n, rec, at + n, &x)) != CUST_OK)
			return rc;
		n += pad + CUST_TAR_BLOCK;
	} else if (b[156] != '0')
		return not_member(r, b, at);
	u = r->hdr + n - CUST_TAR_BLOCK;
	if (u[156] != '0')
		return not_member(r, u, at + n - CUST_TAR_BLOCK);
	if (x.sparse && !x.has_real)
		return rule(r, at + CUST_TAR_BLOCK, "a sparse member without "
		    "GNU.sparse.realsize");
	if (r->path == NULL &&
	    (r->path = strndup((const char *)u, 100)) == NULL)
		return cust_set_error(r->ctx, ENOMEM, CUST_FATAL, "reader");
	size = x.size;
	if (!x.has_size && !octal(u + 124, 12, &size))
		return rule(r, at + n - CUST_TAR_BLOCK + 124, "header field "
		    "size is not canonical");
	if (!octal(u + 136, 12, &mtime))
		return rule(r, at + n - CUST_TAR_BLOCK + 136, "header field "
		    "mtime is not canonical");
	if (!r->have_mtime) {
		r->mtime = mtime;
		r->have_mtime = true;
	}
	plen = strlen(r->path);
	if (plen > NAME_MAX_LEN)
		return bad(r, NULL, "a member name is too long");
	want = x.sparse ? cust_tar_sparse_header_len(r->path, plen, size,
	    x.realsize) : cust_tar_header_len(r->path, plen, size);
	if (want != n)
		return rule(r, at, "the member's headers are not canonical (a "
		    "pax header where none is due, or none where one is)");
	if (x.sparse)
		cust_tar_sparse_header(r->want, r->path, plen, size,
		    x.realsize, r->mtime);
	else
		cust_tar_header(r->want, r->path, plen, size, r->mtime);
	if ((rc = compare(r, n, rec, at)) != CUST_OK)
		return rc;
	if ((rc = check_name(r, r->path)) != CUST_OK)
		return rc;
	if (size > room(r))
		return claims(r, r->path, size);
	if (x.sparse && x.realsize > hole_room(r)) {
		snprintf(why, sizeof(why), "member claims %ju bytes, more than "
		    "the bundle may expand to (see --max-expansion)",
		    (uintmax_t)x.realsize);
		return bad(r, r->path, why);
	}
	r->m.path = r->path;
	r->m.rel = r->path + strlen(r->bag) + 1;
	r->m.size = size;
	r->area = size;
	r->sparse = x.sparse;
	if (x.sparse)
		return sparse_map(r, x.realsize);
	return CUST_OK;
}

/* A size claimed in a header is refused before any of it is read. */
static int
claims(struct cust_reader *r, const char *path, uint64_t size)
{
	char why[160];

	snprintf(why, sizeof(why), "member claims %ju bytes, more than %s",
	    (uintmax_t)size, r->zs != NULL ? "the bundle may expand to (see "
	    "--max-expansion)" : "the whole bundle holds");
	return bad(r, path, why);
}

/* What the current member still holds, and its padding (zeros). */
static int
skip_rest(struct cust_reader *r)
{
	const void *p;
	ssize_t k;

	while ((k = cust_reader_data(r, &p)) > 0)
		;
	return k < 0 ? (int)k : CUST_OK;
}

static int
next(struct cust_reader *r, const struct cust_member **mp)
{
	unsigned char b[CUST_TAR_BLOCK];
	uint64_t at;
	int rc, k;

	if (r->in_member && (rc = skip_rest(r)) != CUST_OK)
		return rc;
	at = r->pos;
	if ((k = more(r)) <= 0)
		return k < 0 ? failed(r) : rule(r, at, r->bag == NULL ?
		    "not a custody bundle: empty" : "the archive ends without "
		    "its end-of-archive marker: it was cut short");
	if ((rc = take(r, b, sizeof(b), "in a header")) != CUST_OK) {
		if (at == 0 && r->rerr == 0 && r->why[0] == '\0')
			return rule(r, 0, "not a custody bundle: neither a "
			    "ustar tar nor zstd");
		return rc;
	}
	if (zeros(b, sizeof(b)))
		return end(r, at);
	if ((rc = headers(r, b, at)) != CUST_OK)
		return rc;
	r->left = r->m.size;
	r->in_member = true;
	*mp = &r->m;
	return CUST_OK;
}

/* ------------------------------------------------------------- the API */

void
cust_reader_free(struct cust_reader *r)
{
	if (r == NULL)
		return;
	cust_tap_free(r->tap);
	ZSTD_freeDStream(r->zs);
	free(r->zout);
	free(r->buf);
	free(r->hdr);
	free(r->want);
	free(r->path);
	free(r->bag);
	free(r->name);
	free(r->reg);
	free(r);
}

int
cust_reader_new(struct cust_ctx *ctx, int fd, const char *name,
    struct cust_reader **rp)
{
	/* An 'x' header, its records and the ustar header after them. */
	size_t hmax = 2 * CUST_TAR_BLOCK + RECORDS_MAX + CUST_TAR_BLOCK;
	struct cust_reader *r;
	struct stat st;
	off_t at;
	int rc;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "reader");
	r->ctx = ctx;
	r->fd = fd;
	/* A regular file's size bounds what its members may claim. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (at = lseek(fd, 0, SEEK_CUR)) >= 0 && st.st_size > at)
		r->in_size = (uint64_t)(st.st_size - at);
	if ((r->name = strdup(name)) == NULL ||
	    (r->buf = malloc(IN_BUF)) == NULL ||
	    (r->hdr = malloc(hmax)) == NULL ||
	    (r->want = malloc(hmax)) == NULL) {
		rc = cust_set_error(ctx, ENOMEM, CUST_FATAL, "reader");
		goto fail;
	}
	if ((rc = cust_tap_new(ctx, r->in_size, &r->tap)) != CUST_OK)
		goto fail;
	*rp = r;
	return CUST_OK;
fail:
	cust_reader_free(r);
	return rc;
}

void
cust_reader_bound(struct cust_reader *r, uint64_t ratio)
{
	r->ratio = ratio;
}

int
cust_reader_next(struct cust_reader *r, const struct cust_member **mp)
{
	*mp = NULL;
	if (r->done)
		return CUST_OK;
	return next(r, mp);
}

/* The member's padding: zeros up to its last block's end. */
static int
padding(struct cust_reader *r)
{
	unsigned char z[CUST_TAR_BLOCK];
	size_t n = (size_t)((CUST_TAR_BLOCK - r->area % CUST_TAR_BLOCK) %
	    CUST_TAR_BLOCK);
	uint64_t at = r->pos;
	int rc;

	r->in_member = false;
	if (n == 0)
		return CUST_OK;
	if ((rc = take(r, z, n, "in a member's padding")) != CUST_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (z[i] != 0)
			return rule(r, at + i, "%s: the padding after the "
			    "member's data is not zeros", r->m.rel);
	return CUST_OK;
}

/* A sparse member's next content bytes: a data region's from the
 * archive, or a hole's zeros. */
static ssize_t
sparse_data(struct cust_reader *r, const void **bufp)
{
	static const unsigned char hole[64 * 1024];
	uint64_t at = r->m.size - r->left, end, n;
	const struct cust_region *g = r->ri < r->nreg ? &r->reg[r->ri] : NULL;
	int k;

	if (g == NULL || at < g->off) {
		n = (g != NULL ? g->off : r->m.size) - at;
		if (n > sizeof(hole))
			n = sizeof(hole);
		if (hole_bomb(r, n))
			return failed(r);
		r->holes += n;
		*bufp = hole;
	} else {
		if ((k = more(r)) <= 0)
			return short_of(r, k, "in a member's data");
		end = g->off + g->len;
		n = r->avail < end - at ? r->avail : end - at;
		*bufp = r->cur;
		used(r, (size_t)n);
		if (at + n == end)
			r->ri++;
	}
	r->left -= n;
	return (ssize_t)n;
}

ssize_t
cust_reader_data(struct cust_reader *r, const void **bufp)
{
	size_t n;
	int k, rc;

	*bufp = NULL;
	if (!r->in_member)
		return 0;
	if (r->left == 0)
		return (rc = padding(r)) != CUST_OK ? rc : 0;
	if (r->sparse)
		return sparse_data(r, bufp);
	if ((k = more(r)) <= 0)
		return short_of(r, k, "in a member's data");
	n = r->avail < r->left ? r->avail : (size_t)r->left;
	*bufp = r->cur;
	used(r, n);
	r->left -= n;
	return (ssize_t)n;
}

const char *
cust_reader_bag(const struct cust_reader *r)
{
	return r->bag;
}

uint64_t
cust_reader_mtime(const struct cust_reader *r)
{
	return r->mtime;
}

uint64_t
cust_reader_bytes(const struct cust_reader *r)
{
	return r->in_bytes;
}

void
cust_reader_digest(struct cust_reader *r, char sha256[65], uint64_t *bytes)
{
	if (cust_tap_final(r->tap, sha256, NULL) != 0)
		sha256[0] = '\0';
	*bytes = r->in_bytes;
}
