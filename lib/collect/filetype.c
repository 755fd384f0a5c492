/*
 * filetype.c: what kind of file an artefact is, by libmagic, from the bytes
 * already read for hashing.  magic_file() would open the file again and
 * touch its atime; we only ever hand libmagic a buffer.  The database is
 * custody's own (custody.magic, built in), never the host's: see there.
 *
 * libmagic tries every top-level entry of the database on a buffer that
 * matches none, and most files match none (text, logs, data).  The gates
 * (tools/magic-gate.py) say which bytes each entry can start with, so for a
 * buffer no gate lets through the database is switched off for the call.
 * The answer is the same, and most files (text, logs, data) then cost
 * libmagic's own tests only, not a pass over every entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <magic.h>

#include "collect/collect.h"

struct cust_filetype {
	magic_t		 m;		/* owned; NULL: no database */
	void		*db;		/* owned: the database m uses */
	size_t		 dblen;
	char		*why;		/* owned: why there is none */
};

int
cust_filetype_new(struct cust_ctx *ctx, struct cust_filetype **ftp)
{
	struct cust_filetype *ft;

	*ftp = NULL;
	if ((ft = calloc(1, sizeof(*ft))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "libmagic");
	/* libmagic keeps using the buffer it loads: give it its own copy. */
	if ((ft->db = malloc(cust_magic_db_len)) == NULL) {
		free(ft);
		return cust_set_error(ctx, errno, CUST_FATAL, "libmagic");
	}
	memcpy(ft->db, cust_magic_db, cust_magic_db_len);
	ft->dblen = cust_magic_db_len;
	/* Failing here is not fatal: types are a help, not evidence. */
	if ((ft->m = magic_open(CUST_MAGIC_FLAGS)) == NULL)
		ft->why = strdup("magic_open failed");
	else if (magic_load_buffers(ft->m, &ft->db, &ft->dblen, 1) != 0) {
		ft->why = strdup(magic_error(ft->m) ? magic_error(ft->m) :
		    "cannot load the built-in database");
		magic_close(ft->m);
		ft->m = NULL;
	}
	*ftp = ft;
	return CUST_OK;
}

void
cust_filetype_free(struct cust_filetype *ft)
{
	if (ft == NULL)
		return;
	if (ft->m != NULL)
		magic_close(ft->m);
	free(ft->db);
	free(ft->why);
	free(ft);
}

const char *
cust_filetype_unavailable(const struct cust_filetype *ft)
{
	return ft->m == NULL ? (ft->why ? ft->why : "out of memory") : NULL;
}

/* Can any entry of the database match the N bytes at B?  A test beyond
 * the end of the buffer never matches (gates have no NUL-led strings). */
static bool
gated_in(const unsigned char *b, size_t n)
{
	const struct cust_magic_gate *g;

	for (size_t i = 0; i < cust_magic_ngates; i++) {
		g = &cust_magic_gates[i];
		if (g->off < n && (g->set[b[g->off] >> 3] >> (b[g->off] & 7) & 1))
			return true;
	}
	return false;
}

const char *
cust_filetype_probe(struct cust_filetype *ft, const void *buf, size_t n)
{
	if (ft->m == NULL)
		return NULL;
	if (n > CUST_PROBE_BYTES)
		n = CUST_PROBE_BYTES;
	/* Only flags magic_open took: this cannot fail, and costs nothing. */
	if (magic_setflags(ft->m, CUST_MAGIC_FLAGS |
	    (gated_in(buf, n) ? 0 : MAGIC_NO_CHECK_SOFT)) != 0)
		return NULL;
	return magic_buffer(ft->m, buf, n);
}
