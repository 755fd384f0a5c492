/*
 * host.c: facts about the machine the collection runs on (name, kernel,
 * boot id, operating system, DMI identity, network interfaces, the mount
 * table of PID 1), about who ran the collection, and about its clocks,
 * which may lie: what each said, the hardware clock beside them, in which
 * zone, from which clock source, and whether the kernel believed itself
 * synchronised.  Every fact comes from a local file or system call (no
 * network traffic), through the bounded reader; one that cannot be read
 * is left out or null.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/rtc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

#define FACT_MAX	(1024 * 1024)	/* bytes of a host file (mountinfo) */
#define IFACES_MAX	256	/* network interfaces recorded */
#define MOUNTS_MAX	8192	/* mount table entries recorded */

/*
 * PATH whole into *BUFP (owned by the caller), or NULL.  Through the
 * bounded reader: a FIFO planted at /etc/machine-id must not hang a
 * collection.  Why it failed is nobody's concern, so its context is its
 * own: a fact that cannot be read is left out.
 */
static char *
slurp(const char *path, unsigned flags)
{
	struct cust_ctx *ctx;
	char *buf = NULL;
	size_t n;

	if (cust_ctx_new(&ctx) != CUST_OK)
		return NULL;
	if (cust_read_file_at(ctx, AT_FDCWD, path, NULL, flags, FACT_MAX,
	    &buf, &n) == CUST_OK && n == 0) {
		free(buf);
		buf = NULL;
	}
	cust_ctx_free(ctx);
	return buf;
}

/* The first line of a small file, without its newline, or NULL. */
static char *
firstline(const char *path)
{
	char *s;

	if ((s = slurp(path, CUST_READ_NOFOLLOW)) != NULL)
		s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* PRETTY_NAME from os-release, unquoted, or NULL. */
static char *
osname(void)
{
	char *buf, *p, *nl, *end, *v = NULL;

	/* /etc/os-release is a link to /usr/lib/os-release on many systems. */
	if ((buf = slurp("/etc/os-release", 0)) == NULL &&
	    (buf = slurp("/usr/lib/os-release", 0)) == NULL)
		return NULL;
	for (p = buf; p != NULL && v == NULL; p = nl != NULL ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (strncmp(p, "PRETTY_NAME=", 12) != 0)
			continue;
		v = p + 12;
		v[strcspn(v, "\r")] = '\0';
		if (*v == '"' && (end = strrchr(v + 1, '"')) != NULL) {
			*end = '\0';
			v++;
		}
		v = strdup(v);
	}
	free(buf);
	return v;
}

/* Set KEY to the string S (owned, freed here) when it is valid UTF-8. */
static int
setstr(json_t *o, const char *key, char *s)
{
	int r = 0;

	if (s != NULL && cust_utf8_valid(s, strlen(s)))
		r = json_object_set_new(o, key, json_string(s));
	free(s);
	return r;
}

json_t *
cust_host_facts(void)
{
	struct utsname u;
	json_t *o;
	char name[256];
	int bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		bad |= setstr(o, "hostname", strdup(name));
	}
	if (uname(&u) == 0) {
		bad |= setstr(o, "kernel", strdup(u.sysname));
		bad |= setstr(o, "kernel_release", strdup(u.release));
		bad |= setstr(o, "kernel_version", strdup(u.version));
		bad |= setstr(o, "machine", strdup(u.machine));
	}
	bad |= setstr(o, "os", osname());
	bad |= setstr(o, "boot_id",
	    firstline("/proc/sys/kernel/random/boot_id"));
	bad |= setstr(o, "machine_id", firstline("/etc/machine-id"));
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
cust_clock_facts(const struct timespec *start, const struct timespec *end)
{
	char utc[CUST_TIMELEN], loc[CUST_TIMELEN];
	struct timex tx;
	struct tm tm;
	json_t *o;
	time_t t = start->tv_sec;
	int state, bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	cust_time_utc(start, utc);
	cust_time_local(start, loc);
	bad |= json_object_set_new(o, "start_utc", json_string(utc));
	bad |= json_object_set_new(o, "start_local", json_string(loc));
	cust_time_utc(end, utc);
	cust_time_local(end, loc);
	bad |= json_object_set_new(o, "end_utc", json_string(utc));
	bad |= json_object_set_new(o, "end_local", json_string(loc));
	if (localtime_r(&t, &tm) != NULL) {
		bad |= setstr(o, "time_zone", strdup(tm.tm_zone));
		bad |= json_object_set_new(o, "utc_offset_seconds",
		    json_integer(tm.tm_gmtoff));
	}
	bad |= setstr(o, "clock_source", firstline(
	    "/sys/devices/system/clocksource/clocksource0/current_clocksource"));
	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state >= 0) {
		bad |= json_object_set_new(o, "synchronised",
		    json_boolean(state != TIME_ERROR &&
		    (tx.status & STA_UNSYNC) == 0));
		bad |= json_object_set_new(o, "max_error_us",
		    json_integer(tx.maxerror));
	}
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------ name, machine, network */

/* On a line of /etc/hosts that names HOST, its first alias HOST.domain. */
static char *
dotted(char *line, const char *host)
{
	char *tok, *save, *found = NULL;
	size_t hl = strlen(host);
	bool named = false;

	line[strcspn(line, "#")] = '\0';
	/* The first field is the address. */
	if (strtok_r(line, " \t", &save) == NULL)
		return NULL;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strcmp(tok, host) == 0)
			named = true;
		else if (found == NULL && strncmp(tok, host, hl) == 0 &&
		    tok[hl] == '.' && tok[hl + 1] != '\0')
			found = tok;
	}
	return named ? found : NULL;
}

