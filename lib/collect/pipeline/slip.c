/*
 * slip.c: a record on its way from the reading thread to the hashing
 * thread.  The reader's record points into buffers it reuses at once, so
 * the queue carries a deep copy in one allocation.
 *
 * A timeline hands over a record an entry and nothing else, so the slips
 * are recycled: the hashing thread keeps the slips it has written and
 * gives them back a batch at a time, and the reader takes them all again
 * when it has none left.  A malloc a record on one thread and its free on
 * the other had the two threads meet on glibc's arena lock (a futex
 * wait and wake, dear on a paravirtualised machine) every few records.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "collect/pipeline/pipeline.h"

/* The size of a recycled slip: with its 520 bytes of struct, room for
 * the strings of nearly every record.  A larger one is allocated and
 * freed on its own.  A timeline has at most some 4,200 in flight. */
#define SLIP_BYTES	1024

struct cust_slips {
	pthread_mutex_t	 mu;
	struct cust_slip *spare;	/* owned, under mu: given back */
	struct cust_slip *mine;		/* owned: the reader's to use */
	struct cust_slip *done;		/* owned: the hasher's, written */
	struct cust_slip *last;		/* borrowed: done's last */
	size_t		 made;		/* slips of SLIP_BYTES allocated */
};

int
cust_slips_new(struct cust_ctx *ctx, struct cust_slips **sp)
{
	struct cust_slips *s;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "slips");
	pthread_mutex_init(&s->mu, NULL);
	*sp = s;
	return CUST_OK;
}

static void
drop(struct cust_slip *s)
{
	struct cust_slip *next;

	for (; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
}

void
cust_slips_free(struct cust_slips *s)
{
	if (s == NULL)
		return;
	drop(s->spare);
	drop(s->mine);
	drop(s->done);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

size_t
cust_slips_made(const struct cust_slips *s)
{
	return s->made;
}

/* A slip of NEED bytes: a recycled one when it fits, else a new one. */
static struct cust_slip *
take(struct cust_slips *p, size_t need)
{
	struct cust_slip *s;

	if (p == NULL || need > SLIP_BYTES)
		return malloc(need);
	if (p->mine == NULL) {
		pthread_mutex_lock(&p->mu);
		p->mine = p->spare;
		p->spare = NULL;
		pthread_mutex_unlock(&p->mu);
	}
	if ((s = p->mine) != NULL) {
		p->mine = s->next;
		return s;
	}
	if ((s = malloc(SLIP_BYTES)) != NULL)
		p->made++;
	return s;
}

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

/* The string S, its length in *N (strlen once: put() takes it). */
static size_t
size_of(const char *s, size_t *n)
{
	*n = s != NULL ? strlen(s) : 0;
	return s != NULL ? *n + 1 : 0;
}

/* The optional strings of a record, in this order. */
#define NSTR	7

/* Copy each string of STR that is there into *AT, pointed to by TO. */
static void
put_strings(struct cust_record *to, const char *const str[NSTR],
    const size_t len[NSTR], char **at)
{
	const char **dst[NSTR] = { &to->stored, &to->link_of, &to->reason,
	    &to->artefact, &to->magic, &to->not_walked, &to->meta };

	for (int k = 0; k < NSTR; k++)
		if (str[k] != NULL)
			*dst[k] = put(at, str[k], len[k]);
}

struct cust_slip *
cust_slip_new(struct cust_slips *p, const struct cust_record *r,
    bool digest, bool payload)
{
	const char *str[NSTR] = { r->stored, r->link_of, r->reason,
	    r->artefact, r->magic, r->not_walked, r->meta };
	struct cust_slip *s;
	size_t len[NSTR];
	size_t need = sizeof(*s) + r->pathlen + 1 +
	    (r->target != NULL ? r->targetlen + 1 : 0);
	char *at;

	for (int k = 0; k < NSTR; k++)
		need += size_of(str[k], &len[k]);
	if ((s = take(p, need)) == NULL)
		return NULL;
	at = (char *)(s + 1);
	s->r = *r;
	s->st = *r->st;
	s->r.st = &s->st;
	if (r->after != NULL) {
		s->after = *r->after;
		s->r.after = &s->after;
	}
	s->r.path = put(&at, r->path, r->pathlen);
	put_strings(&s->r, str, len, &at);
	if (r->target != NULL)
		s->r.target = put(&at, r->target, r->targetlen);
	memset(s->r.hex, 0, sizeof(s->r.hex));
	s->digest = digest;
	s->payload = payload;
	s->pooled = p != NULL && need <= SLIP_BYTES;
	s->next = NULL;
	return s;
}

void
cust_slip_done(struct cust_slips *p, struct cust_slip *s)
{
	if (p == NULL || !s->pooled) {
		free(s);
		return;
	}
	if (p->done == NULL)
		p->last = s;
	s->next = p->done;
	p->done = s;
}

void
cust_slips_give_back(struct cust_slips *p)
{
	if (p == NULL || p->done == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->last->next = p->spare;
	p->spare = p->done;
	pthread_mutex_unlock(&p->mu);
	p->done = NULL;
}
