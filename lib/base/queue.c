/*
 * queue.c: hands work from one thread to the next, in order.  The reader
 * reserves room in a byte ring, reads a file's bytes straight into it and
 * passes the chunk on; the hasher feeds the same bytes to the digests and
 * passes them on again, through a relay without a ring of its own, to the
 * archive writer, which releases them.  Records and member headers travel
 * the same queues, so everything comes out in the order the files were
 * read.  One producer, one consumer per relay; a mutex and two condition
 * variables are all the synchronisation there is.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

#define JOBS	4096		/* jobs in flight */
/* A waiting consumer is woken once this much work is queued (or the
 * producer must wait, or closes): a wake-up per job would cost more than
 * the job. */
#define WAKE_JOBS	256
#define WAKE_BYTES	(1024 * 1024)

struct cust_relay {
	pthread_mutex_t	 mu;
	pthread_cond_t	 room;		/* signalled when the hasher frees */
	pthread_cond_t	 work;		/* signalled when the reader adds */
	unsigned char	*ring;		/* owned */
	size_t		 size;		/* ring bytes */
	size_t		 head;		/* where the reader writes next */
	size_t		 used;		/* bytes reserved, not yet released */
	size_t		 waste;		/* bytes skipped at the ring's end */
	size_t		 queued;	/* bytes of the jobs not yet taken */
	struct cust_job	 jobs[JOBS];
	size_t		 jhead, jtail, njobs;
	bool		 closed;	/* the reader has no more work */
	bool		 aborted;	/* the hasher gave up */
	bool		 cwait;		/* the hasher sleeps on work */
	bool		 pwait;		/* the reader sleeps on room */
};

/* Wake the consumer if it sleeps; with the mutex held. */
static void
wake(struct cust_relay *r)
{
	if (r->cwait)
		pthread_cond_signal(&r->work);
}

/*
 * Wake the producer if it sleeps and half the jobs and half the ring are
 * free, whichever it waits for; with the mutex held.  Waking it as soon
 * as one job is free would have the two threads take turns, one job at a
 * time, each turn a pair of context switches.
 */
static void
room(struct cust_relay *r)
{
	if (r->pwait && r->njobs <= JOBS / 2 && r->used <= r->size / 2)
		pthread_cond_signal(&r->room);
}

static void
wait_room(struct cust_relay *r)
{
	wake(r);
	r->pwait = true;
	pthread_cond_wait(&r->room, &r->mu);
	r->pwait = false;
}

/* The ring is mapped (mapped.c): a small collection touches a few of its
 * pages, and an overrun faults. */
