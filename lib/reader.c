/*
 * reader.c: a bundle read as a stream of hostile bytes.  libarchive parses
 * the tar (plain or zstd) and nothing else; every member must be a plain
 * regular file under one top directory with a safe, canonical name.  Any
 * other shape ends the read with a message that names the member.  Nothing
 * is ever written to disk.
 *
 * A zstd bundle is decompressed here, not by libarchive, so that the bytes
 * after the tar's end (a second archive, or garbage inside the stream) are
 * seen and refused as they are for a plain tar, and so that the stream's
 * expansion can be bounded while it is read.
 */
#include <sys/stat.h>

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "private.h"

#define IN_BUF		(256 * 1024)
#define NAME_MAX_LEN	(64 * 1024)	/* longest member name accepted */
#define TRAIL_MAX	10240		/* zeros after the end (one tar record) */
#define END_MARKER	1024		/* two zero blocks end a tar */
#define ZSTD_MAGIC	"\x28\xb5\x2f\xfd"
#define WINDOW_LOG	27		/* zstd window: 128 MiB at most */
#define FREE_BYTES	((uint64_t)1 << 30)	/* never a bomb below this */
/* libarchive's warning when it kept a UTF-8 name as it is (see next()). */
#define KEPT_NAME	\
	"Pathname can't be converted from UTF-8 to current locale."

struct cust_reader {
	struct cust_ctx	*ctx;		/* borrowed */
	char		*name;		/* owned: the bundle, for messages */
	int		 fd;		/* borrowed */
	struct archive	*a;		/* owned */
	struct archive_entry *e;	/* borrowed from a */
	unsigned char	*buf;		/* owned: input buffer */
	size_t		 pending;	/* input read, not yet passed on */
	bool		 started;
	ZSTD_DStream	*zs;		/* owned: NULL for a plain tar */
	unsigned char	*zout;		/* owned: decompressed bytes */
	ZSTD_inBuffer	 zin;		/* the input not yet decompressed */
	size_t		 zleft;		/* 0 when a zstd frame is complete */
	bool		 eof;		/* read() said the input ended */
	struct cust_tap	*tap;		/* owned: SHA-256 of the input */
	uint64_t	 in_bytes;	/* input bytes read */
	uint64_t	 in_size;	/* input bytes in all (0: unknown) */
	uint64_t	 out_bytes;	/* tar bytes passed to libarchive */
	uint64_t	 tail_zeros;	/* how many of them end in zeros */
	uint64_t	 ratio;		/* zstd expansion bound (0: none) */
	int		 rerr;		/* errno of a failed read() */
	char		 why[192];	/* why the stream stopped otherwise */
	char		*bag;		/* owned: the top directory */
	struct cust_member m;
	uint64_t	 offset;	/* next data offset in the member */
	bool		 done;
};

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
	return k;
}

static ssize_t __attribute__((format(printf, 2, 3)))
stop(struct cust_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
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
	if (r->pending < 4 || memcmp(r->buf, ZSTD_MAGIC, 4) != 0)
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
	r->zleft = 1;
	return 0;
}

static ssize_t
plain(struct cust_reader *r)
{
	size_t n = r->pending;

	if (n == 0)
		return fill(r, r->buf, IN_BUF);
	r->pending = 0;
	return (ssize_t)n;
}

/* The next decompressed bytes: 0 once every frame is complete and the
 * input has ended; a frame cut short or any byte that is not zstd stops. */
static ssize_t
inflate(struct cust_reader *r)
{
	ZSTD_outBuffer o = { r->zout, IN_BUF, 0 };
	ssize_t k;
	size_t z;

	for (;;) {
		if (r->zin.pos == r->zin.size && !r->eof) {
			if ((k = fill(r, r->buf, IN_BUF)) < 0)
				return -1;
			r->zin.src = r->buf;
			r->zin.size = (size_t)k;
			r->zin.pos = 0;
			r->eof = k == 0;
		}
		if (r->zin.pos == r->zin.size && r->eof && r->zleft == 0)
			return 0;
		z = ZSTD_decompressStream(r->zs, &o, &r->zin);
		if (ZSTD_isError(z))
			return stop(r, "the zstd stream is damaged: %s",
			    ZSTD_getErrorName(z));
		r->zleft = z;
		if (o.pos > 0)
			return (ssize_t)o.pos;
		if (r->zin.pos == r->zin.size && r->eof && z != 0)
			return stop(r, "the zstd stream is cut short");
	}
}

