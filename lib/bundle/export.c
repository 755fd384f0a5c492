/*
 * export.c: `custody export`: the records of a bundle cust_verify has
 * read, written again in the formats investigators' tools read: Sleuth
 * Kit's bodyfile, CSV, a hashdeep known-file list, and (export_case.c) a
 * CASE/UCO JSON-LD graph.  The bundle is read a second time here, and the
 * bytes read must be the bytes verified.  Nothing is printed: the output
 * goes to the FILE the caller gave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "bundle/bundle.h"

static const char *const format_names[] = {
	[CUST_EXPORT_BODYFILE] = "bodyfile",
	[CUST_EXPORT_CSV] = "csv",
	[CUST_EXPORT_HASHDEEP] = "hashdeep",
	[CUST_EXPORT_CASE] = "case",
};

/* The columns of the csv format, in order: the keys of files.jsonl, and
 * "verification", what verify said of the bundle (custody(1)). */
static const char *const csv_columns[] = {
	"path", "stored", "type", "status", "reason", "artefact", "size",
	"bytes", "mode", "uid", "gid", "nlink", "dev", "ino", "atime",
	"mtime", "ctime", "btime", "sha256", "sha512", "sha1", "md5",
	"rdev", "magic", "target", "hardlink_of", "atime_updated",
	"verification",
};

bool
cust_export_format_of(const char *s, enum cust_export_format *f)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names);
	    i++)
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum cust_export_format)i;
			return true;
		}
	return false;
}

bool
cust_export_secs(const char *s, long long *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d,
	    &h, &mi, &sec, &n) != 6 || n != 19)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* The fraction is at or after the second: flooring drops it. */
	*out = (long long)timegm(&tm);
	return true;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ----------------------------------------------------------- bodyfile */

/* Sleuth Kit's type letter of a files.jsonl type. */
static char
tsktype(const char *type)
{
	static const struct { const char *name; char c; } t[] = {
		{ "file", 'r' }, { "dir", 'd' }, { "symlink", 'l' },
		{ "fifo", 'p' }, { "socket", 'h' }, { "block", 'b' },
		{ "char", 'c' },
	};

	for (size_t i = 0; type != NULL && i < sizeof(t) / sizeof(*t); i++)
		if (strcmp(type, t[i].name) == 0)
			return t[i].c;
	return '-';
}

/* "r/rrw-r--r--" of a record's type and octal mode. */
static void
tskmode(const char *type, const char *mode, char out[13])
{
	static const char rwx[] = "rwxrwxrwx";
	unsigned long m = mode != NULL ? strtoul(mode, NULL, 8) : 0;

	out[0] = out[2] = tsktype(type);
	out[1] = '/';
	for (int i = 0; i < 9; i++)
		out[3 + i] = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & 04000)
		out[5] = (m & 0100) ? 's' : 'S';
	if (m & 02000)
		out[8] = (m & 0010) ? 's' : 'S';
	if (m & 01000)
		out[11] = (m & 0001) ? 't' : 'T';
	out[12] = '\0';
}

/* Raw bytes of KEY, or of KEY_b64 (a name that is not UTF-8): owned. */
static char *
rawname(json_t *rec, const char *key, size_t *n)
{
	char k64[32];
	const char *s = str(rec, key), *b;

	if (s != NULL) {
		*n = strlen(s);
		return strdup(s);
	}
	snprintf(k64, sizeof(k64), "%s_b64", key);
	if ((b = str(rec, k64)) == NULL)
		return NULL;
	return cust_b64_decode(b, n);
}

char *
cust_export_name(json_t *rec, const char *key)
{
	char *raw, *e;
	size_t n;

	if ((raw = rawname(rec, key, &n)) == NULL)
		return NULL;
	e = cust_escape(raw, n, NULL);
	free(raw);
	return e;
}

/* The bodyfile spelling of a raw name: the stored-name escape, and '|',
 * the field separator, as "^7C" (custody-bundle(5)). */
static int
putname(struct cust_export *x, json_t *rec, const char *key)
{
	char *raw, *e;
	size_t n, len;
	int r = CUST_OK;

	if ((raw = rawname(rec, key, &n)) == NULL)
		return CUST_OK;
	if ((e = cust_escape(raw, n, &len)) == NULL)
		r = cust_set_error(x->ctx, ENOMEM, CUST_FATAL, "export");
	for (size_t i = 0; e != NULL && i < len; i++)
		if (e[i] == '|')
			fputs("^7C", x->out);
		else
			fputc(e[i], x->out);
	free(e);
	free(raw);
	return r;
}

