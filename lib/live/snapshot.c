/*
 * snapshot.c: the live snapshot, in order of volatility (RFC 3227 2.1):
 * processes and what they hold first, then the tables of the producers
 * below, then the cross-views over them; last, once the volatile state
 * is read and timed, the producers that read files at rest (the package
 * database against the files on disk), timed apart.  Every table is read with its
 * realtime and monotonic times, written as data/live/NAME.jsonl, and
 * listed in data/live/tables.jsonl; every cross-view writes
 * data/live/findings/NAME.jsonl, and data/live/findings/summary.json
 * counts them.  A producer is one line of the table below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/live.h"
#include "live/sources.h"

/* The /proc files each table is read from, stored raw beside it. */
static const char *const raw_modules[] = { "modules", NULL };
static const char *const raw_kernel[] = { "version", "cmdline", "uptime",
	"sys/kernel/random/boot_id", "sys/kernel/tainted", NULL };
static const char *const raw_mounts[] = { "1/mountinfo", NULL };
/* For a producer of /proc/net (net/...): the files it parses. */
static const char *const raw_net[] = { "net/tcp",
	"net/tcp6", "net/udp", "net/udp6", "net/raw", "net/raw6",
	"net/unix", "net/packet", NULL };

/* A table: data/live/NAME.jsonl, from one of these functions. */
struct producer {
	const char	*name;
	int		(*none)(struct cust_ctx *, json_t **);
	int		(*proc)(struct cust_ctx *, int procfd, json_t **);
	int		(*sys)(struct cust_ctx *, int sysfd, json_t **);
	int		(*root)(struct cust_ctx *, int rootfd, json_t **);
	int		(*procsys)(struct cust_ctx *, int, int, json_t **);
	/* /proc, with the rows of sock_diag read before */
	int		(*procdiag)(struct cust_ctx *, int, const json_t *,
			    json_t **);
	bool		 findings;	/* its rows are findings of a view */
	bool		 owners;	/* rows with "inode" get "pids" */
	bool		 at_rest;	/* reads files, not volatile state */
	const char *const *raw;		/* /proc files stored raw, or NULL */
};

static const struct producer producers[] = {
	{ "modules", .proc = cust_live_modules, .raw = raw_modules },
	{ "sys_modules", .sys = cust_live_sys_modules },
	{ "kernel", .procsys = cust_live_kernel, .raw = raw_kernel },
	{ "mounts", .proc = cust_live_mounts, .raw = raw_mounts },
	{ "sockets", .proc = cust_live_sockets, .owners = true },
	{ "proc_net", .procdiag = cust_live_proc_net_named, .owners = true,
	  .raw = raw_net },
	{ "interfaces", .none = cust_live_interfaces },
	{ "routes", .none = cust_live_routes },
	{ "neighbours", .none = cust_live_neighbours },
	{ "bpf_programs", .none = cust_live_bpf_programs },
	{ "logins", .root = cust_live_logins },
	/* hashes every packaged executable and library (GBs, seconds): it
	 * would hold the volatile tables back, and changes no faster than
	 * the files do */
	{ "packages", .root = cust_live_dpkg_check, .findings = true,
	  .at_rest = true },
};
#define NPRODUCERS	(sizeof(producers) / sizeof(producers[0]))

/* A cross-view: the tables A and B compared by FN into findings/NAME. */
struct crossview {
	const char	*name;
	const char	*a, *b;
	int		(*fn)(struct cust_ctx *, const json_t *, const json_t *,
			    json_t **);
};

static const struct crossview crossviews[] = {
	{ "modules", "modules", "sys_modules", cust_live_modules_crossview },
	{ "sockets", "sockets", "proc_net", cust_live_sockets_crossview },
};
#define NCROSSVIEWS	(sizeof(crossviews) / sizeof(crossviews[0]))

struct snap {
	struct cust_ctx	*ctx;			/* borrowed */
	const struct cust_live_out *out;	/* borrowed */
	int		 procfd, sysfd, rootfd;	/* borrowed */
	struct cust_live_counts *counts;	/* borrowed */
	json_t		*index;			/* owned: tables.jsonl rows */
	json_t		*summary;		/* owned: findings by view */
	json_t		*tables[NPRODUCERS];	/* owned: rows kept for views */
	char		*buf;			/* owned: JSONL being written */
	size_t		 n, cap;
};

