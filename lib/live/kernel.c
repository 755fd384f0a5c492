/*
 * kernel.c: the kernel's own view of itself: loaded modules twice
 * (/proc/modules and /sys/module, compared for hidden modules), taint
 * flags decoded, version, command line, uptime, boot id, a chosen set of
 * security-relevant sysctls, and the host's mount table (pid 1's: the
 * collector itself runs in a private, read-only mount namespace).
 */
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/live.h"

/* Security-relevant sysctls: hardening a rootkit or an intruder turns off
 * (module loading, kernel pointers, ptrace, BPF, core dumps, forwarding). */
static const char *const sysctls[] = {
	"kernel/modules_disabled", "kernel/kptr_restrict",
	"kernel/dmesg_restrict", "kernel/perf_event_paranoid",
	"kernel/randomize_va_space", "kernel/yama/ptrace_scope",
	"kernel/unprivileged_bpf_disabled", "kernel/kexec_load_disabled",
	"kernel/sysrq", "kernel/core_pattern", "kernel/panic_on_oops",
	"kernel/unprivileged_userns_clone", "net/core/bpf_jit_enable",
	"net/core/bpf_jit_harden", "net/ipv4/ip_forward",
	"net/ipv6/conf/all/forwarding", "net/ipv4/conf/all/rp_filter",
	"net/ipv4/conf/all/accept_redirects",
	"net/ipv4/conf/all/accept_source_route", "net/ipv4/tcp_syncookies",
	"fs/protected_symlinks", "fs/protected_hardlinks",
	"fs/protected_fifos", "fs/protected_regular", "fs/suid_dumpable",
	"vm/mmap_min_addr", "user/max_user_namespaces",
};

/* Documentation/admin-guide/tainted-kernels.rst, bit by bit. */
static const char *const taints[] = {
	"P proprietary module", "F module force-loaded",
	"S out of specification system", "R module force-unloaded",
	"M machine check", "B bad page", "U user request",
	"D kernel died (oops or BUG)", "A ACPI table overridden",
	"W kernel warning", "C staging driver", "I firmware workaround",
	"O out-of-tree module", "E unsigned module", "L soft lockup",
	"K live patched", "X auxiliary", "T built by struct randomization",
	"N test",
};

static int
oom(struct cust_ctx *ctx, const char *what)
{
	return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", what);
}

