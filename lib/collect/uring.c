/*
 * uring.c: the open, stat, read and close of many small files, submitted
 * in batches through io_uring, so that a batch of files costs a few
 * io_uring_enter(2) calls instead of some seven system calls a file.  It
 * keeps acquire.c's rules: the same open flags (no link followed, never
 * blocking on a FIFO, O_NOATIME when allowed), a statx of the descriptor
 * before anything is read, nothing read before the caller has seen that
 * statx (rounds, not one chain), bounded buffers the caller owns, and a
 * statx of the descriptor after the read.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

/* Submission slots: a batch's reads and after-stats, and the closes of
 * the batch before, which ride along with the next round. */
#define DEPTH		(4 * CUST_URING_BATCH)

#define OPEN_FLAGS	(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | \
			 O_CLOEXEC)
#define STATX_MASK	(STATX_BASIC_STATS | STATX_BTIME)

struct cust_uring {
	struct cust_ctx	*ctx;		/* borrowed */
	struct io_uring	 ring;
	bool		 up;		/* ring set up */
	unsigned	 queued;	/* SQEs prepared, not yet submitted */
	unsigned	 inflight;	/* submitted, completion not reaped */
	struct statx	 sx[CUST_URING_BATCH];	/* before reading */
	struct statx	 ax[CUST_URING_BATCH];	/* after */
	int		 res[CUST_URING_BATCH][2]; /* completions by file */
};

/* user_data 0: a close, whose result nobody waits for. */
#define TAG(k, which)	((uint64_t)(k) * 2 + (which) + 1)

static const int needed[] = {
	IORING_OP_OPENAT2, IORING_OP_STATX, IORING_OP_READ, IORING_OP_CLOSE,
};

/* Whether the kernel has every operation we submit. */
static bool
probe(struct io_uring *ring, char *why, size_t n)
{
	struct io_uring_probe *p;
	bool ok = true;

	if ((p = io_uring_get_probe_ring(ring)) == NULL) {
		snprintf(why, n, "io_uring: the kernel gives no probe");
		return false;
	}
	for (size_t i = 0; ok && i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!io_uring_opcode_supported(p, needed[i])) {
			snprintf(why, n, "io_uring: operation %d not "
			    "supported", needed[i]);
			ok = false;
		}
	io_uring_free_probe(p);
	return ok;
}

/*
 * A ring of ENTRIES, both rings' way: one thread submits and reaps, so the
 * completions of the kernel's workers (every statx goes to one) can wait
 * until it asks for them all, rather than wake it one by one.  Before
 * Linux 6.1 the flags are refused with EINVAL: a plain ring then.
 */
static int
ring_init(struct io_uring *ring, unsigned entries)
{
	int r;

	r = io_uring_queue_init(entries, ring, IORING_SETUP_SINGLE_ISSUER |
	    IORING_SETUP_DEFER_TASKRUN);
	if (r == -EINVAL)
		r = io_uring_queue_init(entries, ring, 0);
	return r;
}

int
cust_uring_new(struct cust_ctx *ctx, struct cust_uring **up, char *why,
    size_t n)
{
	struct cust_uring *u;
	int r;

	*up = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "io_uring");
	u->ctx = ctx;
	/* ENOSYS: an old kernel or a seccomp filter; EPERM: the
	 * kernel.io_uring_disabled sysctl or a container's policy. */
	if ((r = ring_init(&u->ring, DEPTH)) < 0) {
		snprintf(why, n, "io_uring_setup: %s", strerror(-r));
		free(u);
		return CUST_FAILED;
	}
	u->up = true;
	if (!probe(&u->ring, why, n)) {
		cust_uring_free(u);
		return CUST_FAILED;
	}
	*up = u;
	return CUST_OK;
}

/* Take every completion there is; results of files go to u->res by
 * their tag. */
static void
reap(struct cust_uring *u)
{
	struct io_uring_cqe *cqe;
	uint64_t tag;

	while (u->inflight > 0 && io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		if ((tag = cqe->user_data) != 0)
			u->res[(tag - 1) / 2][(tag - 1) % 2] = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		u->inflight--;
	}
}

/* Submit every queued SQE of RING, moving them from *QUEUED to
 * *INFLIGHT (the batches' ring and the stats-ahead ring alike). */
static int
submit_all(struct cust_ctx *ctx, struct io_uring *ring, unsigned *queued,
    unsigned *inflight)
{
	int r;

	while (*queued > 0) {
		if ((r = io_uring_submit(ring)) < 0) {
			if (r == -EINTR || r == -EAGAIN)
				continue;
			return cust_set_error(ctx, -r, CUST_FATAL,
			    "io_uring_enter");
		}
		*queued -= (unsigned)r;
		*inflight += (unsigned)r;
	}
	return CUST_OK;
}

