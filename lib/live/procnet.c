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
 *
 * /proc/net/unix prints a socket's name as it is, newlines included, so
 * any user can bind a name whose second line reads as a record of a
 * socket that does not exist (or of one a rootkit hid from /proc/net,
 * masking it).  The text alone cannot tell a forged record from a true
 * one; the names that sock_diag gives (with their lengths) can: after
 * a record whose inode sock_diag names with a newline, that name is read
 * whole.  A line that is no record at all continues the name before it.
 * A socket whose name forges a record but that sock_diag does not show
 * is still a finding of its own (sockview.c).
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

/* A unix socket whose name holds a newline, as sock_diag named it. */
struct hint {
	uint64_t	 inode;
	char		*name;		/* owned: raw bytes, as /proc prints */
	size_t		 len;
};

struct hints {
	struct hint	*v;		/* owned, by inode */
	size_t		 n;
	/* The second read of a file: the inodes the first read gave
	 * (sorted), whose rows need not be made again. */
	uint64_t	*seen;		/* owned */
	size_t		 nseen;
};

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

/* "ffff...: 00000002 00000000 00010000 0001 01 12345 /run/x" (N bytes
 * at LINE, not NUL-terminated): the listening flag (__SO_ACCEPTCON) and
 * socket state map to the TCP states that unix_diag gives.  *PATHOFF:
 * where the name begins (N: none).  False when it is not a record. */
static bool
unixhead(const char *line, size_t n, struct cust_sock *s, size_t *pathoff)
{
	char copy[128], *v[7], *rest;
	uint64_t flags, type, st, ino;
	size_t k;

	if (n > 0 && line[n - 1] == '\n')
		n--;
	k = n < sizeof(copy) - 1 ? n : sizeof(copy) - 1;
	/* the fields before the name are at most 80 bytes */
	memcpy(copy, line, k);
	copy[k] = '\0';
	if (fields(copy, v, 7, &rest) != 7 || v[0][strlen(v[0]) - 1] != ':' ||
	    !num(v[3], 16, UINT32_MAX, &flags) ||
	    !num(v[4], 16, 65535, &type) || !num(v[5], 16, 255, &st) ||
	    !num(v[6], 10, INT64_MAX, &ino))
		return false;
	/* fields() stopped one space past the inode, or at the end */
	*pathoff = (size_t)(rest - copy);
	if (*pathoff >= k && k < n)
		return false;	/* no room left for a name */
	if (*pathoff > n)
		*pathoff = n;
	s->type = cust_sock_type((unsigned)type);
	s->state = flags & 0x10000 ? "LISTEN" :
	    st == 2 || st == 3 ? "ESTABLISHED" : "CLOSE";
	s->inode = ino;
	return true;
}

static int
byhint(const void *a, const void *b)
{
	uint64_t x = ((const struct hint *)a)->inode,
	    y = ((const struct hint *)b)->inode;

	return (x > y) - (x < y);
}

static const struct hint *
hint_of(const struct hints *h, uint64_t inode)
{
	struct hint k = { .inode = inode };

	if (h == NULL || h->n == 0)
		return NULL;
	return bsearch(&k, h->v, h->n, sizeof(*h->v), byhint);
}

static int
byino(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Is S's row one the first read made?  (Inode 0, TIME_WAIT and request
 * sockets, are told apart by their addresses: merge() does it.) */
static bool
seen(const struct hints *h, const struct cust_sock *s)
{
	return h != NULL && h->nseen > 0 && s->inode != 0 &&
	    bsearch(&s->inode, h->seen, h->nseen, sizeof(*h->seen),
	    byino) != NULL;
}

/* Where the next line begins after the line at P (END: none). */
static const char *
next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* The name of the record at LINE, from P: the whole of sock_diag's name
 * for it when the text has it, else to the line's end and through every
 * line after it that is no record.  Returns where the next record is. */
static const char *
unixname_end(const char *p, const char *end, const struct hint *h,
    struct cust_sock *s)
{
	const char *q;
	struct cust_sock t;
	size_t off;

	s->path = p;
	if (h != NULL && (size_t)(end - p) >= h->len &&
	    memcmp(p, h->name, h->len) == 0 && (p + h->len == end ||
	    p[h->len] == '\n')) {
		s->pathlen = h->len;
		return p + h->len < end ? p + h->len + 1 : end;
	}
	for (q = next_line(p, end); q < end; q = next_line(q, end))
		if (unixhead(q, (size_t)(next_line(q, end) - q), &t, &off))
			break;
	s->pathlen = (size_t)(q - p);
	if (s->pathlen > 0 && p[s->pathlen - 1] == '\n')
		s->pathlen--;
	return q;
}

