/*
 * bundleref.c: what the commands that come after a collection (custody
 * timestamp, custody transfer) need of a bundle: its bag name, its tag
 * manifest's SHA-512, which binds a custody log to it, the signature files
 * a timestamp covers, and the SHA-256 of the file.  The bundle is read once
 * with the verifier's hostile-input reader, bounded, and not verified:
 * that is custody verify's work.  The closing statement is not needed:
 * custody timestamp puts its tokens in the custody log, never in the
 * bundle, so the bundle and its statement stay as they were sealed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bundle/bundle.h"

#define TAGMAN		cust_layout[CUST_M_TAGMAN].name
#define TAGMAN_MAX	cust_layout[CUST_M_TAGMAN].max

void
cust_bundle_ref_fini(struct cust_bundle_ref *ref)
{
	free(ref->sig);
	free(ref->p7s);
	ref->sig = ref->p7s = NULL;
}

/* The member's bytes, at most MAX, in *bufp (owned). */
static int
take(struct cust_ctx *ctx, struct cust_reader *rd,
    const struct cust_member *m, size_t max, unsigned char **bufp,
    size_t *lenp)
{
	const void *p;
	ssize_t k;
	size_t n = 0;

	if (*bufp != NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: twice in the "
		    "bundle", m->rel);
	if (m->size > max)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: larger than "
		    "%zu bytes", m->rel, max);
	if ((*bufp = malloc(m->size + 1)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", m->rel);
	while ((k = cust_reader_data(rd, &p)) > 0) {
		if ((uint64_t)k > m->size - n)
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: longer "
			    "than its header says", m->rel);
		memcpy(*bufp + n, p, (size_t)k);
		n += (size_t)k;
	}
	*lenp = n;
	return k < 0 ? (int)k : CUST_OK;
}

static int
skip(struct cust_reader *rd)
{
	const void *p;
	ssize_t k;

	while ((k = cust_reader_data(rd, &p)) > 0)
		;
	return k < 0 ? (int)k : CUST_OK;
}

static int
tagman_digest(struct cust_ctx *ctx, struct cust_reader *rd,
    const struct cust_member *m, struct cust_bundle_ref *ref)
{
	unsigned char *buf = NULL, md[64];
	size_t n;
	int r;

	if (ref->tagmanifest_sha512[0] != '\0')
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: twice in the "
		    "bundle", TAGMAN);
	if ((r = take(ctx, rd, m, TAGMAN_MAX, &buf, &n)) == CUST_OK &&
	    EVP_Digest(buf, n, md, NULL, EVP_sha512(), NULL) != 1)
		r = cust_set_ssl_error(ctx, CUST_FATAL, "sha512");
	if (r == CUST_OK)
		cust_hex(md, sizeof(md), ref->tagmanifest_sha512);
	free(buf);
	return r;
}

static int
member(struct cust_ctx *ctx, struct cust_reader *rd,
    const struct cust_member *m, struct cust_bundle_ref *ref)
{
	if (strcmp(m->rel, TAGMAN) == 0)
		return tagman_digest(ctx, rd, m, ref);
	if (strcmp(m->rel, CUST_SIG_MEMBER) == 0)
		return take(ctx, rd, m, CUST_SIG_MAX, &ref->sig, &ref->siglen);
	if (strcmp(m->rel, CUST_P7S_MEMBER) == 0)
		return take(ctx, rd, m, CUST_P7S_MAX, &ref->p7s, &ref->p7slen);
	return skip(rd);
}

int
cust_bundle_ref_read(struct cust_ctx *ctx, int fd, const char *name,
    struct cust_bundle_ref *ref)
{
	const struct cust_member *m;
	struct cust_reader *rd;
	uint64_t bytes;
	int r;

	memset(ref, 0, sizeof(*ref));
	if ((r = cust_reader_new(ctx, fd, name, &rd)) != CUST_OK)
		return r;
	while ((r = cust_reader_next(rd, &m)) == CUST_OK && m != NULL)
		if ((r = member(ctx, rd, m, ref)) != CUST_OK)
			break;
	if (r == CUST_OK && (ref->sig == NULL ||
	    ref->tagmanifest_sha512[0] == '\0'))
		r = cust_set_error(ctx, 0, CUST_FAILED, "%s: not a sealed "
		    "custody bundle (no tag manifest or no signature)", name);
	if (r == CUST_OK) {
		cust_reader_digest(rd, ref->sha256, &bytes);
		snprintf(ref->bag, sizeof(ref->bag), "%s",
		    cust_reader_bag(rd));
	}
	cust_reader_free(rd);
	return r;
}
