/*
 * collect.c: the collection.  Manifests give rules, the walker finds what
 * each rule names, the acquirer reads each regular file once into the
 * digests and the archive, and every artefact met (taken, refused, vanished)
 * becomes a record.  At the end the bag is sealed: acquisition record,
 * custody events, manifests, tag manifest, signature.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect.h"

#define LABEL_MAX	256	/* case id, evidence id, examiner */
#define TEXT_MAX	1024	/* location, authority */
/* Bytes read, not yet hashed and written: four of the largest reads,
 * enough that reading seldom waits for hashing; a larger ring only took
 * more memory. */
#define RING_BYTES	(4 * 1024 * 1024)

/* Stored files with more than one link, by inode: their stored name. */
struct link {
	dev_t		 dev;
	ino_t		 ino;
	char		*stored;	/* owned */
};

struct links {
	struct link	*v;		/* owned */
	size_t		 n, cap;
};

/* A lazy entry waiting for its batch (uring.c). */
struct queued {
	struct cust_entry e;		/* path and name in text, dirfd one of
					   the batch's dirs */
	char		*text;		/* owned */
	const struct cust_rule *rule;	/* borrowed: the one chosen */
	const char	*artefact;	/* borrowed */
};

/* Lazy entries taken together, in walk order. */
struct batch {
	struct queued	 q[CUST_URING_BATCH];
	struct cust_uring_file f[CUST_URING_BATCH];
	size_t		 n;
	unsigned char	*buf;		/* owned: a read's room a file */
	int		 dirs[CUST_URING_BATCH]; /* owned: dups of the walk's */
	size_t		 ndirs;
	uint64_t	 dirid;		/* the walk's id of the last dir */
};

/*
 * One traversal: a start path and every artefact (up to 64) that walks
 * from it, whatever its collector; see docs/design.md, "One walk".
 */
#define GROUP_MAX	64

struct start {
	char		*path;			/* owned */
	const struct cust_rule **rules;		/* owned, each borrowed */
	const char	**labels;		/* owned, each plan's */
	int		*lists;			/* owned: each rule's listing,
						   -1 for none */
	struct cust_strv *anchors;		/* owned: each rule's start
						   paths, when it came from
						   a start below (nest()) */
	size_t		 n, cap;
	size_t		 into;			/* 1 + the start whose walk
						   it joined; 0: its own */
	int		 rank;			/* strongest collector */
	int		 weakest;		/* weakest collector */
	size_t		 order;			/* when first named */
};

struct plan {
	struct start	*v;			/* owned */
	size_t		 n, cap;
	size_t		*slots;			/* owned: path hash -> 1 + the
						   last start of that path */
	size_t		 nslots;
	char		**labels;		/* owned, each owned */
	size_t		 nlabels, labcap;
	const struct cust_rule **lists;		/* is_file_list rules */
	const char	**listlabels;
	size_t		 nlists, listcap;
};

struct run {
	struct cust_ctx	*ctx;			/* borrowed */
	const struct cust_collect_opts *o;	/* borrowed */
	struct cust_collect_result *res;	/* borrowed */
	int		 rootfd;		/* owned */
	struct cust_sink *sink;			/* owned */
	struct cust_bag	*bag;			/* owned */
	struct cust_filetype *ft;		/* owned */
	struct cust_acquirer *acq;		/* owned */
	struct cust_relay *relay;		/* owned: reader to hasher */
	struct cust_relay *forward;		/* owned: hasher to writer */
	struct cust_ledger *ledger;		/* owned: the hashing thread */
	struct cust_slips *slips;		/* owned: records' slips */
	struct cust_writer *writer;		/* owned: the archive's */
	struct cust_pathset *recorded[3];	/* owned: by level(), each
						   NULL until used */
	struct cust_mounts *mounts;		/* owned */
	struct cust_atimes *atimes;		/* owned; NULL when guarded */
	struct cust_uring *uring;		/* owned; NULL: no batches */
	struct cust_statq *statq;		/* owned; NULL: no stats ahead */
	struct cust_dirq *dirq;			/* owned; NULL: no reads ahead */
	struct batch	 batch;
	struct links	 links;			/* hard links stored */
	struct cust_key	*onetime;		/* owned, when no key given */
	const struct cust_key *key;		/* borrowed */
	json_t		*skipped;		/* owned: artefacts not run */
	struct cust_strv homes[2];		/* owned: all, login users */
	bool		 have_homes[2];
	struct cust_ids	 ids[2];		/* owned: users, groups */
	bool		 have_ids[2];
	const struct cust_rule *rule;		/* borrowed: current */
	const char	*artefact;		/* borrowed: its label */
	const struct start *group;		/* borrowed: current walk */
	bool		 last;			/* it is the last walk, of
						   one tree: see first_time() */
	bool		 fresh[3];		/* by level: its set was empty
						   when the last walk began */
	struct plan	 plan;
	struct cust_listings *listings;		/* owned: find artefacts' */
	int		 listing;		/* the current rule's, or -1
						   (walks of no group) */
	struct cust_walk_counts counts;		/* what filters left out */
	struct timespec	 start, end;
};

/*
 * Record REC: tell the caller about everything that is not plainly ok, and
 * hand a copy to the hashing thread, which writes it once the file's
 * digests (DIGEST: its bytes were relayed) are final and, for a stored
 * file (PAYLOAD), lists it in the payload manifests.
 */
static int
record(struct run *run, struct cust_record *rec, bool digest, bool payload)
{
	const struct cust_collect_opts *o = run->o;
	struct cust_slip *slip;

	if (cust_rec_status_failed(rec->status))
		run->res->failed++;
	else if (rec->status == CUST_ST_CHANGED)
		run->res->changed++;
	if (o->notify != NULL && !cust_rec_status_quiet(rec->status))
		o->notify(o->notify_arg, rec->path, rec->pathlen,
		    cust_rec_status_name(rec->status), rec->reason != NULL ?
		    rec->reason : cust_rec_status_name(rec->status));
	if (o->progress != NULL)
		o->progress(o->progress_arg, run->res->files,
		    run->res->payload_bytes, run->artefact);
	if ((slip = cust_slip_new(run->slips, rec, digest, payload)) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "record");
	if (!cust_relay_record(run->relay, slip))
		return cust_set_error(run->ctx, 0, CUST_FATAL,
		    "hashing thread stopped");
	return CUST_OK;
}

static void
because(char *buf, size_t n, const char *what, int err)
{
	if (err != 0)
		snprintf(buf, n, "%s: %s", what, strerror(err));
	else
		snprintf(buf, n, "%s", what != NULL ? what : "unknown");
}

static int
take_failed(struct run *run, const struct cust_entry *e,
    struct cust_record *rec)
{
	char reason[256];

