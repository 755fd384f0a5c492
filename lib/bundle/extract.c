/*
 * extract.c: write a bundle's members into a directory, and nothing
 * anywhere else.  The hostile-input reader already refuses every member
 * that is not a regular file and every name that is absolute, holds "."
 * or "..", a control byte or invalid UTF-8.  Here each name is then
 * walked component by component with openat from the target directory:
 * the bag's top directory must not exist (it is created, so every
 * directory below it is ours), no component is ever followed through a
 * symbolic link (O_NOFOLLOW), and each file is created with O_EXCL, so a
 * member named twice fails instead of overwriting the first.  Nothing is
 * verified here: custody verify proves the bundle; this copies it out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/bundle.h"

#define DIR_MODE	0700	/* evidence is for the investigator only */
#define FILE_MODE	0600

struct extract {
	struct cust_ctx	*ctx;
	struct cust_reader *rd;
	const char	*name;		/* the bundle, in messages */
	int		 top;		/* the target directory (borrowed) */
	char		 bag[256];	/* the bag directory, once created */
	struct cust_extract_stats *st;
};

/* A failure of the bundle's own making (a name the filesystem refuses, a
 * member named twice, a file where a directory should be) is CUST_FAILED;
 * any other, such as a full disk, is CUST_FATAL. */
static int
oserr(struct extract *x, int err, const char *what, const char *path)
{
	int status = err == 0 || err == ENAMETOOLONG || err == EEXIST ||
	    err == ENOTDIR || err == ELOOP || err == EISDIR ? CUST_FAILED :
	    CUST_FATAL;

	return cust_set_error(x->ctx, err, status, "%s: %.256s%s: %s",
	    x->name, path, strlen(path) > 256 ? "..." : "", what);
}

/* Directory component C of PATH under DFD, created unless it is there,
 * and opened: a descriptor, or a (negative) status.  The top one, the
 * bag, must be new. */
static int
subdir(struct extract *x, int dfd, const char *c, bool top, const char *path)
{
	int fd;

	if (mkdirat(dfd, c, DIR_MODE) == 0)
		x->st->dirs++;
	else if (top)
		/* The investigator's directory, not the bundle, is at fault. */
		return cust_set_error(x->ctx, errno, CUST_FATAL, "%s: the "
		    "bag directory cannot be created (it must not exist yet)",
		    c);
	else if (errno != EEXIST)
		return oserr(x, errno, "mkdir", path);
	fd = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oserr(x, errno, "open directory", path);
	return fd;
}

/* Copy the current member's data into FD. */
static int
copy(struct extract *x, int fd, const char *path)
{
	const void *p;
	ssize_t k;

	while ((k = cust_reader_data(x->rd, &p)) > 0) {
		if (cust_write_all(fd, p, (size_t)k) != 0)
			return oserr(x, errno, "write", path);
		x->st->bytes += (uint64_t)k;
	}
	return k < 0 ? (int)k : CUST_OK;
}

/* Member PATH ("BAG/a/b/c"): its directories, then the file. */
static int
member(struct extract *x, const char *path)
{
	char *buf, *c, *slash;
	int dfd = x->top, fd, r = CUST_OK;
	bool top = true;

	if ((buf = strdup(path)) == NULL)
		return cust_set_error(x->ctx, ENOMEM, CUST_FATAL, "extract");
	for (c = buf; (slash = strchr(c, '/')) != NULL; c = slash + 1) {
		*slash = '\0';
		if (top && x->bag[0] != '\0') {
			/* The bag directory: created by the first member. */
			if (strcmp(c, x->bag) != 0) {
				r = oserr(x, 0, "member outside the bag "
				    "directory", path);
				break;
			}
			fd = openat(dfd, c, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				r = oserr(x, errno, "open directory", path);
				break;
			}
		} else if ((fd = subdir(x, dfd, c, top, path)) < 0) {
			r = fd;		/* a status: they are negative */
			break;
		}
		if (top && x->bag[0] == '\0')
			snprintf(x->bag, sizeof(x->bag), "%s", c);
		if (dfd != x->top)
			close(dfd);
		dfd = fd;
		top = false;
	}
	if (r == CUST_OK && top)
		r = oserr(x, 0, "member outside the bag directory", path);
	if (r == CUST_OK) {
		fd = openat(dfd, c, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, FILE_MODE);
		if (fd < 0)
			r = oserr(x, errno, errno == EEXIST ? "member named "
			    "twice (or a file is already there)" : "create",
			    path);
		else {
			r = copy(x, fd, path);
			if (close(fd) != 0 && r == CUST_OK)
				r = oserr(x, errno, "close", path);
			if (r == CUST_OK)
				x->st->files++;
		}
	}
	if (dfd != x->top)
		close(dfd);
	free(buf);
	return r;
}

/*
 * Remove directory C under DFD and everything in it, DEPTH levels down at
 * most.  Only a tree made here is removed: the bag directory was new, so
 * all below it is ours, and no link is followed.  0, or -1.
 */
static int
rmtree(int dfd, const char *c, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd;

	fd = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (depth == 0 || fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* Linux says EISDIR for a directory: go down into it. */
		if (unlinkat(fd, e->d_name, 0) != 0 && errno == EISDIR)
			rmtree(fd, e->d_name, depth - 1);
	}
	closedir(d);
	return unlinkat(dfd, c, AT_REMOVEDIR);
}

/*
 * The bytes read must be the bytes verified (SHA-256 WANT): a bundle that
 * changed between the two readings is not the one verify accepted, and
 * what was written from it is removed.
 */
static int
same_bytes(struct extract *x, const char *want)
{
	char got[65];
	uint64_t n;

	cust_reader_digest(x->rd, got, &n);
	if (strcmp(got, want) == 0)
		return CUST_OK;
	if (x->bag[0] != '\0' && rmtree(x->top, x->bag, 1024) == 0)
		x->bag[0] = '\0';
	return cust_set_error(x->ctx, 0, CUST_FAILED, "%s: changed since it "
	    "was verified (sha256 %s, verified %s): %s", x->name, got, want,
	    x->bag[0] == '\0' ? "nothing extracted was kept" : "what was "
	    "extracted could not all be removed");
}

int
cust_extract(struct cust_ctx *ctx, int fd, const char *name, int dirfd,
    uint64_t max_expansion, const char *verified,
    struct cust_extract_stats *st)
{
	const struct cust_member *m;
	struct extract x = { .ctx = ctx, .name = name, .top = dirfd,
	    .st = st };
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = cust_reader_new(ctx, fd, name, &x.rd)) != CUST_OK)
		return r;
	cust_reader_bound(x.rd, max_expansion != 0 ? max_expansion :
	    CUST_MAX_EXPANSION);
	while ((r = cust_reader_next(x.rd, &m)) == CUST_OK && m != NULL)
		if ((r = member(&x, m->path)) != CUST_OK)
			break;
	if (r == CUST_OK && verified != NULL)
		r = same_bytes(&x, verified);
	if (x.bag[0] != '\0')
		snprintf(st->bag, sizeof(st->bag), "%s", x.bag);
	cust_reader_free(x.rd);
	return r;
}
