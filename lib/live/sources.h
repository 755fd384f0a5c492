/*
 * sources.h: the sources of the live state (issue 22) that lib/live/
 * reads from the kernel's own interfaces and from a root's files:
 * sockets through netlink sock_diag and through /proc/net, interfaces,
 * routes and neighbours through rtnetlink, eBPF programs through bpf(2),
 * logins from utmp/wtmp/btmp/lastlog, and the Debian package database
 * against the files on disk.  These sources use base/ and format/ only
 * (and their private helpers in live/util.h); they run no host program
 * and never print.  The rest of lib/live/ (live.h) drives them.
 *
 * Each function returns CUST_OK with *ROWS (or *FINDINGS) a new JSON
 * array of objects owned by the caller; or a negative status with the
 * ctx's error set and *ROWS NULL.  CUST_WARN means the array is there but
 * incomplete, for the reason in the ctx's error, which the caller records.
 *
 * Every row of one table has all of its keys; a key that does not apply
 * (or that one view cannot see) is null.  Names and paths are raw bytes
 * escaped as stored names are (cust_escape: '%', '^', controls and bytes
 * of invalid UTF-8 become "^XX").  Times are UTC, "YYYY-MM-DDThh:mm:ss.
 * nnnnnnnnnZ".
 *
 * sockets (cust_live_sockets, cust_live_proc_net), one per socket:
 *   family          "inet", "inet6", "unix" or "packet"
 *   protocol        "tcp", "udp", "raw", "unix" or "packet"
 *   type            "stream", "dgram", "seqpacket" or "raw"
 *   state           TCP state name ("LISTEN", "ESTABLISHED", "CLOSE",
 *                   "TIME_WAIT", ...; unix sockets use LISTEN,
 *                   ESTABLISHED, CLOSE); null for packet
 *   local_address   IP text; null for unix and packet
 *   local_port      number (raw: the IP protocol); null for unix, packet
 *   remote_address, remote_port   as local_
 *   uid             owner; null for unix in /proc/net (not shown there)
 *   inode           socket inode (0 for TIME_WAIT and request sockets)
 *   path            unix: bound name, abstract names as "@name"; or null
 *   peer_inode      unix: the peer's inode (sock_diag only) or null
 *   ifindex         packet: bound interface index (0: any) or null
 *   ethertype       packet: the protocol it receives, or null
 *   source          "sock_diag" or "proc_net"
 * A TCP socket bound but neither listening nor connected is in neither
 * view (/proc/net never shows one).
 *
 * socket cross-view findings (cust_live_sockets_crossview):
 *   view            "sock_diag_only" (hidden from /proc/net) or
 *                   "proc_net_only" (hidden from netlink)
 *   protocol, family, inode, local_address, local_port, remote_address,
 *   remote_port, path, state   copied from the socket's row
 *   confirmed_by    "sock_diag and /proc/net re-read": how the finding
 *                   was confirmed (sockview.c)
 *
 * interfaces (cust_live_interfaces):
 *   name, index, mac (xx:xx:..., or null), broadcast (link-layer, or
 *   null), type (ARPHRD number), flags (array of IFF_ names: "UP",
 *   "BROADCAST", "LOOPBACK", "PROMISC", ...), promiscuous (bool: the
 *   PROMISC flag, or anything holding it promiscuous), promiscuity (the
 *   kernel's count of holders: a packet socket's membership shows here
 *   and not in the flags), mtu,
 *   operstate ("UP", "DOWN", "UNKNOWN", ...), master (index or null),
 *   kind (rtnetlink link kind: "veth", "bridge", ... or null),
 *   addresses: array of { family ("inet"/"inet6"), address, prefixlen,
 *   scope ("universe", i.e. global, "site", "link", "host", "nowhere" or
 *   a number), label (IPv4 only, or null) }
 *
 * routes (cust_live_routes):
 *   family, table (number), table_name ("main", "local", "default" or
 *   null), type ("unicast", "local", "broadcast", "blackhole",
 *   "unreachable", "prohibit", ...), destination ("addr/len", "default"
 *   for a zero-length prefix), gateway (or null), oif (interface index or
 *   null), prefsrc (or null), priority (metric or null), protocol
 *   ("kernel", "boot", "static", "dhcp", "ra", ... or a number), scope
 *   ("universe", "link", "host", ... or a number)
 *
 * neighbours (cust_live_neighbours):
 *   family, ifindex, address, mac (or null), state (array: "INCOMPLETE",
 *   "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP",
 *   "PERMANENT"), router (bool), proxy (bool)
 *
 * bpf programs (cust_live_bpf_programs):
 *   id, type ("socket_filter", "kprobe", "xdp", ... or "type N"), name,
 *   tag (16 hex digits), loaded_at (UTC), uid, map_ids (array of
 *   numbers), gpl_compatible (bool), btf_id (or null), jited (bool)
 *
 * logins (cust_live_logins), one per utmp/wtmp/btmp record and per
 * lastlog entry that holds a time:
 *   source   "utmp", "wtmp", "btmp" or "lastlog"
 *   type     "EMPTY", "RUN_LVL", "BOOT_TIME", "NEW_TIME", "OLD_TIME",
 *            "INIT_PROCESS", "LOGIN_PROCESS", "USER_PROCESS",
 *            "DEAD_PROCESS", "ACCOUNTING", "LASTLOG", or "type N"
 *   user, tty, id (inittab id), host   (null when empty)
 *   pid, session (null for lastlog), uid (lastlog: its index; else null)
 *   time     UTC
 *   address  IPv4/IPv6 text from ut_addr_v6, or null when all zero
 *   exit     { termination, exit } for DEAD_PROCESS, else null
 *
 * dpkg findings (cust_live_dpkg_check), one per modified package file:
 *   package, path ("/usr/bin/x", as the package ships it), checked (the
 *   path read: the diverted name when another package diverts it),
 *   problem ("modified", "missing", "not a regular file", or
 *   "unreadable: REASON"), expected_md5, actual_md5 (or null)
 */