	rec->status = e->status;
	because(reason, sizeof(reason), e->what, e->err);
	rec->reason = reason;
	if (rec->status == CUST_ST_LOOP)
		run->res->recorded++;
	/* on_entry() returns at once, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return record(run, rec, false, false);
}

/*
 * Has the atime of E moved since the collector first met it (rec->st
 * holds that atime)?  Only without the guard's read-only, noatime mounts
 * can it have: listing a directory or reading a link or a file that is
 * not ours moves it, and so does an earlier meeting under another name.
 */
static bool
atime_moved(const struct run *run, const struct cust_entry *e,
    const struct cust_record *rec)
{
	const struct stat *was = rec->st;
	struct timespec bt;
	struct stat now;

	if (run->res->guarded || e->dirfd < 0 || cust_stat_at(e->dirfd,
	    e->name, AT_SYMLINK_NOFOLLOW, &now, &bt) != 0 ||
	    now.st_ino != was->st_ino || now.st_dev != was->st_dev)
		return false;
	return now.st_atim.tv_sec != was->st_atim.tv_sec ||
	    now.st_atim.tv_nsec != was->st_atim.tv_nsec;
}

/*
 * A /proc file the kernel gives nothing for is no failure: a kernel
 * thread has no memory (ESRCH on environ, auxv...) and no executable
 * (ENOENT on exe), and some files refuse every read (EINVAL).
 */
static bool
proc_empty(const struct run *run, const struct cust_entry *e, int err)
{
	const char *type;

	if (err != ESRCH && err != EINVAL && err != ENOENT)
		return false;
	type = e->dirfd >= 0 ? cust_mounts_type(run->mounts, e->dirfd) : NULL;
	return type != NULL && strcmp(type, "proc") == 0;
}

static int
take_link(struct run *run, const struct cust_entry *e, struct cust_record *rec)
{
	char target[4096], reason[256];
	ssize_t k;

	/* readlink(2) moves a link's atime; only read-only, noatime mounts
	 * (guard.c) prevent it, so say when it happened. */
	k = readlinkat(e->dirfd, e->name, target, sizeof(target));
	if (k >= 0)
		rec->atime_updated = atime_moved(run, e, rec);
	if (k < 0) {
		rec->status = proc_empty(run, e, errno) ? CUST_ST_LISTED :
		    cust_rec_status_of_errno(errno);
		because(reason, sizeof(reason), "readlink", errno);
		rec->reason = reason;
		/* on_entry() returns at once, and REC with it:
		 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
		return record(run, rec, false, false);
	}
	rec->target = target;
	rec->targetlen = (size_t)k;
	run->res->recorded++;
	/* on_entry() returns at once, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return record(run, rec, false, false);
}

/* Keep the stored name of a file with other links to it. */
static int
remember(struct run *run, const struct cust_taken *t, const char *stored)
{
	struct links *l = &run->links;
	struct link *v;

	if (t->st.st_nlink < 2)
		return CUST_OK;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return cust_set_error(run->ctx, ENOMEM, CUST_FATAL,
			    "links");
		l->v = v;
	}
	v = &l->v[l->n];
	v->dev = t->st.st_dev;
	v->ino = t->st.st_ino;
	if ((v->stored = strdup(stored)) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "links");
	l->n++;
	return CUST_OK;
}

static const char *
stored_as(const struct run *run, const struct stat *st)
{
	for (size_t i = 0; st->st_nlink > 1 && i < run->links.n; i++)
		if (run->links.v[i].ino == st->st_ino &&
		    run->links.v[i].dev == st->st_dev)
			return run->links.v[i].stored;
	return NULL;
}

static void
fill_taken(struct cust_record *rec, const struct cust_taken *t)
{
	if (t->read) {
		rec->st = &t->st;
		rec->btime = t->btime;
		rec->bytes = t->bytes;
	}
	if (t->moved)
		rec->after = &t->after;
	rec->atime_updated = t->atime_moved;
	rec->status = t->status;
	rec->pseudo = t->pseudo;
	rec->padded = t->padded;
	rec->bytes_read = t->got;
	rec->sparse = t->sparse;
	rec->regions = t->regions;
	rec->data = t->data;
}

/* FD, unless a batch read it (PRE): the batch closes it. */
static void
release(int fd, const struct cust_uring_file *pre)
{
	if (fd >= 0 && pre == NULL)
		close(fd);
}

/*
 * Read a regular file; store it unless the rule only asks for a hash.  FD
 * and T come from cust_acquire_open(): the file, or -1 and why not; or
 * from a batch, which read it already when PRE is not NULL.
 */
static int
take_file(struct run *run, const struct cust_entry *e, struct cust_record *rec,
    int fd, struct cust_taken *t, const struct cust_uring_file *pre)
{
	const struct cust_rule *rule = run->rule;
	bool store = rule->collector == CUST_COLLECTOR_FILE;
	char reason[256], *stored = NULL, *meta = NULL;
	const char *member = NULL;
	int r = CUST_OK;

	if (store && ((stored = cust_stored_name(e->path, e->pathlen)) ==
	    NULL || (member = cust_bag_member(run->bag, stored)) == NULL)) {
		r = stored == NULL ? cust_set_error(run->ctx, ENOMEM,
		    CUST_FATAL, "record") : CUST_FATAL;
		release(fd, pre);
		goto out;
	}
	/* A file with other links may have been read under another name:
	 * its atime is the one it had then, and the read compares with it. */
	if (fd >= 0 && cust_atimes_first(run->atimes, &t->st) != CUST_OK) {
		release(fd, pre);
		r = CUST_FATAL;
		goto out;
	}
	/* Attributes and flags from the descriptor the file is read by. */
	if (fd >= 0 && rec->meta == NULL && cust_meta_read(fd, -1, NULL,
	    &t->st, !cust_acquire_pseudo(run->acq, e, fd, t->st.st_dev),
	    &meta) != CUST_OK) {
		r = cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "record");
		release(fd, pre);
		goto out;
	}
	if (meta != NULL)
		rec->meta = meta;
	if (fd >= 0 && pre != NULL)
		r = cust_acquire_read(run->acq, e, fd, member, t, pre->buf,
		    pre->got, &pre->after, pre->aerr);
	else if (fd >= 0)
		r = cust_acquire_fd(run->acq, e, fd, member, t);
	if (r != CUST_OK)
		goto out;
	fill_taken(rec, t);
	if (t->what != NULL || t->err != 0) {
		because(reason, sizeof(reason), t->what, t->err);
		rec->reason = reason;
		if (t->err != 0 && proc_empty(run, e, t->err))
			rec->status = t->read ? CUST_ST_OK : CUST_ST_LISTED;
	}
	if (t->read && store) {
		rec->stored = stored;
		run->res->files++;
		run->res->payload_bytes += (uint64_t)t->bytes;
		if ((r = remember(run, t, stored)) != CUST_OK)
			goto out;
	} else if (t->read && t->status == CUST_ST_OK)
		rec->status = CUST_ST_HASHED;
	if (t->capped)
		rec->reason = "pseudo file larger than 64 MiB: first 64 MiB "
		    "taken";
	r = record(run, rec, t->read, t->read && store);
out:
	free(meta);
	free(stored);
	/* on_entry() returns at once, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return r;
}

/* The bundle being written, never collected. */
static bool
ours(const struct run *run, const struct stat *st)
{
	return run->o->out_ino != 0 && st->st_ino == run->o->out_ino &&
	    st->st_dev == run->o->out_dev;
}

static void
begin_record(const struct run *run, const struct cust_entry *e,
    struct cust_record *rec)
{
	const struct cust_rule *rule = run->rule;

	memset(rec, 0, sizeof(*rec));
	rec->path = e->path;
	rec->pathlen = e->pathlen;
	rec->st = &e->st;
	rec->btime = e->btime;
	rec->bytes = -1;
	rec->artefact = run->artefact;
	rec->status = rule->collector == CUST_COLLECTOR_FILE ||
	    rule->collector == CUST_COLLECTOR_HASH ? CUST_ST_OK : CUST_ST_LISTED;
}

/* Will judge() read the regular file of E (and take its metadata from
 * the descriptor it opens)? */
static bool
reads(const struct run *run, const struct cust_entry *e)
{
	const struct cust_rule *rule = run->rule;

	return S_ISREG(e->st.st_mode) &&
	    (rule->collector == CUST_COLLECTOR_FILE ||
	    rule->collector == CUST_COLLECTOR_HASH) &&
	    !(rule->collector == CUST_COLLECTOR_FILE &&
	    stored_as(run, &e->st) != NULL) &&
	    !(rule->max_size >= 0 && e->st.st_size > rule->max_size);
}

static int
judge_rest(struct run *run, const struct cust_entry *e,
    struct cust_record *rec)
{
	const struct cust_rule *rule = run->rule;
	struct cust_taken t;
	char reason[128];

	if (S_ISLNK(rec->st->st_mode))
		return take_link(run, e, rec);
	/* Not to be read: a directory (listed), another name of an inode
	 * already stored (its content once), a file only listed. */
	if (!S_ISREG(rec->st->st_mode) || rec->status == CUST_ST_LISTED ||
	    (rule->collector == CUST_COLLECTOR_FILE &&
	    (rec->link_of = stored_as(run, rec->st)) != NULL)) {
		rec->atime_updated = atime_moved(run, e, rec);
		run->res->recorded++;
		return record(run, rec, false, false);
	}
	if (rule->max_size >= 0 && e->st.st_size > rule->max_size) {
		snprintf(reason, sizeof(reason), "size %jd exceeds "
		    "max_file_size %jd", (intmax_t)e->st.st_size,
		    (intmax_t)rule->max_size);
		rec->status = CUST_ST_TOO_LARGE;
		rec->reason = reason;
		rec->atime_updated = atime_moved(run, e, rec);
		run->res->skipped++;
		/* NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
		return record(run, rec, false, false);
	}
	/* take_file() is done with T when it returns, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return take_file(run, e, rec, cust_acquire_open(e, &t), &t, NULL);
}

/* An entry, stat'ed, that is not the bundle and was not met before. */
static int
judge(struct run *run, const struct cust_entry *e)
{
	struct cust_record rec;
	struct stat st = e->st;
	char *meta = NULL;
	int r;

	/* The atime it had before the collector touched it (a directory
	 * listed, a file read under another name). */
	if (cust_atimes_first(run->atimes, &st) != CUST_OK)
		return CUST_FATAL;
	begin_record(run, e, &rec);
	rec.st = &st;
	if (e->err != 0 || e->what != NULL)
		return take_failed(run, e, &rec);
	/* A timeline (stat) records the stat alone, as find -printf would:
	 * no open, no attribute list of each of a million inodes. */
	if (!reads(run, e) && run->rule->collector != CUST_COLLECTOR_STAT &&
	    cust_meta_read(-1, e->dirfd, e->name, &e->st, false, &meta) !=
	    CUST_OK)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "record");
	rec.meta = meta;
	rec.not_walked = e->not_walked;
	r = judge_rest(run, e, &rec);
	free(meta);
	return r;
}

/* Nothing about the file opened for lazy entry E needs a closer look. */
static bool
plain(const struct run *run, const struct cust_entry *e, const struct stat *st)
{
	const struct cust_rule *rule = run->rule;

	return S_ISREG(st->st_mode) && st->st_ino == e->st.st_ino &&
	    st->st_dev == e->st.st_dev && !ours(run, st) &&
	    (st->st_nlink < 2 || rule->collector != CUST_COLLECTOR_FILE) &&
	    (rule->max_size < 0 || st->st_size <= rule->max_size);
}

/* Lazy entry E, which could not be taken as it was listed: stat it by
 * name, and judge it as the walker would have. */
static int
relist(struct run *run, const struct cust_entry *e)
{
	struct cust_entry again;

	again = *e;
	again.lazy = false;
	if (cust_stat_at(e->dirfd, e->name, AT_SYMLINK_NOFOLLOW, &again.st,
	    &again.btime) != 0) {
		memset(&again.st, 0, sizeof(again.st));
		again.err = errno;
		again.status = cust_rec_status_of_errno(again.err);
		again.what = "lstat";
	} else if (ours(run, &again.st))
		return CUST_OK;
	return judge(run, &again);
}

/*
 * A regular file the walker did not stat (most files): open it, and take
 * it at once when it is the file the directory listed and nothing about it
 * needs a closer look (other links, a size cap, the bundle itself).
 * Otherwise, or when it cannot be opened, stat it by name and judge it as
 * the walker would have.
 */
static int
take_lazy(struct run *run, const struct cust_entry *e)
{
	struct cust_record rec;
	struct cust_taken t;
	int fd;

	if ((fd = cust_acquire_open(e, &t)) >= 0) {
		if (plain(run, e, &t.st)) {
			begin_record(run, e, &rec);
			return take_file(run, e, &rec, fd, &t, NULL);
		}
		close(fd);
	}
	return relist(run, e);
}

/* ------------------------------------------------------------ batches */

/* Close what the batch holds open and forget its entries. */
static void
batch_clear(struct run *run)
{
	struct batch *b = &run->batch;

	for (size_t k = 0; k < b->n; k++) {
		if (b->f[k].fd >= 0)
			cust_uring_close(run->uring, b->f[k].fd);
		b->f[k].fd = -1;
		free(b->q[k].text);
		b->q[k].text = NULL;
	}
	for (size_t k = 0; k < b->ndirs; k++)
		cust_uring_close(run->uring, b->dirs[k]);
	b->n = b->ndirs = 0;
	b->dirid = 0;
}

/* One entry of the batch, opened and stat'ed (and read when F->want):
 * as take_lazy() would take it. */
static int
take_queued(struct run *run, struct queued *q, struct cust_uring_file *f)
{
	const struct cust_entry *e = &q->e;
	struct cust_record rec;
	int fd;

	run->rule = q->rule;
	run->artefact = q->artefact;
	if (f->fd >= 0 && (f->serr != 0 || !plain(run, e, &f->t.st))) {
		cust_uring_close(run->uring, f->fd);
		f->fd = -1;
	}
	if (f->fd < 0)
		return relist(run, e);
	begin_record(run, e, &rec);
	if (f->want > 0)
		return take_file(run, e, &rec, f->fd, &f->t, f);
	fd = f->fd;
	f->fd = -1;		/* take_file() closes it */
	return take_file(run, e, &rec, fd, &f->t, NULL);
}

/* Take the batch's entries, in the order the walk met them: open and
 * stat them all, read those small enough together, then record each. */
static int
drain(struct run *run)
{
	struct batch *b = &run->batch;
	struct cust_uring_file *f = b->f;
	const struct cust_rule *rule = run->rule;
	const char *artefact = run->artefact;
	int r;

	if (b->n == 0)
		return CUST_OK;
	for (size_t k = 0; k < b->n; k++) {
		f[k].dirfd = b->q[k].e.dirfd;
		f[k].name = b->q[k].e.name;
	}
	if ((r = cust_uring_open(run->uring, f, b->n)) != CUST_OK)
		goto out;
	/* Nothing is read before its statx says it is a regular file,
	 * the one listed, of a size that one read takes. */
	for (size_t k = 0; k < b->n; k++) {
		run->rule = b->q[k].rule;
		if (f[k].fd >= 0 && f[k].serr == 0 &&
		    plain(run, &b->q[k].e, &f[k].t.st) &&
		    cust_acquire_small(run->acq, &b->q[k].e, f[k].fd,
		    &f[k].t)) {
			f[k].buf = b->buf + k * CUST_URING_SMALL;
			f[k].want = (size_t)f[k].t.st.st_size;
		}
	}
	if ((r = cust_uring_read(run->uring, f, b->n)) != CUST_OK)
		goto out;
	for (size_t k = 0; r != CUST_FATAL && k < b->n; k++)
		r = take_queued(run, &b->q[k], &f[k]);
out:
	batch_clear(run);
	run->rule = rule;		/* the caller's entry's */
	run->artefact = artefact;
	return r == CUST_FATAL ? r : CUST_OK;
}

/* Lazy entry E joins the batch; a full batch is taken. */
static int
enqueue(struct run *run, const struct cust_entry *e)
{
	struct batch *b = &run->batch;
	struct queued *q = &b->q[b->n];
	size_t nlen = strlen(e->name);
	int fd;

	/* The walk closes its directories as it leaves them: the batch
	 * keeps its own descriptor of each. */
	if (e->dirid == 0 || e->dirid != b->dirid) {
		if ((fd = fcntl(e->dirfd, F_DUPFD_CLOEXEC, 0)) < 0)
			return drain(run) == CUST_FATAL ? CUST_FATAL :
			    take_lazy(run, e);
		b->dirs[b->ndirs++] = fd;
		b->dirid = e->dirid;
	}
	if ((q->text = malloc(e->pathlen + nlen + 2)) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "walk");
	memcpy(q->text, e->path, e->pathlen);
	q->text[e->pathlen] = '\0';
	memcpy(q->text + e->pathlen + 1, e->name, nlen + 1);
	q->e = *e;
	q->e.path = q->text;
	q->e.name = q->text + e->pathlen + 1;
	q->e.dirfd = b->dirs[b->ndirs - 1];
	q->rule = run->rule;
	q->artefact = run->artefact;
	b->f[b->n].fd = -1;
	if (++b->n == CUST_URING_BATCH)
		return drain(run);
	return CUST_OK;
}

/* Stored, hashed, listed by a find, in a timeline: a find's label is
 * the more telling of the two metadata-only ones. */
static int
strength(enum cust_collector c)
{
	return c == CUST_COLLECTOR_FILE ? 0 : c == CUST_COLLECTOR_HASH ? 1 :
	    c == CUST_COLLECTOR_FIND ? 2 : 3;
}

/* The strongest of the artefacts that select E (stored over hashed over
 * listed), the first named among equals: its collector decides. */
static void
choose(struct run *run, const struct cust_entry *e)
{
	const struct start *g = run->group;
	size_t best = GROUP_MAX;

	for (size_t k = 0; k < g->n; k++)
		if ((e->matched >> k & 1) && (best == GROUP_MAX ||
		    strength(g->rules[k]->collector) <
		    strength(g->rules[best]->collector)))
			best = k;
	if (best == GROUP_MAX)
		best = 0;
	run->rule = g->rules[best];
	run->artefact = g->labels[best];
}

/* What a record of collector C gives: 0 the content, 1 its digests, 2
 * the metadata alone. */
static int
level(enum cust_collector c)
{
	return c == CUST_COLLECTOR_FILE ? 0 : c == CUST_COLLECTOR_HASH ? 1 : 2;
}

/* The set of paths recorded at LEVEL or stronger, made when first used. */
static int
recorded(struct run *run, int lvl)
{
	if (run->recorded[lvl] == NULL &&
	    cust_pathset_new(run->ctx, &run->recorded[lvl]) != CUST_OK)
		return CUST_FATAL;
	return CUST_OK;
}

/*
 * Is E new to the bundle at the level of its collector: 1 yes, 0 recorded
 * already by this collector or a stronger one, -1 out of memory.  Start
 * paths that could not join the walk enclosing them (nest()) are walks
 * of their own, and the one that lists a path can come before the one
 * that stores it: the stored record then follows the listed one, and the
 * content is not lost to the listing.  A record is added to the set of
 * its level and to every weaker level's in use.
 */
static int
first_time(struct run *run, const struct cust_entry *e)
{
	int lvl = level(run->rule->collector), r;

	if (recorded(run, lvl) != CUST_OK)
		return -1;
	/* Nothing is recorded after the last walk, and a walk of one tree
	 * meets each path once but a directory's, again when it could not
	 * be reopened: the rest need only be looked up, and only in what
	 * was recorded before the walk. */
	if (run->last && e->err == 0 && e->what == NULL &&
	    !S_ISDIR(e->st.st_mode))
		return run->fresh[lvl] || !cust_pathset_has(
		    run->recorded[lvl], e->path, e->pathlen);
	if ((r = cust_pathset_add(run->recorded[lvl], e->path,
	    e->pathlen)) != 1)
		return r;
	for (int k = lvl + 1; k < 3; k++)
		if (run->recorded[k] != NULL && cust_pathset_add(
		    run->recorded[k], e->path, e->pathlen) < 0)
			return -1;
	return 1;
}

/*
 * A line in the listing of each find artefact that selects E, recorded
 * now or already: a path is recorded once, but listed by every find that
 * selects it.  A lazy entry is never listed: a walk with a find in it
 * stats every entry.
 */
static int
list(struct run *run, const struct cust_entry *e)
{
	const struct start *g = run->group;
	int r = CUST_OK;

	if (g == NULL)
		return run->listing < 0 ? CUST_OK : cust_listings_line(
		    run->listings, run->listing, e->path, e->pathlen);
	for (size_t k = 0; r == CUST_OK && k < g->n; k++)
		if ((e->matched >> k & 1) && g->lists[k] >= 0)
			r = cust_listings_line(run->listings, g->lists[k],
			    e->path, e->pathlen);
	return r;
}

static int
on_entry(void *arg, const struct cust_entry *e)
{
	struct run *run = arg;

	if (run->group != NULL)
		choose(run, e);
	if (e->err == 0 && !e->lazy && ours(run, &e->st))
		return CUST_OK;
	if (list(run, e) != CUST_OK)
		return CUST_FATAL;
	switch (first_time(run, e)) {
	case -1:
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "walk");
	case 0:
		return CUST_OK;		/* recorded already */
	}
	if (e->lazy && run->uring != NULL)
		return enqueue(run, e);
	/* Records keep the walk's order: the batch goes first. */
	if (drain(run) == CUST_FATAL)
		return CUST_FATAL;
	return e->lazy ? take_lazy(run, e) : judge(run, e);
}

static int
walk_one(struct run *run, const char *path)
{
	const struct cust_collect_opts *o = run->o;
	struct cust_walk_opts wo = {
		.rootfd = run->rootfd, .rule = run->rule,
		.mounts = run->mounts, .one_file_system = o->one_file_system,
		.date_fields = o->date_fields, .since = o->since,
		.until = o->until, .visit = on_entry, .arg = run,
		/* Files read anyway are stat'ed once, when opened. */
		.lazy_files = run->rule->collector == CUST_COLLECTOR_FILE ||
		    run->rule->collector == CUST_COLLECTOR_HASH,
		.must_exist = run->rule->manifest == NULL,	/* PATHs */
		.atimes = run->atimes,
		.counts = &run->counts,
		.users = &run->ids[0], .groups = &run->ids[1],
		.statq = run->statq, .dirq = run->dirq,
	};

	if (cust_walk(run->ctx, &wo, path) == CUST_FATAL) {
		batch_clear(run);
		return CUST_FATAL;
	}
	return drain(run);
}

/* ------------------------------------------------------------ live */

/* A live member's record: stored as data/live/REL, read through SRC (a
 * /proc path), or made by the snapshot ("live:REL") when SRC is NULL. */
static int
live_record(struct run *run, const char *rel, const char *src,
    const struct cust_taken *t, const char *stored)
{
	struct cust_record rec;
	char path[512], reason[256];

	snprintf(path, sizeof(path), "%s%s", src != NULL ? src : "live:",
	    src != NULL ? "" : rel);
	memset(&rec, 0, sizeof(rec));
	rec.path = path;
	rec.pathlen = strlen(path);
	rec.artefact = "live";
	rec.bytes = -1;
	fill_taken(&rec, t);
	if (t->what != NULL || t->err != 0) {
		because(reason, sizeof(reason), t->what, t->err);
		rec.reason = reason;
	}
	if (t->stored) {
		rec.stored = stored;
		run->res->files++;
		run->res->payload_bytes += (uint64_t)t->bytes;
	}
	/* REC is copied into a slip before this returns:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return record(run, &rec, t->read, t->stored);
}

static int
live_buffer(void *arg, const char *rel, const char *src, const void *buf,
    size_t n)
{
	struct run *run = arg;
	struct cust_taken t;
	char stored[512];
	const char *member;
	int r;

	snprintf(stored, sizeof(stored), "data/live/%s", rel);
	if ((member = cust_bag_member(run->bag, stored)) == NULL)
		return CUST_FATAL;
	memset(&t, 0, sizeof(t));
	t.st.st_mode = S_IFREG | 0444;
	t.st.st_size = (off_t)n;
	t.st.st_nlink = 1;
	clock_gettime(CLOCK_REALTIME, &t.st.st_mtim);
	t.btime.tv_sec = -1;
	if ((r = cust_acquire_buffer(run->acq, buf, n, member, &t)) !=
	    CUST_OK)
		return r;
	return live_record(run, rel, src, &t, stored);
}

static int
live_file(void *arg, const char *rel, const char *src, int fd)
{
	struct run *run = arg;
	struct cust_entry e;
	struct cust_taken t;
	char stored[512];
	const char *member;
	int r;

	snprintf(stored, sizeof(stored), "data/live/%s", rel);
	memset(&e, 0, sizeof(e));
	memset(&t, 0, sizeof(t));
	t.status = CUST_ST_OK;
	t.btime.tv_sec = -1;
	if ((member = cust_bag_member(run->bag, stored)) == NULL) {
		close(fd);
		return CUST_FATAL;
	}
	if (fstat(fd, &t.st) != 0) {
		t.status = CUST_ST_ERROR;
		t.what = "fstat";
		t.err = errno;
		close(fd);
		return live_record(run, rel, src, &t, stored);
	}
	e.path = src;
	e.pathlen = strlen(src);
	e.st = t.st;
	if ((r = cust_acquire_fd(run->acq, &e, fd, member, &t)) != CUST_OK)
		return r;
	return live_record(run, rel, src, &t, stored);
}

static void
live_counts(struct cust_collect_result *res, const struct cust_live_counts *c)
{
	res->live = true;
	res->live_processes = c->processes;
	res->live_gone = c->gone;
	res->live_blobs = c->blobs;
	res->live_modules = c->modules;
	res->live_tables = c->tables;
	res->live_failed_tables = c->failed_tables;
	res->live_findings = c->findings;
	snprintf(res->live_views, sizeof(res->live_views), "%s", c->line);
	res->live_seconds = c->seconds;
	res->live_at_rest_seconds = c->at_rest_seconds;
	/* A table the kernel would not give is evidence missing. */
	res->failed += c->failed_tables;
}

/* The running host's live state, before any file (RFC 3227 2.1). */
static int
take_live(struct run *run)
{
	struct cust_live_out out = { .buffer = live_buffer,
	    .file = live_file, .arg = run };
	struct cust_live_counts c;
	int procfd, sysfd, r;

	procfd = sysfd = -1;
	if (run->o->live == CUST_LIVE_IMAGE)
		goto snap;	/* the image's files alone: no /proc of it */
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sysfd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		r = cust_set_error(run->ctx, errno, CUST_FAILED, "/proc");
		goto out;
	}
snap:
	r = cust_live_snapshot(run->ctx, procfd, sysfd, run->rootfd, &out, &c);
	if (r == CUST_OK)
		live_counts(run->res, &c);
out:
	if (sysfd >= 0)
		close(sysfd);
	if (procfd >= 0)
		close(procfd);
	if (r == CUST_FAILED) {
		/* No /proc: the live state is missing, the files are not. */
		run->res->failed++;
		cust_ctx_clear(run->ctx);
		r = CUST_OK;
	}
	return r;
}

/* PATH with every %user_home% replaced by HOME ("/" counts as "", so
 * that %user_home%/.x is /.x; but %user_home% alone is "/", the start
 * that the sweeps of / share, not "", another walk of the whole root). */
static char *
subst(const char *path, const char *home)
{
	static const char var[] = "%user_home%";
	size_t hl = strcmp(home, "/") == 0 ? 0 : strlen(home), n = 0;
	const char *p, *q;
	char *out;

	for (p = path; (q = strstr(p, var)) != NULL; p = q + sizeof(var) - 1)
		n++;
	if ((out = malloc(strlen(path) + n * hl + 2)) == NULL)
		return NULL;
	out[0] = '\0';
	for (p = path; (q = strstr(p, var)) != NULL; p = q + sizeof(var) - 1) {
		strncat(out, p, (size_t)(q - p));
		strncat(out, home, hl);
	}
	/* OUT was sized for all of it above:
	 * NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy) */
	strcat(out, p);
	if (out[0] == '\0')
		strcpy(out, "/");	/* NOLINT: 2 bytes, sized above */
	return out;
}

static int
walk_homes(struct run *run, const char *path)
{
	int k = run->rule->exclude_nologin_users ? 1 : 0, r = CUST_OK;
	char *p;

	if (!run->have_homes[k]) {
		if ((r = cust_user_homes(run->ctx, run->rootfd, k == 1,
		    &run->homes[k])) == CUST_FATAL)
			return r;
		run->have_homes[k] = true;	/* unreadable: no homes */
	}
	for (size_t i = 0; r != CUST_FATAL && i < run->homes[k].n; i++) {
		if ((p = subst(path, run->homes[k].v[i])) == NULL)
			return cust_set_error(run->ctx, ENOMEM, CUST_FATAL,
			    "walk");
		r = walk_one(run, p);
		free(p);
	}
	return r;
}

/* The known user and group IDs, read once, when a rule first asks. */
static int
load_ids(struct run *run, const struct cust_rule *rule)
{
	bool need[2] = { rule->no_user, rule->no_group };
	int r;

	for (int k = 0; k < 2; k++) {
		if (!need[k] || run->have_ids[k])
			continue;
		if ((r = cust_ids_load(run->ctx, run->rootfd, k == 1,
		    &run->ids[k])) == CUST_FATAL)
			return r;
		if (r != CUST_OK)	/* unreadable: every ID unknown */
			cust_ctx_clear(run->ctx);
		run->have_ids[k] = true;
	}
	return CUST_OK;
}

/*
 * is_file_list: each path names a file in the root that lists paths, one
 * a line; each listed path is taken as the artefact's own path would be
 * (as UAC's `cat FILE | xargs`, without the shell's word splitting).
 */
static int
walk_list(struct run *run, const char *list)
{
	char *buf = NULL, *s, *nl, *end;
	size_t n = 0;
	int r;

	r = cust_read_file_at(run->ctx, run->rootfd, list[0] == '/' ?
	    list + 1 : list, list, CUST_READ_NOFOLLOW | CUST_READ_NOATIME |
	    CUST_READ_OPTIONAL, 16 * 1024 * 1024, &buf, &n);
	if (r != CUST_OK || buf == NULL) {
		if (r == CUST_FAILED)
			cust_ctx_clear(run->ctx);
		return r == CUST_FATAL ? r : CUST_OK;
	}
	for (s = buf, end = buf + n; r != CUST_FATAL && s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		*nl = '\0';
		if (s[0] == '/' && memchr(s, '\0', (size_t)(nl - s)) == NULL)
			r = walk_one(run, s);
	}
	free(buf);
	return r;
}

static int
run_rule(struct run *run, const struct cust_rule *rule, const char *label)
{
	int r = CUST_OK;

	if ((r = load_ids(run, rule)) != CUST_OK)
		return r;
	run->rule = rule;
	run->listing = cust_listings_find(run->listings, rule);
	if (rule->file_list) {
		run->artefact = label;
		for (size_t i = 0; r != CUST_FATAL && i < rule->paths.n; i++)
			r = walk_list(run, rule->paths.v[i]);
		return r == CUST_FATAL ? r : CUST_OK;
	}
	run->artefact = label;
	for (size_t i = 0; r != CUST_FATAL && i < rule->paths.n; i++)
		r = strstr(rule->paths.v[i], "%user_home%") != NULL ?
		    walk_homes(run, rule->paths.v[i]) :
		    walk_one(run, rule->paths.v[i]);
	return r == CUST_FATAL ? r : CUST_OK;
}

static int
skip_rule(struct run *run, const struct cust_rule *rule, const char *label,
    const char *why)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "artefact", label,
	    "description", rule->description ? rule->description : "",
	    "reason", why);

	run->res->artefacts_skipped++;
	if (o == NULL || json_array_append_new(run->skipped, o) != 0)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "skip");
	if (run->o->notify != NULL)
		run->o->notify(run->o->notify_arg, label, strlen(label),
		    CUST_NOT_RUN, rule->skip);
	return CUST_OK;
}

