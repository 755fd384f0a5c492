/*
 * listing.c: the listing of each find artefact (custody-bundle(5),
 * "Listings"): one escaped path a line, in walk order, written to a spool
 * as the walk delivers each entry the artefact selects, whether or not
 * another artefact recorded that path first.  The spool takes the SHA-512
 * as it grows, so the seal copies it into the bag without reading it
 * twice; memory holds only a name and a count per listing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

#define STEM_MAX	(CUST_LISTING_NAME_MAX - 8)	/* room for "-NNNN" */

struct listing {
	const struct cust_rule *rule;	/* borrowed */
	char		*label;		/* owned: the artefact's */
	char		*member;	/* owned: "metadata/listings/N.txt" */
	struct cust_spool *sp;		/* owned */
	uint64_t	 lines;
};

struct cust_listings {
	struct cust_ctx	*ctx;		/* borrowed */
	int		 spooldir;	/* borrowed */
	struct listing	*v;		/* owned */
	size_t		 n, cap;
	uint64_t	 lines;		/* in all listings */
};

int
cust_listings_new(struct cust_ctx *ctx, int spooldir, struct cust_listings **lp)
{
	if ((*lp = calloc(1, sizeof(**lp))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "listings");
	(*lp)->ctx = ctx;
	(*lp)->spooldir = spooldir;
	return CUST_OK;
}

void
cust_listings_free(struct cust_listings *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].label);
		free(l->v[i].member);
		cust_spool_free(l->v[i].sp);
	}
	free(l->v);
	free(l);
}

/* The part of S that is a member name: every other byte '_', no dot
 * first, at most STEM_MAX bytes. */
static void
safe(const char *s, size_t n, char *out)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t k;

	if (n > STEM_MAX)
		n = STEM_MAX;
	for (k = 0; k < n; k++)
		out[k] = s[k] != '\0' && strchr(ok, s[k]) != NULL ? s[k] : '_';
	if (k > 0 && out[0] == '.')
		out[0] = '_';
	out[k] = '\0';
}

/* NAME's stem: UAC's output_file without ".txt", or the manifest file's
 * name without its directory and ".yaml", "-" and the artefact's place
 * (1 for the first) in it. */
static void
stem(const struct cust_rule *rule, const char *mname, size_t j, char *out)
{
	const char *s = rule->output_file, *base, *dot;
	char buf[STEM_MAX + 1];
	size_t n;

	if (s != NULL && *s != '\0') {
		n = strlen(s);
		if (n > 4 && strcmp(s + n - 4, ".txt") == 0)
			n -= 4;
		safe(s, n, out);
	} else {
		base = strrchr(mname, '/');
		base = base != NULL ? base + 1 : mname;
		dot = strrchr(base, '.');
		n = dot != NULL && dot != base ? (size_t)(dot - base) :
		    strlen(base);
		safe(base, n, buf);
		snprintf(out, STEM_MAX + 1, "%.*s-%zu", STEM_MAX - 21, buf,
		    j + 1);
	}
	if (out[0] == '\0')
		snprintf(out, STEM_MAX + 1, "listing");
}

static bool
taken(const struct cust_listings *l, const char *member)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].member, member) == 0)
			return true;
	return false;
}

/* "metadata/listings/STEM.txt", or STEM-2, STEM-3... when taken. */
static char *
unique(const struct cust_listings *l, const char *s)
{
	char *m = NULL;

	for (size_t k = 1; k <= CUST_LISTING_MAX + 1; k++) {
		free(m);
		if ((k == 1 ? asprintf(&m, CUST_LISTING_DIR "%s.txt", s) :
		    asprintf(&m, CUST_LISTING_DIR "%s-%zu.txt", s, k)) < 0)
			return NULL;
		if (!taken(l, m))
			return m;
	}
	free(m);
	return NULL;	/* not reached: fewer listings than tries */
}

int
cust_listings_add(struct cust_listings *l, const struct cust_rule *rule,
    const char *mname, size_t j, const char *label)
{
	char s[STEM_MAX + 1];
	struct listing *v, *x;

	if (l->n == CUST_LISTING_MAX)
		return cust_set_error(l->ctx, 0, CUST_FAILED, "%s: more than "
		    "%d find artefacts in one collection", label,
		    CUST_LISTING_MAX);
	if (l->n == l->cap) {
		if ((v = reallocarray(l->v, l->cap ? 2 * l->cap : 16,
		    sizeof(*v))) == NULL)
			return cust_set_error(l->ctx, ENOMEM, CUST_FATAL,
			    "listings");
		l->v = v;
		l->cap = l->cap ? 2 * l->cap : 16;
	}
	stem(rule, mname, j, s);
	x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	x->rule = rule;
	if ((x->label = strdup(label)) == NULL ||
	    (x->member = unique(l, s)) == NULL) {
		free(x->label);
		return cust_set_error(l->ctx, ENOMEM, CUST_FATAL, "listings");
	}
	l->n++;
	return cust_spool_new(l->ctx, l->spooldir, x->member, &x->sp);
}

int
cust_listings_find(const struct cust_listings *l, const struct cust_rule *r)
{
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (l->v[i].rule == r)
			return (int)i;
	return -1;
}

int
cust_listings_line(struct cust_listings *l, int i, const char *path,
    size_t n)
{
	struct listing *x = &l->v[i];
	size_t len;
	char *e;
	int r;

	/* What the verifier would refuse is never sealed. */
	if (l->lines == CUST_LISTED_MAX)
		return cust_set_error(l->ctx, EFBIG, CUST_FATAL, "%s: more "
		    "than %u paths in the listings of one bundle", x->label,
		    CUST_LISTED_MAX);
	/* The escape of a stored name: no path can forge a line. */
	if ((e = cust_escape(path, n, &len)) == NULL)
		return cust_set_error(l->ctx, ENOMEM, CUST_FATAL, "listings");
	e[len] = '\n';
	r = cust_spool_write(x->sp, e, len + 1);
	free(e);
	x->lines++;
	l->lines++;
	return r;
}

size_t
cust_listings_count(const struct cust_listings *l)
{
	return l != NULL ? l->n : 0;
}

const char *
cust_listings_member(const struct cust_listings *l, size_t i)
{
	return l->v[i].member;
}

struct cust_spool *
cust_listings_spool(const struct cust_listings *l, size_t i)
{
	return l->v[i].sp;
}

json_t *
cust_listings_json(const struct cust_listings *l)
{
	json_t *a = json_array(), *o;

	for (size_t i = 0; a != NULL && i < cust_listings_count(l); i++) {
		o = json_pack("{s:s, s:s, s:s, s:I}", "member", l->v[i].member,
		    "artefact", l->v[i].label, "collector", "find", "lines",
		    (json_int_t)l->v[i].lines);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