/* A zstd stream may expand RATIO times, and any amount up to FREE_BYTES:
 * past that, hashing a stream of zeros is work the bundle did not pay for. */
static bool
bomb(struct cust_reader *r, size_t n)
{
	uint64_t out = r->out_bytes + n;
	uint64_t used = r->in_bytes - (r->zin.size - r->zin.pos);

	if (r->zs == NULL || r->ratio == 0 || out <= FREE_BYTES ||
	    out / r->ratio <= used)
		return false;
	stop(r, "decompression bomb: the zstd stream expands more than %ju "
	    "times past its first GiB (%ju bytes from %ju); see "
	    "--max-expansion", (uintmax_t)r->ratio, (uintmax_t)out,
	    (uintmax_t)used);
	return true;
}

/* Count the zeros that end what was passed on, for ended(). */
static void
track(struct cust_reader *r, const unsigned char *p, size_t n)
{
	size_t i = n;

	while (i > 0 && p[i - 1] == 0)
		i--;
	r->tail_zeros = i == 0 ? r->tail_zeros + n : n - i;
	r->out_bytes += n;
}

static la_ssize_t
in(struct archive *a, void *arg, const void **bufp)
{
	struct cust_reader *r = arg;
	ssize_t n;

	n = !r->started ? start(r) : 0;
	if (n == 0)
		n = r->zs != NULL ? inflate(r) : plain(r);
	if (n > 0 && bomb(r, (size_t)n))
		n = -1;
	if (n < 0) {
		if (r->rerr != 0)
			archive_set_error(a, r->rerr, "read");
		else
			archive_set_error(a, -1, "%s", r->why);
		return -1;
	}
	*bufp = r->zs != NULL ? r->zout : r->buf;
	track(r, *bufp, (size_t)n);
	return n;
}

void
cust_reader_free(struct cust_reader *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	cust_tap_free(r->tap);
	ZSTD_freeDStream(r->zs);
	free(r->zout);
	free(r->buf);
	free(r->bag);
	free(r->name);
	free(r);
}

/* A damaged or unreadable archive: CUST_FATAL when read() failed. */
static int
aerr(struct cust_reader *r)
{
	if (r->rerr != 0)
		return cust_set_error(r->ctx, r->rerr, CUST_FATAL, "read");
	if (r->why[0] != '\0')
		return cust_set_error(r->ctx, 0, CUST_FAILED, "%s", r->why);
	return cust_set_error(r->ctx, 0, CUST_FAILED, "%s",
	    archive_error_string(r->a) ? archive_error_string(r->a) :
	    "unreadable archive");
}

int
cust_reader_new(struct cust_ctx *ctx, int fd, const char *name,
    struct cust_reader **rp)
{
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
	    (r->a = archive_read_new()) == NULL) {
		rc = cust_set_error(ctx, ENOMEM, CUST_FATAL, "reader");
		goto fail;
	}
	if ((rc = cust_tap_new(ctx, &r->tap)) != CUST_OK)
		goto fail;
	/* tar only (ustar, pax, GNU); zstd is undone by in(). */
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_open(r->a, r, NULL, in, NULL) != ARCHIVE_OK) {
		rc = aerr(r);
		goto fail;
	}
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