/* Which pass takes a collector: stored files first, so that a path named
 * by both a `file` and a `stat` artefact is stored. */
static int
pass_of(enum cust_collector c)
{
	return c == CUST_COLLECTOR_FILE ? 0 : c == CUST_COLLECTOR_HASH ? 1 : 2;
}

static void *
grow(void *v, size_t *cap, size_t n, size_t size)
{
	void *nv;

	if (n < *cap)
		return v;
	if ((nv = reallocarray(v, *cap ? 2 * *cap : 16, size)) != NULL)
		*cap = *cap ? 2 * *cap : 16;
	return nv;
}

static uint64_t
hashpath(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The slot of PATH in the plan's table (empty, or its start's). */
static size_t *
slot(const struct plan *p, const char *path)
{
	size_t i = (size_t)hashpath(path) & (p->nslots - 1);

	while (p->slots[i] != 0 && strcmp(p->v[p->slots[i] - 1].path,
	    path) != 0)
		i = (i + 1) & (p->nslots - 1);
	return &p->slots[i];
}

/* Keep the table at most half full: a plan may hold a start per home of
 * a passwd of half a million users. */
static int
rehash(struct plan *p)
{
	size_t n = p->nslots ? 2 * p->nslots : 256, *old = p->slots;
	size_t on = p->nslots;

	if (2 * (p->n + 1) <= p->nslots)
		return 0;
	if ((p->slots = calloc(n, sizeof(*p->slots))) == NULL) {
		p->slots = old;
		return -1;
	}
	p->nslots = n;
	for (size_t i = 0; i < on; i++)
		if (old[i] != 0)
			*slot(p, p->v[old[i] - 1].path) = old[i];
	free(old);
	return 0;
}

