/*
 * test-live.c: the live layer's joins and cross-views on known input:
 * a socket this test holds gets this process's pid from the process
 * table; a module in one view and not the other is a finding, a built-in
 * one is not; taint bits decode by name; the process table marks this
 * process as alive and not a kernel thread.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "live/live.h"
#include "harness.h"

static struct cust_ctx *ctx;
static int procfd = -1;

static int
discard(void *arg, const char *rel, const char *src, const void *buf,
    size_t n)
{
	(void)arg, (void)rel, (void)src, (void)buf, (void)n;
	return CUST_OK;
}

static int
discard_fd(void *arg, const char *rel, const char *src, int fd)
{
	(void)arg, (void)rel, (void)src;
	close(fd);
	return CUST_OK;
}

static const struct cust_live_out out = { discard, discard_fd, NULL };

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(procfd, 0);
}

static void
teardown(void)
{
	close(procfd);
	cust_ctx_free(ctx);
}

static json_t *
row_of(json_t *rows, json_int_t pid)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
		if (json_integer_value(json_object_get(row, "pid")) == pid)
			return row;
	return NULL;
}

START_TEST(socket_rows_get_their_owner_pid)
{
	struct cust_live_procs *ps = NULL;
	json_t *rows = NULL, *socks, *pids;
	struct stat st;
	size_t blobs;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fstat(sv[0], &st), 0);
	ck_assert_int_eq(cust_live_processes(ctx, procfd, &out, &ps, &rows,
	    &blobs), CUST_OK);
	socks = json_pack("[{s:I}, {s:I}, {s:s}]", "inode",
	    (json_int_t)st.st_ino, "inode", (json_int_t)1, "other", "x");
	ck_assert_int_eq(cust_live_socket_owners(ctx, socks, ps), CUST_OK);
	pids = json_object_get(json_array_get(socks, 0), "pids");
	ck_assert_uint_eq(json_array_size(pids), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(pids, 0)),
	    getpid());
	ck_assert_uint_eq(json_array_size(json_object_get(
	    json_array_get(socks, 1), "pids")), 0);
	ck_assert_ptr_null(json_object_get(json_array_get(socks, 2), "pids"));
	json_t *me = row_of(rows, getpid());
	ck_assert_ptr_nonnull(me);
	ck_assert(json_is_false(json_object_get(me, "gone")));
	ck_assert(json_is_false(json_object_get(me, "kernel_thread")));
	json_decref(socks);
	json_decref(rows);
	cust_live_procs_free(ps);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(a_module_in_one_view_only_is_a_finding)
{
	json_t *proc = json_pack("[{s:s}, {s:s}]", "name", "ext4", "name",
	    "ghost");
	json_t *sys = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s}]", "name",
	    "ext4", "initstate", "live", "name", "hidden", "initstate",
	    "live", "name", "builtin");
	json_t *found = NULL;

	ck_assert_int_eq(cust_live_modules_crossview(ctx, proc, sys, &found),
	    CUST_OK);
	ck_assert_uint_eq(json_array_size(found), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(found, 0), "module")), "hidden");
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(found, 1), "module")), "ghost");
	json_decref(found);
	json_decref(proc);
	json_decref(sys);
}
END_TEST

START_TEST(taint_bits_decode_by_name)
{
	json_t *a = cust_live_taint_flags((1ull << 0) | (1ull << 12) |
	    (1ull << 40));

	ck_assert_uint_eq(json_array_size(a), 3);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)),
	    "P proprietary module");
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)),
	    "O out-of-tree module");
	ck_assert_str_eq(json_string_value(json_array_get(a, 2)), "bit 40");
	json_decref(a);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("live");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, socket_rows_get_their_owner_pid);
	tcase_add_test(tc, a_module_in_one_view_only_is_a_finding);
	tcase_add_test(tc, taint_bits_decode_by_name);
	suite_add_tcase(s, tc);
	return s;
}
