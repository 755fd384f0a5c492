/*
 * procs.c: the process table.  Every /proc/PID is read once through a
 * directory descriptor, so that a pid reused while we read cannot mix two
 * processes' files; a process that exits meanwhile is recorded as gone.
 * Executables are read through /proc/PID/exe (never ptrace, never
 * /proc/PID/mem), hashed, and stored once per distinct SHA-256 as
 * data/live/blobs/<sha256>: deleted and memfd ones too, and deleted files
 * still held open (up to CUST_LIVE_HELD_MAX).  The fd scan also gives the
 * socket inodes, which join the socket tables to their owners.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "live/live.h"

#define PF_KTHREAD	0x00200000	/* include/linux/sched.h */
#define HASH_CHUNK	(256 * 1024)
#define SWEEPERS	4		/* threads probing pids, at most */
#define DENTS		(32 * 1024)	/* getdents64 buffer */

struct owner {
	unsigned long long inode;
	int		 pid;
};

/* A file already hashed, by identity: its SHA-256. */
struct blob {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	char		 sha[65];
	bool		 stored;
};

struct cust_live_procs {
	unsigned char	*listed;	/* owned: bitmap of listed pids */
	long		 pid_max;
	struct owner	*own;		/* owned: socket inode -> pid */
	size_t		 nown, capown;
	struct blob	*blob;		/* owned */
	size_t		 nblob, capblob;
	size_t		 stored;	/* distinct blobs stored */
	struct cust_digest *dig;	/* owned */
	unsigned char	*buf;		/* owned: HASH_CHUNK */
	char		*text;		/* owned: the /proc file being read */
	size_t		 textcap;
	char		*dents;		/* owned: DENTS bytes */
	struct timespec	 boot;		/* realtime of boot */
	unsigned long long listed_at;	/* clock ticks since boot, when
					   /proc was listed */
	long		 hz;
	pid_t		 self;
	unsigned long long start_max;	/* latest start of a lower pid */
	bool		 wrapped;	/* pids have gone round pid_max */
};

/* One process being read. */
struct proc {
	struct cust_ctx	*ctx;			/* borrowed */
	struct cust_live_procs *ps;		/* borrowed */
	const struct cust_live_out *out;	/* borrowed */
	int		 dirfd;			/* owned: /proc/PID */
	int		 pid;
	char		 name[32];		/* "PID" */
	json_t		*row;			/* owned until handed on */
	json_t		*denied;		/* borrowed from row */
	bool		 gone;
};

json_t *
cust_live_str(const char *s, size_t n)
{
	json_t *j;
	char *e;

	if (cust_utf8_valid(s, n))
		return json_stringn(s, n);
	if ((e = cust_escape(s, n, NULL)) == NULL)
		return NULL;
	j = json_string(e);
	free(e);
	return j;
}

/* DIRFD/PATH whole (at most CUST_LIVE_RAW_MAX bytes) into *BUFP, grown as
 * needed (its capacity *CAPP; NULL and 0 start one) and NUL-terminated;
 * 0, or -1 with errno set.  The buffer stays the caller's either way. */
static int
read_into(int dirfd, const char *path, char **bufp, size_t *capp,
    size_t *np)
{
	size_t n = 0, cap;
	ssize_t k;
	char *q;
	int fd, err = 0;

	*np = 0;
	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) < 0)
		return -1;
	for (;;) {
		if (n + 1 >= *capp) {
			cap = *capp == 0 ? 4096 : *capp * 2;
			if ((q = realloc(*bufp, cap)) == NULL) {
				err = ENOMEM;
				break;
			}
			*bufp = q;
			*capp = cap;
		}
		k = read(fd, *bufp + n, *capp - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = k < 0 ? errno : 0;
			break;
		}
		n += (size_t)k;
		if (n >= CUST_LIVE_RAW_MAX)
			break;
	}
	close(fd);
	if (*bufp != NULL)
		(*bufp)[n] = '\0';
	*np = n;
	errno = err;
	return err != 0 ? -1 : 0;
}

int
cust_live_read(int dirfd, const char *path, char **pp, size_t *np)
{
	size_t cap = 0;
	char *p = NULL;
	int err;

	*pp = NULL;
	if (read_into(dirfd, path, &p, &cap, np) != 0) {
		err = errno;
		free(p);
		*np = 0;
		errno = err;
		return -1;
	}
	*pp = p;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static int
setnew(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) != 0 ? -1 : 0;
}

/* Was ERR the process going away under us? */
static bool
vanished(int err)
{
	return err == ENOENT || err == ESRCH;
}

/* A file of the process could not be read: gone, or say which. */
static void
unread(struct proc *p, const char *what, int err)
{
	/* A kernel thread has no mm: some files fail for it alone. */
	if (vanished(err)) {
		if (kill(p->pid, 0) != 0 && errno == ESRCH)
			p->gone = true;
	} else
		json_array_append_new(p->denied, json_pack("{s:s, s:s}",
		    "file", what, "error", strerror(err)));
}