/* The rows of /proc/net/unix's text BUF (N bytes), header skipped. */
static int
parse_unix(struct cust_ctx *ctx, const struct file *f, const char *buf,
    size_t n, const struct hints *h, json_t *rows)
{
	const char *line, *end = buf + n, *eol;
	struct cust_sock s;
	size_t off, len;
	int r;

	for (line = next_line(buf, end); line < end;) {
		eol = next_line(line, end);
		len = (size_t)(eol - line) - (eol[-1] == '\n');
		blank(&s, f);
		if (!unixhead(line, len, &s, &off)) {
			line = eol;	/* only before the first record */
			continue;
		}
		if (off < len)
			line = unixname_end(line + off, end,
			    hint_of(h, s.inode), &s);
		else
			line = eol;
		if (!seen(h, &s) && (r = cust_sock_add(ctx, &s, rows)) !=
		    CUST_OK)
			return r;
	}
	return CUST_OK;
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
    const struct hints *h, json_t *rows)
{
	struct cust_sock s;
	char *line, *nl, *end = buf + n;
	bool ok;
	int r;

	if (f->af == 0 && f->protocol[0] == 'u')
		return parse_unix(ctx, f, buf, n, h, rows);
	if ((line = memchr(buf, '\n', n)) == NULL)
		return CUST_OK;
	for (line++; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		*nl = '\0';
		blank(&s, f);
		if (f->af != 0)
			ok = inetline(line, f, &s);
		else
			ok = packetline(line, &s);
		if (ok && !seen(h, &s) && (r = cust_sock_add(ctx, &s, rows)) !=
		    CUST_OK)
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

/* The inodes of rows N0.. of ROWS, sorted, into H->seen; -1 out of
 * memory. */
static int
inodes(const json_t *rows, size_t n0, struct hints *h)
{
	size_t n = json_array_size(rows) - n0;

	if ((h->seen = calloc(n + 1, sizeof(*h->seen))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		h->seen[i] = (uint64_t)json_integer_value(json_object_get(
		    json_array_get(rows, n0 + i), "inode"));
	h->nseen = n;
	if (n > 0)
		qsort(h->seen, n, sizeof(*h->seen), byino);
	return 0;
}

/* File F read twice, the union of the two into ROWS; the second read
 * makes rows only for what the first did not show. */
static int
readfile(struct cust_ctx *ctx, int procfd, const struct file *f,
    const struct hints *h, json_t *rows)
{
	size_t n0 = json_array_size(rows), n;
	struct hints h2 = *h;
	json_t *again = NULL;
	char *buf;
	int r = CUST_OK;

	h2.seen = NULL;
	h2.nseen = 0;
	for (int pass = 0; r == CUST_OK && pass < 2; pass++) {
		r = slurp(ctx, procfd, f->name, &buf, &n);
		if (r != CUST_OK || buf == NULL)
			break;
		if (pass == 1 && ((again = json_array()) == NULL ||
		    inodes(rows, n0, &h2) != 0))
			r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s",
			    f->name);
		if (r == CUST_OK)
			r = parse(ctx, f, buf, n, pass == 0 ? h : &h2,
			    pass == 0 ? rows : again);
		free(buf);
	}
	if (r == CUST_OK && again != NULL)
		r = merge(ctx, rows, n0, again);
	json_decref(again);
	free(h2.seen);
	return r;
}

static void
hints_free(struct hints *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].name);
	free(h->v);
}

/* The unix sockets of DIAG whose names hold a newline ("^0A" escaped:
 * '^' itself is "^5E"), by inode. */
static int
hints_make(struct cust_ctx *ctx, const json_t *diag, struct hints *h)
{
	const json_t *row;
	const char *path;
	struct hint *v;
	size_t i;

	json_array_foreach(diag, i, row) {
		path = json_string_value(json_object_get(row, "path"));
		if (path == NULL || strstr(path, "^0A") == NULL ||
		    !json_is_integer(json_object_get(row, "inode")))
			continue;
		if ((v = realloc(h->v, (h->n + 1) * sizeof(*v))) == NULL)
			return cust_set_error(ctx, ENOMEM, CUST_FATAL,
			    "proc net");
		h->v = v;
		v = &h->v[h->n];
		v->inode = (uint64_t)json_integer_value(json_object_get(row,
		    "inode"));
		if (cust_unescape(path, strlen(path), &v->name, &v->len) != 0)
			continue;	/* not of cust_json_raw: no name */
		h->n++;
	}
	if (h->n > 0)
		qsort(h->v, h->n, sizeof(*h->v), byhint);
	return CUST_OK;
}

int
cust_live_proc_net_named(struct cust_ctx *ctx, int procfd,
    const json_t *diag, json_t **rows)
{
	struct hints h = { NULL, 0, NULL, 0 };
	json_t *a;
	int r = CUST_OK;

	*rows = NULL;
	if ((a = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "proc net");
	if (diag != NULL)
		r = hints_make(ctx, diag, &h);
	for (size_t i = 0; r == CUST_OK && i < NELEM(files); i++)
		r = readfile(ctx, procfd, &files[i], &h, a);
	hints_free(&h);
	if (r != CUST_OK) {
		json_decref(a);
		return r;
	}
	*rows = a;
	return CUST_OK;
}

int
cust_live_proc_net(struct cust_ctx *ctx, int procfd, json_t **rows)
{
	return cust_live_proc_net_named(ctx, procfd, NULL, rows);
}
