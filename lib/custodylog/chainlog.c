/*
 * chainlog.c: the custody log, a sidecar BUNDLE.custody that records who
 * held a sealed bundle, when, where and why, without ever rewriting the
 * bundle.  JSON Lines, append-only, hash-chained and signed, so that
 * an independent program and stock minisign can check it (custody(1),
 * THE CUSTODY LOG).  Each line is
 *
 *	{"event":"<E>","minisig":"<S>"}
 *
 * where E, a JSON string, holds the compact JSON text of the event object
 * and S the minisign signature file (four lines) over exactly the bytes of
 * E's value.  Keeping the signed text as a string makes the signed bytes
 * unambiguous without a canonical JSON form.  An event's "prev" is the
 * SHA-256 of the previous line's bytes (without its newline), 64 zeros for
 * the first, and the first event holds "bundle": the tag manifest digest
 * that binds the log to one bundle.  This file reads and writes the
 * format; logcheck.c decides what to trust.  Logs come from attackers:
 * sizes are bounded and every field is checked for its type.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custodylog/custodylog.h"

#define LABEL_MAX	256
#define NOTE_MAX	4096
#define EVENT_VALUES	1024	/* JSON values in one event */
#define UNTRUSTED	"custody event signature"
/* The reading buffer: its first size, and its largest, a line and more. */
#define SCAN_FIRST	(64 * 1024)
#define SCAN_MAX	(CUST_LOG_LINE_MAX + 1 + 64 * 1024)

static const char *const types[] = {
	"sealed", "timestamped", "untimestamped", "transferred", "received",
	"verified", "stored", "note",
};

/* custody(1) states the log's memory as 128 bytes an event. */
_Static_assert(sizeof(struct cust_log_ev) <= 128,
    "a custody log event's index entry outgrew its documented bound");