/* NUL-separated strings as a JSON array. */
static json_t *
nul_list(const char *s, size_t n)
{
	json_t *a = json_array();
	size_t k;

	while (a != NULL && n > 0) {
		k = strnlen(s, n);
		if (json_array_append_new(a, cust_live_str(s, k)) != 0) {
			json_decref(a);
			return NULL;
		}
		if (k == n)
			break;
		s += k + 1;
		n -= k + 1;
	}
	return a;
}

/* Lines as a JSON array. */
static json_t *
line_list(const char *s, size_t n)
{
	json_t *a = json_array();
	const char *nl;
	size_t k;

	while (a != NULL && n > 0) {
		nl = memchr(s, '\n', n);
		k = nl != NULL ? (size_t)(nl - s) : n;
		if (json_array_append_new(a, cust_live_str(s, k)) != 0) {
			json_decref(a);
			return NULL;
		}
		s += nl != NULL ? k + 1 : k;
		n -= nl != NULL ? k + 1 : k;
	}
	return a;
}

/* DIRFD/WHAT whole (at most CUST_LIVE_RAW_MAX bytes) into PS->text,
 * which is kept from file to file: six files a process, a thousand
 * processes, would otherwise be as many buffers grown and freed. */
static int
read_text(struct cust_live_procs *ps, int dirfd, const char *what, size_t *np)
{
	return read_into(dirfd, what, &ps->text, &ps->textcap, np);
}

/* Read PROC/WHAT whole into p->ps->text (borrowed, good until the next
 * read); NULL (and noted) when it cannot be read. */
static char *
slurp(struct proc *p, const char *what, size_t *n)
{
	if (read_text(p->ps, p->dirfd, what, n) != 0) {
		unread(p, what, errno);
		return NULL;
	}
	return p->ps->text;
}

/* Store raw text as data/live/raw/proc/PID/WHAT. */
static int
raw(struct proc *p, const char *what, const char *s, size_t n)
{
	char rel[96], src[96];

	snprintf(rel, sizeof(rel), "raw/proc/%d/%s", p->pid, what);
	snprintf(src, sizeof(src), "/proc/%d/%s", p->pid, what);
	return p->out->buffer(p->out->arg, rel, src, s, n);
}

/* ------------------------------------------------------------- stat */

/*
 * /proc/PID/stat: the comm is in parentheses and may hold anything, so
 * the fields are counted from the last ')'.
 */
static int
parse_stat(struct proc *p, const char *s)
{
	const char *open = strchr(s, '('), *close = strrchr(s, ')');
	unsigned long long start = 0, flags = 0;
	char state = '?', when[CUST_TIMELEN];
	struct timespec ts;
	int ppid = 0;
	json_t *o = p->row;

	if (open == NULL || close == NULL || close < open)
		return setnew(o, "stat_error", json_string("unparsed"));
	/* state ppid pgrp session tty tpgid flags (9) ... starttime (22) */
	if (sscanf(close + 2, "%c %d %*d %*d %*d %*d %llu %*u %*u %*u %*u "
	    "%*u %*u %*d %*d %*d %*d %*d %*d %llu", &state, &ppid, &flags,
	    &start) != 4)
		return setnew(o, "stat_error", json_string("unparsed"));
	ts.tv_sec = p->ps->boot.tv_sec + (time_t)(start /
	    (unsigned long long)p->ps->hz);
	ts.tv_nsec = p->ps->boot.tv_nsec + (long)(start %
	    (unsigned long long)p->ps->hz) * (1000000000L / p->ps->hz);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	cust_time_utc(&ts, when);
	/* read in pid order: a pid started before a lower one was handed
	 * out after the counter went round (a tick apart: two forks on two
	 * processors may set their start times in either order) */
	if (start + 1 < p->ps->start_max)
		p->ps->wrapped = true;
	else
		p->ps->start_max = start;
	if (setnew(o, "comm", cust_live_str(open + 1, (size_t)(close - open -
	    1))) || setnew(o, "ppid", json_integer(ppid)) ||
	    setnew(o, "state", json_stringn(&state, 1)) ||
	    setnew(o, "start_utc", json_string(when)) ||
	    setnew(o, "start_ticks", json_integer((json_int_t)start)) ||
	    setnew(o, "kernel_thread", json_boolean(flags & PF_KTHREAD)))
		return -1;
	return 0;
}

/* Four ids of a "Uid:" or "Gid:" line as [real, effective, saved, fs]. */
static json_t *
ids(const char *v)
{
	long long a[4];

	if (sscanf(v, "%lld %lld %lld %lld", &a[0], &a[1], &a[2], &a[3]) != 4)
		return json_null();
	return json_pack("[I, I, I, I]", a[0], a[1], a[2], a[3]);
}