/* Submit what is queued and reap every completion. */
static int
run(struct cust_uring *u)
{
	struct io_uring_cqe *cqe;
	int r;

	if ((r = submit_all(u->ctx, &u->ring, &u->queued, &u->inflight)) !=
	    CUST_OK)
		return r;
	while (u->inflight > 0) {
		/* Woken once for the round, not once a completion. */
		if ((r = io_uring_wait_cqe_nr(&u->ring, &cqe, u->inflight)) <
		    0) {
			if (r == -EINTR)
				continue;
			return cust_set_error(u->ctx, -r, CUST_FATAL,
			    "io_uring_enter");
		}
		reap(u);
	}
	return CUST_OK;
}

static struct io_uring_sqe *
sqe(struct cust_uring *u)
{
	struct io_uring_sqe *s;

	/* The ring is sized for a batch and its closes: full means a
	 * caller asked for more than CUST_URING_BATCH files. */
	if ((s = io_uring_get_sqe(&u->ring)) != NULL)
		u->queued++;
	return s;
}

/* A statx of FD (AT_EMPTY_PATH), as cust_stat_at does it, into SX. */
static void
prep_statx(struct io_uring_sqe *s, int fd, struct statx *sx)
{
	io_uring_prep_statx(s, fd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT,
	    STATX_MASK, sx);
}

/* Round one: open every file; O_NOATIME refused (not our file, no
 * CAP_FOWNER) is retried without it, as acquire.c does. */
static int
open_round(struct cust_uring *u, struct cust_uring_file *f, size_t n)
{
	/* RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS on a single name say
	 * what O_NOFOLLOW says, and refuse a name that is not one. */
	struct open_how how = {
		.flags = OPEN_FLAGS | O_NOATIME,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS,
	};
	struct io_uring_sqe *s;
	int r;

	for (size_t k = 0; k < n; k++) {
		if ((s = sqe(u)) == NULL)
			return cust_set_error(u->ctx, EOVERFLOW, CUST_FATAL,
			    "io_uring");
		io_uring_prep_openat2(s, f[k].dirfd, f[k].name, &how);
		io_uring_sqe_set_data64(s, TAG(k, 0));
	}
	if ((r = run(u)) != CUST_OK)
		return r;
	for (size_t k = 0; k < n; k++) {
		f[k].fd = u->res[k][0] >= 0 ? u->res[k][0] : -1;
		f[k].err = u->res[k][0] < 0 ? -u->res[k][0] : 0;
		if (f[k].err != EPERM)
			continue;
		f[k].t.atime_risk = true;
		f[k].fd = openat(f[k].dirfd, f[k].name, OPEN_FLAGS);
		f[k].err = f[k].fd < 0 ? errno : 0;
	}
	return CUST_OK;
}

int
cust_uring_open(struct cust_uring *u, struct cust_uring_file *f, size_t n)
{
	struct io_uring_sqe *s;
	int r;

	for (size_t k = 0; k < n; k++) {
		memset(&f[k].t, 0, sizeof(f[k].t));
		f[k].t.status = CUST_ST_OK;
		f[k].buf = NULL;
		f[k].want = 0;
	}
	if ((r = open_round(u, f, n)) != CUST_OK)
		return r;
	/* Round two: each descriptor's statx, which the caller looks at
	 * before anything is read. */
	for (size_t k = 0; k < n; k++) {
		if (f[k].fd < 0)
			continue;
		if ((s = sqe(u)) == NULL)
			return cust_set_error(u->ctx, EOVERFLOW, CUST_FATAL,
			    "io_uring");
		prep_statx(s, f[k].fd, &u->sx[k]);
		io_uring_sqe_set_data64(s, TAG(k, 0));
	}
	if ((r = run(u)) != CUST_OK)
		return r;
	for (size_t k = 0; k < n; k++) {
		if (f[k].fd < 0)
			continue;
		if (u->res[k][0] < 0) {
			f[k].serr = -u->res[k][0];
			continue;
		}
		f[k].serr = 0;
		cust_stat_from(&u->sx[k], &f[k].t.st, &f[k].t.btime);
	}
	return CUST_OK;
}

