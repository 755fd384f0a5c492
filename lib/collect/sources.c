/*
 * sources.c: which manifest files a collection loads.  `-m DIR` loads every
 * *.yaml file below DIR; a UAC profile names artifact files relative to
 * UAC's artifacts directory, with globs, whole directories and '!'
 * exclusions, read the way UAC 3 reads them (lib/parse_profile.sh and
 * lib/validate_artifact_list.sh): in order, an entry adds every file it
 * matches (a directory: every file below it), an exclusion removes the
 * files it matches from those added so far, a file named twice is kept
 * once, where first named, and an entry that matches nothing is an error.
 * Within a directory, names are taken in byte order.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

#define MAX_FILES	100000	/* manifest files from one directory */
#define MAX_PROFILE	(256 * 1024)

struct names {
	char	**v;		/* owned, each owned */
	size_t	  n, cap;
};

static int
add(struct cust_ctx *ctx, struct names *l, const char *s)
{
	char **v;

	if (l->n == MAX_FILES)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: more than %d "
		    "manifest files", s, MAX_FILES);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", s);
		l->v = v;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", s);
	l->n++;
	return CUST_OK;
}

void
cust_names_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
yaml_name(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && strcmp(s + n - 5, ".yaml") == 0;
}

/* NOLINTBEGIN(misc-no-recursion): one level per directory, bounded by
 * PATH_MAX through the names built. */

/* Every *.yaml file at PATH: itself, or those below it, in byte order. */
static int
gather(struct cust_ctx *ctx, const char *path, bool named, struct names *l)
{
	struct names kids = { 0 };
	struct dirent *d;
	struct stat st;
	char *sub;
	DIR *dir;
	int r = CUST_OK;

	if (stat(path, &st) != 0)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return named || (S_ISREG(st.st_mode) && yaml_name(path)) ?
		    add(ctx, l, path) : CUST_OK;
	if ((dir = opendir(path)) == NULL)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
	while (r == CUST_OK && (d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			r = add(ctx, &kids, d->d_name);
	closedir(dir);
	if (kids.n > 1)
		qsort(kids.v, kids.n, sizeof(*kids.v), cmpstr);
	for (size_t i = 0; r == CUST_OK && i < kids.n; i++) {
		if (asprintf(&sub, "%s%s%s", path, path[strlen(path) - 1] ==
		    '/' ? "" : "/", kids.v[i]) < 0)
			r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", path);
		else {
			r = gather(ctx, sub, false, l);
			free(sub);
		}
	}
	cust_names_free(kids.v, kids.n);
	return r;
}

/* NOLINTEND(misc-no-recursion) */

int
cust_manifest_files(struct cust_ctx *ctx, const char *path, char ***vp,
    size_t *np)
{
	struct names l = { 0 };
	int r;

	*vp = NULL;
	*np = 0;
	if ((r = gather(ctx, path, true, &l)) != CUST_OK) {
		cust_names_free(l.v, l.n);
		return r;
	}
	if (l.n == 0) {
		cust_names_free(l.v, l.n);
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: no *.yaml "
		    "manifest in it", path);
	}
	*vp = l.v;
	*np = l.n;
	return CUST_OK;
}

/* Drop from L every name that EX holds. */
static void
drop(struct names *l, const struct names *ex)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++) {
		bool gone = false;

		for (size_t j = 0; !gone && j < ex->n; j++)
			gone = strcmp(l->v[i], ex->v[j]) == 0;
		if (gone)
			free(l->v[i]);
		else
			l->v[k++] = l->v[i];
	}
	l->n = k;
}

static bool
has(const struct names *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/*
 * The files entry ITEM of PROFILE:LINE matches below DIR, into OUT.  UAC
 * drops "../", a leading "./" and "artifacts/" from an entry.
 */
static int
entry(struct cust_ctx *ctx, const char *profile, unsigned line,
    const char *dir, const char *item, struct names *out)
{
	char *clean, *pat = NULL, *o;
	const char *p;
	glob_t g;
	int r = CUST_OK, gr;

	if ((clean = strdup(item)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", profile);
	for (p = item, o = clean; *p != '\0';)
		if (strncmp(p, "../", 3) == 0)
			p += 3;
		else
			*o++ = *p++;
	*o = '\0';
	p = clean;
	if (strncmp(p, "./", 2) == 0)
		p += 2;
	if (strncmp(p, "artifacts/", 10) == 0)
		p += 10;
	if (*p == '/' ? (pat = strdup(p)) == NULL :
	    asprintf(&pat, "%s/%s", dir, p) < 0) {
		pat = NULL;
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", profile);
		goto out;
	}
	memset(&g, 0, sizeof(g));
	if ((gr = glob(pat, 0, NULL, &g)) != 0) {
		r = gr == GLOB_NOSPACE ? cust_set_error(ctx, ENOMEM,
		    CUST_FATAL, "%s", profile) : cust_set_error(ctx, 0,
		    CUST_FAILED, "%s:%u: '%.200s' names no artifact file",
		    profile, line, item);
		globfree(&g);
		goto out;
	}
	for (size_t i = 0; r == CUST_OK && i < g.gl_pathc; i++)
		r = gather(ctx, g.gl_pathv[i], false, out);
	globfree(&g);
out:
	free(pat);
	free(clean);
	return r;
}

/* One line of a profile: "- ENTRY" or "- !ENTRY"; others are ignored. */
static int
profile_line(struct cust_ctx *ctx, const char *profile, unsigned line,
    char *s, const char *dir, struct names *l)
{
	struct names got = { 0 };
	char *e;
	bool ex;
	int r;

	if ((e = strchr(s, '#')) != NULL)	/* UAC drops '#' onwards */
		*e = '\0';
	s += strspn(s, " \t");
	for (e = s + strlen(s); e > s && strchr(" \t\r", e[-1]); e--)
		;
	*e = '\0';
	if (*s != '-')
		return CUST_OK;
	s++;
	s += strspn(s, " \t");
	if ((ex = *s == '!'))
		s++;
	if (*s == '\0')
		return CUST_OK;
	if ((r = entry(ctx, profile, line, dir, s, &got)) == CUST_OK) {
		if (ex)
			drop(l, &got);
		for (size_t i = 0; !ex && r == CUST_OK && i < got.n; i++)
			if (!has(l, got.v[i]))
				r = add(ctx, l, got.v[i]);
	}
	cust_names_free(got.v, got.n);
	return r;
}

int
cust_profile_files(struct cust_ctx *ctx, const char *profile,
    const char *artifacts_dir, char ***vp, size_t *np)
{
	struct names l = { 0 };
	char *text = NULL, *s, *nl;
	size_t len;
	unsigned line = 1;
	int r;

	*vp = NULL;
	*np = 0;
	if ((r = cust_read_file(ctx, profile, MAX_PROFILE, &text, &len)) !=
	    CUST_OK)
		return r;
	if (strlen(text) != len) {
		r = cust_set_error(ctx, 0, CUST_FAILED, "%s: holds a NUL "
		    "character", profile);
		goto out;
	}
	for (s = text; r == CUST_OK && s != NULL; s = nl, line++) {
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		r = profile_line(ctx, profile, line, s, artifacts_dir, &l);
	}
	if (r == CUST_OK && l.n == 0)
		r = cust_set_error(ctx, 0, CUST_FAILED, "%s: names no "
		    "artifact file", profile);
out:
	free(text);
	if (r != CUST_OK)
		cust_names_free(l.v, l.n);
	else {
		*vp = l.v;
		*np = l.n;
	}
	return r;
}