static json_t *
seccomp(const char *v)
{
	static const char *const mode[] = { "disabled", "strict", "filter" };
	int m = atoi(v);

	return json_string(m >= 0 && m <= 2 ? mode[m] : "unknown");
}

/* The fields of /proc/PID/status the record keeps. */
static int
parse_status(struct proc *p, char *s)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff",
	    "CapBnd", "CapAmb" };
	json_t *cap = json_object(), *o = p->row;
	char *line, *save, *v;
	int bad = cap == NULL;

	for (line = strtok_r(s, "\n", &save); !bad && line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strcmp(line, "Uid") == 0)
			bad |= setnew(o, "uid", ids(v));
		else if (strcmp(line, "Gid") == 0)
			bad |= setnew(o, "gid", ids(v));
		else if (strcmp(line, "Tgid") == 0)
			bad |= setnew(o, "tgid", json_integer(atoi(v)));
		else if (strcmp(line, "Threads") == 0)
			bad |= setnew(o, "threads", json_integer(atoi(v)));
		else if (strcmp(line, "Seccomp") == 0)
			bad |= setnew(o, "seccomp", seccomp(v));
		else if (strcmp(line, "NoNewPrivs") == 0)
			bad |= setnew(o, "no_new_privs", json_boolean(
			    atoi(v)));
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (strcmp(line, caps[i]) == 0)
				bad |= setnew(cap, caps[i] + 3,
				    cust_live_str(v, strlen(v)));
	}
	if (bad || json_object_set_new(o, "capabilities", cap) != 0)
		return -1;
	return 0;
}

/* stat, status and maps: parsed, and their raw text stored. */
static int
read_texts(struct proc *p)
{
	static const char *const what[] = { "stat", "status", "maps" };
	char *s;
	size_t n;
	int r = CUST_OK, bad = 0;

	for (size_t i = 0; r == CUST_OK && i < 3; i++) {
		if ((s = slurp(p, what[i], &n)) == NULL) {
			if (p->gone)
				break;
			continue;
		}
		if ((r = raw(p, what[i], s, n)) == CUST_OK) {
			if (i == 0)
				bad |= parse_stat(p, s);
			else if (i == 2)
				bad |= setnew(p->row, "maps", line_list(s, n));
			else
				bad |= parse_status(p, s);
		}
	}
	if (r == CUST_OK && bad)
		r = cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "processes");
	return r;
}

/* cmdline, environ and cgroup. */
static int
read_lists(struct proc *p)
{
	static const char *const what[] = { "cmdline", "environ", "cgroup" };
	char *s;
	size_t n;
	int bad = 0;

	for (size_t i = 0; !p->gone && i < 3; i++) {
		if ((s = slurp(p, what[i], &n)) == NULL)
			continue;
		bad |= setnew(p->row, what[i], i < 2 ? nul_list(s, n) :
		    line_list(s, n));
	}
	return bad ? cust_set_error(p->ctx, ENOMEM, CUST_FATAL,
	    "processes") : CUST_OK;
}

/* A link of the process as a string; JSON null when unreadable. */
static json_t *
link_of(struct proc *p, int dirfd, const char *name, char *buf, size_t cap,
    ssize_t *kp)
{
	ssize_t k = readlinkat(dirfd, name, buf, cap - 1);

	*kp = k;
	if (k < 0)
		return json_null();
	buf[k] = '\0';
	(void)p;
	return cust_live_str(buf, (size_t)k);
}

