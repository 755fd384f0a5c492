/*
 * syncer.c: a file made durable while it grows.  A thread of its own
 * calls fdatasync(2) when asked, so the thread that writes never waits on
 * the disk, and the fsync that seals the bundle finds almost nothing left
 * to do.  Starting writeback (sync_file_range) is not enough: the data
 * reaches the disk, but the disk's own cache (on a VM, the host's page
 * cache) is only emptied by a flush, and the final fsync would wait for
 * all of it.
 *
 * The thread also starts the writeback asked for between two flushes:
 * sync_file_range allocates the blocks and submits the I/O in the caller,
 * which can then wait for the disk's queue, and the caller is the thread
 * that writes the bundle, the one every other stage waits on.
 *
 * The kernel reports a failed writeback once for each open file: after an
 * fdatasync here has returned EIO, an fsync by the caller on the same
 * descriptor would return 0.  So the first error is kept, and whoever asks
 * next is told.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "collect/pipeline/pipeline.h"

struct cust_flusher {
	int		 fd;		/* borrowed */
	pthread_mutex_t	 lock;
	pthread_cond_t	 asked;
	pthread_t	 thread;
	bool		 running;
	bool		 wanted;	/* a flush asked for, not yet begun */
	bool		 pushed;	/* a writeback asked for, not yet begun */
	bool		 done;		/* no more flushes: stop */
	int		 err;		/* errno of the first failed fdatasync */
};

static void *
run(void *arg)
{
	struct cust_flusher *f = arg;
	bool flush;
	int e;

	pthread_setname_np(pthread_self(), "custody-flush");
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->wanted && !f->pushed && !f->done)
			pthread_cond_wait(&f->asked, &f->lock);
		/* A flush still asked for at the end, the caller's fsync
		 * does; a writeback is started even then, so that every
		 * request is met by one call at least. */
		if (f->done && !f->pushed)
			break;
		flush = f->wanted && !f->done;
		f->wanted = f->pushed = false;
		pthread_mutex_unlock(&f->lock);
		/* A flush writes back too.  Starting is advisory: the final
		 * fsync decides, so its failure is not kept. */
		e = 0;
		if (flush && fdatasync(f->fd) != 0)
			e = errno;
		else if (!flush)
			(void)sync_file_range(f->fd, 0, 0,
			    SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&f->lock);
		if (e != 0 && f->err == 0)
			f->err = e;
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

int
cust_flusher_new(struct cust_ctx *ctx, int fd, struct cust_flusher **fp)
{
	struct cust_flusher *f;

	*fp = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "flusher");
	f->fd = fd;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->asked, NULL);
	if ((errno = pthread_create(&f->thread, NULL, run, f)) != 0) {
		int r = cust_set_error(ctx, errno, CUST_FATAL,
		    "flushing thread");

		cust_flusher_free(f);
		return r;
	}
	f->running = true;
	*fp = f;
	return CUST_OK;
}

/* Ask for a flush (FLUSH) or a writeback, without waiting. */
static int
ask(struct cust_flusher *f, bool flush)
{
	int e;

	pthread_mutex_lock(&f->lock);
	if (flush)
		f->wanted = true;
	else
		f->pushed = true;
	e = f->err;
	pthread_cond_signal(&f->asked);
	pthread_mutex_unlock(&f->lock);
	return e;
}

int
cust_flusher_kick(struct cust_flusher *f)
{
	return ask(f, true);
}

int
cust_flusher_push(struct cust_flusher *f)
{
	return ask(f, false);
}

int
cust_flusher_end(struct cust_flusher *f)
{
	if (f->running) {
		pthread_mutex_lock(&f->lock);
		f->done = true;
		pthread_cond_signal(&f->asked);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
		f->running = false;
	}
	return f->err;
}

void
cust_flusher_free(struct cust_flusher *f)
{
	if (f == NULL)
		return;
	(void)cust_flusher_end(f);
	pthread_cond_destroy(&f->asked);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
