/*
 * dirahead.c: directories read ahead of a walk, on threads of their own.
 * Cold, a walk waits on the disk for each directory it lists, one at a
 * time; the walker posts the directories it is about to enter, and a few
 * threads open and list them meanwhile, so that several reads are at the
 * disk at once.  A directory read ahead is handed over, open and listed,
 * to the walker, which then neither opens nor reads it again: each
 * directory is still opened and listed once.  The threads only ever open
 * with O_NOATIME, so they never move an atime; a directory that needs
 * more (another file system, a failure, O_NOATIME refused) is handed over
 * as far as it got, and the walker does the rest as it always has.  They
 * lstat its names too, which cold is where the walker waited most.  Warm,
 * a hand-over costs more than the listing: the walker posts only while
 * listings wait on the disk (cust_dirq_cold()).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect.h"

enum { FREE, QUEUED, READING, READY };

struct job {
	int		 state;
	uint64_t	 key;		/* the walker's frame */
	size_t		 idx;		/* the name's index in it */
	int		 depth;		/* the frame's: deeper is sooner */
	int		 dirfd;		/* borrowed: the frame's fd */
	dev_t		 dev;		/* the frame's device */
	const char	*name;		/* borrowed: in the frame's names */
	bool		 stats;		/* lstat the names too */
	struct cust_dir_ahead got;	/* owned until claimed */
	struct cust_dirq *q;		/* borrowed: its queue */
	size_t		 bytes;		/* of got's listing */
};

struct cust_dirq {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job queued, or room freed */
	pthread_cond_t	 done;		/* a job read */
	struct job	 jobs[CUST_DIRQ_SLOTS];
	size_t		 bytes;		/* of the listings not claimed */
	_Atomic uint32_t recent;	/* the last 32 listings: 1 when slow */
	uint64_t	 keys;		/* the last key handed out */
	bool		 stop;
	pthread_t	 th[CUST_DIRQ_THREADS];
	size_t		 nth;		/* threads running */
};

/* The lstats of G's names, as cust_stat_at takes them, in the order of
 * their inode numbers (the inode tables' order on the disk); G->pre stays
 * NULL when out of memory. */
static void
stat_names(struct cust_dir_ahead *g, size_t *bytes)
{
	struct cust_byino *v;
	struct cust_pre *p;
	size_t i;

	if (g->n == 0 || g->n > CUST_DIRQ_STATS ||
	    (v = malloc(g->n * sizeof(*v))) == NULL)
		return;
	if ((p = malloc(g->n * sizeof(*p))) == NULL) {
		free(v);
		return;
	}
	for (i = 0; i < g->n; i++)
		v[i] = (struct cust_byino){ cust_name_ino(g->names[i]), i };
	qsort(v, g->n, sizeof(*v), cust_by_ino);
	for (i = 0; i < g->n; i++)
		p[v[i].at].res = statx(g->fd, g->names[v[i].at],
		    AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS |
		    STATX_BTIME, &p[v[i].at].sx) == 0 ? 0 : -errno;
	free(v);
	g->pre = p;
	*bytes += g->n * sizeof(*p);
}

/* Open and list job J's directory: as far as it goes without moving an
 * atime or crossing into another file system. */
static void
read_one(struct job *j)
{
	struct cust_dir_ahead *g = &j->got;
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOATIME;

	g->fd = -1;
	g->names = NULL;
	g->n = 0;
	g->err = 0;
	g->pre = NULL;
	j->bytes = 0;
	if ((g->fd = openat(j->dirfd, j->name, flags)) < 0)
		return;
	if (fstat(g->fd, &g->st) != 0) {
		close(g->fd);
		g->fd = -1;
		return;
	}
	if (g->st.st_dev != j->dev)
		return;		/* a mount point: the walker decides */
	if (cust_read_names(g->fd, &g->names, &g->n, &j->bytes, &g->err,
	    j->q) != 0)
		g->names = NULL;	/* out of memory: the walker reads */
	else if (j->stats)
		stat_names(g, &j->bytes);
}

/* The queued job to read first: the deepest frame's, its first name. */
static struct job *
next(struct cust_dirq *q)
{
	struct job *best = NULL, *j;

	for (size_t k = 0; k < CUST_DIRQ_SLOTS; k++) {
		j = &q->jobs[k];
		if (j->state == QUEUED && (best == NULL ||
		    j->depth > best->depth || (j->depth == best->depth &&
		    j->idx < best->idx)))
			best = j;
	}
	return best;
}

static void *
run(void *arg)
{
	struct cust_dirq *q = arg;
	struct job *j = NULL;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->stop && (q->bytes >= CUST_DIRQ_BYTES ||
		    (j = next(q)) == NULL))
			pthread_cond_wait(&q->work, &q->mu);
		if (q->stop)
			break;
		j->state = READING;
		pthread_mutex_unlock(&q->mu);
		read_one(j);
		pthread_mutex_lock(&q->mu);
		j->state = READY;
		q->bytes += j->bytes;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static void
release(struct cust_dirq *q, struct job *j)
{
	if (j->state == READY) {
		if (j->got.fd >= 0)
			close(j->got.fd);
		cust_free_names(j->got.names, j->got.n);
		free(j->got.pre);
		q->bytes -= j->bytes;
	}
	j->state = FREE;
}

