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
 *
 * A sparse file is stored in the PAX form GNU tar calls 1.0, which GNU tar
 * and bsdtar restore: its 'x' header names it in GNU.sparse.name and gives
 * its size in GNU.sparse.realsize; its data area starts with the map of
 * its data regions in decimal lines, padded to a block, followed by the
 * regions' bytes.  The map too has one encoding (cust_tar_sparse_map).
 */
#include <stdio.h>
#include <string.h>

#include "format/format.h"

#define PAX_NAME	"@PaxHeader"	/* the 'x' header's own name */
#define PAX_PATH	"@PaxPath"	/* the ustar name beside a pax path */
#define PAX_SPARSE	"@PaxSparse"	/* the ustar name of a sparse member */
#define DENSE		UINT64_MAX	/* realsize of a member not sparse */

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

/* The records of member PATH, its data area SIZE bytes, its content
 * REALSIZE bytes (DENSE: not sparse). */
static size_t
records_len(const char *path, size_t plen, uint64_t size, uint64_t realsize)
{
	bool sparse = realsize != DENSE;
	size_t n = 0;

	if (!plain_name(path, plen))
		n += reclen(10, 6) + (sparse ? 0 : reclen(4, plen));
	if (sparse)
		n += 2 * reclen(16, 1) + reclen(15, plen) +
		    reclen(19, (size_t)digits(realsize));
	if (size > CUST_TAR_FIELD_MAX)
		n += reclen(4, (size_t)digits(size));
	return n;
}

size_t
cust_tar_records_len(const char *path, size_t plen, uint64_t size)
{
	return records_len(path, plen, size, DENSE);
}

static size_t
padded(size_t n)
{
	return (n + CUST_TAR_BLOCK - 1) / CUST_TAR_BLOCK * CUST_TAR_BLOCK;
}

static size_t
header_len(const char *path, size_t plen, uint64_t size, uint64_t realsize)
{
	size_t rec = records_len(path, plen, size, realsize);

	return rec == 0 ? CUST_TAR_BLOCK : 2 * CUST_TAR_BLOCK + padded(rec);
}

size_t
cust_tar_header_len(const char *path, size_t plen, uint64_t size)
{
	return header_len(path, plen, size, DENSE);
}

size_t
cust_tar_sparse_header_len(const char *path, size_t plen, uint64_t size,
    uint64_t realsize)
{
	return header_len(path, plen, size, realsize);
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

static size_t
number(unsigned char *p, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%ju", (uintmax_t)v);
	return record(p, key, num, strlen(num));
}

static void
header(unsigned char *out, const char *path, size_t plen, uint64_t size,
    uint64_t realsize, uint64_t mtime)
{
	size_t rec = records_len(path, plen, size, realsize), at;
	bool sparse = realsize != DENSE, plain = plain_name(path, plen);
	uint64_t field = size > CUST_TAR_FIELD_MAX ? 0 : size;

	if (rec == 0) {
		block(out, path, plen, size, mtime, '0');
		return;
	}
	block(out, PAX_NAME, strlen(PAX_NAME), rec, mtime, 'x');
	at = CUST_TAR_BLOCK;
	memset(out + at, 0, padded(rec));
	if (!plain)
		at += record(out + at, "hdrcharset", "BINARY", 6);
	if (!plain && !sparse)
		at += record(out + at, "path", path, plen);
	if (sparse) {
		at += record(out + at, "GNU.sparse.major", "1", 1);
		at += record(out + at, "GNU.sparse.minor", "0", 1);
		at += record(out + at, "GNU.sparse.name", path, plen);
		at += number(out + at, "GNU.sparse.realsize", realsize);
	}
	if (size > CUST_TAR_FIELD_MAX)
		at += number(out + at, "size", size);
	at = CUST_TAR_BLOCK + padded(rec);
	if (sparse)
		block(out + at, PAX_SPARSE, strlen(PAX_SPARSE), field, mtime,
		    '0');
	else if (plain)
		block(out + at, path, plen, field, mtime, '0');
	else
		block(out + at, PAX_PATH, strlen(PAX_PATH), field, mtime, '0');
}

void
cust_tar_header(unsigned char *out, const char *path, size_t plen,
    uint64_t size, uint64_t mtime)
{
	header(out, path, plen, size, DENSE, mtime);
}

void
cust_tar_sparse_header(unsigned char *out, const char *path, size_t plen,
    uint64_t size, uint64_t realsize, uint64_t mtime)
{
	header(out, path, plen, size, realsize, mtime);
}

/* Whether the map needs its last entry, (realsize, 0): GNU tar sets a
 * file's size by it when the file ends in a hole. */
static bool
tail_entry(const struct cust_region *v, size_t n, uint64_t realsize)
{
	return n == 0 || v[n - 1].off + v[n - 1].len < realsize;
}

static size_t
line(unsigned char *out, size_t at, uint64_t v)
{
	char num[24];
	int k = snprintf(num, sizeof(num), "%ju\n", (uintmax_t)v);

	if (out != NULL)
		memcpy(out + at, num, (size_t)k);
	return (size_t)k;
}

size_t
cust_tar_sparse_map(const struct cust_region *v, size_t n, uint64_t realsize,
    unsigned char *out)
{
	bool tail = tail_entry(v, n, realsize);
	size_t at = 0, len;

	at += line(out, at, n + (tail ? 1 : 0));
	for (size_t i = 0; i < n; i++) {
		at += line(out, at, v[i].off);
		at += line(out, at, v[i].len);
	}
	if (tail) {
		at += line(out, at, realsize);
		at += line(out, at, 0);
	}
	len = padded(at);
	if (out != NULL)
		memset(out + at, 0, len - at);
	return len;
}

const char *
cust_tar_sparse_check(const struct cust_region *v, size_t n,
    uint64_t realsize)
{
	uint64_t data = 0;

	if (n > CUST_SPARSE_REGIONS)
		return "more data regions than a sparse member may hold";
	for (size_t i = 0; i < n; i++) {
		if (v[i].len == 0)
			return "an empty data region before the map's end";
		if (v[i].off > realsize || v[i].len > realsize - v[i].off)
			return "a data region beyond the file's size";
		if (i > 0 && v[i].off <= v[i - 1].off + v[i - 1].len)
			return "data regions that overlap, touch or are out "
			    "of order";
		data += v[i].len;
	}
	if (realsize - data < CUST_SPARSE_MIN_HOLES)
		return "holes too small for the sparse form";
	return NULL;
}
