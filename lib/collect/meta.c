/*
 * meta.c: the metadata a stat leaves out: extended attributes of every
 * namespace we may read, and decoded from them the POSIX ACLs, the file
 * capabilities and the security labels; and the inode flags (chattr(1)'s
 * immutable, append-only...).  Nothing here follows a link, opens a FIFO
 * or a device for reading, or reads a byte of content: attributes are
 * read through an O_PATH descriptor (by /proc/self/fd), and only a
 * regular file or a directory is reopened from it for the flags' ioctl.
 * The result is the text of JSON members that record.c puts into the
 * file's record, in the form custody-bundle(5) gives.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "collect/collect.h"

#define LIST_MAX	65536	/* XATTR_LIST_MAX */
#define VALUE_MAX	65536	/* XATTR_SIZE_MAX */

/* One open object: its attributes by FD (PATH_FD: through /proc). */
struct obj {
	int		 fd;		/* borrowed */
	bool		 opath;		/* an O_PATH descriptor */
	char		 proc[32];	/* /proc/self/fd/N for an O_PATH one */
};

static ssize_t
list(const struct obj *o, char *buf, size_t n)
{
	return o->opath ? listxattr(o->proc, buf, n) : flistxattr(o->fd, buf, n);
}

static ssize_t
get(const struct obj *o, const char *name, void *buf, size_t n)
{
	return o->opath ? getxattr(o->proc, name, buf, n) :
	    fgetxattr(o->fd, name, buf, n);
}

/* The attribute names, NUL-separated, into *BUFP (owned); their length,
 * 0 for none or when they cannot be listed. */
