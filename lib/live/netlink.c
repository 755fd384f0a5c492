/*
 * netlink.c: one dump over netlink (sock_diag, rtnetlink), read with our
 * own bounds checks.  What the kernel sends is trusted no more than a
 * file: every message length and attribute length is checked against the
 * bytes actually received before anything is read through it, and only
 * messages from the kernel (port 0) answering our sequence number count.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "live/util.h"

#define RCVBUF	(64 * 1024)	/* more than a dump message's 32 KiB */
#define REQ_MAX		128		/* the largest dump request we send */
#define ALIGN4(n)	(((n) + 3u) & ~(size_t)3u)

static int
opensock(struct cust_ctx *ctx, int proto, const char *what)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s: netlink",
		    what), -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		cust_set_error(ctx, errno, CUST_FAILED, "%s: netlink bind",
		    what);
		close(fd);
		return -1;
	}
	return fd;
}

static int
sendreq(struct cust_ctx *ctx, int fd, uint16_t type, uint32_t seq,
    const void *req, size_t len, const char *what)
{
	struct {
		struct nlmsghdr	 h;
		unsigned char	 req[REQ_MAX];
	} m;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t n = sizeof(m.h) + len;

	if (len > REQ_MAX)
		return cust_set_error(ctx, EINVAL, CUST_FATAL, "%s", what);
	memset(&m, 0, sizeof(m));
	m.h.nlmsg_len = (uint32_t)n;
	m.h.nlmsg_type = type;
	m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	m.h.nlmsg_seq = seq;
	memcpy(m.req, req, len);
	if (sendto(fd, &m, n, 0, (struct sockaddr *)&to, sizeof(to)) !=
	    (ssize_t)n)
		return cust_set_error(ctx, errno, CUST_FAILED,
		    "%s: netlink send", what);
	return CUST_OK;
}

/* An NLMSG_ERROR or the end of the dump: CUST_OK to go on, 1 at the end,
 * or a status. */
static int
control(struct cust_nl *d, const struct nlmsghdr *h, const void *p, size_t n)
{
	int e = 0;

	if (h->nlmsg_type == NLMSG_DONE) {
		/* sock_diag and rtnetlink may put an error in DONE */
		if (n >= sizeof(int))
			memcpy(&e, p, sizeof(e));
	} else if (n >= sizeof(int))
		memcpy(&e, p, sizeof(e));	/* struct nlmsgerr's error */
	else
		e = -EPROTO;
	if (e == 0)
		return h->nlmsg_type == NLMSG_DONE ? 1 : CUST_OK;
	if (e > 0 || e < -4095)
		e = -EPROTO;
	if (d->kerr != NULL)
		*d->kerr = -e;
	return cust_set_error(d->ctx, -e, CUST_FAILED, "%s", d->what);
}

int
cust_nl_datagram(struct cust_nl *d, const void *p, size_t n)
{
	const unsigned char *buf = p;
	const struct nlmsghdr *h;
	size_t off = 0, len;
	int r;

	while (n - off >= sizeof(*h)) {
		h = (const struct nlmsghdr *)(buf + off);
		len = h->nlmsg_len;
		if (len < sizeof(*h) || len > n - off)
			return cust_set_error(d->ctx, EPROTO, CUST_FAILED,
			    "%s: malformed netlink message", d->what);
		off += ALIGN4(len) < n - off ? ALIGN4(len) : n - off;
		if (h->nlmsg_seq != d->seq)
			continue;		/* not an answer to us */
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			d->intr = true;
		if (h->nlmsg_type == NLMSG_DONE ||
		    h->nlmsg_type == NLMSG_ERROR)
			r = control(d, h, h + 1, len - sizeof(*h));
		else if (h->nlmsg_type < NLMSG_MIN_TYPE)
			continue;		/* NOOP, OVERRUN */
		else
			r = d->fn(d->arg, h, h + 1, len - sizeof(*h));
		if (r != CUST_OK)
			return r;
	}
	return CUST_OK;
}

static int
receive(struct cust_nl *d, int fd, unsigned char *buf)
{
	struct sockaddr_nl from;
	struct iovec iov = { buf, RCVBUF };
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t k;
	int r;

	for (;;) {
		m.msg_namelen = sizeof(from);
		if ((k = recvmsg(fd, &m, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return cust_set_error(d->ctx, errno, CUST_FAILED,
			    "%s: netlink receive", d->what);
		}
		if (m.msg_flags & MSG_TRUNC)
			return cust_set_error(d->ctx, EMSGSIZE, CUST_FAILED,
			    "%s: netlink message truncated", d->what);
		if (k == 0)
			return cust_set_error(d->ctx, EPROTO, CUST_FAILED,
			    "%s: netlink dump ended early", d->what);
		if (from.nl_pid != 0)
			continue;		/* only the kernel speaks */
		if ((r = cust_nl_datagram(d, buf, (size_t)k)) != CUST_OK)
			return r > 0 ? CUST_OK : r;
	}
}

int
cust_nl_dump(struct cust_ctx *ctx, int proto, uint16_t type, const void *req,
    size_t len, cust_nl_fn fn, void *arg, const char *what, int *kerr)
{
	struct cust_nl d = { ctx, what, 0, fn, arg, kerr, false };
	struct timespec ts;
	unsigned char *buf;
	int fd, r;

	if (kerr != NULL)
		*kerr = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	d.seq = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec;
	if ((buf = malloc(RCVBUF)) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "%s", what);
	if ((fd = opensock(ctx, proto, what)) < 0) {
		free(buf);
		return CUST_FAILED;
	}
	r = sendreq(ctx, fd, type, d.seq, req, len, what);
	if (r == CUST_OK)
		r = receive(&d, fd, buf);
	if (r == CUST_OK && d.intr) {
		if (kerr != NULL)
			*kerr = EAGAIN;
		r = cust_set_error(ctx, 0, CUST_WARN,
		    "%s: changed while dumped", what);
	}
	close(fd);
	free(buf);
	return r;
}

bool
cust_nl_attrs(const void *p, size_t n, const struct rtattr **tb, size_t max)
{
	const unsigned char *b = p;
	const struct rtattr *a;
	size_t off = 0, len;
	unsigned type;

	for (size_t i = 0; i <= max; i++)
		tb[i] = NULL;
	while (n - off >= sizeof(*a)) {
		a = (const struct rtattr *)(b + off);
		len = a->rta_len;
		if (len < sizeof(*a) || len > n - off)
			return false;
		type = a->rta_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = a;
		off += ALIGN4(len) < n - off ? ALIGN4(len) : n - off;
	}
	return true;
}

const void *
cust_nl_data(const struct rtattr *a)
{
	return (const unsigned char *)a + RTA_LENGTH(0);
}

size_t
cust_nl_len(const struct rtattr *a)
{
	return a->rta_len - RTA_LENGTH(0);
}

uint32_t
cust_nl_u32(const struct rtattr *a, uint32_t def)
{
	uint32_t v;

	if (a == NULL || cust_nl_len(a) < sizeof(v))
		return def;
	memcpy(&v, cust_nl_data(a), sizeof(v));
	return v;
}
