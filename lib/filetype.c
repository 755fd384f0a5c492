/*
 * filetype.c: what kind of file an artefact is, by libmagic, from the bytes
 * already read for hashing.  magic_file() would open the file again and
 * touch its atime; we only ever hand libmagic a buffer.  The database is
 * custody's own (custody.magic, built in), never the host's: see there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <magic.h>

#include "private.h"

/* Built-in tests that cost time or that the database does better.  The
 * encoding test only feeds MIME output, which we do not ask for: text is
 * still named by the text test (0 of 13,711 files on a Debian host typed
 * differently without it), and it saves a tenth of the probe's time. */
#define MAGIC_FLAGS	(MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR | \
			 MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_CSV | \
			 MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_APPTYPE | \
			 MAGIC_NO_CHECK_TOKENS | MAGIC_NO_CHECK_ENCODING | \
			 MAGIC_ERROR)

/* manifests/embed.py makes these from the compiled custody.magic. */
extern const unsigned char cust_magic_db[];
extern const size_t cust_magic_db_len;

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
	if ((ft->m = magic_open(MAGIC_FLAGS)) == NULL)
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

const char *
cust_filetype_probe(struct cust_filetype *ft, const void *buf, size_t n)
{
	if (ft->m == NULL)
		return NULL;
	if (n > CUST_PROBE_BYTES)
		n = CUST_PROBE_BYTES;
	return magic_buffer(ft->m, buf, n);
}
