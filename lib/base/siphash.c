/*
 * siphash.c: a keyed 128-bit hash of short strings, for sets that keep a
 * hash instead of the string (the collector's path set).  With a random
 * key per run nobody can make two strings collide on purpose.
 */
#include <string.h>

#include "base/base.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
round2(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 with a 128-bit output (Aumasson and Bernstein). */
void
cust_siphash128(uint64_t k0, uint64_t k1, const unsigned char *in, size_t n,
    uint64_t out[2])
{
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	    k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n & 7;

	v[1] ^= 0xee;
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, in + i, 8);	/* little-endian hosts only (x86, arm) */
		v[3] ^= m;
		round2(v);
		round2(v);
		v[0] ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v[3] ^= b;
	round2(v);
	round2(v);
	v[0] ^= b;
	v[2] ^= 0xee;
	for (int r = 0; r < 4; r++)
		round2(v);
	out[0] = v[0] ^ v[1] ^ v[2] ^ v[3];
	v[1] ^= 0xdd;
	for (int r = 0; r < 4; r++)
		round2(v);
	out[1] = v[0] ^ v[1] ^ v[2] ^ v[3];
}
