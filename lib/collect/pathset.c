/*
 * pathset.c: the set of paths already recorded, so that overlapping
 * artefacts (/etc and /etc/passwd) record each path once.  It keeps a
 * 128-bit keyed SipHash of each path instead of the path, so memory stays
 * small with millions of files; the key is random per run, so nobody can
 * make two paths collide on purpose.
 *
 * The table is its own anonymous mapping.  It doubles in place (mremap),
 * and its slots are then rehashed where they lie, so a collection of many
 * files never holds the old table and the new one at once.
 */
#include <sys/mman.h>
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

struct slot {
	uint64_t	a, b;		/* a == 0 && b == 0: empty */
};

struct cust_pathset {
	uint64_t	 k0, k1;
	struct slot	*s;		/* owned */
	size_t		 cap, n;	/* cap is a power of two */
};

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
	if (ps->s != NULL)
		munmap(ps->s, ps->cap * sizeof(*ps->s));
	free(ps);
}

static bool
used(const struct slot *s)
{
	return s->a != 0 || s->b != 0;
}

static bool
marked(const unsigned char *left, size_t i)
{
	return left != NULL && (left[i / 8] & (1u << (i % 8))) != 0;
}

static void
mark(unsigned char *left, size_t i, bool on)
{
	if (on)
		left[i / 8] |= (unsigned char)(1u << (i % 8));
	else
		left[i / 8] &= (unsigned char)~(1u << (i % 8));
}

/* The first slot from A's home that is empty, holds A,B, or is marked in
 * LEFT: while rehashing, a slot whose entry is still to move counts as
 * free. */
static size_t
probe(const struct slot *s, size_t cap, const unsigned char *left,
    uint64_t a, uint64_t b)
{
	size_t i = (size_t)a & (cap - 1);

	while (used(&s[i]) && (s[i].a != a || s[i].b != b) &&
	    !marked(left, i))
		i = (i + 1) & (cap - 1);
	return i;
}

/*
 * Rehash in place, after the table doubled to CAP slots.  Every entry of
 * the old half is marked in LEFT; each marked entry then goes to the first
 * slot from its new home that is empty or marked, and the entry of a
 * marked slot it lands on comes back to be placed in turn.  A placed entry
 * never moves again, and the slots between its home and its slot were all
 * placed before it, so each ends where a lookup finds it.
 */
static void
rehash(struct slot *s, size_t cap, unsigned char *left)
{
	struct slot t;
	size_t i, p;

	for (i = 0; i < cap / 2; i++)
		if (used(&s[i]))
			mark(left, i, true);
	for (i = 0; i < cap / 2; i++)
		while (marked(left, i)) {
			p = probe(s, cap, left, s[i].a, s[i].b);
			if (p == i) {
				mark(left, i, false);
			} else if (!used(&s[p])) {
				s[p] = s[i];
				s[i] = (struct slot){ 0, 0 };
				mark(left, i, false);
			} else {
				t = s[p];
				s[p] = s[i];
				s[i] = t;
				mark(left, p, false);
			}
		}
}

static int
grow(struct cust_pathset *ps)
{
	size_t cap = ps->cap ? ps->cap * 2 : 1024;
	unsigned char *left;
	void *s;

	if (ps->s == NULL) {
		s = mmap(NULL, cap * sizeof(*ps->s), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED)
			return -1;
		ps->s = s;
		ps->cap = cap;
		return 0;
	}
	if ((left = calloc(cap / 8, 1)) == NULL)
		return -1;
	/* The pages added are the kernel's zeros: empty slots. */
	s = mremap(ps->s, ps->cap * sizeof(*ps->s), cap * sizeof(*ps->s),
	    MREMAP_MAYMOVE);
	if (s == MAP_FAILED) {
		free(left);
		return -1;
	}
	ps->s = s;
	ps->cap = cap;
	rehash(ps->s, cap, left);
	free(left);
	return 0;
}

int
cust_pathset_add_hash(struct cust_pathset *ps, uint64_t a, uint64_t b)
{
	struct slot *s;

	if ((ps->n + 1) * 4 > ps->cap * 3 && grow(ps) != 0)
		return -1;
	if (a == 0 && b == 0)
		b = 1;		/* keep 0,0 for "empty" */
	s = &ps->s[probe(ps->s, ps->cap, NULL, a, b)];
	if (s->a == a && s->b == b)
		return 0;
	s->a = a;
	s->b = b;
	ps->n++;
	return 1;
}

int
cust_pathset_add(struct cust_pathset *ps, const char *path, size_t n)
{
	uint64_t h[2];

	cust_siphash128(ps->k0, ps->k1, (const unsigned char *)path, n, h);
	return cust_pathset_add_hash(ps, h[0], h[1]);
}

bool
cust_pathset_has(const struct cust_pathset *ps, const char *path, size_t n)
{
	const struct slot *s;
	uint64_t h[2];

	if (ps->n == 0)
		return false;
	cust_siphash128(ps->k0, ps->k1, (const unsigned char *)path, n, h);
	if (h[0] == 0 && h[1] == 0)
		h[1] = 1;	/* as cust_pathset_add_hash keeps it */
	s = &ps->s[probe(ps->s, ps->cap, NULL, h[0], h[1])];
	return s->a == h[0] && s->b == h[1];
}

size_t
cust_pathset_count(const struct cust_pathset *ps)
{
	return ps->n;
}
