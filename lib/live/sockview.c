/*
 * sockview.c: the cross-view of sockets, netlink sock_diag against
 * /proc/net: a socket that one shows and the other does not is what a
 * rootkit hides (most hook the seq_file of /proc/net/tcp; some the
 * netlink dump too).
 *
 * The two views are read one after the other, so a socket may open or
 * close in between; and both are dumps that resume by position, so a
 * socket may be skipped when another closes mid-read.  None of that may
 * become a finding.  A difference is therefore only a candidate, and a
 * finding once confirmed, with sock_diag read before /proc/net:
 * - in sock_diag only: sock_diag is read again, and the socket must
 *   still be there.  An inode is never reused while its socket lives,
 *   so the socket lived through the whole /proc/net read, which should
 *   have shown it; one that closed in between is gone from the second
 *   dump, and one that opened after /proc/net was read cannot have been
 *   in the first.  A seq_file that resumes by position can still skip a
 *   live socket when others close mid-read (each read of /proc/net is
 *   already the union of two, procnet.c, and under heavy churn a socket
 *   was still skipped by both), so the running kernel's /proc/net is read
 *   PROC_READS more times and must miss it every time.
 * - in /proc/net only: sock_diag is read again and must still lack it,
 *   and /proc/net (of the running kernel, /proc) is read again and must
 *   still show it: so it lived through that second dump.  A protocol
 *   this kernel cannot dump through sock_diag (raw_diag not built) is
 *   not compared at all.
 * The re-reads cost time only when there is a candidate to confirm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/sources.h"
#include "live/util.h"

#define PROC_READS	3	/* more reads of /proc/net to confirm with */

struct ent {
	char		*key;		/* owned */
	const json_t	*row;		/* borrowed */
};

struct view {
	struct ent	*v;		/* owned */
	size_t		 n;
};

static const char *
str(const json_t *row, const char *k)
{
	const char *s = json_string_value(json_object_get(row, k));

	return s != NULL ? s : "";
}

/* "tcp/12345", or for a socket without an inode (TIME_WAIT), its
 * protocol, family and both ends. */
static char *
key(const json_t *row)
{
	json_int_t ino = json_integer_value(json_object_get(row, "inode"));
	char *k;
	int n;

	if (ino != 0)
		n = asprintf(&k, "%s/%" JSON_INTEGER_FORMAT, str(row,
		    "protocol"), ino);
	else
		n = asprintf(&k, "%s/%s/%s/%" JSON_INTEGER_FORMAT "/%s/%"
		    JSON_INTEGER_FORMAT, str(row, "protocol"), str(row,
		    "family"), str(row, "local_address"),
		    json_integer_value(json_object_get(row, "local_port")),
		    str(row, "remote_address"),
		    json_integer_value(json_object_get(row, "remote_port")));
	return n < 0 ? NULL : k;
}

static int
cmpent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->key,
	    ((const struct ent *)b)->key);
}

static void
view_free(struct view *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].key);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

