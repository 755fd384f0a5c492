/*
 * rtnetlink.c: the network configuration as the kernel holds it, through
 * rtnetlink (not ip(8), ifconfig or /proc/net/route): interfaces with
 * their addresses, routes of every table, and the neighbour tables.  A
 * sniffer shows here: an interface is marked promiscuous when its flags
 * say so or when anything holds it promiscuous (IFLA_PROMISCUITY, which
 * counts libpcap's packet-socket memberships that the flags do not show).
 */
#include <sys/socket.h>

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/neighbour.h>

#include "live/sources.h"
#include "live/util.h"

static const char *const iff[] = {
	"UP", "BROADCAST", "DEBUG", "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
	"RUNNING", "NOARP", "PROMISC", "ALLMULTI", "MASTER", "SLAVE",
	"MULTICAST", "PORTSEL", "AUTOMEDIA", "DYNAMIC", "LOWER_UP",
	"DORMANT", "ECHO",
};
static const char *const operstates[] = {
	"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING",
	"DORMANT", "UP",
};
static const char *const rtypes[] = {
	"unspec", "unicast", "local", "broadcast", "anycast", "multicast",
	"blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve",
};
static const char *const nud[] = {
	"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED",
	"NOARP", "PERMANENT",
};

struct name {
	unsigned	 v;
	const char	*name;
};

static const struct name protos[] = {
	{ 1, "redirect" }, { 2, "kernel" }, { 3, "boot" }, { 4, "static" },
	{ 9, "ra" }, { 11, "zebra" }, { 12, "bird" }, { 16, "dhcp" },
	{ 18, "keepalived" }, { 42, "babel" }, { 186, "bgp" },
	{ 187, "isis" }, { 188, "ospf" }, { 189, "rip" },
};
static const struct name scopes[] = {
	{ 0, "universe" }, { 200, "site" }, { 253, "link" }, { 254, "host" },
	{ 255, "nowhere" },
};
static const struct name tables[] = {
	{ 253, "default" }, { 254, "main" }, { 255, "local" },
};

/* V's name in T, or V as a number. */
static json_t *
named(const struct name *t, size_t n, unsigned v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return json_string(t[i].name);
	return json_integer(v);
}

static json_t *
family(int af)
{
	return json_string(af == AF_INET ? "inet" : af == AF_INET6 ? "inet6" :
	    "other");
}

/* A link-layer address "xx:xx:...", or null. */
static json_t *
lladdr(const struct rtattr *a)
{
	char s[3 * 32];
	const unsigned char *p;
	size_t n;

	if (a == NULL || (n = cust_nl_len(a)) == 0)
		return json_null();
	if (n > 32)
		n = 32;
	p = cust_nl_data(a);
	for (size_t i = 0; i < n; i++)
		snprintf(s + 3 * i, 4, "%02x%s", p[i], i + 1 < n ? ":" : "");
	return json_string(s);
}

/* An IP address attribute of family AF, or null when absent or short. */
static json_t *
ipaddr(int af, const struct rtattr *a)
{
	size_t want = af == AF_INET ? 4 : af == AF_INET6 ? 16 : 0;
	unsigned char b[16];

	if (a == NULL || want == 0 || cust_nl_len(a) < want)
		return json_null();
	memcpy(b, cust_nl_data(a), want);
	return cust_json_addr(af, b);
}

static json_t *
attrstr(const struct rtattr *a)
{
	if (a == NULL)
		return json_null();
	return cust_json_field(cust_nl_data(a), cust_nl_len(a));
}

/* The attributes after a fixed header of HDR bytes in a payload of N. */
static bool
attrs(const void *p, size_t n, size_t hdr, const struct rtattr **tb,
    size_t max)
{
	hdr = NLMSG_ALIGN(hdr);
	if (n < hdr)
		return false;
	return cust_nl_attrs((const char *)p + hdr, n - hdr, tb, max);
}