/* A new start for PATH (owned by it from here). */
static struct start *
new_start(struct plan *p, char *path)
{
	struct start *v, *g;

	if (rehash(p) != 0 ||
	    (v = grow(p->v, &p->cap, p->n, sizeof(*v))) == NULL)
		return NULL;
	p->v = v;
	g = &p->v[p->n];
	memset(g, 0, sizeof(*g));
	g->path = path;
	g->rank = 3;
	g->order = p->n++;
	*slot(p, path) = p->n;
	return g;
}

/* RULE (labelled LABEL, its listing LIST) in G's walk, from G's path;
 * -1 when out of memory. */
static int
add_rule(struct start *g, const struct cust_rule *rule, const char *label,
    int list)
{
	if (g->n == g->cap && ((g->rules = grow(g->rules, &g->cap, g->n,
	    sizeof(*g->rules))) == NULL || (g->labels = realloc(g->labels,
	    g->cap * sizeof(*g->labels))) == NULL || (g->lists = realloc(
	    g->lists, g->cap * sizeof(*g->lists))) == NULL ||
	    (g->anchors = realloc(g->anchors, g->cap *
	    sizeof(*g->anchors))) == NULL))
		return -1;
	g->anchors[g->n] = (struct cust_strv){ NULL, 0 };
	g->lists[g->n] = list;
	g->rules[g->n] = rule;
	g->labels[g->n++] = label;
	if (pass_of(rule->collector) < g->rank)
		g->rank = pass_of(rule->collector);
	if (pass_of(rule->collector) > g->weakest)
		g->weakest = pass_of(rule->collector);
	return 0;
}

