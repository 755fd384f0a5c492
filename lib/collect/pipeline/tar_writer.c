/*
 * tar_writer.c: the bundle's byte stream.  The canonical tar of
 * custody-bundle(5) (canonical_tar.c encodes each header), optionally through
 * zstd, to a file descriptor (a file or a pipe); every byte that leaves is
 * also hashed as it leaves, so the bundle's SHA-256 is known the moment it is
 * closed, without reading it back.  The tar is ours, not libarchive's: its
 * bytes are what verify predicts, byte for byte, and no library's version or
 * defaults may change them.  During a collection the writer thread
 * (archiver.c) does this, beside the hashing of the payload.
 *
 * A bundle written to a file is fsync'ed before collect says it is sealed.
 * Left alone, the kernel would hold the whole bundle as dirty pages until
 * then (its background writeback starts at a tenth of memory), and the
 * fsync would wait for all of it, after every other piece of work is done.
 * So the sink asks for writeback of every MiB as it goes, and the disk
 * works while we hash; the host also never holds much of our output dirty.
 * Every 32 MiB it asks for an fdatasync instead, which empties the disk's
 * cache.  The flusher (syncer.c) does both on a thread of its own, so the
 * writing thread never waits for the disk, and the last fsync is short.
 *
 * zstd is ours too (zstd_writer.c): the press cuts the stream into frames of
 * 1 MiB that its workers compress side by side, and a thread of its own
 * emits them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "collect/pipeline/pipeline.h"

struct cust_sink {
	struct cust_ctx	*ctx;		/* borrowed */
	char		*name;		/* owned: output name for messages */
	int		 fd;		/* borrowed */
	unsigned char	*buf;		/* owned: BLOCK bytes not yet handed on */
	size_t		 len;
	unsigned char	*hdr;		/* owned: a member's headers */
	size_t		 hdrcap;
	uint64_t	 mtime;		/* every member's (canonical_tar.c) */
	uint64_t	 left;		/* bytes the current member still owes */
	uint64_t	 size;		/* the current member's size */
	bool		 in_member;
	EVP_MD_CTX	*md;		/* owned: SHA-256 of the output */
	struct cust_press *press;	/* owned; NULL: no compression.
					   With it, emit runs on its thread */
	uint64_t	 bytes;		/* bytes that reached fd */
	uint64_t	 pushed;	/* bytes when writeback was last started */
	uint64_t	 flushed;	/* bytes when a flush was last asked for */
	struct cust_flusher *flusher;	/* owned; NULL unless fd is a file */
	struct cust_envelope *env;	/* owned; NULL: the bytes leave in
					   clear.  Used by emit's thread */
	int		 werr;		/* errno of the first failed write */
	bool		 file;		/* fd is a regular file */
	bool		 open;
};

#define BLOCK		(64 * 1024)		/* tar bytes handed on at once */
#define WRITEBACK	(1024 * 1024)		/* start writeback this often */
#define FLUSH		(32 * 1024 * 1024)	/* ask for an fdatasync this often */

/* Start writing the dirty pages of a regular file out, and now and then
 * flushing them, without waiting.  Starting is advisory (the final fsync
 * decides), but a flush that failed fails the bundle: 0, or an errno. */
static int
writeback(struct cust_sink *s)
{
	if (!s->file || s->bytes - s->pushed < WRITEBACK)
		return 0;
	s->pushed = s->bytes;
	/* A file's sink always has a flusher. */
	if (s->bytes - s->flushed < FLUSH)
		return cust_flusher_push(s->flusher);
	s->flushed = s->bytes;
	return cust_flusher_kick(s->flusher);
}

/* N bytes at BUF reach the file: written whole, hashed, counted.  0, or
 * an errno. */
static int
out(void *arg, const void *buf, size_t n)
{
	struct cust_sink *s = arg;
	int e;

	if ((e = cust_write_all(s->fd, buf, n)) != 0)
		return e;
	if (EVP_DigestUpdate(s->md, buf, n) != 1)
		return EIO;
	s->bytes += n;
	return writeback(s);
}

/* N bytes at BUF leave: encrypted first when there are recipients, so
 * that the clear bytes never reach the file (and what is hashed and
 * counted is what the file holds).  Without zstd the writer's thread
 * calls it, with zstd the press's only: it touches nothing of the
 * archive's.  With recipients, out runs on the envelope's thread. */
static int
emit(struct cust_sink *s, const void *buf, size_t n)
{
	return s->env != NULL ? cust_envelope_write(s->env, buf, n) :
	    out(s, buf, n);
}

