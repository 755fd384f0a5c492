/*
 * relay.c: hands work from the reading thread to the hashing thread, in
 * order.  The reader reserves room in a byte ring, reads a file's bytes
 * straight into it, writes them to the archive from there and passes the
 * chunk on; the hasher feeds the same bytes to the digests and releases
 * them.  Records travel the same queue, so they come out in the order the
 * files were read.  One producer, one consumer; a mutex and two condition
 * variables are all the synchronisation there is.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define JOBS	4096		/* jobs in flight */
/* A waiting hasher is woken once this much work is queued (or the reader
 * must wait, or closes): a wake-up per job would cost more than the job. */
#define WAKE_JOBS	32

struct cust_relay {
	pthread_mutex_t	 mu;
	pthread_cond_t	 room;		/* signalled when the hasher frees */
	pthread_cond_t	 work;		/* signalled when the reader adds */
	unsigned char	*ring;		/* owned */
	size_t		 size;		/* ring bytes */
	size_t		 head;		/* where the reader writes next */
	size_t		 used;		/* bytes reserved, not yet released */
	size_t		 waste;		/* bytes skipped at the ring's end */
	struct cust_job	 jobs[JOBS];
	size_t		 jhead, jtail, njobs;
	bool		 closed;	/* the reader has no more work */
	bool		 aborted;	/* the hasher gave up */
	bool		 cwait;		/* the hasher sleeps on work */
	bool		 pwait;		/* the reader sleeps on room */
};

/* Wake the hasher if it sleeps; with the mutex held. */
static void
wake(struct cust_relay *r)
{
	if (r->cwait)
		pthread_cond_signal(&r->work);
}

static void
wait_room(struct cust_relay *r)
{
	wake(r);
	r->pwait = true;
	pthread_cond_wait(&r->room, &r->mu);
	r->pwait = false;
}

int
cust_relay_new(struct cust_ctx *ctx, size_t size, struct cust_relay **rp)
{
	struct cust_relay *r;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->ring = malloc(size)) == NULL) {
		free(r);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "relay");
	}
	r->size = size;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->room, NULL);
	pthread_cond_init(&r->work, NULL);
	*rp = r;
	return CUST_OK;
}

void
cust_relay_free(struct cust_relay *r)
{
	if (r == NULL)
		return;
	for (; r->njobs > 0; r->njobs--) {
		if (r->jobs[r->jtail].kind == CUST_JOB_RECORD)
			free(r->jobs[r->jtail].slip);
		r->jtail = (r->jtail + 1) % JOBS;
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->room);
	pthread_cond_destroy(&r->work);
	free(r->ring);
	free(r);
}

size_t
cust_relay_max(const struct cust_relay *r)
{
	return r->size / 4;
}

void *
cust_relay_reserve(struct cust_relay *r, size_t n)
{
	void *p = NULL;
	size_t skip;
	bool wrap;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		if (r->aborted)
			break;
		/* Chunks never wrap: skip what is left at the ring's end. */
		wrap = r->head + n > r->size;
		skip = wrap ? r->size - r->head : 0;
		if (r->used + skip + n <= r->size) {
			if (wrap) {
				r->used += skip;
				r->waste = skip;
				r->head = 0;
			}
			p = r->ring + r->head;
			r->head += n;
			r->used += n;
			break;
		}
		wait_room(r);
	}
	pthread_mutex_unlock(&r->mu);
	return p;
}

void
cust_relay_unreserve(struct cust_relay *r, size_t n)
{
	pthread_mutex_lock(&r->mu);
	r->head -= n;
	r->used -= n;
	pthread_mutex_unlock(&r->mu);
}

static bool
push(struct cust_relay *r, const struct cust_job *j)
{
	bool ok;

	pthread_mutex_lock(&r->mu);
	while (!r->aborted && r->njobs == JOBS)
		wait_room(r);
	if ((ok = !r->aborted)) {
		r->jobs[r->jhead] = *j;
		r->jhead = (r->jhead + 1) % JOBS;
		r->njobs++;
		if (r->njobs >= WAKE_JOBS || r->used >= r->size / 8)
			wake(r);
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}

bool
cust_relay_chunk(struct cust_relay *r, const void *p, size_t n)
{
	struct cust_job j = { .kind = CUST_JOB_CHUNK, .data = p, .len = n };

	return push(r, &j);
}

bool
cust_relay_start(struct cust_relay *r)
{
	struct cust_job j = { .kind = CUST_JOB_START };

	return push(r, &j);
}

bool
cust_relay_record(struct cust_relay *r, struct cust_slip *s)
{
	struct cust_job j = { .kind = CUST_JOB_RECORD, .slip = s };

	if (push(r, &j))
		return true;
	free(s);
	return false;
}

void
cust_relay_close(struct cust_relay *r)
{
	pthread_mutex_lock(&r->mu);
	r->closed = true;
	wake(r);
	pthread_mutex_unlock(&r->mu);
}

bool
cust_relay_next(struct cust_relay *r, struct cust_job *j)
{
	bool got;

	pthread_mutex_lock(&r->mu);
	while (r->njobs == 0 && !r->closed) {
		r->cwait = true;
		pthread_cond_wait(&r->work, &r->mu);
		r->cwait = false;
	}
	if ((got = r->njobs > 0)) {
		*j = r->jobs[r->jtail];
		r->jtail = (r->jtail + 1) % JOBS;
		r->njobs--;
		if (r->pwait)
			pthread_cond_signal(&r->room);
	}
	pthread_mutex_unlock(&r->mu);
	return got;
}

void
cust_relay_release(struct cust_relay *r, const void *p, size_t n)
{
	pthread_mutex_lock(&r->mu);
	/* Bytes skipped at the ring's end go with the chunk after them. */
	if ((const unsigned char *)p == r->ring && r->waste > 0) {
		r->used -= r->waste;
		r->waste = 0;
	}
	r->used -= n;
	if (r->pwait)
		pthread_cond_signal(&r->room);
	pthread_mutex_unlock(&r->mu);
}

void
cust_relay_abort(struct cust_relay *r)
{
	pthread_mutex_lock(&r->mu);
	r->aborted = true;
	pthread_cond_broadcast(&r->room);
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
}

bool
cust_relay_aborted(struct cust_relay *r)
{
	bool a;

	pthread_mutex_lock(&r->mu);
	a = r->aborted;
	pthread_mutex_unlock(&r->mu);
	return a;
}
