/*
 * json.c: the values of the live tables' rows.  Kernel and file fields
 * are bytes, not text: they are escaped as stored names are, so that a
 * row is valid JSON whatever they hold, and can be turned back into the
 * bytes with cust_unescape.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/util.h"

json_t *
cust_json_raw(const char *p, size_t n)
{
	json_t *v;
	char *s;
	size_t len;

	if ((s = cust_escape(p, n, &len)) == NULL)
		return NULL;
	v = json_stringn(s, len);
	free(s);
	return v;
}

json_t *
cust_json_field(const char *p, size_t size)
{
	const char *nul = memchr(p, '\0', size);

	return cust_json_raw(p, nul != NULL ? (size_t)(nul - p) : size);
}

json_t *
cust_json_addr(int af, const void *p)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(af, p, s, sizeof(s)) == NULL)
		return json_null();
	return json_string(s);
}

json_t *
cust_json_time(int64_t s, long ns)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = ns };
	char out[CUST_TIMELEN];

	cust_time_utc(&ts, out);
	return json_string(out);
}

json_t *
cust_json_bits(uint64_t v, const char *const *names, size_t n)
{
	json_t *a = json_array();
	char hex[24];

	for (unsigned i = 0; a != NULL && i < 64; i++) {
		if ((v & ((uint64_t)1 << i)) == 0)
			continue;
		if (i < n && names[i] != NULL) {
			if (json_array_append_new(a, json_string(names[i])))
				goto fail;
			continue;
		}
		snprintf(hex, sizeof(hex), "0x%llx", 1ULL << i);
		if (json_array_append_new(a, json_string(hex)))
			goto fail;
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

void
cust_row_begin(struct cust_row *w)
{
	w->o = json_object();
	w->oom = w->o == NULL;
}

void
cust_row_set(struct cust_row *w, const char *key, json_t *v)
{
	if (v == NULL || w->o == NULL) {
		json_decref(v);
		w->oom = true;
		return;
	}
	if (json_object_set_new(w->o, key, v) != 0)
		w->oom = true;
}

int
cust_row_done(struct cust_ctx *ctx, struct cust_row *w, json_t *rows)
{
	if (!w->oom && json_array_append_new(rows, w->o) == 0) {
		w->o = NULL;
		return CUST_OK;
	}
	if (!w->oom)
		w->o = NULL;	/* json_array_append_new freed it */
	json_decref(w->o);
	w->o = NULL;
	return cust_set_error(ctx, ENOMEM, CUST_FATAL, "live table");
}
