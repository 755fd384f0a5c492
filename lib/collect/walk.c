/*
 * walk.c: the traversal.  Every name is looked up relative to an open
 * directory with openat and never through a symbolic link, so a path swapped
 * for a link while we walk cannot lead us out of the tree.  Links are
 * followed only in the leading components of a manifest path (as a shell
 * would, /var/run -> /run, named or matched by a glob), and then resolved
 * inside the collection root; what lies beyond one is recorded under the
 * path it resolves to (/run/utmp).
 * Directories are read in full and visited in byte order, so a collection
 * of the same tree always yields the same bundle layout.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

#define MAX_LINK_HOPS	40
#define MAX_RESOLVE	512	/* components met resolving one path */
#define FD_BUDGET	64	/* directory fds kept open at once */
#define DIRBUF		(64 * 1024)	/* getdents64 asks for at least half */

struct frame {
	int		 fd;		/* owned; -1 while closed for budget */
	uint64_t	 id;		/* which opening of it fd is */
	dev_t		 dev;
	ino_t		 ino;
	char		*name;		/* owned: name in the parent */
	size_t		 pathlen;	/* path length up to this directory */
	char		**names;	/* owned: sorted children */
	size_t		 n, i;
	int		 depth;
	uint64_t	 active;	/* rules still looking below it */
	size_t		 ahead;		/* names[i..ahead) stat'ed ahead */
	uint64_t	 started;	/* anchored rules at or below an
					   anchor of theirs, here */
	int		 under[64];	/* and how far below it */
	uint64_t	 key;		/* its directories read ahead */
	struct cust_pre	*pre;		/* owned: names' lstats, or NULL */
	size_t		 posted;	/* names[..posted) looked at for it */
};

/* A frame's stats ahead (cust_walk_opts.statq): name K's in slot K % N. */
struct ahead {
	struct statx	 sx[CUST_STATQ_DEPTH];
	int		 res[CUST_STATQ_DEPTH];
};

/* In a slot, for a name the walk will not stat (lazy()). */
#define NOT_AHEAD	2

struct walk {
	struct cust_ctx	*ctx;		/* borrowed */
	const struct cust_walk_opts *o;	/* borrowed */
	char		*path;		/* owned: current path */
	size_t		 pathcap;
	struct frame	*fr;		/* owned: the directory stack */
	size_t		 nfr, frcap;
	struct ahead	**ah;		/* owned, by frame; each owned */
	size_t		 ahcap;
	int		 base;		/* borrowed: parent of the start */
	int		 open;		/* frame fds open */
	uint64_t	 opened;	/* frame fds ever opened: their ids */
	int		 resolving;	/* expand() calls under way */
	char		 why[128];	/* why a directory is not entered */
	char		*tmp;		/* owned: a child's path, to post it */
	size_t		 tmpcap;
	uint64_t	 mask;		/* the rules still looking here */
	uint64_t	 anchored;	/* rules with anchors */
	size_t		 reach[64];	/* each one's longest anchor */
	unsigned char	 at[64];	/* the entry against each: IN, WAY */
	uint64_t	 started;	/* consider()'s, for push() */
	int		 under[64];
	struct cust_entry e;
};

/* An entry against an anchored rule: at or below one of its anchors, on
 * the way to one (an ancestor of it), both, or neither. */
enum { IN = 1, WAY = 2 };

/*
 * NAME after the directory path DIR[..at] in *BUFP, grown as needed
 * (*CAPP); DIR NULL when the path is in *BUFP already.  The root's
 * children are "/x", not "//x".  The path's length, or -1 and errno.
 */
static int
join(char **bufp, size_t *capp, const char *dir, size_t at,
    const char *name)
{
	size_t n = strlen(name), need = at + 1 + n + 1;
	char *p;

	if (need > *capp) {
		if ((p = realloc(*bufp, need * 2)) == NULL)
			return -1;
		*bufp = p;
		*capp = need * 2;
	}
	if (dir != NULL)
		memcpy(*bufp, dir, at);
	if (at == 1 && (*bufp)[0] == '/')
		at = 0;
	(*bufp)[at] = '/';
	memcpy(*bufp + at + 1, name, n + 1);
	return (int)(at + 1 + n);
}

/* The current path: NAME after w->path[..at]. */
static int
setpath(struct walk *w, size_t at, const char *name)
{
	int n;

	if ((n = join(&w->path, &w->pathcap, NULL, at, name)) < 0)
		return cust_set_error(w->ctx, errno, CUST_FATAL, "walk");
	return n;
}

bool
cust_strv_any(const struct cust_strv *v, const char *s, int flags)
{
	for (size_t i = 0; i < v->n; i++)
		if (fnmatch(v->v[i], s, flags) == 0)
			return true;
	return false;
}

static unsigned
ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return CUST_FT_FILE;
	case S_IFDIR: return CUST_FT_DIR;
	case S_IFLNK: return CUST_FT_LINK;
	case S_IFIFO: return CUST_FT_FIFO;
	case S_IFSOCK: return CUST_FT_SOCK;
	case S_IFBLK: return CUST_FT_BLOCK;
	case S_IFCHR: return CUST_FT_CHAR;
	default: return 0;
	}
}

/* find(1)'s -path X -prune and -name X -prune. */
static bool
pruned(const struct cust_rule *r, const char *path, const char *name)
{
	return cust_strv_any(&r->exclude_path_patterns, path, 0) ||
	    cust_strv_any(&r->exclude_name_patterns, name, 0);
}

static bool
within(const struct timespec *t, const struct cust_walk_opts *o)
{
	if (o->since.tv_sec >= 0 && (t->tv_sec < o->since.tv_sec ||
	    (t->tv_sec == o->since.tv_sec && t->tv_nsec < o->since.tv_nsec)))
		return false;
	if (o->until.tv_sec >= 0 && (t->tv_sec > o->until.tv_sec ||
	    (t->tv_sec == o->until.tv_sec && t->tv_nsec > o->until.tv_nsec)))
		return false;
	return true;
}

/* Rule K of the walk. */
static const struct cust_rule *
rule_at(const struct cust_walk_opts *o, size_t k)
{
	return o->nrules > 0 ? o->rules[k] : o->rule;
}

static size_t
nrules(const struct cust_walk_opts *o)
{
	return o->nrules > 0 ? o->nrules : 1;
}