static int
view_make(struct cust_ctx *ctx, const json_t *rows, struct view *w)
{
	size_t n = json_array_size(rows);

	w->n = 0;
	if ((w->v = calloc(n + 1, sizeof(*w->v))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "socket views");
	for (; w->n < n; w->n++) {
		w->v[w->n].row = json_array_get(rows, w->n);
		if ((w->v[w->n].key = key(w->v[w->n].row)) == NULL) {
			view_free(w);
			return cust_set_error(ctx, ENOMEM, CUST_FATAL,
			    "socket views");
		}
	}
	if (w->n > 0)		/* w->v may be NULL with none */
		qsort(w->v, w->n, sizeof(*w->v), cmpent);
	return CUST_OK;
}

static int
cmpkey(const void *k, const void *e)
{
	return strcmp(k, ((const struct ent *)e)->key);
}

static bool
has(const struct view *w, const char *k)
{
	return w->n > 0 &&
	    bsearch(k, w->v, w->n, sizeof(*w->v), cmpkey) != NULL;
}

static int
finding(struct cust_ctx *ctx, const json_t *row, const char *view,
    const char *by, json_t *out)
{
	static const char *const keep[] = {
		"protocol", "family", "inode", "local_address", "local_port",
		"remote_address", "remote_port", "path", "state",
	};
	struct cust_row w;

	cust_row_begin(&w);
	cust_row_set(&w, "view", json_string(view));
	for (size_t i = 0; i < NELEM(keep); i++)
		cust_row_set(&w, keep[i], json_copy(json_object_get(row,
		    keep[i])));
	cust_row_set(&w, "confirmed_by", json_string(by));
	return cust_row_done(ctx, &w, out);
}

/* The bit of cust_sock_diag's MISSING for ROW's protocol. */
static unsigned
protobit(const json_t *row)
{
	const char *p = str(row, "protocol");

	return strcmp(p, "raw") == 0 ? CUST_SOCK_RAW :
	    strcmp(p, "unix") == 0 ? CUST_SOCK_UNIX :
	    strcmp(p, "packet") == 0 ? CUST_SOCK_PACKET : 0;
}

/* The state read again: sock_diag, and /proc/net when needed. */
struct again {
	const json_t	*diag0;		/* borrowed: the first sock_diag */
	struct view	 diag;
	struct view	 proc[PROC_READS];	/* read as needed */
	size_t		 nproc;
	unsigned	 missing;
};

/* Read /proc/net once more (the K-th time); CUST_OK when it is read. */
static int
reread_proc(struct cust_ctx *ctx, struct again *g, size_t k)
{
	json_t *rows = NULL;
	int fd, r;

	if (k < g->nproc)
		return CUST_OK;
	if ((fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return cust_set_error(ctx, errno, CUST_FAILED, "/proc");
	r = cust_live_proc_net_named(ctx, fd, g->diag0, &rows);
	close(fd);
	if (r == CUST_OK)
		r = view_make(ctx, rows, &g->proc[g->nproc]);
	json_decref(rows);
	if (r == CUST_OK)
		g->nproc++;
	return r;
}

/* Is KEY missing from every one of PROC_READS more reads of /proc/net?
 * (A read that skips a live socket does not skip it every time.) */
static int
absent_always(struct cust_ctx *ctx, struct again *g, const char *key,
    bool *absent)
{
	int r;

	*absent = false;
	for (size_t k = 0; k < PROC_READS; k++) {
		if ((r = reread_proc(ctx, g, k)) != CUST_OK)
			return r;
		if (has(&g->proc[k], key))
			return CUST_OK;
	}
	*absent = true;
	return CUST_OK;
}

/* A candidate seen by sock_diag alone: still there when sock_diag is read
 * again, and missing from /proc/net however often it is read. */
static int
diag_only(struct cust_ctx *ctx, const struct ent *e, struct again *g,
    json_t *out)
{
	bool absent;
	int r;

	if (!has(&g->diag, e->key))
		return CUST_OK;		/* closed meanwhile */
	if ((r = absent_always(ctx, g, e->key, &absent)) != CUST_OK ||
	    !absent)
		return r;
	return finding(ctx, e->row, "sock_diag_only",
	    "sock_diag and /proc/net re-read", out);
}

/* A candidate seen by /proc/net alone: still missing from sock_diag read
 * again, and still in /proc/net read again. */
static int
proc_only(struct cust_ctx *ctx, const struct ent *e, struct again *g,
    json_t *out)
{
	int r;

	if ((g->missing & protobit(e->row)) || has(&g->diag, e->key))
		return CUST_OK;
	if ((r = reread_proc(ctx, g, 0)) != CUST_OK ||
	    !has(&g->proc[0], e->key))
		return r;
	return finding(ctx, e->row, "proc_net_only",
	    "sock_diag and /proc/net re-read", out);
}

/* Confirm each candidate of D (absent from O) and record it. */
static int
confirm(struct cust_ctx *ctx, const struct view *d, const struct view *o,
    bool from_diag, struct again *g, json_t *out)
{
	int r = CUST_OK;

	for (size_t i = 0; r == CUST_OK && i < d->n; i++)
		if (!has(o, d->v[i].key))
			r = from_diag ? diag_only(ctx, &d->v[i], g, out) :
			    proc_only(ctx, &d->v[i], g, out);
	return r;
}

/* Does either view have a socket the other lacks? */
static bool
differ(const struct view *a, const struct view *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!has(b, a->v[i].key))
			return true;
	for (size_t i = 0; i < b->n; i++)
		if (!has(a, b->v[i].key))
			return true;
	return false;
}

static int
compare(struct cust_ctx *ctx, const json_t *diag, const struct view *d,
    const struct view *p, json_t *out)
{
	struct again g;
	json_t *rows = NULL;
	int r;

	if (!differ(d, p))
		return CUST_OK;
	memset(&g, 0, sizeof(g));
	g.diag0 = diag;
	r = cust_sock_diag(ctx, &rows, &g.missing);
	if (r == CUST_OK)
		r = view_make(ctx, rows, &g.diag);
	if (r == CUST_OK)
		r = confirm(ctx, d, p, true, &g, out);
	if (r == CUST_OK)
		r = confirm(ctx, p, d, false, &g, out);
	view_free(&g.diag);
	for (size_t k = 0; k < g.nproc; k++)
		view_free(&g.proc[k]);
	json_decref(rows);
	return r;
}

int
cust_live_sockets_crossview(struct cust_ctx *ctx, const json_t *diag,
    const json_t *procnet, json_t **findings)
{
	struct view d = { NULL, 0 }, p = { NULL, 0 };
	json_t *out;
	int r;

	*findings = NULL;
	if ((out = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "socket views");
	r = view_make(ctx, diag, &d);
	if (r == CUST_OK)
		r = view_make(ctx, procnet, &p);
	if (r == CUST_OK)
		r = compare(ctx, diag, &d, &p, out);
	view_free(&d);
	view_free(&p);
	if (r != CUST_OK) {
		json_decref(out);
		return r;
	}
	*findings = out;
	return CUST_OK;
}