void
cust_dirq_free(struct cust_dirq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (size_t k = 0; k < q->nth; k++)
		pthread_join(q->th[k], NULL);
	for (size_t k = 0; k < CUST_DIRQ_SLOTS; k++)
		release(q, &q->jobs[k]);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* The threads take no signal: an interrupt is the collector's thread's. */
static int
start(struct cust_dirq *q)
{
	sigset_t all, old;
	int e = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; q->nth < CUST_DIRQ_THREADS; q->nth++)
		if ((e = pthread_create(&q->th[q->nth], NULL, run, q)) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

int
cust_dirq_new(struct cust_ctx *ctx, struct cust_dirq **qp)
{
	struct cust_dirq *q;

	*qp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "read ahead");
	/* Warm until the listings say otherwise, and no thread until the
	 * first post: a collection of a few directories (most of them, and
	 * every one in the tests) pays neither the threads nor a hand-over,
	 * and a cold walk lists 8 directories itself before it reads ahead. */
	atomic_init(&q->recent, 0);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	*qp = q;
	return CUST_OK;
}

void
cust_dirq_assume_cold(struct cust_dirq *q)
{
	atomic_store_explicit(&q->recent, UINT32_MAX, memory_order_relaxed);
}

/* A listing slower than this waited on the disk: a cached one takes a
 * few microseconds (96% of /usr's under 10) and some more a kilobyte,
 * one read from the disk 20 to 100 (all but a few). */
#define SLOW_NS		20000
#define NS_PER_KB	500
/* Read ahead while this many of the last 32 listings were slow. */
#define COLD_OF_32	8

void
cust_dirq_timed(struct cust_dirq *q, const struct timespec *t0, size_t len)
{
	struct timespec t;
	uint32_t old, slow;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ns = (int64_t)(t.tv_sec - t0->tv_sec) * 1000000000 + t.tv_nsec -
	    t0->tv_nsec;
	slow = ns > SLOW_NS + (int64_t)(len / 1024 * NS_PER_KB);
	old = atomic_load_explicit(&q->recent, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&q->recent, &old,
	    old << 1 | slow, memory_order_relaxed, memory_order_relaxed))
		;
}

bool
cust_dirq_cold(struct cust_dirq *q)
{
	return __builtin_popcount(atomic_load_explicit(&q->recent,
	    memory_order_relaxed)) >= COLD_OF_32;
}

uint64_t
cust_dirq_key(struct cust_dirq *q)
{
	uint64_t k;

	pthread_mutex_lock(&q->mu);
	k = ++q->keys;
	pthread_mutex_unlock(&q->mu);
	return k;
}

/* Jobs of frame KEY not yet claimed. */
static size_t
held(const struct cust_dirq *q, uint64_t key)
{
	size_t n = 0;

	for (size_t k = 0; k < CUST_DIRQ_SLOTS; k++)
		n += q->jobs[k].state != FREE && q->jobs[k].key == key;
	return n;
}

int
cust_dirq_post(struct cust_dirq *q, uint64_t key, int depth, int dirfd,
    dev_t dev, const char *name, size_t idx, bool stats)
{
	struct job *j = NULL;

	if (q->nth == 0 && (start(q), q->nth == 0))
		return CUST_FAILED;	/* no thread: the walker reads it */
	pthread_mutex_lock(&q->mu);
	for (size_t k = 0; j == NULL && k < CUST_DIRQ_SLOTS; k++)
		if (q->jobs[k].state == FREE)
			j = &q->jobs[k];
	if (j == NULL || held(q, key) >= CUST_DIRQ_FRAME) {
		pthread_mutex_unlock(&q->mu);
		return CUST_FAILED;
	}
	*j = (struct job){ .state = QUEUED, .key = key, .idx = idx,
	    .depth = depth, .dirfd = dirfd, .dev = dev, .name = name,
	    .stats = stats, .q = q };
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	return CUST_OK;
}

static struct job *
find(struct cust_dirq *q, uint64_t key, size_t idx)
{
	for (size_t k = 0; k < CUST_DIRQ_SLOTS; k++)
		if (q->jobs[k].state != FREE && q->jobs[k].key == key &&
		    q->jobs[k].idx == idx)
			return &q->jobs[k];
	return NULL;
}

bool
cust_dirq_claim(struct cust_dirq *q, uint64_t key, size_t idx,
    struct cust_dir_ahead *out)
{
	struct job *j;
	bool got = false;

	pthread_mutex_lock(&q->mu);
	while ((j = find(q, key, idx)) != NULL && j->state == READING)
		pthread_cond_wait(&q->done, &q->mu);
	if (j != NULL && j->state == READY) {
		*out = j->got;
		q->bytes -= j->bytes;
		pthread_cond_signal(&q->work);	/* room, maybe */
		got = true;
	}
	if (j != NULL)
		j->state = FREE;	/* queued: the walker reads it */
	pthread_mutex_unlock(&q->mu);
	return got;
}

void
cust_dirq_drop(struct cust_dirq *q, uint64_t key, bool all)
{
	bool reading;

	pthread_mutex_lock(&q->mu);
	do {
		reading = false;
		for (size_t k = 0; k < CUST_DIRQ_SLOTS; k++) {
			if (q->jobs[k].state == FREE || q->jobs[k].key != key)
				continue;
			if (q->jobs[k].state == READING)
				reading = true;
			else if (all || q->jobs[k].state == QUEUED)
				release(q, &q->jobs[k]);
		}
		/* A thread still reading uses the frame's fd. */
		if (reading)
			pthread_cond_wait(&q->done, &q->mu);
	} while (reading);
	pthread_mutex_unlock(&q->mu);
}
