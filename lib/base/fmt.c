/*
 * fmt.c: decimal text for the numbers written once or more per file
 * (files.jsonl, the bodyfile, timestamps).  snprintf is correct but slow
 * there: each call sets up a FILE and parses its format, and that was more
 * than half the cost of writing a record.  These write the bytes "%ju" and
 * "%jd" would, without a NUL, and return how many.
 */
#include <string.h>

#include "base/base.h"

size_t
cust_fmt_uint(char *out, uintmax_t v)
{
	char buf[CUST_INTLEN], *p = buf + sizeof(buf);
	size_t n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	n = (size_t)(buf + sizeof(buf) - p);
	memcpy(out, p, n);
	return n;
}

size_t
cust_fmt_int(char *out, intmax_t v)
{
	if (v >= 0)
		return cust_fmt_uint(out, (uintmax_t)v);
	/* Negate unsigned: -INTMAX_MIN does not fit an intmax_t. */
	*out = '-';
	return 1 + cust_fmt_uint(out + 1, (uintmax_t)0 - (uintmax_t)v);
}