static const char zeros[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* ------------------------------------------------------------- reading */

static void
slot_clear(struct cust_log_slot *s)
{
	json_decref(s->obj);
	free(s->text);
	free(s->minisig);
	memset(s, 0, sizeof(*s));
}

void
cust_log_free(struct cust_log *log)
{
	if (log == NULL)
		return;
	if (log->cur != NULL)
		slot_clear(log->cur);
	free(log->cur);
	free(log->v);
	free(log->name);
	free(log);
}

bool
cust_log_known_type(const char *type)
{
	for (size_t i = 0; type != NULL && i < NELEM(types); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

static bool
hexof(const char *s, size_t n, const char *digits)
{
	return s != NULL && strlen(s) == n && strspn(s, digits) == n;
}

bool
cust_log_hex(const char *s, size_t n)
{
	return hexof(s, n, "0123456789abcdef");
}

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", as cust_time_utc writes it. */
int
cust_log_time(const char *s, struct timespec *ts)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	struct tm tm;
	long ns = 0;

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return -1;
	for (size_t i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' :
		    s[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	/* NOLINTBEGIN(cert-err34-c): every field is digits, checked above */
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	/* NOLINTEND(cert-err34-c) */
	for (size_t i = 20; i < 29; i++)
		ns = ns * 10 + (s[i] - '0');
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	ts->tv_sec = timegm(&tm);
	ts->tv_nsec = ns;
	return 0;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool
eq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* K is there, and a string or null (STRONLY: a string). */
static bool
strnull(json_t *o, const char *k, bool stronly)
{
	json_t *j = json_object_get(o, k);

	return json_is_string(j) || (!stronly && json_is_null(j));
}

/* The fields every event has, with their types. */
static const char *
common(json_t *o, struct cust_log_entry *e, struct timespec *when)
{
	json_t *a = json_object_get(o, "actor"), *seq;
	static const char *const actor[] = { "name", "role", "organisation",
	    "contact" };

	seq = json_object_get(o, "seq");
	if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		return "\"seq\" is not a number from 0";
	e->seq = (uint64_t)json_integer_value(seq);
	if (!cust_log_known_type(e->type = str(o, "type")))
		return "\"type\" is not an event type";
	if (cust_log_time(e->time = str(o, "time"), when) != 0)
		return "\"time\" is not an RFC 3339 UTC time";
	if (!strnull(o, "local_time", true) || !strnull(o, "zone", false) ||
	    !strnull(o, "location", false) || !strnull(o, "purpose", false))
		return "\"local_time\", \"zone\", \"location\" or \"purpose\" "
		    "is missing or not text";
	for (size_t i = 0; i < NELEM(actor); i++)
		if (!json_is_object(a) || !strnull(a, actor[i], false))
			return "\"actor\" is not {name, role, organisation, "
			    "contact}";
	if (!cust_log_hex(str(o, "prev"), 64))
		return "\"prev\" is not 64 lowercase hex digits";
	if (!hexof(e->key_id = str(o, "key_id"), CUST_KEYID_HEXLEN,
	    "0123456789ABCDEF") || !strnull(o, "public_key", true))
		return "\"key_id\" or \"public_key\" is missing";
	return NULL;
}

/* "bundle": required in event 0, and its shape wherever it is. */
static const char *
binding(json_t *o, struct cust_log_entry *e)
{
	json_t *b = json_object_get(o, "bundle");

	if (b == NULL)
		return e->seq == 0 ? "event 0 does not name its bundle" : NULL;
	if (!json_is_object(b) || !strnull(b, "bag", true) ||
	    !cust_log_hex(str(b, "tagmanifest_sha512"), 128) ||
	    (!json_is_null(json_object_get(b, "sha256")) &&
	    !cust_log_hex(str(b, "sha256"), 64)))
		return "\"bundle\" is not {bag, tagmanifest_sha512, sha256}";
	e->bag = str(b, "bag");
	e->tagmanifest_sha512 = str(b, "tagmanifest_sha512");
	e->sha256 = str(b, "sha256");
	return NULL;
}

static const char *
tokens(json_t *o, struct cust_log_entry *e)
{
	json_t *a = json_object_get(o, "tokens"), *t;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return "\"tokens\" is not a list of tokens";
	for (i = 0; i < json_array_size(a); i++) {
		t = json_array_get(a, i);
		if (!json_is_object(t) || !strnull(t, "token", true) ||
		    !strnull(t, "tsa", true) ||
		    !strnull(t, "gen_time", false) ||
		    (!eq(str(t, "over"), CUST_SIG_MEMBER) &&
		    !eq(str(t, "over"), CUST_P7S_MEMBER)))
			return "a token is not {over, tsa, gen_time, token}";
	}
	e->tokens = json_array_size(a);
	e->tsa = str(json_array_get(a, 0), "tsa");
	e->gen_time = str(json_array_get(a, 0), "gen_time");
	return NULL;
}

/* What each type adds. */
static const char *
specific(json_t *o, struct cust_log_entry *e)
{
	if (strcmp(e->type, "transferred") == 0) {
		if (!strnull(o, "from", true) || !strnull(o, "to", true))
			return "a transfer without \"from\" and \"to\"";
		e->from = str(o, "from");
		e->to = str(o, "to");
	} else if (strcmp(e->type, "timestamped") == 0)
		return tokens(o, e);
	else if (strcmp(e->type, "untimestamped") == 0) {
		if (!strnull(o, "tsa", true) || !strnull(o, "reason", true))
			return "\"tsa\" or \"reason\" is missing";
		e->tsa = str(o, "tsa");
		e->note = str(o, "reason");
	} else if (json_object_get(o, "note") != NULL) {
		if (!strnull(o, "note", false))
			return "\"note\" is not text";
		e->note = str(o, "note");
	}
	return NULL;
}

static void
view(json_t *o, struct cust_log_entry *e)
{
	json_t *a = json_object_get(o, "actor");

	e->local_time = str(o, "local_time");
	e->zone = str(o, "zone");
	e->name = str(a, "name");
	e->role = str(a, "role");
	e->organisation = str(a, "organisation");
	e->contact = str(a, "contact");
	e->location = str(o, "location");
	e->purpose = str(o, "purpose");
}

/*
 * The event's key, its "public_key": the minisign ID its blob carries,
 * its "key_id" and, in "sealed", its "seal" "key_id" must all be the
 * key's own ID, or the event is made to be taken for another key's.  The
 * ID kept (and printed by custody log) is the key's own.  *why says what
 * is wrong, in BUF; CUST_FATAL when out of memory.
 */
static int
identity(struct cust_ctx *ctx, struct cust_log_slot *ev, char *buf, size_t n,
    const char **why)
{
	const char *pub = str(ev->obj, "public_key");
	json_t *seal = json_object_get(ev->obj, "seal");
	struct cust_key *key;
	int r;

	if ((r = cust_key_parse_public(ctx, pub, strlen(pub), &key)) ==
	    CUST_OK) {
		cust_key_id_hex(key, ev->key_id);
		if ((r = cust_key_check_own_id(ctx, key, "\"public_key\"")) ==
		    CUST_OK && (r = cust_key_check_claim(ctx, key,
		    "\"key_id\"", ev->e.key_id)) == CUST_OK && seal != NULL)
			r = cust_key_check_claim(ctx, key, "\"seal\" \"key_id\"",
			    str(seal, "key_id"));
		ev->e.key_id = ev->key_id;
		cust_key_free(key);
	}
	if (r == CUST_FAILED) {
		snprintf(buf, n, "event %ju (%s): %s", (uintmax_t)ev->e.seq,
		    ev->e.type, cust_ctx_error(ctx));
		*why = buf;
	}
	return r == CUST_FATAL ? r : CUST_OK;
}

/* Parse line LINENO, the N bytes at P, into EV (cleared first). */
static int
parse_line(struct cust_ctx *ctx, const char *name, const char *p, size_t n,
    size_t lineno, struct cust_log_slot *ev)
{
	json_error_t err;
	const char *why = NULL;
	char buf[256];
	json_t *line;

	slot_clear(ev);
	line = cust_json_bounded(p, n, 8, &err);
	if (line == NULL || !json_is_object(line) || json_object_size(line) !=
	    2 || !strnull(line, "event", true) ||
	    !strnull(line, "minisig", true))
		why = line == NULL ? err.text : "not {\"event\": TEXT, "
		    "\"minisig\": TEXT}";
	else if ((ev->text = strdup(str(line, "event"))) == NULL ||
	    (ev->minisig = strdup(str(line, "minisig"))) == NULL) {
		json_decref(line);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", name);
	}
	json_decref(line);
	if (why == NULL) {
		ev->len = strlen(ev->text);
		ev->obj = cust_json_bounded(ev->text, ev->len, EVENT_VALUES,
		    &err);
		if (!json_is_object(ev->obj))
			why = ev->obj == NULL ? err.text : "the event is not "
			    "a JSON object";
		else if ((why = common(ev->obj, &ev->e, &ev->when)) == NULL &&
		    (why = binding(ev->obj, &ev->e)) == NULL &&
		    (why = specific(ev->obj, &ev->e)) == NULL)
			view(ev->obj, &ev->e);
	}
	if (why == NULL && identity(ctx, ev, buf, sizeof(buf), &why) ==
	    CUST_FATAL)
		return CUST_FATAL;
	if (why != NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: line %zu: %s",
		    name, lineno, why);
	return cust_sha256_hex(ctx, p, n, ev->e.hash);
}

/* Keep what the log needs of the line just parsed into log->cur. */
static int
keep(struct cust_log *log, off_t off, size_t len)
{
	const struct cust_log_slot *s = log->cur;
	struct cust_log_ev *ev, *v;
	size_t cap;

	if (log->n == log->cap) {
		cap = log->cap ? log->cap * 2 : 16;
		if ((v = realloc(log->v, cap * sizeof(*v))) == NULL)
			return cust_set_error(log->ctx, ENOMEM, CUST_FATAL,
			    "%s", log->name);
		log->v = v;
		log->cap = cap;
	}
	ev = &log->v[log->n];
	memset(ev, 0, sizeof(*ev));
	ev->seq = s->e.seq;
	ev->when = s->when;
	ev->off = off;
	ev->len = len;
	ev->linked = strcmp(str(s->obj, "prev"), log->n == 0 ? zeros :
	    log->v[log->n - 1].hash) == 0;
	memcpy(ev->key_id, s->e.key_id, CUST_KEYID_HEXLEN);
	memcpy(ev->hash, s->e.hash, sizeof(ev->hash));
	log->n++;
	return CUST_OK;
}

/* The complete lines in BUF[0..*have), which starts at file offset BASE;
 * what is left (a line not yet ended) is moved to BUF's start. */
static int
lines(struct cust_log *log, char *buf, size_t *have, off_t *base, bool eof)
{
	char *p = buf, *end = buf + *have, *nl;
	size_t lineno;
	int r;

	for (; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
		lineno = log->n + 1;
		if ((size_t)(nl - p) > CUST_LOG_LINE_MAX)
			break;
		if ((r = parse_line(log->ctx, log->name, p, (size_t)(nl - p),
		    lineno, log->cur)) != CUST_OK ||
		    (r = keep(log, *base + (p - buf), (size_t)(nl - p))) !=
		    CUST_OK)
			return r;
		log->cur->i = log->n - 1;
	}
	lineno = log->n + 1;
	if ((size_t)((nl != NULL ? nl : end) - p) > CUST_LOG_LINE_MAX)
		return cust_set_error(log->ctx, 0, CUST_FAILED, "%s: line %zu "
		    "is longer than %d bytes", log->name, lineno,
		    CUST_LOG_LINE_MAX);
	if (eof && p < end)
		return cust_set_error(log->ctx, 0, CUST_FAILED, "%s: line %zu "
		    "does not end with a newline (cut short?)", log->name,
		    lineno);
	memmove(buf, p, (size_t)(end - p));
	*base += p - buf;
	*have = (size_t)(end - p);
	return CUST_OK;
}

/* The read buffer is full of one unfinished line: double it.  lines()
 * leaves at most CUST_LOG_LINE_MAX bytes, so it is never full at SCAN_MAX. */
static int
grow(struct cust_log *log, char **bufp, size_t *capp)
{
	size_t cap = *capp * 2 > SCAN_MAX ? SCAN_MAX : *capp * 2;
	char *p;

	if ((p = realloc(*bufp, cap)) == NULL)
		return cust_set_error(log->ctx, ENOMEM, CUST_FATAL, "%s",
		    log->name);
	*bufp = p;
	*capp = cap;
	return CUST_OK;
}

/* Read the log once, line by line from offset 0, in a buffer that grows
 * to the longest line met, at most one line's bound: nothing of it is
 * held but what keep() keeps. */
static int
scan(struct cust_log *log)
{
	size_t cap = SCAN_FIRST, have = 0;
	off_t base = 0;
	struct stat st;
	ssize_t k = 1;
	char *buf;
	int r = CUST_OK;

	if (fstat(log->fd, &st) != 0)
		return cust_set_error(log->ctx, errno, CUST_FATAL, "%s",
		    log->name);
	/* A FIFO has no offsets to read at, and a device no end. */
	if (!S_ISREG(st.st_mode))
		return cust_set_error(log->ctx, 0, CUST_FAILED, "%s: not a "
		    "regular file", log->name);
	if (st.st_size > CUST_LOG_MAX)
		return cust_set_error(log->ctx, 0, CUST_FAILED, "%s: larger "
		    "than %d bytes", log->name, CUST_LOG_MAX);
	if ((buf = malloc(cap)) == NULL)
		return cust_set_error(log->ctx, ENOMEM, CUST_FATAL, "%s",
		    log->name);
	while (r == CUST_OK && k != 0) {
		if (have == cap && (r = grow(log, &buf, &cap)) != CUST_OK)
			break;
		k = pread(log->fd, buf + have, cap - have, base + (off_t)have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = cust_set_error(log->ctx, errno, CUST_FATAL, "%s",
			    log->name);
			break;
		}
		have += (size_t)k;
		/* The file may have grown since fstat. */
		if (base + (off_t)have > CUST_LOG_MAX)
			r = cust_set_error(log->ctx, 0, CUST_FAILED, "%s: "
			    "larger than %d bytes", log->name, CUST_LOG_MAX);
		else
			r = lines(log, buf, &have, &base, k == 0);
	}
	log->size = (size_t)base;
	free(buf);
	return r;
}

int
cust_log_read(struct cust_ctx *ctx, int fd, const char *name,
    struct cust_log **logp)
{
	struct cust_log *log;
	int r;

	*logp = NULL;
	if ((log = calloc(1, sizeof(*log))) == NULL ||
	    (log->name = strdup(name)) == NULL ||
	    (log->cur = calloc(1, sizeof(*log->cur))) == NULL) {
		cust_log_free(log);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", name);
	}
	log->ctx = ctx;
	log->fd = fd;
	if ((r = scan(log)) != CUST_OK) {
		cust_log_free(log);
		return r;
	}
	*logp = log;
	return CUST_OK;
}

const struct cust_log_slot *
cust_log_load(const struct cust_log *log, size_t i)
{
	const struct cust_log_ev *ev = &log->v[i];
	char *buf, hash[65];
	ssize_t k;
	int r;

	if (log->cur->obj != NULL && log->cur->i == i)
		return log->cur;
	if ((buf = malloc(ev->len + 1)) == NULL) {
		cust_set_error(log->ctx, ENOMEM, CUST_FATAL, "%s", log->name);
		return NULL;
	}
	while ((k = pread(log->fd, buf, ev->len, ev->off)) < 0 &&
	    errno == EINTR)
		;
	if (k != (ssize_t)ev->len ||
	    cust_sha256_hex(log->ctx, buf, ev->len, hash) != CUST_OK ||
	    strcmp(hash, ev->hash) != 0) {
		r = k < 0 ? cust_set_error(log->ctx, errno, CUST_FATAL, "%s",
		    log->name) : cust_set_error(log->ctx, 0, CUST_FAILED, "%s: "
		    "line %zu changed while it was read", log->name, i + 1);
		slot_clear(log->cur);
		free(buf);
		return NULL;
	}
	r = parse_line(log->ctx, log->name, buf, ev->len, i + 1, log->cur);
	free(buf);
	if (r != CUST_OK) {
		slot_clear(log->cur);
		return NULL;
	}
	log->cur->i = i;
	return log->cur;
}

bool
cust_log_before(const struct cust_log *log, size_t a, size_t b)
{
	const struct timespec *x = &log->v[a].when, *y = &log->v[b].when;

	return x->tv_sec < y->tv_sec || (x->tv_sec == y->tv_sec &&
	    x->tv_nsec < y->tv_nsec);
}

size_t
cust_log_count(const struct cust_log *log)
{
	return log->n;
}

const struct cust_log_entry *
cust_log_entry(const struct cust_log *log, size_t i)
{
	const struct cust_log_slot *s = i < log->n ? cust_log_load(log, i) :
	    NULL;

	return s != NULL ? &s->e : NULL;
}

const char *
cust_log_head(const struct cust_log *log)
{
	return log->n > 0 ? log->v[log->n - 1].hash : "";
}

char *
cust_log_json_event(const struct cust_log *log, size_t i)
{
	const struct cust_log_slot *s = cust_log_load(log, i);
	json_t *e;
	char *out = NULL;

	if (s == NULL)
		return NULL;
	e = json_pack("{s:O, s:s, s:s}", "event", s->obj, "minisig",
	    s->minisig, "sha256", s->e.hash);
	if (e != NULL)
		out = json_dumps(e, JSON_INDENT(2));
	json_decref(e);
	return out;
}

/* ---------------------------------------------------------- the chain */

const char *
cust_log_link(const struct cust_log *log, size_t i, char *buf, size_t n)
{
	const struct cust_log_ev *ev = &log->v[i];

	if (ev->seq != i) {
		snprintf(buf, n, "its sequence number is %ju where %zu was "
		    "expected: an event before it was removed, or events "
		    "were reordered", (uintmax_t)ev->seq, i);
		return buf;
	}
	if (ev->linked)
		return NULL;
	if (i == 0)
		snprintf(buf, n, "\"prev\" is not 64 zeros, as the first "
		    "event's must be: events before it were removed");
	else
		snprintf(buf, n, "it does not chain to event %zu (its \"prev\" "
		    "is not the SHA-256 of the line before): that line was "
		    "altered, removed or moved", i - 1);
	return buf;
}

int
cust_log_links(struct cust_ctx *ctx, const struct cust_log *log)
{
	const struct cust_log_entry *e;
	const char *why;
	char buf[256];

	for (size_t i = 0; i < log->n; i++)
		if ((why = cust_log_link(log, i, buf, sizeof(buf))) != NULL) {
			/* Its type, for the message: the line is read again. */
			if ((e = cust_log_entry(log, i)) == NULL)
				return cust_ctx_errno(ctx) != 0 ? CUST_FATAL :
				    CUST_FAILED;
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: event "
			    "%ju (%s): %s", log->name, (uintmax_t)e->seq,
			    e->type, why);
		}
	return CUST_OK;
}

/* ------------------------------------------------------------- writing */

static int
labels(struct cust_ctx *ctx, const struct cust_event *ev)
{
	int r;

	if ((r = cust_check_label(ctx, "name", ev->name, LABEL_MAX)) != CUST_OK ||
	    (r = cust_check_label(ctx, "role", ev->role, LABEL_MAX)) != CUST_OK ||
	    (r = cust_check_label(ctx, "organisation", ev->organisation, LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "contact", ev->contact, LABEL_MAX)) != CUST_OK ||
	    (r = cust_check_label(ctx, "location", ev->location, LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "purpose", ev->purpose, LABEL_MAX)) != CUST_OK ||
	    (r = cust_check_label(ctx, "from", ev->from, LABEL_MAX)) != CUST_OK ||
	    (r = cust_check_label(ctx, "to", ev->to, LABEL_MAX)) != CUST_OK ||
	    (r = cust_check_label(ctx, "note", ev->note, NOTE_MAX)) != CUST_OK)
		return r;
	if (ev->key == NULL || !cust_key_has_secret(ev->key))
		return cust_set_error(ctx, 0, CUST_FAILED, "custody event: "
		    "no secret key to sign it with");
	return CUST_OK;
}

static json_t *
opt(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The fields every event has, in the documented order. */
static json_t *
skeleton(const struct cust_event *ev, uint64_t seq, const char *prev,
    const struct timespec *now)
{
	char utc[CUST_TIMELEN], loc[CUST_TIMELEN], id[CUST_KEYID_HEXLEN + 1];
	char zone[64] = "", *pub;
	time_t t = now->tv_sec;
	struct tm tm;
	json_t *o;

	cust_time_utc(now, utc);
	cust_time_local(now, loc);
	if (localtime_r(&t, &tm) != NULL && tm.tm_zone != NULL &&
	    cust_utf8_valid(tm.tm_zone, strlen(tm.tm_zone)))
		snprintf(zone, sizeof(zone), "%s", tm.tm_zone);
	cust_key_id_hex(ev->key, id);
	if ((pub = cust_key_public_b64(ev->key)) == NULL)
		return NULL;
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:{s:o, s:o, s:o, s:o}, "
	    "s:o, s:o, s:s, s:s, s:s}", "seq", (json_int_t)seq, "type",
	    ev->type, "time", utc, "local_time", loc, "zone",
	    zone[0] ? json_string(zone) : json_null(), "actor", "name",
	    opt(ev->name), "role", opt(ev->role), "organisation",
	    opt(ev->organisation), "contact", opt(ev->contact), "location",
	    opt(ev->location), "purpose", opt(ev->purpose), "prev", prev,
	    "key_id", id, "public_key", pub);
	free(pub);
	return o;
}

static json_t *
bundle_json(const struct cust_bundle_ref *ref)
{
	return json_pack("{s:s, s:s, s:o}", "bag", ref->bag,
	    "tagmanifest_sha512", ref->tagmanifest_sha512, "sha256",
	    ref->sha256[0] ? json_string(ref->sha256) : json_null());
}

/* The signed line for event O: {"event": TEXT, "minisig": SIG}. */
static int
sign_line(struct cust_ctx *ctx, const struct cust_event *ev, json_t *o,
    char **linep)
{
	char *text = NULL, *sig = NULL, *trusted = NULL;
	json_t *line = NULL;
	size_t siglen;
	int r = CUST_FATAL;

	*linep = NULL;
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL ||
	    asprintf(&trusted, "custody event seq:%jd type:%s time:%s",
	    (intmax_t)json_integer_value(json_object_get(o, "seq")), ev->type,
	    str(o, "time")) < 0) {
		trusted = NULL;
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
		goto out;
	}
	if ((r = cust_sig_make(ctx, ev->key, text, strlen(text), UNTRUSTED,
	    trusted, &sig, &siglen)) != CUST_OK)
		goto out;
	if ((line = json_pack("{s:s, s:s}", "event", text, "minisig",
	    sig)) == NULL || (*linep = json_dumps(line, JSON_COMPACT)) ==
	    NULL)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
out:
	json_decref(line);
	free(sig);
	free(trusted);
	free(text);
	return r;
}

/* Append LINE and a newline; undo a partial write. */
static int
put(struct cust_ctx *ctx, int fd, const char *name, off_t size, char *line)
{
	size_t n = strlen(line);
	int err;

	line[n] = '\n';
	if (cust_write_all(fd, line, n + 1) != 0 || fsync(fd) != 0) {
		err = errno;
		line[n] = '\0';
		if (ftruncate(fd, size) != 0)
			return cust_set_error(ctx, err, CUST_FATAL, "%s: the "
			    "last line may be cut short", name);
		return cust_set_error(ctx, err, CUST_FATAL, "%s", name);
	}
	line[n] = '\0';
	return CUST_OK;
}

/*
 * Is event I one whose time the appender believes: signed (verified) by
 * the appender's own key, or event 0, the seal, by the key it names?  Any
 * other key may be anybody's, and its clock too.  1 yes, 0 no, or -1.
 */
static int
believed(const struct cust_log *log, size_t i, const struct cust_key *own)
{
	char id[CUST_KEYID_HEXLEN + 1];
	const struct cust_log_slot *s;
	struct cust_sig *sig = NULL;
	const char *why;
	int r;

	cust_key_id_hex(own, id);
	if (i != 0 && strcmp(log->v[i].key_id, id) != 0)
		return 0;
	if ((s = cust_log_load(log, i)) == NULL)
		return -1;
	if (i == 0 && strcmp(s->e.key_id, id) != 0) {
		why = cust_log_signed(log, 0, &r);
		return r == CUST_FATAL ? -1 : why == NULL;
	}
	if ((r = cust_sig_parse(log->ctx, s->minisig, strlen(s->minisig),
	    &sig)) == CUST_OK)
		r = cust_sig_verify(log->ctx, sig, own, s->text, s->len);
	cust_sig_free(sig);
	return r == CUST_FATAL ? -1 : r == CUST_OK;
}

/*
 * This clock (NOW) must not be before an event whose time the appender
 * believes; an event of any other key dated after NOW cannot stop it, but
 * is named in WARN (the latest such).
 */
static int
in_time(struct cust_ctx *ctx, const struct cust_log *log,
    const struct cust_key *own, const struct timespec *now, char *warn,
    size_t wn)
{
	const struct cust_log_ev *ev;
	char when[CUST_TIMELEN], at[CUST_TIMELEN];
	struct timespec t;
	int b;

	cust_time_utc(now, when);
	for (size_t i = log->n; i-- > 0;) {
		ev = &log->v[i];
		if (ev->when.tv_sec < now->tv_sec || (ev->when.tv_sec ==
		    now->tv_sec && ev->when.tv_nsec <= now->tv_nsec))
			continue;
		if ((b = believed(log, i, own)) < 0)
			return cust_ctx_errno(ctx) != 0 ? CUST_FATAL :
			    CUST_FAILED;
		t = ev->when;
		cust_time_utc(&t, at);
		if (b == 1)
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: this "
			    "clock says %s, before event %zu's time %s: set "
			    "the clock", log->name, when, i, at);
		if (warn[0] == '\0')
			snprintf(warn, wn, "%s: event %zu, by key %s, is "
			    "dated %s, after this clock (%s): that key is "
			    "not this one or the seal's, so its time was not "
			    "believed; custody verify will name it", log->name,
			    i, ev->key_id, at, when);
	}
	return CUST_OK;
}

/* Before writing: the log is whole and ours, and time goes forward. */
static int
appendable(struct cust_ctx *ctx, const struct cust_log *log,
    const struct cust_bundle_ref *ref, const struct cust_event *ev,
    const struct timespec *now, char *warn, size_t wn)
{
	const struct cust_log_entry *first;
	int r;

	if ((r = cust_log_links(ctx, log)) != CUST_OK)
		return r;
	if (log->n == 0 && ref == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the log is "
		    "empty and no bundle was read to bind it to", log->name);
	if (log->n > 0 && ref != NULL) {
		if ((first = cust_log_entry(log, 0)) == NULL)
			return cust_ctx_errno(ctx) != 0 ? CUST_FATAL :
			    CUST_FAILED;
		if (strcmp(first->tagmanifest_sha512,
		    ref->tagmanifest_sha512) != 0)
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: the "
			    "log belongs to another bundle", log->name);
	}
	return in_time(ctx, log, ev->key, now, warn, wn);
}

/* Checked by labels(): the type is known and the fields are lines. */
static int
valid(struct cust_ctx *ctx, const struct cust_event *ev)
{
	if (!cust_log_known_type(ev->type))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not an event "
		    "type", ev->type != NULL ? ev->type : "(none)");
	return labels(ctx, ev);
}

