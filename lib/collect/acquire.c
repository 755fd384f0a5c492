/*
 * acquire.c: take one regular file.  It is opened relative to its parent
 * directory without following links and without blocking (a name swapped
 * for a FIFO cannot hang us), checked to be the file the walker saw, then
 * read once, straight into the relay's ring: the hashing thread digests
 * (and, for the first chunk, types) each chunk, then hands the very same
 * bytes to the archive writer.  Whatever happens while reading, the
 * archive holds exactly the bytes that are hashed, and the result says
 * what happened.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

/* Not in every linux/magic.h. */
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC		0x62656570
#endif
#ifndef FUSE_CTL_SUPER_MAGIC
#define FUSE_CTL_SUPER_MAGIC	0x65735543
#endif

/* Files whose st_size means nothing (procfs, sysfs, debugfs...) are read
 * to their end into a buffer of at most this size, since a tar header
 * needs the size first; /proc/kallsyms is some 5 to 20 MiB. */
#define PSEUDO_CAP	(64 * 1024 * 1024)
/* The most one read() of a pseudo file asks for.  /proc/sys refuses a
 * count of KMALLOC_MAX_SIZE (4 MiB) or more with ENOMEM: asking for what
 * was left of a buffer grown by a large file made every later /proc/sys
 * read fail. */
#define PSEUDO_READ	(64 * 1024)
/* A buffer grown past this by one large pseudo file is given back. */
#define PSEUDO_KEEP	(1024 * 1024)

struct cust_acquirer {
	struct cust_ctx	*ctx;		/* borrowed */
	struct cust_relay *relay;	/* borrowed */
	size_t		 chunk;		/* largest read */
	unsigned char	*pbuf;		/* owned, for pseudo files */
	size_t		 pcap;
	struct cust_region *reg;	/* owned: a sparse file's data */
	unsigned char	*map;		/* owned: and its map */
	uint64_t	 rate;		/* bytes a second; 0: no limit */
	uint64_t	 total;		/* bytes read since start */
	struct timespec	 start;
	dev_t		 pdev;		/* the last file system asked about, */
	uint64_t	 pdir;		/* from the open directory, */
	bool		 ppseudo;	/* and whether it is pseudo */
};

int
cust_acquirer_new(struct cust_ctx *ctx, struct cust_relay *relay,
    uint64_t max_rate, struct cust_acquirer **ap)
{
	struct cust_acquirer *a;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "acquire");
	a->ctx = ctx;
	a->relay = relay;
	a->chunk = cust_relay_max(relay);
	if (a->chunk > 1024 * 1024)
		a->chunk = 1024 * 1024;
	a->rate = max_rate;
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	*ap = a;
	return CUST_OK;
}

void
cust_acquirer_free(struct cust_acquirer *a)
{
	if (a == NULL)
		return;
	free(a->pbuf);
	free(a->reg);
	free(a->map);
	free(a);
}

static enum cust_rec_status
openstatus(int err)
{
	/* O_NOFOLLOW met a link where the walker saw a file: replaced. */
	return err == ELOOP ? CUST_ST_CHANGED : cust_rec_status_of_errno(err);
}

static int
fail(struct cust_taken *t, enum cust_rec_status status, const char *what,
    int err)
{
	t->status = status;
	t->what = what;
	t->err = err;
	return CUST_OK;
}

static int
openfile(const struct cust_entry *e, struct cust_taken *t)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd;

	/* O_NOATIME needs ownership or CAP_FOWNER; without it a read may
	 * move atime, which the record will then show. */
	fd = openat(e->dirfd, e->name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM) {
		t->atime_risk = true;
		fd = openat(e->dirfd, e->name, flags);
	}
	return fd;
}

/*
 * Whether FD lies on a file system whose st_size means nothing: its files
 * are made up as they are read.  By statfs, not by path: such a file
 * system may be mounted anywhere, and /proc may hold anything else.
 */
