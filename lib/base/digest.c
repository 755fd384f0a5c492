/*
 * digest.c: several hash algorithms over one stream of bytes, through
 * OpenSSL's EVP interface, so that each artefact is read once whatever the
 * number of manifests asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/base.h"

static const struct alg {
	unsigned	 bit;
	const char	*name;
	size_t		 size;
} algs[CUST_NALG] = {
	{ CUST_ALG_SHA256, "sha256", 32 },
	{ CUST_ALG_SHA512, "sha512", 64 },
	{ CUST_ALG_SHA1, "sha1", 20 },
	{ CUST_ALG_MD5, "md5", 16 },
};

struct cust_digest {
	struct cust_ctx	*ctx;			/* borrowed */
	unsigned	 mask;
	EVP_MD_CTX	*md[CUST_NALG];		/* owned; NULL if unused */
	EVP_MD		*type[CUST_NALG];	/* owned (fetched) */
	unsigned char	 raw[CUST_NALG][CUST_MAX_DIGEST];
	char		 hex[CUST_NALG][2 * CUST_MAX_DIGEST + 1];
	bool		 done;
};

const char *
cust_alg_name(unsigned bit)
{
	for (size_t i = 0; i < CUST_NALG; i++)
		if (algs[i].bit == bit)
			return algs[i].name;
	return NULL;
}

size_t
cust_alg_size(unsigned bit)
{
	for (size_t i = 0; i < CUST_NALG; i++)
		if (algs[i].bit == bit)
			return algs[i].size;
	return 0;
}

unsigned
cust_alg_lookup(const char *name)
{
	for (size_t i = 0; i < CUST_NALG; i++)
		if (strcmp(algs[i].name, name) == 0)
			return algs[i].bit;
	return 0;
}

int
cust_alg_parse(struct cust_ctx *ctx, const char *list, unsigned *mask)
{
	const char *p = list, *end;
	char word[16];
	unsigned bit, got = 0;

	for (;;) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		bit = 0;
		if ((size_t)(end - p) < sizeof(word)) {
			memcpy(word, p, end - p);
			word[end - p] = '\0';
			bit = cust_alg_lookup(word);
		}
		if (end == p)
			return cust_set_error(ctx, 0, CUST_FAILED, "\"%s\": "
			    "empty hash algorithm name", list);
		if (bit == 0)
			return cust_set_error(ctx, 0, CUST_FAILED,
			    "%.*s: unknown hash algorithm (use sha256, sha512, "
			    "sha1 or md5)", (int)(end - p), p);
		got |= bit;
		if (*end == '\0') {
			*mask |= got;	/* nothing changes on failure */
			return CUST_OK;
		}
		p = end + 1;
	}
}

void
cust_digest_free(struct cust_digest *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < CUST_NALG; i++) {
		EVP_MD_CTX_free(d->md[i]);
		EVP_MD_free(d->type[i]);
	}
	free(d);
}

int
cust_digest_new(struct cust_ctx *ctx, unsigned mask, struct cust_digest **dp)
{
	struct cust_digest *d;
	int r;

	*dp = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "digest");
	d->ctx = ctx;
	d->mask = mask;
	for (size_t i = 0; i < CUST_NALG; i++) {
		if ((mask & algs[i].bit) == 0)
			continue;
		d->type[i] = EVP_MD_fetch(NULL, algs[i].name, NULL);
		d->md[i] = EVP_MD_CTX_new();
		if (d->type[i] == NULL || d->md[i] == NULL) {
			r = cust_set_ssl_error(ctx, CUST_FATAL, "%s",
			    algs[i].name);
			goto fail;
		}
	}
	if ((r = cust_digest_reset(d)) != CUST_OK)
		goto fail;
	*dp = d;
	return CUST_OK;
fail:
	cust_digest_free(d);
	return r;
}

int
cust_digest_reset(struct cust_digest *d)
{
	d->done = false;
	for (size_t i = 0; i < CUST_NALG; i++)
		if (d->md[i] != NULL &&
		    EVP_DigestInit_ex2(d->md[i], d->type[i], NULL) != 1)
			return cust_set_ssl_error(d->ctx, CUST_FATAL, "%s",
			    algs[i].name);
	return CUST_OK;
}

int
cust_digest_update(struct cust_digest *d, const void *buf, size_t n)
{
	for (size_t i = 0; i < CUST_NALG; i++)
		if (d->md[i] != NULL && EVP_DigestUpdate(d->md[i], buf, n) != 1)
			return cust_set_ssl_error(d->ctx, CUST_FATAL, "%s",
			    algs[i].name);
	return CUST_OK;
}

int
cust_digest_final(struct cust_digest *d)
{
	for (size_t i = 0; i < CUST_NALG; i++) {
		if (d->md[i] == NULL)
			continue;
		if (EVP_DigestFinal_ex(d->md[i], d->raw[i], NULL) != 1)
			return cust_set_ssl_error(d->ctx, CUST_FATAL, "%s",
			    algs[i].name);
		cust_hex(d->raw[i], algs[i].size, d->hex[i]);
	}
	d->done = true;
	return CUST_OK;
}

static int
slot(const struct cust_digest *d, unsigned bit)
{
	for (size_t i = 0; i < CUST_NALG; i++)
		if (algs[i].bit == bit)
			return d->done && d->md[i] != NULL ? (int)i : -1;
	return -1;
}

const char *
cust_digest_hex(const struct cust_digest *d, unsigned bit)
{
	int i = slot(d, bit);

	return i < 0 ? NULL : d->hex[i];
}

const unsigned char *
cust_digest_raw(const struct cust_digest *d, unsigned bit)
{
	int i = slot(d, bit);

	return i < 0 ? NULL : d->raw[i];
}

void
cust_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
cust_sha256_hex(struct cust_ctx *ctx, const void *buf, size_t n, char out[65])
{
	unsigned char md[32];

	if (EVP_Digest(buf, n, md, NULL, EVP_sha256(), NULL) != 1)
		return cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
	cust_hex(md, sizeof(md), out);
	return CUST_OK;
}
