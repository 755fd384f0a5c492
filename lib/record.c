/*
 * record.c: one artefact's record in its three spellings: a files.jsonl
 * object (everything we know, raw path kept), a Sleuth Kit bodyfile line
 * (for mactime and timeline tools) and, for stored files, the manifest
 * lines written by bag.c.
 */
#include <sys/sysmacros.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "private.h"

const char *
cust_type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFBLK: return "block";
	case S_IFCHR: return "char";
	default: return "unknown";
	}
}

/* A JSON string for raw bytes, or NULL when they are not UTF-8. */
static json_t *
utf8str(const char *s, size_t n)
{
	if (!cust_utf8_valid(s, n) || memchr(s, '\0', n) != NULL)
		return NULL;
	return json_stringn(s, n);
}

static json_t *
b64str(const char *s, size_t n)
{
	char *out;
	json_t *j;

	if (n > (SIZE_MAX - 4) / 4 * 3 || (out = malloc(4 * ((n + 2) / 3) +
	    1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
	    (int)n);
	j = json_string(out);
	free(out);
	return j;
}

/* KEY (or KEY_b64 when not UTF-8) for raw bytes. */
static int
setraw(json_t *o, const char *key, const char *s, size_t n)
{
	char k64[32];
	json_t *j;

	if ((j = utf8str(s, n)) != NULL)
		return json_object_set_new(o, key, j);
	snprintf(k64, sizeof(k64), "%s_b64", key);
	return json_object_set_new(o, k64, b64str(s, n));
}

static int
settime(json_t *o, const char *key, const struct timespec *ts)
{
	char buf[CUST_TIMELEN];

	cust_time_utc(ts, buf);
	return json_object_set_new(o, key, json_string(buf));
}

static int
setstat(json_t *o, const struct stat *st, const struct timespec *btime)
{
	char mode[8];
	int bad = 0;

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	bad |= json_object_set_new(o, "size", json_integer(st->st_size));
	bad |= json_object_set_new(o, "mode", json_string(mode));
	bad |= json_object_set_new(o, "uid", json_integer(st->st_uid));
	bad |= json_object_set_new(o, "gid", json_integer(st->st_gid));
	bad |= json_object_set_new(o, "nlink", json_integer(st->st_nlink));
	bad |= json_object_set_new(o, "dev", json_integer(st->st_dev));
	bad |= json_object_set_new(o, "ino", json_integer(st->st_ino));
	if (S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode)) {
		char rdev[32];

		snprintf(rdev, sizeof(rdev), "%u:%u", major(st->st_rdev),
		    minor(st->st_rdev));
		bad |= json_object_set_new(o, "rdev", json_string(rdev));
	}
	bad |= settime(o, "atime", &st->st_atim);
	bad |= settime(o, "mtime", &st->st_mtim);
	bad |= settime(o, "ctime", &st->st_ctim);
	if (btime != NULL && btime->tv_sec >= 0)
		bad |= settime(o, "btime", btime);
	return bad;
}

static int
setdigests(json_t *o, const struct cust_record *r)
{
	int bad = 0;

	for (unsigned i = 0; i < CUST_NALG; i++)
		if (r->hex[i] != NULL)
			bad |= json_object_set_new(o, cust_alg_name(1u << i),
			    json_string(r->hex[i]));
	return bad;
}

json_t *
cust_record_json(const struct cust_record *r)
{
	json_t *o, *after;
	int bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	bad |= setraw(o, "path", r->path, r->pathlen);
	if (r->stored != NULL)
		bad |= json_object_set_new(o, "stored", json_string(r->stored));
	if (r->link_of != NULL)
		bad |= json_object_set_new(o, "hardlink_of",
		    json_string(r->link_of));
	bad |= json_object_set_new(o, "type", json_string(r->st->st_mode ?
	    cust_type_name(r->st->st_mode) : "unknown"));
	bad |= json_object_set_new(o, "status", json_string(r->status));
	if (r->reason != NULL)
		bad |= setraw(o, "reason", r->reason, strlen(r->reason));
	if (r->artefact != NULL)
		bad |= json_object_set_new(o, "artefact",
		    json_string(r->artefact));
	if (r->st->st_mode != 0)
		bad |= setstat(o, r->st, &r->btime);
	if (r->bytes >= 0)
		bad |= json_object_set_new(o, "bytes", json_integer(r->bytes));
	if (r->target != NULL)
		bad |= setraw(o, "target", r->target, r->targetlen);
	bad |= setdigests(o, r);
	if (r->magic != NULL && cust_utf8_valid(r->magic, strlen(r->magic)))
		bad |= json_object_set_new(o, "magic", json_string(r->magic));
	if (r->atime_updated)
		bad |= json_object_set_new(o, "atime_updated", json_true());
	if (r->after != NULL) {
		if ((after = json_object()) == NULL ||
		    setstat(after, r->after, NULL) != 0)
			bad = 1;
		bad |= json_object_set_new(o, "after", after);
	}
	if (bad != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Sleuth Kit's mode string: "r/rrw-r--r--". */
static void
tskmode(mode_t m, char out[13])
{
	static const char rwx[] = "rwxrwxrwx";
	char t;

	switch (m & S_IFMT) {
	case S_IFREG: t = 'r'; break;
	case S_IFDIR: t = 'd'; break;
	case S_IFLNK: t = 'l'; break;
	case S_IFIFO: t = 'p'; break;
	case S_IFSOCK: t = 'h'; break;
	case S_IFBLK: t = 'b'; break;
	case S_IFCHR: t = 'c'; break;
	default: t = '-'; break;
	}
	out[0] = t;
	out[1] = '/';
	out[2] = t;
	for (int i = 0; i < 9; i++)
		out[3 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[5] = (m & 0100) ? 's' : 'S';
	if (m & S_ISGID)
		out[8] = (m & 0010) ? 's' : 'S';
	if (m & S_ISVTX)
		out[11] = (m & 0001) ? 't' : 'T';
	out[12] = '\0';
}

/* Append the escaped bytes, with '|' (the field separator) escaped too. */
static int
putname(struct cust_spool *sp, const char *s, size_t n)
{
	char *e, *p;
	int r;

	if ((e = cust_escape(s, n, NULL)) == NULL)
		return CUST_FATAL;
	r = CUST_OK;
	for (p = e; r == CUST_OK && *p != '\0'; p++)
		r = *p == '|' ? cust_spool_write(sp, "^7C", 3) :
		    cust_spool_write(sp, p, 1);
	free(e);
	return r;
}

int
cust_record_bodyfile(const struct cust_record *r, struct cust_spool *sp)
{
	const struct stat *st = r->st;
	const char *md5 = r->hex[3];
	char mode[13], tail[256];
	int rr;

	tskmode(st->st_mode, mode);
	if ((rr = cust_spool_puts(sp, md5 != NULL ? md5 : "0")) != CUST_OK ||
	    (rr = cust_spool_write(sp, "|", 1)) != CUST_OK ||
	    (rr = putname(sp, r->path, r->pathlen)) != CUST_OK)
		return rr;
	if (r->target != NULL && ((rr = cust_spool_puts(sp, " -> ")) !=
	    CUST_OK || (rr = putname(sp, r->target, r->targetlen)) != CUST_OK))
		return rr;
	snprintf(tail, sizeof(tail), "|%ju|%s|%ju|%ju|%jd|%jd|%jd|%jd|%jd\n",
	    (uintmax_t)st->st_ino, mode, (uintmax_t)st->st_uid,
	    (uintmax_t)st->st_gid, (intmax_t)st->st_size,
	    (intmax_t)st->st_atim.tv_sec, (intmax_t)st->st_mtim.tv_sec,
	    (intmax_t)st->st_ctim.tv_sec,
	    (intmax_t)(r->btime.tv_sec > 0 ? r->btime.tv_sec : 0));
	return cust_spool_puts(sp, tail);
}
