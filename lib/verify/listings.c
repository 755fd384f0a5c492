/*
 * listings.c: the listings of find artefacts (custody-bundle(5),
 * Listings).  acquisition.json names them, in the bag's order, with their
 * line counts; each line is the escaped name of a path, and every path a
 * listing holds must have a record in files.jsonl.  The paths are kept as
 * keyed 64-bit hashes, 16 bytes a path, so memory follows the listed
 * lines, not the records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

static bool
listed_before(const struct ver *v, const char *member)
{
	for (size_t i = 0; i < v->nlists; i++)
		if (strcmp(v->lists[i].member, member) == 0)
			return true;
	return false;
}

static int
bad_listings(struct ver *v)
{
	v->stop = true;
	return FIND(v, C_STRUCTURE, "metadata/acquisition.json", "\"listings\" "
	    "is not a list of at most %d distinct listing members, their "
	    "lines %u at most in all", CUST_LISTING_MAX, CUST_LISTED_MAX);
}

/*
 * acquisition.json's "listings": the members that follow it, in their
 * order, and the lines of each.  A text that is no JSON object has none
 * here; checks.c reports it.
 */
int
ver_listings_parse(struct ver *v)
{
	json_t *acq, *a, *o;
	json_error_t err;
	const char *m;
	json_int_t k;
	uint64_t total = 0;
	int r = CUST_OK;

	acq = ver_json(v->acq.p, v->acq.n, &err);
	if ((a = json_object_get(acq, "listings")) == NULL)
		goto out;
	if (!json_is_array(a) || json_array_size(a) > CUST_LISTING_MAX) {
		r = bad_listings(v);
		goto out;
	}
	if ((v->lists = calloc(json_array_size(a) + 1,
	    sizeof(*v->lists))) == NULL) {
		r = ver_oom(v);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		o = json_array_get(a, i);
		m = json_string_value(json_object_get(o, "member"));
		k = ver_bounded(o, "lines", CUST_LISTED_MAX);
		if (m == NULL || !cust_listing_name_valid(m) || k < 0 ||
		    listed_before(v, m) || (total += (uint64_t)k) >
		    CUST_LISTED_MAX) {
			r = bad_listings(v);
			goto out;
		}
		if ((v->lists[i].member = strdup(m)) == NULL) {
			r = ver_oom(v);
			goto out;
		}
		v->lists[i].lines = (uint64_t)k;
		v->nlists++;
	}
out:
	json_decref(acq);
	return r;
}

/* The keyed hash of raw path bytes; never 0, the empty slot. */
static uint64_t
path_key(const struct ver *v, const char *p, size_t n)
{
	uint64_t h[2];

	cust_siphash128(v->k0, v->k1, (const unsigned char *)p, n, h);
	return h[0] != 0 ? h[0] : 1;
}

static struct listed *
listed_slot(const struct ver *v, uint64_t key)
{
	size_t i = (size_t)key & (v->listedcap - 1);

	while (v->listed[i].key != 0 && v->listed[i].key != key)
		i = (i + 1) & (v->listedcap - 1);
	return &v->listed[i];
}

static int
listed_grow(struct ver *v)
{
	struct listed *old = v->listed, *s;
	size_t ocap = v->listedcap;

	if ((v->listed = calloc(ocap ? 2 * ocap : 1024,
	    sizeof(*v->listed))) == NULL) {
		v->listed = old;
		return ver_oom(v);
	}
	v->listedcap = ocap ? 2 * ocap : 1024;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key != 0) {
			s = listed_slot(v, old[i].key);
			*s = old[i];
		}
	free(old);
	return CUST_OK;
}

/* Line LINE of listing K names raw path P; a path listed twice is kept
 * once.  Past CUST_LISTED_MAX paths a listing holds more lines than
 * acquisition.json says, which listing() reports. */
static int
add_listed(struct ver *v, size_t k, uint64_t line, const char *p, size_t n)
{
	uint64_t key = path_key(v, p, n);
	struct listed *s;
	int r;

	if (v->nlisted == CUST_LISTED_MAX)
		return CUST_OK;
	if (2 * (v->nlisted + 1) > v->listedcap &&
	    (r = listed_grow(v)) != CUST_OK)
		return r;
	if ((s = listed_slot(v, key))->key != 0)
		return CUST_OK;
	s->key = key;
	s->list = (uint32_t)k;
	s->line = (uint32_t)line;
	v->nlisted++;
	return CUST_OK;
}

/* One line of listing K: a canonical stored name of a path (custody-
 * bundle(5)), so that no path can forge a line or two spell one path. */
int
ver_listing_line(struct ver *v, size_t k, char *line, size_t n)
{
	char *raw;
	size_t len;
	int r;

	if (n == 0 || cust_unescape(line, n, &raw, &len) != 0)
		return FIND(v, C_META, v->lists[k].member, "line %ju is not an "
		    "escaped path", (uintmax_t)v->lineno + 1);
	r = add_listed(v, k, v->lineno + 1, raw, len);
	free(raw);
	return r;
}

/* A record's path is listed: that listing line has its record. */
void
ver_record_listed(struct ver *v, json_t *o)
{
	json_t *p = json_object_get(o, "path");
	const char *b64 = json_string_value(json_object_get(o, "path_b64"));
	char *raw = NULL;
	struct listed *s;
	size_t n = 0;
	uint64_t key;

	if (json_is_string(p))
		key = path_key(v, json_string_value(p), json_string_length(p));
	else if (b64 != NULL && (raw = cust_b64_decode(b64, &n)) != NULL)
		key = path_key(v, raw, n);
	else
		return;		/* no path: not one a listing names */
	free(raw);
	if ((s = listed_slot(v, key))->key != 0)
		s->list |= LISTED_FOUND;
}

static int
by_place(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	if (x->list != y->list)
		return x->list < y->list ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The listed paths with no record, in listing and line order (the table's
 * order is its random key's). */
int
ver_listed(struct ver *v)
{
	struct listed *miss;
	size_t n = 0;
	int r = CUST_OK;

	for (size_t i = 0; i < v->listedcap; i++)
		n += v->listed[i].key != 0 &&
		    !(v->listed[i].list & LISTED_FOUND);
	if (n == 0)
		return CUST_OK;
	if ((miss = malloc(n * sizeof(*miss))) == NULL)
		return ver_oom(v);
	n = 0;
	for (size_t i = 0; i < v->listedcap; i++)
		if (v->listed[i].key != 0 &&
		    !(v->listed[i].list & LISTED_FOUND))
			miss[n++] = v->listed[i];
	qsort(miss, n, sizeof(*miss), by_place);
	for (size_t i = 0; r == CUST_OK && i < n; i++)
		r = FIND(v, C_META, v->lists[miss[i].list].member, "line %u "
		    "names a path that has no record in metadata/files.jsonl",
		    miss[i].line);
	free(miss);
	return r;
}