/* Namespace ids: "net:[4026531840]" -> 4026531840. */
static int
read_ns(struct proc *p)
{
	static const char *const ns[] = { "cgroup", "ipc", "mnt", "net",
	    "pid", "pid_for_children", "time", "user", "uts" };
	char path[64], buf[128];
	json_t *o = json_object();
	const char *b;
	ssize_t k;

	for (size_t i = 0; o != NULL && i < sizeof(ns) / sizeof(ns[0]);
	    i++) {
		snprintf(path, sizeof(path), "ns/%s", ns[i]);
		if ((k = readlinkat(p->dirfd, path, buf, sizeof(buf) - 1)) < 0)
			continue;
		buf[k] = '\0';
		if ((b = strchr(buf, '[')) != NULL && setnew(o, ns[i],
		    json_integer(strtoll(b + 1, NULL, 10))) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (setnew(p->row, "namespaces", o) != 0)
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "processes");
	return CUST_OK;
}

/* ------------------------------------------------------------- blobs */

static struct blob *
known(struct cust_live_procs *ps, const struct stat *st)
{
	for (size_t i = 0; i < ps->nblob; i++) {
		struct blob *b = &ps->blob[i];

		if (b->ino == st->st_ino && b->dev == st->st_dev &&
		    b->size == st->st_size &&
		    b->mtime.tv_sec == st->st_mtim.tv_sec &&
		    b->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return b;
	}
	return NULL;
}

static bool
sha_stored(const struct cust_live_procs *ps, const char *sha)
{
	for (size_t i = 0; i < ps->nblob; i++)
		if (ps->blob[i].stored && strcmp(ps->blob[i].sha, sha) == 0)
			return true;
	return false;
}

/* The SHA-256 of FD's content by pread, so that its offset stays 0. */
static int
hash_fd(struct cust_ctx *ctx, struct cust_live_procs *ps, int fd, char *sha)
{
	off_t off = 0;
	ssize_t k;
	int r;

	if ((r = cust_digest_reset(ps->dig)) != CUST_OK)
		return r;
	while ((k = pread(fd, ps->buf, HASH_CHUNK, off)) > 0) {
		if ((r = cust_digest_update(ps->dig, ps->buf, (size_t)k)) !=
		    CUST_OK)
			return r;
		off += k;
	}
	if (k < 0)
		return cust_set_error(ctx, errno, CUST_FAILED, "read");
	if ((r = cust_digest_final(ps->dig)) != CUST_OK)
		return r;
	memcpy(sha, cust_digest_hex(ps->dig, CUST_ALG_SHA256), 65);
	return CUST_OK;
}

static struct blob *
add_blob(struct cust_live_procs *ps, const struct stat *st)
{
	struct blob *v;

	if (ps->nblob == ps->capblob) {
		ps->capblob = ps->capblob ? ps->capblob * 2 : 64;
		if ((v = realloc(ps->blob, ps->capblob * sizeof(*v))) == NULL)
			return NULL;
		ps->blob = v;
	}
	v = &ps->blob[ps->nblob++];
	memset(v, 0, sizeof(*v));
	v->dev = st->st_dev;
	v->ino = st->st_ino;
	v->size = st->st_size;
	v->mtime = st->st_mtim;
	return v;
}

/*
 * The file open on FD (closed here), read through SRC: hashed once per
 * identity, stored once per SHA-256.  Adds "sha256", "size" and "stored"
 * to O; a read error is noted in O, not failed.
 */
static int
take_blob(struct proc *p, int fd, const char *src, json_t *o)
{
	struct cust_live_procs *ps = p->ps;
	char rel[96], sha[65];
	struct stat st;
	struct blob *b;
	int r;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return CUST_OK;
	}
	if ((b = known(ps, &st)) == NULL) {
		if ((r = hash_fd(p->ctx, ps, fd, sha)) == CUST_FATAL)
			goto fail;
		if (r != CUST_OK) {
			cust_ctx_clear(p->ctx);
			close(fd);
			return setnew(o, "content_error", json_string(
			    "unreadable")) ? CUST_FATAL : CUST_OK;
		}
		if ((b = add_blob(ps, &st)) == NULL) {
			r = cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "blobs");
			goto fail;
		}
		memcpy(b->sha, sha, sizeof(sha));
		if (!sha_stored(ps, sha)) {
			b->stored = true;
			ps->stored++;
			snprintf(rel, sizeof(rel), "blobs/%s", sha);
			if ((r = p->out->file(p->out->arg, rel, src, fd)) !=
			    CUST_OK)
				return r;
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	snprintf(rel, sizeof(rel), "data/live/blobs/%s", b->sha);
	if (setnew(o, "sha256", json_string(b->sha)) ||
	    setnew(o, "size", json_integer((json_int_t)st.st_size)) ||
	    setnew(o, "stored", json_string(rel)))
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "blobs");
	return CUST_OK;
fail:
	close(fd);
	return r;
}

static bool
ends_deleted(const char *s, size_t n)
{
	return n > 10 && memcmp(s + n - 10, " (deleted)", 10) == 0;
}

/* exe, cwd, root; the executable's content is stored. */
static int
read_links(struct proc *p)
{
	char buf[4096], src[64];
	json_t *exe;
	ssize_t k;
	int fd;

	if (setnew(p->row, "cwd", link_of(p, p->dirfd, "cwd", buf,
	    sizeof(buf), &k)) || setnew(p->row, "root", link_of(p, p->dirfd,
	    "root", buf, sizeof(buf), &k)))
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "processes");
	exe = link_of(p, p->dirfd, "exe", buf, sizeof(buf), &k);
	if (k < 0) {
		/* A kernel thread has no executable: not a failure. */
		if (errno != ENOENT)
			unread(p, "exe", errno);
		return setnew(p->row, "exe", json_null()) ? cust_set_error(
		    p->ctx, ENOMEM, CUST_FATAL, "processes") : CUST_OK;
	}
	exe = json_pack("{s:o, s:b, s:b}", "path", exe, "deleted",
	    ends_deleted(buf, (size_t)k), "memfd", strncmp(buf, "/memfd:", 7)
	    == 0);
	if (setnew(p->row, "exe", exe) != 0)
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "processes");
	if ((fd = openat(p->dirfd, "exe", O_RDONLY | O_CLOEXEC)) < 0) {
		unread(p, "exe content", errno);
		return CUST_OK;
	}
	snprintf(src, sizeof(src), "/proc/%d/exe", p->pid);
	return take_blob(p, fd, src, exe);
}