json_t *
cust_live_taint_flags(unsigned long long taint)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < 64; i++)
		if ((taint & (1ull << i)) && json_array_append_new(a,
		    i < sizeof(taints) / sizeof(taints[0]) ?
		    json_string(taints[i]) : json_sprintf("bit %u", i)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* "name size refcount deps, state address" */
static json_t *
module_row(char *line)
{
	char *f[6], *save, *dep, *s2;
	json_t *deps;
	int n = 0;

	for (char *t = strtok_r(line, " ", &save); t != NULL && n < 6;
	    t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 5)
		return json_pack("{s:s}", "unparsed", line);
	if ((deps = json_array()) == NULL)
		return NULL;
	for (dep = strtok_r(f[3], ",", &s2); dep != NULL;
	    dep = strtok_r(NULL, ",", &s2))
		if (strcmp(dep, "-") != 0)
			json_array_append_new(deps, json_string(dep));
	return json_pack("{s:s, s:I, s:I, s:o, s:s, s:s?}", "name", f[0],
	    "size", (json_int_t)strtoll(f[1], NULL, 10), "refcount",
	    (json_int_t)strtoll(f[2], NULL, 10), "used_by", deps, "state",
	    f[4], "address", n > 5 ? f[5] : NULL);
}

int
cust_live_modules(struct cust_ctx *ctx, int procfd, json_t **rowsp)
{
	char *s, *line, *save;
	json_t *row;
	size_t n;

	if ((*rowsp = json_array()) == NULL)
		return oom(ctx, "modules");
	if (cust_live_read(procfd, "modules", &s, &n) != 0)
		return errno == ENOENT ? CUST_OK :	/* no modules built */
		    cust_set_error(ctx, errno, CUST_FAILED, "/proc/modules");
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if ((row = module_row(line)) == NULL ||
		    json_array_append_new(*rowsp, row) != 0) {
			free(s);
			return oom(ctx, "modules");
		}
	free(s);
	return CUST_OK;
}

/* A short attribute of /sys/module/NAME, or NULL. */
static json_t *
attr(int dirfd, const char *name, const char *file)
{
	char path[512], *s;
	size_t n;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", name, file);
	if (cust_live_read(dirfd, path, &s, &n) != 0)
		return NULL;
	while (n > 0 && s[n - 1] == '\n')
		n--;
	j = cust_live_str(s, n);
	free(s);
	return j;
}

static int
sys_module(int modfd, const char *name, json_t *rows)
{
	json_t *o = json_pack("{s:s}", "name", name), *v;
	static const char *const files[] = { "initstate", "refcnt",
	    "coresize", "taint", "version", "srcversion" };

	if (o == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((v = attr(modfd, name, files[i])) != NULL)
			json_object_set_new(o, files[i], v);
	return json_array_append_new(rows, o);
}

int
cust_live_sys_modules(struct cust_ctx *ctx, int sysfd, json_t **rowsp)
{
	struct dirent *d;
	DIR *dir;
	int fd, r = CUST_OK;

	if ((*rowsp = json_array()) == NULL)
		return oom(ctx, "sys modules");
	if ((fd = openat(sysfd, "module", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || (dir = fdopendir(fd)) == NULL) {
		r = cust_set_error(ctx, errno, CUST_FAILED, "/sys/module");
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r == CUST_OK && (d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.' && sys_module(dirfd(dir), d->d_name,
		    *rowsp) != 0)
			r = oom(ctx, "sys modules");
	closedir(dir);
	return r;
}

static bool
named(const json_t *rows, const char *name)
{
	const json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		const char *n = json_string_value(json_object_get(row, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

static int
finding(json_t *out, const char *name, const char *what)
{
	return json_array_append_new(out, json_pack("{s:s, s:s, s:s}",
	    "view", "modules", "module", name, "finding", what));
}

int
cust_live_modules_crossview(struct cust_ctx *ctx, const json_t *procmods,
    const json_t *sysmods, json_t **findingsp)
{
	const json_t *row;
	const char *name;
	size_t i;
	int bad = 0;

	if ((*findingsp = json_array()) == NULL)
		return oom(ctx, "modules cross-view");
	/* A loadable module in /sys/module has an initstate; a built-in
	 * one has none and is never in /proc/modules. */
	json_array_foreach(sysmods, i, row) {
		name = json_string_value(json_object_get(row, "name"));
		if (name != NULL && json_object_get(row, "initstate") != NULL &&
		    !named(procmods, name))
			bad |= finding(*findingsp, name, "in /sys/module but "
			    "not in /proc/modules") != 0;
	}
	json_array_foreach(procmods, i, row) {
		name = json_string_value(json_object_get(row, "name"));
		if (name != NULL && !named(sysmods, name))
			bad |= finding(*findingsp, name, "in /proc/modules but "
			    "not in /sys/module") != 0;
	}
	return bad ? oom(ctx, "modules cross-view") : CUST_OK;
}

/* A /proc text, its trailing newline cut, as a string; or null. */
static json_t *
text(int dirfd, const char *path)
{
	char *s;
	size_t n;
	json_t *j;

	if (cust_live_read(dirfd, path, &s, &n) != 0)
		return json_null();
	while (n > 0 && s[n - 1] == '\n')
		n--;
	j = cust_live_str(s, n);
	free(s);
	return j;
}

static json_t *
sysctl_values(int procfd)
{
	json_t *o = json_object();
	char path[128], key[128];

	for (size_t i = 0; o != NULL && i < sizeof(sysctls) /
	    sizeof(sysctls[0]); i++) {
		snprintf(path, sizeof(path), "sys/%s", sysctls[i]);
		snprintf(key, sizeof(key), "%s", sysctls[i]);
		for (char *c = key; *c != '\0'; c++)
			if (*c == '/')
				*c = '.';
		json_object_set_new(o, key, text(procfd, path));
	}
	return o;
}

static json_t *
taint(int procfd)
{
	json_t *t = text(procfd, "sys/kernel/tainted");
	unsigned long long v;

	if (!json_is_string(t))
		return t;
	v = strtoull(json_string_value(t), NULL, 10);
	json_decref(t);
	return json_pack("{s:I, s:o}", "value", (json_int_t)v, "flags",
	    cust_live_taint_flags(v));
}

static json_t *
uptime(int procfd)
{
	json_t *t = text(procfd, "uptime");
	double up = 0, idle = 0;

	if (!json_is_string(t) || sscanf(json_string_value(t), "%lf %lf",
	    &up, &idle) != 2) {
		json_decref(t);
		return json_null();
	}
	json_decref(t);
	return json_pack("{s:f, s:f}", "seconds", up, "idle_seconds", idle);
}

int
cust_live_kernel(struct cust_ctx *ctx, int procfd, int sysfd, json_t **rowsp)
{
	struct utsname u;
	json_t *o;

	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "version", text(procfd, "version"), "release", u.release,
	    "machine", u.machine, "cmdline", text(procfd, "cmdline"),
	    "uptime", uptime(procfd), "boot_id",
	    text(procfd, "sys/kernel/random/boot_id"), "tainted",
	    taint(procfd), "lockdown", text(sysfd,
	    "kernel/security/lockdown"), "sysctls", sysctl_values(procfd));
	if (o == NULL || (*rowsp = json_array()) == NULL ||
	    json_array_append_new(*rowsp, o) != 0)
		return oom(ctx, "kernel");
	return CUST_OK;
}

/* One line of mountinfo(5). */
static json_t *
mount_row(char *line)
{
	char *f[12], *save, *t;
	int n = 0, dash = -1;

	for (t = strtok_r(line, " ", &save); t != NULL && n < 12;
	    t = strtok_r(NULL, " ", &save)) {
		if (strcmp(t, "-") == 0 && dash < 0)
			dash = n;
		f[n++] = t;
	}
	if (n < 10 || dash < 6 || dash + 3 >= n)
		return json_pack("{s:s}", "unparsed", line);
	return json_pack("{s:I, s:I, s:s, s:o, s:o, s:s, s:s, s:o, s:s}",
	    "id", (json_int_t)atoll(f[0]), "parent", (json_int_t)atoll(f[1]),
	    "device", f[2], "root", cust_live_str(f[3], strlen(f[3])),
	    "mount_point", cust_live_str(f[4], strlen(f[4])), "options", f[5],
	    "fstype", f[dash + 1], "source", cust_live_str(f[dash + 2],
	    strlen(f[dash + 2])), "super_options", f[dash + 3]);
}

int
cust_live_mounts(struct cust_ctx *ctx, int procfd, json_t **rowsp)
{
	char *s, *line, *save;
	json_t *row;
	size_t n;

	if ((*rowsp = json_array()) == NULL)
		return oom(ctx, "mounts");
	if (cust_live_read(procfd, "1/mountinfo", &s, &n) != 0)
		return cust_set_error(ctx, errno, CUST_FAILED,
		    "/proc/1/mountinfo");
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if ((row = mount_row(line)) == NULL ||
		    json_array_append_new(*rowsp, row) != 0) {
			free(s);
			return oom(ctx, "mounts");
		}
	free(s);
	return CUST_OK;
}
