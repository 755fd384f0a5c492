/*
 * sink.c: the bundle's byte stream.  libarchive writes a pax tar, optionally
 * through zstd, to a file descriptor (a file or a pipe); every byte that
 * leaves is also hashed, straight from libarchive's buffer, so the
 * bundle's SHA-256 is known the moment it is closed, without reading it
 * back.  During a collection the writer thread (writer.c) does this, beside
 * the hashing of the payload.
 *
 * A bundle written to a file is fsync'ed before collect says it is sealed.
 * Left alone, the kernel would hold the whole bundle as dirty pages until
 * then (its background writeback starts at a tenth of memory), and the
 * fsync would wait for all of it: 1.5 s of a 5.5 s collection of 2 GiB.
 * So the sink asks for writeback of every MiB as it goes, and the disk
 * works while we hash; the host also never holds much of our output dirty.
 * Every 32 MiB it also asks the flusher (flusher.c) for an fdatasync, which
 * empties the disk's cache on another thread, so the last fsync is short.
 *
 * zstd is ours (press.c), not libarchive's filter: the press cuts the
 * stream into frames of 1 MiB that its workers compress side by side, and
 * a thread of its own emits them.  libarchive's filter would hand zstd's
 * own workers jobs of its choosing (17 MiB in flight, and 10 more of the
 * filter's), and the thread that feeds them would also wait on the write
 * and the hash.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "private.h"

struct cust_sink {
	struct cust_ctx	*ctx;		/* borrowed */
	char		*name;		/* owned: output name for messages */
	int		 fd;		/* borrowed */
	struct archive	*a;		/* owned */
	struct archive_entry *e;	/* owned, reused per member */
	EVP_MD_CTX	*md;		/* owned: SHA-256 of the output */
	struct cust_press *press;	/* owned; NULL: no compression.
					   With it, emit runs on its thread */
	uint64_t	 bytes;		/* bytes that reached fd */
	uint64_t	 pushed;	/* bytes when writeback was last started */
	uint64_t	 flushed;	/* bytes when a flush was last asked for */
	struct cust_flusher *flusher;	/* owned; NULL unless fd is a file */
	int		 werr;		/* errno of the first failed write;
					   the writer's thread's */
	bool		 file;		/* fd is a regular file */
	bool		 open;
	bool		 dropped;	/* being freed: out() writes nothing */
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
	(void)sync_file_range(s->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	/* A file's sink always has a flusher. */
	if (s->bytes - s->flushed < FLUSH)
		return 0;
	s->flushed = s->bytes;
	return cust_flusher_kick(s->flusher);
}

/* N bytes at BUF leave: written whole, hashed, counted.  0, or an errno.
 * Without zstd the writer's thread calls it, with zstd the press's only:
 * it touches nothing of the archive's. */