/* ------------------------------------------------------------- fds */

static int
add_owner(struct cust_live_procs *ps, unsigned long long inode, int pid)
{
	struct owner *v;

	if (ps->nown == ps->capown) {
		ps->capown = ps->capown ? ps->capown * 2 : 256;
		if ((v = realloc(ps->own, ps->capown * sizeof(*v))) == NULL)
			return -1;
		ps->own = v;
	}
	ps->own[ps->nown].inode = inode;
	ps->own[ps->nown++].pid = pid;
	return 0;
}

/* A deleted regular file held open: its content, up to the cap. */
static int
held(struct proc *p, int fddir, const char *name, json_t *o)
{
	char src[96];
	struct stat st;
	int fd;

	if (p->pid == p->ps->self || fstatat(fddir, name, &st, 0) != 0 ||
	    !S_ISREG(st.st_mode))
		return CUST_OK;
	if (st.st_size > CUST_LIVE_HELD_MAX)
		return setnew(o, "content_error", json_string("over the size "
		    "cap")) ? CUST_FATAL : CUST_OK;
	if ((fd = openat(fddir, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) < 0)
		return CUST_OK;
	snprintf(src, sizeof(src), "/proc/%d/fd/%s", p->pid, name);
	return take_blob(p, fd, src, o);
}

static int
one_fd(struct proc *p, int fddir, const char *name, json_t *fds)
{
	char buf[4096];
	unsigned long long inode;
	json_t *o, *t;
	ssize_t k;
	int r = CUST_OK;

	t = link_of(p, fddir, name, buf, sizeof(buf), &k);
	if (k < 0)
		return CUST_OK;		/* closed meanwhile */
	if ((o = json_pack("{s:i, s:o}", "fd", atoi(name), "target", t)) ==
	    NULL || json_array_append_new(fds, o) != 0)
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "fds");
	if (sscanf(buf, "socket:[%llu]", &inode) == 1) {
		if (setnew(o, "socket_inode", json_integer((json_int_t)inode))
		    || add_owner(p->ps, inode, p->pid) != 0)
			r = cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "fds");
	} else if (buf[0] == '/' && ends_deleted(buf, (size_t)k)) {
		if (setnew(o, "deleted", json_true()) != 0)
			return cust_set_error(p->ctx, ENOMEM, CUST_FATAL,
			    "fds");
		r = held(p, fddir, name, o);
	}
	return r;
}

/* A record of getdents64(2) (linux_dirent64, which libc does not
 * declare). */
struct dent64 {
	uint64_t	 ino;
	int64_t		 off;
	unsigned short	 reclen;
	unsigned char	 type;
	char		 name[];
};

/*
 * The descriptors of the process, by getdents64(2) into ps->dents:
 * fdopendir(3) costs an fstat, an fcntl and a 32 KiB buffer a process,
 * and was a twentieth of the whole snapshot.
 */
