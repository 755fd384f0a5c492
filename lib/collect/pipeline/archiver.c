/*
 * archiver.c: the archive-writing thread.  The hashing thread passes on each
 * member's header and the chunks it has digested; here they become the
 * tar's members (libarchive, zstd when asked) and the bundle's SHA-256,
 * and their bytes go back to the reader's ring.  Reading stays with the
 * reader, the payload digests with the hasher, and the archive and its
 * digest here: three threads that keep two cores busy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "collect/pipeline/pipeline.h"

struct cust_writer {
	struct cust_ctx	*ctx;		/* owned: this thread's errors */
	struct cust_ctx	*was;		/* borrowed: the sink's context before */
	struct cust_relay *in;		/* borrowed */
	struct cust_relay *ring;	/* borrowed */
	struct cust_sink *sink;		/* borrowed */
	pthread_t	 thread;
	bool		 running;
	int		 status;
};

/* Jobs taken at once: one lock, and one release, for many. */
#define BATCH	64

int
cust_writer_put(struct cust_sink *s, const struct cust_job *j,
    bool *in_member)
{
	int r = CUST_OK;

	switch (j->kind) {
	case CUST_JOB_HEADER:
		if (j->realsize == 0)
			r = cust_sink_header(s, j->data, j->size);
		else if ((r = cust_sink_sparse_header(s, j->data, j->size,
		    j->realsize)) == CUST_OK)
			/* The map, after the name: the data area's start. */
			r = cust_sink_data(s, (const char *)j->data + j->len -
			    j->maplen, j->maplen);
		*in_member = r == CUST_OK;
		break;
	case CUST_JOB_CHUNK:
		/* A file hashed but not stored has chunks and no member. */
		if (*in_member)
			r = cust_sink_data(s, j->data, j->len);
		break;
	case CUST_JOB_FINISH:
		*in_member = false;
		r = cust_sink_finish(s);
		break;
	default:
		break;
	}
	return r;
}

static void *
run(void *arg)
{
	struct cust_writer *w = arg;
	struct cust_job v[BATCH];
	bool in_member = false;
	size_t n;

	pthread_setname_np(pthread_self(), "custody-write");
	while (w->status == CUST_OK && (n = cust_relay_take(w->in, v,
	    BATCH)) > 0) {
		for (size_t i = 0; i < n && w->status == CUST_OK; i++)
			w->status = cust_writer_put(w->sink, &v[i],
			    &in_member);
		cust_relay_release_jobs(w->ring, v, n);
	}
	if (w->status != CUST_OK) {
		cust_relay_abort(w->in);
		cust_relay_abort(w->ring);
	}
	return NULL;
}

static void
stop(struct cust_writer *w)
{
	if (!w->running)
		return;
	pthread_join(w->thread, NULL);
	w->running = false;
	cust_sink_use_ctx(w->sink, w->was);
}

void
cust_writer_free(struct cust_writer *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		cust_relay_abort(w->in);
		cust_relay_abort(w->ring);
		stop(w);
	}
	cust_ctx_free(w->ctx);
	free(w);
}

int
cust_writer_start(struct cust_ctx *ctx, struct cust_relay *in,
    struct cust_relay *ring, struct cust_sink *s, struct cust_writer **wp)
{
	struct cust_writer *w;
	int r;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    cust_ctx_new(&w->ctx) != CUST_OK) {
		free(w);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "writer");
	}
	w->in = in;
	w->ring = ring;
	w->sink = s;
	w->was = cust_sink_use_ctx(s, w->ctx);
	if ((errno = pthread_create(&w->thread, NULL, run, w)) != 0) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "writer thread");
		cust_sink_use_ctx(s, w->was);
		cust_writer_free(w);
		return r;
	}
	w->running = true;
	*wp = w;
	return CUST_OK;
}

int
cust_writer_finish(struct cust_writer *w, struct cust_ctx *ctx)
{
	stop(w);
	if (w->status != CUST_OK)
		return cust_ctx_pass(ctx, w->ctx, w->status);
	return CUST_OK;
}
