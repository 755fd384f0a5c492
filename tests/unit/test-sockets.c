/*
 * test-sockets.c: the sockets of this network namespace through netlink
 * sock_diag and through /proc/net, and the cross-view of the two.  The
 * test opens its own sockets (a listening TCP socket and a UDP socket on
 * 127.0.0.1, a listening unix socket): each must appear in both views
 * with the inode that fstat gives its descriptor, with the same keys; the
 * two views of the host must not disagree; and a /proc/net view with one
 * of the test's sockets taken out must give exactly that finding.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "live/sources.h"
#include "harness.h"

static struct cust_ctx *ctx;
static int tcp, udp, ux, bound, procfd;
static ino_t tcp_ino, udp_ino, ux_ino;
static int tcp_port, udp_port;

/* The whole of file P, NUL-terminated (the caller frees it). */
static unsigned char *
slurp_abs(const char *p, size_t *np)
{
	struct cust_ctx *c;
	char *buf = NULL;

	ck_assert_int_eq(cust_ctx_new(&c), CUST_OK);
	ck_assert_int_eq(cust_read_file(c, p, 1 << 26, &buf, np), CUST_OK);
	cust_ctx_free(c);
	return (unsigned char *)buf;
}

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

/* The text of /proc/net/NAME, without the line of socket INODE. */
static char *
net_text(const char *name, ino_t inode)
{
	char file[64], word[32], *text, *line, *nl;
	size_t n, w;

	snprintf(file, sizeof(file), "/proc/net/%s", name);
	ck_assert_ptr_nonnull(text = (char *)slurp_abs(file, &n));
	w = (size_t)snprintf(word, sizeof(word), " %ju ", (uintmax_t)inode);
	for (line = text; *line != '\0'; line = nl) {
		nl = line + strcspn(line, "\n") + 1;
		if (memmem(line, (size_t)(nl - line), word, w) == NULL)
			continue;
		memmove(line, nl, strlen(nl) + 1);
		break;
	}
	return text;
}

/*
 * In a mount namespace of its own, /proc becomes a tmpfs whose net/
 * holds the host's text without the test's TCP socket, as a rootkit's
 * hook of tcp4_seq_show would show it; everything reads that /proc.
 * The child's exit status says how it went.
 */
static int
hidden_child(void)
{
	static const char *const names[] = {
		"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix", "packet",
	};
	char *text[NELEM(names)];
	json_t *diag = NULL, *proc = NULL, *f = NULL, *v;
	int fd;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 77;		/* not allowed here */
	cust_live_sockets(ctx, -1, &diag);
	for (size_t k = 0; k < NELEM(names); k++)
		text[k] = net_text(names[k], tcp_ino);
	if (mount("tmpfs", "/proc", "tmpfs", 0, NULL) != 0 ||
	    mkdir("/proc/net", 0755) != 0)
		return 10;
	for (size_t k = 0; k < NELEM(names); k++) {
		char file[64];

		snprintf(file, sizeof(file), "/proc/net/%s", names[k]);
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0444);
		if (fd < 0 || write(fd, text[k], strlen(text[k])) < 0)
			return 11;
		close(fd);
	}
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cust_live_proc_net(ctx, fd, &proc) != CUST_OK ||
	    cust_live_sockets_crossview(ctx, diag, proc, &f) != CUST_OK)
		return 12;
	if (json_array_size(f) != 1)
		return 13;
	v = json_array_get(f, 0);
	if (strcmp(s(v, "view"), "sock_diag_only") != 0 ||
	    strcmp(s(v, "protocol"), "tcp") != 0 ||
	    i(v, "inode") != (json_int_t)tcp_ino ||
	    i(v, "local_port") != tcp_port)
		return 14;
	return 0;
}

START_TEST(one_hidden_from_proc_net_is_exactly_one_finding)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0)
		_exit(hidden_child());
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77 && geteuid() != 0)
		return;		/* needs root for a mount namespace */
	ck_assert_msg(WEXITSTATUS(st) == 0, "hidden_child: %d",
	    WEXITSTATUS(st));
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
	tcase_add_test(tc, one_hidden_from_proc_net_is_exactly_one_finding);
	tcase_add_test(tc, a_socket_closed_between_the_reads_is_no_finding);
	suite_add_tcase(su, tc);
	return su;
}
