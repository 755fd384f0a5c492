/*
 * scratch.c: append-only scratch files for the tag files (files.jsonl, the
 * manifests, the bodyfile), which grow with the number of artefacts and are
 * only written into the bundle at the end.  A spool has no name: it lives
 * in the output's directory as an O_TMPFILE, or in memory (memfd) when the
 * bundle goes to a pipe, so nothing is ever left on the evidence host.
 *
 * Each spool's SHA-512 (for the tag manifest) is taken as it is written,
 * by the hashing thread while the payload streams, not in the serial seal
 * at the end.  It covers the bytes we meant to write: were the scratch file
 * altered in between, the bundle would fail verification, not pass.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/base.h"

#define SPOOL_BUF	(64 * 1024)

struct cust_spool {
	struct cust_ctx	*ctx;		/* borrowed */
	char		*name;		/* owned, for messages */
	int		 fd;		/* owned */
	unsigned char	*buf;		/* owned */
	size_t		 len;		/* bytes waiting in buf */
	uint64_t	 size;		/* bytes written in all */
	EVP_MD_CTX	*md;		/* owned: SHA-512 of what is written */
	unsigned char	 sha512[64];	/* final once reading */
	bool		 reading;
};

void
cust_spool_free(struct cust_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	EVP_MD_CTX_free(sp->md);
	free(sp->buf);
	free(sp->name);
	free(sp);
}

static int
tmpfd(int dirfd, const char *name)
{
	int fd = -1;

	if (dirfd >= 0)
		fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	/* Filesystems without O_TMPFILE, and pipes, spool in memory. */
	if (fd < 0)
		fd = memfd_create(name, MFD_CLOEXEC);
	return fd;
}

int
cust_spool_new(struct cust_ctx *ctx, int dirfd, const char *name,
    struct cust_spool **spp)
{
	struct cust_spool *sp;
	int r;

	*spp = NULL;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "spool");
	sp->ctx = ctx;
	sp->fd = -1;
	if ((sp->name = strdup(name)) == NULL ||
	    (sp->buf = malloc(SPOOL_BUF)) == NULL) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "spool");
		goto fail;
	}
	if ((sp->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(sp->md, EVP_sha512(), NULL) != 1) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "%s: sha512", name);
		goto fail;
	}
	if ((sp->fd = tmpfd(dirfd, name)) < 0) {
		r = cust_set_error(ctx, errno, CUST_FATAL,
		    "%s: scratch file", name);
		goto fail;
	}
	*spp = sp;
	return CUST_OK;
fail:
	cust_spool_free(sp);
	return r;
}

static int
flush(struct cust_spool *sp)
{
	if (EVP_DigestUpdate(sp->md, sp->buf, sp->len) != 1)
		return cust_set_ssl_error(sp->ctx, CUST_FATAL, "%s: sha512",
		    sp->name);
	if (cust_write_all(sp->fd, sp->buf, sp->len) != 0)
		return cust_set_error(sp->ctx, errno, CUST_FATAL,
		    "%s: scratch file", sp->name);
	sp->len = 0;
	return CUST_OK;
}

int
cust_spool_write(struct cust_spool *sp, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t k;
	int r;

	while (n > 0) {
		if (sp->len == SPOOL_BUF && (r = flush(sp)) != CUST_OK)
			return r;
		k = SPOOL_BUF - sp->len;
		if (k > n)
			k = n;
		memcpy(sp->buf + sp->len, s, k);
		sp->len += k;
		sp->size += k;
		s += k;
		n -= k;
	}
	return CUST_OK;
}

int
cust_spool_puts(struct cust_spool *sp, const char *s)
{
	return cust_spool_write(sp, s, strlen(s));
}

uint64_t
cust_spool_size(const struct cust_spool *sp)
{
	return sp->size;
}

int
cust_spool_rewind(struct cust_spool *sp)
{
	int r;

	if (!sp->reading) {
		if ((r = flush(sp)) != CUST_OK)
			return r;
		if (EVP_DigestFinal_ex(sp->md, sp->sha512, NULL) != 1)
			return cust_set_ssl_error(sp->ctx, CUST_FATAL,
			    "%s: sha512", sp->name);
	}
	if (lseek(sp->fd, 0, SEEK_SET) < 0)
		return cust_set_error(sp->ctx, errno, CUST_FATAL,
		    "%s: scratch file", sp->name);
	sp->reading = true;
	return CUST_OK;
}

const unsigned char *
cust_spool_sha512(const struct cust_spool *sp)
{
	return sp->reading ? sp->sha512 : NULL;
}

ssize_t
cust_spool_read(struct cust_spool *sp, void *buf, size_t n)
{
	ssize_t k;

	do
		k = read(sp->fd, buf, n);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return cust_set_error(sp->ctx, errno, CUST_FATAL,
		    "%s: scratch file", sp->name);
	return k;
}
