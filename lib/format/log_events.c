/*
 * log_events.c: hash-chained custody events, one JSON object per line.
 * Each event carries its sequence number and the SHA-256 of the previous
 * line's bytes, so that an edited, removed or reordered event breaks the
 * chain.  The first event's "prev" is 64 zeros; an event's own "seq" or
 * "prev" never overrides the chain's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"

void
cust_chain_init(struct cust_chain *c)
{
	memset(c, 0, sizeof(*c));
	memset(c->prev, '0', 64);
}

void
cust_chain_fini(struct cust_chain *c)
{
	free(c->text);
	c->text = NULL;
}

int
cust_chain_add(struct cust_ctx *ctx, struct cust_chain *c, json_t *event)
{
	json_t *o;
	char *line = NULL, *t;
	size_t n;
	int r;

	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "seq", json_integer((json_int_t)c->seq)) ||
	    json_object_set_new(o, "prev", json_string(c->prev)) ||
	    json_object_update_missing(o, event) ||
	    (line = json_dumps(o, JSON_COMPACT)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
		goto out;
	}
	n = strlen(line);
	if ((t = realloc(c->text, c->len + n + 2)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody event");
		goto out;
	}
	c->text = t;
	memcpy(c->text + c->len, line, n);
	c->len += n;
	c->text[c->len++] = '\n';
	c->text[c->len] = '\0';
	if ((r = cust_sha256_hex(ctx, line, n, c->prev)) == CUST_OK)
		c->seq++;
out:
	free(line);
	json_decref(o);
	return r;
}
