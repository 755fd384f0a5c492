/*
 * bpf.c: the eBPF programs loaded in the kernel, listed through bpf(2)
 * itself (BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID,
 * BPF_OBJ_GET_INFO_BY_FD) rather than bpftool: a rootkit that hooks
 * syscalls or hides sockets with eBPF shows up here with its type, name,
 * tag (the hash of its instructions), load time and owner.  Listing needs
 * CAP_SYS_ADMIN: without it the table is empty and the caller is told
 * why (CUST_WARN), which is a note, not a failure.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "live/sources.h"
#include "live/util.h"

#define MAPS_MAX	4096	/* map ids kept per program */

static const char *const types[] = {
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act",
	"tracepoint", "xdp", "perf_event", "cgroup_skb", "cgroup_sock",
	"lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb",
	"cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr",
	"lwt_seg6local", "lirc_mode2", "sk_reuseport", "flow_dissector",
	"cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt",
	"tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall",
	"netfilter",
};

static long
sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* The next program id after ID: 0 at the end, -1 with errno. */
static long
next_id(uint32_t id, uint32_t *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.start_id = id;
	if (sys_bpf(BPF_PROG_GET_NEXT_ID, &a) != 0)
		return errno == ENOENT ? 0 : -1;
	*next = a.next_id;
	return 1;
}

static int
getinfo(int fd, struct bpf_prog_info *info, uint32_t *maps, uint32_t nmaps)
{
	union bpf_attr a;

	memset(info, 0, sizeof(*info));
	info->nr_map_ids = nmaps;
	info->map_ids = (uint64_t)(uintptr_t)maps;
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uint64_t)(uintptr_t)info;
	return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

static json_t *
mapids(const uint32_t *maps, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_integer(maps[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The realtime of the boot, in ns, to place load_time (ns since boot). */
static int64_t
boot_ns(void)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (real.tv_sec - boot.tv_sec) * 1000000000LL +
	    (real.tv_nsec - boot.tv_nsec);
}

static int
row(struct cust_ctx *ctx, const struct bpf_prog_info *in,
    const uint32_t *maps, int64_t boot, json_t *rows)
{
	int64_t at = boot + (int64_t)in->load_time;
	char tag[2 * BPF_TAG_SIZE + 1];
	struct cust_row w;

	cust_hex(in->tag, BPF_TAG_SIZE, tag);
	cust_row_begin(&w);
	cust_row_set(&w, "id", json_integer(in->id));
	cust_row_set(&w, "type", in->type < NELEM(types) ?
	    json_string(types[in->type]) : json_sprintf("type %u", in->type));
	cust_row_set(&w, "name", cust_json_field(in->name, sizeof(in->name)));
	cust_row_set(&w, "tag", json_string(tag));
	cust_row_set(&w, "loaded_at", cust_json_time(at / 1000000000,
	    (long)(at % 1000000000)));
	cust_row_set(&w, "uid", json_integer(in->created_by_uid));
	cust_row_set(&w, "map_ids", mapids(maps, in->nr_map_ids < MAPS_MAX ?
	    in->nr_map_ids : MAPS_MAX));
	cust_row_set(&w, "gpl_compatible", json_boolean(in->gpl_compatible));
	cust_row_set(&w, "btf_id", in->btf_id != 0 ?
	    json_integer(in->btf_id) : json_null());
	cust_row_set(&w, "jited", json_boolean(in->jited_prog_len > 0));
	return cust_row_done(ctx, &w, rows);
}

/* Program ID: a row, nothing when it was unloaded meanwhile, -1 and
 * errno when not allowed. */
static int
program(struct cust_ctx *ctx, uint32_t id, uint32_t *maps, int64_t boot,
    json_t *rows)
{
	struct bpf_prog_info info;
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	if ((fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a)) < 0)
		return errno == ENOENT ? CUST_OK : -1;
	if (getinfo(fd, &info, maps, MAPS_MAX) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return e == ENOENT ? CUST_OK : -1;
	}
	close(fd);
	return row(ctx, &info, maps, boot, rows);
}

static int
list(struct cust_ctx *ctx, json_t *rows)
{
	uint32_t id = 0, *maps;
	int64_t boot = boot_ns();
	long k;
	int r = CUST_OK;

	if ((maps = calloc(MAPS_MAX, sizeof(*maps))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "bpf");
	while (r == CUST_OK && (k = next_id(id, &id)) > 0)
		r = program(ctx, id, maps, boot, rows);
	if (r == CUST_OK && k < 0)
		r = -1;
	if (r == -1)
		r = errno == EPERM || errno == EACCES ?
		    cust_set_error(ctx, errno, CUST_WARN,
		    "bpf programs: not listed (needs CAP_SYS_ADMIN)") :
		    cust_set_error(ctx, errno, CUST_FAILED, "bpf programs");
	free(maps);
	return r;
}

int
cust_live_bpf_programs(struct cust_ctx *ctx, json_t **rows)
{
	json_t *a;
	int r;

	*rows = NULL;
	if ((a = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "bpf");
	/* not allowed: what was listed before (usually nothing) stays */
	r = list(ctx, a);
	if (r != CUST_OK && r != CUST_WARN) {
		json_decref(a);
		return r;
	}
	*rows = a;
	return r;
}