/* Add RULE (labelled LABEL) to the walk from PATH (owned here). */
static int
plan_start(struct run *run, char *path, const struct cust_rule *rule,
    const char *label)
{
	struct plan *p = &run->plan;
	struct start *g = NULL;
	size_t *sl;

	if (p->nslots > 0 && *(sl = slot(p, path)) != 0)
		g = &p->v[*sl - 1];
	for (size_t k = 0; g != NULL && k < g->n; k++)
		if (g->rules[k] == rule) {	/* a path named twice */
			free(path);
			return CUST_OK;
		}
	if (g != NULL && g->n < GROUP_MAX)
		free(path);
	else if ((g = new_start(p, path)) == NULL) {
		free(path);
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "plan");
	}
	if (add_rule(g, rule, label, cust_listings_find(run->listings,
	    rule)) != 0)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "plan");
	return CUST_OK;
}

/* Every start path of RULE, %user_home% for each home, into the plan. */
static int
plan_paths(struct run *run, const struct cust_rule *rule, const char *label)
{
	int k = rule->exclude_nologin_users ? 1 : 0, r = CUST_OK;
	char *p;

	for (size_t i = 0; r == CUST_OK && i < rule->paths.n; i++) {
		const char *path = rule->paths.v[i];

		if (strstr(path, "%user_home%") == NULL) {
			r = (p = strdup(path)) == NULL ? cust_set_error(
			    run->ctx, ENOMEM, CUST_FATAL, "plan") :
			    plan_start(run, p, rule, label);
			continue;
		}
		if (!run->have_homes[k]) {
			if ((r = cust_user_homes(run->ctx, run->rootfd, k == 1,
			    &run->homes[k])) == CUST_FATAL)
				return r;
			r = CUST_OK;
			run->have_homes[k] = true;
		}
		for (size_t h = 0; r == CUST_OK && h < run->homes[k].n; h++)
			r = (p = subst(path, run->homes[k].v[h])) == NULL ?
			    cust_set_error(run->ctx, ENOMEM, CUST_FATAL,
			    "plan") : plan_start(run, p, rule, label);
	}
	return r;
}

/* Keep RULE for the walks; its LABEL is copied, for the records. */
static int
plan_rule(struct run *run, const struct cust_rule *rule, const char *label)
{
	struct plan *p = &run->plan;
	char *l, **v;
	int r;

	if ((r = load_ids(run, rule)) != CUST_OK)
		return r;
	if ((v = grow(p->labels, &p->labcap, p->nlabels, sizeof(*v))) ==
	    NULL || (p->labels = v, (l = strdup(label)) == NULL))
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "plan");
	p->labels[p->nlabels++] = l;
	if (!rule->file_list)
		return plan_paths(run, rule, l);
	if ((p->lists = grow(p->lists, &p->listcap, p->nlists,
	    sizeof(*p->lists))) == NULL ||
	    (p->listlabels = realloc(p->listlabels, p->listcap *
	    sizeof(*p->listlabels))) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "plan");
	p->lists[p->nlists] = rule;
	p->listlabels[p->nlists++] = l;
	return CUST_OK;
}