/* The FQDN when this host knows it without asking a network: its own
 * name when dotted, else an alias HOST.domain of it in /etc/hosts.  NULL
 * when neither says. */
static char *
fqdn(const char *host)
{
	char *buf, *line, *save, *found = NULL;

	if (strchr(host, '.') != NULL)
		return strdup(host);
	if ((buf = slurp("/etc/hosts", 0)) == NULL)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save))
		found = dotted(line, host);
	found = found != NULL ? strdup(found) : NULL;
	free(buf);
	return found;
}

/* "aa:bb:..." of a link-layer address, or NULL when it has none. */
static json_t *
mac(const struct sockaddr_ll *ll)
{
	char s[3 * 8 + 1];
	size_t n = ll->sll_halen < 8 ? ll->sll_halen : 8, at = 0;

	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(s + at, sizeof(s) - at, "%s%02x",
		    i ? ":" : "", ll->sll_addr[i]);
	return n > 0 ? json_string(s) : NULL;
}

/* The interface object named NAME in O, made when new. */
static json_t *
iface(json_t *o, const char *name)
{
	json_t *i;

	if ((i = json_object_get(o, name)) != NULL)
		return i;
	if (json_object_size(o) >= IFACES_MAX ||
	    (i = json_pack("{s:[]}", "addresses")) == NULL ||
	    json_object_set_new(o, name, i) != 0)
		return NULL;
	return i;
}

/* One getifaddrs(3) entry into O. */
static int
ifaddr(json_t *o, const struct ifaddrs *a)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const void *p;
	json_t *i, *m;
	int fam = a->ifa_addr->sa_family;

	if (!cust_utf8_valid(a->ifa_name, strlen(a->ifa_name)) ||
	    (i = iface(o, a->ifa_name)) == NULL)
		return 0;
	if (fam == AF_PACKET) {
		if ((m = mac((const struct sockaddr_ll *)(const void *)
		    a->ifa_addr)) != NULL)
			return json_object_set_new(i, "mac", m);
		return 0;
	}
	if (fam == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)
		    a->ifa_addr)->sin_addr;
	else if (fam == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)
		    a->ifa_addr)->sin6_addr;
	else
		return 0;
	if (inet_ntop(fam, p, addr, sizeof(addr)) == NULL)
		return 0;
	return json_array_append_new(json_object_get(i, "addresses"),
	    json_string(addr));
}

/* Network interfaces by name, from the kernel (netlink), not the wire. */
static json_t *
interfaces(void)
{
	struct ifaddrs *all, *a;
	json_t *o;

	if (getifaddrs(&all) != 0)
		return NULL;
	if ((o = json_object()) != NULL)
		for (a = all; a != NULL; a = a->ifa_next)
			if (a->ifa_addr != NULL && ifaddr(o, a) != 0) {
				json_decref(o);
				o = NULL;
				break;
			}
	freeifaddrs(all);
	return o;
}

/* A DMI identity file, when readable (root) and not a placeholder. */
static char *
dmi(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", name);
	return firstline(path);
}

json_t *
cust_host_more(json_t *o)
{
	char name[256];
	int bad = 0;

	static const char *const ids[] = { "product_uuid", "product_serial",
	    "product_name", "sys_vendor" };
	char key[32];

	/* Each key is there, null when this host did not say. */
	bad |= json_object_set_new(o, "fqdn", json_null());
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		bad |= setstr(o, "fqdn", fqdn(name));
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(key, sizeof(key), "dmi_%s", ids[i]);
		bad |= json_object_set_new(o, key, json_null());
		bad |= setstr(o, key, dmi(ids[i]));
	}
	bad |= json_object_set_new(o, "interfaces", interfaces());
	return bad != 0 ? NULL : o;
}

/* ------------------------------------------------------------ mounts */