static int
emit(struct cust_sink *s, const void *buf, size_t n)
{
	const char *p = buf;
	size_t off = 0;
	ssize_t k;

	while (off < n) {
		k = write(s->fd, p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		off += (size_t)k;
	}
	if (EVP_DigestUpdate(s->md, buf, n) != 1)
		return EIO;
	s->bytes += n;
	return writeback(s);
}

static int
drain(void *arg, const void *buf, size_t n)
{
	return emit(arg, buf, n);
}

/* A write that failed: remembered for aerr(), and told to libarchive. */
static int
failed(struct cust_sink *s, int e)
{
	s->werr = e;
	archive_set_error(s->a, e, "write");
	return -1;
}

static la_ssize_t
out(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct cust_sink *s = arg;
	int e;

	(void)a;
	if (s->dropped)
		return -1;
	if ((e = s->press != NULL ? cust_press_write(s->press, buf, n) :
	    emit(s, buf, n)) != 0)
		return failed(s, e);
	return (la_ssize_t)n;
}

static int
aerr(struct cust_sink *s, const char *what)
{
	int e = s->werr != 0 ? s->werr : archive_errno(s->a);

	if (s->werr != 0)
		return cust_set_error(s->ctx, e, CUST_FATAL, "%s", s->name);
	return cust_set_error(s->ctx, 0, CUST_FATAL, "%s: %s: %s", s->name,
	    what, archive_error_string(s->a) != NULL ?
	    archive_error_string(s->a) : "archive error");
}

void
cust_sink_free(struct cust_sink *s)
{
	if (s == NULL)
		return;
	/* A sink freed open is given up: the close that libarchive's free
	 * runs must write nothing more, and must not reach the press and the
	 * flusher once they are gone. */
	s->dropped = true;
	if (s->a != NULL)
		archive_write_free(s->a);
	/* The press's thread may kick the flusher: it stops first. */
	cust_press_free(s->press);
	cust_flusher_free(s->flusher);
	EVP_MD_CTX_free(s->md);
	archive_entry_free(s->e);
	free(s->name);
	free(s);
}

static int
setup(struct cust_sink *s, int zstd_level, int threads)
{
	int r;

	if (archive_write_set_format_pax_restricted(s->a) != ARCHIVE_OK)
		return aerr(s, "pax");
	if (zstd_level > 0 && (r = cust_press_new(s->ctx, s->name,
	    zstd_level, threads, drain, s, &s->press)) != CUST_OK)
		return r;
	/* A short last block: the stream ends where the archive ends. */
	archive_write_set_bytes_per_block(s->a, BLOCK);
	archive_write_set_bytes_in_last_block(s->a, 1);
	if (archive_write_open(s->a, s, NULL, out, NULL) != ARCHIVE_OK)
		return aerr(s, "open");
	s->open = true;
	return CUST_OK;
}

int
cust_sink_new(struct cust_ctx *ctx, int fd, const char *name, int zstd_level,
    int threads, struct cust_sink **sp)
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
	if ((s->name = strdup(name)) == NULL || (s->a = archive_write_new())
	    == NULL || (s->e = archive_entry_new()) == NULL) {
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
	if ((r = setup(s, zstd_level, threads)) != CUST_OK)
		goto fail;
	*sp = s;
	return CUST_OK;
fail:
	cust_sink_free(s);
	return r;
}

static int
header(struct cust_sink *s, const char *path, uint64_t size,
    const struct timespec *mtime)
{
	archive_entry_clear(s->e);
	/* Not _utf8: libarchive would turn the name into Unicode NFC on its
	 * way to the pax header.  In the C.UTF-8 locale the bytes go as they
	 * are, so an NFD name stays the name in the manifests. */
	archive_entry_copy_pathname(s->e, path);
	archive_entry_set_filetype(s->e, AE_IFREG);
	archive_entry_set_perm(s->e, 0644);
	archive_entry_set_size(s->e, (la_int64_t)size);
	archive_entry_set_mtime(s->e, mtime->tv_sec, mtime->tv_nsec);
	if (archive_write_header(s->a, s->e) != ARCHIVE_OK)
		return aerr(s, path);
	return CUST_OK;
}

int
cust_sink_header(struct cust_sink *s, const char *path, uint64_t size,
    const struct timespec *mtime)
{
	locale_t old = cust_locale_enter();
	int r;

	r = header(s, path, size, mtime);
	cust_locale_leave(old);
	return r;
}

int
cust_sink_data(struct cust_sink *s, const void *buf, size_t n)
{
	la_ssize_t k = archive_write_data(s->a, buf, n);

	if (k < 0)
		return aerr(s, "data");
	if ((size_t)k != n)
		return cust_set_error(s->ctx, 0, CUST_FATAL, "%s: %zu bytes "
		    "beyond the member's size", s->name, n - (size_t)k);
	return CUST_OK;
}

int
cust_sink_finish(struct cust_sink *s)
{
	if (archive_write_finish_entry(s->a) != ARCHIVE_OK)
		return aerr(s, "entry");
	return CUST_OK;
}

int
cust_sink_pending(struct cust_sink *s)
{
	int e = s->press != NULL ? cust_press_error(s->press) : 0;

	return e != 0 ? cust_set_error(s->ctx, e, CUST_FATAL, "%s", s->name) :
	    CUST_OK;
}

int
cust_sink_close(struct cust_sink *s, char sha256[65], uint64_t *bytes)
{
	unsigned char md[32];
	int e;

	if (!s->open)
		return cust_set_error(s->ctx, 0, CUST_FATAL, "%s: not open",
		    s->name);
	s->open = false;
	if (archive_write_close(s->a) != ARCHIVE_OK)
		return aerr(s, "close");
	if (s->press != NULL && (e = cust_press_end(s->press)) != 0)
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
    const void *buf, size_t n, const struct timespec *mtime)
{
	int r;

	if ((r = cust_sink_header(s, path, n, mtime)) != CUST_OK)
		return r;
	if (n > 0 && (r = cust_sink_data(s, buf, n)) != CUST_OK)
		return r;
	return cust_sink_finish(s);
}
