/*
 * scan.c: read a bundle's records without verifying it, for `custody
 * show`.  The same hostile-input reader as the verifier is used, and the
 * same bounds; what comes out is only what the bundle claims.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle.h"

#define ACQ_MAX		cust_layout[CUST_M_ACQ].max
#define LINE_MAX_LEN	(1024 * 1024)

struct scan {
	const char	*prefix;	/* cust_scan_under: the members */
	struct cust_ctx	*ctx;
	struct cust_reader *rd;
	cust_scan_fn	*fn;
	void		*arg;
	char		*buf;		/* owned: cap bytes */
	size_t		 cap, len;
	bool		 custody;	/* also metadata/custody.jsonl */
};

/* Room for N bytes in the buffer.  It grows to the longest member or line
 * met, at most ACQ_MAX + 1 bytes: a small bundle, or each of the fuzzer's,
 * never pays for the largest one allowed. */
static int
room(struct scan *s, size_t n)
{
	size_t cap = s->cap > 0 ? s->cap : 64 * 1024;
	char *p;

	if (n <= s->cap)
		return CUST_OK;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(s->buf, cap)) == NULL)
		return cust_set_error(s->ctx, ENOMEM, CUST_FATAL, "scan");
	s->buf = p;
	s->cap = cap;
	return CUST_OK;
}

static int
whole(struct scan *s, const struct cust_member *m)
{
	const void *p;
	ssize_t k;
	int r;

	if (m->size > ACQ_MAX)
		return cust_set_error(s->ctx, 0, CUST_FAILED, "%s: larger "
		    "than %ju bytes", m->rel, (uintmax_t)ACQ_MAX);
	if ((r = room(s, (size_t)m->size + 1)) != CUST_OK)
		return r;
	s->len = 0;
	while ((k = cust_reader_data(s->rd, &p)) > 0) {
		if ((uint64_t)k > m->size - s->len)
			return cust_set_error(s->ctx, 0, CUST_FAILED,
			    "%s: longer than its header says", m->rel);
		memcpy(s->buf + s->len, p, (size_t)k);
		s->len += (size_t)k;
	}
	if (k < 0)
		return (int)k;
	s->buf[s->len] = '\0';
	return s->fn(s->arg, m->rel, s->buf, s->len);
}

/* One line of files.jsonl to FN, unless it cannot be a record. */
static int
record(struct scan *s, const struct cust_member *m, size_t lineno)
{
	const char *why;

	/* Tables under a prefix are not files.jsonl records: their lines
	 * are bounded by length alone. */
	if (s->prefix == NULL && (why = cust_record_absurd(s->buf, s->len)) != NULL)
		return cust_set_error(s->ctx, 0, CUST_FAILED, "%s: line %zu: "
		    "%s (at most %d values, %d levels)", m->rel, lineno, why,
		    CUST_RECORD_VALUES, CUST_RECORD_DEPTH);
	return s->fn(s->arg, m->rel, s->buf, s->len);
}

static int
bylines(struct scan *s, const struct cust_member *m)
{
	const char *p, *nl;
	ssize_t k;
	size_t n, take, lineno = 0;
	int r;

	s->len = 0;
	while ((k = cust_reader_data(s->rd, (const void **)&p)) > 0)
		for (n = (size_t)k; n > 0; n -= take, p += take) {
			nl = memchr(p, '\n', n);
			take = nl != NULL ? (size_t)(nl - p) + 1 : n;
			if (s->len + take > LINE_MAX_LEN)
				return cust_set_error(s->ctx, 0, CUST_FAILED,
				    "%s: line too long", m->rel);
			if ((r = room(s, s->len + take + 1)) != CUST_OK)
				return r;
			memcpy(s->buf + s->len, p, take);
			s->len += take;
			if (nl == NULL)
				continue;
			s->buf[--s->len] = '\0';
			if ((r = record(s, m, ++lineno)) != 0)
				return r;
			s->len = 0;
		}
	return k < 0 ? (int)k : CUST_OK;
}

static bool
suffix(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);

	return n >= k && strcmp(s + n - k, end) == 0;
}

/* A member under the prefix: JSON Lines by line, JSON whole. */
static int
under(struct scan *s, const struct cust_member *m)
{
	if (strncmp(m->rel, s->prefix, strlen(s->prefix)) != 0)
		return CUST_OK;
	if (suffix(m->rel, ".jsonl"))
		return bylines(s, m);
	if (suffix(m->rel, ".json"))
		return whole(s, m);
	return CUST_OK;
}

/* The bytes read must be the bytes verified (SHA-256 WANT). */
static int
same_bytes(struct scan *s, const char *name, const char *want)
{
	char got[65];
	uint64_t n;

	cust_reader_digest(s->rd, got, &n);
	if (strcmp(got, want) == 0)
		return CUST_OK;
	return cust_set_error(s->ctx, 0, CUST_FAILED, "%s: changed since it "
	    "was verified (sha256 %s, verified %s)", name, got, want);
}

static int
scan(struct scan *s, int fd, const char *name, uint64_t ratio,
    const char *verified)
{
	const struct cust_member *m;
	int r;

	if ((r = cust_reader_new(s->ctx, fd, name, &s->rd)) != CUST_OK)
		goto out;
	cust_reader_bound(s->rd, ratio != 0 ? ratio : CUST_MAX_EXPANSION);
	while ((r = cust_reader_next(s->rd, &m)) == CUST_OK && m != NULL) {
		if (s->prefix != NULL)
			r = under(s, m);
		else if (strcmp(m->rel, cust_layout[CUST_M_ACQ].name) == 0)
			r = whole(s, m);
		else if (strcmp(m->rel, cust_layout[CUST_M_FILES].name) == 0 ||
		    (s->custody && strcmp(m->rel,
		    cust_layout[CUST_M_CUSTODY].name) == 0))
			r = bylines(s, m);
		if (r != CUST_OK)
			break;
	}
	if (r == CUST_OK && verified != NULL)
		r = same_bytes(s, name, verified);
out:
	cust_reader_free(s->rd);
	free(s->buf);
	return r;
}

int
cust_scan(struct cust_ctx *ctx, int fd, const char *name, cust_scan_fn *fn,
    void *arg)
{
	struct scan s = { .ctx = ctx, .fn = fn, .arg = arg };

	return scan(&s, fd, name, 0, NULL);
}

int
cust_scan_under(struct cust_ctx *ctx, int fd, const char *name,
    const char *prefix, cust_scan_fn *fn, void *arg)
{
	struct scan s = { .ctx = ctx, .fn = fn, .arg = arg, .prefix = prefix };

	return scan(&s, fd, name, 0, NULL);
}

int
cust_scan_verified(struct cust_ctx *ctx, int fd, const char *name,
    uint64_t ratio, const char *verified, cust_scan_fn *fn, void *arg)
{
	struct scan s = { .ctx = ctx, .fn = fn, .arg = arg, .custody = true };

	return scan(&s, fd, name, ratio, verified);
}