/* One field of mountinfo as text: escaped when not UTF-8. */
static json_t *
field(const char *s)
{
	json_t *j;
	char *e;

	if (cust_utf8_valid(s, strlen(s)))
		return json_string(s);
	if ((e = cust_escape(s, strlen(s), NULL)) == NULL)
		return NULL;
	j = json_string(e);
	free(e);
	return j;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw" */
static json_t *
mountline(char *s)
{
	char *f[6], *type, *src, *sup, *save, *opt;

	for (int i = 0; i < 6; i++)
		if ((f[i] = strtok_r(i == 0 ? s : NULL, " ", &save)) == NULL)
			return NULL;
	while ((opt = strtok_r(NULL, " ", &save)) != NULL &&
	    strcmp(opt, "-") != 0)
		;
	if (opt == NULL || (type = strtok_r(NULL, " ", &save)) == NULL ||
	    (src = strtok_r(NULL, " ", &save)) == NULL)
		return NULL;
	sup = strtok_r(NULL, " ", &save);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "mount_id", field(f[0]), "parent_id", field(f[1]),
	    "device", field(f[2]), "root", field(f[3]),
	    "mount_point", field(f[4]), "options", field(f[5]),
	    "type", field(type), "source", field(src),
	    "super_options", field(sup != NULL ? sup : ""));
}

json_t *
cust_host_mounts(void)
{
	const char *from = "/proc/1/mountinfo";
	char *buf, *line, *save;
	json_t *a, *m;
	size_t n = 0;

	/* PID 1's table is the host's; ours may be a private copy. */
	if ((buf = slurp(from, 0)) == NULL && (buf = slurp(from =
	    "/proc/self/mountinfo", 0)) == NULL)
		return json_null();
	a = json_array();
	for (line = strtok_r(buf, "\n", &save); a != NULL && line != NULL &&
	    n < MOUNTS_MAX; line = strtok_r(NULL, "\n", &save), n++)
		if ((m = mountline(line)) != NULL &&
		    json_array_append_new(a, m) != 0) {
			json_decref(a);
			a = NULL;
		}
	free(buf);
	return a != NULL ? json_pack("{s:s, s:o}", "source", from,
	    "entries", a) : NULL;
}

/* ---------------------------------------------------------- operator */

/* "pts/3", "tty1", "ttyS0" or "MAJOR:MINOR" of a tty_nr, or NULL. */
static char *
ttyname_of(unsigned long nr)
{
	unsigned maj = (unsigned)((nr >> 8) & 0xfff);
	unsigned min = (unsigned)((nr & 0xff) | ((nr >> 12) & 0xfff00));
	char *s = NULL;

	if (nr == 0)
		return NULL;
	if (maj >= 136 && maj <= 143)
		(void)!asprintf(&s, "pts/%u", (maj - 136) * 256 + min);
	else if (maj == 4 && min < 64)
		(void)!asprintf(&s, "tty%u", min);
	else if (maj == 4)
		(void)!asprintf(&s, "ttyS%u", min - 64);
	else
		(void)!asprintf(&s, "%u:%u", maj, min);
	return s;
}

char *
cust_controlling_tty(void)
{
	char *buf, *p, *end;
	unsigned long nr = 0;

	if ((buf = slurp("/proc/self/stat", 0)) == NULL)
		return NULL;
	/* The command name may hold anything; the fields follow its ')':
	 * state, ppid, pgrp, session, then tty_nr. */
	p = strrchr(buf, ')');
	for (int i = 0; p != NULL && i < 5; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL) {
		errno = 0;
		nr = strtoul(p + 1, &end, 10);
		if (errno != 0 || end == p + 1 || *end != ' ')
			nr = 0;
	}
	free(buf);
	return ttyname_of(nr);
}