/* A time column: whole seconds, floored, as mactime reads them; 0 (the
 * body file's "unknown") when the record has none. */
static void
secs(struct cust_export *x, json_t *rec, const char *key)
{
	long long t = 0;

	if (!cust_export_secs(str(rec, key), &t))
		t = 0;
	fprintf(x->out, "|%lld", t);
}

static json_int_t
num(json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(rec, key));
}

static int
bodyfile(struct cust_export *x, json_t *rec)
{
	const char *md5 = str(rec, "md5");
	char mode[13];
	int r;

	/* A record without metadata (it could not be read) has no times. */
	if (str(rec, "mtime") == NULL)
		return CUST_OK;
	fprintf(x->out, "%s|", md5 != NULL ? md5 : "0");
	if ((r = putname(x, rec, "path")) != CUST_OK)
		return r;
	if (json_object_get(rec, "target") != NULL ||
	    json_object_get(rec, "target_b64") != NULL) {
		fputs(" -> ", x->out);
		if ((r = putname(x, rec, "target")) != CUST_OK)
			return r;
	}
	tskmode(str(rec, "type"), str(rec, "mode"), mode);
	fprintf(x->out, "|%" JSON_INTEGER_FORMAT "|%s|%" JSON_INTEGER_FORMAT
	    "|%" JSON_INTEGER_FORMAT "|%" JSON_INTEGER_FORMAT, num(rec, "ino"),
	    mode, num(rec, "uid"), num(rec, "gid"), num(rec, "size"));
	secs(x, rec, "atime");
	secs(x, rec, "mtime");
	secs(x, rec, "ctime");
	secs(x, rec, "btime");
	fputc('\n', x->out);
	return CUST_OK;
}

/* ---------------------------------------------------------------- csv */

/* One field, quoted as RFC 4180 says when it must be.  A value from the
 * host (a link's target, a type probe's words) beginning with = + - @, a
 * tab or a carriage return would be a formula to a spreadsheet, which may
 * run it when the investigator opens the file: it gets a leading
 * apostrophe, which spreadsheets read as "text follows" (custody(1)). */
static void
csv_field(FILE *f, const char *s)
{
	bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

	if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The value of KEY as text: a string, a number, true/false, or "" when
 * absent or null.  A name that is not UTF-8 is given in its stored-name
 * escape. */
static int
csv_value(struct cust_export *x, json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	char *e;

	if (json_is_string(v))
		csv_field(x->out, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(x->out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", x->out);
	else if (v == NULL && (e = cust_export_name(rec, key)) != NULL) {
		csv_field(x->out, e);
		free(e);
	}
	return CUST_OK;
}

static int
csv(struct cust_export *x, json_t *rec)
{
	size_t i, n = sizeof(csv_columns) / sizeof(*csv_columns);
	int r;

	for (i = 0; i + 1 < n; i++) {
		if ((r = csv_value(x, rec, csv_columns[i])) != CUST_OK)
			return r;
		fputc(',', x->out);
	}
	csv_field(x->out, x->status);
	fputs("\r\n", x->out);
	return CUST_OK;
}

static void
csv_head(struct cust_export *x)
{
	size_t n = sizeof(csv_columns) / sizeof(*csv_columns);

	for (size_t i = 0; i < n; i++)
		fprintf(x->out, "%s%s", csv_columns[i], i + 1 < n ? "," :
		    "\r\n");
}

/* ----------------------------------------------------------- hashdeep */

static void
hashdeep_head(struct cust_export *x)
{
	const char *bag = str(x->acq, "bag");

	fprintf(x->out, "%%%%%%%% HASHDEEP-1.0\n%%%%%%%% size,%ssha256,"
	    "filename\n", x->has_md5 ? "md5," : "");
	fputs("## custody export of ", x->out);
	fputs(bag != NULL ? bag : "(no bag recorded)", x->out);
	fprintf(x->out, " (bundle sha256 %s): %s\n", x->o->report->sha256,
	    x->status);
	fputs("## audit in the bag's data directory: cd data && hashdeep -r "
	    "-l -a -k LIST .\n##\n", x->out);
}

/* A stored file: its size and digests, and its name under data/ as
 * hashdeep -l prints it. */
static int
hashdeep(struct cust_export *x, json_t *rec)
{
	const char *stored = str(rec, "stored"), *sha256 = str(rec, "sha256"),
	    *md5 = str(rec, "md5");

	if (stored == NULL || strncmp(stored, "data/", 5) != 0 ||
	    sha256 == NULL || (x->has_md5 && md5 == NULL))
		return CUST_OK;
	fprintf(x->out, "%" JSON_INTEGER_FORMAT ",", num(rec, "bytes"));
	if (x->has_md5)
		fprintf(x->out, "%s,", md5);
	fprintf(x->out, "%s,./%s\n", sha256, stored + 5);
	return CUST_OK;
}

/* --------------------------------------------------------------- each */

static bool
has_alg(json_t *acq, const char *alg)
{
	json_t *a = json_object_get(acq, "hash_algorithms"), *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), alg) == 0)
			return true;
	return false;
}

