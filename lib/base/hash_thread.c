/*
 * hash_thread.c: the SHA-256 of a byte stream, computed on a thread of its
 * own. verify hashes the bundle it reads whole, and that costs as much as
 * hashing the payload, which another thread does; so the stream's bytes are
 * copied into a relay and hashed beside the work, not in its way. (collect
 * hashes the bundle it writes in tar_writer.c, as it leaves.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/base.h"

#define TAP_RING	(4 * 1024 * 1024)	/* bytes in flight */

struct cust_tap {
	EVP_MD_CTX	*md;		/* owned; the thread's until joined */
	struct cust_relay *relay;	/* owned */
	pthread_t	 thread;
	bool		 running;
	uint64_t	 bytes;
};

static void *
run(void *arg)
{
	struct cust_tap *t = arg;
	struct cust_job j;

	pthread_setname_np(pthread_self(), "custody-tap");
	while (cust_relay_next(t->relay, &j)) {
		EVP_DigestUpdate(t->md, j.data, j.len);
		cust_relay_release(t->relay, j.data, j.len);
	}
	return NULL;
}

static void
stop(struct cust_tap *t)
{
	if (!t->running)
		return;
	cust_relay_close(t->relay);
	pthread_join(t->thread, NULL);
	t->running = false;
}

void
cust_tap_free(struct cust_tap *t)
{
	if (t == NULL)
		return;
	stop(t);
	cust_relay_free(t->relay);
	EVP_MD_CTX_free(t->md);
	free(t);
}

/*
 * EXPECT is the stream's length when known (a regular file), else 0.  A
 * stream shorter than the ring is hashed in line, on the caller's thread:
 * it takes a few milliseconds, less than a thread and a 4 MiB ring cost to
 * set up (which the fuzzer's thousands of small bundles paid for each).
 */
int
cust_tap_new(struct cust_ctx *ctx, uint64_t expect, struct cust_tap **tp)
{
	struct cust_tap *t;
	int r;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "tap");
	if ((t->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(t->md, EVP_sha256(), NULL) != 1) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
		goto fail;
	}
	if (expect > 0 && expect < TAP_RING) {
		*tp = t;
		return CUST_OK;
	}
	if ((r = cust_relay_new(ctx, TAP_RING, &t->relay)) != CUST_OK)
		goto fail;
	if ((errno = pthread_create(&t->thread, NULL, run, t)) != 0) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "hashing thread");
		goto fail;
	}
	t->running = true;
	*tp = t;
	return CUST_OK;
fail:
	cust_tap_free(t);
	return r;
}

int
cust_tap_write(struct cust_tap *t, const void *buf, size_t n)
{
	const char *p = buf;
	size_t k, max;
	void *q;

	t->bytes += n;
	if (!t->running)
		return EVP_DigestUpdate(t->md, buf, n) == 1 ? 0 : -1;
	max = cust_relay_max(t->relay);
	for (; n > 0; p += k, n -= k) {
		k = n > max ? max : n;
		if ((q = cust_relay_reserve(t->relay, k)) == NULL)
			return -1;
		memcpy(q, p, k);
		if (!cust_relay_chunk(t->relay, q, k))
			return -1;
	}
	return 0;
}

int
cust_tap_final(struct cust_tap *t, char sha256[65], uint64_t *bytes)
{
	unsigned char md[32];

	stop(t);
	if (EVP_DigestFinal_ex(t->md, md, NULL) != 1)
		return -1;
	cust_hex(md, sizeof(md), sha256);
	if (bytes != NULL)
		*bytes = t->bytes;
	return 0;
}