int
cust_log_line(struct cust_ctx *ctx, uint64_t seq, const char *prev,
    const struct timespec *now, const struct cust_bundle_ref *ref,
    const struct cust_event *ev, json_t *extra, char **linep)
{
	json_t *o;
	char *line = NULL, *p;
	int r;

	*linep = NULL;
	if ((r = valid(ctx, ev)) != CUST_OK)
		return r;
	if ((o = skeleton(ev, seq, prev != NULL ? prev : zeros, now)) ==
	    NULL || (seq == 0 && json_object_set_new(o, "bundle",
	    bundle_json(ref)) != 0) || (extra != NULL &&
	    json_object_update(o, extra) != 0)) {
		json_decref(o);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
	}
	r = sign_line(ctx, ev, o, &line);
	json_decref(o);
	if (r != CUST_OK)
		return r;
	/* Room for the newline a writer adds. */
	if ((p = realloc(line, strlen(line) + 2)) == NULL) {
		free(line);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
	}
	*linep = p;
	return CUST_OK;
}

static int
locked_write(struct cust_ctx *ctx, int fd, const char *name,
    const struct cust_bundle_ref *ref, const struct cust_event *ev,
    json_t *extra, char head[65])
{
	struct cust_log *log = NULL;
	struct timespec now;
	char *line = NULL, warn[512] = "";
	int r;

	if ((r = cust_log_read(ctx, fd, name, &log)) != CUST_OK)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	if ((r = appendable(ctx, log, ref, ev, &now, warn, sizeof(warn))) !=
	    CUST_OK ||
	    (r = cust_log_line(ctx, log->n, log->n ? cust_log_head(log) : NULL,
	    &now, ref, ev, extra, &line)) != CUST_OK ||
	    (r = cust_sha256_hex(ctx, line, strlen(line), head)) != CUST_OK)
		goto out;
	r = put(ctx, fd, name, (off_t)log->size, line);
	if (r == CUST_OK && warn[0] != '\0')
		r = cust_set_error(ctx, 0, CUST_WARN, "%s", warn);
out:
	free(line);
	cust_log_free(log);
	return r;
}

