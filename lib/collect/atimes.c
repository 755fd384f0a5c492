/*
 * atimes.c: the access time each inode had when the collector first met
 * it, for the inodes it may meet again after having moved that time.
 * Without read-only, noatime mounts (guard.c) listing a directory, or
 * reading a file that is not ours, moves its atime; a directory listed by
 * one artefact and recorded by the next, or the second name of a file
 * with hard links, would otherwise be recorded with the collector's own
 * time as its atime.  Only directories and inodes with more than one link
 * are kept, so memory stays small whatever the number of files.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

struct slot {
	dev_t		 dev;
	ino_t		 ino;		/* 0: empty (no inode is 0) */
	struct timespec	 atime;
};

struct cust_atimes {
	struct cust_ctx	*ctx;		/* borrowed */
	uint64_t	 k0, k1;
	struct slot	*s;		/* owned */
	size_t		 cap, n;	/* cap is a power of two */
};

int
cust_atimes_new(struct cust_ctx *ctx, struct cust_atimes **ap)
{
	struct cust_atimes *a;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "atimes");
	a->ctx = ctx;
	/* Random keys: nobody can make inode numbers collide on purpose. */
	if (getrandom(&a->k0, sizeof(a->k0), 0) != sizeof(a->k0) ||
	    getrandom(&a->k1, sizeof(a->k1), 0) != sizeof(a->k1)) {
		free(a);
		return cust_set_error(ctx, errno, CUST_FATAL, "getrandom");
	}
	*ap = a;
	return CUST_OK;
}

void
cust_atimes_free(struct cust_atimes *a)
{
	if (a == NULL)
		return;
	free(a->s);
	free(a);
}

static size_t
home(const struct cust_atimes *a, dev_t dev, ino_t ino, size_t cap)
{
	unsigned char key[sizeof(dev) + sizeof(ino)];
	uint64_t h[2];

	memcpy(key, &dev, sizeof(dev));
	memcpy(key + sizeof(dev), &ino, sizeof(ino));
	cust_siphash128(a->k0, a->k1, key, sizeof(key), h);
	return (size_t)h[0] & (cap - 1);
}

/* The slot of (DEV, INO) in S, or the empty one where it would go. */
static struct slot *
find(const struct cust_atimes *a, struct slot *s, size_t cap, dev_t dev,
    ino_t ino)
{
	size_t i = home(a, dev, ino, cap);

	while (s[i].ino != 0 && (s[i].ino != ino || s[i].dev != dev))
		i = (i + 1) & (cap - 1);
	return &s[i];
}

static int
grow(struct cust_atimes *a)
{
	size_t cap = a->cap ? a->cap * 2 : 256;
	struct slot *s;

	if ((s = calloc(cap, sizeof(*s))) == NULL)
		return cust_set_error(a->ctx, ENOMEM, CUST_FATAL, "atimes");
	for (size_t i = 0; i < a->cap; i++)
		if (a->s[i].ino != 0)
			*find(a, s, cap, a->s[i].dev, a->s[i].ino) = a->s[i];
	free(a->s);
	a->s = s;
	a->cap = cap;
	return CUST_OK;
}

/* Worth keeping at first sight: an inode the collector may meet again. */
static bool
kept(const struct stat *st)
{
	return S_ISDIR(st->st_mode) || st->st_nlink > 1;
}

int
cust_atimes_note(struct cust_atimes *a, const struct stat *st)
{
	struct slot *s;
	int r;

	if (a == NULL || st->st_ino == 0)
		return CUST_OK;
	if ((a->n + 1) * 4 > a->cap * 3 && (r = grow(a)) != CUST_OK)
		return r;
	s = find(a, a->s, a->cap, st->st_dev, st->st_ino);
	if (s->ino != 0)
		return CUST_OK;		/* the first meeting's time stays */
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->atime = st->st_atim;
	a->n++;
	return CUST_OK;
}

int
cust_atimes_first(struct cust_atimes *a, struct stat *st)
{
	const struct slot *s;
	int r;

	if (a == NULL || st->st_ino == 0)
		return CUST_OK;
	if (kept(st) && (r = cust_atimes_note(a, st)) != CUST_OK)
		return r;
	if (a->cap == 0)
		return CUST_OK;
	s = find(a, a->s, a->cap, st->st_dev, st->st_ino);
	if (s->ino != 0)
		st->st_atim = s->atime;
	return CUST_OK;
}