/*
 * The entry at PATH[..len], in the directory of frame F (NULL: the walk's
 * start), against anchored rule K: IN when it is one of K's anchors or F
 * was IN (*UNDER: how far below the nearest anchor), WAY when an anchor
 * lies below it.  Only names no longer than K's longest anchor are
 * compared.
 */
static unsigned
anchored(const struct walk *w, const struct frame *f, size_t k,
    const char *path, size_t len, int *under)
{
	const struct cust_strv *a = &w->o->anchors[k];
	unsigned at = 0;
	size_t n;

	*under = -1;
	if (f != NULL && (f->started >> k & 1)) {
		*under = f->under[k] + 1;
		at = IN;
	}
	for (size_t i = 0; len <= w->reach[k] && i < a->n; i++) {
		n = strlen(a->v[i]);
		if (n < len || memcmp(a->v[i], path, len) != 0)
			continue;
		if (n == len) {
			*under = 0;
			at |= IN;
		} else if (len == 1 || a->v[i][len] == '/')
			at |= WAY;
	}
	return at;
}

/* UAC's date range: any of the chosen times inside it. */
static bool
dated(const struct cust_walk_opts *o, const struct cust_rule *r,
    const struct stat *st)
{
	if (o->date_fields == 0 || r->ignore_date_range ||
	    S_ISDIR(st->st_mode))
		return true;
	return ((o->date_fields & CUST_DATE_MTIME) && within(&st->st_mtim, o)) ||
	    ((o->date_fields & CUST_DATE_ATIME) && within(&st->st_atim, o)) ||
	    ((o->date_fields & CUST_DATE_CTIME) && within(&st->st_ctim, o));
}

/* find's -perm: any of the rule's modes (UAC's list is an "or"). */
static bool
permitted(const struct cust_rule *r, mode_t mode)
{
	mode &= 07777;
	for (size_t i = 0; i < r->nperms; i++) {
		mode_t b = r->perms[i].bits;

		if ((r->perms[i].how == '-' && (mode & b) == b) ||
		    (r->perms[i].how == '/' && ((mode & b) != 0 || b == 0)) ||
		    (r->perms[i].how == '=' && mode == b))
			return true;
	}
	return r->nperms == 0;
}

/* find's -size +Nc and -size -Nc, which UAC's find and stat artefacts
 * use on every type: strictly larger than min, strictly smaller than
 * max.  (file and hash keep their own: see judge() in collect.c.) */
static bool
sized(const struct cust_rule *r, const struct stat *st)
{
	if (r->collector != CUST_COLLECTOR_FIND &&
	    r->collector != CUST_COLLECTOR_STAT)
		return !(S_ISREG(st->st_mode) && r->min_size >= 0 &&
		    st->st_size < r->min_size);
	return (r->min_size < 0 || st->st_size > r->min_size) &&
	    (r->max_size < 0 || st->st_size < r->max_size);
}

/* Does the entry pass rule R's tests (find's -type -name -path -size
 * -perm -nouser -nogroup, and the date range)? */
static bool
matches(const struct cust_walk_opts *o, const struct cust_rule *r,
    const struct cust_entry *e)
{
	if (r->file_types != 0 && (r->file_types & ftype(e->st.st_mode)) == 0)
		return false;
	if (!permitted(r, e->st.st_mode))
		return false;
	if (r->no_user && o->users != NULL &&
	    cust_ids_has(o->users, e->st.st_uid))
		return false;
	if (r->no_group && o->groups != NULL &&
	    cust_ids_has(o->groups, e->st.st_gid))
		return false;
	if (r->name_patterns.n > 0 &&
	    !cust_strv_any(&r->name_patterns, e->name, 0))
		return false;
	if (r->path_patterns.n > 0 &&
	    !cust_strv_any(&r->path_patterns, e->path, 0))
		return false;
	/* The filters last, so that each counts only what it alone left
	 * out (acquisition.json). */
	if (!sized(r, &e->st)) {
		if (o->counts != NULL)
			o->counts->by_size++;
		return false;
	}
	if (!dated(o, r, &e->st)) {
		if (o->counts != NULL)
			o->counts->by_date++;
		return false;
	}
	return true;
}

void
cust_stat_from(const struct statx *sx, struct stat *st,
    struct timespec *btime)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	st->st_ino = sx->stx_ino;
	st->st_mode = sx->stx_mode;
	st->st_nlink = sx->stx_nlink;
	st->st_uid = sx->stx_uid;
	st->st_gid = sx->stx_gid;
	st->st_rdev = makedev(sx->stx_rdev_major, sx->stx_rdev_minor);
	st->st_size = (off_t)sx->stx_size;
	st->st_blksize = sx->stx_blksize;
	st->st_blocks = (blkcnt_t)sx->stx_blocks;
	st->st_atim.tv_sec = sx->stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx->stx_ctime.tv_nsec;
	btime->tv_sec = -1;
	btime->tv_nsec = 0;
	if (sx->stx_mask & STATX_BTIME) {
		btime->tv_sec = sx->stx_btime.tv_sec;
		btime->tv_nsec = sx->stx_btime.tv_nsec;
	}
}

int
cust_stat_at(int dirfd, const char *name, int flags, struct stat *st,
    struct timespec *btime)
{
	struct statx sx;

	if (statx(dirfd, name, flags | AT_NO_AUTOMOUNT, STATX_BASIC_STATS |
	    STATX_BTIME, &sx) != 0)
		return -1;
	cust_stat_from(&sx, st, btime);
	return 0;
}

int
cust_open_dir(int dirfd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, fd;

	/* Reading a directory updates its atime too; O_NOATIME needs us to
	 * own it or hold CAP_FOWNER. */
	fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

/* Network and automount filesystems: a walk does not wander into them
 * (UAC leaves them out by default too); name them to collect them. */
static const char *const remote[] = { "9p", "afs", "autofs", "cifs",
    "davfs", "fuse.sshfs", "ncpfs", "nfs", "nfs4", "rpc_pipefs", "smb3",
    "smbfs" };

static bool
is_remote(const char *type)
{
	for (size_t i = 0; type != NULL && i < NELEM(remote); i++)
		if (strcmp(type, remote[i]) == 0)
			return true;
	return false;
}

/* Kernel-made filesystems that are never walked into unless named. */
static bool
pseudo(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return false;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case DEVPTS_SUPER_MAGIC:
	case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
	case DEBUGFS_MAGIC: case TRACEFS_MAGIC: case SECURITYFS_MAGIC:
	case BPF_FS_MAGIC: case PSTOREFS_MAGIC: case EFIVARFS_MAGIC:
	case SELINUX_MAGIC: case SMACK_MAGIC: case BINFMTFS_MAGIC:
	case 0x62656570:	/* configfs */
	case 0x65735543:	/* fusectl */
	case 0x19800202:	/* mqueue */
	case 0x6e736673:	/* nsfs */
		return true;
	default:
		return false;
	}
}