static int
acquisition(struct cust_export *x, const char *text, size_t len)
{
	if ((x->acq = json_loadb(text, len, 0, NULL)) == NULL ||
	    !json_is_object(x->acq))
		return cust_set_error(x->ctx, 0, CUST_FAILED, "%s: %s: not a "
		    "JSON object", x->o->name, cust_layout[CUST_M_ACQ].name);
	x->has_md5 = has_alg(x->acq, "md5");
	switch (x->o->format) {
	case CUST_EXPORT_BODYFILE:
		/* mactime skips lines that begin with '#'. */
		fprintf(x->out, "# custody export of bundle sha256 %s: %s\n",
		    x->o->report->sha256, x->status);
		return CUST_OK;
	case CUST_EXPORT_CSV:
		csv_head(x);
		return CUST_OK;
	case CUST_EXPORT_HASHDEEP:
		hashdeep_head(x);
		return CUST_OK;
	case CUST_EXPORT_CASE:
		return cust_case_head(x);
	}
	return CUST_OK;
}

static int
record(struct cust_export *x, json_t *rec)
{
	x->n++;
	switch (x->o->format) {
	case CUST_EXPORT_BODYFILE: return bodyfile(x, rec);
	case CUST_EXPORT_CSV: return csv(x, rec);
	case CUST_EXPORT_HASHDEEP: return hashdeep(x, rec);
	case CUST_EXPORT_CASE: return cust_case_record(x, rec);
	}
	return CUST_OK;
}

static int
each(void *arg, const char *member, const char *text, size_t len)
{
	struct cust_export *x = arg;
	json_t *j;
	int r;

	if (strcmp(member, cust_layout[CUST_M_ACQ].name) == 0)
		return acquisition(x, text, len);
	if (x->acq == NULL)
		return cust_set_error(x->ctx, 0, CUST_FAILED, "%s: %s before "
		    "%s", x->o->name, member, cust_layout[CUST_M_ACQ].name);
	if ((j = json_loadb(text, len, 0, NULL)) == NULL || !json_is_object(j))
		r = cust_set_error(x->ctx, 0, CUST_FAILED, "%s: %s: a line "
		    "that is not a JSON object", x->o->name, member);
	else if (strcmp(member, cust_layout[CUST_M_CUSTODY].name) == 0)
		return json_array_append_new(x->events, j) == 0 ? CUST_OK :
		    cust_set_error(x->ctx, ENOMEM, CUST_FATAL, "export");
	else
		r = record(x, j);
	json_decref(j);
	return r;
}

/* What verification said, in words that each format records. */
static const char *
status(const struct cust_report *r)
{
	if (r->verdict == CUST_AUTHENTIC)
		return "verified: authentic";
	if (r->verdict == CUST_UNVERIFIED)
		return "verified: intact, origin unverified (no trusted key)";
	return "FAILED verification; exported anyway (--force)";
}

int
cust_export(struct cust_ctx *ctx, const struct cust_export_opts *o)
{
	struct cust_export x = { .ctx = ctx, .o = o, .out = o->out };
	int r;

	x.forced = o->report->verdict != CUST_AUTHENTIC &&
	    o->report->verdict != CUST_UNVERIFIED;
	x.status = status(o->report);
	if ((x.events = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "export");
	r = cust_scan_verified(ctx, o->fd, o->name, o->max_expansion,
	    o->report->sha256, each, &x);
	if (r == CUST_OK && x.acq == NULL)
		r = cust_set_error(ctx, 0, CUST_FAILED, "%s: no %s", o->name,
		    cust_layout[CUST_M_ACQ].name);
	if (r == CUST_OK && o->format == CUST_EXPORT_CASE)
		r = cust_case_tail(&x);
	if (r == CUST_OK && (fflush(x.out) != 0 || ferror(x.out)))
		r = cust_set_error(ctx, errno, CUST_FATAL, "export: write");
	json_decref(x.acq);
	json_decref(x.events);
	return r;
}
