/*
 * slip.c: a record on its way from the reading thread to the hashing
 * thread.  The reader's record points into buffers it reuses at once, so
 * the queue carries a deep copy in one allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "collect/pipeline/pipeline.h"

/* Copy N bytes of S to *at and NUL-terminate; return the copy. */
static char *
put(char **at, const char *s, size_t n)
{
	char *p = *at;

	memcpy(p, s, n);
	p[n] = '\0';
	*at += n + 1;
	return p;
}

static size_t
size_of(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

struct cust_slip *
cust_slip_new(const struct cust_record *r, bool digest, bool payload)
{
	struct cust_slip *s;
	size_t need = sizeof(*s) + r->pathlen + 1 + size_of(r->stored) +
	    size_of(r->link_of) + size_of(r->reason) + size_of(r->artefact) +
	    size_of(r->magic) + size_of(r->not_walked) + size_of(r->meta) +
	    (r->target != NULL ? r->targetlen + 1 : 0);
	char *at;

	if ((s = malloc(need)) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	at = (char *)(s + 1);
	s->r = *r;
	s->st = *r->st;
	s->r.st = &s->st;
	if (r->after != NULL) {
		s->after = *r->after;
		s->r.after = &s->after;
	}
	s->r.path = put(&at, r->path, r->pathlen);
	if (r->stored != NULL)
		s->r.stored = put(&at, r->stored, strlen(r->stored));
	if (r->link_of != NULL)
		s->r.link_of = put(&at, r->link_of, strlen(r->link_of));
	if (r->reason != NULL)
		s->r.reason = put(&at, r->reason, strlen(r->reason));
	if (r->artefact != NULL)
		s->r.artefact = put(&at, r->artefact, strlen(r->artefact));
	if (r->magic != NULL)
		s->r.magic = put(&at, r->magic, strlen(r->magic));
	if (r->not_walked != NULL)
		s->r.not_walked = put(&at, r->not_walked,
		    strlen(r->not_walked));
	if (r->meta != NULL)
		s->r.meta = put(&at, r->meta, strlen(r->meta));
	if (r->target != NULL)
		s->r.target = put(&at, r->target, r->targetlen);
	memset(s->r.hex, 0, sizeof(s->r.hex));
	s->digest = digest;
	s->payload = payload;
	return s;
}