static int
drain(void *arg, const void *buf, size_t n)
{
	return emit(arg, buf, n);
}

/* N bytes at P go on: to the press, or out.  A failure is kept: nothing
 * more is written after it. */
static int
send(struct cust_sink *s, const void *p, size_t n)
{
	int e;

	if (s->werr != 0)
		return s->werr;
	if ((e = s->press != NULL ? cust_press_write(s->press, p, n) :
	    emit(s, p, n)) != 0)
		s->werr = e;
	return e;
}

static int
werr(struct cust_sink *s)
{
	return cust_set_error(s->ctx, s->werr, CUST_FATAL, "%s", s->name);
}

/* Hand on what the buffer holds. */
static int
flush(struct cust_sink *s)
{
	size_t n = s->len;

	s->len = 0;
	if (n > 0 && send(s, s->buf, n) != 0)
		return werr(s);
	return CUST_OK;
}

/* N bytes at P join the stream: small ones are gathered into blocks of
 * BLOCK, and a large one goes on as it is once the buffer is empty.  The
 * press gathers its pieces itself: a block before it would copy every
 * byte of the tar twice on the thread that every other stage waits on. */
static int
put(struct cust_sink *s, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t k;
	int r;

	if (s->press != NULL)
		return n > 0 && send(s, p, n) != 0 ? werr(s) : CUST_OK;
	while (n > 0) {
		if (s->len == 0 && n >= BLOCK)
			return send(s, c, n) != 0 ? werr(s) : CUST_OK;
		k = BLOCK - s->len < n ? BLOCK - s->len : n;
		memcpy(s->buf + s->len, c, k);
		s->len += k;
		c += k;
		n -= k;
		if (s->len == BLOCK && (r = flush(s)) != CUST_OK)
			return r;
	}
	return CUST_OK;
}

static int
zeros(struct cust_sink *s, size_t n)
{
	static const unsigned char z[CUST_TAR_BLOCK * 2];

	return put(s, z, n);
}

void
cust_sink_free(struct cust_sink *s)
{
	if (s == NULL)
		return;
	/* The press's thread may kick the flusher: it stops first. */
	cust_press_free(s->press);
	cust_envelope_free(s->env);
	cust_flusher_free(s->flusher);
	EVP_MD_CTX_free(s->md);
	free(s->hdr);
	free(s->buf);
	free(s->name);
	free(s);
}

int
cust_sink_new(struct cust_ctx *ctx, int fd, const char *name, int zstd_level,
    int threads, const struct cust_recipients *rs, struct cust_sink **sp)
{
	struct cust_sink *s;
	struct stat st;
	int r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "sink");
	s->ctx = ctx;
	s->fd = fd;
	s->file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if ((s->name = strdup(name)) == NULL ||
	    (s->buf = malloc(BLOCK)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", name);
		goto fail;
	}
	if ((s->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(s->md, EVP_sha256(), NULL) != 1) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
		goto fail;
	}
	/* Before setup: the press's thread may kick the flusher. */
	if (s->file && (r = cust_flusher_new(ctx, fd, &s->flusher)) != CUST_OK)
		goto fail;
	if (rs != NULL && (r = cust_envelope_new(ctx, rs, out, s, &s->env)) !=
	    CUST_OK)
		goto fail;
	if (zstd_level > 0 && (r = cust_press_new(s->ctx, s->name,
	    zstd_level, threads, drain, s, &s->press)) != CUST_OK)
		goto fail;
	s->open = true;
	*sp = s;
	return CUST_OK;
fail:
	cust_sink_free(s);
	return r;
}

void
cust_sink_set_mtime(struct cust_sink *s, int64_t seconds)
{
	s->mtime = cust_tar_mtime(seconds);
}

/* REALSIZE 0: a member that is not sparse. */
static int
header(struct cust_sink *s, const char *path, uint64_t size,
    uint64_t realsize)
{
	size_t plen = strlen(path), n;
	unsigned char *h;
	int r;

	n = realsize > 0 ? cust_tar_sparse_header_len(path, plen, size,
	    realsize) : cust_tar_header_len(path, plen, size);
	if (s->in_member && (r = cust_sink_finish(s)) != CUST_OK)
		return r;
	if (n > s->hdrcap) {
		if ((h = realloc(s->hdr, n)) == NULL)
			return cust_set_error(s->ctx, ENOMEM, CUST_FATAL,
			    "%s", s->name);
		s->hdr = h;
		s->hdrcap = n;
	}
	if (realsize > 0)
		cust_tar_sparse_header(s->hdr, path, plen, size, realsize,
		    s->mtime);
	else
		cust_tar_header(s->hdr, path, plen, size, s->mtime);
	if ((r = put(s, s->hdr, n)) != CUST_OK)
		return r;
	s->in_member = true;
	s->size = s->left = size;
	return CUST_OK;
}