static bool
zeros(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/*
 * The archive ended: it must end with its full end-of-archive marker, and
 * anything after it (what libarchive read ahead, and the rest of the
 * stream, decompressed for zstd) may only be zero padding up to one tar
 * record.  Reading the rest also makes the input hash cover the whole file.
 */
static int
ended(struct cust_reader *r, int64_t before)
{
	int64_t after = archive_filter_bytes(r->a, 0);
	uint64_t extra = r->out_bytes - (uint64_t)after;
	const void *p;
	la_ssize_t n;

	r->done = true;
	if (r->bag != NULL && after - before < END_MARKER)
		return bad(r, NULL, "the archive ends without its "
		    "end-of-archive marker: it was cut short");
	if (extra > r->tail_zeros || extra > TRAIL_MAX)
		return bad(r, NULL, "data after the end of the archive");
	while ((n = in(r->a, r, &p)) > 0)
		if ((extra += (uint64_t)n) > TRAIL_MAX || !zeros(p, (size_t)n))
			return bad(r, NULL, "data after the end of the "
			    "archive");
	if (n < 0)
		return aerr(r);
	return CUST_OK;
}

/* A name that is not UTF-8: say which, in the stored-name escape. */
static int
unnamed(struct cust_reader *r)
{
	const char *raw = archive_entry_pathname(r->e);
	char *esc = raw != NULL ? cust_escape(raw, strlen(raw), NULL) : NULL;
	int rc;

	rc = bad(r, esc != NULL ? esc : "(member)", "member name is not "
	    "UTF-8");
	free(esc);
	return rc;
}

static int
check_name(struct cust_reader *r, const char *path)
{
	const char *slash = strchr(path, '/');
	size_t n;

	if (!cust_utf8_valid(path, strlen(path)) ||
	    strlen(path) > NAME_MAX_LEN)
		return bad(r, path, "member name is not UTF-8 or too long");
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

/*
 * Names are read in the "C" locale: in a UTF-8 locale libarchive turns a
 * UTF-8 name into Unicode NFC, so that a name stored in NFD (as macOS
 * writes them) would not match its manifest line, and a name changed from
 * one form to the other would go unseen.  In the "C" locale it cannot
 * convert, keeps the bytes as stored and warns (KEPT_NAME): that warning,
 * and only that one, is not a failure.
 */
static int
next(struct cust_reader *r, const struct cust_member **mp)
{
	int64_t before = archive_filter_bytes(r->a, 0);
	const char *path, *why;
	int rc;

	rc = archive_read_next_header(r->a, &r->e);
	if (rc == ARCHIVE_EOF)
		return ended(r, before);
	if (rc == ARCHIVE_WARN && (why = archive_error_string(r->a)) != NULL &&
	    strcmp(why, KEPT_NAME) == 0)
		rc = ARCHIVE_OK;
	if (rc != ARCHIVE_OK)
		return aerr(r);
	if ((path = archive_entry_pathname(r->e)) == NULL ||
	    !cust_utf8_valid(path, strlen(path)))
		return unnamed(r);
	if ((rc = check_name(r, path)) != CUST_OK)
		return rc;
	if (archive_entry_filetype(r->e) != AE_IFREG ||
	    archive_entry_hardlink(r->e) != NULL ||
	    archive_entry_symlink(r->e) != NULL)
		return bad(r, path, "member is not a regular file");
	if (archive_entry_sparse_count(r->e) > 0 ||
	    !archive_entry_size_is_set(r->e) || archive_entry_size(r->e) < 0)
		return bad(r, path, "member has no plain size");
	if ((uint64_t)archive_entry_size(r->e) > room(r))
		return claims(r, path, (uint64_t)archive_entry_size(r->e));
	r->m.path = path;
	r->m.rel = path + strlen(r->bag) + 1;
	r->m.size = (uint64_t)archive_entry_size(r->e);
	r->offset = 0;
	*mp = &r->m;
	return CUST_OK;
}

static locale_t c_locale;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

static void
c_make(void)
{
	c_locale = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
}

int
cust_reader_next(struct cust_reader *r, const struct cust_member **mp)
{
	locale_t old;
	int rc;

	*mp = NULL;
	if (r->done)
		return CUST_OK;
	pthread_once(&c_once, c_make);
	if (c_locale == (locale_t)0)
		return cust_set_error(r->ctx, ENOMEM, CUST_FATAL, "reader");
	old = uselocale(c_locale);
	rc = next(r, mp);
	uselocale(old);
	return rc;
}

ssize_t
cust_reader_data(struct cust_reader *r, const void **bufp)
{
	la_int64_t off;
	size_t n;
	int rc;

	rc = archive_read_data_block(r->a, bufp, &n, &off);
	if (rc == ARCHIVE_EOF && r->offset != r->m.size)
		return bad(r, r->m.path, "member data is not as long as its "
		    "size");
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK)
		return aerr(r);
	if (off < 0 || (uint64_t)off != r->offset)
		return bad(r, r->m.path, "member data has holes");
	r->offset += n;
	return (ssize_t)n;
}

const char *
cust_reader_bag(const struct cust_reader *r)
{
	return r->bag;
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
