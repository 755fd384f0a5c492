/*
 * sockdiag.c: every socket of the network namespace through netlink
 * NETLINK_SOCK_DIAG, the kernel's own socket tables, not the text of
 * /proc/net that a rootkit's seq_file hook can edit: inet_diag for TCP,
 * UDP and raw over IPv4 and IPv6, unix_diag and packet_diag.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/un.h>
#include <string.h>

#include <linux/inet_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "live/sources.h"
#include "live/util.h"

static const char *const states[] = {
	NULL, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
	"LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
};

const char *
cust_sock_state(unsigned s)
{
	return s < NELEM(states) ? states[s] : NULL;
}

const char *
cust_sock_type(unsigned t)
{
	switch (t) {
	case SOCK_STREAM:	return "stream";
	case SOCK_DGRAM:	return "dgram";
	case SOCK_RAW:		return "raw";
	case SOCK_SEQPACKET:	return "seqpacket";
	default:		return "unknown";
	}
}

static json_t *
opt(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

/* A unix name as /proc/net/unix prints it: abstract ones begin with '@',
 * and a NUL inside becomes '@'. */
static json_t *
unixname(const char *p, size_t n)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];

	if (n > sizeof(buf))
		n = sizeof(buf);
	/* a path name is kept with its NUL; an abstract one begins with
	 * NUL and is all of its bytes */
	if (n > 0 && p[0] != '\0' && memchr(p, '\0', n) != NULL)
		n = strlen(p);
	for (size_t i = 0; i < n; i++)
		buf[i] = p[i] == '\0' ? '@' : p[i];
	return cust_json_raw(buf, n);
}

int
cust_sock_add(struct cust_ctx *ctx, const struct cust_sock *s, json_t *rows)
{
	struct cust_row w;
	bool ip = s->af == AF_INET || s->af == AF_INET6;

	cust_row_begin(&w);
	cust_row_set(&w, "family", json_string(s->family));
	cust_row_set(&w, "protocol", json_string(s->protocol));
	cust_row_set(&w, "type", json_string(s->type));
	cust_row_set(&w, "state", s->state != NULL ? json_string(s->state) :
	    json_null());
	cust_row_set(&w, "local_address", ip ? cust_json_addr(s->af, s->src) :
	    json_null());
	cust_row_set(&w, "local_port", opt(s->sport));
	cust_row_set(&w, "remote_address", ip ?
	    cust_json_addr(s->af, s->dst) : json_null());
	cust_row_set(&w, "remote_port", opt(s->dport));
	cust_row_set(&w, "uid", opt(s->uid));
	cust_row_set(&w, "inode", json_integer((json_int_t)s->inode));
	cust_row_set(&w, "path", s->path != NULL ?
	    unixname(s->path, s->pathlen) : json_null());
	cust_row_set(&w, "peer_inode", opt(s->peer));
	cust_row_set(&w, "ifindex", opt(s->ifindex));
	cust_row_set(&w, "ethertype", opt(s->ethertype));
	cust_row_set(&w, "source", json_string(s->source));
	return cust_row_done(ctx, &w, rows);
}

struct dump {
	struct cust_ctx	*ctx;		/* borrowed */
	json_t		*rows;		/* borrowed */
	const char	*protocol;	/* inet: "tcp", "udp" or "raw" */
};

static void
blank(struct cust_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->sport = s->dport = -1;
	s->uid = s->peer = s->ifindex = s->ethertype = -1;
	s->source = "sock_diag";
}

static int
inetmsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	struct inet_diag_msg m;
	struct cust_sock s;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || n < sizeof(m))
		return CUST_OK;
	memcpy(&m, p, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return CUST_OK;
	blank(&s);
	s.af = m.idiag_family;
	s.family = s.af == AF_INET ? "inet" : "inet6";
	s.protocol = d->protocol;
	s.type = d->protocol[0] == 't' ? "stream" :
	    d->protocol[0] == 'u' ? "dgram" : "raw";
	s.state = cust_sock_state(m.idiag_state);
	memcpy(s.src, m.id.idiag_src, 16);
	memcpy(s.dst, m.id.idiag_dst, 16);
	s.sport = ntohs(m.id.idiag_sport);
	s.dport = ntohs(m.id.idiag_dport);
	s.uid = m.idiag_uid;
	s.inode = m.idiag_inode;
	return cust_sock_add(d->ctx, &s, d->rows);
}

/* The attributes after a message's fixed part of HDR bytes. */
static bool
after(const void *p, size_t n, size_t hdr, const struct rtattr **tb,
    size_t max)
{
	hdr = NLMSG_ALIGN(hdr);
	return n >= hdr && cust_nl_attrs((const char *)p + hdr, n - hdr, tb,
	    max);
}

static int
unixmsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	const struct rtattr *tb[UNIX_DIAG_MAX + 1];
	struct unix_diag_msg m;
	struct cust_sock s;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || n < sizeof(m))
		return CUST_OK;
	memcpy(&m, p, sizeof(m));
	if (!after(p, n, sizeof(m), tb, UNIX_DIAG_MAX))
		return cust_set_error(d->ctx, EPROTO, CUST_FAILED,
		    "unix_diag: malformed attribute");
	blank(&s);
	s.family = s.protocol = "unix";
	s.type = cust_sock_type(m.udiag_type);
	s.state = cust_sock_state(m.udiag_state);
	s.inode = m.udiag_ino;
	if (tb[UNIX_DIAG_NAME] != NULL) {
		s.path = cust_nl_data(tb[UNIX_DIAG_NAME]);
		s.pathlen = cust_nl_len(tb[UNIX_DIAG_NAME]);
	}
	if (tb[UNIX_DIAG_PEER] != NULL)
		s.peer = cust_nl_u32(tb[UNIX_DIAG_PEER], 0);
	if (tb[UNIX_DIAG_UID] != NULL)
		s.uid = cust_nl_u32(tb[UNIX_DIAG_UID], 0);
	return cust_sock_add(d->ctx, &s, d->rows);
}

