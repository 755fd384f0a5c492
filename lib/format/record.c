/*
 * record.c: one artefact's record in its three spellings: a files.jsonl
 * object (everything we know, raw path kept), a Sleuth Kit bodyfile line
 * (for mactime and timeline tools) and, for stored files, the manifest
 * lines written by bag_writer.c.
 */
#include <sys/sysmacros.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "format/format.h"

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

/* KEY (or KEY_b64, base64, when not UTF-8) for raw bytes. */
static void
raw(struct cust_jw *w, const char *key, const char *s, size_t n)
{
	char k64[32], *out;

	if (cust_utf8_valid(s, n) && memchr(s, '\0', n) == NULL) {
		cust_jw_key(w, key);
		cust_jw_strn(w, s, n);
		return;
	}
	snprintf(k64, sizeof(k64), "%s_b64", key);
	if (n > (SIZE_MAX - 4) / 4 * 3 || (out = malloc(4 * ((n + 2) / 3) +
	    1)) == NULL) {
		w->oom = true;
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
	    (int)n);
	cust_jw_str(w, k64, out);
	free(out);
}

/* MAJOR:MINOR of a device, as "%u:%u"; the text at OUT. */
static char *
devno(dev_t rdev, char out[2 * CUST_INTLEN + 2])
{
	size_t n = cust_fmt_uint(out, major(rdev));

	out[n++] = ':';
	n += cust_fmt_uint(out + n, minor(rdev));
	out[n] = '\0';
	return out;
}

static void
stat_fields(struct cust_jw *w, const struct stat *st,
    const struct timespec *btime)
{
	char mode[5], rdev[2 * CUST_INTLEN + 2];

	/* "%04o" of the permission bits, which fit in four octal digits. */
	for (int i = 0; i < 4; i++)
		mode[i] = (char)('0' + ((st->st_mode >> (9 - 3 * i)) & 7));
	mode[4] = '\0';
	cust_jw_int(w, "size", st->st_size);
	cust_jw_str(w, "mode", mode);
	cust_jw_int(w, "uid", st->st_uid);
	cust_jw_int(w, "gid", st->st_gid);
	cust_jw_int(w, "nlink", (intmax_t)st->st_nlink);
	cust_jw_int(w, "dev", (intmax_t)st->st_dev);
	cust_jw_int(w, "ino", (intmax_t)st->st_ino);
	if (S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode))
		cust_jw_str(w, "rdev", devno(st->st_rdev, rdev));
	cust_jw_time(w, "atime", &st->st_atim);
	cust_jw_time(w, "mtime", &st->st_mtim);
	cust_jw_time(w, "ctime", &st->st_ctim);
	if (btime != NULL && btime->tv_sec >= 0)
		cust_jw_time(w, "btime", btime);
}

int
cust_record_write(const struct cust_record *r, struct cust_jw *w)
{
	cust_jw_reset(w);
	cust_jw_open(w);
	raw(w, "path", r->path, r->pathlen);
	if (r->stored != NULL)
		cust_jw_str(w, "stored", r->stored);
	if (r->link_of != NULL)
		cust_jw_str(w, "hardlink_of", r->link_of);
	cust_jw_str(w, "type", r->st->st_mode ? cust_type_name(r->st->st_mode) :
	    "unknown");
	cust_jw_str(w, "status", cust_rec_status_name(r->status));
	if (r->reason != NULL)
		raw(w, "reason", r->reason, strlen(r->reason));
	if (r->artefact != NULL)
		raw(w, "artefact", r->artefact, strlen(r->artefact));
	if (r->st->st_mode != 0)
		stat_fields(w, r->st, &r->btime);
	if (r->bytes >= 0)
		cust_jw_int(w, "bytes", r->bytes);
	if (r->pseudo)
		cust_jw_bool(w, "pseudo", true);
	/* The map itself is the member's (custody-bundle(5)). */
	if (r->sparse) {
		cust_jw_bool(w, "sparse", true);
		cust_jw_int(w, "data_regions", (intmax_t)r->regions);
		cust_jw_int(w, "data_bytes", (intmax_t)r->data);
	}
	/* The stored bytes past BYTES_READ are padding, not evidence. */
	if (r->padded && r->bytes >= 0) {
		cust_jw_int(w, "bytes_read", r->bytes_read);
		cust_jw_int(w, "padding_offset", r->bytes_read);
		cust_jw_int(w, "padding_bytes", r->bytes - r->bytes_read);
	}
	if (r->target != NULL)
		raw(w, "target", r->target, r->targetlen);
	for (unsigned i = 0; i < CUST_NALG; i++)
		if (r->hex[i] != NULL)
			cust_jw_str(w, cust_alg_name(1u << i), r->hex[i]);
	if (r->magic != NULL && cust_utf8_valid(r->magic, strlen(r->magic)))
		cust_jw_str(w, "magic", r->magic);
	if (r->atime_updated)
		cust_jw_bool(w, "atime_updated", true);
	if (r->not_walked != NULL)
		raw(w, "not_walked", r->not_walked, strlen(r->not_walked));
	cust_jw_members(w, r->meta);
	if (r->after != NULL) {
		cust_jw_key(w, "after");
		cust_jw_open(w);
		stat_fields(w, r->after, NULL);
		cust_jw_close(w);
	}
	cust_jw_close(w);
	return w->oom ? CUST_FATAL : CUST_OK;
}