struct dump {
	struct cust_ctx	*ctx;		/* borrowed */
	json_t		*rows;		/* borrowed */
	int		 af;
};

static int
malformed(struct dump *d, const char *what)
{
	return cust_set_error(d->ctx, EPROTO, CUST_FAILED,
	    "rtnetlink %s: malformed message", what);
}

/* A dump into D->rows, again when a change interrupted it. */
static int
dump(struct dump *d, uint16_t type, const void *req, size_t len,
    cust_nl_fn fn, const char *what)
{
	size_t before = json_array_size(d->rows);
	int r = CUST_OK, kerr;

	for (int tries = 0; tries < 3; tries++) {
		r = cust_nl_dump(d->ctx, NETLINK_ROUTE, type, req, len, fn, d,
		    what, &kerr);
		if (r == CUST_OK || kerr != EAGAIN)
			return r;
		while (json_array_size(d->rows) > before)
			json_array_remove(d->rows,
			    json_array_size(d->rows) - 1);
	}
	return r;
}

/* ------------------------------------------------------------ links */

static json_t *
linkkind(const struct rtattr *info)
{
	const struct rtattr *tb[IFLA_INFO_MAX + 1];

	if (info == NULL || !cust_nl_attrs(cust_nl_data(info),
	    cust_nl_len(info), tb, IFLA_INFO_MAX) || tb[IFLA_INFO_KIND] == NULL)
		return json_null();
	return attrstr(tb[IFLA_INFO_KIND]);
}

static int
linkmsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	const struct rtattr *tb[IFLA_MAX + 1];
	struct ifinfomsg m;
	struct cust_row w;
	uint32_t promisc, oper;

	if (h->nlmsg_type != RTM_NEWLINK)
		return CUST_OK;
	if (n < sizeof(m) || !attrs(p, n, sizeof(m), tb, IFLA_MAX))
		return malformed(d, "link");
	memcpy(&m, p, sizeof(m));
	promisc = cust_nl_u32(tb[IFLA_PROMISCUITY], 0);
	oper = tb[IFLA_OPERSTATE] != NULL && cust_nl_len(tb[IFLA_OPERSTATE]) ?
	    *(const uint8_t *)cust_nl_data(tb[IFLA_OPERSTATE]) : 0;
	cust_row_begin(&w);
	cust_row_set(&w, "name", attrstr(tb[IFLA_IFNAME]));
	cust_row_set(&w, "index", json_integer(m.ifi_index));
	cust_row_set(&w, "mac", lladdr(tb[IFLA_ADDRESS]));
	cust_row_set(&w, "broadcast", lladdr(tb[IFLA_BROADCAST]));
	cust_row_set(&w, "type", json_integer(m.ifi_type));
	cust_row_set(&w, "flags", cust_json_bits(m.ifi_flags, iff,
	    NELEM(iff)));
	cust_row_set(&w, "promiscuous", json_boolean(
	    (m.ifi_flags & IFF_PROMISC) != 0 || promisc > 0));
	cust_row_set(&w, "promiscuity", json_integer(promisc));
	cust_row_set(&w, "mtu", tb[IFLA_MTU] != NULL ?
	    json_integer(cust_nl_u32(tb[IFLA_MTU], 0)) : json_null());
	cust_row_set(&w, "operstate", json_string(oper < NELEM(operstates) ?
	    operstates[oper] : "UNKNOWN"));
	cust_row_set(&w, "master", tb[IFLA_MASTER] != NULL ?
	    json_integer(cust_nl_u32(tb[IFLA_MASTER], 0)) : json_null());
	cust_row_set(&w, "kind", linkkind(tb[IFLA_LINKINFO]));
	cust_row_set(&w, "addresses", json_array());
	return cust_row_done(d->ctx, &w, d->rows);
}

/* The "addresses" of the interface of index I in ROWS, or NULL. */
static json_t *
addresses_of(json_t *rows, int i)
{
	json_t *v;
	size_t k;

	json_array_foreach(rows, k, v)
		if (json_integer_value(json_object_get(v, "index")) == i)
			return json_object_get(v, "addresses");
	return NULL;
}