static bool
pseudo_fs(int fd)
{
	static const unsigned long magic[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
		SECURITYFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
		BPF_FS_MAGIC, CONFIGFS_MAGIC, PSTOREFS_MAGIC, SELINUX_MAGIC,
		SMACK_MAGIC, BINFMTFS_MAGIC, FUSE_CTL_SUPER_MAGIC,
		EFIVARFS_MAGIC,
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return false;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((unsigned long)sf.f_type == magic[i])
			return true;
	return false;
}

static bool
moved(const struct stat *a, const struct stat *b)
{
	return a->st_size != b->st_size || a->st_ino != b->st_ino ||
	    a->st_dev != b->st_dev ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

/* Sleep as long as reading is ahead of the --max-rate schedule. */
static void
throttle(struct cust_acquirer *a, size_t n)
{
	struct timespec now, d;
	double due, spent;

	if (a->rate == 0)
		return;
	a->total += n;
	clock_gettime(CLOCK_MONOTONIC, &now);
	due = (double)a->total / (double)a->rate;
	spent = (double)(now.tv_sec - a->start.tv_sec) +
	    (double)(now.tv_nsec - a->start.tv_nsec) / 1e9;
	if (due <= spent)
		return;
	d.tv_sec = (time_t)(due - spent);
	d.tv_nsec = (long)((due - spent - (double)d.tv_sec) * 1e9);
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

static int
aborted(struct cust_acquirer *a)
{
	return cust_set_error(a->ctx, 0, CUST_FATAL, "hashing thread stopped");
}

/* N bytes at P, inside the ring, to the hashing thread and the archive. */
static int
feed(struct cust_acquirer *a, struct cust_taken *t, const void *p, size_t n)
{
	if (!cust_relay_chunk(a->relay, p, n))
		return aborted(a);
	t->bytes += (int64_t)n;
	return CUST_OK;
}

/* N bytes copied from P into the ring, then fed. */
static int
feed_copy(struct cust_acquirer *a, struct cust_taken *t, const void *p,
    size_t n)
{
	size_t k;
	void *q;
	int r;

	while (n > 0) {
		k = n > a->chunk ? a->chunk : n;
		if ((q = cust_relay_reserve(a->relay, k)) == NULL)
			return aborted(a);
		if (p != NULL)
			memcpy(q, p, k);
		else
			memset(q, 0, k);
		if ((r = feed(a, t, q, k)) != CUST_OK)
			return r;
		if (p != NULL)
			p = (const unsigned char *)p + k;
		n -= k;
	}
	return CUST_OK;
}

/* Room for N + WANT bytes in a->pbuf, within the cap: false when out of
 * memory. */
static bool
room_for(struct cust_acquirer *a, size_t n)
{
	unsigned char *p;
	size_t cap;

	if (n < a->pcap)
		return true;
	cap = a->pcap ? a->pcap * 4 : 64 * 1024;
	if (cap > PSEUDO_CAP)
		cap = PSEUDO_CAP;
	if ((p = realloc(a->pbuf, cap)) == NULL)
		return false;
	a->pbuf = p;
	a->pcap = cap;
	return true;
}

/* Read a pseudo file to its end (at most PSEUDO_CAP bytes) into a->pbuf,
 * PSEUDO_READ bytes at a time; *CAPPEDP when more was there. */
static int
slurp(struct cust_acquirer *a, int fd, size_t *np, bool *cappedp, int *errp)
{
	unsigned char probe;
	size_t n = 0, want;
	ssize_t k;

	*errp = 0;
	*cappedp = false;
	for (;;) {
		if (n == PSEUDO_CAP) {
			do
				k = read(fd, &probe, 1);
			while (k < 0 && errno == EINTR);
			*cappedp = k > 0;
			break;
		}
		if (!room_for(a, n))
			return cust_set_error(a->ctx, ENOMEM, CUST_FATAL,
			    "acquire");
		want = a->pcap - n < PSEUDO_READ ? a->pcap - n : PSEUDO_READ;
		k = read(fd, a->pbuf + n, want);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			*errp = k < 0 ? errno : 0;
			break;
		}
		n += (size_t)k;
	}
	*np = n;
	return CUST_OK;
}

/* Give back a buffer that one large pseudo file grew. */
static void
shrink(struct cust_acquirer *a)
{
	if (a->pcap <= PSEUDO_KEEP)
		return;
	free(a->pbuf);
	a->pbuf = NULL;
	a->pcap = 0;
}

/* The member's header, when the file is stored. */
static int
header(struct cust_acquirer *a, const char *member, uint64_t size,
    const struct cust_taken *t)
{
	if (member != NULL && !cust_relay_header(a->relay, member, size,
	    &t->st.st_mtim))
		return aborted(a);
	return CUST_OK;
}

static int
finish(struct cust_acquirer *a, const char *member)
{
	if (member != NULL && !cust_relay_finish(a->relay))
		return aborted(a);
	return CUST_OK;
}

static int
pseudo(struct cust_acquirer *a, int fd, const char *member,
    struct cust_taken *t)
{
	size_t n = 0;
	int err, r;

	t->pseudo = true;
	if ((r = slurp(a, fd, &n, &t->capped, &err)) != CUST_OK)
		return r;
	if (err != 0)
		fail(t, CUST_ST_ERROR, "read", err);
	if ((r = header(a, member, n, t)) == CUST_OK &&
	    (r = feed_copy(a, t, a->pbuf, n)) == CUST_OK)
		r = finish(a, member);
	shrink(a);
	return r;
}

/* The header promised LEFT more bytes than were read: zeros, hashed and
 * stored, and the record says where they start.  ERR: read()'s errno, 0
 * when the file ended early. */
static int
pad(struct cust_acquirer *a, struct cust_taken *t, uint64_t left, int err)
{
	if (err != 0)
		fail(t, CUST_ST_ERROR, "read", err);
	else
		fail(t, CUST_ST_CHANGED, "shrank while read", 0);
	t->padded = true;
	t->got = t->bytes;
	return feed_copy(a, t, NULL, left);
}

/* Read the size the header promised, straight into the ring. */
static int
copy(struct cust_acquirer *a, int fd, const char *member,
    struct cust_taken *t)
{
	uint64_t left = (uint64_t)t->st.st_size;
	size_t want;
	ssize_t k;
	void *p;
	int r;

	if ((r = header(a, member, left, t)) != CUST_OK)
		return r;
	while (left > 0) {
		want = left > a->chunk ? a->chunk : (size_t)left;
		if ((p = cust_relay_reserve(a->relay, want)) == NULL)
			return aborted(a);
		do
			k = read(fd, p, want);
		while (k < 0 && errno == EINTR);
		if (k <= 0) {
			cust_relay_unreserve(a->relay, want);
			if ((r = pad(a, t, left, k < 0 ? errno : 0)) !=
			    CUST_OK)
				return r;
			return finish(a, member);
		}
		if ((size_t)k < want)
			cust_relay_unreserve(a->relay, want - (size_t)k);
		if ((r = feed(a, t, p, (size_t)k)) != CUST_OK)
			return r;
		throttle(a, (size_t)k);
		left -= (uint64_t)k;
	}
	return finish(a, member);
}

/*
 * The data regions of a file of SIZE bytes, by SEEK_DATA and SEEK_HOLE,
 * into a->reg: how many, or -1 when the file system cannot say, or there
 * are more than a sparse member may hold.
 */
static ssize_t
regions(struct cust_acquirer *a, int fd, uint64_t size)
{
	off_t d = 0, h;
	size_t n = 0;

	if (a->reg == NULL && (a->reg = malloc(CUST_SPARSE_REGIONS *
	    sizeof(*a->reg))) == NULL)
		return -1;
	while ((uint64_t)d < size) {
		if ((d = lseek(fd, d, SEEK_DATA)) < 0)
			return errno == ENXIO ? (ssize_t)n : -1;
		if ((uint64_t)d >= size)
			break;
		if ((h = lseek(fd, d, SEEK_HOLE)) < 0 || h <= d ||
		    n == CUST_SPARSE_REGIONS)
			return -1;
		if ((uint64_t)h > size)
			h = (off_t)size;
		a->reg[n].off = (uint64_t)d;
		a->reg[n++].len = (uint64_t)(h - d);
		d = h;
	}
	return (ssize_t)n;
}

/*
 * Whether T's file is stored sparse: only when its blocks fall short of
 * its size by the threshold (so that ordinary files cost no lseek), and
 * its holes, found by SEEK_DATA/SEEK_HOLE, total CUST_SPARSE_MIN_HOLES.
 * Then a->reg holds its *NP data regions.
 */
static bool
is_sparse(struct cust_acquirer *a, int fd, const struct cust_taken *t,
    size_t *np)
{
	uint64_t size = (uint64_t)t->st.st_size;
	ssize_t n;

	if (size < CUST_SPARSE_MIN_HOLES || (uint64_t)t->st.st_blocks * 512 >
	    size - CUST_SPARSE_MIN_HOLES)
		return false;
	if ((n = regions(a, fd, size)) < 0 ||
	    cust_tar_sparse_check(a->reg, (size_t)n, size) != NULL)
		return false;
	*np = (size_t)n;
	return true;
}

/* LEN bytes of a data region at OFF, read into the ring; once a read
 * fell short (t->padded), zeros. */
static int
region(struct cust_acquirer *a, int fd, struct cust_taken *t, uint64_t off,
    uint64_t len)
{
	size_t want;
	ssize_t k;
	void *p;
	int r;

	while (len > 0 && !t->padded) {
		want = len > a->chunk ? a->chunk : (size_t)len;
		if ((p = cust_relay_reserve(a->relay, want)) == NULL)
			return aborted(a);
		do
			k = pread(fd, p, want, (off_t)off);
		while (k < 0 && errno == EINTR);
		if (k <= 0) {
			cust_relay_unreserve(a->relay, want);
			return pad(a, t, len, k < 0 ? errno : 0);
		}
		if ((size_t)k < want)
			cust_relay_unreserve(a->relay, want - (size_t)k);
		if ((r = feed(a, t, p, (size_t)k)) != CUST_OK)
			return r;
		throttle(a, (size_t)k);
		off += (uint64_t)k;
		len -= (uint64_t)k;
	}
	return len > 0 ? feed_copy(a, t, NULL, len) : CUST_OK;
}

static int
hole(struct cust_acquirer *a, struct cust_taken *t, uint64_t n)
{
	if (n == 0)
		return CUST_OK;
	if (!cust_relay_hole(a->relay, n))
		return aborted(a);
	t->bytes += (int64_t)n;
	return CUST_OK;
}

/*
 * A sparse file of N data regions (a->reg): the member's data area is its
 * map, then the regions' bytes; the hashing thread digests the holes'
 * zeros too, so that every digest is the whole content's.
 */
static int
sparse(struct cust_acquirer *a, int fd, const char *member,
    struct cust_taken *t, size_t n)
{
	uint64_t size = (uint64_t)t->st.st_size, data = 0, at = 0;
	size_t maplen = cust_tar_sparse_map(a->reg, n, size, NULL);
	int r = CUST_OK;

	for (size_t i = 0; i < n; i++)
		data += a->reg[i].len;
	t->sparse = true;
	t->regions = n;
	t->data = data;
	free(a->map);
	if ((a->map = malloc(maplen)) == NULL)
		return cust_set_error(a->ctx, ENOMEM, CUST_FATAL, "acquire");
	cust_tar_sparse_map(a->reg, n, size, a->map);
	if (member != NULL && !cust_relay_sparse_header(a->relay, member,
	    maplen + data, size, a->map, maplen, &t->st.st_mtim))
		return aborted(a);
	for (size_t i = 0; r == CUST_OK && i < n; i++) {
		if ((r = hole(a, t, a->reg[i].off - at)) == CUST_OK)
			r = region(a, fd, t, a->reg[i].off, a->reg[i].len);
		at = a->reg[i].off + a->reg[i].len;
	}
	if (r == CUST_OK && (r = hole(a, t, size - at)) == CUST_OK)
		r = finish(a, member);
	return r;
}

/* pseudo_fs() of FD, asked once for the files of one open directory on
 * one device: a device number names one file system while mounted. */
static bool
pseudo_dev(struct cust_acquirer *a, int fd, const struct cust_entry *e,
    dev_t dev)
{
	if (e->dirid == 0 || a->pdir != e->dirid || a->pdev != dev) {
		a->ppseudo = pseudo_fs(fd);
		a->pdev = dev;
		a->pdir = e->dirid;
	}
	return a->ppseudo;
}

/* After reading: did the file move under us (T->after), and did its
 * atime? */
static void
compare(struct cust_taken *t)
{
	t->atime_moved = t->after.st_atim.tv_sec != t->st.st_atim.tv_sec ||
	    t->after.st_atim.tv_nsec != t->st.st_atim.tv_nsec;
	if (moved(&t->st, &t->after)) {
		t->moved = true;
		if (t->status == CUST_ST_OK)
			fail(t, CUST_ST_CHANGED, "modified while read", 0);
	}
}

static void
settle(int fd, struct cust_taken *t)
{
	struct timespec bt;

	if (cust_stat_at(fd, "", AT_EMPTY_PATH, &t->after, &bt) == 0)
		compare(t);
}

int
cust_acquire_open(const struct cust_entry *e, struct cust_taken *t)
{
	int fd;

	memset(t, 0, sizeof(*t));
	t->status = CUST_ST_OK;
	if ((fd = openfile(e, t)) < 0) {
		fail(t, openstatus(errno), "open", errno);
		return -1;
	}
	if (cust_stat_at(fd, "", AT_EMPTY_PATH, &t->st, &t->btime) != 0) {
		fail(t, CUST_ST_ERROR, "fstat", errno);
		close(fd);
		return -1;
	}
	return fd;
}

int
cust_acquire_fd(struct cust_acquirer *a, const struct cust_entry *e, int fd,
    const char *member, struct cust_taken *t)
{
	int r = CUST_OK;
	size_t n;

	/* O_NONBLOCK changes nothing for a regular file; anything else is
	 * never read. */
	if (!S_ISREG(t->st.st_mode)) {
		fail(t, CUST_ST_CHANGED, "replaced by a non-regular file", 0);
		goto out;
	}
	if (t->st.st_ino != e->st.st_ino || t->st.st_dev != e->st.st_dev)
		fail(t, CUST_ST_CHANGED, "replaced after listing", 0);
	if (!cust_relay_start(a->relay)) {
		r = aborted(a);
		goto out;
	}
	t->read = true;
	if (t->st.st_size == 0 || pseudo_dev(a, fd, e, t->st.st_dev))
		r = pseudo(a, fd, member, t);
	else if (is_sparse(a, fd, t, &n))
		r = sparse(a, fd, member, t, n);
	else
		r = copy(a, fd, member, t);
	if (r != CUST_OK)
		goto out;
	t->stored = member != NULL;
	settle(fd, t);
out:
	close(fd);
	return r;
}

int
cust_acquire(struct cust_acquirer *a, const struct cust_entry *e,
    const char *member, struct cust_taken *t)
{
	int fd;

	if ((fd = cust_acquire_open(e, t)) < 0)
		return CUST_OK;
	return cust_acquire_fd(a, e, fd, member, t);
}

int
cust_acquire_buffer(struct cust_acquirer *a, const void *buf, size_t n,
    const char *member, struct cust_taken *t)
{
	int r;

	t->status = CUST_ST_OK;
	if (!cust_relay_start(a->relay))
		return aborted(a);
	t->read = true;
	if ((r = header(a, member, n, t)) != CUST_OK ||
	    (r = feed_copy(a, t, buf, n)) != CUST_OK ||
	    (r = finish(a, member)) != CUST_OK)
		return r;
	t->stored = true;
	return CUST_OK;
}

bool
cust_acquire_pseudo(struct cust_acquirer *a, const struct cust_entry *e,
    int fd, dev_t dev)
{
	return pseudo_dev(a, fd, e, dev);
}

bool
cust_acquire_small(struct cust_acquirer *a, const struct cust_entry *e,
    int fd, const struct cust_taken *t)
{
	return S_ISREG(t->st.st_mode) && t->st.st_ino == e->st.st_ino &&
	    t->st.st_dev == e->st.st_dev && t->st.st_size > 0 &&
	    t->st.st_size <= CUST_URING_SMALL && a->rate == 0 &&
	    !pseudo_dev(a, fd, e, t->st.st_dev);
}

int
cust_acquire_read(struct cust_acquirer *a, const struct cust_entry *e,
    int fd, const char *member, struct cust_taken *t, const void *buf,
    ssize_t got, const struct stat *after, int aerr)
{
	uint64_t size = (uint64_t)t->st.st_size;
	int r;

	(void)e;
	if (!cust_relay_start(a->relay))
		return aborted(a);
	t->read = true;
	if ((r = header(a, member, size, t)) != CUST_OK)
		return r;
	if (got < 0)
		r = pad(a, t, size, (int)-got);
	else if ((r = feed_copy(a, t, buf, (size_t)got)) == CUST_OK &&
	    (uint64_t)got < size)
		/* A short read: the rest as acquire_fd() would read it. */
		r = region(a, fd, t, (uint64_t)got, size - (uint64_t)got);
	if (r != CUST_OK || (r = finish(a, member)) != CUST_OK)
		return r;
	t->stored = member != NULL;
	/* The statx after the batched read came before a read of the rest
	 * (or a zero-length read at the end): ask again when there was one. */
	if (aerr != 0 || (got >= 0 && (uint64_t)got < size))
		settle(fd, t);
	else {
		t->after = *after;
		compare(t);
	}
	return CUST_OK;
}
