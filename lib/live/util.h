/*
 * util.h: helpers that the sources of lib/live/ share and nothing else
 * uses: a netlink dump with every message and attribute bounds-checked,
 * opening a path under a root directory without leaving it, and building
 * JSON rows from bytes that may not be UTF-8.  Like the sources, it uses
 * base/ and format/ only.
 */
#ifndef CUSTODY_LIVE_UTIL_H
#define CUSTODY_LIVE_UTIL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "format/format.h"

/* ---------------------------------------------------------- netlink.c */

/*
 * Called for each message of a dump with its header and its payload of N
 * bytes (N >= 0, checked against the header's length); returns CUST_OK or
 * a status with the ctx's error set, which ends the dump.
 */
typedef int (*cust_nl_fn)(void *arg, const struct nlmsghdr *,
    const void *payload, size_t n);

/*
 * Send the dump request REQ (LEN bytes of payload, after the netlink header
 * made here with type TYPE and NLM_F_REQUEST | NLM_F_DUMP) on a new
 * netlink socket of protocol PROTO, and give FN every message of the
 * answer.  An error the kernel answers with is CUST_FAILED with that errno
 * (*KERR, when not NULL, holds it, so a caller may treat, say, ENOENT for a
 * protocol it lacks as no rows).  A dump interrupted by a change
 * (NLM_F_DUMP_INTR) is CUST_WARN with EAGAIN in *KERR: the caller retries.
 * WHAT names the dump in messages.
 */
int	cust_nl_dump(struct cust_ctx *, int proto, uint16_t type,
	    const void *req, size_t len, cust_nl_fn fn, void *arg,
	    const char *what, int *kerr);

/* A dump being read. */
struct cust_nl {
	struct cust_ctx	*ctx;		/* borrowed */
	const char	*what;		/* names the dump in messages */
	uint32_t	 seq;		/* of our request: others are ignored */
	cust_nl_fn	 fn;
	void		*arg;
	int		*kerr;		/* NULL, or the kernel's errno */
	bool		 intr;		/* NLM_F_DUMP_INTR was seen */
};
/*
 * The messages of one datagram of N bytes, each checked against the
 * bytes there before it is read: CUST_OK when more are to come, 1 after
 * NLMSG_DONE, or a status (a message longer than the datagram or shorter
 * than its header: CUST_FAILED, EPROTO; NLMSG_ERROR: CUST_FAILED with its
 * errno).
 */
int	cust_nl_datagram(struct cust_nl *, const void *p, size_t n);

/* The attributes in P (N bytes), by type, into TB[0..MAX]; a malformed
 * one ends the walk (false); later ones of a type replace earlier. */
bool	cust_nl_attrs(const void *p, size_t n, const struct rtattr **tb,
	    size_t max);
/* An attribute's payload and its length. */
const void *cust_nl_data(const struct rtattr *);
size_t	cust_nl_len(const struct rtattr *);
/* Its payload as a u32, or DEF when it is shorter than 4 bytes. */
uint32_t cust_nl_u32(const struct rtattr *, uint32_t def);

/* ----------------------------------------------------------- inroot.c */

/*
 * Open PATH (relative) under ROOTFD, never leaving it: ".." and absolute
 * symbolic links resolve inside ROOTFD (openat2 RESOLVE_IN_ROOT), /proc's
 * magic links are refused, and with NOFOLLOW no symbolic link is followed
 * at all.  FLAGS are open(2)'s.  The descriptor, or -1 with errno.
 */
int	cust_open_in_root(int rootfd, const char *path, int flags,
	    bool nofollow);

/* ------------------------------------------------------------ json.c */

/* A JSON string of the N raw bytes at P, escaped as stored names are
 * (cust_escape), so that any bytes make valid UTF-8; NULL: no memory. */
json_t	*cust_json_raw(const char *p, size_t n);
/* The same for the bytes of a fixed-size field up to its first NUL. */
json_t	*cust_json_field(const char *p, size_t size);
/* The address of family AF (AF_INET or AF_INET6) at P as text. */
json_t	*cust_json_addr(int af, const void *p);
/* The UTC time of S seconds and NS nanoseconds. */
json_t	*cust_json_time(int64_t s, long ns);
/* An array of the names of the bits set in V, from NAMES (NULL: unnamed,
 * given as "0xBIT"). */
json_t	*cust_json_bits(uint64_t v, const char *const *names, size_t n);

/*
 * A row under construction: set() steals V (NULL means an allocation
 * failed) and remembers any failure, so that a row is built in one go and
 * checked once with done().
 */
struct cust_row {
	json_t		*o;	/* owned until done() */
	bool		 oom;
};

void	cust_row_begin(struct cust_row *);
void	cust_row_set(struct cust_row *, const char *key, json_t *v);
/* Append the row to ROWS (CUST_OK) or free it (CUST_FATAL, error set). */
int	cust_row_done(struct cust_ctx *, struct cust_row *, json_t *rows);


/* ------------------------------------------------------------ sockets */

/* One socket, as both views see it (sources.h lists the keys). */
struct cust_sock {
	const char	*family, *protocol, *type;
	const char	*state;		/* NULL: null */
	int		 af;		/* AF_INET or AF_INET6: addresses */
	unsigned char	 src[16], dst[16];
	int32_t		 sport, dport;	/* -1: null */
	int64_t		 uid;		/* -1: null */
	uint64_t	 inode;
	const char	*path;		/* borrowed raw bytes; NULL: null */
	size_t		 pathlen;
	int64_t		 peer, ifindex, ethertype;	/* -1: null */
	const char	*source;
};

/* Append S's row to ROWS. */
int	cust_sock_add(struct cust_ctx *, const struct cust_sock *,
	    json_t *rows);
/* The name of TCP state S (also used for unix sockets), or NULL. */
const char *cust_sock_state(unsigned s);
/* The name of socket type T ("stream", ...), or "unknown". */
const char *cust_sock_type(unsigned t);

/* Protocols that a sock_diag dump may lack (bits of *MISSING). */
#define CUST_SOCK_RAW		0x1
#define CUST_SOCK_PACKET	0x2
#define CUST_SOCK_UNIX		0x4
/* cust_live_sockets, telling which protocols this kernel cannot dump. */
int	cust_sock_diag(struct cust_ctx *, json_t **rows, unsigned *missing);

#endif /* CUSTODY_LIVE_UTIL_H */