int
cust_sink_header(struct cust_sink *s, const char *path, uint64_t size)
{
	return header(s, path, size, 0);
}

int
cust_sink_sparse_header(struct cust_sink *s, const char *path, uint64_t size,
    uint64_t realsize)
{
	return header(s, path, size, realsize);
}

int
cust_sink_data(struct cust_sink *s, const void *buf, size_t n)
{
	if (!s->in_member || n > s->left)
		return cust_set_error(s->ctx, 0, CUST_FATAL, "%s: %ju bytes "
		    "beyond the member's size", s->name, (uintmax_t)(n -
		    (s->in_member ? s->left : 0)));
	s->left -= n;
	return put(s, buf, n);
}

/* A member short of its size is padded with zeros to it (the reader gave
 * less than it said: acquire.c records that), then to its last block. */
int
cust_sink_finish(struct cust_sink *s)
{
	size_t pad = (size_t)(s->size % CUST_TAR_BLOCK);
	int r;

	if (!s->in_member)
		return CUST_OK;
	while (s->left > 0) {
		size_t k = s->left < CUST_TAR_BLOCK ? (size_t)s->left :
		    CUST_TAR_BLOCK;

		if ((r = zeros(s, k)) != CUST_OK)
			return r;
		s->left -= k;
	}
	s->in_member = false;
	return pad != 0 ? zeros(s, CUST_TAR_BLOCK - pad) : CUST_OK;
}

int
cust_sink_drain(struct cust_sink *s)
{
	int e;

	(void)flush(s);		/* a failure is kept in werr */
	if (s->press != NULL && s->werr == 0 &&
	    (e = cust_press_end(s->press)) != 0)
		s->werr = e;
	/* The ciphertext queued behind the envelope leaves too. */
	if (s->env != NULL && s->werr == 0 &&
	    (e = cust_envelope_sync(s->env)) != 0)
		s->werr = e;
	return cust_sink_pending(s);
}

int
cust_sink_pending(struct cust_sink *s)
{
	int e = s->werr;

	if (e == 0 && s->press != NULL)
		e = cust_press_error(s->press);
	if (e == 0 && s->env != NULL)
		e = cust_envelope_error(s->env);
	return e != 0 ? cust_set_error(s->ctx, e, CUST_FATAL, "%s", s->name) :
	    CUST_OK;
}

int
cust_sink_close(struct cust_sink *s, char sha256[65], uint64_t *bytes)
{
	unsigned char md[32];
	int e, r;

	if (!s->open)
		return cust_set_error(s->ctx, 0, CUST_FATAL, "%s: not open",
		    s->name);
	s->open = false;
	/* The end of the archive: two zero blocks, and nothing after them. */
	if ((r = cust_sink_finish(s)) != CUST_OK ||
	    (r = zeros(s, 2 * CUST_TAR_BLOCK)) != CUST_OK ||
	    (r = flush(s)) != CUST_OK)
		return r;
	if (s->press != NULL && (e = cust_press_end(s->press)) != 0)
		return cust_set_error(s->ctx, e, CUST_FATAL, "%s", s->name);
	if (s->env != NULL && (e = cust_envelope_end(s->env)) != 0)
		return cust_set_error(s->ctx, e, CUST_FATAL, "%s", s->name);
	if (s->flusher != NULL && (e = cust_flusher_end(s->flusher)) != 0)
		return cust_set_error(s->ctx, e, CUST_FATAL, "%s", s->name);
	if (EVP_DigestFinal_ex(s->md, md, NULL) != 1)
		return cust_set_ssl_error(s->ctx, CUST_FATAL, "%s", s->name);
	cust_hex(md, sizeof(md), sha256);
	*bytes = s->bytes;
	return CUST_OK;
}

struct cust_ctx *
cust_sink_use_ctx(struct cust_sink *s, struct cust_ctx *ctx)
{
	struct cust_ctx *old = s->ctx;

	s->ctx = ctx;
	return old;
}

int
cust_sink_write_member(struct cust_sink *s, const char *path,
    const void *buf, size_t n)
{
	int r;

	if ((r = cust_sink_header(s, path, n)) != CUST_OK)
		return r;
	if (n > 0 && (r = cust_sink_data(s, buf, n)) != CUST_OK)
		return r;
	return cust_sink_finish(s);
}
