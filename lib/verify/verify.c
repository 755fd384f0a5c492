/*
 * verify.c: the verifier's streaming pass.  The bundle is read once, member by
 * member, in the order bag_writer.c writes it; payload files are hashed as
 * they pass, line-oriented tag files are checked line by line against what
 * was hashed, and the small tag files are kept for checks.c.  Nothing is
 * extracted, every size is bounded before it is read, and the first member
 * out of place ends the pass.
 */
#include <sys/random.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "verify/verify.h"

/* Bytes of payload names kept in memory before they go to the scratch
 * file; each payload file costs 48 bytes more (verify.h), its digests
 * and an index slot, whatever its name's length.  The buffer starts at
 * NAMES_FIRST and doubles as names come: a bundle of a few files, the
 * common case and every fuzzing run, never pays for 8 MiB. */
#define NAMES_BUF	(8 * 1024 * 1024)
#define NAMES_FIRST	(64 * 1024)
#define MAX_ITEMS	(64u * 1024 * 1024)	/* payload files accepted */
#define LINE_FILES	(1024 * 1024)		/* files.jsonl line */
#define LINE_MANIFEST	(72 * 1024)		/* manifest line */
/* A listing's line: the path of a files.jsonl line, escaped (at most 3
 * bytes a byte), so that no path whose record is taken is refused here. */
#define LINE_LISTING	(3 * LINE_FILES)
#define JSON_VALUES	(256u * 1024)		/* values in one JSON text */

static const char *const manifest_name[CUST_NALG] = {
	"manifest-sha256.txt", "manifest-sha512.txt", "manifest-sha1.txt",
	"manifest-md5.txt",
};

/* SHA-256 names an item: equal keys are equal names, so lookups never
 * read the name store.  SHA256() cannot fail on a buffer in memory. */
static void
name_key(const char *s, size_t n, unsigned char key[32])
{
	SHA256((const unsigned char *)s, n, key);
}

/* The slot is a keyed hash of the key: nobody can pile names on a slot. */
static size_t
slot_of(const struct ver *v, const unsigned char key[32])
{
	uint64_t h[2];

	cust_siphash128(v->k0, v->k1, key, 32, h);
	return (size_t)h[0] & (v->slotcap - 1);
}

static struct item *
find(struct ver *v, const unsigned char key[32])
{
	size_t i;

	if (v->slotcap == 0)
		return NULL;
	for (i = slot_of(v, key); v->slots[i] != 0;
	    i = (i + 1) & (v->slotcap - 1)) {
		struct item *it = &v->items[v->slots[i] - 1];

		if (memcmp(it->key, key, 32) == 0)
			return it;
	}
	return NULL;
}

struct item *
ver_lookup(struct ver *v, const char *rel, size_t n)
{
	unsigned char key[32];

	name_key(rel, n, key);
	return find(v, key);
}

const unsigned char *
ver_digest(const struct ver *v, size_t i, size_t k)
{
	const unsigned char *d = v->digs + i * v->dsize;

	for (size_t j = 0; j < k; j++)
		d += cust_alg_size(v->alg[j]);
	return d;
}

static void
insert(struct ver *v, size_t k)
{
	size_t i;

	for (i = slot_of(v, v->items[k].key); v->slots[i] != 0;
	    i = (i + 1) & (v->slotcap - 1))
		;
	v->slots[i] = (uint32_t)k + 1;
}

static int
rehash(struct ver *v)
{
	size_t cap = v->slotcap ? v->slotcap * 2 : 1024;
	uint32_t *s;

	if ((s = calloc(cap, sizeof(*s))) == NULL)
		return -1;
	free(v->slots);
	v->slots = s;
	v->slotcap = cap;
	for (size_t k = 0; k < v->nitems; k++)
		insert(v, k);
	return 0;
}

static const char *
scratch_dir(const struct ver *v)
{
	return v->o->tmpdir != NULL && v->o->tmpdir[0] != '\0' ?
	    v->o->tmpdir : "/tmp";
}

static int
scratch_failed(struct ver *v, int err)
{
	return cust_set_error(v->ctx, err, CUST_FATAL, "%s: scratch file of "
	    "the payload names", scratch_dir(v));
}

