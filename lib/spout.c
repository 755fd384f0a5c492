/*
 * spout.c: a byte stream that leaves on a thread of its own.  The thread
 * that feeds zstd's workers should not also wait on write(2) and hash
 * what comes out, or the workers wait for it: so zstd writes its output
 * straight into a relay's ring, and the spout's thread hands each piece,
 * in order, to a drain function (the sink's: write, hash, count, flush).
 * A piece goes as soon as anything is in it: holding it back until it
 * was full left the drain idle while zstd waited on its workers, and
 * made few-large 12% slower.  Sent at once, collecting to .tar.zst took
 * 3% (triage) to 8% (few-large) less time than with the output written by
 * the feeding thread (medians of seven alternating rounds).
 *
 * The drain's first error stops the spout: what follows is not drained,
 * and the feeding side learns of it at its next call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "private.h"

#define SPOUT_RING	(2 * 1024 * 1024)	/* bytes in flight */
#define PIECE		(SPOUT_RING / 8)	/* room offered at once */

struct cust_spout {
	cust_spout_fn	 drain;
	void		*arg;
	struct cust_relay *relay;	/* owned */
	pthread_t	 thread;
	bool		 running;
	unsigned char	*room;		/* PIECE bytes reserved, or NULL */
	int		 err;		/* the drain's; set before the abort */
};

static void *
run(void *arg)
{
	struct cust_spout *sp = arg;
	struct cust_job j;
	int e;

	pthread_setname_np(pthread_self(), "custody-spout");
	while (cust_relay_next(sp->relay, &j)) {
		if ((e = sp->drain(sp->arg, j.data, j.len)) != 0) {
			/* The relay's lock orders this before the feeder
			 * sees the abort. */
			sp->err = e;
			cust_relay_abort(sp->relay);
			break;
		}
		cust_relay_release(sp->relay, j.data, j.len);
	}
	return NULL;
}

int
cust_spout_new(struct cust_ctx *ctx, cust_spout_fn drain, void *arg,
    struct cust_spout **spp)
{
	struct cust_spout *sp;
	int r;

	*spp = NULL;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "spout");
	sp->drain = drain;
	sp->arg = arg;
	if ((r = cust_relay_new(ctx, SPOUT_RING, &sp->relay)) != CUST_OK) {
		free(sp);
		return r;
	}
	if ((errno = pthread_create(&sp->thread, NULL, run, sp)) != 0) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "output thread");
		cust_spout_free(sp);
		return r;
	}
	sp->running = true;
	*spp = sp;
	return CUST_OK;
}

void *
cust_spout_room(struct cust_spout *sp, size_t *n)
{
	if (sp->room == NULL &&
	    (sp->room = cust_relay_reserve(sp->relay, PIECE)) == NULL)
		return NULL;
	*n = PIECE;
	return sp->room;
}

bool
cust_spout_wrote(struct cust_spout *sp, size_t used)
{
	unsigned char *p = sp->room;

	if (used == 0)
		return true;
	sp->room = NULL;
	cust_relay_unreserve(sp->relay, PIECE - used);
	if (!cust_relay_chunk(sp->relay, p, used))
		return false;
	/* Wake the drain for it: the drain works while zstd does. */
	cust_relay_flush(sp->relay);
	return true;
}

int
cust_spout_end(struct cust_spout *sp)
{
	if (sp->running) {
		if (sp->room != NULL)
			cust_relay_unreserve(sp->relay, PIECE);
		sp->room = NULL;
		cust_relay_close(sp->relay);
		pthread_join(sp->thread, NULL);
		sp->running = false;
	}
	return sp->err;
}

void
cust_spout_free(struct cust_spout *sp)
{
	if (sp == NULL)
		return;
	if (sp->running) {
		/* Nothing more is drained: the stream is being given up. */
		cust_relay_abort(sp->relay);
		pthread_join(sp->thread, NULL);
	}
	cust_relay_free(sp->relay);
	free(sp);
}
