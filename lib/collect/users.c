/*
 * users.c: home directories for %user_home%, read from the collection
 * root's own etc/passwd (so that --root on a mounted image finds the
 * image's users, not ours).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

#define PASSWD_MAX	(16 * 1024 * 1024)

static bool
nologin(const char *shell)
{
	size_t n = strlen(shell);

	return (n >= 7 && strcmp(shell + n - 7, "nologin") == 0) ||
	    (n >= 5 && strcmp(shell + n - 5, "false") == 0);
}

/* Keep HOME (trailing slashes dropped) if absolute; duplicates go later,
 * in dedup(), so that a large passwd costs O(n log n), not O(n^2). */
static int
addhome(struct cust_strv *v, size_t *cap, const char *home)
{
	size_t n = strlen(home);
	char **nv, *h;

	while (n > 1 && home[n - 1] == '/')
		n--;
	if (n == 0 || home[0] != '/')
		return 0;
	if (v->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((nv = realloc(v->v, *cap * sizeof(*nv))) == NULL)
			return -1;
		v->v = nv;
	}
	if ((h = strndup(home, n)) == NULL)
		return -1;
	v->v[v->n++] = h;
	return 0;
}

/* Order of indices into the homes V: by text, then by place in the file. */
static int
byhome(const void *a, const void *b, void *v)
{
	char *const *h = ((const struct cust_strv *)v)->v;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(h[i], h[j]);

	return c != 0 ? c : i < j ? -1 : i > j;
}

/* Drop every home seen before, keeping the first in file order. */
static int
dedup(struct cust_strv *v)
{
	size_t *ix, k = 0;

	if (v->n < 2)
		return 0;
	if ((ix = malloc(v->n * sizeof(*ix))) == NULL)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		ix[i] = i;
	qsort_r(ix, v->n, sizeof(*ix), byhome, v);
	/* Within a run of equal homes the first index is the first seen. */
	for (size_t i = 1, first = ix[0]; i < v->n; i++)
		if (strcmp(v->v[ix[i]], v->v[first]) == 0) {
			free(v->v[ix[i]]);
			v->v[ix[i]] = NULL;
		} else
			first = ix[i];
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] != NULL)
			v->v[k++] = v->v[i];
	v->n = k;
	free(ix);
	return 0;
}

/* Take "name:pw:uid:gid:gecos:home:shell" fields 6 and 7. */
static int
line(struct cust_strv *v, size_t *cap, char *s, bool skip_nologin)
{
	char *f[7];
	int i;

	for (i = 0; i < 7 && s != NULL; i++)
		f[i] = strsep(&s, ":");
	if (i < 7)
		return 0;
	if (skip_nologin && nologin(f[6]))
		return 0;
	return addhome(v, cap, f[5]);
}

int
cust_user_homes(struct cust_ctx *ctx, int rootfd, bool skip_nologin,
    struct cust_strv *v)
{
	char *buf = NULL, *s, *end, *nl;
	size_t n = 0, cap = 0;
	int r;

	memset(v, 0, sizeof(*v));
	/* A link on an image could lead out of it: never follow one. */
	r = cust_read_file_at(ctx, rootfd, "etc/passwd", "/etc/passwd",
	    CUST_READ_NOFOLLOW | CUST_READ_NOATIME | CUST_READ_OPTIONAL,
	    PASSWD_MAX, &buf, &n);
	if (r != CUST_OK || buf == NULL)
		return r;
	/* Lines end at '\n' only: a NUL inside one (a hostile image) must
	 * not hide the users after it, so that line alone is skipped. */
	for (s = buf, end = buf + n; r == CUST_OK && s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		*nl = '\0';
		if (memchr(s, '\0', (size_t)(nl - s)) == NULL &&
		    line(v, &cap, s, skip_nologin) != 0)
			r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "homes");
	}
	free(buf);
	if (r == CUST_OK && dedup(v) != 0)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "homes");
	return r;
}

/* The name of UID on a "name:pw:uid:..." line, or NULL. */
static char *
named(char *s, uid_t uid)
{
	char *f[3], *end;
	unsigned long long u;
	int i;

	for (i = 0; i < 3 && s != NULL; i++)
		f[i] = strsep(&s, ":");
	if (i < 3 || *f[2] == '\0')
		return NULL;
	errno = 0;
	u = strtoull(f[2], &end, 10);
	if (errno != 0 || *end != '\0' || u != (unsigned long long)uid)
		return NULL;
	return f[0];
}

int
cust_user_name(struct cust_ctx *ctx, int rootfd, uid_t uid, char **namep)
{
	char *buf = NULL, *s, *end, *nl, *name = NULL;
	size_t n = 0;
	int r;

	*namep = NULL;
	r = cust_read_file_at(ctx, rootfd, "etc/passwd", "/etc/passwd",
	    CUST_READ_NOFOLLOW | CUST_READ_NOATIME | CUST_READ_OPTIONAL,
	    PASSWD_MAX, &buf, &n);
	if (r != CUST_OK || buf == NULL)
		return r;
	for (s = buf, end = buf + n; name == NULL && s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		*nl = '\0';
		if (memchr(s, '\0', (size_t)(nl - s)) == NULL)
			name = named(s, uid);
	}
	if (name != NULL && (*namep = strdup(name)) == NULL)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "user name");
	free(buf);
	return r;
}

void
cust_strv_free(struct cust_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static int
cmpid(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Field 3 of each "name:x:ID:..." line of BUF as an ID, into S. */
static int
ids_of(char *buf, size_t n, struct cust_ids *s)
{
	char *p, *nl, *end = buf + n, *f, *e;
	unsigned long id;
	unsigned *v;
	size_t cap = 0;

	for (p = buf; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if ((f = strchr(p, ':')) == NULL ||
		    (f = strchr(f + 1, ':')) == NULL)
			continue;
		errno = 0;
		id = strtoul(f + 1, &e, 10);
		if (errno != 0 || e == f + 1 || *e != ':' || id > UINT32_MAX)
			continue;
		if (s->n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((v = realloc(s->v, cap * sizeof(*v))) == NULL)
				return -1;
			s->v = v;
		}
		s->v[s->n++] = (unsigned)id;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmpid);
	return 0;
}

int
cust_ids_load(struct cust_ctx *ctx, int rootfd, bool groups,
    struct cust_ids *s)
{
	const char *rel = groups ? "etc/group" : "etc/passwd";
	char *buf = NULL;
	size_t n = 0;
	int r;

	memset(s, 0, sizeof(*s));
	r = cust_read_file_at(ctx, rootfd, rel, rel,
	    CUST_READ_NOFOLLOW | CUST_READ_NOATIME | CUST_READ_OPTIONAL,
	    PASSWD_MAX, &buf, &n);
	if (r != CUST_OK)
		return r;
	if (buf != NULL && ids_of(buf, n, s) != 0)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", rel);
	free(buf);
	return r;
}

bool
cust_ids_has(const struct cust_ids *s, unsigned id)
{
	return s->n > 0 && bsearch(&id, s->v, s->n, sizeof(*s->v), cmpid) !=
	    NULL;
}

void
cust_ids_free(struct cust_ids *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
