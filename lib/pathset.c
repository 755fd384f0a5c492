/*
 * pathset.c: the set of paths already recorded, so that overlapping
 * artefacts (/etc and /etc/passwd) record each path once.  It keeps a
 * 128-bit keyed SipHash of each path instead of the path, so memory stays
 * small with millions of files; the key is random per run, so nobody can
 * make two paths collide on purpose.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

struct slot {
	uint64_t	a, b;		/* a == 0 && b == 0: empty */
};

struct cust_pathset {
	uint64_t	 k0, k1;
	struct slot	*s;		/* owned */
	size_t		 cap, n;	/* cap is a power of two */
};

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

int
cust_pathset_new(struct cust_ctx *ctx, struct cust_pathset **psp)
{
	struct cust_pathset *ps;

	*psp = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "path set");
	if (getrandom(&ps->k0, sizeof(ps->k0), 0) != sizeof(ps->k0) ||
	    getrandom(&ps->k1, sizeof(ps->k1), 0) != sizeof(ps->k1)) {
		free(ps);
		return cust_set_error(ctx, errno, CUST_FATAL, "getrandom");
	}
	*psp = ps;
	return CUST_OK;
}

void
cust_pathset_free(struct cust_pathset *ps)
{
	if (ps == NULL)
		return;
	free(ps->s);
	free(ps);
}

static struct slot *
find(struct slot *s, size_t cap, uint64_t a, uint64_t b)
{
	size_t i = (size_t)a & (cap - 1);

	while ((s[i].a != 0 || s[i].b != 0) && (s[i].a != a || s[i].b != b))
		i = (i + 1) & (cap - 1);
	return &s[i];
}

static int
grow(struct cust_pathset *ps)
{
	size_t cap = ps->cap ? ps->cap * 2 : 1024;
	struct slot *s, *d;

	if ((s = calloc(cap, sizeof(*s))) == NULL)
		return -1;
	for (size_t i = 0; i < ps->cap; i++)
		if (ps->s[i].a != 0 || ps->s[i].b != 0) {
			d = find(s, cap, ps->s[i].a, ps->s[i].b);
			*d = ps->s[i];
		}
	free(ps->s);
	ps->s = s;
	ps->cap = cap;
	return 0;
}

int
cust_pathset_add(struct cust_pathset *ps, const char *path, size_t n)
{
	uint64_t h[2];
	struct slot *s;

	if ((ps->n + 1) * 4 > ps->cap * 3 && grow(ps) != 0)
		return -1;
	cust_siphash128(ps->k0, ps->k1, (const unsigned char *)path, n, h);
	if (h[0] == 0 && h[1] == 0)
		h[1] = 1;	/* keep 0,0 for "empty" */
	s = find(ps->s, ps->cap, h[0], h[1]);
	if (s->a == h[0] && s->b == h[1])
		return 0;
	s->a = h[0];
	s->b = h[1];
	ps->n++;
	return 1;
}