static ssize_t
names(const struct obj *o, char **bufp)
{
	ssize_t k;

	*bufp = NULL;
	for (int tries = 0; tries < 3; tries++) {
		if ((k = list(o, NULL, 0)) <= 0)
			return 0;
		if (k > LIST_MAX)
			k = LIST_MAX;
		free(*bufp);
		if ((*bufp = malloc((size_t)k)) == NULL)
			return -1;
		if ((k = list(o, *bufp, (size_t)k)) >= 0)
			return k;
		if (errno != ERANGE)
			return 0;	/* grew, or went away: try again */
	}
	return 0;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Base64 of N bytes (owned), or NULL. */
static char *
b64(const unsigned char *p, size_t n)
{
	char *out;

	if ((out = malloc(4 * ((n + 2) / 3) + 1)) != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* The rule of custody-bundle(5): text when the whole value is UTF-8 with
 * no NUL byte, else base64. */
static int
add_value(json_t *text, json_t *bin, const char *key,
    const unsigned char *v, size_t n)
{
	char *s;
	int r;

	if (cust_utf8_valid((const char *)v, n) && memchr(v, 0, n) == NULL)
		return json_object_set_new(text, key,
		    json_stringn((const char *)v, n));
	if ((s = b64(v, n)) == NULL)
		return -1;
	r = json_object_set_new(bin, key, json_string(s));
	free(s);
	return r;
}

/* ---------------------------------------------------------- POSIX ACLs */

/* system.posix_acl_*: a version (2), then entries of tag, perm, id. */
static json_t *
acl_text(const unsigned char *v, size_t n)
{
	char buf[8192], one[64];
	const char *tag;
	size_t at = 0;
	unsigned t, perm;
	uint32_t id;

	if (n < 4 || le32(v) != 2 || (n - 4) % 8 != 0)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 4; i < n; i += 8) {
		t = (unsigned)(v[i] | v[i + 1] << 8);
		perm = (unsigned)(v[i + 2] | v[i + 3] << 8);
		id = le32(v + i + 4);
		tag = t == 0x01 || t == 0x02 ? "user" : t == 0x04 ||
		    t == 0x08 ? "group" : t == 0x10 ? "mask" : t == 0x20 ?
		    "other" : NULL;
		if (tag == NULL)
			return NULL;
		if (t == 0x02 || t == 0x08)
			snprintf(one, sizeof(one), "%s%s:%u:%c%c%c",
			    at ? "," : "", tag, id, perm & 4 ? 'r' : '-',
			    perm & 2 ? 'w' : '-', perm & 1 ? 'x' : '-');
		else
			snprintf(one, sizeof(one), "%s%s::%c%c%c",
			    at ? "," : "", tag, perm & 4 ? 'r' : '-',
			    perm & 2 ? 'w' : '-', perm & 1 ? 'x' : '-');
		if (at + strlen(one) >= sizeof(buf))
			return NULL;
		memcpy(buf + at, one, strlen(one) + 1);
		at += strlen(one);
	}
	return json_string(buf);
}

/* ------------------------------------------------------- capabilities */

static const char *const capname[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid",
	"kill", "setgid", "setuid", "setpcap", "linux_immutable",
	"net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot",
	"sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
	"audit_write", "audit_control", "setfcap", "mac_override",
	"mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
	"perfmon", "bpf", "checkpoint_restore",
};

/* The capabilities of the 64-bit set LO, HI by name ("cap_N" unknown). */
static json_t *
capset(uint32_t lo, uint32_t hi)
{
	uint64_t set = (uint64_t)hi << 32 | lo;
	json_t *a = json_array();
	char name[32];

	for (unsigned i = 0; a != NULL && i < 64; i++) {
		if ((set & (UINT64_C(1) << i)) == 0)
			continue;
		if (i < sizeof(capname) / sizeof(capname[0]))
			snprintf(name, sizeof(name), "cap_%s", capname[i]);
		else
			snprintf(name, sizeof(name), "cap_%u", i);
		if (json_array_append_new(a, json_string(name)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* security.capability: struct vfs_cap_data (linux/capability.h). */
static json_t *
caps(const unsigned char *v, size_t n)
{
	uint32_t magic, rev;
	json_t *o;
	bool two;

	if (n < 12)
		return NULL;
	magic = le32(v);
	rev = magic & 0xFF000000u;
	two = rev == 0x02000000u || rev == 0x03000000u;
	if (!(rev == 0x01000000u && n == 12) && !(rev == 0x02000000u &&
	    n == 20) && !(rev == 0x03000000u && n == 24))
		return NULL;
	o = json_pack("{s:i, s:b, s:o, s:o}", "version", (int)(rev >> 24),
	    "effective", (magic & 1) != 0,
	    "permitted", capset(le32(v + 4), two ? le32(v + 12) : 0),
	    "inheritable", capset(le32(v + 8), two ? le32(v + 16) : 0));
	if (o != NULL && rev == 0x03000000u && json_object_set_new(o,
	    "rootid", json_integer(le32(v + 20))) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ labels */

/* A label's text, without the NUL that ends C strings, or NULL. */
static json_t *
label(const unsigned char *v, size_t n)
{
	while (n > 0 && v[n - 1] == '\0')
		n--;
	if (n == 0 || !cust_utf8_valid((const char *)v, n) ||
	    memchr(v, 0, n) != NULL)
		return NULL;
	return json_stringn((const char *)v, n);
}

static const struct {
	const char	*xattr;
	const char	*key;
} labels[] = {
	{ "security.selinux", "selinux" },
	{ "security.apparmor", "apparmor" },
	{ "security.SMACK64", "smack" },
};

/* What NAME's value V says, decoded into OUT, when we know how. */
static int
decode(json_t *out, const char *name, const unsigned char *v, size_t n)
{
	json_t *d = NULL, *l;
	const char *key = NULL;

	if (strcmp(name, "system.posix_acl_access") == 0)
		d = acl_text(v, n), key = "acl_access";
	else if (strcmp(name, "system.posix_acl_default") == 0)
		d = acl_text(v, n), key = "acl_default";
	else if (strcmp(name, "security.capability") == 0)
		d = caps(v, n), key = "capability";
	for (size_t i = 0; key == NULL && i < sizeof(labels) /
	    sizeof(labels[0]); i++) {
		if (strcmp(name, labels[i].xattr) != 0 ||
		    (d = label(v, n)) == NULL)
			continue;
		if ((l = json_object_get(out, "security_labels")) == NULL &&
		    json_object_set_new(out, "security_labels",
		    l = json_object()) != 0) {
			json_decref(d);
			return -1;
		}
		return json_object_set_new(l, labels[i].key, d);
	}
	return d != NULL ? json_object_set_new(out, key, d) : 0;
}

/* ----------------------------------------------------------- xattrs */

/* Attribute NAME into X (text) or XB (base64), and decoded into OUT. */
static int
one(const struct obj *o, json_t *out, json_t *x, json_t *xb,
    const char *name, unsigned char *buf)
{
	char *key;
	ssize_t k;
	int r;

	if ((k = get(o, name, buf, VALUE_MAX)) < 0)
		return 1;		/* gone, or not ours to read */
	/* Names are bytes: escaped as stored names are, one to one. */
	if ((key = cust_escape(name, strlen(name), NULL)) == NULL)
		return -1;
	r = add_value(x, xb, key, buf, (size_t)k);
	free(key);
	if (r == 0)
		r = decode(out, name, buf, (size_t)k);
	return r;
}

static int
attrs(const struct obj *o, json_t *out)
{
	json_t *x = json_object(), *xb = json_object();
	unsigned char *buf = NULL;
	char *list = NULL;
	size_t kept = 0, left = 0;
	ssize_t n;
	int r = -1;

	if (x == NULL || xb == NULL || (n = names(o, &list)) < 0)
		goto out;
	if (n > 0 && (buf = malloc(VALUE_MAX)) == NULL)
		goto out;
	for (char *p = list; n > 0 && p < list + n; p += strlen(p) + 1) {
		if (p[0] == '\0' || memchr(p, 0, (size_t)(list + n - p)) ==
		    NULL)
			break;
		if (kept == CUST_XATTR_MAX) {
			left++;
			continue;
		}
		if ((r = one(o, out, x, xb, p, buf)) < 0)
			goto out;
		kept += r == 0;
	}
	r = 0;
	if (json_object_size(x) > 0)
		r |= json_object_set(out, "xattrs", x);
	if (json_object_size(xb) > 0)
		r |= json_object_set(out, "xattrs_b64", xb);
	if (left > 0)
		r |= json_object_set_new(out, "xattrs_omitted",
		    json_integer((json_int_t)left));
out:
	free(buf);
	free(list);
	json_decref(x);
	json_decref(xb);
	return r;
}

/* ------------------------------------------------------- inode flags */

static const struct {
	unsigned	 bit;
	const char	*name;
} flagname[] = {
	{ FS_SECRM_FL, "secure_deletion" }, { FS_UNRM_FL, "undelete" },
	{ FS_COMPR_FL, "compressed" }, { FS_SYNC_FL, "sync" },
	{ FS_IMMUTABLE_FL, "immutable" }, { FS_APPEND_FL, "append_only" },
	{ FS_NODUMP_FL, "no_dump" }, { FS_NOATIME_FL, "no_atime" },
	{ FS_NOCOMP_FL, "no_compression" }, { FS_ENCRYPT_FL, "encrypted" },
	{ FS_INDEX_FL, "indexed" }, { FS_IMAGIC_FL, "imagic" },
	{ FS_JOURNAL_DATA_FL, "journal_data" }, { FS_NOTAIL_FL, "no_tail" },
	{ FS_DIRSYNC_FL, "dirsync" }, { FS_TOPDIR_FL, "top_dir" },
	{ FS_HUGE_FILE_FL, "huge_file" }, { FS_EXTENT_FL, "extents" },
	{ FS_VERITY_FL, "verity" }, { FS_EA_INODE_FL, "ea_inode" },
	{ FS_NOCOW_FL, "no_cow" }, { FS_DAX_FL, "dax" },
	{ FS_INLINE_DATA_FL, "inline_data" },
	{ FS_PROJINHERIT_FL, "project_inherit" },
	{ FS_CASEFOLD_FL, "casefold" },
};

/* chattr(1)'s flags of the regular file or directory open at FD. */
static int
flags(int fd, json_t *out)
{
	unsigned f, known = 0;
	json_t *a;
	char hex[16];
	int v;

	/* The kernel reads and writes an int, whatever the macro says. */
	if (ioctl(fd, FS_IOC_GETFLAGS, &v) != 0 || v == 0)
		return 0;
	f = (unsigned)v;
	if ((a = json_array()) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(flagname) / sizeof(flagname[0]); i++) {
		known |= flagname[i].bit;
		if ((f & flagname[i].bit) != 0 && json_array_append_new(a,
		    json_string(flagname[i].name)) != 0)
			goto oom;
	}
	if ((f & ~known) != 0) {
		snprintf(hex, sizeof(hex), "0x%x", f & ~known);
		if (json_array_append_new(a, json_string(hex)) != 0)
			goto oom;
	}
	return json_object_set_new(out, "inode_flags", a);
oom:
	json_decref(a);
	return -1;
}

/* ------------------------------------------------------------ public */

/* OUT's members as text, braces removed (owned), or NULL when none. */
static int
members(json_t *out, char **textp)
{
	char *s;
	size_t n;

	*textp = NULL;
	if (json_object_size(out) == 0)
		return CUST_OK;
	if ((s = json_dumps(out, JSON_COMPACT)) == NULL)
		return CUST_FATAL;
	n = strlen(s);
	memmove(s, s + 1, n - 2);
	s[n - 2] = '\0';
	*textp = s;
	return CUST_OK;
}

/* Reopen the O_PATH descriptor FD for reading: a regular file or a
 * directory only, and never changing its atime where we may avoid it. */
static int
reopen(const char *proc, bool dir)
{
	int o = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
	    (dir ? O_DIRECTORY : 0), fd;

	if ((fd = open(proc, o | O_NOATIME)) < 0 && errno == EPERM)
		fd = open(proc, o);
	return fd;
}

/*
 * On kernfs (sysfs, cgroup), listing a node's attributes gives it its own
 * times, "now", the first time: asking would change the very times the
 * record holds (and mark the file changed while read).  Its nodes carry
 * no attribute worth that.
 */
static bool
kernfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && (sf.f_type == SYSFS_MAGIC ||
	    sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC);
}

int
cust_meta_read(int fd, int dirfd, const char *name, const struct stat *st,
    bool ordinary, char **textp)
{
	struct obj o = { .fd = fd };
	struct stat now;
	json_t *out;
	int pfd = -1, rfd = -1, r = CUST_FATAL;

	*textp = NULL;
	if ((out = json_object()) == NULL)
		return CUST_FATAL;
	if (fd < 0) {
		pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		/* Gone or replaced since the stat: nothing more to say. */
		if (pfd < 0 || fstat(pfd, &now) != 0 ||
		    now.st_ino != st->st_ino || now.st_dev != st->st_dev ||
		    (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
			r = CUST_OK;
			goto out;
		}
		if (kernfs(pfd)) {
			r = CUST_OK;
			goto out;
		}
		o.fd = pfd;
		o.opath = true;
		snprintf(o.proc, sizeof(o.proc), "/proc/self/fd/%d", pfd);
		if (S_ISREG(now.st_mode) || S_ISDIR(now.st_mode))
			rfd = reopen(o.proc, S_ISDIR(now.st_mode));
		if (rfd >= 0) {
			o.fd = rfd;
			o.opath = false;
		}
	}
	/* kernfs is one of the pseudo file systems: an ordinary one, known
	 * for the whole directory, spares a statfs a file. */
	if (fd >= 0 && !ordinary && kernfs(fd)) {
		r = CUST_OK;
		goto out;
	}
	if (attrs(&o, out) != 0 || (!o.opath && flags(o.fd, out) != 0))
		goto out;
	r = members(out, textp);
out:
	if (rfd >= 0)
		close(rfd);
	if (pfd >= 0)
		close(pfd);
	json_decref(out);
	return r;
}