int
cust_relay_new(struct cust_ctx *ctx, size_t size, struct cust_relay **rp)
{
	struct cust_relay *r;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (size > 0 && (r->ring = cust_map_buffer(size)) == NULL)) {
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
	cust_unmap_buffer(r->ring, r->size);
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

bool
cust_relay_push(struct cust_relay *r, const struct cust_job *v, size_t n)
{
	bool ok = true;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; ok && i < n; i++) {
		while (!r->aborted && r->njobs == JOBS)
			wait_room(r);
		if ((ok = !r->aborted)) {
			r->jobs[r->jhead] = v[i];
			r->jhead = (r->jhead + 1) % JOBS;
			r->njobs++;
			r->queued += v[i].len;
		}
	}
	if (ok && (r->njobs >= WAKE_JOBS || r->queued >= WAKE_BYTES))
		wake(r);
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static bool
push(struct cust_relay *r, const struct cust_job *j)
{
	return cust_relay_push(r, j, 1);
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
cust_relay_header(struct cust_relay *r, const char *member, uint64_t size,
    const struct timespec *mtime)
{
	struct cust_job j = { .kind = CUST_JOB_HEADER, .size = size,
	    .mtime = *mtime };
	size_t n = strlen(member) + 1;
	void *p;

	/* The name travels in the ring: no allocation per member. */
	if (n > cust_relay_max(r) || (p = cust_relay_reserve(r, n)) == NULL)
		return false;
	memcpy(p, member, n);
	j.data = p;
	j.len = n;
	return push(r, &j);
}

bool
cust_relay_sparse_header(struct cust_relay *r, const char *member,
    uint64_t size, uint64_t realsize, const void *map, size_t maplen,
    const struct timespec *mtime)
{
	struct cust_job j = { .kind = CUST_JOB_HEADER, .size = size,
	    .realsize = realsize, .maplen = maplen, .mtime = *mtime };
	size_t n = strlen(member) + 1;
	unsigned char *p;

	if (maplen > cust_relay_max(r) || n > cust_relay_max(r) - maplen ||
	    (p = cust_relay_reserve(r, n + maplen)) == NULL)
		return false;
	memcpy(p, member, n);
	memcpy(p + n, map, maplen);
	j.data = p;
	j.len = n + maplen;
	return push(r, &j);
}

bool
cust_relay_hole(struct cust_relay *r, uint64_t size)
{
	struct cust_job j = { .kind = CUST_JOB_HOLE, .size = size };

	return push(r, &j);
}

bool
cust_relay_finish(struct cust_relay *r)
{
	struct cust_job j = { .kind = CUST_JOB_FINISH };

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
cust_relay_flush(struct cust_relay *r)
{
	pthread_mutex_lock(&r->mu);
	if (r->njobs > 0)
		wake(r);
	pthread_mutex_unlock(&r->mu);
}

bool
cust_relay_empty(struct cust_relay *r)
{
	bool empty;

	pthread_mutex_lock(&r->mu);
	empty = r->njobs == 0;
	pthread_mutex_unlock(&r->mu);
	return empty;
}

void
cust_relay_close(struct cust_relay *r)
{
	pthread_mutex_lock(&r->mu);
	r->closed = true;
	wake(r);
	pthread_mutex_unlock(&r->mu);
}

size_t
cust_relay_take(struct cust_relay *r, struct cust_job *v, size_t max)
{
	size_t k = 0, bytes = 0;

	pthread_mutex_lock(&r->mu);
	while (r->njobs == 0 && !r->closed && !r->aborted) {
		r->cwait = true;
		pthread_cond_wait(&r->work, &r->mu);
		r->cwait = false;
	}
	/* Many small jobs, but not many large ones: a batch's bytes stay
	 * out of the ring until its last job is done. */
	for (; !r->aborted && r->njobs > 0 && k < max && bytes < WAKE_BYTES;
	    k++) {
		v[k] = r->jobs[r->jtail];
		r->jtail = (r->jtail + 1) % JOBS;
		r->njobs--;
		r->queued -= v[k].len;
		bytes += v[k].len;
	}
	room(r);
	pthread_mutex_unlock(&r->mu);
	return k;
}

bool
cust_relay_next(struct cust_relay *r, struct cust_job *j)
{
	return cust_relay_take(r, j, 1) == 1;
}

/* With the mutex held. */
static void
give_back(struct cust_relay *r, const void *p, size_t n)
{
	/* Bytes skipped at the ring's end go with the chunk after them. */
	if ((const unsigned char *)p == r->ring && r->waste > 0) {
		r->used -= r->waste;
		r->waste = 0;
	}
	r->used -= n;
}

void
cust_relay_release(struct cust_relay *r, const void *p, size_t n)
{
	pthread_mutex_lock(&r->mu);
	give_back(r, p, n);
	room(r);
	pthread_mutex_unlock(&r->mu);
}

void
cust_relay_release_jobs(struct cust_relay *r, const struct cust_job *v,
    size_t n)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < n; i++)
		if ((v[i].kind == CUST_JOB_CHUNK ||
		    v[i].kind == CUST_JOB_HEADER) && v[i].len > 0)
			give_back(r, v[i].data, v[i].len);
	room(r);
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