int
cust_uring_read(struct cust_uring *u, struct cust_uring_file *f, size_t n)
{
	struct io_uring_sqe *s;
	int r;

	/* Round three: each read the caller allowed, then (whatever the
	 * read did: a hard link) the statx after it. */
	for (size_t k = 0; k < n; k++) {
		if (f[k].want == 0)
			continue;
		if ((s = sqe(u)) == NULL)
			return cust_set_error(u->ctx, EOVERFLOW, CUST_FATAL,
			    "io_uring");
		io_uring_prep_read(s, f[k].fd, f[k].buf, (unsigned)f[k].want,
		    0);
		io_uring_sqe_set_data64(s, TAG(k, 0));
		s->flags |= IOSQE_IO_HARDLINK;
		if ((s = sqe(u)) == NULL)
			return cust_set_error(u->ctx, EOVERFLOW, CUST_FATAL,
			    "io_uring");
		prep_statx(s, f[k].fd, &u->ax[k]);
		io_uring_sqe_set_data64(s, TAG(k, 1));
	}
	if ((r = run(u)) != CUST_OK)
		return r;
	for (size_t k = 0; k < n; k++) {
		if (f[k].want == 0)
			continue;
		f[k].got = u->res[k][0];
		f[k].aerr = u->res[k][1] < 0 ? -u->res[k][1] : 0;
		if (f[k].aerr == 0)
			cust_stat_from(&u->ax[k], &f[k].after, &f[k].abtime);
	}
	return CUST_OK;
}

int
cust_uring_close(struct cust_uring *u, int fd)
{
	struct io_uring_sqe *s;

	/* Submitted with the next round: nothing waits for a close. */
	if ((s = sqe(u)) == NULL) {
		close(fd);
		return CUST_OK;
	}
	io_uring_prep_close(s, fd);
	io_uring_sqe_set_data64(s, 0);
	return CUST_OK;
}

int
cust_uring_flush(struct cust_uring *u)
{
	return u == NULL ? CUST_OK : run(u);
}

void
cust_uring_free(struct cust_uring *u)
{
	if (u == NULL)
		return;
	if (u->up) {
		(void)run(u);
		io_uring_queue_exit(&u->ring);
	}
	free(u);
}

/* ------------------------------------------------------ stats ahead */

/*
 * The walk's stats, submitted ahead of the entry being looked at: the
 * kernel runs a statx on a worker thread of its own (io_uring cannot do
 * one without blocking), so the other core stats the next names while
 * this thread records the last ones, and a cold cache has several inodes
 * read at once.  A ring of its own: completions come by the address of
 * the result they fill, never mixed with a file batch's.
 */
struct cust_statq {
	struct cust_ctx	*ctx;		/* borrowed */
	struct io_uring	 ring;
	unsigned	 queued;	/* prepared, not yet submitted */
	unsigned	 inflight;	/* submitted, not yet reaped */
};

int
cust_statq_new(struct cust_ctx *ctx, struct cust_statq **qp)
{
	struct cust_statq *q;

	*qp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "io_uring");
	q->ctx = ctx;
	if (ring_init(&q->ring, 2 * CUST_STATQ_DEPTH) < 0) {
		free(q);
		return CUST_FAILED;
	}
	*qp = q;
	return CUST_OK;
}

int
cust_statq_add(struct cust_statq *q, int dirfd, const char *name,
    struct statx *sx, int *res)
{
	struct io_uring_sqe *s;

	if (q->queued + q->inflight >= CUST_STATQ_DEPTH ||
	    (s = io_uring_get_sqe(&q->ring)) == NULL)
		return cust_set_error(q->ctx, EOVERFLOW, CUST_FATAL,
		    "io_uring");
	io_uring_prep_statx(s, dirfd, name, AT_SYMLINK_NOFOLLOW |
	    AT_NO_AUTOMOUNT, STATX_MASK, sx);
	io_uring_sqe_set_data(s, res);
	*res = CUST_STATQ_PENDING;
	q->queued++;
	return CUST_OK;
}

/* Submit what is queued; then reap completions, waiting for one only
 * while *RES (NULL: anything in flight) is still pending. */
static int
statq_run(struct cust_statq *q, const int *res)
{
	struct io_uring_cqe *cqe;
	int r;

	if ((r = submit_all(q->ctx, &q->ring, &q->queued, &q->inflight)) !=
	    CUST_OK)
		return r;
	while (q->inflight > 0) {
		if (res != NULL && *res != CUST_STATQ_PENDING)
			r = io_uring_peek_cqe(&q->ring, &cqe);
		else
			r = io_uring_wait_cqe(&q->ring, &cqe);
		if (r == -EAGAIN)
			break;		/* none ready, none awaited */
		if (r < 0) {
			if (r == -EINTR)
				continue;
			return cust_set_error(q->ctx, -r, CUST_FATAL,
			    "io_uring_enter");
		}
		*(int *)io_uring_cqe_get_data(cqe) = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		q->inflight--;
	}
	return CUST_OK;
}

int
cust_statq_wait(struct cust_statq *q, const int *res)
{
	return statq_run(q, res);
}

int
cust_statq_settle(struct cust_statq *q)
{
	return q == NULL ? CUST_OK : statq_run(q, NULL);
}

void
cust_statq_free(struct cust_statq *q)
{
	if (q == NULL)
		return;
	(void)statq_run(q, NULL);
	io_uring_queue_exit(&q->ring);
	free(q);
}