#ifndef CUSTODY_LIVE_SOURCES_H
#define CUSTODY_LIVE_SOURCES_H

#include "format/format.h"

/*
 * Every socket of the collector's network namespace, as netlink
 * NETLINK_SOCK_DIAG gives it: inet_diag for TCP, UDP and raw over IPv4 and
 * IPv6, unix_diag, packet_diag.  A protocol this kernel cannot dump
 * (raw_diag not built) gives no rows and CUST_WARN naming it.  PROCFD is
 * unused (it is there so that both views are called alike).
 */
int	cust_live_sockets(struct cust_ctx *, int procfd, json_t **rows);
/* The same objects from PROCFD's net/{tcp,tcp6,udp,udp6,raw,raw6,unix,
 * packet}; a file that is not there (no IPv6) gives no rows. */
int	cust_live_proc_net(struct cust_ctx *, int procfd, json_t **rows);
/*
 * The same, with DIAG (cust_live_sockets' rows, borrowed; or NULL) naming
 * the unix sockets whose names hold a newline: /proc/net/unix prints a
 * name as it is, so such a name's lines are read as its name and not as
 * records it could forge (procnet.c).
 */
int	cust_live_proc_net_named(struct cust_ctx *, int procfd,
	    const json_t *diag, json_t **rows);
/*
 * Sockets in one view and not in the other, keyed by protocol and inode
 * (by protocol and addresses when the inode is 0).  DIAG must have been
 * read before PROCNET.  A difference is a finding only when it is
 * confirmed by reading again (see sockview.c): sock_diag, and the
 * running kernel's /proc/net (/proc, three more times for a socket only
 * sock_diag showed); so no socket that opened or closed between the two
 * reads, or that a seq_file skipped, is taken for a hidden one.  Both
 * views are of the caller's network namespace.
 */
int	cust_live_sockets_crossview(struct cust_ctx *, const json_t *diag,
	    const json_t *procnet, json_t **findings);
/* Interfaces with their addresses (rtnetlink RTM_GETLINK, RTM_GETADDR). */
int	cust_live_interfaces(struct cust_ctx *, json_t **rows);
/* Routes of every table, IPv4 and IPv6 (RTM_GETROUTE). */
int	cust_live_routes(struct cust_ctx *, json_t **rows);
/* The neighbour tables: ARP and NDP (RTM_GETNEIGH). */
int	cust_live_neighbours(struct cust_ctx *, json_t **rows);
/*
 * Loaded eBPF programs (bpf(2)).  Without the privilege to list them
 * (EPERM, refused at the first call): CUST_WARN with an empty array and
 * "bpf programs: not listed (needs CAP_SYS_ADMIN): ..." in the ctx's
 * error, which the caller records as a note, not a failure.
 */
int	cust_live_bpf_programs(struct cust_ctx *, json_t **rows);
/*
 * Login records under ROOTFD: run/utmp, var/log/wtmp, var/log/btmp and
 * var/log/lastlog, read without following any symbolic link; a file that
 * is not there gives no rows.  A file with more than CUST_LOGIN_MAX
 * records gives its first ones and CUST_WARN.
 */
#define CUST_LOGIN_MAX	200000
int	cust_live_logins(struct cust_ctx *, int rootfd, json_t **rows);
/*
 * Debian's package database under ROOTFD against the files: every
 * executable and library that a var/lib/dpkg/info/PKG.md5sums lists
 * (regular files under /bin, /sbin, /usr/bin, /usr/sbin, any /lib*,
 * /usr/lib* that have an execute bit, and any "*.so" or "*.so.N...") whose
 * MD5 differs, or that is missing.  Conffiles are left out; a file that
 * another package diverts (var/lib/dpkg/diversions) is checked at its
 * diverted name.  Everything resolves inside ROOTFD.  No dpkg database:
 * CUST_FAILED with ENOENT.
 */
int	cust_live_dpkg_check(struct cust_ctx *, int rootfd, json_t **findings);

#endif /* CUSTODY_LIVE_SOURCES_H */