static int
addrmsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	const struct rtattr *tb[IFA_MAX + 1];
	struct ifaddrmsg m;
	struct cust_row w;
	json_t *list;

	if (h->nlmsg_type != RTM_NEWADDR)
		return CUST_OK;
	if (n < sizeof(m) || !attrs(p, n, sizeof(m), tb, IFA_MAX))
		return malformed(d, "address");
	memcpy(&m, p, sizeof(m));
	if ((list = addresses_of(d->rows, (int)m.ifa_index)) == NULL)
		return CUST_OK;		/* a link that came after the dump */
	cust_row_begin(&w);
	cust_row_set(&w, "family", family(m.ifa_family));
	/* IFA_LOCAL is the address; IFA_ADDRESS the peer's on a
	 * point-to-point link */
	cust_row_set(&w, "address", ipaddr(m.ifa_family, tb[IFA_LOCAL] ?
	    tb[IFA_LOCAL] : tb[IFA_ADDRESS]));
	cust_row_set(&w, "prefixlen", json_integer(m.ifa_prefixlen));
	cust_row_set(&w, "scope", named(scopes, NELEM(scopes), m.ifa_scope));
	cust_row_set(&w, "label", attrstr(tb[IFA_LABEL]));
	return cust_row_done(d->ctx, &w, list);
}

int
cust_live_interfaces(struct cust_ctx *ctx, json_t **rows)
{
	struct ifinfomsg link = { .ifi_family = AF_UNSPEC };
	struct ifaddrmsg addr = { .ifa_family = AF_UNSPEC };
	struct dump d = { ctx, NULL, 0 };
	int r;

	*rows = NULL;
	if ((d.rows = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "interfaces");
	r = dump(&d, RTM_GETLINK, &link, sizeof(link), linkmsg,
	    "rtnetlink links");
	if (r == CUST_OK)
		r = cust_nl_dump(ctx, NETLINK_ROUTE, RTM_GETADDR, &addr,
		    sizeof(addr), addrmsg, &d, "rtnetlink addresses", NULL);
	if (r != CUST_OK) {
		json_decref(d.rows);
		return r;
	}
	*rows = d.rows;
	return CUST_OK;
}

/* ----------------------------------------------------------- routes */

static json_t *
destination(const struct rtmsg *m, const struct rtattr *dst)
{
	json_t *a = ipaddr(m->rtm_family, dst), *v;
	char s[INET6_ADDRSTRLEN + 8];

	if (m->rtm_dst_len == 0 && (dst == NULL || json_is_null(a))) {
		json_decref(a);
		return json_string("default");
	}
	if (a == NULL || json_is_null(a)) {
		json_decref(a);
		return json_null();
	}
	snprintf(s, sizeof(s), "%s/%u", json_string_value(a),
	    m->rtm_dst_len);
	json_decref(a);
	v = json_string(s);
	return v;
}

static int
routemsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	const struct rtattr *tb[RTA_MAX + 1];
	struct rtmsg m;
	struct cust_row w;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE)
		return CUST_OK;
	if (n < sizeof(m) || !attrs(p, n, sizeof(m), tb, RTA_MAX))
		return malformed(d, "route");
	memcpy(&m, p, sizeof(m));
	if (m.rtm_family != d->af)
		return CUST_OK;
	table = cust_nl_u32(tb[RTA_TABLE], m.rtm_table);
	cust_row_begin(&w);
	cust_row_set(&w, "family", family(m.rtm_family));
	cust_row_set(&w, "table", json_integer(table));
	cust_row_set(&w, "table_name", table == 253 || table == 254 ||
	    table == 255 ? named(tables, NELEM(tables), table) : json_null());
	cust_row_set(&w, "type", m.rtm_type < NELEM(rtypes) ?
	    json_string(rtypes[m.rtm_type]) : json_integer(m.rtm_type));
	cust_row_set(&w, "destination", destination(&m, tb[RTA_DST]));
	cust_row_set(&w, "gateway", ipaddr(m.rtm_family, tb[RTA_GATEWAY]));
	cust_row_set(&w, "oif", tb[RTA_OIF] != NULL ?
	    json_integer(cust_nl_u32(tb[RTA_OIF], 0)) : json_null());
	cust_row_set(&w, "prefsrc", ipaddr(m.rtm_family, tb[RTA_PREFSRC]));
	cust_row_set(&w, "priority", tb[RTA_PRIORITY] != NULL ?
	    json_integer(cust_nl_u32(tb[RTA_PRIORITY], 0)) : json_null());
	cust_row_set(&w, "protocol", named(protos, NELEM(protos),
	    m.rtm_protocol));
	cust_row_set(&w, "scope", named(scopes, NELEM(scopes), m.rtm_scope));
	return cust_row_done(d->ctx, &w, d->rows);
}

