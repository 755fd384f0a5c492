/*
 * hasher.c: the hashing thread.  It takes the jobs the reading thread
 * relays, in order: the bytes of each file go to every digest (and the
 * first chunk to libmagic), then on to the archive writer; each record,
 * once its file's digests are final, goes into the payload manifests,
 * files.jsonl and the bodyfile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

/* Jobs taken at once: one lock for many. */
#define BATCH	64

struct cust_ledger {
	struct cust_ctx	*ctx;		/* owned: this thread's errors */
	struct cust_relay *relay;	/* borrowed */
	struct cust_relay *next;	/* borrowed: to the writer */
	struct cust_bag	*bag;		/* borrowed: its spools are ours */
	struct cust_digest *d;		/* owned */
	struct cust_filetype *ft;	/* borrowed */
	struct cust_slips *slips;	/* borrowed: where slips go back */
	char		 magic[256];	/* type of the file being hashed */
	bool		 first;		/* the next chunk starts a file */
	struct cust_job	 out[BATCH];	/* for the writer, not yet sent */
	size_t		 nout;
	pthread_t	 thread;
	bool		 running;
	int		 status;
};

static int
write_slip(struct cust_ledger *l, struct cust_slip *s)
{
	int r;

	if (s->digest) {
		if ((r = cust_digest_final(l->d)) != CUST_OK)
			return r;
		for (unsigned i = 0; i < CUST_NALG; i++)
			s->r.hex[i] = cust_digest_hex(l->d, 1u << i);
		if (l->magic[0] != '\0')
			s->r.magic = l->magic;
	}
	if (s->payload && (r = cust_bag_payload(l->bag, s->r.stored,
	    (uint64_t)s->r.bytes, l->d)) != CUST_OK)
		return r;
	return cust_bag_record(l->bag, &s->r);
}

/* Jobs for the writer go in a batch, sent after the batch taken. */
static void
pass(struct cust_ledger *l, const struct cust_job *j)
{
	l->out[l->nout++] = *j;
}

static int
send(struct cust_ledger *l)
{
	size_t n = l->nout;

	l->nout = 0;
	if (n > 0 && !cust_relay_push(l->next, l->out, n))
		return cust_set_error(l->ctx, 0, CUST_FATAL,
		    "archive writer stopped");
	return CUST_OK;
}

/* A hole's SIZE zeros go to the digests (and, first, to libmagic): the
 * digests are the logical content's.  The writer stores none of them. */
static int
hole(struct cust_ledger *l, uint64_t size)
{
	static const unsigned char zero[256 * 1024];
	const char *m;
	size_t k;
	int r;

	if (l->first && size > 0 && (m = cust_filetype_probe(l->ft, zero,
	    size < sizeof(zero) ? (size_t)size : sizeof(zero))) != NULL)
		snprintf(l->magic, sizeof(l->magic), "%s", m);
	l->first = false;
	for (; size > 0; size -= k) {
		k = size < sizeof(zero) ? (size_t)size : sizeof(zero);
		if ((r = cust_digest_update(l->d, zero, k)) != CUST_OK)
			return r;
	}
	return CUST_OK;
}

static int
job(struct cust_ledger *l, const struct cust_job *j)
{
	const char *m;
	int r;

	switch (j->kind) {
	case CUST_JOB_START:
		l->first = true;
		l->magic[0] = '\0';
		return cust_digest_reset(l->d);
	case CUST_JOB_CHUNK:
		if (l->first && j->len > 0 &&
		    (m = cust_filetype_probe(l->ft, j->data, j->len)) != NULL)
			snprintf(l->magic, sizeof(l->magic), "%s", m);
		l->first = false;
		if ((r = cust_digest_update(l->d, j->data, j->len)) != CUST_OK)
			return r;
		pass(l, j);
		return CUST_OK;
	case CUST_JOB_HOLE:
		return hole(l, j->size);
	case CUST_JOB_HEADER:
	case CUST_JOB_FINISH:
		pass(l, j);
		return CUST_OK;
	default:
		r = write_slip(l, j->slip);
		cust_slip_done(l->slips, j->slip);
		return r;
	}
}

static void *
run(void *arg)
{
	struct cust_ledger *l = arg;
	struct cust_job v[BATCH];
	size_t n;

	pthread_setname_np(pthread_self(), "custody-hash");
	for (;;) {
		/* About to wait for work: let the writer have what we
		 * passed it, or the reader may wait for room it frees. */
		if (cust_relay_empty(l->relay))
			cust_relay_flush(l->next);
		if ((n = cust_relay_take(l->relay, v, BATCH)) == 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (l->status == CUST_OK)
				l->status = job(l, &v[i]);
			else if (v[i].kind == CUST_JOB_RECORD)
				cust_slip_done(l->slips, v[i].slip);
		cust_slips_give_back(l->slips);
		if (l->status == CUST_OK)
			l->status = send(l);
		if (l->status != CUST_OK) {
			cust_relay_abort(l->relay);
			cust_relay_abort(l->next);
			break;
		}
	}
	/* No more jobs for the writer, whether all went well or not. */
	cust_relay_close(l->next);
	return NULL;
}

void
cust_ledger_free(struct cust_ledger *l)
{
	if (l == NULL)
		return;
	if (l->running) {
		cust_relay_abort(l->relay);
		cust_relay_abort(l->next);
		cust_relay_close(l->relay);
		pthread_join(l->thread, NULL);
	}
	cust_digest_free(l->d);
	cust_ctx_free(l->ctx);
	free(l);
}

int
cust_ledger_start(struct cust_ctx *ctx, struct cust_relay *relay,
    struct cust_relay *next, struct cust_bag *bag, struct cust_filetype *ft,
    struct cust_slips *slips, unsigned algs, struct cust_ledger **lp)
{
	struct cust_ledger *l;
	int r;

	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    cust_ctx_new(&l->ctx) != CUST_OK) {
		free(l);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "ledger");
	}
	l->relay = relay;
	l->next = next;
	l->bag = bag;
	l->ft = ft;
	l->slips = slips;
	if ((r = cust_digest_new(l->ctx, algs, &l->d)) != CUST_OK) {
		r = cust_set_error(ctx, 0, r, "%s", cust_ctx_error(l->ctx));
		cust_ledger_free(l);
		return r;
	}
	if ((errno = pthread_create(&l->thread, NULL, run, l)) != 0) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "hashing thread");
		cust_ledger_free(l);
		return r;
	}
	l->running = true;
	*lp = l;
	return CUST_OK;
}

int
cust_ledger_finish(struct cust_ledger *l, struct cust_ctx *ctx)
{
	cust_relay_close(l->relay);
	pthread_join(l->thread, NULL);
	l->running = false;
	if (l->status != CUST_OK)
		return cust_ctx_pass(ctx, l->ctx, l->status);
	return CUST_OK;
}