/* When a table was read: both clocks, so that an order can be proven even
 * when the realtime clock steps. */
struct when {
	struct timespec	 rt, mono, rt_end, mono_end;
};

static void
begin(struct when *w)
{
	clock_gettime(CLOCK_REALTIME, &w->rt);
	clock_gettime(CLOCK_MONOTONIC, &w->mono);
}

static void
end(struct when *w)
{
	clock_gettime(CLOCK_REALTIME, &w->rt_end);
	clock_gettime(CLOCK_MONOTONIC, &w->mono_end);
}

static json_int_t
ns(const struct timespec *t)
{
	return (json_int_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static double
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
append(struct snap *s, const json_t *row)
{
	size_t k;
	char *p;

	for (;;) {
		k = json_dumpb(row, s->buf + s->n, s->cap - s->n,
		    JSON_COMPACT);
		if (k == 0)
			return cust_set_error(s->ctx, ENOMEM, CUST_FATAL,
			    "live table");
		if (k + 1 <= s->cap - s->n)
			break;
		s->cap = (s->cap + k + 1) * 2;
		if ((p = realloc(s->buf, s->cap)) == NULL)
			return cust_set_error(s->ctx, ENOMEM, CUST_FATAL,
			    "live table");
		s->buf = p;
	}
	s->n += k;
	s->buf[s->n++] = '\n';
	return CUST_OK;
}

/* ROWS as JSON Lines, stored as data/live/REL. */
static int
write_rows(struct snap *s, const char *rel, const json_t *rows)
{
	const json_t *row;
	size_t i;
	int r;

	s->n = 0;
	json_array_foreach(rows, i, row)
		if ((r = append(s, row)) != CUST_OK)
			return r;
	return s->out->buffer(s->out->arg, rel, NULL,
	    s->n > 0 ? s->buf : "", s->n);
}

/* The tables.jsonl row of table NAME of NROWS rows; NROWS -1 when it
 * failed (ERROR says why) or its source is ABSENT, ERROR set with rows
 * when it is incomplete. */
static int
listed(struct snap *s, const char *name, const char *rel, long nrows,
    const struct when *w, const char *error, bool absent)
{
	char t0[CUST_TIMELEN], t1[CUST_TIMELEN];
	json_t *o;

	cust_time_utc(&w->rt, t0);
	cust_time_utc(&w->rt_end, t1);
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s?}",
	    "schema", CUST_LIVE_SCHEMA, "table", name, "member", rel,
	    "status", absent ? "absent" : nrows < 0 ? "failed" :
	    error != NULL ? "partial" : "ok", "rows",
	    (json_int_t)(nrows > 0 ? nrows : 0),
	    "read_utc", t0, "read_end_utc", t1, "read_monotonic_ns",
	    ns(&w->mono), "read_end_monotonic_ns", ns(&w->mono_end),
	    "error", error);
	if (o == NULL || json_array_append_new(s->index, o) != 0)
		return cust_set_error(s->ctx, ENOMEM, CUST_FATAL, "live");
	if (nrows >= 0)
		s->counts->tables++;
	else if (!absent)
		s->counts->failed_tables++;
	return CUST_OK;
}

/* A table read by a producer: stored, or listed as failed. */
static int
table(struct snap *s, const char *name, bool findings, int r, json_t *rows,
    const struct when *w)
{
	char rel[128], err[256] = "";
	bool absent = false;

	if (r == CUST_FATAL)
		return r;
	snprintf(rel, sizeof(rel), "%s%s.jsonl", findings ? "findings/" : "",
	    name);
	if (r != CUST_OK) {
		snprintf(err, sizeof(err), "%s", cust_ctx_error(s->ctx));
		absent = r == CUST_FAILED && rows == NULL &&
		    cust_ctx_errno(s->ctx) == ENOENT;
		cust_ctx_clear(s->ctx);
	}
	/* What this host does not have (no package database on a system
	 * that is not Debian's) is said, and is no failure. */
	if (absent)
		return listed(s, name, rel, -1, w, err, true);
	/* CUST_WARN with rows: read, but not all of it (a protocol this
	 * kernel cannot dump, eBPF without the privilege): kept, and said */
	if (r != CUST_OK && (r != CUST_WARN || rows == NULL))
		return listed(s, name, rel, -1, w, err, false);
	if (findings) {
		s->counts->findings += json_array_size(rows);
		if (json_object_set_new(s->summary, name, json_integer(
		    (json_int_t)json_array_size(rows))) != 0)
			return cust_set_error(s->ctx, ENOMEM, CUST_FATAL,
			    "live");
	}
	if ((r = write_rows(s, rel, rows)) != CUST_OK)
		return r;
	return listed(s, name, rel, rows != NULL ? (long)json_array_size(rows) :
	    -1, w, *err != '\0' ? err : NULL, false);
}