static int
packetmsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	const struct rtattr *tb[PACKET_DIAG_MAX + 1];
	struct packet_diag_msg m;
	struct packet_diag_info info;
	struct cust_sock s;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || n < sizeof(m))
		return CUST_OK;
	memcpy(&m, p, sizeof(m));
	if (!after(p, n, sizeof(m), tb, PACKET_DIAG_MAX))
		return cust_set_error(d->ctx, EPROTO, CUST_FAILED,
		    "packet_diag: malformed attribute");
	blank(&s);
	s.family = s.protocol = "packet";
	s.type = cust_sock_type(m.pdiag_type);
	s.inode = m.pdiag_ino;
	s.ethertype = m.pdiag_num;
	if (tb[PACKET_DIAG_INFO] != NULL &&
	    cust_nl_len(tb[PACKET_DIAG_INFO]) >= sizeof(info)) {
		memcpy(&info, cust_nl_data(tb[PACKET_DIAG_INFO]),
		    sizeof(info));
		s.ifindex = info.pdi_index;
	}
	if (tb[PACKET_DIAG_UID] != NULL)
		s.uid = cust_nl_u32(tb[PACKET_DIAG_UID], 0);
	return cust_sock_add(d->ctx, &s, d->rows);
}

/* One dump; a protocol this kernel lacks (ENOENT, EOPNOTSUPP) sets BIT
 * in *MISSING and is not an error here. */
static int
dump(struct dump *d, const void *req, size_t len, cust_nl_fn fn,
    const char *what, unsigned bit, unsigned *missing)
{
	int r, kerr;

	for (int tries = 0; tries < 3; tries++) {
		size_t before = json_array_size(d->rows);

		r = cust_nl_dump(d->ctx, NETLINK_SOCK_DIAG,
		    SOCK_DIAG_BY_FAMILY, req, len, fn, d, what, &kerr);
		if (r == CUST_OK)
			return r;
		if (r == CUST_FAILED && bit != 0 &&
		    (kerr == ENOENT || kerr == EOPNOTSUPP)) {
			*missing |= bit;
			return CUST_OK;
		}
		if (kerr != EAGAIN)
			return r;
		/* interrupted by a change: take it again, whole */
		while (json_array_size(d->rows) > before)
			json_array_remove(d->rows,
			    json_array_size(d->rows) - 1);
	}
	return r;
}

static int
inet(struct dump *d, int af, int proto, unsigned *missing)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = (uint8_t)af,
		.sdiag_protocol = (uint8_t)proto,
		/* every state but TCP_BOUND_INACTIVE (13, kernel 6.6): a
		 * socket bound and neither listening nor connected, which
		 * /proc/net and ss -a do not show either */
		.idiag_states = ~(1u << 13),
	};
	char what[32];

	/* raw_diag reads the raw protocol to match from the pad byte */
	if (proto == IPPROTO_RAW)
		req.pad = IPPROTO_RAW;
	d->protocol = proto == IPPROTO_TCP ? "tcp" :
	    proto == IPPROTO_UDP ? "udp" : "raw";
	snprintf(what, sizeof(what), "sock_diag %s%s", d->protocol,
	    af == AF_INET6 ? "6" : "");
	return dump(d, &req, sizeof(req), inetmsg, what,
	    proto == IPPROTO_RAW ? CUST_SOCK_RAW : 0, missing);
}

int
cust_sock_diag(struct cust_ctx *ctx, json_t **rows, unsigned *missing)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_RAW };
	struct unix_diag_req ureq = {
		.sdiag_family = AF_UNIX, .udiag_states = ~0u,
		.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER |
		    UDIAG_SHOW_UID,
	};
	struct packet_diag_req preq = {
		.sdiag_family = AF_PACKET, .pdiag_show = PACKET_SHOW_INFO,
	};
	struct dump d = { ctx, NULL, NULL };
	int r = CUST_OK;

	*missing = 0;
	if ((d.rows = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "sock_diag");
	for (size_t i = 0; r == CUST_OK && i < 2 * NELEM(protos); i++)
		r = inet(&d, i % 2 ? AF_INET6 : AF_INET, protos[i / 2],
		    missing);
	if (r == CUST_OK)
		r = dump(&d, &ureq, sizeof(ureq), unixmsg, "sock_diag unix",
		    CUST_SOCK_UNIX, missing);
	if (r == CUST_OK)
		r = dump(&d, &preq, sizeof(preq), packetmsg,
		    "sock_diag packet", CUST_SOCK_PACKET, missing);
	if (r != CUST_OK) {
		json_decref(d.rows);
		return r;
	}
	*rows = d.rows;
	return CUST_OK;
}

int
cust_live_sockets(struct cust_ctx *ctx, int procfd, json_t **rows)
{
	unsigned missing;
	int r;

	(void)procfd;
	*rows = NULL;
	if ((r = cust_sock_diag(ctx, rows, &missing)) != CUST_OK)
		return r;
	if (missing != 0)
		return cust_set_error(ctx, EOPNOTSUPP, CUST_WARN,
		    "sock_diag:%s%s%s not in this kernel",
		    missing & CUST_SOCK_RAW ? " raw" : "",
		    missing & CUST_SOCK_UNIX ? " unix" : "",
		    missing & CUST_SOCK_PACKET ? " packet" : "");
	return CUST_OK;
}
