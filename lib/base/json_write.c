/*
 * json_write.c: a small JSON writer for the records we emit by the thousand
 * (files.jsonl).  It only writes: everything we parse goes through
 * jansson.  Strings must be valid UTF-8 (callers base64 anything else);
 * quotes, backslashes and control characters are escaped as RFC 8259 says.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

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

/* Where N more bytes (and the NUL after them) go, or NULL out of memory. */
static char *
room(struct cust_jw *w, size_t n)
{
	grow(w, n);
	return w->oom ? NULL : w->p + w->n;
}

/* Take the N bytes written at room(), keeping the text NUL-terminated. */
static void
done(struct cust_jw *w, size_t n)
{
	w->n += n;
	w->p[w->n] = '\0';
}

static void
put(struct cust_jw *w, const char *s, size_t n)
{
	char *p;

	if ((p = room(w, n)) == NULL)
		return;
	memcpy(p, s, n);
	done(w, n);
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

/* RFC 8259: these bytes must be escaped in a string. */
static bool
special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* The escaped form of S, which holds a byte that needs escaping. */
static void
escaped(struct cust_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[6] = { '\\', 'u', '0', '0' };
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		if (!special(p[i]))
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
}

static bool
plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t v;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		v = cust_word8(p + i);
		if (cust_any_below8(v, 0x20) || cust_any_is8(v, '"') ||
		    cust_any_is8(v, '\\'))
			return false;
	}
	for (; i < n; i++)
		if (special(p[i]))
			return false;
	return true;
}

/*
 * Most strings (keys, times, digests, paths) need no escaping: those are
 * copied with one check for room rather than a put() for each piece.
 */
void
cust_jw_strn(struct cust_jw *w, const char *s, size_t n)
{
	char *p;

	if (!plain(s, n)) {
		put(w, "\"", 1);
		escaped(w, s, n);
		put(w, "\"", 1);
		return;
	}
	if ((p = room(w, n + 2)) == NULL)
		return;
	*p++ = '"';
	memcpy(p, s, n);
	p[n] = '"';
	done(w, n + 2);
}

void
cust_jw_key(struct cust_jw *w, const char *key)
{
	size_t n = strlen(key);
	char *p;

	if (!w->first)
		put(w, ",", 1);
	w->first = false;
	/* A key is a literal of ours: "\"key\":" in one piece. */
	if (plain(key, n) && (p = room(w, n + 3)) != NULL) {
		p[0] = '"';
		memcpy(p + 1, key, n);
		p[n + 1] = '"';
		p[n + 2] = ':';
		done(w, n + 3);
		return;
	}
	cust_jw_strn(w, key, n);
	put(w, ":", 1);
}

void
cust_jw_time(struct cust_jw *w, const char *key, const struct timespec *ts)
{
	size_t n;
	char *p;

	cust_jw_key(w, key);
	/* Its text has nothing to escape: written in place. */
	if ((p = room(w, CUST_TIMELEN + 2)) == NULL)
		return;
	cust_time_utc(ts, p + 1);
	n = strlen(p + 1);
	p[0] = '"';
	p[n + 1] = '"';
	done(w, n + 2);
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
	char *p;

	cust_jw_key(w, key);
	if ((p = room(w, CUST_INTLEN)) != NULL)
		done(w, cust_fmt_int(p, v));
}

void
cust_jw_bool(struct cust_jw *w, const char *key, bool v)
{
	cust_jw_key(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
cust_jw_members(struct cust_jw *w, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	if (!w->first)
		put(w, ",", 1);
	w->first = false;
	put(w, text, strlen(text));
}
