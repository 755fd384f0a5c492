/*
 * procnet.c: the sockets as /proc/net's text shows them (the view that
 * ss and netstat trust), parsed into the rows of sockdiag.c, so that the
 * two can be compared socket by socket (sockview.c).  The text is the
 * kernel's, but a rootkit's seq_file hook may drop lines from it.
 *
 * A seq_file is read a page at a time and resumes by position: a socket
 * that closes between two pages can make the next one be skipped.  So
 * each file is read twice and a socket seen in either read counts; a
 * socket hidden from /proc/net is missing from both.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/sources.h"
#include "live/util.h"

#define PROCNET_MAX	(256u * 1024 * 1024)	/* far above 100,000 sockets */

struct file {
	const char	*name;		/* under PROCFD */
	const char	*family, *protocol;
	int		 af;		/* 0: unix or packet */
};

static const struct file files[] = {
	{ "net/tcp", "inet", "tcp", AF_INET },
	{ "net/tcp6", "inet6", "tcp", AF_INET6 },
	{ "net/udp", "inet", "udp", AF_INET },
	{ "net/udp6", "inet6", "udp", AF_INET6 },
	{ "net/raw", "inet", "raw", AF_INET },
	{ "net/raw6", "inet6", "raw", AF_INET6 },
	{ "net/unix", "unix", "unix", 0 },
	{ "net/packet", "packet", "packet", 0 },
};

static void
blank(struct cust_sock *s, const struct file *f)
{
	memset(s, 0, sizeof(*s));
	s->sport = s->dport = -1;
	s->uid = s->peer = s->ifindex = s->ethertype = -1;
	s->family = f->family;
	s->protocol = f->protocol;
	s->af = f->af;
	s->source = "proc_net";
}

/* Split LINE in place into at most MAX fields separated by spaces; the
 * count.  *REST is what follows the last field taken and one space. */
static size_t
fields(char *line, char **f, size_t max, char **rest)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		f[n++] = p;
		p += strcspn(p, " ");
		if (*p != '\0')
			*p++ = '\0';
	}
	*rest = p;
	return n;
}

/* S, all of it a number in BASE of at most MAX: true and *V. */
static bool
num(const char *s, int base, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno == 0 && *end == '\0' && *v <= max;
}

/* "0100007F" (or 32 digits for IPv6): each 32-bit word as the host holds
 * it, so its bytes in memory are the address's. */
static bool
hexaddr(const char *h, size_t len, int af, unsigned char *out)
{
	size_t words = af == AF_INET ? 1 : 4;
	char w[9];
	uint64_t v;
	uint32_t x;

	if (len != 8 * words)
		return false;
	for (size_t i = 0; i < words; i++) {
		memcpy(w, h + 8 * i, 8);
		w[8] = '\0';
		if (!num(w, 16, UINT32_MAX, &v))
			return false;
		x = (uint32_t)v;
		memcpy(out + 4 * i, &x, 4);
	}
	return true;
}

/* "0100007F:0277": an address and a port. */
static bool
endpoint(const char *s, int af, unsigned char *addr, int32_t *port)
{
	const char *colon = strchr(s, ':');
	uint64_t v;

	if (colon == NULL || !hexaddr(s, (size_t)(colon - s), af, addr) ||
	    !num(colon + 1, 16, 65535, &v))
		return false;
	*port = (int32_t)v;
	return true;
}

/* "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000
 * 00000000  0 0 12345 ...": sl, local, remote, st, queues, timer,
 * retransmits, uid, timeout, inode. */
static bool
inetline(char *line, const struct file *f, struct cust_sock *s)
{
	char *v[10], *rest;
	uint64_t st, uid, ino;

	if (fields(line, v, 10, &rest) != 10 ||
	    !endpoint(v[1], f->af, s->src, &s->sport) ||
	    !endpoint(v[2], f->af, s->dst, &s->dport) ||
	    !num(v[3], 16, 255, &st) || !num(v[7], 10, UINT32_MAX, &uid) ||
	    !num(v[9], 10, INT64_MAX, &ino))
		return false;
	s->type = f->protocol[0] == 't' ? "stream" :
	    f->protocol[0] == 'u' ? "dgram" : "raw";
	s->state = cust_sock_state((unsigned)st);
	s->uid = (int64_t)uid;
	s->inode = ino;
	return true;
}

/* "ffff...: 00000002 00000000 00010000 0001 01 12345 /run/x": the
 * listening flag (__SO_ACCEPTCON) and socket state map to the TCP states
 * that unix_diag gives.  The path is the rest of the line. */
static bool
unixline(char *line, struct cust_sock *s)
{
	char *v[7], *rest;
	uint64_t flags, type, st, ino;

	if (fields(line, v, 7, &rest) != 7 ||
	    !num(v[3], 16, UINT32_MAX, &flags) ||
	    !num(v[4], 16, 65535, &type) || !num(v[5], 16, 255, &st) ||
	    !num(v[6], 10, INT64_MAX, &ino))
		return false;
	s->type = cust_sock_type((unsigned)type);
	s->state = flags & 0x10000 ? "LISTEN" :
	    st == 2 || st == 3 ? "ESTABLISHED" : "CLOSE";
	s->inode = ino;
	if (*rest != '\0') {
		s->path = rest;
		s->pathlen = strlen(rest);
	}
	return true;
}

/* "ffff... 3 3 0003 2 1 0 0 12345": sk, refcount, type, protocol,
 * interface, running, rmem, user, inode. */