/* The names buffer is full: append it to the scratch file, an unnamed
 * one (O_TMPFILE) made now, so a bundle of many files costs disk, not
 * memory, and a small one writes nothing. */
static int
spill(struct ver *v)
{
	size_t off = 0;
	ssize_t k;

	if (v->scratch < 0 && (v->scratch = open(scratch_dir(v),
	    O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
		return scratch_failed(v, errno);
	while (off < v->nameslen) {
		k = write(v->scratch, v->names + off, v->nameslen - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return scratch_failed(v, errno);
		off += (size_t)k;
	}
	v->spilled += v->nameslen;
	v->nameslen = 0;
	return CUST_OK;
}

/* Room for N more bytes of names: the buffer doubles up to NAMES_BUF,
 * then spills.  N is at most a name's length, far below NAMES_BUF. */
static int
names_room(struct ver *v, size_t n)
{
	size_t cap = v->namescap;
	char *p;

	while (n > cap - v->nameslen && cap < NAMES_BUF)
		cap *= 2;
	if (cap != v->namescap) {
		if ((p = realloc(v->names, cap)) == NULL)
			return ver_oom(v);
		v->names = p;
		v->namescap = cap;
	}
	if (n > v->namescap - v->nameslen)
		return spill(v);
	return CUST_OK;
}

/* Keep NAME at the end of the name store. */
static int
keep_name(struct ver *v, const char *name, size_t n)
{
	int r;

	if ((r = names_room(v, n)) != CUST_OK)
		return r;
	memcpy(v->names + v->nameslen, name, n);
	v->nameslen += n;
	return CUST_OK;
}

int
ver_name(struct ver *v, const struct item *it, uint64_t off, char *buf)
{
	unsigned char key[32];
	size_t got = 0;
	ssize_t k;

	if (off >= v->spilled)
		memcpy(buf, v->names + (off - v->spilled), it->namelen);
	while (off < v->spilled && got < it->namelen) {
		k = pread(v->scratch, buf + got, it->namelen - got,
		    (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return scratch_failed(v, k < 0 ? errno : EIO);
		got += (size_t)k;
	}
	buf[it->namelen] = '\0';
	/* Whatever else wrote to the file, a name is the one that was seen. */
	name_key(buf, it->namelen, key);
	if (memcmp(key, it->key, 32) != 0)
		return scratch_failed(v, EILSEQ);
	return CUST_OK;
}

/* A new payload item, its name kept; a name taken already stops the
 * pass with a finding. */
static int
add_item(struct ver *v, const char *rel, uint64_t size)
{
	unsigned char key[32], *d;
	size_t n = strlen(rel), cap;
	struct item *it;
	int r;

	name_key(rel, n, key);
	if (find(v, key) != NULL) {
		v->stop = true;
		return FIND(v, C_ARCHIVE, rel, "duplicate member");
	}
	if (v->nitems == v->itemcap) {
		/* By half: less reserved and not used. */
		cap = v->itemcap ? v->itemcap + v->itemcap / 2 : 1024;
		if ((it = realloc(v->items, cap * sizeof(*it))) == NULL)
			return ver_oom(v);
		v->items = it;
		if ((d = realloc(v->digs, cap * v->dsize)) == NULL)
			return ver_oom(v);
		v->digs = d;
		v->itemcap = cap;
	}
	if ((r = keep_name(v, rel, n)) != CUST_OK)
		return r;
	it = &v->items[v->nitems];
	memcpy(it->key, key, 32);
	it->size = size;
	it->namelen = (uint16_t)n;	/* at most CUST_STORED_MAX */
	it->flags = 0;
	v->nitems++;
	if (v->nitems * 4 > v->slotcap * 3)
		return rehash(v) == 0 ? CUST_OK : ver_oom(v);
	insert(v, v->nitems - 1);
	return CUST_OK;
}

/* The reader gave up: the archive is damaged, hostile or unreadable. */
static int
reader_failed(struct ver *v, int rc)
{
	v->stop = true;
	/* Out of memory (ENOMEM) or OpenSSL (0) is ours, not the input's. */
	if (rc == CUST_FATAL && (cust_ctx_errno(v->ctx) == 0 ||
	    cust_ctx_errno(v->ctx) == ENOMEM))
		return CUST_FATAL;
	if (rc == CUST_FATAL)
		v->rep->verdict = CUST_UNREADABLE;
	return FIND(v, C_ARCHIVE, v->o->name, "%s", cust_ctx_error(v->ctx));
}

static int
tagsum(struct ver *v, const char *name, const unsigned char md[64])
{
	struct tagsum *t;

	if (v->ntags == v->tagcap) {
		if ((t = reallocarray(v->tags, v->tagcap + 16,
		    sizeof(*t))) == NULL)
			return ver_oom(v);
		v->tags = t;
		v->tagcap += 16;
	}
	v->tags[v->ntags].name = name;
	cust_hex(md, 64, v->tags[v->ntags].sha512);
	v->tags[v->ntags].listed = false;
	v->ntags++;
	return CUST_OK;
}

static int
too_big(struct ver *v, const struct cust_member *m, uint64_t lim)
{
	v->stop = true;
	return FIND(v, C_ARCHIVE, m->rel, "%ju bytes, more than the %ju this "
	    "member may have", (uintmax_t)m->size, (uintmax_t)lim);
}

/* Keep a small member in memory; NAME (static) lists it as a tag file. */
static int
hold(struct ver *v, const struct cust_member *m, uint64_t lim,
    struct held *h, const char *name)
{
	unsigned char md[64];
	const void *p;
	ssize_t k;

	if (m->size > lim)
		return too_big(v, m, lim);
	if ((h->p = malloc(m->size + 1)) == NULL)
		return ver_oom(v);
	h->n = 0;
	while ((k = cust_reader_data(v->rd, &p)) > 0) {
		if ((uint64_t)k > m->size - h->n)
			return reader_failed(v, CUST_FAILED);
		memcpy(h->p + h->n, p, (size_t)k);
		h->n += (size_t)k;
	}
	if (k < 0)
		return reader_failed(v, (int)k);
	h->p[h->n] = '\0';
	if (name == NULL)
		return CUST_OK;
	if (EVP_Digest(h->p, h->n, md, NULL, EVP_sha512(), NULL) != 1)
		return cust_set_ssl_error(v->ctx, CUST_FATAL, "sha512");
	return tagsum(v, name, md);
}

typedef int line_fn(struct ver *, size_t k, char *line, size_t n);

/* Room for N bytes in the line buffer, which grows to the longest line
 * met (a line is bounded by v->linemax before it gets here): most lines
 * are short, and a buffer of the longest allowed line would cost its
 * megabytes of memory on every run. */
static int
line_room(struct ver *v, size_t n)
{
	size_t cap = v->linecap != 0 ? v->linecap : 4096;
	char *p;

	while (cap < n)
		cap *= 2;
	if ((p = realloc(v->line, cap)) == NULL)
		return ver_oom(v);
	v->line = p;
	v->linecap = cap;
	return CUST_OK;
}

/* Split bytes into lines for FN, bounded by v->linemax. */
static int
split_lines(struct ver *v, const struct cust_member *m, const char *p,
    size_t n, line_fn *fn, size_t k)
{
	const char *nl;
	size_t take;
	int r;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) : n;
		if (take > v->linemax - v->linelen) {
			v->stop = true;
			return FIND(v, C_STRUCTURE, m->rel, "line %ju is longer "
			    "than %zu bytes", (uintmax_t)v->lineno + 1,
			    v->linemax);
		}
		if (v->linelen + take >= v->linecap &&
		    (r = line_room(v, v->linelen + take + 1)) != CUST_OK)
			return r;
		memcpy(v->line + v->linelen, p, take);
		v->linelen += take;
		p += take;
		n -= take;
		if (nl == NULL)
			break;
		p++;
		n--;
		v->line[v->linelen] = '\0';
		if ((r = fn(v, k, v->line, v->linelen)) != CUST_OK)
			return r;
		v->lineno++;
		v->linelen = 0;
	}
	return CUST_OK;
}

/* Read a member line by line through FN (NULL: only hash it). */
static int
lines(struct ver *v, const struct cust_member *m, size_t max, line_fn *fn,
    size_t k, const char *name)
{
	unsigned char md[64];
	const void *p;
	ssize_t n = 0;
	int r = CUST_OK;

	v->linelen = 0;
	v->lineno = 0;
	v->linemax = max;
	v->lastidx = 0;
	if (EVP_DigestInit_ex2(v->tagmd, EVP_sha512(), NULL) != 1)
		return cust_set_ssl_error(v->ctx, CUST_FATAL, "sha512");
	while (r == CUST_OK && !v->stop &&
	    (n = cust_reader_data(v->rd, &p)) > 0) {
		EVP_DigestUpdate(v->tagmd, p, (size_t)n);
		if (fn != NULL)
			r = split_lines(v, m, p, (size_t)n, fn, k);
	}
	if (r != CUST_OK || v->stop)
		return r;
	if (n < 0)
		return reader_failed(v, (int)n);
	if (fn != NULL && v->linelen > 0 && (r = FIND(v, C_STRUCTURE, m->rel,
	    "last line does not end with a newline")) != CUST_OK)
		return r;
	if (EVP_DigestFinal_ex(v->tagmd, md, NULL) != 1)
		return cust_set_ssl_error(v->ctx, CUST_FATAL, "sha512");
	return tagsum(v, name, md);
}

static int
unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i += 2) {
		int hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
		int lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 :
		    -1;

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* One line "<hex>  data/<name>" of the payload manifest at position K. */
static int
manifest_line(struct ver *v, size_t k, char *line, size_t n)
{
	const char *mname = manifest_name[__builtin_ctz(v->alg[k])];
	size_t dl = cust_alg_size(v->alg[k]), hl = 2 * dl, idx;
	unsigned char want[CUST_MAX_DIGEST];
	char got[2 * CUST_MAX_DIGEST + 1];
	const char *path = line + hl + 2;
	struct item *it;

	if (n < hl + 2 + 5 || line[hl] != ' ' || line[hl + 1] != ' ' ||
	    unhex(line, hl, want) != 0 || strncmp(path, "data/", 5) != 0)
		return FIND(v, C_STRUCTURE, mname, "line %ju is not "
		    "\"<%s>  data/<name>\"", (uintmax_t)v->lineno + 1,
		    cust_alg_name(v->alg[k]));
	if ((it = ver_lookup(v, path, n - hl - 2)) == NULL) {
		v->rep->missing++;
		return FIND(v, C_COMPLETE, path, "listed in %s but not in the "
		    "bundle", mname);
	}
	idx = (size_t)(it - v->items);
	if (it->flags & (1u << k))
		return FIND(v, C_STRUCTURE, path, "listed twice in %s", mname);
	it->flags |= 1u << k;
	/* Members come in manifest order: a member moved breaks it. */
	if (v->lastidx != 0 && idx < v->lastidx && !v->order_reported) {
		v->order_reported = true;
		if (FIND(v, C_STRUCTURE, path, "members are not in the order "
		    "of %s", mname) != CUST_OK)
			return CUST_FATAL;
	}
	v->lastidx = idx + 1;
	if (memcmp(want, ver_digest(v, idx, k), dl) == 0)
		return CUST_OK;
	it->flags |= F_BAD;
	cust_hex(ver_digest(v, idx, k), dl, got);
	return FIND(v, C_VALID, path, "content %s is %s; %s says %.*s",
	    cust_alg_name(v->alg[k]), got, mname, (int)hl, line);
}

/* bodyfile.txt holds escaped names only: every line is UTF-8. */
static int
body_line(struct ver *v, size_t k, char *line, size_t n)
{
	(void)k;
	if (cust_utf8_valid(line, n))
		return CUST_OK;
	return FIND(v, C_META, "metadata/bodyfile.txt", "line %ju is not UTF-8",
	    (uintmax_t)v->lineno + 1);
}

json_t *
ver_json(const char *p, size_t n, json_error_t *err)
{
	return cust_json_bounded(p, n, JSON_VALUES, err);
}

/* A record of an artefact the collector says it could not take. */
static bool
failed(const char *status)
{
	int st = cust_rec_status_parse(status);

	return st >= 0 && cust_rec_status_failed((enum cust_rec_status)st);
}

/* An integer member of O in [0, MAX], or -1. */
json_int_t
ver_bounded(json_t *o, const char *key, uint64_t max)
{
	json_t *n = json_object_get(o, key);

	if (!json_is_integer(n) || json_integer_value(n) < 0 ||
	    (uint64_t)json_integer_value(n) > max)
		return -1;
	return json_integer_value(n);
}

/* The next listing, its lines against acquisition.json's count. */
static int
listing(struct ver *v, const struct cust_member *m)
{
	size_t k = v->curlist++;
	int r;

	if (v->curlist < v->nlists)
		v->stage = CUST_M_LISTING;
	r = lines(v, m, LINE_LISTING, ver_listing_line, k, v->lists[k].member);
	if (r != CUST_OK || v->stop || v->lineno == v->lists[k].lines)
		return r;
	return FIND(v, C_META, m->rel, "%ju lines; acquisition.json says "
	    "%ju", (uintmax_t)v->lineno, (uintmax_t)v->lists[k].lines);
}

/* A short read's fields, when there are any, must say one thing: the
 * stored bytes from bytes_read (padding_offset) to the end are zeros. */
static int
padding(struct ver *v, const char *stored, json_t *o, uint64_t size)
{
	json_int_t got, at, pad;

	if (json_object_get(o, "bytes_read") == NULL &&
	    json_object_get(o, "padding_offset") == NULL &&
	    json_object_get(o, "padding_bytes") == NULL)
		return CUST_OK;
	got = ver_bounded(o, "bytes_read", size);
	at = ver_bounded(o, "padding_offset", size);
	pad = ver_bounded(o, "padding_bytes", size);
	if (got < 0 || at != got || pad < 0 ||
	    (uint64_t)got + (uint64_t)pad != size)
		return FIND(v, C_META, stored, "files.jsonl gives bytes_read, "
		    "padding_offset and padding_bytes that do not add up to "
		    "the member's %ju bytes", (uintmax_t)size);
	return CUST_OK;
}

/* A stored file's record must agree with what the bundle holds. */
static int
record_stored(struct ver *v, const char *stored, json_t *o)
{
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	json_t *bytes = json_object_get(o, "bytes");
	char got[65];
	struct item *it;

	if (strncmp(stored, "data/", 5) != 0 ||
	    (it = ver_lookup(v, stored, strlen(stored))) == NULL)
		return FIND(v, C_META, stored, "files.jsonl line %ju names a "
		    "stored file the bundle does not hold",
		    (uintmax_t)v->lineno + 1);
	if (it->flags & F_FILES)
		return FIND(v, C_META, stored, "two records in files.jsonl");
	it->flags |= F_FILES;
	cust_hex(ver_digest(v, (size_t)(it - v->items), 0), 32, got);
	if (sha == NULL || strcmp(sha, got) != 0)
		return FIND(v, C_META, stored, "files.jsonl gives sha256 %s, "
		    "the content is %s", sha != NULL ? sha : "(none)", got);
	if (!json_is_integer(bytes) ||
	    (uint64_t)json_integer_value(bytes) != it->size)
		return FIND(v, C_META, stored, "files.jsonl gives a size other "
		    "than the member's %ju bytes", (uintmax_t)it->size);
	return padding(v, stored, o, it->size);
}

static int
files_line(struct ver *v, size_t k, char *line, size_t n)
{
	const char *status, *stored;
	json_error_t err;
	json_t *o;
	int r = CUST_OK;

	(void)k;
	/* A dense line would take jansson minutes: refuse it unparsed. */
	if ((status = cust_record_absurd(line, n)) != NULL)
		return FIND(v, C_META, "metadata/files.jsonl", "line %ju: %s "
		    "(at most %d values, %d levels)", (uintmax_t)v->lineno + 1,
		    status, CUST_RECORD_VALUES, CUST_RECORD_DEPTH);
	o = ver_json(line, n, &err);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return FIND(v, C_META, "metadata/files.jsonl", "line %ju: %s",
		    (uintmax_t)v->lineno + 1, o == NULL ? err.text :
		    "not a JSON object");
	}
	v->rep->records++;
	status = json_string_value(json_object_get(o, "status"));
	stored = json_string_value(json_object_get(o, "stored"));
	if (status == NULL)
		r = FIND(v, C_META, "metadata/files.jsonl", "line %ju has no "
		    "status", (uintmax_t)v->lineno + 1);
	else if (failed(status))
		v->rep->not_collected++;
	if (v->nlisted > 0)
		ver_record_listed(v, o);
	if (r == CUST_OK && stored != NULL)
		r = record_stored(v, stored, o);
	else if (r == CUST_OK && json_object_get(o, "stored") != NULL)
		r = FIND(v, C_META, "metadata/files.jsonl", "line %ju: "
		    "\"stored\" is not a string", (uintmax_t)v->lineno + 1);
	json_decref(o);
	return r;
}

static int
payload(struct ver *v, const struct cust_member *m)
{
	const unsigned char *d;
	const void *p;
	size_t off;
	ssize_t k;
	int r;

	if (!cust_stored_valid(m->rel)) {
		v->stop = true;
		return FIND(v, C_ARCHIVE, m->rel, "not a canonical stored name");
	}
	if (v->nitems == MAX_ITEMS) {
		v->stop = true;
		return FIND(v, C_ARCHIVE, m->rel, "more than %u payload files",
		    MAX_ITEMS);
	}
	if ((r = add_item(v, m->rel, m->size)) != CUST_OK || v->stop)
		return r;
	if ((r = cust_digest_reset(v->dig)) != CUST_OK)
		return r;
	while ((k = cust_reader_data(v->rd, &p)) > 0)
		if ((r = cust_digest_update(v->dig, p, (size_t)k)) != CUST_OK)
			return r;
	if (k < 0)
		return reader_failed(v, (int)k);
	if ((r = cust_digest_final(v->dig)) != CUST_OK)
		return r;
	off = (v->nitems - 1) * v->dsize;
	for (size_t j = 0; j < v->nalg; j++) {
		d = cust_digest_raw(v->dig, v->alg[j]);
		memcpy(v->digs + off, d, cust_alg_size(v->alg[j]));
		off += cust_alg_size(v->alg[j]);
	}
	v->rep->payload_files++;
	v->rep->payload_bytes += m->size;
	return CUST_OK;
}

/* metadata/algorithms.txt: one known name a line, sha256 first, in the
 * order bag_writer.c writes them. */
static int
parse_algs(struct ver *v)
{
	char *s = v->algs.p, *nl;
	unsigned bit, mask = 0;

	while (*s != '\0') {
		if ((nl = strchr(s, '\n')) == NULL)
			goto bad;
		*nl = '\0';
		bit = cust_alg_lookup(s);
		*nl = '\n';
		if (bit == 0 || bit <= mask || (v->nalg == 0 &&
		    bit != CUST_ALG_SHA256))
			goto bad;
		mask |= bit;
		v->alg[v->nalg++] = bit;
		v->dsize += cust_alg_size(bit);
		s = nl + 1;
	}
	if (v->nalg == 0 || strlen(v->algs.p) != v->algs.n)
		goto bad;
	return cust_digest_new(v->ctx, mask, &v->dig);
bad:
	v->stop = true;
	return FIND(v, C_STRUCTURE, "metadata/algorithms.txt", "not a list of "
	    "hash algorithms starting with sha256");
}

const char *
ver_wanted(const struct ver *v)
{
	if (v->stage == CUST_M_MANIFEST)
		return manifest_name[__builtin_ctz(v->alg[v->curalg])];
	if (v->stage == CUST_M_LISTING)
		return v->curlist < v->nlists ? v->lists[v->curlist].member :
		    cust_layout[CUST_M_FILES].name;
	return v->stage < CUST_NPART ? cust_layout[v->stage].name : NULL;
}

static int
tagmember(struct ver *v, const struct cust_member *m)
{
	const char *name = ver_wanted(v);
	enum cust_part s = v->stage;
	int r;

	v->stage++;
	switch (s) {
	case CUST_M_LISTING:
		return listing(v, m);
	case CUST_M_FILES:
		return lines(v, m, LINE_FILES, files_line, 0, name);
	case CUST_M_BODY:
		return lines(v, m, LINE_FILES, body_line, 0, name);
	case CUST_M_MANIFEST:
		if (++v->curalg < v->nalg)
			v->stage = CUST_M_MANIFEST;
		return lines(v, m, LINE_MANIFEST, manifest_line,
		    v->curalg - 1, name);
	case CUST_M_BAGIT:
		return hold(v, m, cust_layout[s].max, &v->bagit, name);
	case CUST_M_ALGS:
		if ((r = hold(v, m, cust_layout[s].max, &v->algs, name)) != CUST_OK ||
		    v->stop)
			return r;
		return parse_algs(v);
	case CUST_M_ACQ:
		if ((r = hold(v, m, cust_layout[s].max, &v->acq, name)) !=
		    CUST_OK || v->stop)
			return r;
		return ver_listings_parse(v);
	case CUST_M_CUSTODY:
		return hold(v, m, cust_layout[s].max, &v->custody, name);
	case CUST_M_BAGINFO:
		return hold(v, m, cust_layout[s].max, &v->baginfo, name);
	case CUST_M_TAGMAN:
		return hold(v, m, cust_layout[s].max, &v->tagman, NULL);
	case CUST_M_SIG:
		return hold(v, m, cust_layout[s].max, &v->sig, NULL);
	case CUST_M_P7S:
		return hold(v, m, cust_layout[s].max, &v->p7s, NULL);
	case CUST_M_TSR:
		return hold(v, m, cust_layout[s].max, &v->tsr, NULL);
	case CUST_M_P7STSR:
		if (v->p7s.p == NULL) {
			v->stop = true;
			return FIND(v, C_STRUCTURE, m->rel, "a timestamp of "
			    "the .p7s, but the bundle has no .p7s");
		}
		return hold(v, m, cust_layout[s].max, &v->p7stsr, NULL);
	case CUST_M_CLOSING:
		return hold(v, m, cust_layout[s].max, &v->closing, NULL);
	case CUST_M_CLOSESIG:
		return hold(v, m, cust_layout[s].max, &v->closesig, NULL);
	default:
		return CUST_OK;
	}
}

static int
member(struct ver *v, const struct cust_member *m)
{
	const char *want;

	if (v->stage == CUST_M_DATA) {
		if (strncmp(m->rel, "data/", 5) == 0)
			return payload(v, m);
		v->stage = CUST_M_ACQ;
	}
	if (v->stage == CUST_M_LISTING && v->curlist == v->nlists)
		v->stage = CUST_M_FILES;
	/* After the signature, each optional member in its place; the
	 * closing statement is not optional. */
	while (v->stage > CUST_M_SIG && v->stage < CUST_M_CLOSING &&
	    strcmp(m->rel, cust_layout[v->stage].name) != 0)
		v->stage++;
	if ((want = ver_wanted(v)) == NULL || strcmp(m->rel, want) != 0) {
		v->stop = true;
		if (want == NULL)
			return FIND(v, C_STRUCTURE, m->rel, "unexpected member "
			    "after the closing statement");
		return FIND(v, C_STRUCTURE, m->rel, "unexpected member where "
		    "%s should be", want);
	}
	return tagmember(v, m);
}

static void
fini(struct ver *v)
{
	struct held *h[] = { &v->bagit, &v->algs, &v->acq, &v->custody,
	    &v->baginfo, &v->tagman, &v->sig, &v->p7s, &v->tsr, &v->p7stsr,
	    &v->closing, &v->closesig };

	cust_reader_free(v->rd);
	cust_digest_free(v->dig);
	EVP_MD_CTX_free(v->tagmd);
	free(v->items);
	free(v->digs);
	free(v->slots);
	free(v->names);
	if (v->scratch >= 0)
		close(v->scratch);
	for (size_t i = 0; i < NELEM(h); i++)
		free(h[i]->p);
	free(v->line);
	free(v->tags);
	for (size_t i = 0; i < v->nlists; i++)
		free(v->lists[i].member);
	free(v->lists);
	free(v->listed);
	cust_log_free(v->log);
	free(v->seal_pub);
}

/*
 * The envelope around a confidential bundle: whole, and its GCM tag
 * verified, or nothing read through it counts.  At the stream's END any
 * failure is a finding; after a stop, only the envelope's own (a reader
 * that stops early leaves the decrypting thread a broken pipe).
 */
static int
envelope(struct ver *v, bool end)
{
	struct cust_ctx *tmp;
	const char *msg;
	size_t n = strlen(v->o->name);
	int r;

	if (v->o->unseal == NULL)
		return CUST_OK;
	if (cust_ctx_new(&tmp) != CUST_OK)
		return ver_oom(v);
	r = cust_unseal_end(v->o->unseal, tmp, v->rep->sealed_sha256,
	    &v->rep->sealed_bytes);
	if (r == CUST_OK || (!end && r != CUST_FAILED))
		r = CUST_OK;
	else {
		/* The subject is the bundle already. */
		msg = cust_ctx_error(tmp);
		if (strncmp(msg, v->o->name, n) == 0 && strncmp(msg + n, ": ",
		    2) == 0)
			msg += n + 2;
		r = FIND(v, C_ARCHIVE, v->o->name, "%s", msg);
	}
	cust_ctx_free(tmp);
	return r;
}

/* Read the whole stream, member by member. */
static int
pass(struct ver *v)
{
	const struct cust_member *m;
	int r;

	r = cust_reader_new(v->ctx, v->o->fd, v->o->name, &v->rd);
	if (r != CUST_OK)
		return reader_failed(v, r);
	cust_reader_bound(v->rd, v->o->max_expansion != 0 ?
	    v->o->max_expansion : CUST_MAX_EXPANSION);
	for (;;) {
		if ((r = cust_reader_next(v->rd, &m)) != CUST_OK) {
			r = reader_failed(v, r);
			break;
		}
		if (m == NULL) {
			cust_reader_digest(v->rd, v->rep->sha256,
			    &v->rep->bytes);
			return envelope(v, true);
		}
		v->rep->members++;
		if (v->o->progress != NULL)
			v->o->progress(v->o->progress_arg, v->rep->members,
			    cust_reader_bytes(v->rd), m->rel);
		if ((r = member(v, m)) != CUST_OK || v->stop)
			break;
	}
	/* Stopped before the end: how far it read; no digest of a part. */
	v->rep->bytes = cust_reader_bytes(v->rd);
	return r != CUST_OK ? r : envelope(v, false);
}

int
cust_verify(struct cust_ctx *ctx, const struct cust_verify_opts *o,
    struct cust_report **reportp)
{
	struct ver v;
	int r;

	*reportp = NULL;
	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.o = o;
	v.scratch = -1;
	v.namescap = NAMES_FIRST;
	if ((v.rep = calloc(1, sizeof(*v.rep))) == NULL ||
	    (v.tagmd = EVP_MD_CTX_new()) == NULL ||
	    (v.names = malloc(NAMES_FIRST)) == NULL) {
		r = ver_oom(&v);
		goto out;
	}
	if (getrandom(&v.k0, sizeof(v.k0), 0) != sizeof(v.k0) ||
	    getrandom(&v.k1, sizeof(v.k1), 0) != sizeof(v.k1)) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "getrandom");
		goto out;
	}
	v.rep->verdict = CUST_BROKEN;
	if ((r = pass(&v)) != CUST_OK || (r = ver_finish(&v)) != CUST_OK)
		goto out;
	if (v.rd != NULL && cust_reader_bag(v.rd) != NULL &&
	    (v.rep->bag = strdup(cust_reader_bag(v.rd))) == NULL) {
		r = ver_oom(&v);
		goto out;
	}
	*reportp = v.rep;
	v.rep = NULL;
out:
	cust_report_free(v.rep);
	fini(&v);
	return r;
}
