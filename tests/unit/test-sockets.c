/*
 * test-sockets.c: the sockets of this network namespace through netlink
 * sock_diag and through /proc/net, and the cross-view of the two.  The
 * test opens its own sockets (a listening TCP socket and a UDP socket on
 * 127.0.0.1, a listening unix socket): each must appear in both views
 * with the inode that fstat gives its descriptor, with the same keys; the
 * two views of the host must not disagree; and a /proc/net view with one
 * of the test's sockets taken out must give exactly that finding.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "live/sources.h"
#include "harness.h"

static struct cust_ctx *ctx;
static int tcp, udp, ux, bound, procfd;
static ino_t tcp_ino, udp_ino, ux_ino;
static int tcp_port, udp_port;

static ino_t
inode_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

/* A socket of TYPE bound to 127.0.0.1 on a free port; the port. */
static int
inet_socket(int type, int *portp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*portp = ntohs(sa.sin_port);
	return fd;
}

static void
setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int port;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	tcp = inet_socket(SOCK_STREAM, &tcp_port);
	ck_assert_int_eq(listen(tcp, 1), 0);
	/* bound, not listening: shown by neither view (sock_diag only when
	 * asked for TCP_BOUND_INACTIVE), so no finding either */
	bound = inet_socket(SOCK_STREAM, &port);
	udp = inet_socket(SOCK_DGRAM, &udp_port);
	ck_assert_int_ge(ux = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path("sock"));
	ck_assert_int_eq(bind(ux, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(ux, 1), 0);
	tcp_ino = inode_of(tcp);
	udp_ino = inode_of(udp);
	ux_ino = inode_of(ux);
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(procfd, 0);
}

