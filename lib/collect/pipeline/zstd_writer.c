/*
 * zstd_writer.c: zstd on worker threads, one frame a piece.  The bytes written
 * are cut into pieces of 1 MiB; a worker compresses each piece into a
 * whole zstd frame (content size and checksum in it), and a thread of its
 * own hands the frames, in order, to a drain function (the sink's: write,
 * hash, count, flush).  Frames one after another are one zstd stream to
 * every decoder: zstd -d and -t, libarchive, ours.
 *
 * Why not zstd's own workers (ZSTD_c_nbWorkers), as before: its pool takes
 * a job only when a worker is idle, so with both busy the feeding thread
 * slept on the oldest job and woke only as that one progressed; a worker
 * done with a younger job sat idle until then, and the reading stopped on
 * a full ring.  Here the feeder queues up to SLOTS pieces, and a worker
 * takes the next as soon as it is free, so neither waits on the other's
 * slowest job.  The bundle is a little larger, since no frame draws on
 * the one before it.
 *
 * Why 1 MiB: zstd spends less a byte on larger frames, and the queue must
 * still be deep enough that a worker never waits for the oldest frame to
 * leave.  Eight pieces of 1 MiB fit in the memory that ten of 512 KiB
 * took, because a slot has one buffer, for the piece and then its frame
 * (see struct slot), where it had one for each.
 *
 * With no workers the feeder compresses and drains each piece itself.
 * The drain's first error, or zstd's, stops the press: nothing after it is
 * drained, and the feeder learns of it at its next call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "collect/pipeline/pipeline.h"

#define PIECE		CUST_PRESS_PIECE
#define PIECE_LOG	20

_Static_assert(PIECE == 1 << PIECE_LOG, "a frame's window is its piece");
#define SLOTS		8	/* pieces in flight, whatever the workers */

_Static_assert(CUST_PRESS_WORKERS_MAX < SLOTS,
    "the feeder fills a slot while every worker has one");

enum state { FREE, QUEUED, DONE };

struct cust_press;

/* What a worker's thread is given. */
struct worker {
	struct cust_press *p;		/* borrowed */
	ZSTD_CCtx	*z;		/* owned: the worker's own */
	unsigned char	*spare;		/* owned: bound bytes, where its next
					   frame goes */
};

/* A slot's buffer holds its piece, then the piece's frame: the worker
 * compresses into its spare and swaps the two, so a slot needs one buffer
 * and nothing is copied. */
struct slot {
	unsigned char	*buf;		/* owned: bound bytes */
	size_t		 len;
	enum state	 state;
};

struct cust_press {
	cust_drain_fn	 drain;
	void		*arg;
	struct worker	 crew[CUST_PRESS_WORKERS_MAX];	/* with no
					   workers, crew[0].z is the feeder's */
	int		 workers;
	int		 slots;		/* in use: SLOTS, or 1 without workers */
	size_t		 bound;		/* ZSTD_compressBound(PIECE) */
	struct slot	 slot[SLOTS];
	/* Pieces by number: the feeder fills piece `queued`; workers have
	 * taken those below `taken`; those below `emitted` have left. */
	uint64_t	 queued;
	uint64_t	 taken;
	uint64_t	 emitted;
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a piece queued, or the end */
	pthread_cond_t	 done;		/* a piece compressed, or the end */
	pthread_cond_t	 room;		/* a slot free again, or a stop */
	pthread_t	 thread[CUST_PRESS_WORKERS_MAX + 1];
	int		 threads;	/* started: workers, then the emitter */
	bool		 ending;	/* no more pieces will be queued */
	bool		 stopped;	/* an error: everyone leaves */
	int		 err;		/* the first error's errno */
	int		 told;		/* the feeder's: err, once it saw it */
};

/* The slot of piece N. */
static struct slot *
at(struct cust_press *p, uint64_t n)
{
	return &p->slot[n % (uint64_t)p->slots];
}

/* An error stops the press; the first is kept.  Called locked. */
static void
stop(struct cust_press *p, int e)
{
	if (p->err == 0)
		p->err = e;
	p->stopped = true;
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->done);
	pthread_cond_broadcast(&p->room);
}

/* Piece S into one frame, left in S in place of the piece: 0, or an
 * errno. */
