/*
 * test-bpf.c: the eBPF programs through bpf(2).  Unprivileged (a child
 * that gives up root), listing is not allowed: an empty table and a
 * warning that says why, no failure, no crash.  As root, a socket filter
 * that the test loads itself must be listed with its type, name, owner,
 * a 16-digit tag and a load time of now.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <check.h>

#include "live/sources.h"
#include "harness.h"

static struct cust_ctx *ctx;
static json_t *rows;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	rows = NULL;
}

static void
teardown(void)
{
	json_decref(rows);
	cust_ctx_free(ctx);
}

/* "r0 = 0; exit", a socket filter named NAME: its fd, or -1. */
static int
load(const char *name)
{
	struct bpf_insn insn[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)insn;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"GPL";
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

/* The time now, UTC, "YYYY-MM-DDThh:mm:ss". */
static void
stamp(char out[32])
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

START_TEST(unprivileged_is_an_empty_table_and_a_note)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		int r;

		if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		r = cust_live_bpf_programs(ctx, &rows);
		if (r != CUST_WARN || rows == NULL ||
		    json_array_size(rows) != 0)
			_exit(1);
		if (strcmp(cust_ctx_error(ctx), "bpf programs: not listed "
		    "(needs CAP_SYS_ADMIN): Operation not permitted") != 0)
			_exit(2);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
}
END_TEST

START_TEST(as_root_a_loaded_program_is_listed)
{
	const json_t *v, *mine = NULL;
	char before[32], after[32], at[20];
	size_t i;
	int fd, r;

	stamp(before);
	if (geteuid() != 0 || (fd = load("custody_test")) < 0) {
		/* not root, or no eBPF here: only that listing does not
		 * crash and says why when it cannot */
		r = cust_live_bpf_programs(ctx, &rows);
		ck_assert(r == CUST_OK || r == CUST_WARN);
		ck_assert_ptr_nonnull(rows);
		return;
	}
	ck_assert_msg(cust_live_bpf_programs(ctx, &rows) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	close(fd);
	stamp(after);
	json_array_foreach(rows, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    "custody_test") == 0)
			mine = v;
	ck_assert_ptr_nonnull(mine);
	ck_assert_str_eq(json_string_value(json_object_get(mine, "type")),
	    "socket_filter");
	ck_assert_int_eq(json_integer_value(json_object_get(mine, "uid")), 0);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(mine,
	    "tag"))), 16);
	ck_assert_uint_eq(json_array_size(json_object_get(mine, "map_ids")),
	    0);
	/* loaded while the test ran, to the second, in UTC */
	memcpy(at, json_string_value(json_object_get(mine, "loaded_at")), 19);
	at[19] = '\0';
	ck_assert_msg(strcmp(before, at) <= 0 && strcmp(at, after) <= 0,
	    "%s not in [%s, %s]", at, before, after);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *su = suite_create("bpf");
	TCase *tc = tcase_create("bpf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unprivileged_is_an_empty_table_and_a_note);
	tcase_add_test(tc, as_root_a_loaded_program_is_listed);
	suite_add_tcase(su, tc);
	return su;
}