static void
teardown(void)
{
	close(procfd);
	close(bound);
	close(ux);
	close(udp);
	close(tcp);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* The one row of ROWS with PROTOCOL and INODE; fails without it. */
static json_t *
row(json_t *rows, const char *protocol, ino_t ino)
{
	json_t *v, *found = NULL;
	size_t i;

	json_array_foreach(rows, i, v) {
		if (json_integer_value(json_object_get(v, "inode")) !=
		    (json_int_t)ino || strcmp(json_string_value(
		    json_object_get(v, "protocol")), protocol) != 0)
			continue;
		ck_assert_msg(found == NULL, "%s inode %ju twice", protocol,
		    (uintmax_t)ino);
		found = v;
	}
	ck_assert_msg(found != NULL, "%s inode %ju not listed", protocol,
	    (uintmax_t)ino);
	return found;
}

static const char *
s(json_t *r, const char *k)
{
	return json_string_value(json_object_get(r, k));
}

static json_int_t
i(json_t *r, const char *k)
{
	return json_integer_value(json_object_get(r, k));
}

/* The test's three sockets are in ROWS, as they are. */
static void
has_ours(json_t *rows, bool uid_of_unix)
{
	json_t *r;

	r = row(rows, "tcp", tcp_ino);
	ck_assert_str_eq(s(r, "family"), "inet");
	ck_assert_str_eq(s(r, "state"), "LISTEN");
	ck_assert_str_eq(s(r, "local_address"), "127.0.0.1");
	ck_assert_int_eq(i(r, "local_port"), tcp_port);
	ck_assert_str_eq(s(r, "remote_address"), "0.0.0.0");
	ck_assert_int_eq(i(r, "uid"), getuid());
	r = row(rows, "udp", udp_ino);
	ck_assert_str_eq(s(r, "type"), "dgram");
	ck_assert_str_eq(s(r, "state"), "CLOSE");
	ck_assert_str_eq(s(r, "local_address"), "127.0.0.1");
	ck_assert_int_eq(i(r, "local_port"), udp_port);
	r = row(rows, "unix", ux_ino);
	ck_assert_str_eq(s(r, "type"), "stream");
	ck_assert_str_eq(s(r, "state"), "LISTEN");
	ck_assert_str_eq(s(r, "path"), path("sock"));
	ck_assert(json_is_null(json_object_get(r, "local_address")));
	if (uid_of_unix)
		ck_assert_int_eq(i(r, "uid"), getuid());
	else
		ck_assert(json_is_null(json_object_get(r, "uid")));
}

/* Every row of ROWS has exactly the keys of the first. */
static void
same_keys(json_t *rows, json_t *other)
{
	json_t *first = json_array_get(rows, 0), *v;
	size_t n;

	ck_assert_ptr_nonnull(first);
	json_array_foreach(other, n, v) {
		const char *k;
		json_t *x;

		ck_assert_uint_eq(json_object_size(v), json_object_size(first));
		json_object_foreach(v, k, x)
			ck_assert_msg(json_object_get(first, k) != NULL,
			    "key %s", k);
	}
}

START_TEST(sock_diag_lists_the_tests_sockets_with_their_inodes)
{
	json_t *rows = NULL;
	int r = cust_live_sockets(ctx, procfd, &rows);

	/* this kernel may lack raw_diag: a warning that names it */
	ck_assert_msg(r == CUST_OK || r == CUST_WARN, "%s",
	    cust_ctx_error(ctx));
	if (r == CUST_WARN)
		ck_assert_ptr_nonnull(strstr(cust_ctx_error(ctx),
		    "not in this kernel"));
	has_ours(rows, true);
	ck_assert_str_eq(s(row(rows, "tcp", tcp_ino), "source"), "sock_diag");
	same_keys(rows, rows);
	json_decref(rows);
}
END_TEST

START_TEST(proc_net_lists_them_with_the_same_keys)
{
	json_t *rows = NULL, *diag = NULL;

	ck_assert_int_eq(cust_live_proc_net(ctx, procfd, &rows), CUST_OK);
	has_ours(rows, false);
	ck_assert_str_eq(s(row(rows, "udp", udp_ino), "source"), "proc_net");
	cust_live_sockets(ctx, procfd, &diag);
	same_keys(diag, rows);
	json_decref(diag);
	json_decref(rows);
}
END_TEST

START_TEST(the_two_views_of_this_host_agree)
{
	json_t *diag = NULL, *proc = NULL, *f = NULL;

	cust_live_sockets(ctx, procfd, &diag);
	ck_assert_ptr_nonnull(diag);
	ck_assert_int_eq(cust_live_proc_net(ctx, procfd, &proc), CUST_OK);
	ck_assert_int_eq(cust_live_sockets_crossview(ctx, diag, proc, &f),
	    CUST_OK);
	ck_assert_msg(json_array_size(f) == 0, "%s", json_dumps(f, 0));
	json_decref(f);
	json_decref(proc);
	json_decref(diag);
}
END_TEST

/* A /proc/net that hides the test's TCP socket, as a rootkit's hook of
 * tcp4_seq_show would. */
START_TEST(hiding_one_from_proc_net_is_exactly_one_finding)
{
	json_t *diag = NULL, *proc = NULL, *f = NULL, *v;
	size_t n;

	cust_live_sockets(ctx, procfd, &diag);
	ck_assert_int_eq(cust_live_proc_net(ctx, procfd, &proc), CUST_OK);
	json_array_foreach(proc, n, v)
		if (v == row(proc, "tcp", tcp_ino))
			break;
	ck_assert_int_eq(json_array_remove(proc, n), 0);
	ck_assert_int_eq(cust_live_sockets_crossview(ctx, diag, proc, &f),
	    CUST_OK);
	ck_assert_uint_eq(json_array_size(f), 1);
	v = json_array_get(f, 0);
	ck_assert_str_eq(s(v, "view"), "sock_diag_only");
	ck_assert_str_eq(s(v, "protocol"), "tcp");
	ck_assert_int_eq(i(v, "inode"), (json_int_t)tcp_ino);
	ck_assert_int_eq(i(v, "local_port"), tcp_port);
	ck_assert_str_eq(s(v, "confirmed_by"), "sock_diag re-read");
	json_decref(f);
	json_decref(proc);
	json_decref(diag);
}
END_TEST

/* A socket only one view saw, and that is gone by the time it is
 * checked (closed between the reads), is no finding. */
START_TEST(a_socket_closed_between_the_reads_is_no_finding)
{
	json_t *diag = NULL, *proc = NULL, *f = NULL;
	ino_t gone;
	int fd, port;

	fd = inet_socket(SOCK_DGRAM, &port);
	gone = inode_of(fd);
	cust_live_sockets(ctx, procfd, &diag);
	row(diag, "udp", gone);
	close(fd);
	ck_assert_int_eq(cust_live_proc_net(ctx, procfd, &proc), CUST_OK);
	ck_assert_int_eq(cust_live_sockets_crossview(ctx, diag, proc, &f),
	    CUST_OK);
	ck_assert_msg(json_array_size(f) == 0, "%s", json_dumps(f, 0));
	json_decref(f);
	json_decref(proc);
	json_decref(diag);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *su = suite_create("sockets");
	TCase *tc = tcase_create("views");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sock_diag_lists_the_tests_sockets_with_their_inodes);
	tcase_add_test(tc, proc_net_lists_them_with_the_same_keys);
	tcase_add_test(tc, the_two_views_of_this_host_agree);
	tcase_add_test(tc, hiding_one_from_proc_net_is_exactly_one_finding);
	tcase_add_test(tc, a_socket_closed_between_the_reads_is_no_finding);
	suite_add_tcase(su, tc);
	return su;
}