static int
store_raw(struct snap *s, const char *const *raw)
{
	char rel[128], src[128], *p;
	size_t n;
	int r = CUST_OK;

	for (; r == CUST_OK && raw != NULL && *raw != NULL; raw++) {
		if (cust_live_read(s->procfd, *raw, &p, &n) != 0)
			continue;	/* the table says what failed */
		snprintf(rel, sizeof(rel), "raw/proc/%s", *raw);
		snprintf(src, sizeof(src), "/proc/%s", *raw);
		r = s->out->buffer(s->out->arg, rel, src, p, n);
		free(p);
	}
	return r;
}

static const json_t *
rows_of(const struct snap *s, const char *name)
{
	for (size_t i = 0; i < NPRODUCERS; i++)
		if (strcmp(producers[i].name, name) == 0)
			return s->tables[i];
	return NULL;
}

static int
produce(struct snap *s, size_t i, struct cust_live_procs *ps)
{
	const struct producer *p = &producers[i];
	json_t *rows = NULL;
	struct when w;
	int r;

	begin(&w);
	r = p->none ? p->none(s->ctx, &rows) :
	    p->proc ? p->proc(s->ctx, s->procfd, &rows) :
	    p->sys ? p->sys(s->ctx, s->sysfd, &rows) :
	    p->root ? p->root(s->ctx, s->rootfd, &rows) :
	    p->procdiag ? p->procdiag(s->ctx, s->procfd, rows_of(s, "sockets"),
	    &rows) : p->procsys(s->ctx, s->procfd, s->sysfd, &rows);
	end(&w);
	/* the join keeps a CUST_WARN, whose message is still in the ctx */
	if ((r == CUST_OK || r == CUST_WARN) && rows != NULL && p->owners &&
	    ps != NULL && cust_live_socket_owners(s->ctx, rows, ps) != CUST_OK)
		r = CUST_FATAL;
	if ((r = table(s, p->name, p->findings, r, rows, &w)) == CUST_OK)
		r = store_raw(s, p->raw);
	if (r == CUST_OK && rows != NULL && json_array_size(rows) > 0)
		s->tables[i] = rows;
	else
		json_decref(rows);
	return r;
}


/* Both tables are needed: a view of one side alone would call every row
 * of the other hidden. */
static int
cross(struct snap *s, const struct crossview *c)
{
	const json_t *a = rows_of(s, c->a), *b = rows_of(s, c->b);
	json_t *found = NULL;
	struct when w;
	int r;

	if (a == NULL || b == NULL)
		return CUST_OK;
	begin(&w);
	r = c->fn(s->ctx, a, b, &found);
	end(&w);
	r = table(s, c->name, true, r, found, &w);
	json_decref(found);
	return r;
}

/* The process table, written as JSON Lines into s->buf as each record
 * is read, so that it is not held twice, as JSON and as its text; its
 * memory grows with the text alone (7.6 MB for 1,100 processes). */
struct stream {
	struct snap	*s;		/* borrowed */
	size_t		 rows, gone;
};

static int
stream_row(void *arg, json_t *row)
{
	struct stream *st = arg;

	st->rows++;
	if (json_is_true(json_object_get(row, "gone")))
		st->gone++;
	return append(st->s, row);
}