static int
cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A directory's names point into the dirent64 records getdents64 gave,
 * kept whole in one buffer, so that a regular file can be taken without
 * a stat of its own (cust_walk_opts.lazy_files) by the inode number and
 * type just in front of its name, and a directory costs two allocations
 * however many names it holds.  The buffer hangs after the last name, at
 * v[n].
 */
#define DENT(name)	((const struct dirent64 *)(const void *)((name) - \
			    offsetof(struct dirent64, d_name)))

static unsigned char
nametype(const char *name)
{
	return DENT(name)->d_type;
}

static ino_t
nameino(const char *name)
{
	return (ino_t)DENT(name)->d_ino;
}

uint64_t
cust_name_ino(const char *name)
{
	return nameino(name);
}

void
cust_free_names(char **v, size_t n)
{
	if (v != NULL)
		free(v[n]);
	free(v);
}

/* Every dirent64 of directory FD into *BUFP (owned), *LENP bytes of it;
 * *errp is set when the listing failed part way.  Its time told to Q
 * (may be NULL). */
static int
readdents(int fd, char **bufp, size_t *lenp, int *errp, struct cust_dirq *q)
{
	size_t len = 0, cap = DIRBUF;
	struct timespec t0;
	char *buf, *nb;
	ssize_t k;

	if ((buf = malloc(cap)) == NULL)
		return -1;
	if (q != NULL)
		clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (cap - len < DIRBUF / 2) {
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		if ((k = getdents64(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)k;
	}
	if (k < 0)
		*errp = errno;
	if (q != NULL)
		cust_dirq_timed(q, &t0, len);
	/* A frame keeps it while its subtree is walked: no slack. */
	if (cap - len > 4096 && (nb = realloc(buf, len + 1)) != NULL)
		buf = nb;
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
cust_read_names(int fd, char ***vp, size_t *np, size_t *bytesp, int *errp,
    struct cust_dirq *q)
{
	char *buf, **v;
	size_t len, n = 0;

	*errp = 0;
	if (readdents(fd, &buf, &len, errp, q) != 0)
		return -1;
	for (size_t off = 0; off < len; n++)
		off += ((struct dirent64 *)(void *)(buf + off))->d_reclen;
	if ((v = malloc((n + 1) * sizeof(*v))) == NULL) {
		free(buf);
		return -1;
	}
	n = 0;
	for (size_t off = 0; off < len;) {
		struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);

		off += d->d_reclen;
		if (d->d_name[0] == '.' && (d->d_name[1] == '\0' ||
		    (d->d_name[1] == '.' && d->d_name[2] == '\0')))
			continue;
		v[n++] = d->d_name;
	}
	v[n] = buf;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmpname);
	if (bytesp != NULL)
		*bytesp = len + (n + 1) * sizeof(*v);
	*vp = v;
	*np = n;
	return 0;
}

/* Hand the entry at NAME, of status ST, to the visitor; LAZY: see
 * consider_file(). */
static int
deliver(struct walk *w, int dirfd, size_t len, const char *name, int depth,
    enum cust_rec_status st, int err, const char *what, bool lazy)
{
	if (w->e.matched == 0)		/* a failure, before any test */
		w->e.matched = w->mask;
	w->e.lazy = lazy;
	w->e.path = w->path;
	w->e.pathlen = len;
	w->e.name = name;
	w->e.dirfd = dirfd;
	w->e.dirid = w->nfr > 0 && w->fr[w->nfr - 1].fd == dirfd ?
	    w->fr[w->nfr - 1].id : 0;
	w->e.depth = depth;
	w->e.status = st;
	w->e.err = err;
	w->e.what = what;
	return w->o->visit(w->o->arg, &w->e);
}

/* The entry at NAME: ok, or what ERR says when it could not be examined. */
static int
visit(struct walk *w, int dirfd, size_t len, const char *name, int depth,
    int err, const char *what)
{
	return deliver(w, dirfd, len, name, depth,
	    err != 0 ? cust_rec_status_of_errno(err) : CUST_ST_OK, err, what,
	    false);
}

static void
budget(struct walk *w, size_t keep)
{
	for (size_t k = 0; w->open > FD_BUDGET && k < keep; k++)
		if (w->fr[k].fd >= 0) {
			/* Its reads ahead not started name this fd. */
			if (w->o->dirq != NULL)
				cust_dirq_drop(w->o->dirq, w->fr[k].key,
				    false);
			close(w->fr[k].fd);
			w->fr[k].fd = -1;
			w->open--;
		}
}

static bool
same(const struct frame *f, int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino;
}

/*
 * The open directory of frame K, reopened from its nearest open ancestor
 * if the fd budget closed it; -1 when a directory on the way was replaced.
 */
static int
frame_fd(struct walk *w, size_t k)
{
	size_t j = k + 1;
	int base, fd;

	if (w->fr[k].fd >= 0)
		return w->fr[k].fd;
	while (j > 0 && w->fr[j - 1].fd < 0)
		j--;
	base = j > 0 ? w->fr[j - 1].fd : w->base;
	for (size_t m = j; m <= k; m++) {
		if ((fd = cust_open_dir(base, w->fr[m].name)) < 0)
			return -1;
		if (!same(&w->fr[m], fd)) {
			close(fd);
			errno = ESTALE;
			return -1;
		}
		w->fr[m].fd = base = fd;
		w->fr[m].id = ++w->opened;
		w->open++;
		budget(w, m);
	}
	return w->fr[k].fd;
}

static void
pop(struct walk *w)
{
	struct frame *f = &w->fr[--w->nfr];

	/* Directories read ahead and not entered (the walk changed its
	 * mind, or stops): their reads name f's fd and names. */
	if (w->o->dirq != NULL)
		cust_dirq_drop(w->o->dirq, f->key, true);
	if (f->fd >= 0) {
		close(f->fd);
		w->open--;
	}
	cust_free_names(f->names, f->n);
	free(f->pre);
	free(f->name);
}

/* The path of NAME in frame F into w->tmp, for its rules' -path tests. */
static const char *
child_path(struct walk *w, const struct frame *f, const char *name)
{
	return join(&w->tmp, &w->tmpcap, w->path, f->pathlen, name) < 0 ?
	    NULL : w->tmp;
}

/*
 * Will the walk enter directory NAME of frame F, as far as can be told
 * before its stat: not /dev, and a rule still looking below it (as
 * consider() tells).  A wrong yes costs a listing the walk drops; the
 * threads' own checks (open without atime, same file system) keep it
 * harmless.
 */
static bool
enters(struct walk *w, const struct frame *f, const char *name)
{
	const struct cust_rule *r;
	const char *path = NULL;
	int depth = f->depth + 1, under;
	unsigned at;

	if (nametype(name) != DT_DIR || (f->pathlen == 1 &&
	    w->path[0] == '/' && strcmp(name, "dev") == 0))
		return false;
	for (size_t k = 0; k < nrules(w->o); k++) {
		r = rule_at(w->o, k);
		if (!(f->active >> k & 1))
			continue;
		under = depth;
		if (w->anchored >> k & 1) {	/* as looking() and consider() */
			if (path == NULL &&
			    (path = child_path(w, f, name)) == NULL)
				return false;
			at = anchored(w, f, k, path, strlen(path), &under);
			if (at & WAY)
				return true;
			if (!(at & IN))
				continue;
		}
		if (r->max_depth >= 0 && under >= r->max_depth)
			continue;
		if (r->exclude_path_patterns.n > 0 && path == NULL &&
		    (path = child_path(w, f, name)) == NULL)
			return false;
		if (!pruned(r, path != NULL ? path : "", name))
			return true;
	}
	return false;
}

/* Post the top frame's next directories to be read ahead, as many as
 * the read-ahead takes. */
static void
post_dirs(struct walk *w)
{
	struct frame *f = &w->fr[w->nfr - 1];
	const char *name;

	if (w->o->dirq == NULL || f->fd < 0 || !cust_dirq_cold(w->o->dirq))
		return;
	if (f->posted < f->i)
		f->posted = f->i;
	for (; f->posted < f->n; f->posted++) {
		name = f->names[f->posted];
		if (enters(w, f, name) && cust_dirq_post(w->o->dirq, f->key,
		    f->depth, f->fd, f->dev, name, f->posted,
		    !w->o->lazy_files) != CUST_OK)
			break;
	}
}

static void
untake(struct cust_dir_ahead *d)
{
	close(d->fd);
	cust_free_names(d->names, d->n);
	free(d->pre);
}

/* Push directory NAME, open and listed in D (taken over). */
static int
push(struct walk *w, struct cust_dir_ahead *d, const char *name,
    size_t len, int depth, uint64_t active)
{
	struct frame *f;

	/* The stats ahead name the parent's fd, which budget() may close. */
	if (cust_statq_settle(w->o->statq) != CUST_OK) {
		untake(d);
		return CUST_FATAL;
	}
	if (w->nfr == w->frcap) {
		size_t cap = w->frcap ? w->frcap * 2 : 16;

		if ((f = realloc(w->fr, cap * sizeof(*f))) == NULL)
			goto oom;
		w->fr = f;
		w->frcap = cap;
	}
	f = &w->fr[w->nfr];
	if ((f->name = strdup(name)) == NULL)
		goto oom;
	f->fd = d->fd;
	f->id = ++w->opened;
	f->dev = d->st.st_dev;
	f->ino = d->st.st_ino;
	f->pathlen = len;
	f->names = d->names;
	f->n = d->n;
	f->pre = d->pre;
	f->i = 0;
	f->depth = depth;
	f->active = active;
	f->ahead = 0;
	f->started = w->started;
	for (uint64_t m = w->started; m != 0; m &= m - 1)
		f->under[__builtin_ctzll(m)] = w->under[__builtin_ctzll(m)];
	f->key = w->o->dirq != NULL ? cust_dirq_key(w->o->dirq) : 0;
	f->posted = 0;
	w->nfr++;
	w->open++;
	budget(w, w->nfr - 1);
	post_dirs(w);
	return CUST_OK;
oom:
	untake(d);
	return cust_set_error(w->ctx, ENOMEM, CUST_FATAL, "walk");
}

static bool
onstack(const struct walk *w, const struct stat *st)
{
	for (size_t k = 0; k < w->nfr; k++)
		if (w->fr[k].dev == st->st_dev && w->fr[k].ino == st->st_ino)
			return true;
	return false;
}

enum { GO_ON, STOP_HERE };

/*
 * May the walk enter the directory open at FD?  Not into /dev, nor across
 * into a kernel or network filesystem, unless the walk started there; not
 * across a mount with --one-file-system; nor into a filesystem of a type
 * every rule still looking below excludes.  When not, w->why says why,
 * for the record.
 */
static int
boundary(struct walk *w, int fd, const struct stat *st, int depth,
    uint64_t *desc)
{
	bool crossing = depth > 0 && st->st_dev != w->fr[w->nfr - 1].dev;
	const char *type = NULL;
	bool excluded = false;

	if (crossing || depth == 0)
		type = cust_mounts_type(w->o->mounts, fd);
	/* A rule that excludes this type goes no further down; the mount
	 * point itself is still recorded, with why. */
	for (size_t k = 0; type != NULL && k < nrules(w->o); k++)
		if (cust_strv_any(&rule_at(w->o, k)->exclude_file_systems,
		    type, 0) &&
		    (*desc & ((uint64_t)1 << k)) != 0) {
			*desc &= ~((uint64_t)1 << k);
			excluded = true;
		}
	if (excluded && *desc == 0)
		snprintf(w->why, sizeof(w->why), "file system %s excluded by "
		    "the artefact", type);
	else if (depth > 0 && strcmp(w->path, "/dev") == 0)
		snprintf(w->why, sizeof(w->why), "/dev is never walked");
	else if (crossing && w->o->one_file_system)
		snprintf(w->why, sizeof(w->why), "another file system (%s), "
		    "--one-file-system", type != NULL ? type : "unknown");
	else if (crossing && pseudo(fd))
		snprintf(w->why, sizeof(w->why), "kernel file system (%s)",
		    type != NULL ? type : "unknown");
	else if (crossing && is_remote(type))
		snprintf(w->why, sizeof(w->why), "network file system (%s)",
		    type);
	else
		return GO_ON;
	if (w->o->counts != NULL)
		w->o->counts->by_fs++;
	return STOP_HERE;
}

/*
 * Directory NAME in DIRFD, the top frame's current name when DEPTH > 0,
 * open in D: as read ahead (and then listed, unless D->names is NULL), or
 * opened now; -1 and errno when it could not be opened.  A failed fstat
 * leaves D->st zero, which no lstat matches ("replaced").
 */
static int
take(struct walk *w, int dirfd, const char *name, int depth,
    struct cust_dir_ahead *d)
{
	const struct frame *f;
	bool got = false;

	if (depth > 0 && w->o->dirq != NULL) {
		f = &w->fr[w->nfr - 1];
		got = cust_dirq_claim(w->o->dirq, f->key, f->i - 1, d);
		post_dirs(w);	/* a slot is free */
	}
	if (got && d->fd >= 0)
		return 0;
	d->names = NULL;
	d->n = 0;
	d->err = 0;
	d->pre = NULL;
	if ((d->fd = cust_open_dir(dirfd, name)) < 0)
		return -1;
	if (fstat(d->fd, &d->st) != 0)
		memset(&d->st, 0, sizeof(d->st));
	return 0;
}

/* Open directory NAME for descent and push it; visit it when it matches. */
static int
descend(struct walk *w, int dirfd, size_t len, const char *name, int depth,
    uint64_t match, uint64_t desc)
{
	struct cust_dir_ahead d;
	int r;

	if (onstack(w, &w->e.st))
		return deliver(w, dirfd, len, name, depth, CUST_ST_LOOP, ELOOP,
		    "directory loop", false);
	if (take(w, dirfd, name, depth, &d) != 0)
		return visit(w, dirfd, len, name, depth, errno, "open");
	if (d.st.st_dev != w->e.st.st_dev || d.st.st_ino != w->e.st.st_ino) {
		untake(&d);
		return deliver(w, dirfd, len, name, depth, CUST_ST_CHANGED, 0,
		    "replaced", false);
	}
	if (boundary(w, d.fd, &d.st, depth, &desc) == STOP_HERE) {
		untake(&d);
		w->e.matched = match;
		if (!match)
			return CUST_OK;
		w->e.not_walked = w->why;
		r = visit(w, dirfd, len, name, depth, 0, NULL);
		w->e.not_walked = NULL;
		return r;
	}
	w->e.matched = match;
	if (d.names == NULL && cust_read_names(d.fd, &d.names, &d.n, NULL,
	    &d.err, w->o->dirq) != 0) {
		untake(&d);
		return cust_set_error(w->ctx, ENOMEM, CUST_FATAL, "walk");
	}
	if (d.err != 0 || match)
		r = visit(w, dirfd, len, name, depth, d.err,
		    d.err ? "list" : NULL);
	else
		r = CUST_OK;
	if (r == CUST_FATAL || desc == 0) {
		untake(&d);
		return r;
	}
	return push(w, &d, name, len, depth, desc);
}

/*
 * Which of the frame's ACTIVE rules look at the entry at w->path[..len]:
 * each anchored one only when the entry is IN its tree or on the WAY to
 * it (w->at[K], and w->under[K] how far below its anchor).
 */
static uint64_t
looking(struct walk *w, size_t len, int depth, uint64_t active)
{
	uint64_t mask = active & ~w->anchored;
	int k;

	for (uint64_t m = active & w->anchored; m != 0; m &= m - 1) {
		k = __builtin_ctzll(m);
		if ((w->at[k] = (unsigned char)anchored(w, depth > 0 ?
		    &w->fr[w->nfr - 1] : NULL, (size_t)k, w->path, len,
		    &w->under[k])) != 0)
			mask |= (uint64_t)1 << k;
	}
	return mask;
}

/*
 * A regular file, by its directory entry, for a visitor that stats it
 * itself (it opens it anyway): when no test of the rule needs a stat, the
 * entry carries only its type, its inode number and its directory's
 * device, and the visitor checks them against the file it opens.
 */
static int
consider_file(struct walk *w, int dirfd, size_t len, const char *name,
    int depth, uint64_t active)
{
	struct cust_entry *e = &w->e;
	uint64_t match = 0;

	memset(&e->st, 0, sizeof(e->st));
	e->st.st_mode = S_IFREG;
	e->st.st_ino = nameino(name);
	e->st.st_dev = w->fr[w->nfr - 1].dev;
	e->btime.tv_sec = -1;
	e->btime.tv_nsec = 0;
	e->name = name;
	e->path = w->path;
	active = looking(w, len, depth, active);
	for (size_t k = 0; k < nrules(w->o); k++)
		if ((active >> k & 1) && (!(w->anchored >> k & 1) ||
		    (w->at[k] & IN)) && !pruned(rule_at(w->o, k), w->path,
		    name) && matches(w->o, rule_at(w->o, k), e))
			match |= (uint64_t)1 << k;
	if (match == 0)
		return CUST_OK;
	e->matched = match;
	return deliver(w, dirfd, len, name, depth, CUST_ST_OK, 0, NULL,
	    true);
}

/* May a regular file of this walk be taken by its directory entry? */
static bool
lazy(const struct walk *w, const char *name, int depth, uint64_t active)
{
	const struct cust_walk_opts *o = w->o;
	const struct cust_rule *r;

	if (!o->lazy_files || depth == 0 || nametype(name) != DT_REG)
		return false;
	for (size_t k = 0; k < nrules(o); k++) {
		r = rule_at(o, k);
		if ((active >> k & 1) && (r->min_size >= 0 || r->nperms > 0 ||
		    r->no_user || r->no_group || (o->date_fields != 0 &&
		    !r->ignore_date_range)))
			return false;
	}
	return true;
}

/* The lstat of NAME into w->e: from PRE (its result RES) when it was
 * taken ahead, else now; -1 and errno when it failed. */
static int
lstat_entry(struct walk *w, int dirfd, const char *name,
    const struct statx *pre, int res)
{
	if (pre == NULL)
		return cust_stat_at(dirfd, name, AT_SYMLINK_NOFOLLOW,
		    &w->e.st, &w->e.btime);
	if (res < 0) {
		errno = -res;
		return -1;
	}
	cust_stat_from(pre, &w->e.st, &w->e.btime);
	return 0;
}

/* Look at one name: visit it when it matches, descend when a directory.
 * PRE: its statx taken ahead (result RES), or NULL. */
static int
consider(struct walk *w, int dirfd, size_t len, const char *name, int depth,
    uint64_t active, const struct statx *pre, int res)
{
	const struct cust_rule *r;
	uint64_t match = 0, desc = 0, bit;
	unsigned at;
	int under;

	w->e.matched = 0;
	w->mask = looking(w, len, depth, active);
	w->started = 0;
	if (lstat_entry(w, dirfd, name, pre, res) != 0) {
		memset(&w->e.st, 0, sizeof(w->e.st));
		return visit(w, dirfd, len, name, depth, errno, "lstat");
	}
	/* A directory is stat'ed before it is listed (which may move its
	 * atime); one listed before (a glob) keeps its atime of then. */
	if (cust_atimes_first(w->o->atimes, &w->e.st) != CUST_OK)
		return CUST_FATAL;
	/* find(1) names a start point by its last component, "/" for the
	 * root, never "." */
	w->e.name = depth == 0 && strcmp(name, ".") == 0 ? w->path : name;
	w->e.path = w->path;
	for (size_t k = 0; k < nrules(w->o); k++) {
		r = rule_at(w->o, k);
		bit = (uint64_t)1 << k;
		if (!(w->mask & bit))
			continue;
		at = w->anchored & bit ? w->at[k] : IN;
		under = w->anchored & bit ? w->under[k] : depth;
		if ((at & IN) && pruned(r, w->path, w->e.name))
			at &= ~(unsigned)IN;
		if ((at & IN) && matches(w->o, r, &w->e))
			match |= bit;
		if ((at & IN) && (r->max_depth < 0 || under < r->max_depth))
			w->started |= bit & w->anchored;
		else if (!(at & WAY))
			continue;
		desc |= bit;
	}
	if (S_ISDIR(w->e.st.st_mode) && desc != 0)
		return descend(w, dirfd, len, name, depth, match, desc);
	w->e.matched = match;
	return match ? visit(w, dirfd, len, name, depth, 0, NULL) : CUST_OK;
}

/* The slots of the top frame's stats ahead, made when first needed. */
static struct ahead *
slots(struct walk *w)
{
	size_t k = w->nfr - 1, cap;
	struct ahead **v;

	if (k >= w->ahcap) {
		cap = w->frcap;
		if ((v = realloc(w->ah, cap * sizeof(*v))) == NULL)
			return NULL;
		memset(v + w->ahcap, 0, (cap - w->ahcap) * sizeof(*v));
		w->ah = v;
		w->ahcap = cap;
	}
	if (w->ah[k] == NULL)
		w->ah[k] = malloc(sizeof(*w->ah[k]));
	return w->ah[k];
}

int
cust_by_ino(const void *a, const void *b)
{
	const struct cust_byino *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * Name I of the top frame, open at FD, with its lstat done: the names
 * after it are queued a half-ring at a time (a lazy one is not stat'ed),
 * so that the kernel stats them while this thread records I; in the
 * order of their inode numbers, which is the order of the inode tables
 * on the disk.  NULL and the error set when the ring or memory failed.
 */
static struct ahead *
stat_ahead(struct walk *w, int fd, size_t i)
{
	struct frame *f = &w->fr[w->nfr - 1];
	struct cust_byino p[CUST_STATQ_DEPTH];	/* the names to stat */
	struct ahead *ah;
	size_t k, np = 0;

	if ((ah = slots(w)) == NULL) {
		cust_set_error(w->ctx, ENOMEM, CUST_FATAL, "walk");
		return NULL;
	}
	if (f->ahead < i)
		f->ahead = i;	/* names passed lazily, never stat'ed */
	if (f->ahead < i + CUST_STATQ_DEPTH / 2)
		for (; f->ahead < f->n && f->ahead < i + CUST_STATQ_DEPTH;
		    f->ahead++) {
			if (lazy(w, f->names[f->ahead], f->depth + 1,
			    f->active))
				ah->res[f->ahead % CUST_STATQ_DEPTH] =
				    NOT_AHEAD;
			else
				p[np++] = (struct cust_byino){
				    nameino(f->names[f->ahead]), f->ahead };
		}
	if (np > 1)
		qsort(p, np, sizeof(*p), cust_by_ino);
	for (size_t j = 0; j < np; j++) {
		k = p[j].at % CUST_STATQ_DEPTH;
		if (cust_statq_add(w->o->statq, fd, f->names[p[j].at],
		    &ah->sx[k], &ah->res[k]) != CUST_OK)
			return NULL;
	}
	if (cust_statq_wait(w->o->statq, &ah->res[i % CUST_STATQ_DEPTH]) !=
	    CUST_OK)
		return NULL;
	return ah;
}

/*
 * Whether the name being looked at in F is to be stat'ed now, not ahead:
 * when it is not queued and no more than FEW_AHEAD names are left.  So
 * small a batch costs more than its stats: handing it to the kernel's
 * worker, waking it, and sleeping until its first statx is done (most
 * directories of /usr hold fewer than 8 names).
 */
#define FEW_AHEAD	4

static bool
few_left(const struct frame *f)
{
	size_t i = f->i - 1;

	return f->ahead <= i && f->n - i <= FEW_AHEAD;
}

/* Every rule of the walk. */
static uint64_t
all(const struct cust_walk_opts *o)
{
	size_t n = nrules(o);

	return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

/* Walk the tree at NAME in PARENT (its path is w->path[0..len]). */
static int
tree(struct walk *w, int parent, size_t len, const char *name)
{
	struct frame *f;
	struct ahead *ah;
	const char *child;
	int fd, r, n;

	w->base = parent;
	w->nfr = 0;
	r = consider(w, parent, len, name, 0, all(w->o), NULL, 0);
	while (r != CUST_FATAL && w->nfr > 0) {
		f = &w->fr[w->nfr - 1];
		if (f->i == f->n) {
			pop(w);
			continue;
		}
		child = f->names[f->i++];
		if ((n = setpath(w, f->pathlen, child)) < 0) {
			r = n;
			break;
		}
		w->mask = f->active;
		w->e.matched = 0;
		if ((fd = frame_fd(w, w->nfr - 1)) < 0) {
			/* The directory went away under us: say so, move on. */
			w->path[f->pathlen] = '\0';
			r = visit(w, -1, f->pathlen, f->name, f->depth, errno,
			    "reopen");
			f->i = f->n;
			continue;
		}
		if (lazy(w, child, f->depth + 1, f->active))
			r = consider_file(w, fd, (size_t)n, child,
			    f->depth + 1, f->active);
		else if (f->pre != NULL)	/* stat'ed with its listing */
			r = consider(w, fd, (size_t)n, child, f->depth + 1,
			    f->active, &f->pre[f->i - 1].sx,
			    f->pre[f->i - 1].res);
		else if (w->o->statq == NULL || few_left(f))
			r = consider(w, fd, (size_t)n, child, f->depth + 1,
			    f->active, NULL, 0);
		else if ((ah = stat_ahead(w, fd, f->i - 1)) == NULL)
			r = CUST_FATAL;
		else
			r = consider(w, fd, (size_t)n, child, f->depth + 1,
			    f->active, &ah->sx[(f->i - 1) % CUST_STATQ_DEPTH],
			    ah->res[(f->i - 1) % CUST_STATQ_DEPTH]);
	}
	/* Nothing in flight may outlive the fds it names. */
	if (cust_statq_settle(w->o->statq) != CUST_OK)
		r = CUST_FATAL;
	while (w->nfr > 0)
		pop(w);
	return r == CUST_FATAL ? r : CUST_OK;
}

static bool
isglob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Split S on '/' into the non-empty, non-"." components. */
static int
split(const char *s, char **bufp, char ***vp, size_t *np)
{
	char *buf, **v, *tok, *save;
	size_t n = 0;

	if ((buf = strdup(s)) == NULL)
		return -1;
	if ((v = calloc(strlen(s) / 2 + 2, sizeof(*v))) == NULL) {
		free(buf);
		return -1;
	}
	for (tok = strtok_r(buf, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save))
		if (strcmp(tok, ".") != 0)
			v[n++] = tok;
	*bufp = buf;
	*vp = v;
	*np = n;
	return 0;
}

static int expand(struct walk *, int, size_t, char **, size_t, int);

/*
 * The expansion below a directory at w->path[0..len) leaves those bytes as
 * it found them: glob() writes each match at LEN, after the same prefix.
 * A link's target and ".." rewrite the path from further up, so they keep
 * a copy of it (owned by the caller, NULL when out of memory) and put it
 * back with restore().
 */
static char *
keep(const struct walk *w, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) != NULL) {
		memcpy(p, w->path, len);
		p[len] = '\0';
	}
	return p;
}

/* The length of the directory part of w->path[..len]: "/a" of "/a/b",
 * "/" of "/a" and of "/". */
static size_t
dirlen(const struct walk *w, size_t len)
{
	while (len > 1 && w->path[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : len;
}

/* Put back the path SAVED by keep(), and free it. */
static void
restore(struct walk *w, char *saved, size_t len)
{
	memcpy(w->path, saved, len + 1);	/* pathcap only grows */
	free(saved);
}

/* Open the directory at w->path[0..len] from the root, link by link. */
static int
reopen(struct walk *w, size_t len)
{
	char *buf, **v, save = w->path[len];
	size_t n;
	int fd, next;

	w->path[len] = '\0';
	if (split(w->path, &buf, &v, &n) != 0) {
		w->path[len] = save;
		return -1;
	}
	w->path[len] = save;
	fd = dup(w->o->rootfd);
	for (size_t i = 0; fd >= 0 && i < n; i++) {
		next = cust_open_dir(fd, v[i]);
		close(fd);
		fd = next;
	}
	free(buf);
	free(v);
	return fd;
}

/*
 * NOLINTBEGIN(misc-no-recursion): follow(), step(), glob(), up() and
 * expand() recurse once per component of the path; expand() stops them at
 * MAX_RESOLVE components, and follow() at MAX_LINK_HOPS links.
 */

/*
 * Continue the expansion at a symbolic link met on the way, from the link's
 * directory or the root: what lies beyond it is recorded under the path it
 * resolves to (/var/run/x as /run/x), and the link's own path, w->path[..len],
 * is put back afterwards for the names that follow it.
 */
static int
follow(struct walk *w, int dirfd, size_t len, const char *name,
    char **rest, size_t nrest, int hops)
{
	char target[4096], *buf = NULL, **v = NULL, **all = NULL, *saved;
	ssize_t k;
	size_t n, plen;
	int r, fd = -1;

	if (hops >= MAX_LINK_HOPS)
		return visit(w, dirfd, len, name, 0, ELOOP, "resolve");
	k = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (k < 0 || k == (ssize_t)sizeof(target) - 1)
		return visit(w, dirfd, len, name, 0, k < 0 ? errno :
		    ENAMETOOLONG, "readlink");
	target[k] = '\0';
	if ((fd = dup(target[0] == '/' ? w->o->rootfd : dirfd)) < 0) {
		r = visit(w, dirfd, len, name, 0, errno, "open");
		goto out;
	}
	if (split(target, &buf, &v, &n) != 0 ||
	    (all = calloc(n + nrest + 1, sizeof(*all))) == NULL ||
	    (saved = keep(w, len)) == NULL) {
		r = cust_set_error(w->ctx, ENOMEM, CUST_FATAL, "walk");
		goto out;
	}
	memcpy(all, v, n * sizeof(*v));
	memcpy(all + n, rest, nrest * sizeof(*rest));
	/* A relative target continues from the link's directory. */
	plen = target[0] == '/' ? 1 : dirlen(w, len);
	w->path[plen] = '\0';		/* "/" when absolute */
	r = expand(w, fd, plen, all, n + nrest, hops + 1);
	restore(w, saved, len);
out:
	if (fd >= 0)
		close(fd);
	free(all);
	free(buf);
	free(v);
	return r;
}

/*
 * The path at w->path[..len], then the REST, is not there (ERR): nothing
 * to say of a manifest's path, which names what a host may not have; a
 * failure, recorded under the whole path, when the walk must find it.
 */
static int
missing(struct walk *w, int len, char **rest, size_t nrest, int err)
{
	const char *name;

	if (!w->o->must_exist)
		return CUST_OK;
	for (size_t i = 0; i < nrest && len >= 0; i++)
		len = setpath(w, (size_t)len, rest[i]);
	if (len < 0)
		return len;
	name = strrchr(w->path, '/');
	name = name != NULL ? name + 1 : w->path;
	memset(&w->e.st, 0, sizeof(w->e.st));
	return deliver(w, -1, (size_t)len, name, 0, CUST_ST_MISSING, err,
	    "lstat", false);
}

/* Take component NAME of directory DIRFD, then the REST. */
static int
step(struct walk *w, int dirfd, size_t dlen, const char *name, char **rest,
    size_t nrest, int hops)
{
	struct timespec bt;
	struct stat st;
	int len, fd, r;

	if ((len = setpath(w, dlen, name)) < 0)
		return len;
	if (cust_stat_at(dirfd, name, AT_SYMLINK_NOFOLLOW, &st, &bt) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return missing(w, len, rest, nrest, errno);
		memset(&w->e.st, 0, sizeof(w->e.st));
		return visit(w, dirfd, (size_t)len, name, 0, errno, "lstat");
	}
	if (nrest == 0)
		return tree(w, dirfd, (size_t)len, name);
	if (S_ISLNK(st.st_mode)) {
		/* readlink(2) moves a link's atime: keep the one it had. */
		if (cust_atimes_note(w->o->atimes, &st) != CUST_OK)
			return CUST_FATAL;
		return follow(w, dirfd, (size_t)len, name, rest, nrest, hops);
	}
	if (!S_ISDIR(st.st_mode))
		return missing(w, len, rest, nrest, ENOTDIR);
	if ((fd = cust_open_dir(dirfd, name)) < 0) {
		w->e.st = st;
		return visit(w, dirfd, (size_t)len, name, 0, errno, "open");
	}
	r = expand(w, fd, (size_t)len, rest, nrest, hops);
	close(fd);
	return r;
}

static int
glob(struct walk *w, int dirfd, size_t len, char **comps, size_t n, int hops)
{
	char **names;
	size_t nn;
	struct stat st;
	int err, r = CUST_OK;

	/* Listing it may move its atime: keep the one it had. */
	if (w->o->atimes != NULL && fstat(dirfd, &st) == 0 &&
	    cust_atimes_note(w->o->atimes, &st) != CUST_OK)
		return CUST_FATAL;
	if (cust_read_names(dirfd, &names, &nn, NULL, &err, NULL) != 0)
		return cust_set_error(w->ctx, ENOMEM, CUST_FATAL, "walk");
	for (size_t i = 0; r != CUST_FATAL && i < nn; i++)
		if (fnmatch(comps[0], names[i], FNM_PERIOD) == 0)
			r = step(w, dirfd, len, names[i], comps + 1, n - 1,
			    hops);
	cust_free_names(names, nn);
	return r;
}

/*
 * ".." in a manifest path: the parent of w->path[..len], opened afresh
 * from the root (the path may have come through a link), then the REST;
 * w->path[..len] is put back afterwards.
 */
static int
up(struct walk *w, size_t len, char **rest, size_t nrest, int hops)
{
	size_t plen = dirlen(w, len);
	char *saved;
	int fd, err, r;

	if ((saved = keep(w, len)) == NULL)
		return cust_set_error(w->ctx, ENOMEM, CUST_FATAL, "walk");
	w->path[plen] = '\0';
	if ((fd = reopen(w, plen)) >= 0) {
		r = expand(w, fd, plen, rest, nrest, hops);
		close(fd);
	} else if ((err = errno) == ENOMEM)	/* reopen()'s split */
		r = cust_set_error(w->ctx, err, CUST_FATAL, "walk");
	else if (err == ENOENT || err == ENOTDIR)
		r = CUST_OK;	/* not on this host: nothing to say */
	else
		r = visit(w, -1, plen, "..", 0, err, "open");
	restore(w, saved, len);
	return r;
}

static int
expand_one(struct walk *w, int dirfd, size_t len, char **comps, size_t n,
    int hops)
{
	w->path[len] = '\0';
	if (n == 0)
		return tree(w, dirfd, len, ".");
	if (strcmp(comps[0], "..") == 0)
		return up(w, len, comps + 1, n - 1, hops);
	if (isglob(comps[0]))
		return glob(w, dirfd, len, comps, n, hops);
	return step(w, dirfd, len, comps[0], comps + 1, n - 1, hops);
}

/*
 * Expand the components COMPS below the directory DIRFD at w->path[..len].
 * Each level keeps a directory open until the levels below it are done,
 * so a path that links back into itself ("../a/../a/...", 40 links deep)
 * would run out of descriptors, and be dropped without a word, long
 * before the link limit: stop it at MAX_RESOLVE components and say so.
 */
static int
expand(struct walk *w, int dirfd, size_t len, char **comps, size_t n,
    int hops)
{
	int at, r;

	if (n > 0 && w->resolving == MAX_RESOLVE) {
		if ((at = setpath(w, len, comps[0])) < 0)
			return at;
		return visit(w, dirfd, (size_t)at, comps[0], 0, ELOOP,
		    "resolve");
	}
	w->resolving++;
	r = expand_one(w, dirfd, len, comps, n, hops);
	w->resolving--;
	return r;
}

/* NOLINTEND(misc-no-recursion) */

int
cust_walk(struct cust_ctx *ctx, const struct cust_walk_opts *o,
    const char *path)
{
	struct walk w;
	char *buf = NULL, **comps = NULL;
	size_t n;
	int fd = -1, r;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	w.o = o;
	w.mask = all(o);
	for (size_t k = 0; o->anchors != NULL && k < nrules(o); k++)
		for (size_t i = 0; i < o->anchors[k].n; i++) {
			w.anchored |= (uint64_t)1 << k;
			if (strlen(o->anchors[k].v[i]) > w.reach[k])
				w.reach[k] = strlen(o->anchors[k].v[i]);
		}
	w.pathcap = 256;
	if ((w.path = malloc(w.pathcap)) == NULL ||
	    split(path, &buf, &comps, &n) != 0) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "walk");
		goto out;
	}
	/* 2 of pathcap bytes:
	 * NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy) */
	strcpy(w.path, "/");
	if ((fd = dup(o->rootfd)) < 0) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "walk");
		goto out;
	}
	r = expand(&w, fd, 1, comps, n, 0);
out:
	if (fd >= 0)
		close(fd);
	for (size_t k = 0; k < w.ahcap; k++)
		free(w.ah[k]);
	free(w.ah);
	free(w.fr);
	free(w.tmp);
	free(w.path);
	free(comps);
	free(buf);
	return r;
}
