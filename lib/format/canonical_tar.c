/*
 * canonical_tar.c: the canonical tar of custody-bundle(5), the one encoding
 * of a member that collect writes and verify accepts.  A member is a ustar
 * header block whose every field is fixed but for the name, the size and the
 * bundle's one mtime, preceded by a pax 'x' header holding a `path` record
 * (and a `size` record) only when the name or the size does not fit the ustar
 * fields.  A path record follows `hdrcharset=BINARY`: without it bsdtar turns
 * a name in Unicode NFD into NFC on extraction (GNU tar keeps the bytes), so
 * two files whose names differ only so would become one, and every NFD name
 * would come out under another name.  Because there is exactly one encoding,
 * the verifier does not interpret a header: it reads the name and size,
 * encodes them again, and compares every byte (canonical_read.c).  No byte of
 * a header can then carry a meaning that some tar reader sees and the
 * signature does not.
 */
#include <stdio.h>
#include <string.h>

#include "format/format.h"

#define PAX_NAME	"@PaxHeader"	/* the 'x' header's own name */
#define PAX_PATH	"@PaxPath"	/* the ustar name beside a pax path */

/* The ustar fields, for messages: where each starts, in order. */
static const struct {
	size_t		 at;
	const char	*name;
} fields[] = {
	{ 0, "name" }, { 100, "mode" }, { 108, "uid" }, { 116, "gid" },
	{ 124, "size" }, { 136, "mtime" }, { 148, "checksum" },
	{ 156, "typeflag" }, { 157, "linkname" }, { 257, "magic" },
	{ 263, "version" }, { 265, "uname" }, { 297, "gname" },
	{ 329, "devmajor" }, { 337, "devminor" }, { 345, "prefix" },
	{ 500, "padding" },
};

const char *
cust_tar_field(size_t i)
{
	size_t k = NELEM(fields) - 1;

	while (k > 0 && fields[k].at > i % CUST_TAR_BLOCK)
		k--;
	return fields[k].name;
}

/* A name the ustar name field holds as it is: printable ASCII, and short
 * enough to leave the field a terminating NUL. */
static bool
plain_name(const char *path, size_t n)
{
	if (n == 0 || n > 99)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || (unsigned char)path[i] > 0x7e)
			return false;
	return true;
}

static int
digits(uint64_t v)
{
	int d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* The length of the pax record "LEN KEY=VALUE\n", LEN counting itself. */
static size_t
reclen(size_t keylen, size_t vallen)
{
	size_t body = 1 + keylen + 1 + vallen + 1, n = body + 1;

	while (body + (size_t)digits(n) != n)
		n = body + (size_t)digits(n);
	return n;
}

size_t
cust_tar_records_len(const char *path, size_t plen, uint64_t size)
{
	size_t n = 0;

	if (!plain_name(path, plen))
		n += reclen(10, 6) + reclen(4, plen);
	if (size > CUST_TAR_FIELD_MAX)
		n += reclen(4, (size_t)digits(size));
	return n;
}

static size_t
padded(size_t n)
{
	return (n + CUST_TAR_BLOCK - 1) / CUST_TAR_BLOCK * CUST_TAR_BLOCK;
}

size_t
cust_tar_header_len(const char *path, size_t plen, uint64_t size)
{
	size_t rec = cust_tar_records_len(path, plen, size);

	return rec == 0 ? CUST_TAR_BLOCK : 2 * CUST_TAR_BLOCK + padded(rec);
}

uint64_t
cust_tar_mtime(int64_t seconds)
{
	if (seconds < 0 || (uint64_t)seconds > CUST_TAR_FIELD_MAX)
		return 0;
	return (uint64_t)seconds;
}

/* Octal V in a field of N bytes: N - 1 digits and a NUL. */
static void
octal(unsigned char *f, size_t n, uint64_t v)
{
	for (size_t i = n - 1; i-- > 0; v >>= 3)
		f[i] = (unsigned char)('0' + (v & 7));
	f[n - 1] = '\0';
}

/* One ustar header block: everything fixed but NAME, SIZE, MTIME, TYPE. */
static void
block(unsigned char *b, const char *name, size_t nlen, uint64_t size,
    uint64_t mtime, char type)
{
	unsigned sum = 0;

	memset(b, 0, CUST_TAR_BLOCK);
	memcpy(b, name, nlen);
	octal(b + 100, 8, 0644);
	octal(b + 108, 8, 0);
	octal(b + 116, 8, 0);
	octal(b + 124, 12, size);
	octal(b + 136, 12, mtime);
	memset(b + 148, ' ', 8);
	b[156] = (unsigned char)type;
	memcpy(b + 257, "ustar\0" "00", 8);
	octal(b + 329, 8, 0);
	octal(b + 337, 8, 0);
	for (size_t i = 0; i < CUST_TAR_BLOCK; i++)
		sum += b[i];
	octal(b + 148, 7, sum);
	b[155] = ' ';
}

static size_t
record(unsigned char *p, const char *key, const char *val, size_t vlen)
{
	size_t n = reclen(strlen(key), vlen);
	int k = snprintf((char *)p, 32, "%zu %s=", n, key);

	memcpy(p + k, val, vlen);
	p[(size_t)k + vlen] = '\n';
	return n;
}

void
cust_tar_header(unsigned char *out, const char *path, size_t plen,
    uint64_t size, uint64_t mtime)
{
	size_t rec = cust_tar_records_len(path, plen, size), at;
	char num[24];

	if (rec == 0) {
		block(out, path, plen, size, mtime, '0');
		return;
	}
	block(out, PAX_NAME, strlen(PAX_NAME), rec, mtime, 'x');
	at = CUST_TAR_BLOCK;
	memset(out + at, 0, padded(rec));
	if (!plain_name(path, plen)) {
		at += record(out + at, "hdrcharset", "BINARY", 6);
		at += record(out + at, "path", path, plen);
	}
	if (size > CUST_TAR_FIELD_MAX) {
		snprintf(num, sizeof(num), "%ju", (uintmax_t)size);
		at += record(out + at, "size", num, strlen(num));
	}
	at = CUST_TAR_BLOCK + padded(rec);
	if (plain_name(path, plen))
		block(out + at, path, plen, size > CUST_TAR_FIELD_MAX ? 0 :
		    size, mtime, '0');
	else
		block(out + at, PAX_PATH, strlen(PAX_PATH),
		    size > CUST_TAR_FIELD_MAX ? 0 : size, mtime, '0');
}
