/*
 * io.c: the one way libcustody reads a small file whole (a manifest, a
 * key, certificates, CRLs, an image's passwd) and writes a buffer whole.
 * A file named on the command line may be anything: it is opened without
 * blocking, so that a FIFO is refused at once rather than waited on; it
 * must be a regular file; and it is bounded, reading one byte past the
 * bound to see a file that grew after fstat.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"

/* PATH under DIRFD, opened for reading as FLAGS asks; -1 and errno. */
static int
openfile(int dirfd, const char *path, unsigned flags)
{
	int o = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, fd;

	if (flags & CUST_READ_NOFOLLOW)
		o |= O_NOFOLLOW;
	/* O_NOATIME is for the file's owner (and root): others get EPERM. */
	if (flags & CUST_READ_NOATIME) {
		fd = openat(dirfd, path, o | O_NOATIME);
		if (fd >= 0 || errno != EPERM)
			return fd;
	}
	return openat(dirfd, path, o);
}

/* The one wording of a bound, that of the key and certificate readers. */
static int
toobig(struct cust_ctx *ctx, const char *name, size_t max)
{
	return cust_set_error(ctx, 0, CUST_FAILED,
	    "%s: too large (limit %zu bytes)", name, max);
}

/* Move the LEN bytes of *BUFP into CAP bytes; the old copy is wiped, as it
 * may hold a secret key. */
static int
grow(char **bufp, size_t len, size_t cap)
{
	char *p;

	if ((p = malloc(cap)) == NULL)
		return -1;
	memcpy(p, *bufp, len);
	cust_wipe(*bufp, len);
	free(*bufp);
	*bufp = p;
	return 0;
}

/*
 * Read FD (NAME) to its end into *BUFP (owned by the caller), at most MAX
 * bytes and a NUL.  SIZE, fstat's, sizes the buffer; it grows for a file
 * that said less (a /proc file says 0), up to one byte past MAX.
 */
static int
readall(struct cust_ctx *ctx, int fd, const char *name, size_t max,
    size_t size, char **bufp, size_t *lenp)
{
	size_t cap = (size < max ? size : max) + 1, len = 0;
	char *buf;
	ssize_t k;
	int r = CUST_OK;

	if ((buf = malloc(cap)) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "%s", name);
	for (;;) {
		if (len == cap && cap > max) {
			r = toobig(ctx, name, max);
			break;
		}
		if (len == cap) {
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			if (grow(&buf, len, cap) != 0) {
				r = cust_set_error(ctx, errno, CUST_FATAL,
				    "%s", name);
				break;
			}
		}
		if ((k = read(fd, buf + len, cap - len)) == 0)
			break;
		if (k > 0)
			len += (size_t)k;
		else if (errno != EINTR) {
			r = cust_set_error(ctx, errno, CUST_FAILED, "%s",
			    name);
			break;
		}
	}
	if (r != CUST_OK) {
		cust_wipe(buf, len);
		free(buf);
		return r;
	}
	/* read() said 0 with room left, so LEN < CAP. */
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return CUST_OK;
}

int
cust_read_file_at(struct cust_ctx *ctx, int dirfd, const char *path,
    const char *name, unsigned flags, size_t max, char **bufp, size_t *lenp)
{
	struct stat st;
	int fd, r;

	*bufp = NULL;
	*lenp = 0;
	if (name == NULL)
		name = path;
	if ((fd = openfile(dirfd, path, flags)) < 0)
		return errno == ENOENT && (flags & CUST_READ_OPTIONAL) ?
		    CUST_OK : cust_set_error(ctx, errno, CUST_FAILED, "%s",
		    name);
	if (fstat(fd, &st) != 0)
		r = cust_set_error(ctx, errno, CUST_FAILED, "%s", name);
	else if (!S_ISREG(st.st_mode))
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: not a regular file", name);
	else if ((uintmax_t)st.st_size > max)
		r = toobig(ctx, name, max);
	else
		r = readall(ctx, fd, name, max, (size_t)st.st_size, bufp,
		    lenp);
	close(fd);
	return r;
}

int
cust_read_file(struct cust_ctx *ctx, const char *path, size_t max,
    char **bufp, size_t *lenp)
{
	return cust_read_file_at(ctx, AT_FDCWD, path, NULL, 0, max, bufp,
	    lenp);
}

int
cust_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		/* 0 for N > 0 bytes: no error, yet no progress will follow;
		 * said as a full device says it. */
		if (k == 0)
			return errno = ENOSPC;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