static int
by_rank(const void *a, const void *b)
{
	const struct start *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* One traversal of G's start path for all of G's artefacts. */
static int
walk_group(struct run *run, const struct start *g)
{
	const struct cust_collect_opts *o = run->o;
	bool lazy = true;
	struct cust_walk_opts wo = {
		.rootfd = run->rootfd, .rule = g->rules[0],
		.rules = g->rules, .nrules = g->n, .anchors = g->anchors,
		.mounts = run->mounts, .one_file_system = o->one_file_system,
		.date_fields = o->date_fields, .since = o->since,
		.until = o->until, .visit = on_entry, .arg = run,
		.atimes = run->atimes,
		.counts = &run->counts,
		.users = &run->ids[0], .groups = &run->ids[1],
		.statq = run->statq, .dirq = run->dirq,
	};
	int r;

	/* Files read anyway are stat'ed once, when opened. */
	for (size_t k = 0; k < g->n; k++)
		lazy &= g->rules[k]->collector == CUST_COLLECTOR_FILE ||
		    g->rules[k]->collector == CUST_COLLECTOR_HASH;
	wo.lazy_files = lazy;
	run->group = g;
	if ((r = cust_walk(run->ctx, &wo, g->path)) == CUST_FATAL)
		batch_clear(run);
	else
		r = drain(run);
	run->group = NULL;
	return r;
}

/* Is PATH what a walk would name it: absolute, without a glob, an empty,
 * "." or ".." component, or a trailing slash? */
static bool
literal(const char *path)
{
	const char *c = path, *end;
	size_t n;

	if (path[0] != '/' || strpbrk(path, "*?[") != NULL)
		return false;
	if (path[1] == '\0')
		return true;
	for (; c != NULL; c = end) {
		end = strchr(c + 1, '/');
		n = end != NULL ? (size_t)(end - c - 1) : strlen(c + 1);
		if (n == 0 || (c[1] == '.' && (n == 1 || (n == 2 &&
		    c[2] == '.'))))
			return false;
	}
	return true;
}

/* Cut path BUF to its directory ("/" of "/a"); false when BUF is "/"
 * already. */
static bool
to_parent(char *buf)
{
	char *cut = strrchr(buf, '/');

	if (cut == NULL || (cut == buf && buf[1] == '\0'))
		return false;
	cut[cut == buf ? 1 : 0] = '\0';
	return true;
}

/* The nearest start above PATH, or the one whose walk that joined. */
static struct start *
enclosing(struct plan *p, const char *path)
{
	struct start *g = NULL;
	size_t *sl;
	char *buf;

	if ((buf = strdup(path)) == NULL)
		return NULL;
	while (g == NULL && to_parent(buf))
		if (*(sl = slot(p, buf)) != 0)
			g = &p->v[*sl - 1];
	free(buf);
	return g != NULL && g->into != 0 ? &p->v[g->into - 1] : g;
}

/*
 * The way down to a directory, as reachable() last walked it: siblings
 * (the histories of one home) share it, and it is walked once for them
 * all rather than a system call a component each.
 */
struct way {
	const struct start *outer;	/* borrowed: the walk it is for */
	char		*dir;		/* owned: the directory's path */
	int		 fd;		/* owned: open on it; -1: not there */
	bool		 ok;		/* the walk of OUTER goes this way */
	dev_t		 dev;		/* OUTER's file system */
	const char	*type;		/* and its type (mounts' own) */
};

static void
way_clear(struct way *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

/*
 * Walk from the root down to directory DIR[..len] for the walk of OUTER:
 * every directory on the way a real directory, not a link, and those
 * below OUTER's on OUTER's file system.  A name not there leaves W->fd
 * -1 and W->ok true: nothing there for either walk to meet.
 */
static void
way_down(const struct run *run, const struct start *outer, const char *dir,
    size_t len, struct way *w)
{
	size_t olen = strlen(outer->path), n;
	const char *c = dir, *end;
	bool below = olen == 1;
	struct stat st;
	char name[256];
	int next;

	way_clear(w);
	w->outer = outer;
	if ((w->dir = strndup(dir, len)) == NULL ||
	    (w->fd = dup(run->rootfd)) < 0 || fstat(w->fd, &st) != 0)
		return;
	w->dev = st.st_dev;
	if (below)
		w->type = cust_mounts_type(run->mounts, w->fd);
	for (w->ok = true; c < dir + len; c = end) {
		end = memchr(c + 1, '/', (size_t)(dir + len - c - 1));
		end = end != NULL ? end : dir + len;
		if ((n = (size_t)(end - c - 1)) >= sizeof(name))
			goto no;
		memcpy(name, c + 1, n);
		name[n] = '\0';
		if (fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				goto gone;
			goto no;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
			goto gone;	/* a file: nothing below it */
		if (S_ISLNK(st.st_mode) || (below && st.st_dev != w->dev) ||
		    (next = cust_open_dir(w->fd, name)) < 0)
			goto no;
		close(w->fd);
		w->fd = next;
		if (!below && (size_t)(end - dir) == olen) {
			below = true;
			w->dev = st.st_dev;
			w->type = cust_mounts_type(run->mounts, w->fd);
		}
	}
	return;
gone:
	close(w->fd);
	w->fd = -1;
	return;
no:
	w->ok = false;
}

/*
 * Would the walk of OUTER meet G's path as G's own walk would?  Yes when
 * the way down to it is one that walk takes (way_down()), it lies outside
 * /dev (which walks never enter), it is not a link, not a directory of
 * another file system, and no rule of G excludes the type of OUTER's;
 * also when a name on the way is not there, since then neither walk meets
 * anything.  (The tree may change before the walk: a directory replaced
 * by a link then hides what lies beyond it, which G's own walk would
 * have followed.)
 */
static bool
reachable(const struct run *run, const struct start *outer,
    const struct start *g, struct way *w)
{
	const char *last = strrchr(g->path, '/');
	size_t dlen = (size_t)(last - g->path);
	struct stat st;

	if (strncmp(g->path, "/dev", 4) == 0 &&
	    (g->path[4] == '/' || g->path[4] == '\0'))
		return false;
	if (w->outer != outer || w->dir == NULL || strlen(w->dir) != dlen ||
	    memcmp(w->dir, g->path, dlen) != 0)
		way_down(run, outer, g->path, dlen, w);
	if (!w->ok || w->fd < 0)
		return w->ok;
	if (fstatat(w->fd, last + 1, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT || errno == ENOTDIR;
	if (S_ISLNK(st.st_mode) || (S_ISDIR(st.st_mode) &&
	    st.st_dev != w->dev))
		return false;
	for (size_t k = 0; k < g->n; k++)
		if (w->type != NULL && cust_strv_any(
		    &g->rules[k]->exclude_file_systems, w->type, 0))
			return false;
	return true;
}

/* The index of rule R in G, or G->n. */
static size_t
rule_index(const struct start *g, const struct cust_rule *r)
{
	size_t i = 0;

	while (i < g->n && g->rules[i] != r)
		i++;
	return i;
}

/* Do G's rules fit in OUTER's walk: 64 rules, CUST_ANCHORS_MAX paths
 * each? */
static bool
fits(const struct start *outer, const struct start *g)
{
	size_t more = 0, i, n;

	for (size_t k = 0; k < g->n; k++) {
		if ((i = rule_index(outer, g->rules[k])) == outer->n) {
			more++;
			continue;
		}
		n = outer->anchors[i].n;
		if ((n == 0 ? 2 : n + 1) > CUST_ANCHORS_MAX)
			return false;
	}
	return outer->n + more <= GROUP_MAX;
}

static int
anchor(struct cust_strv *a, const char *path)
{
	char **v, *p;

	if ((p = strdup(path)) == NULL ||
	    (v = realloc(a->v, (a->n + 1) * sizeof(*v))) == NULL) {
		free(p);
		return -1;
	}
	a->v = v;
	a->v[a->n++] = p;
	return 0;
}

/* G's rules join OUTER's walk, each looking only below G's path (and,
 * one already there, below OUTER's as well). */
static int
join_walk(struct start *outer, struct start *g, size_t into)
{
	const struct cust_rule *r;
	size_t i;

	for (size_t k = 0; k < g->n; k++) {
		r = g->rules[k];
		if ((i = rule_index(outer, r)) == outer->n) {
			if (add_rule(outer, r, g->labels[k], g->lists[k]) != 0)
				return -1;
		} else if (outer->anchors[i].n == 0 &&
		    anchor(&outer->anchors[i], outer->path) != 0)
			return -1;
		if (anchor(&outer->anchors[i], g->path) != 0)
			return -1;
	}
	g->into = into;		/* its rules' passes are OUTER's now */
	g->rank = 4;		/* after every walk, and never walked */
	return 0;
}

/* Where LABEL was named among the plan's artefacts. */
static size_t
named(const struct plan *p, const char *label)
{
	size_t i = 0;

	while (i < p->nlabels && p->labels[i] != label)
		i++;
	return i;
}

/* G's rules in the order they were named, as plan_start() keeps them,
 * after others joined: the first named among equals is the one a record
 * names (choose()). */
static void
order_by_name(const struct plan *p, struct start *g)
{
	size_t key[GROUP_MAX], j;
	struct cust_strv a;
	const struct cust_rule *r;
	const char *l;
	int li;

	for (size_t k = 0; k < g->n; k++)
		key[k] = named(p, g->labels[k]);
	for (size_t k = 1; k < g->n; k++) {
		size_t kk = key[k];

		r = g->rules[k], l = g->labels[k], li = g->lists[k];
		a = g->anchors[k];
		for (j = k; j > 0 && key[j - 1] > kk; j--) {
			key[j] = key[j - 1];
			g->rules[j] = g->rules[j - 1];
			g->labels[j] = g->labels[j - 1];
			g->lists[j] = g->lists[j - 1];
			g->anchors[j] = g->anchors[j - 1];
		}
		key[j] = kk;
		g->rules[j] = r, g->labels[j] = l, g->lists[j] = li;
		g->anchors[j] = a;
	}
}

/* By path: a directory before what lies below it, siblings together. */
static int
by_path(const void *a, const void *b)
{
	return strcmp((*(struct start *const *)a)->path,
	    (*(struct start *const *)b)->path);
}

/*
 * Starts inside the tree of another start join its walk, so that each
 * directory is read once however the artefacts' paths nest (/ and /etc):
 * their rules look only at and below their own paths there (anchors,
 * cust_walk_opts).  In the order of their paths, so that a start joins
 * the walk its enclosing start joined, and siblings share their way
 * down.  One that cannot be met so (reachable(),
 * fits()) keeps a walk of its own.
 */
static int
nest(struct run *run)
{
	struct plan *p = &run->plan;
	struct way w = { .fd = -1 };
	struct start **v, *outer;
	int r = 0;

	if (p->n < 2)
		return 0;
	if ((v = calloc(p->n, sizeof(*v))) == NULL)
		return -1;
	for (size_t j = 0; j < p->n; j++)
		v[j] = &p->v[j];
	qsort(v, p->n, sizeof(*v), by_path);
	for (size_t j = 0; r == 0 && j < p->n; j++)
		if (literal(v[j]->path) && (outer = enclosing(p,
		    v[j]->path)) != NULL && fits(outer, v[j]) &&
		    reachable(run, outer, v[j], &w))
			r = join_walk(outer, v[j], (size_t)(outer - p->v) + 1);
	way_clear(&w);
	free(v);
	for (size_t j = 0; r == 0 && j < p->n; j++)
		for (size_t k = 0; k < p->v[j].n; k++)
			if (p->v[j].anchors[k].n > 0) {
				order_by_name(p, &p->v[j]);
				break;
			}
	return r;
}

/*
 * A walk whose start holds other starts (the sweeps of /) goes in the
 * pass of its weakest artefact: the first record of a path is the one
 * kept, and the timeline of / must not take /usr/bin/ls before the
 * hashing of /usr/bin does, nor /etc/passwd before /etc is stored.
 * Each start looks its ancestors up in the plan's table.
 */
static int
rank_enclosing(struct plan *p)
{
	size_t *sl, n = p->n;
	char *buf;

	for (size_t j = 0; j < n; j++) {
		if (p->v[j].into != 0)
			continue;	/* in the walk of one enclosing it */
		if ((buf = strdup(p->v[j].path)) == NULL)
			return -1;
		while (to_parent(buf))
			if (*(sl = slot(p, buf)) != 0 &&
			    p->v[*sl - 1].into == 0)
				p->v[*sl - 1].rank = p->v[*sl - 1].weakest;
		free(buf);
	}
	return 0;
}

/* Does a walk of PATH meet each path once?  Yes, but for a directory
 * it could not reopen, when no glob or ".." can lead two ways to one
 * place (two links into one directory). */
static bool
one_tree(const char *path)
{
	const char *p = path;

	if (strpbrk(path, "*?[") != NULL)
		return false;
	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '/' ||
		    p[2] == '\0'))
			return false;
		p += 2;
	}
	return true;
}

/* The walks, the strongest collectors' first, then is_file_list. */
static int
run_plan(struct run *run)
{
	struct plan *p = &run->plan;
	size_t walks = 0;
	int r = CUST_OK;

	if (nest(run) != 0 || (p->nslots > 0 && rank_enclosing(p) != 0))
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "plan");
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), by_rank);
	while (walks < p->n && p->v[walks].into == 0)
		walks++;	/* the joined ones sort last */
	/* Each level the plan records at has its set before the first walk,
	 * so that a stronger record is known to every weaker level. */
	for (size_t i = 0; r == CUST_OK && i < p->n; i++)
		for (size_t k = 0; r == CUST_OK && k < p->v[i].n; k++)
			r = recorded(run, level(p->v[i].rules[k]->collector));
	for (size_t i = 0; r == CUST_OK && i < p->nlists; i++)
		r = recorded(run, level(p->lists[i]->collector));
	for (size_t i = 0; r != CUST_FATAL && i < walks; i++) {
		run->last = i + 1 == walks && p->nlists == 0 &&
		    run->o->npaths == 0 && one_tree(p->v[i].path);
		for (int k = 0; k < 3; k++)
			run->fresh[k] = run->recorded[k] != NULL &&
			    cust_pathset_count(run->recorded[k]) == 0;
		r = walk_group(run, &p->v[i]);
		run->last = false;
	}
	for (size_t i = 0; r != CUST_FATAL && i < p->nlists; i++)
		r = run_rule(run, p->lists[i], p->listlabels[i]);
	return r == CUST_FATAL ? r : CUST_OK;
}

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].rules);
		free(p->v[i].labels);
		free(p->v[i].lists);
		for (size_t k = 0; k < p->v[i].n; k++)
			cust_strv_free(&p->v[i].anchors[k]);
		free(p->v[i].anchors);
	}
	free(p->v);
	free(p->slots);
	for (size_t i = 0; i < p->nlabels; i++)
		free(p->labels[i]);
	free(p->labels);
	free(p->lists);
	free(p->listlabels);
	memset(p, 0, sizeof(*p));
}

/* Artefact J of M: skipped (and why), or run. */
static int
one_rule(struct run *run, const struct cust_manifest *m, size_t j,
    const char *label)
{
	const struct cust_rule *rule = cust_manifest_rule(m, j);
	const char *o = run->o->root, *cond;
	char why[512];
	int c;

	if (rule->skip != NULL)
		return skip_rule(run, rule, label, rule->skip);
	c = cust_manifest_condition(m, j, run->rootfd, o == NULL ||
	    strcmp(o, "/") == 0, &cond);
	if (c != 1) {
		snprintf(why, sizeof(why), "condition %s: %s", c == 0 ?
		    "is false" : "not evaluated", cond);
		return skip_rule(run, rule, label, why);
	}
	run->res->artefacts_run++;
	if (rule->collector == CUST_COLLECTOR_FIND && (c = cust_listings_add(
	    run->listings, rule, cust_manifest_name(m), j, label)) != CUST_OK)
		return c;
	return plan_rule(run, rule, label);
}

static int
run_manifests(struct run *run)
{
	const struct cust_manifest *m;
	const struct cust_rule *rule;
	char label[512];
	int r = CUST_OK;

	for (size_t i = 0; i < run->o->nmanifests; i++) {
		m = run->o->manifests[i];
		for (size_t j = 0; r == CUST_OK &&
		    j < cust_manifest_count(m); j++) {
			rule = cust_manifest_rule(m, j);
			snprintf(label, sizeof(label), "%s:%u",
			    cust_manifest_name(m), rule->line);
			r = one_rule(run, m, j, label);
		}
	}
	return r == CUST_OK ? run_plan(run) : r;
}

static int
run_paths(struct run *run)
{
	static char desc[] = "named on the command line";
	struct cust_rule rule;
	size_t n = run->o->npaths;
	int r;

	if (n == 0)
		return CUST_OK;
	memset(&rule, 0, sizeof(rule));
	rule.description = desc;
	rule.collector = CUST_COLLECTOR_FILE;
	rule.max_depth = -1;
	rule.min_size = rule.max_size = -1;
	/* The rule only reads its paths; copy the pointers, not the text. */
	if ((rule.paths.v = calloc(n, sizeof(char *))) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "paths");
	memcpy(rule.paths.v, run->o->paths, n * sizeof(char *));
	rule.paths.n = n;
	run->res->artefacts_run++;
	r = run_rule(run, &rule, "command line");
	free(rule.paths.v);
	return r;
}

static int
setjson(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) != 0;
}