static int
processes(struct snap *s, struct cust_live_procs **ps)
{
	struct stream st = { .s = s };
	struct cust_live_sink sink = { .row = stream_row, .arg = &st };
	json_t *hidden = NULL;
	struct when w;
	int r;

	s->n = 0;
	begin(&w);
	r = cust_live_processes_to(s->ctx, s->procfd, s->out, ps, &sink,
	    &s->counts->blobs);
	end(&w);
	if (r == CUST_OK) {
		s->counts->processes = st.rows;
		s->counts->gone = st.gone;
		r = s->out->buffer(s->out->arg, "processes.jsonl", NULL,
		    s->n > 0 ? s->buf : "", s->n);
		if (r == CUST_OK)
			r = listed(s, "processes", "processes.jsonl",
			    (long)st.rows, &w, NULL, false);
	} else
		r = table(s, "processes", false, r, NULL, &w);
	if (r != CUST_OK || *ps == NULL)
		goto out;
	begin(&w);
	r = cust_live_hidden_processes(s->ctx, s->procfd, *ps, &hidden);
	end(&w);
	r = table(s, "processes", true, r, hidden, &w);
out:
	json_decref(hidden);
	return r;
}

static void
count_line(struct snap *s)
{
	struct cust_live_counts *c = s->counts;
	const char *key;
	json_t *v;
	size_t len = 0;

	c->line[0] = '\0';
	json_object_foreach(s->summary, key, v)
		if (len < sizeof(c->line))
			len += (size_t)snprintf(c->line + len, sizeof(c->line) -
			    len, "%s%s %lld", len ? ", " : "", key,
			    json_integer_value(v));
	for (size_t i = 0; i < NPRODUCERS; i++)
		if (strcmp(producers[i].name, "modules") == 0 &&
		    s->tables[i] != NULL)
			c->modules = json_array_size(s->tables[i]);
}

static int
finish(struct snap *s)
{
	json_t *sum;
	char *text;
	int r;

	count_line(s);
	sum = json_pack("{s:i, s:O, s:I}", "schema", CUST_LIVE_SCHEMA,
	    "findings", s->summary, "total", (json_int_t)s->counts->findings);
	text = sum != NULL ? json_dumps(sum, JSON_INDENT(2) |
	    JSON_SORT_KEYS) : NULL;
	json_decref(sum);
	if (text == NULL)
		return cust_set_error(s->ctx, ENOMEM, CUST_FATAL, "live");
	r = s->out->buffer(s->out->arg, "findings/summary.json",
	    NULL, text, strlen(text));
	free(text);
	return r == CUST_OK ? write_rows(s, "tables.jsonl", s->index) : r;
}

/* PROCFD -1: an image, of which only ROOTFD's files tell */
static bool
runs(size_t i, int procfd)
{
	return procfd >= 0 || producers[i].root != NULL;
}

int
cust_live_snapshot(struct cust_ctx *ctx, int procfd, int sysfd, int rootfd,
    const struct cust_live_out *out, struct cust_live_counts *counts)
{
	struct snap s = { .ctx = ctx, .out = out, .procfd = procfd,
	    .sysfd = sysfd, .rootfd = rootfd, .counts = counts };
	struct cust_live_procs *ps = NULL;
	struct timespec t0;
	int r;

	memset(counts, 0, sizeof(*counts));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((s.index = json_array()) == NULL ||
	    (s.summary = json_object()) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "live");
		goto out;
	}
	r = procfd >= 0 ? processes(&s, &ps) : CUST_OK;
	for (size_t i = 0; r == CUST_OK && i < NPRODUCERS; i++)
		if (!producers[i].at_rest && runs(i, procfd))
			r = produce(&s, i, ps);
	for (size_t i = 0; r == CUST_OK && i < NCROSSVIEWS; i++)
		r = cross(&s, &crossviews[i]);
	counts->seconds = since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; r == CUST_OK && i < NPRODUCERS; i++)
		if (producers[i].at_rest && runs(i, procfd))
			r = produce(&s, i, ps);
	counts->at_rest_seconds = since(&t0);
	if (r == CUST_OK)
		r = finish(&s);
out:
	for (size_t i = 0; i < NPRODUCERS; i++)
		json_decref(s.tables[i]);
	json_decref(s.index);
	json_decref(s.summary);
	free(s.buf);
	cust_live_procs_free(ps);
	return r;
}