json_t *
cust_record_json(const struct cust_record *r)
{
	struct cust_jw w = { 0 };
	json_t *o = NULL;

	if (cust_record_write(r, &w) == CUST_OK)
		o = json_loadb(w.p, w.n, 0, NULL);
	cust_jw_free(&w);
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
	char *e, *end, *p, *bar;
	size_t len;
	int r;

	/* Most names, as they are: no copy. */
	if (cust_escape_none(s, n) && memchr(s, '|', n) == NULL)
		return cust_spool_write(sp, s, n);
	if ((e = cust_escape(s, n, &len)) == NULL)
		return CUST_FATAL;
	/* In runs between bars: a write per byte cost more than the line. */
	r = CUST_OK;
	for (p = e, end = e + len; r == CUST_OK && p < end; p = bar + 1) {
		if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL)
			bar = end;
		r = cust_spool_write(sp, p, (size_t)(bar - p));
		if (r == CUST_OK && bar < end)
			r = cust_spool_write(sp, "^7C", 3);
	}
	free(e);
	return r;
}

/* "|N" for each field after the name, as "%ju" and "%jd" print them. */
static char *
num(char *p, intmax_t v)
{
	*p++ = '|';
	return p + cust_fmt_int(p, v);
}

static char *
unum(char *p, uintmax_t v)
{
	*p++ = '|';
	return p + cust_fmt_uint(p, v);
}

int
cust_record_bodyfile(const struct cust_record *r, struct cust_spool *sp)
{
	const struct stat *st = r->st;
	const char *md5 = r->hex[3];
	/* Eight "|N", "|" and the mode, and the newline. */
	char tail[8 * (1 + CUST_INTLEN) + 1 + 12 + 1], *p;
	int rr;

	if ((rr = cust_spool_puts(sp, md5 != NULL ? md5 : "0")) != CUST_OK ||
	    (rr = cust_spool_write(sp, "|", 1)) != CUST_OK ||
	    (rr = putname(sp, r->path, r->pathlen)) != CUST_OK)
		return rr;
	if (r->target != NULL && ((rr = cust_spool_puts(sp, " -> ")) !=
	    CUST_OK || (rr = putname(sp, r->target, r->targetlen)) != CUST_OK))
		return rr;
	p = unum(tail, (uintmax_t)st->st_ino);
	*p++ = '|';
	tskmode(st->st_mode, p);
	p = unum(p + 12, (uintmax_t)st->st_uid);
	p = unum(p, (uintmax_t)st->st_gid);
	p = num(p, (intmax_t)st->st_size);
	p = num(p, (intmax_t)st->st_atim.tv_sec);
	p = num(p, (intmax_t)st->st_mtim.tv_sec);
	p = num(p, (intmax_t)st->st_ctim.tv_sec);
	p = num(p, (intmax_t)(r->btime.tv_sec > 0 ? r->btime.tv_sec : 0));
	*p++ = '\n';
	return cust_spool_write(sp, tail, (size_t)(p - tail));
}

/*
 * A files.jsonl line cannot be a record when it holds more values, or
 * nests deeper, than any record custody writes (some forty members, one
 * object "after" inside): then say why, before jansson spends time and
 * memory on it.  One pass over the bytes, about as fast as memchr.
 */
const char *
cust_record_absurd(const char *p, size_t n)
{
	size_t k = 1, depth = 0;
	bool str = false;

	for (size_t i = 0; i < n; i++) {
		if (str) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				str = false;
			continue;
		}
		if (p[i] == '"')
			str = true;
		else if (p[i] == ',' || p[i] == ':')
			k++;
		else if (p[i] == '[' || p[i] == '{') {
			k++;
			if (++depth > CUST_RECORD_DEPTH)
				return "nested deeper than a record";
		} else if ((p[i] == ']' || p[i] == '}') && depth > 0)
			depth--;
		if (k > CUST_RECORD_VALUES)
			return "more JSON values than a record holds";
	}
	return NULL;
}

/*
 * Parse the JSON text P of N bytes, refusing one of more than MAX values
 * before jansson builds it: an attacker's line of "[0,0,0,..." would
 * otherwise cost some fifty bytes of memory for each two bytes read.
 */
json_t *
cust_json_bounded(const char *p, size_t n, size_t max, json_error_t *err)
{
	size_t k = 1;
	bool str = false;

	for (size_t i = 0; i < n && k <= max; i++) {
		if (str && p[i] == '\\')
			i++;
		else if (p[i] == '"')
			str = !str;
		else if (!str && (p[i] == '[' || p[i] == '{' || p[i] == ',' ||
		    p[i] == ':'))
			k++;
	}
	if (k <= max)
		return json_loadb(p, n, JSON_REJECT_DUPLICATES, err);
	snprintf(err->text, sizeof(err->text), "more than %zu JSON values",
	    max);
	return NULL;
}