static bool
packetline(char *line, struct cust_sock *s)
{
	char *v[9], *rest;
	uint64_t type, proto, ifindex, uid, ino;

	if (fields(line, v, 9, &rest) != 9 || !num(v[2], 10, 65535, &type) ||
	    !num(v[3], 16, 65535, &proto) ||
	    !num(v[4], 10, INT32_MAX, &ifindex) ||
	    !num(v[7], 10, UINT32_MAX, &uid) ||
	    !num(v[8], 10, INT64_MAX, &ino))
		return false;
	s->type = cust_sock_type((unsigned)type);
	s->ethertype = (int64_t)proto;
	s->ifindex = (int64_t)ifindex;
	s->uid = (int64_t)uid;
	s->inode = ino;
	return true;
}

/* The rows of file F's text BUF (N bytes), the header line skipped. */
static int
parse(struct cust_ctx *ctx, const struct file *f, char *buf, size_t n,
    json_t *rows)
{
	struct cust_sock s;
	char *line, *nl, *end = buf + n;
	bool ok;
	int r;

	if ((line = memchr(buf, '\n', n)) == NULL)
		return CUST_OK;
	for (line++; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		*nl = '\0';
		blank(&s, f);
		if (f->af != 0)
			ok = inetline(line, f, &s);
		else if (f->protocol[0] == 'u')
			ok = unixline(line, &s);
		else
			ok = packetline(line, &s);
		if (ok && (r = cust_sock_add(ctx, &s, rows)) != CUST_OK)
			return r;
	}
	return CUST_OK;
}

/* A key that tells one socket from another within a file (owned). */
static char *
key(const json_t *row)
{
	json_int_t ino = json_integer_value(json_object_get(row, "inode"));
	char buf[CUST_INTLEN + 1];

	if (ino == 0)	/* TIME_WAIT and request sockets: all they show */
		return json_dumps(row, JSON_SORT_KEYS | JSON_COMPACT);
	buf[cust_fmt_int(buf, ino)] = '\0';
	return strdup(buf);
}

static int
cmpkey(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add to ROWS the rows of AGAIN that rows N0.. of ROWS lack. */
static int
merge(struct cust_ctx *ctx, json_t *rows, size_t n0, json_t *again)
{
	size_t n = json_array_size(rows) - n0, i;
	char **keys, *k;
	json_t *v;
	int r = CUST_OK;

	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "proc net");
	for (i = 0; i < n; i++)
		if ((keys[i] = key(json_array_get(rows, n0 + i))) == NULL)
			goto oom;
	qsort(keys, n, sizeof(*keys), cmpkey);
	json_array_foreach(again, i, v) {
		if ((k = key(v)) == NULL)
			goto oom;
		if (bsearch(&k, keys, n, sizeof(*keys), cmpkey) == NULL &&
		    json_array_append(rows, v) != 0) {
			free(k);
			goto oom;
		}
		free(k);
	}
	goto out;
oom:
	r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "proc net");
out:
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return r;
}

/*
 * PATH under PROCFD whole into *BUFP (owned, NUL-terminated; NULL when
 * the file is not there), at most PROCNET_MAX bytes.  Not the bounded
 * reader of base/io.c, which starts from fstat's size, 0 here: each read
 * of a seq_file starts its walk of the socket table again, so the first
 * reads are large.
 */
static int
slurp(struct cust_ctx *ctx, int procfd, const char *path, char **bufp,
    size_t *lenp)
{
	size_t cap = 256 * 1024, len = 0;
	char *buf = NULL, *p;
	ssize_t k;
	int fd, r = CUST_OK;

	*bufp = NULL;
	if ((fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? CUST_OK : cust_set_error(ctx, errno,
		    CUST_FAILED, "%s", path);
	for (;;) {
		if (len + 1 >= cap || buf == NULL) {
			if (buf != NULL && cap > PROCNET_MAX) {
				r = cust_set_error(ctx, EFBIG, CUST_FAILED,
				    "%s", path);
				break;
			}
			if (buf != NULL)
				cap *= 2;
			if ((p = realloc(buf, cap)) == NULL) {
				r = cust_set_error(ctx, errno, CUST_FATAL,
				    "%s", path);
				break;
			}
			buf = p;
		}
		if ((k = read(fd, buf + len, cap - len - 1)) == 0)
			break;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
			break;
		}
		len += (size_t)k;
	}
	close(fd);
	if (r != CUST_OK) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return CUST_OK;
}

/* File F read twice, the union of the two into ROWS. */
static int
readfile(struct cust_ctx *ctx, int procfd, const struct file *f, json_t *rows)
{
	size_t n0 = json_array_size(rows), n;
	json_t *again = NULL;
	char *buf;
	int r = CUST_OK;

	for (int pass = 0; r == CUST_OK && pass < 2; pass++) {
		r = slurp(ctx, procfd, f->name, &buf, &n);
		if (r != CUST_OK || buf == NULL)
			break;
		if (pass == 1 && (again = json_array()) == NULL)
			r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s",
			    f->name);
		if (r == CUST_OK)
			r = parse(ctx, f, buf, n, pass == 0 ? rows : again);
		free(buf);
	}
	if (r == CUST_OK && again != NULL)
		r = merge(ctx, rows, n0, again);
	json_decref(again);
	return r;
}

int
cust_live_proc_net(struct cust_ctx *ctx, int procfd, json_t **rows)
{
	json_t *a;
	int r = CUST_OK;

	*rows = NULL;
	if ((a = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "proc net");
	for (size_t i = 0; r == CUST_OK && i < NELEM(files); i++)
		r = readfile(ctx, procfd, &files[i], a);
	if (r != CUST_OK) {
		json_decref(a);
		return r;
	}
	*rows = a;
	return CUST_OK;
}
