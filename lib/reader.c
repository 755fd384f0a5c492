/*
 * reader.c: a bundle read as a stream of hostile bytes.  libarchive parses
 * the tar (plain or zstd) and nothing else; every member must be a plain
 * regular file under one top directory with a safe, canonical name.  Any
 * other shape ends the read with a message that names the member.  Nothing
 * is ever written to disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "private.h"

#define IN_BUF		(256 * 1024)
#define NAME_MAX_LEN	(64 * 1024)	/* longest member name accepted */
#define TRAIL_MAX	10240		/* zeros after the end (one tar record) */
#define END_MARKER	1024		/* two zero blocks end a tar */

struct cust_reader {
	struct cust_ctx	*ctx;		/* borrowed */
	char		*name;		/* owned: the bundle, for messages */
	int		 fd;		/* borrowed */
	struct archive	*a;		/* owned */
	struct archive_entry *e;	/* borrowed from a */
	unsigned char	*buf;		/* owned: input buffer */
	EVP_MD_CTX	*md;		/* owned: SHA-256 of the input */
	uint64_t	 in_bytes;
	size_t		 lastn;		/* bytes of the last read() */
	int		 rerr;		/* errno of a failed read() */
	char		*bag;		/* owned: the top directory */
	struct cust_member m;
	uint64_t	 offset;	/* next data offset in the member */
	bool		 done;
};

static la_ssize_t
in(struct archive *a, void *arg, const void **bufp)
{
	struct cust_reader *r = arg;
	ssize_t n;

	do
		n = read(r->fd, r->buf, IN_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->rerr = errno;
		archive_set_error(a, errno, "read");
		return -1;
	}
	EVP_DigestUpdate(r->md, r->buf, (size_t)n);
	r->in_bytes += (uint64_t)n;
	r->lastn = (size_t)n;
	*bufp = r->buf;
	return n;
}

void
cust_reader_free(struct cust_reader *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	EVP_MD_CTX_free(r->md);
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
	return cust_set_error(r->ctx, 0, CUST_FAILED, "%s",
	    archive_error_string(r->a) ? archive_error_string(r->a) :
	    "unreadable archive");
}

int
cust_reader_new(struct cust_ctx *ctx, int fd, const char *name,
    struct cust_reader **rp)
{
	struct cust_reader *r;
	int rc;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "reader");
	r->ctx = ctx;
	r->fd = fd;
	if ((r->name = strdup(name)) == NULL ||
	    (r->buf = malloc(IN_BUF)) == NULL ||
	    (r->a = archive_read_new()) == NULL) {
		rc = cust_set_error(ctx, ENOMEM, CUST_FATAL, "reader");
		goto fail;
	}
	if ((r->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(r->md, EVP_sha256(), NULL) != 1) {
		rc = cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
		goto fail;
	}
	/* tar only (ustar, pax, GNU), and only no filter or zstd. */
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(r->a) != ARCHIVE_OK ||
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
 * anything after it may only be zero padding up to one tar record.  Reading
 * the rest also makes the input hash cover the whole file.
 */
static int
ended(struct cust_reader *r, int64_t before)
{
	int64_t after = archive_filter_bytes(r->a, 0);
	uint64_t extra;
	const void *p;
	la_ssize_t n;
	bool plain = archive_filter_count(r->a) == 1;

	r->done = true;
	if (r->bag != NULL && after - before < END_MARKER)
		return bad(r, NULL, "the archive ends without its "
		    "end-of-archive marker: it was cut short");
	extra = r->in_bytes - (uint64_t)after;
	if (plain && (extra > r->lastn ||
	    !zeros(r->buf + r->lastn - extra, (size_t)extra)))
		return bad(r, NULL, "data after the end of the archive");
	while ((n = in(r->a, r, &p)) > 0)
		if ((extra += (uint64_t)n) > TRAIL_MAX || !zeros(p, (size_t)n))
			return bad(r, NULL, "data after the end of the "
			    "archive");
	if (n < 0)
		return aerr(r);
	if (plain && extra > TRAIL_MAX)
		return bad(r, NULL, "data after the end of the archive");
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

static int
next(struct cust_reader *r, const struct cust_member **mp)
{
	int64_t before = archive_filter_bytes(r->a, 0);
	const char *path;
	int rc;

	rc = archive_read_next_header(r->a, &r->e);
	if (rc == ARCHIVE_EOF)
		return ended(r, before);
	if (rc != ARCHIVE_OK)
		return aerr(r);
	if ((path = archive_entry_pathname_utf8(r->e)) == NULL)
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
	r->m.path = path;
	r->m.rel = path + strlen(r->bag) + 1;
	r->m.size = (uint64_t)archive_entry_size(r->e);
	r->offset = 0;
	*mp = &r->m;
	return CUST_OK;
}

int
cust_reader_next(struct cust_reader *r, const struct cust_member **mp)
{
	locale_t old;
	int rc;

	*mp = NULL;
	if (r->done)
		return CUST_OK;
	old = cust_locale_enter();
	rc = next(r, mp);
	cust_locale_leave(old);
	return rc;
}

ssize_t
cust_reader_data(struct cust_reader *r, const void **bufp)
{
	la_int64_t off;
	size_t n;
	int rc;

	rc = archive_read_data_block(r->a, bufp, &n, &off);
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

void
cust_reader_digest(struct cust_reader *r, char sha256[65], uint64_t *bytes)
{
	unsigned char md[32];

	EVP_DigestFinal_ex(r->md, md, NULL);
	cust_hex(md, sizeof(md), sha256);
	*bytes = r->in_bytes;
}