json_t *
cust_operator_facts(struct cust_ctx *ctx, int rootfd, const char *sudo_user,
    const char *tty)
{
	char *login, *user = NULL;
	json_t *o;
	int bad = 0;

	o = json_pack("{s:I, s:I, s:I, s:I}", "uid", (json_int_t)getuid(),
	    "euid", (json_int_t)geteuid(), "gid", (json_int_t)getgid(),
	    "egid", (json_int_t)getegid());
	if (o == NULL)
		return NULL;
	if (cust_user_name(ctx, rootfd, getuid(), &user) == CUST_FATAL)
		bad = 1;
	cust_ctx_clear(ctx);
	bad |= json_object_set_new(o, "user", json_null());
	bad |= setstr(o, "user", user);
	bad |= json_object_set_new(o, "sudo_user", json_null());
	if (sudo_user != NULL)
		bad |= setstr(o, "sudo_user", strdup(sudo_user));
	/* 4294967295: no login session set it (a daemon, a container). */
	login = firstline("/proc/self/loginuid");
	if (login != NULL && strcmp(login, "4294967295") != 0 &&
	    strspn(login, "0123456789") == strlen(login) && *login != '\0')
		bad |= json_object_set_new(o, "login_uid",
		    json_integer(strtoll(login, NULL, 10)));
	else
		bad |= json_object_set_new(o, "login_uid", json_null());
	free(login);
	bad |= json_object_set_new(o, "tty", json_null());
	if (tty != NULL)
		bad |= setstr(o, "tty", strdup(tty));
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ clocks */

static json_t *
clock_of(clockid_t id)
{
	struct timespec ts;
	char s[48];

	if (clock_gettime(id, &ts) != 0)
		return json_null();
	snprintf(s, sizeof(s), "%jd.%09ld", (intmax_t)ts.tv_sec, ts.tv_nsec);
	return json_string(s);
}

/* The RTC's own time in seconds since 1970, read as the kernel keeps it
 * (UTC, or local time on hosts that say so in /etc/adjtime), and how. */
static int
rtc_read(time_t *t, const char **how)
{
	struct rtc_time rt;
	struct stat st;
	struct tm tm;
	char *s, *end;
	int fd, r = -1;

	fd = open("/dev/rtc0", O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	    ioctl(fd, RTC_RD_TIME, &rt) == 0) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_sec = rt.tm_sec;
		tm.tm_min = rt.tm_min;
		tm.tm_hour = rt.tm_hour;
		tm.tm_mday = rt.tm_mday;
		tm.tm_mon = rt.tm_mon;
		tm.tm_year = rt.tm_year;
		*t = timegm(&tm);
		*how = "/dev/rtc0 RTC_RD_TIME";
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	if (r == 0 || (s = firstline("/sys/class/rtc/rtc0/since_epoch")) ==
	    NULL)
		return r;
	*t = (time_t)strtoll(s, &end, 10);
	if (end != s && *end == '\0') {
		*how = "/sys/class/rtc/rtc0/since_epoch";
		r = 0;
	}
	free(s);
	return r;
}

static json_t *
rtc(void)
{
	struct timespec now;
	const char *how = NULL;
	char when[CUST_TIMELEN], *adj, *p;
	time_t t;
	json_t *o;

	if (rtc_read(&t, &how) != 0)
		return json_null();
	clock_gettime(CLOCK_REALTIME, &now);
	cust_time_utc(&(struct timespec){ .tv_sec = t }, when);
	o = json_pack("{s:s, s:s, s:I}", "source", how, "time", when,
	    "offset_seconds", (json_int_t)(t - now.tv_sec));
	/* hwclock(8) says on its third line whether the RTC keeps local
	 * time; then the offset includes the zone's. */
	if (o != NULL && (adj = slurp("/etc/adjtime", CUST_READ_NOFOLLOW)) !=
	    NULL) {
		p = strchr(adj, '\n');
		p = p != NULL ? strchr(p + 1, '\n') : NULL;
		if (p != NULL && strncmp(p + 1, "LOCAL", 5) == 0)
			json_object_set_new(o, "keeps", json_string("local"));
		else if (p != NULL && strncmp(p + 1, "UTC", 3) == 0)
			json_object_set_new(o, "keeps", json_string("utc"));
		free(adj);
	}
	return o;
}

static const char *
clock_state(int s)
{
	switch (s) {
	case TIME_OK: return "ok";
	case TIME_INS: return "insert_leap_second";
	case TIME_DEL: return "delete_leap_second";
	case TIME_OOP: return "leap_second_in_progress";
	case TIME_WAIT: return "leap_second_done";
	case TIME_ERROR: return "unsynchronised";
	default: return "unknown";
	}
}

int
cust_clock_more(json_t *o)
{
	struct timex tx;
	int state, bad = 0;

	bad |= json_object_set_new(o, "realtime", clock_of(CLOCK_REALTIME));
	bad |= json_object_set_new(o, "monotonic", clock_of(CLOCK_MONOTONIC));
	bad |= json_object_set_new(o, "boottime", clock_of(CLOCK_BOOTTIME));
	bad |= json_object_set_new(o, "rtc", rtc());
	memset(&tx, 0, sizeof(tx));
	if ((state = adjtimex(&tx)) >= 0)
		bad |= json_object_set_new(o, "adjtimex", json_pack(
		    "{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "state",
		    clock_state(state), "status", (json_int_t)tx.status,
		    "offset", (json_int_t)tx.offset, "frequency",
		    (json_int_t)tx.freq, "max_error_us",
		    (json_int_t)tx.maxerror, "est_error_us",
		    (json_int_t)tx.esterror, "tai_offset",
		    (json_int_t)tx.tai));
	return bad;
}