int
cust_live_routes(struct cust_ctx *ctx, json_t **rows)
{
	struct dump d = { ctx, NULL, 0 };
	int r = CUST_OK;

	*rows = NULL;
	if ((d.rows = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "routes");
	for (int i = 0; r == CUST_OK && i < 2; i++) {
		struct rtmsg req = { .rtm_family = i ? AF_INET6 : AF_INET };

		d.af = req.rtm_family;
		r = dump(&d, RTM_GETROUTE, &req, sizeof(req), routemsg,
		    i ? "rtnetlink routes6" : "rtnetlink routes");
	}
	if (r != CUST_OK) {
		json_decref(d.rows);
		return r;
	}
	*rows = d.rows;
	return CUST_OK;
}

/* ------------------------------------------------------- neighbours */

static int
neighmsg(void *arg, const struct nlmsghdr *h, const void *p, size_t n)
{
	struct dump *d = arg;
	const struct rtattr *tb[NDA_MAX + 1];
	struct ndmsg m;
	struct cust_row w;

	if (h->nlmsg_type != RTM_NEWNEIGH)
		return CUST_OK;
	if (n < sizeof(m) || !attrs(p, n, sizeof(m), tb, NDA_MAX))
		return malformed(d, "neighbour");
	memcpy(&m, p, sizeof(m));
	if (m.ndm_family != d->af)
		return CUST_OK;
	cust_row_begin(&w);
	cust_row_set(&w, "family", family(m.ndm_family));
	cust_row_set(&w, "ifindex", json_integer(m.ndm_ifindex));
	cust_row_set(&w, "address", ipaddr(m.ndm_family, tb[NDA_DST]));
	cust_row_set(&w, "mac", lladdr(tb[NDA_LLADDR]));
	cust_row_set(&w, "state", cust_json_bits(m.ndm_state, nud,
	    NELEM(nud)));
	cust_row_set(&w, "router", json_boolean(m.ndm_flags & NTF_ROUTER));
	cust_row_set(&w, "proxy", json_boolean(m.ndm_flags & NTF_PROXY));
	return cust_row_done(d->ctx, &w, d->rows);
}

int
cust_live_neighbours(struct cust_ctx *ctx, json_t **rows)
{
	struct dump d = { ctx, NULL, 0 };
	int r = CUST_OK;

	*rows = NULL;
	if ((d.rows = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "neighbours");
	for (int i = 0; r == CUST_OK && i < 2; i++) {
		struct ndmsg req = { .ndm_family = i ? AF_INET6 : AF_INET };

		d.af = req.ndm_family;
		r = dump(&d, RTM_GETNEIGH, &req, sizeof(req), neighmsg,
		    i ? "rtnetlink neighbours6" : "rtnetlink neighbours");
	}
	if (r != CUST_OK) {
		json_decref(d.rows);
		return r;
	}
	*rows = d.rows;
	return CUST_OK;
}
