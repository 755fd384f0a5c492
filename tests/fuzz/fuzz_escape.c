/*
 * fuzz_escape.c: stored-name escaping, by its properties.  For any bytes
 * X: escape(X) is valid UTF-8 without '%', CR, LF or another control
 * byte, and unescape(escape(X)) == X; unescape accepts only canonical
 * names (escape(unescape(S)) == S); and the stored name of any path
 * without NUL is one cust_stored_valid() accepts, no longer than
 * CUST_STORED_MAX with no component over 255 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void
check_escaped(const char *e, size_t len)
{
	if (strlen(e) != len)
		fuzz_fail("escaped name holds a NUL");
	if (!cust_utf8_valid(e, len))
		fuzz_fail("escaped name is not UTF-8");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)e[i] < 0x20 || e[i] == 0x7f || e[i] == '%')
			fuzz_fail("escaped name holds byte 0x%02x at %zu",
			    (unsigned char)e[i], i);
}

/* Escaping is one to one: unescape gives X back. */
static void
roundtrip(const uint8_t *x, size_t n)
{
	char *e, *raw;
	size_t len, rawlen;

	if ((e = cust_escape((const char *)x, n, &len)) == NULL)
		fuzz_fail("out of memory");
	check_escaped(e, len);
	if (cust_unescape(e, len, &raw, &rawlen) != 0)
		fuzz_fail("unescape refuses what escape made");
	if (rawlen != n || memcmp(raw, x, n) != 0 || raw[rawlen] != '\0')
		fuzz_fail("unescape(escape(x)) != x");
	free(raw);
	free(e);
}

/* Only canonical names unescape: escaping the result gives S back. */
static void
canonical(const uint8_t *s, size_t n)
{
	char *raw, *e;
	size_t rawlen, len;

	if (cust_unescape((const char *)s, n, &raw, &rawlen) != 0) {
		if (raw != NULL)
			fuzz_fail("unescape failed but returned a string");
		return;
	}
	if ((e = cust_escape(raw, rawlen, &len)) == NULL)
		fuzz_fail("out of memory");
	if (len != n || memcmp(e, s, n) != 0)
		fuzz_fail("unescape accepted a non-canonical name");
	free(e);
	free(raw);
}

static void
check_stored(const char *s)
{
	size_t comp = 0;

	if (strncmp(s, "data/", 5) != 0 || strlen(s) > CUST_STORED_MAX)
		fuzz_fail("stored name %.64s... is not data/ or too long", s);
	for (const char *c = s; *c != '\0'; c++)
		if ((comp = *c == '/' ? 0 : comp + 1) > 255)
			fuzz_fail("stored name has a component over 255 bytes");
	if (!cust_stored_valid(s))
		fuzz_fail("cust_stored_valid refuses a stored name");
}

/* Paths are in-root and absolute: try X as it is and under "/". */
static void
stored(const uint8_t *x, size_t n)
{
	char *p, *s;

	if (memchr(x, '\0', n) != NULL)
		return;
	if ((p = malloc(n + 2)) == NULL)
		fuzz_fail("out of memory");
	p[0] = '/';
	memcpy(p + 1, x, n);
	p[n + 1] = '\0';
	for (int i = 0; i < 2; i++) {
		if (i == 1 && (n == 0 || x[0] != '/'))
			break;
		if ((s = cust_stored_name(p + i, n + 1 - (size_t)i)) == NULL)
			fuzz_fail("out of memory");
		check_stored(s);
		free(s);
	}
	/* X itself as a stored name: valid only if it is one. */
	p[n + 1] = '\0';
	if (cust_stored_valid(p + 1) && strncmp(p + 1, "data/^00/", 9) != 0) {
		char *raw;
		size_t rawlen;

		if (cust_unescape(p + 5, n - 4, &raw, &rawlen) != 0 ||
		    (s = cust_stored_name(raw, rawlen)) == NULL ||
		    strcmp(s, p + 1) != 0)
			fuzz_fail("cust_stored_valid accepts a name that is "
			    "not the stored name of its path");
		free(s);
		free(raw);
	}
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(data, size);
	canonical(data, size);
	stored(data, size);
	return 0;
}