static json_t *
manifests_json(const struct cust_collect_opts *o)
{
	json_t *a = json_array(), *m;

	for (size_t i = 0; a != NULL && i < o->nmanifests; i++) {
		m = json_pack("{s:s, s:s, s:I}",
		    "name", cust_manifest_name(o->manifests[i]),
		    "sha256", cust_manifest_sha256(o->manifests[i]),
		    "artefacts", (json_int_t)cust_manifest_count(
		    o->manifests[i]));
		if (m == NULL || json_array_append_new(a, m) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
strings_json(int argc, char *const *argv)
{
	json_t *a = json_array();

	for (int i = 0; a != NULL && i < argc; i++) {
		json_t *s = cust_utf8_valid(argv[i], strlen(argv[i])) ?
		    json_string(argv[i]) : json_null();

		if (json_array_append_new(a, s) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
algs_json(unsigned algs)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < CUST_NALG; i++)
		if ((algs & (1u << i)) && json_array_append_new(a,
		    json_string(cust_alg_name(1u << i))) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
opt_string(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
seal_json(struct run *run)
{
	char id[CUST_KEYID_HEXLEN + 1], *pub;
	json_t *o;

	cust_key_id_hex(run->key, id);
	if ((pub = cust_key_public_b64(run->key)) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:b, s:o}", "algorithm",
	    "Ed25519 over BLAKE2b-512 (minisign ED)", "key_id", id,
	    "public_key", pub, "one_time", run->onetime != NULL,
	    "x509_signer", run->o->signer != NULL ?
	    json_string(cust_signer_subject(run->o->signer)) : json_null());
	free(pub);
	return o;
}

static json_t *
counts_json(const struct cust_collect_result *res)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "files", (json_int_t)res->files,
	    "payload_bytes", (json_int_t)res->payload_bytes,
	    "recorded", (json_int_t)res->recorded,
	    "changed", (json_int_t)res->changed,
	    "skipped", (json_int_t)res->skipped,
	    "failed", (json_int_t)res->failed);
}

static json_t *
host_json(void)
{
	json_t *h = cust_host_facts();

	if (h != NULL && cust_host_more(h) == NULL) {
		json_decref(h);
		h = NULL;
	}
	return h;
}

static json_t *
clock_json(const struct run *run)
{
	json_t *c = cust_clock_facts(&run->start, &run->end);

	if (c != NULL && cust_clock_more(c) != 0) {
		json_decref(c);
		c = NULL;
	}
	return c;
}

/* What each filter left out: files outside the dates or under a size,
 * directories not entered, files over a size (recorded too_large). */
static json_t *
left_out_json(const struct run *run)
{
	return json_pack("{s:I, s:I, s:I, s:I}",
	    "by_date", (json_int_t)run->counts.by_date,
	    "by_min_size", (json_int_t)run->counts.by_size,
	    "by_max_size", (json_int_t)run->res->skipped,
	    "by_file_system", (json_int_t)run->counts.by_fs);
}

static json_t *
filters_json(const struct cust_collect_opts *o, const struct run *run)
{
	char since[CUST_TIMELEN] = "", until[CUST_TIMELEN] = "";

	if (o->since.tv_sec >= 0)
		cust_time_utc(&o->since, since);
	if (o->until.tv_sec >= 0)
		cust_time_utc(&o->until, until);
	return json_pack("{s:b, s:o, s:o, s:b, s:b, s:b, s:o}",
	    "one_file_system", o->one_file_system,
	    "start_date", since[0] ? json_string(since) : json_null(),
	    "end_date", until[0] ? json_string(until) : json_null(),
	    "by_mtime", (o->date_fields & CUST_DATE_MTIME) != 0,
	    "by_atime", (o->date_fields & CUST_DATE_ATIME) != 0,
	    "by_ctime", (o->date_fields & CUST_DATE_CTIME) != 0,
	    "left_out", left_out_json(run));
}

static json_t *
live_json(const struct run *run)
{
	static const char *const mode[] = { "off", "first", "only", "image" };
	const struct cust_collect_result *res = run->res;

	if (!res->live)
		return json_pack("{s:s, s:b}", "mode", mode[run->o->live],
		    "taken", 0);
	return json_pack("{s:s, s:b, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:f, s:f}", "mode", mode[run->o->live], "taken", 1, "schema",
	    CUST_LIVE_SCHEMA, "place", "data/live/", "processes",
	    (json_int_t)res->live_processes, "gone",
	    (json_int_t)res->live_gone, "blobs", (json_int_t)res->live_blobs,
	    "modules", (json_int_t)res->live_modules, "tables",
	    (json_int_t)res->live_tables, "failed_tables",
	    (json_int_t)res->live_failed_tables, "findings",
	    (json_int_t)res->live_findings, "seconds", res->live_seconds,
	    "at_rest_seconds", res->live_at_rest_seconds);
}

static char *
acquisition(struct run *run)
{
	const struct cust_collect_opts *o = run->o;
	const char *why = cust_filetype_unavailable(run->ft);
	json_t *a;
	char *s = NULL;
	int bad = 0;

	if ((a = json_object()) == NULL)
		return NULL;
	bad |= setjson(a, "format", json_string(CUST_FORMAT));
	bad |= setjson(a, "bag", json_string(o->bag_name));
	bad |= setjson(a, "case_id", opt_string(o->case_id));
	bad |= setjson(a, "evidence_id", opt_string(o->evidence_id));
	bad |= setjson(a, "examiner", opt_string(o->examiner));
	bad |= setjson(a, "location", opt_string(o->location));
	bad |= setjson(a, "authority", opt_string(o->authority));
	bad |= setjson(a, "tool", cust_tool_facts());
	bad |= setjson(a, "operator", cust_operator_facts(run->ctx,
	    run->rootfd, o->sudo_user, o->tty));
	bad |= setjson(a, "command_line", strings_json(o->argc, o->argv));
	bad |= setjson(a, "working_directory", o->cwd != NULL &&
	    cust_utf8_valid(o->cwd, strlen(o->cwd)) ? json_string(o->cwd) :
	    json_null());
	bad |= setjson(a, "host", host_json());
	bad |= setjson(a, "host_mounts", cust_host_mounts());
	bad |= setjson(a, "clock", clock_json(run));
	bad |= setjson(a, "root", json_string(o->root ? o->root : "/"));
	bad |= setjson(a, "resources", json_pack("{s:b, s:b, s:b, s:I}",
	    "nice_19", o->niced, "io_idle", o->io_idle, "autogroup_nice_19",
	    o->autogroup, "max_rate_bytes_per_second",
	    (json_int_t)o->max_rate));
	bad |= setjson(a, "reading", run->res->io_uring ?
	    json_pack("{s:s}", "system_calls", "io_uring") :
	    json_pack("{s:s, s:s}", "system_calls", "one_at_a_time",
	    "reason", run->res->io_reason));
	bad |= setjson(a, "filters", filters_json(o, run));
	bad |= setjson(a, "read_only_mounts", run->res->guarded ?
	    json_pack("{s:b}", "active", 1) : json_pack("{s:b, s:s}",
	    "active", 0, "reason", run->res->guard_reason));
	bad |= setjson(a, "manifests", manifests_json(o));
	bad |= setjson(a, "hash_algorithms", algs_json(o->algs |
	    CUST_ALG_SHA256));
	bad |= setjson(a, "file_types", why != NULL ? json_pack("{s:s}",
	    "unavailable", why) : json_pack("{s:s}", "libmagic",
	    "loaded"));
	bad |= setjson(a, "seal", seal_json(run));
	bad |= setjson(a, "counts", counts_json(run->res));
	bad |= setjson(a, "artefacts_skipped", json_incref(run->skipped));
	bad |= setjson(a, "listings", cust_listings_json(run->listings));
	bad |= setjson(a, "live", live_json(run));
	if (bad == 0)
		s = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return s;
}

static int
events(struct run *run, struct cust_chain *c)
{
	char t0[CUST_TIMELEN], t1[CUST_TIMELEN], id[CUST_KEYID_HEXLEN + 1];
	json_t *e;
	int r;

	cust_time_utc(&run->start, t0);
	cust_time_utc(&run->end, t1);
	cust_key_id_hex(run->key, id);
	e = json_pack("{s:s, s:s, s:s+, s:o}", "type", "acquired", "time", t0,
	    "tool", "custody ", cust_version, "examiner",
	    opt_string(run->o->examiner));
	if (e == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "events");
	r = cust_chain_add(run->ctx, c, e);
	json_decref(e);
	if (r != CUST_OK)
		return r;
	e = json_pack("{s:s, s:s, s:s}", "type", "sealed", "time", t1,
	    "key_id", id);
	if (e == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "events");
	r = cust_chain_add(run->ctx, c, e);
	json_decref(e);
	return r;
}

static char *
info_lines(const struct cust_collect_opts *o, const char *keyid)
{
	char *s = NULL;
	int n;

	n = asprintf(&s, "%s%s%s%s%s%s%s%s%s"
	    "Custody-Format: " CUST_FORMAT "\nCustody-Key-ID: %s\n",
	    o->case_id ? "External-Identifier: " : "",
	    o->case_id ? o->case_id : "", o->case_id ? "\n" : "",
	    o->evidence_id ? "Internal-Sender-Identifier: " : "",
	    o->evidence_id ? o->evidence_id : "", o->evidence_id ? "\n" : "",
	    o->examiner ? "Contact-Name: " : "",
	    o->examiner ? o->examiner : "", o->examiner ? "\n" : "", keyid);
	return n < 0 ? NULL : s;
}

/* The closing statement, once the X.509 signature and tokens are in. */
static int
close_bag(struct run *run)
{
	char id[CUST_KEYID_HEXLEN + 1], when[CUST_TIMELEN], *trusted;
	struct timespec now;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	cust_key_id_hex(run->key, id);
	cust_time_utc(&now, when);
	if (asprintf(&trusted, "custody bag:%s closed:%s key:%s",
	    run->o->bag_name, when, id) < 0)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "seal");
	r = cust_bag_close(run->bag, run->key, CUST_CLOSE_UNTRUSTED,
	    trusted);
	free(trusted);
	return r;
}

static int
seal(struct run *run)
{
	struct cust_bag_seal in;
	struct cust_chain chain;
	char id[CUST_KEYID_HEXLEN + 1], when[CUST_TIMELEN];
	char *acq = NULL, *info = NULL, *trusted = NULL;
	size_t nl = cust_listings_count(run->listings);
	const char **names = calloc(nl + 1, sizeof(*names));
	struct cust_spool **spools = calloc(nl + 1, sizeof(*spools));
	int r;

	cust_chain_init(&chain);
	clock_gettime(CLOCK_REALTIME, &run->end);
	cust_key_id_hex(run->key, id);
	cust_time_utc(&run->end, when);
	if (names == NULL || spools == NULL) {
		r = cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "seal");
		goto out;
	}
	for (size_t i = 0; i < nl; i++) {
		names[i] = cust_listings_member(run->listings, i);
		spools[i] = cust_listings_spool(run->listings, i);
	}
	if ((r = events(run, &chain)) != CUST_OK)
		goto out;
	if ((acq = acquisition(run)) == NULL ||
	    (info = info_lines(run->o, id)) == NULL ||
	    asprintf(&trusted, "custody bag:%s sealed:%s key:%s",
	    run->o->bag_name, when, id) < 0) {
		trusted = NULL;
		r = cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "seal");
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.acquisition = acq;
	in.custody = chain.text;
	in.listing_names = names;
	in.listing_spools = spools;
	in.nlistings = nl;
	in.info = info;
	in.key = run->key;
	in.untrusted = CUST_SIG_UNTRUSTED;
	in.trusted = trusted;
	if ((r = cust_bag_seal(run->bag, &in)) == CUST_OK &&
	    (r = cust_countersign(run->ctx, run->bag, run->o, run->res)) ==
	    CUST_OK)
		r = close_bag(run);
out:
	free(spools);
	free(names);
	free(trusted);
	free(info);
	free(acq);
	cust_chain_fini(&chain);
	return r;
}

static int
check_opts(struct cust_ctx *ctx, const struct cust_collect_opts *o)
{
	const char *n = o->bag_name;
	int r;

	if ((r = cust_check_label(ctx, "case id", o->case_id, LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "evidence id", o->evidence_id,
	    LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "examiner", o->examiner, LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "location", o->location,
	    TEXT_MAX)) ||
	    (r = cust_check_label(ctx, "authority", o->authority, TEXT_MAX)))
		return r;
	if (n == NULL || *n == '\0' || strlen(n) > 128 || n[0] == '.' ||
	    strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != strlen(n))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: bag name must "
		    "be letters, digits, '.', '_' or '-'", n ? n : "(none)");
	return CUST_OK;
}

/* Read-only, noatime mounts before anything under the root is opened. */
static int
guard(struct run *run)
{
	struct cust_collect_result *res = run->res;
	int r;

	if (run->o->no_guard) {
		snprintf(res->guard_reason, sizeof(res->guard_reason),
		    "turned off by the caller");
		return CUST_OK;
	}
	r = cust_guard_mounts(run->ctx);
	if (r == CUST_FATAL)
		return r;
	res->guarded = r == CUST_OK;
	if (!res->guarded) {
		snprintf(res->guard_reason, sizeof(res->guard_reason), "%s",
		    cust_ctx_error(run->ctx));
		cust_ctx_clear(run->ctx);
	}
	return CUST_OK;
}

/* The io_uring ring and the batch's buffer, as the caller asked. */
static int
batches(struct run *run)
{
	struct cust_collect_result *res = run->res;
	int r;

	if (run->o->io_uring == CUST_IO_URING_OFF) {
		snprintf(res->io_reason, sizeof(res->io_reason),
		    "turned off by the caller");
		return CUST_OK;
	}
	r = cust_uring_new(run->ctx, &run->uring, res->io_reason,
	    sizeof(res->io_reason));
	if (r == CUST_FAILED && run->o->io_uring == CUST_IO_URING_ON)
		return cust_set_error(run->ctx, 0, CUST_FAILED,
		    "io_uring asked for, but %s", res->io_reason);
	if (r != CUST_OK)
		return r == CUST_FAILED ? CUST_OK : r;
	if ((run->batch.buf = malloc(CUST_URING_BATCH *
	    CUST_URING_SMALL)) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "batch");
	/* Without a ring of its own, the walk stats one name at a time. */
	if ((r = cust_statq_new(run->ctx, &run->statq)) == CUST_FATAL)
		return r;
	res->io_uring = true;
	res->io_reason[0] = '\0';
	return CUST_OK;
}

static int
setup(struct run *run)
{
	const struct cust_collect_opts *o = run->o;
	struct cust_ctx *ctx = run->ctx;
	int r;

	run->rootfd = open(o->root != NULL ? o->root : "/", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC);
	if (run->rootfd < 0)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s",
		    o->root != NULL ? o->root : "/");
	if ((run->skipped = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "collect");
	run->key = o->key;
	if (run->key == NULL) {
		if ((r = cust_key_generate(ctx, &run->onetime)) != CUST_OK)
			return r;
		run->key = run->onetime;
	}
	if ((r = cust_filetype_new(ctx, &run->ft)) != CUST_OK ||
	    (r = cust_relay_new(ctx, RING_BYTES, &run->relay)) != CUST_OK ||
	    (r = cust_relay_new(ctx, 0, &run->forward)) != CUST_OK ||
	    (r = cust_slips_new(ctx, &run->slips)) != CUST_OK ||
	    (r = cust_acquirer_new(ctx, run->relay, o->max_rate,
	    &run->acq)) != CUST_OK ||
	    (r = cust_mounts_load(ctx, &run->mounts)) != CUST_OK ||
	    (!run->res->guarded && (r = cust_atimes_new(ctx,
	    &run->atimes)) != CUST_OK) ||
	    (r = cust_sink_new(ctx, o->out_fd, o->out_name, o->zstd_level,
	    o->zstd_threads, o->recipients, &run->sink)) != CUST_OK)
		return r;
	/* Without threads of its own, the walk reads each directory itself
	 * (the mount namespace is taken already: they share it). */
	if ((r = cust_dirq_new(ctx, &run->dirq)) == CUST_FATAL)
		return r;
	if ((r = batches(run)) != CUST_OK ||
	    (r = cust_listings_new(ctx, o->spool_dirfd, &run->listings)) !=
	    CUST_OK)
		return r;
	cust_sink_set_mtime(run->sink, run->start.tv_sec);
	if ((r = cust_bag_new(ctx, run->sink, o->bag_name, o->algs,
	    o->spool_dirfd, &run->start, &run->bag)) != CUST_OK)
		return r;
	return cust_ledger_start(ctx, run->relay, run->forward, run->bag,
	    run->ft, run->slips, o->algs | CUST_ALG_SHA256, &run->ledger);
}

/*
 * Wait for the hashing and writing threads to finish what they were given.
 * When one of them failed, the reader only saw the relay stop: the
 * thread's own error, the writer's last since it is the one at the end of
 * the line, is the one to report.
 */
static int
join(struct run *run, int r)
{
	int lr, wr;

	lr = cust_ledger_finish(run->ledger, run->ctx);
	wr = run->writer != NULL ? cust_writer_finish(run->writer, run->ctx) :
	    CUST_OK;
	return wr != CUST_OK ? wr : lr != CUST_OK ? lr : r;
}

/*
 * On a full disk the bundle and the spools beside it fail alike, in an
 * order the threads decide: a spool can be flushed before the press's
 * thread has written the frames it holds.  Those are written first, and
 * the bundle's error, if they meet one, is the one to report.
 */
static int
output_first(struct run *run, int r)
{
	if (r != CUST_FATAL)
		return r;
	/* The frames still queued for the press are written (or fail)
	 * first: the spool's write may have failed before theirs did. */
	return cust_sink_drain(run->sink) != CUST_OK ? CUST_FATAL : r;
}

static void
teardown(struct run *run)
{
	if (run->uring != NULL)
		batch_clear(run);
	cust_uring_free(run->uring);
	cust_statq_free(run->statq);
	cust_dirq_free(run->dirq);
	free(run->batch.buf);
	cust_writer_free(run->writer);
	cust_ledger_free(run->ledger);
	cust_relay_free(run->forward);
	cust_relay_free(run->relay);
	cust_slips_free(run->slips);
	cust_bag_free(run->bag);
	cust_sink_free(run->sink);
	for (size_t k = 0; k < 3; k++)
		cust_pathset_free(run->recorded[k]);
	cust_mounts_free(run->mounts);
	cust_atimes_free(run->atimes);
	for (size_t i = 0; i < run->links.n; i++)
		free(run->links.v[i].stored);
	free(run->links.v);
	cust_acquirer_free(run->acq);
	cust_filetype_free(run->ft);
	cust_key_free(run->onetime);
	json_decref(run->skipped);
	for (int k = 0; k < 2; k++) {
		cust_strv_free(&run->homes[k]);
		cust_ids_free(&run->ids[k]);
	}
	plan_free(&run->plan);
	cust_listings_free(run->listings);
	if (run->rootfd >= 0)
		close(run->rootfd);
}

int
cust_collect(struct cust_ctx *ctx, const struct cust_collect_opts *o,
    struct cust_collect_result *res)
{
	struct run run;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.o = o;
	run.res = res;
	run.rootfd = -1;
	run.listing = -1;
	clock_gettime(CLOCK_REALTIME, &run.start);
	if ((r = check_opts(ctx, o)) != CUST_OK || (r = guard(&run)) != 0 ||
	    (r = setup(&run)) != 0)
		goto out;
	if ((r = cust_bag_begin(run.bag)) != CUST_OK ||
	    (r = cust_writer_start(ctx, run.forward, run.relay, run.sink,
	    &run.writer)) != CUST_OK)
		goto out;
	if (o->live != CUST_LIVE_OFF)
		r = take_live(&run);
	if (r == CUST_OK && o->live != CUST_LIVE_ONLY &&
	    (r = run_manifests(&run)) == CUST_OK)
		r = run_paths(&run);
	if ((r = output_first(&run, join(&run, r))) != CUST_OK ||
	    (r = output_first(&run, seal(&run))) != CUST_OK ||
	    (r = cust_sink_close(run.sink, res->sha256,
	    &res->bundle_bytes)) != CUST_OK ||
	    (r = cust_collect_log(ctx, run.bag, o, run.key,
	    run.onetime != NULL, res)) != CUST_OK)
		goto out;
	cust_key_id_hex(run.key, res->key_id);
	res->one_time_key = run.onetime != NULL;
	if ((res->public_key = cust_key_public_text(ctx, run.key)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "public key");
		goto out;
	}
	/* A manifest all of whose artefacts are for another system collects
	 * nothing: sealed, but not a complete collection. */
	r = res->failed > 0 || (res->artefacts_run == 0 &&
	    o->live != CUST_LIVE_ONLY) ? CUST_WARN : CUST_OK;
out:
	teardown(&run);
	return r;
}

void
cust_collect_result_fini(struct cust_collect_result *res)
{
	free(res->public_key);
	res->public_key = NULL;
	free(res->log_text);
	res->log_text = NULL;
}
