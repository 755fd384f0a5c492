/*
 * jsonw.c: a small JSON writer for the records we emit by the thousand
 * (files.jsonl).  It only writes: everything we parse goes through
 * jansson.  Strings must be valid UTF-8 (callers base64 anything else);
 * quotes, backslashes and control characters are escaped as RFC 8259 says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static void
grow(struct cust_jw *w, size_t need)
{
	size_t cap;
	char *p;

	if (w->oom || w->n + need + 1 <= w->cap)
		return;
	cap = w->cap ? w->cap : 512;
	while (cap < w->n + need + 1)
		cap *= 2;
	if ((p = realloc(w->p, cap)) == NULL) {
		w->oom = true;
		return;
	}
	w->p = p;
	w->cap = cap;
}

static void
put(struct cust_jw *w, const char *s, size_t n)
{
	grow(w, n);
	if (w->oom)
		return;
	memcpy(w->p + w->n, s, n);
	w->n += n;
	w->p[w->n] = '\0';
}

void
cust_jw_reset(struct cust_jw *w)
{
	w->n = 0;
	w->first = true;
	if (w->p != NULL)
		w->p[0] = '\0';
}

void
cust_jw_free(struct cust_jw *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

void
cust_jw_open(struct cust_jw *w)
{
	put(w, "{", 1);
	w->first = true;
}

void
cust_jw_close(struct cust_jw *w)
{
	put(w, "}", 1);
	w->first = false;
}

void
cust_jw_strn(struct cust_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[6] = { '\\', 'u', '0', '0' };
	size_t run = 0;

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		if (p[i] == '"' || p[i] == '\\') {
			esc[1] = (char)p[i];
			put(w, esc, 2);
			esc[1] = 'u';
			continue;
		}
		esc[4] = hex[p[i] >> 4];
		esc[5] = hex[p[i] & 15];
		put(w, esc, 6);
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

void
cust_jw_key(struct cust_jw *w, const char *key)
{
	if (!w->first)
		put(w, ",", 1);
	w->first = false;
	cust_jw_strn(w, key, strlen(key));
	put(w, ":", 1);
}

void
cust_jw_str(struct cust_jw *w, const char *key, const char *s)
{
	cust_jw_key(w, key);
	cust_jw_strn(w, s, strlen(s));
}

void
cust_jw_int(struct cust_jw *w, const char *key, intmax_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%jd", v);

	cust_jw_key(w, key);
	put(w, buf, (size_t)n);
}

void
cust_jw_bool(struct cust_jw *w, const char *key, bool v)
{
	cust_jw_key(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}
