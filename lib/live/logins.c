/*
 * logins.c: who logged in, from where and when, parsed from the login
 * records (utmp(5)): run/utmp (who is on now), var/log/wtmp (history),
 * var/log/btmp (failed attempts) and var/log/lastlog (each uid's last
 * login, a sparse file indexed by uid).  The files are read under ROOTFD
 * without following any symbolic link, record by record, so that a huge
 * wtmp costs bounded memory (and at most CUST_LOGIN_MAX rows each), and
 * lastlog's holes (a uid of 4294967294 makes it a terabyte) are skipped
 * with SEEK_DATA rather than read.  The records have the layout of this
 * machine's C library: an image from another architecture may not parse.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lastlog.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utmp.h>

#include "live/sources.h"
#include "live/util.h"

#define BATCH	64		/* records per read */

static const char *const types[] = {
	"EMPTY", "RUN_LVL", "BOOT_TIME", "NEW_TIME", "OLD_TIME",
	"INIT_PROCESS", "LOGIN_PROCESS", "USER_PROCESS", "DEAD_PROCESS",
	"ACCOUNTING",
};

struct file {
	const char	*path, *source;
	size_t		 size;		/* of a record */
	bool		 lastlog;
};

static const struct file files[] = {
	{ "run/utmp", "utmp", sizeof(struct utmp), false },
	{ "var/log/wtmp", "wtmp", sizeof(struct utmp), false },
	{ "var/log/btmp", "btmp", sizeof(struct utmp), false },
	{ "var/log/lastlog", "lastlog", sizeof(struct lastlog), true },
};

/* A fixed-size text field, or null when it is empty. */
static json_t *
field(const char *p, size_t size)
{
	return p[0] == '\0' ? json_null() : cust_json_field(p, size);
}

/* ut_addr_v6: IPv4 in its first word alone, else IPv6; null if zero. */
static json_t *
address(const int32_t a[4])
{
	if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0)
		return json_null();
	if (a[1] == 0 && a[2] == 0 && a[3] == 0)
		return cust_json_addr(AF_INET, a);
	return cust_json_addr(AF_INET6, a);
}

