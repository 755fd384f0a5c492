/*
 * escape.c: stored names.  A path goes into the bundle under a name that
 * any tool can handle: every byte that is '%' or '^', a C0 control or DEL,
 * or part of an invalid UTF-8 sequence is written as "^XX" (uppercase hex).
 * The mapping is one to one, so the raw path can always be recovered, and a
 * stored name never holds '%', CR or LF, which keeps manifest lines valid
 * for both BagIt (RFC 8493 2.1.3) and `sha256sum -c`.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/base.h"

size_t
cust_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
cust_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (n > 0) {
		/* ASCII, most of every path, eight bytes at a time, or one
		 * without the call. */
		if (n >= 8 && (cust_word8(p) & CUST_HIGHS8) == 0)
			k = 8;
		else if ((k = p[0] < 0x80 ? 1 : cust_utf8_seq(p, n)) == 0)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

static bool
plain(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != '%' && c != '^';
}

/* Whether the 8 bytes of V are plain ASCII, each as plain() says. */
static bool
plain8(uint64_t v)
{
	return (v & CUST_HIGHS8) == 0 && !cust_any_below8(v, 0x20) &&
	    !cust_any_is8(v, 0x7f) && !cust_any_is8(v, '%') &&
	    !cust_any_is8(v, '^');
}

/* Escape RAW into OUT (NULL: only count); returns the escaped length. */
static size_t
escape(const unsigned char *raw, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t len = 0, k;

	while (n > 0) {
		if (n >= 8 && plain8(cust_word8(raw)))
			k = 8;
		else
			k = raw[0] < 0x80 ? 1 : cust_utf8_seq(raw, n);
		if (k > 1 || (k == 1 && plain(raw[0]))) {
			if (out != NULL)
				memcpy(out + len, raw, k);
			len += k;
		} else {
			k = 1;
			if (out != NULL) {
				out[len] = '^';
				out[len + 1] = digits[raw[0] >> 4];
				out[len + 2] = digits[raw[0] & 15];
			}
			len += 3;
		}
		raw += k;
		n -= k;
	}
	return len;
}

char *
cust_escape(const char *raw, size_t n, size_t *lenp)
{
	const unsigned char *r = (const unsigned char *)raw;
	size_t len = escape(r, n, NULL);
	char *out;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	escape(r, n, out);
	out[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return out;
}

bool
cust_escape_none(const char *raw, size_t n)
{
	/* Each byte escaped becomes three. */
	return escape((const unsigned char *)raw, n, NULL) == n;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the "^XX" of S into OUT (room for N + 1 bytes): 0, or -1 when
 * an escape is malformed.  Whether S is canonical is not checked. */
static int
decode(const char *s, size_t n, char *out, size_t *lenp)
{
	size_t len = 0;
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '^') {
			out[len++] = s[i];
			continue;
		}
		if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0)
			return -1;
		out[len++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[len] = '\0';
	*lenp = len;
	return 0;
}

/* Whether RAW escapes to exactly S; AGAIN has room for N bytes. */
static bool
escapes_to(const char *raw, size_t len, const char *s, size_t n,
    char *again)
{
	const unsigned char *r = (const unsigned char *)raw;

	if (escape(r, len, NULL) != n)
		return false;
	escape(r, len, again);
	return memcmp(again, s, n) == 0;
}

int
cust_unescape(const char *s, size_t n, char **outp, size_t *lenp)
{
	char *out, *again;
	size_t len;
	bool ok;

	*outp = NULL;
	if ((out = malloc(n + 1)) == NULL)
		return -1;
	if (decode(s, n, out, &len) != 0 || (again = malloc(n + 1)) == NULL) {
		free(out);
		return -1;
	}
	/* Only the canonical spelling is accepted: escaping must give S. */
	ok = escapes_to(out, len, s, n, again);
	free(again);
	if (!ok) {
		free(out);
		return -1;
	}
	*outp = out;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

/*
 * The name under data/ of a file at raw path P ("/etc/passwd" ->
 * "data/etc/passwd").  A name too long for tools to handle (a component
 * over 255 bytes once escaped, or more than CUST_STORED_MAX bytes in all)
 * is stored as "data/^00/<SHA-256 of the raw path>" instead: "^00" stands
 * for a NUL byte, which no path holds, so the two forms never meet.  The
 * raw path is always in files.jsonl.
 */
char *
cust_stored_name(const char *p, size_t n)
{
	char *esc, *out, *c, hex[65];
	size_t len, comp = 0;
	bool fits;

	if ((esc = cust_escape(p, n, &len)) == NULL)
		return NULL;
	fits = len + 4 <= CUST_STORED_MAX;
	for (c = esc; fits && *c != '\0'; c++) {
		comp = *c == '/' ? 0 : comp + 1;
		fits = comp <= 255;
	}
	if (fits) {
		out = malloc(len + 5);
		if (out != NULL) {
			memcpy(out, "data", 4);
			memcpy(out + 4, esc, len + 1);
		}
	} else if (cust_sha256_hex(NULL, p, n, hex) != CUST_OK)
		out = NULL;
	else if ((out = malloc(9 + 64 + 1)) != NULL)
		snprintf(out, 9 + 64 + 1, "data/^00/%s", hex);
	free(esc);
	return out;
}

/*
 * What cust_stored_name gives for a path without NUL: "data" and its
 * canonical escape, short enough.  Nothing is allocated, so that running
 * out of memory cannot make the verifier call a good name bad.
 */
bool
cust_stored_valid(const char *rel)
{
	char raw[CUST_STORED_MAX + 1], again[CUST_STORED_MAX + 1];
	size_t n = strlen(rel), rawlen, comp = 0;

	if (strncmp(rel, "data/^00/", 9) == 0)
		return n == 9 + 64 && strspn(rel + 9, "0123456789abcdef") == 64;
	if (strncmp(rel, "data/", 5) != 0 || n > CUST_STORED_MAX)
		return false;
	if (decode(rel + 4, n - 4, raw, &rawlen) != 0 ||
	    memchr(raw, '\0', rawlen) != NULL ||
	    !escapes_to(raw, rawlen, rel + 4, n - 4, again))
		return false;
	for (const char *c = rel + 4; *c != '\0'; c++)
		if ((comp = *c == '/' ? 0 : comp + 1) > 255)
			return false;
	return true;
}

/* NULL, or one line of printable UTF-8 of at most MAX bytes. */
int
cust_check_label(struct cust_ctx *ctx, const char *what, const char *s,
    size_t max)
{
	if (s == NULL)
		return CUST_OK;
	if (*s == '\0' || strlen(s) > max)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: must be 1 to "
		    "%zu bytes", what, max);
	if (!cust_utf8_valid(s, strlen(s)))
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: not valid UTF-8", what);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return cust_set_error(ctx, 0, CUST_FAILED,
			    "%s: control characters are not allowed", what);
	return CUST_OK;
}

char *
cust_b64_decode(const char *s, size_t *np)
{
	size_t len = strlen(s);
	unsigned char *out;
	int k;

	if (len % 4 != 0 || len > INT_MAX || (out = malloc(len / 4 * 3 +
	    1)) == NULL)
		return NULL;
	if ((k = EVP_DecodeBlock(out, (const unsigned char *)s,
	    (int)len)) < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding's bytes too. */
	*np = (size_t)k - (len > 0 && s[len - 1] == '=') -
	    (len > 1 && s[len - 2] == '=');
	out[*np] = '\0';
	return (char *)out;
}
