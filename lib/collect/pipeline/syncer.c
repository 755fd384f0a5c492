/*
 * syncer.c: a file made durable while it grows.  A thread of its own
 * calls fdatasync(2) when asked, so the thread that writes never waits on
 * the disk, and the fsync that seals the bundle finds almost nothing left
 * to do.  Starting writeback (sync_file_range) is not enough: the data
 * reaches the disk, but the disk's own cache (on a VM, the host's page
 * cache) is only emptied by a flush, and the final fsync would wait for
 * all of it.
 *
 * The kernel reports a failed writeback once for each open file: after an
 * fdatasync here has returned EIO, an fsync by the caller on the same
 * descriptor would return 0.  So the first error is kept, and whoever asks
 * next is told.
 */
#include <errno.h>
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
	bool		 done;		/* no more flushes: stop */
	int		 err;		/* errno of the first failed fdatasync */
};

static void *
run(void *arg)
{
	struct cust_flusher *f = arg;
	int e;

	pthread_setname_np(pthread_self(), "custody-flush");
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->wanted && !f->done)
			pthread_cond_wait(&f->asked, &f->lock);
		/* What is still asked for at the end, the caller's fsync does. */
		if (f->done)
			break;
		f->wanted = false;
		pthread_mutex_unlock(&f->lock);
		e = fdatasync(f->fd) == 0 ? 0 : errno;
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

int
cust_flusher_kick(struct cust_flusher *f)
{
	int e;

	pthread_mutex_lock(&f->lock);
	f->wanted = true;
	e = f->err;
	pthread_cond_signal(&f->asked);
	pthread_mutex_unlock(&f->lock);
	return e;
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