static json_t *
exitof(const struct utmp *u)
{
	json_t *o;

	if (u->ut_type != DEAD_PROCESS)
		return json_null();
	o = json_object();
	if (o != NULL && (json_object_set_new(o, "termination",
	    json_integer(u->ut_exit.e_termination)) != 0 ||
	    json_object_set_new(o, "exit", json_integer(u->ut_exit.e_exit))
	    != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
utmp_row(struct cust_ctx *ctx, const struct file *f, const void *rec,
    json_t *rows)
{
	struct utmp u;
	struct cust_row w;
	unsigned t;

	memcpy(&u, rec, sizeof(u));
	t = (unsigned)u.ut_type;
	cust_row_begin(&w);
	cust_row_set(&w, "source", json_string(f->source));
	if (t < NELEM(types))
		cust_row_set(&w, "type", json_string(types[t]));
	else
		cust_row_set(&w, "type", json_sprintf("type %u", t));
	cust_row_set(&w, "user", field(u.ut_user, sizeof(u.ut_user)));
	cust_row_set(&w, "tty", field(u.ut_line, sizeof(u.ut_line)));
	cust_row_set(&w, "id", field(u.ut_id, sizeof(u.ut_id)));
	cust_row_set(&w, "host", field(u.ut_host, sizeof(u.ut_host)));
	cust_row_set(&w, "pid", json_integer(u.ut_pid));
	cust_row_set(&w, "session", json_integer(u.ut_session));
	cust_row_set(&w, "uid", json_null());
	/* 32-bit seconds: unsigned, so that they run to 2106, not 2038 */
	cust_row_set(&w, "time", cust_json_time((uint32_t)u.ut_tv.tv_sec,
	    (long)((uint32_t)u.ut_tv.tv_usec % 1000000) * 1000));
	cust_row_set(&w, "address", address(u.ut_addr_v6));
	cust_row_set(&w, "exit", exitof(&u));
	return cust_row_done(ctx, &w, rows);
}

/* lastlog's record of UID; nothing for a uid that never logged in. */
static int
lastlog_row(struct cust_ctx *ctx, const void *rec, uint64_t uid,
    json_t *rows)
{
	struct lastlog l;
	struct cust_row w;

	memcpy(&l, rec, sizeof(l));
	if (l.ll_time == 0)
		return CUST_OK;
	cust_row_begin(&w);
	cust_row_set(&w, "source", json_string("lastlog"));
	cust_row_set(&w, "type", json_string("LASTLOG"));
	cust_row_set(&w, "user", json_null());
	cust_row_set(&w, "tty", field(l.ll_line, sizeof(l.ll_line)));
	cust_row_set(&w, "id", json_null());
	cust_row_set(&w, "host", field(l.ll_host, sizeof(l.ll_host)));
	cust_row_set(&w, "pid", json_null());
	cust_row_set(&w, "session", json_null());
	cust_row_set(&w, "uid", json_integer((json_int_t)uid));
	cust_row_set(&w, "time", cust_json_time((uint32_t)l.ll_time, 0));
	cust_row_set(&w, "address", json_null());
	cust_row_set(&w, "exit", json_null());
	return cust_row_done(ctx, &w, rows);
}

/* Where the next data at or after POS begins (lastlog's holes are
 * skipped); POS itself where SEEK_DATA is not supported. */
static off_t
nextdata(int fd, off_t pos, size_t size, bool sparse)
{
	off_t d;

	if (!sparse)
		return pos;
	if ((d = lseek(fd, pos, SEEK_DATA)) < 0)
		return errno == ENXIO ? -1 : pos;
	return d - d % (off_t)size;
}

/* The records of file F, open at FD; CUST_WARN past the bound. */
static int
records(struct cust_ctx *ctx, int fd, const struct file *f, json_t *rows)
{
	unsigned char *buf;
	size_t nrec = 0, got;
	off_t pos = 0;
	ssize_t k;
	int r = CUST_OK;

	if ((buf = malloc(BATCH * f->size)) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "%s", f->path);
	while (r == CUST_OK && (pos = nextdata(fd, pos, f->size,
	    f->lastlog)) >= 0) {
		if ((k = pread(fd, buf, BATCH * f->size, pos)) <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				r = cust_set_error(ctx, errno, CUST_FAILED,
				    "%s", f->path);
			break;
		}
		got = (size_t)k / f->size;
		for (size_t i = 0; r == CUST_OK && i < got; i++, nrec++) {
			if (nrec == CUST_LOGIN_MAX)
				r = cust_set_error(ctx, 0, CUST_WARN, "%s: "
				    "more than %d records, the rest left out",
				    f->path, CUST_LOGIN_MAX);
			else if (f->lastlog)
				r = lastlog_row(ctx, buf + i * f->size,
				    (uint64_t)pos / f->size + i, rows);
			else
				r = utmp_row(ctx, f, buf + i * f->size, rows);
		}
		if (got == 0)
			break;		/* a torn last record */
		pos += (off_t)(got * f->size);
	}
	free(buf);
	return r;
}

/* File F under ROOTFD: CUST_OK when it is not there. */
static int
onefile(struct cust_ctx *ctx, int rootfd, const struct file *f,
    json_t *rows)
{
	struct stat st;
	int fd, r;

	fd = cust_open_in_root(rootfd, f->path, O_RDONLY | O_NONBLOCK |
	    O_NOFOLLOW, true);
	if (fd < 0)
		return errno == ENOENT ? CUST_OK : cust_set_error(ctx,
		    errno, CUST_FAILED, "%s", f->path);
	if (fstat(fd, &st) != 0)
		r = cust_set_error(ctx, errno, CUST_FAILED, "%s", f->path);
	else if (!S_ISREG(st.st_mode))
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: not a regular file", f->path);
	else
		r = records(ctx, fd, f, rows);
	close(fd);
	return r;
}

int
cust_live_logins(struct cust_ctx *ctx, int rootfd, json_t **rows)
{
	json_t *a;
	int r, worst = CUST_OK;
	char first[256] = "";

	*rows = NULL;
	if ((a = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "logins");
	/* one file that cannot be read leaves the others to read */
	for (size_t i = 0; i < NELEM(files); i++) {
		r = onefile(ctx, rootfd, &files[i], a);
		if (r == CUST_FATAL) {
			json_decref(a);
			return r;
		}
		if (r != CUST_OK && first[0] == '\0')
			snprintf(first, sizeof(first), "%s",
			    cust_ctx_error(ctx));
		if (r != CUST_OK)
			worst = CUST_WARN;
	}
	*rows = a;
	if (worst != CUST_OK)
		return cust_set_error(ctx, 0, CUST_WARN, "%s", first);
	return CUST_OK;
}