static int
read_fds(struct proc *p)
{
	json_t *fds = json_array();
	unsigned short len;
	ssize_t k;
	int fddir, r = CUST_OK;

	if (setnew(p->row, "fds", fds) != 0)
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "fds");
	if ((fddir = openat(p->dirfd, "fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		unread(p, "fd", errno);
		return setnew(p->row, "fds", json_null()) ? CUST_FATAL :
		    CUST_OK;
	}
	while (r == CUST_OK && (k = syscall(SYS_getdents64, fddir,
	    p->ps->dents, DENTS)) > 0)
		for (size_t off = 0; r == CUST_OK && off < (size_t)k;
		    off += len) {
			const char *e = p->ps->dents + off;

			memcpy(&len, e + offsetof(struct dent64, reclen),
			    sizeof(len));
			if (len == 0)
				break;
			e += offsetof(struct dent64, name);
			if (e[0] != '.')
				r = one_fd(p, fddir, e, fds);
		}
	close(fddir);
	return r;
}

/* ------------------------------------------------------------- table */

static int
one_process(struct proc *p, int procfd)
{
	int r;

	snprintf(p->name, sizeof(p->name), "%d", p->pid);
	p->row = json_pack("{s:i, s:[]}", "pid", p->pid, "unreadable");
	if (p->row == NULL)
		return cust_set_error(p->ctx, ENOMEM, CUST_FATAL, "processes");
	p->denied = json_object_get(p->row, "unreadable");
	if ((p->dirfd = openat(procfd, p->name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		p->gone = true;
		return CUST_OK;
	}
	if ((r = read_texts(p)) != CUST_OK || p->gone ||
	    (r = read_lists(p)) != CUST_OK || p->gone ||
	    (r = read_links(p)) != CUST_OK || (r = read_ns(p)) != CUST_OK)
		return r;
	return read_fds(p);
}

static int
each_process(struct cust_ctx *ctx, int procfd, const struct cust_live_out *out,
    struct cust_live_procs *ps, int pid, const struct cust_live_sink *sink)
{
	struct proc p = { .ctx = ctx, .ps = ps, .out = out, .dirfd = -1,
	    .pid = pid };
	int r;

	r = one_process(&p, procfd);
	if (p.dirfd >= 0)
		close(p.dirfd);
	if (r == CUST_OK && json_object_set_new(p.row, "gone",
	    json_boolean(p.gone)) != 0)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "processes");
	if (r == CUST_OK)
		r = sink->row(sink->arg, p.row);
	json_decref(p.row);
	return r;
}

static long
pid_max(int procfd)
{
	char *s;
	size_t n;
	long v;

	if (cust_live_read(procfd, "sys/kernel/pid_max", &s, &n) != 0)
		return 4194304;		/* PID_MAX_LIMIT on 64 bits */
	v = strtol(s, NULL, 10);
	free(s);
	return v > 0 && v <= 4194304 ? v : 4194304;
}

static int
procs_new(struct cust_ctx *ctx, int procfd, struct cust_live_procs **psp)
{
	struct cust_live_procs *ps;
	struct timespec rt, bt;

	if ((*psp = ps = calloc(1, sizeof(*ps))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "processes");
	ps->pid_max = pid_max(procfd);
	ps->self = getpid();
	ps->hz = sysconf(_SC_CLK_TCK);
	if (ps->hz <= 0)
		ps->hz = 100;
	/* starttime counts from boot, suspend included (CLOCK_BOOTTIME). */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	ps->boot.tv_sec = rt.tv_sec - bt.tv_sec;
	ps->boot.tv_nsec = rt.tv_nsec - bt.tv_nsec;
	if (ps->boot.tv_nsec < 0) {
		ps->boot.tv_sec--;
		ps->boot.tv_nsec += 1000000000L;
	}
	ps->textcap = 64 * 1024;
	if ((ps->listed = calloc((size_t)ps->pid_max / 8 + 1, 1)) == NULL ||
	    (ps->buf = malloc(HASH_CHUNK)) == NULL ||
	    (ps->text = malloc(ps->textcap)) == NULL ||
	    (ps->dents = malloc(DENTS)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "processes");
	return cust_digest_new(ctx, CUST_ALG_SHA256, &ps->dig);
}

void
cust_live_procs_free(struct cust_live_procs *ps)
{
	if (ps == NULL)
		return;
	free(ps->listed);
	free(ps->own);
	free(ps->blob);
	free(ps->buf);
	free(ps->text);
	free(ps->dents);
	cust_digest_free(ps->dig);
	free(ps);
}

/* The numeric names of /proc, into the bitmap; -1 with errno. */
static int
list_pids(int procfd, unsigned char *set, long max, long *pids, size_t *np)
{
	struct dirent *d;
	DIR *dir;
	long pid;
	int fd;

	*np = 0;
	if ((fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
		    (pid = strtol(d->d_name, NULL, 10)) <= 0 || pid >= max)
			continue;
		set[pid / 8] |= (unsigned char)(1u << (pid % 8));
		if (pids != NULL)
			pids[(*np)++] = pid;
	}
	closedir(dir);
	return 0;
}

static int
bypid(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int
cust_live_processes_to(struct cust_ctx *ctx, int procfd,
    const struct cust_live_out *out, struct cust_live_procs **psp,
    const struct cust_live_sink *sink, size_t *blobs)
{
	struct cust_live_procs *ps;
	struct timespec now;
	long *pids = NULL;
	size_t n;
	int r;

	if ((r = procs_new(ctx, procfd, psp)) != CUST_OK)
		return r;
	ps = *psp;
	if ((pids = calloc((size_t)ps->pid_max, sizeof(*pids))) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "processes");
		goto out;
	}
	clock_gettime(CLOCK_BOOTTIME, &now);
	ps->listed_at = (unsigned long long)now.tv_sec * (unsigned long long)
	    ps->hz + (unsigned long long)now.tv_nsec / (1000000000ULL /
	    (unsigned long long)ps->hz);
	if (list_pids(procfd, ps->listed, ps->pid_max, pids, &n) != 0) {
		r = cust_set_error(ctx, errno, CUST_FAILED, "/proc");
		goto out;
	}
	qsort(pids, n, sizeof(*pids), bypid);
	for (size_t i = 0; r == CUST_OK && i < n; i++)
		r = each_process(ctx, procfd, out, ps, (int)pids[i], sink);
	*blobs = ps->stored;
out:
	free(pids);
	return r;
}

/* The records kept in an array, for cust_live_processes(). */
struct keep {
	struct cust_ctx	*ctx;		/* borrowed */
	json_t		*rows;		/* borrowed */
};

static int
keep_row(void *arg, json_t *row)
{
	struct keep *k = arg;

	if (json_array_append(k->rows, row) != 0)
		return cust_set_error(k->ctx, ENOMEM, CUST_FATAL, "processes");
	return CUST_OK;
}

int
cust_live_processes(struct cust_ctx *ctx, int procfd,
    const struct cust_live_out *out, struct cust_live_procs **psp,
    json_t **rowsp, size_t *blobs)
{
	struct keep k = { .ctx = ctx };
	struct cust_live_sink sink = { .row = keep_row, .arg = &k };

	*psp = NULL;
	if ((*rowsp = k.rows = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "processes");
	return cust_live_processes_to(ctx, procfd, out, psp, &sink, blobs);
}

/* ------------------------------------------------------- cross-views */

static int
byinode(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static json_t *
owners_of(const struct cust_live_procs *ps, unsigned long long inode)
{
	struct owner key = { .inode = inode, .pid = 0 };
	json_t *a = json_array();
	size_t lo = 0, hi = ps->nown, mid;
	int last = -1;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (byinode(&ps->own[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; a != NULL && lo < ps->nown && ps->own[lo].inode == inode; lo++)
		if (ps->own[lo].pid != last) {
			last = ps->own[lo].pid;
			json_array_append_new(a, json_integer(last));
		}
	return a;
}

int
cust_live_socket_owners(struct cust_ctx *ctx, json_t *sockets,
    const struct cust_live_procs *ps)
{
	json_t *row, *ino;
	size_t i;

	/* Sorted here, once the table is whole: a const view for callers
	 * is still the same set. */
	if (ps->nown > 0)	/* ps->own may be NULL with none */
		qsort(ps->own, ps->nown, sizeof(*ps->own), byinode);
	json_array_foreach(sockets, i, row) {
		if (!json_is_integer(ino = json_object_get(row, "inode")))
			continue;
		if (setnew(row, "pids", owners_of(ps, (unsigned long long)
		    json_integer_value(ino))) != 0)
			return cust_set_error(ctx, ENOMEM, CUST_FATAL,
			    "socket owners");
	}
	return CUST_OK;
}

/*
 * Does a task PID exist, asked two ways that do not use the listing?
 * Two system calls that look the pid up each their own way, so that a
 * rootkit must hook both (and getdents) to hide.  A stat of /proc/PID
 * would ask procfs as well, but costs four times as much, for every
 * pid that does not exist: the probe of a 32,768 pid_max took 0.3 to
 * 0.6 s on two busy processors.
 */
static bool
exists(long pid)
{
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
		return true;
	return getpgid((pid_t)pid) >= 0;
}

/* The Tgid of task PID, or -1: a thread's differs from its id. */
static long
tgid_of(int procfd, long pid)
{
	char path[48], *s, *t;
	size_t n;
	long v = -1;

	snprintf(path, sizeof(path), "%ld/status", pid);
	if (cust_live_read(procfd, path, &s, &n) != 0)
		return -1;
	if ((t = strstr(s, "\nTgid:")) != NULL)
		v = strtol(t + 6, NULL, 10);
	free(s);
	return v;
}

/* Was task PID started after the listing (or is it gone)?  Then its
 * absence from the listing proves nothing. */
static bool
newer(int procfd, const struct cust_live_procs *ps, long pid)
{
	unsigned long long start;
	char path[48], *s, *c;
	size_t n;
	bool r = true;

	snprintf(path, sizeof(path), "%ld/stat", pid);
	if (cust_live_read(procfd, path, &s, &n) != 0)
		return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
	if ((c = strrchr(s, ')')) != NULL && sscanf(c + 2, "%*c %*d %*d %*d "
	    "%*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
	    "%llu", &start) == 1)
		r = start + 1 >= ps->listed_at;
	free(s);
	return r;
}

static int
hidden_one(int procfd, const struct cust_live_procs *ps, long pid,
    json_t *found)
{
	long tgid = tgid_of(procfd, pid);

	if (tgid >= 0 && tgid != pid)
		return 0;		/* a thread: never listed */
	if (newer(procfd, ps, pid))
		return 0;
	return json_array_append_new(found, json_pack("{s:s, s:I, s:s}",
	    "view", "processes", "pid", (json_int_t)pid, "finding",
	    "a process that answers to kill(2) or stat but is not listed in "
	    "/proc"));
}

/* Pids that are not listed but answer, in [FROM, TO), probed by a
 * thread of their own: the probes are system calls, two per pid. */
struct sweep {
	const struct cust_live_procs *ps;	/* borrowed */
	long		 from, to;
	long		*found;		/* owned */
	size_t		 n, cap;
	bool		 nomem;
	pthread_t	 t;
};

static bool
is_listed(const unsigned char *set, long pid)
{
	return set[pid / 8] & (1u << (pid % 8));
}

static void *
sweep(void *arg)
{
	struct sweep *w = arg;
	long *v;

	for (long pid = w->from; !w->nomem && pid < w->to; pid++) {
		if (is_listed(w->ps->listed, pid) || !exists(pid))
			continue;
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 64;
			if ((v = realloc(w->found, w->cap * sizeof(*v))) ==
			    NULL) {
				w->nomem = true;
				break;
			}
			w->found = v;
		}
		w->found[w->n++] = pid;
	}
	return NULL;
}

/*
 * The pids to probe: 1 up to this.  The kernel hands pids out in rising
 * order and goes round at pid_max to 300 (alloc_pid()); until
 * it has gone round, no pid above the last one handed out (the last
 * field of /proc/loadavg, this pid namespace's) was ever used, and to
 * probe up to a pid_max of 4,194,304 (systemd's default) would cost
 * seconds for nothing.  Going round shows in the listing (a listed pid
 * above the last, or a pid started before a lower one): then all of them.
 * A kernel that lies about its last pid and hides a process above it
 * would escape; one that hides from the listing alone does not.
 */
static long
probe_limit(int procfd, const struct cust_live_procs *ps)
{
	char *s, *p;
	size_t n;
	long last = 0, top = 0;

	if (ps->wrapped)
		return ps->pid_max;
	if (cust_live_read(procfd, "loadavg", &s, &n) == 0) {
		if ((p = strrchr(s, ' ')) != NULL)
			last = strtol(p + 1, NULL, 10);
		free(s);
	}
	for (long pid = ps->pid_max - 1; top == 0 && pid > 0; pid--)
		if (ps->listed[pid / 8] == 0)
			pid -= pid % 8;
		else if (is_listed(ps->listed, pid))
			top = pid;
	if (last <= 0 || last >= ps->pid_max || top > last)
		return ps->pid_max;
	return last + 1;
}

/* Every pid below TO that answers and is not listed, into CAND; the
 * range is shared among as many threads as there are processors. */
static int
sweep_all(struct cust_ctx *ctx, int procfd, const struct cust_live_procs *ps,
    long to, json_t *cand)
{
	struct sweep w[SWEEPERS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), step;
	size_t n = ncpu < 1 ? 1 : ncpu > SWEEPERS ? SWEEPERS : (size_t)ncpu;
	size_t started = 0;
	int r = CUST_OK;

	step = (to - 1) / (long)n + 1;
	for (size_t i = 0; i < n; i++)
		w[i] = (struct sweep){ .ps = ps,
		    .from = 1 + (long)i * step, .to = i + 1 == n ? to :
		    1 + (long)(i + 1) * step };
	while (started < n && pthread_create(&w[started].t, NULL, sweep,
	    &w[started]) == 0)
		started++;
	for (size_t i = started; i < n; i++)
		sweep(&w[i]);		/* no thread: this one does it */
	for (size_t i = 0; i < started; i++)
		pthread_join(w[i].t, NULL);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; r == CUST_OK && k < w[i].n; k++)
			if (hidden_one(procfd, ps, w[i].found[k], cand) != 0)
				r = CUST_FATAL;
		if (w[i].nomem)
			r = CUST_FATAL;
		free(w[i].found);
	}
	if (r != CUST_OK)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "hidden processes");
	return r;
}

int
cust_live_hidden_processes(struct cust_ctx *ctx, int procfd,
    const struct cust_live_procs *ps, json_t **findingsp)
{
	unsigned char *again = NULL;
	json_t *cand = json_array(), *row;
	size_t n, i;
	long pid;
	int r = CUST_OK;

	*findingsp = json_array();
	if (cand == NULL || *findingsp == NULL ||
	    (again = calloc((size_t)ps->pid_max / 8 + 1, 1)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "hidden processes");
		goto out;
	}
	if ((r = sweep_all(ctx, procfd, ps, probe_limit(procfd, ps),
	    cand)) != CUST_OK)
		goto out;
	/* A process born after the first listing is in the second one. */
	if (json_array_size(cand) > 0 && list_pids(procfd, again, ps->pid_max,
	    NULL, &n) == 0)
		json_array_foreach(cand, i, row) {
			pid = (long)json_integer_value(json_object_get(row,
			    "pid"));
			if (!is_listed(again, pid))
				json_array_append(*findingsp, row);
		}
out:
	free(again);
	json_decref(cand);
	return r;
}