static int
squeeze(struct worker *w, struct slot *s, size_t bound)
{
	size_t k = ZSTD_compress2(w->z, w->spare, bound, s->buf, s->len);
	unsigned char *piece = s->buf;

	if (ZSTD_isError(k))
		return ZSTD_getErrorCode(k) == ZSTD_error_memory_allocation ?
		    ENOMEM : EIO;
	s->buf = w->spare;
	s->len = k;
	w->spare = piece;
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct cust_press *p = w->p;
	struct slot *s;
	int e;

	pthread_setname_np(pthread_self(), "custody-zstd");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopped && p->taken == p->queued && !p->ending)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stopped || p->taken == p->queued)
			break;
		s = at(p, p->taken++);
		pthread_mutex_unlock(&p->mu);
		e = squeeze(w, s, p->bound);
		pthread_mutex_lock(&p->mu);
		if (e != 0) {
			stop(p, e);
			break;
		}
		s->state = DONE;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The emitter: frames leave in the order their pieces came. */
static void *
emit(void *arg)
{
	struct cust_press *p = arg;
	struct slot *s;
	int e;

	pthread_setname_np(pthread_self(), "custody-out");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		s = at(p, p->emitted);
		while (!p->stopped && s->state != DONE &&
		    !(p->ending && p->emitted == p->queued))
			pthread_cond_wait(&p->done, &p->mu);
		if (p->stopped || s->state != DONE)
			break;
		pthread_mutex_unlock(&p->mu);
		e = p->drain(p->arg, s->buf, s->len);
		pthread_mutex_lock(&p->mu);
		if (e != 0) {
			stop(p, e);
			break;
		}
		s->state = FREE;
		s->len = 0;
		p->emitted++;
		pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int
spawn(struct cust_press *p, void *(*fn)(void *), void *arg)
{
	int e;

	if ((e = pthread_create(&p->thread[p->threads], NULL, fn, arg)) != 0)
		return e;
	p->threads++;
	return 0;
}

static int
start(struct cust_ctx *ctx, const char *name, struct cust_press *p)
{
	int i, e;

	for (i = 0; i < p->workers; i++)
		if ((e = spawn(p, work, &p->crew[i])) != 0)
			return cust_set_error(ctx, e, CUST_FATAL,
			    "%s: zstd thread", name);
	if ((e = spawn(p, emit, p)) != 0)
		return cust_set_error(ctx, e, CUST_FATAL, "%s: output thread",
		    name);
	return CUST_OK;
}

/* One context a worker, or one for the feeder, at LEVEL with a checksum
 * in every frame, as the zstd tool writes one. */
static int
contexts(struct cust_ctx *ctx, const char *name, struct cust_press *p,
    int level)
{
	size_t z;
	int i;

	for (i = 0; i < (p->workers > 0 ? p->workers : 1); i++) {
		p->crew[i].p = p;
		if ((p->crew[i].spare = cust_map_buffer(p->bound)) == NULL ||
		    (p->crew[i].z = ZSTD_createCCtx()) == NULL)
			return cust_set_error(ctx, ENOMEM, CUST_FATAL,
			    "%s: zstd", name);
		if (ZSTD_isError(z = ZSTD_CCtx_setParameter(p->crew[i].z,
		    ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(z = ZSTD_CCtx_setParameter(p->crew[i].z,
		    ZSTD_c_checksumFlag, 1)) ||
		    /* A window as large as a piece: zstd then writes each
		     * frame as one segment, with no window descriptor, as
		     * custody-bundle(5) has it, whatever the level. */
		    ZSTD_isError(z = ZSTD_CCtx_setParameter(p->crew[i].z,
		    ZSTD_c_windowLog, PIECE_LOG)))
			return cust_set_error(ctx, 0, CUST_FATAL, "%s: zstd: "
			    "%s", name, ZSTD_getErrorName(z));
	}
	return CUST_OK;
}

int
cust_press_new(struct cust_ctx *ctx, const char *name, int level,
    int workers, cust_drain_fn drain, void *arg, struct cust_press **pp)
{
	struct cust_press *p;
	int i, r;

	*pp = NULL;
	if (level < 1 || level > ZSTD_maxCLevel())
		return cust_set_error(ctx, 0, CUST_FATAL, "%s: zstd: "
		    "compression level %d is not within 1 to %d", name, level,
		    ZSTD_maxCLevel());
	if (workers < 0 || workers > CUST_PRESS_WORKERS_MAX)
		return cust_set_error(ctx, 0, CUST_FATAL, "%s: zstd: %d "
		    "workers is not within 0 to %d", name, workers,
		    CUST_PRESS_WORKERS_MAX);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "%s: zstd", name);
	p->drain = drain;
	p->arg = arg;
	p->workers = workers;
	p->bound = ZSTD_compressBound(PIECE);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->room, NULL);
	p->slots = workers > 0 ? SLOTS : 1;
	for (i = 0; i < p->slots; i++)
		if ((p->slot[i].buf = cust_map_buffer(p->bound)) == NULL) {
			r = cust_set_error(ctx, errno, CUST_FATAL, "%s: zstd",
			    name);
			goto fail;
		}
	if ((r = contexts(ctx, name, p, level)) != CUST_OK ||
	    (workers > 0 && (r = start(ctx, name, p)) != CUST_OK))
		goto fail;
	*pp = p;
	return CUST_OK;
fail:
	cust_press_free(p);
	return r;
}

/* The piece being filled is complete: compress it here and drain it, or
 * queue it for the workers and wait for the next slot to be free. */
static int
submit(struct cust_press *p)
{
	struct slot *s = at(p, p->queued);
	int e;

	if (p->workers == 0) {
		if ((e = squeeze(&p->crew[0], s, p->bound)) != 0 ||
		    (e = p->drain(p->arg, s->buf, s->len)) != 0) {
			stop(p, e);
			return p->told = e;
		}
		p->queued++;
		s->len = 0;
		return 0;
	}
	pthread_mutex_lock(&p->mu);
	s->state = QUEUED;
	p->queued++;
	pthread_cond_signal(&p->work);
	while (!p->stopped && at(p, p->queued)->state != FREE)
		pthread_cond_wait(&p->room, &p->mu);
	p->told = p->err;
	pthread_mutex_unlock(&p->mu);
	return p->told;
}

int
cust_press_write(struct cust_press *p, const void *buf, size_t n)
{
	const unsigned char *b = buf;
	struct slot *s;
	size_t k;
	int e;

	/* Both are the feeder's own: no lock for the many small writes. */
	if (p->told != 0)
		return p->told;
	if (p->ending)
		return p->err != 0 ? p->err : EINVAL;
	while (n > 0) {
		s = at(p, p->queued);
		k = PIECE - s->len < n ? PIECE - s->len : n;
		memcpy(s->buf + s->len, b, k);
		s->len += k;
		b += k;
		n -= k;
		if (s->len == PIECE && (e = submit(p)) != 0)
			return e;
	}
	return 0;
}

/* Join the threads started; with STOP, tell them to leave first. */
static void
join(struct cust_press *p, bool stop_them)
{
	int i;

	pthread_mutex_lock(&p->mu);
	if (stop_them)
		stop(p, ECANCELED);
	p->ending = true;
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->threads; i++)
		pthread_join(p->thread[i], NULL);
	p->threads = 0;
}

int
cust_press_error(struct cust_press *p)
{
	int e;

	pthread_mutex_lock(&p->mu);
	e = p->err;
	pthread_mutex_unlock(&p->mu);
	return e;
}

int
cust_press_end(struct cust_press *p)
{
	struct slot *s = at(p, p->queued);
	int e;

	if (p->told != 0)
		return p->told;
	if (!p->ending) {
		/* An empty stream is still one frame: a decoder sees zstd. */
		if ((s->len > 0 || p->queued == 0) && (e = submit(p)) != 0)
			return e;
		join(p, false);
	}
	/* The threads are gone: no one else touches err now. */
	return p->err;
}

void
cust_press_free(struct cust_press *p)
{
	int i;

	if (p == NULL)
		return;
	if (p->threads > 0)
		join(p, true);
	for (i = 0; i < CUST_PRESS_WORKERS_MAX; i++) {
		ZSTD_freeCCtx(p->crew[i].z);
		cust_unmap_buffer(p->crew[i].spare, p->bound);
	}
	for (i = 0; i < SLOTS; i++)
		cust_unmap_buffer(p->slot[i].buf, p->bound);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