int
cust_log_write(struct cust_ctx *ctx, int fd, const char *name,
    const struct cust_bundle_ref *ref, const struct cust_event *ev,
    json_t *extra, char head[65])
{
	int r;

	if ((r = valid(ctx, ev)) != CUST_OK)
		return r;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return cust_set_error(ctx, errno, CUST_FATAL, "%s",
			    name);
	r = locked_write(ctx, fd, name, ref, ev, extra, head);
	flock(fd, LOCK_UN);
	return r;
}

int
cust_log_append(struct cust_ctx *ctx, int fd, const char *name,
    const struct cust_bundle_ref *ref, const struct cust_event *ev,
    char head[65])
{
	json_t *extra;
	int r;

	if (ev->type != NULL && (strcmp(ev->type, "sealed") == 0 ||
	    strcmp(ev->type, "timestamped") == 0 ||
	    strcmp(ev->type, "untimestamped") == 0))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: only custody "
		    "itself writes this event", ev->type);
	if (ev->type != NULL && strcmp(ev->type, "transferred") == 0) {
		if (ev->from == NULL || ev->to == NULL)
			return cust_set_error(ctx, 0, CUST_FAILED, "transfer: "
			    "who from and who to are both required");
		extra = json_pack("{s:s, s:s}", "from", ev->from, "to", ev->to);
	} else
		extra = json_pack("{s:o}", "note", opt(ev->note));
	if (extra == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
	r = cust_log_write(ctx, fd, name, ref, ev, extra, head);
	json_decref(extra);
	return r;
}
