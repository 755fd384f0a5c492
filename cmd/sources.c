/*
 * sources.c: the manifests a command line names, for collect and
 * manifests: `-m ARG` (an installed manifest's name, a file, or a
 * directory of them) and `--profile NAME|FILE`.  A profile NAME is looked
 * up first in the table below (profiles custody builds in), then among
 * the UAC profiles installed in CUSTODY_MANIFEST_DIR/uac/profiles by
 * their `name:`; anything else is a UAC profile file, whose artifacts
 * directory is the `artifacts` beside its `profiles` directory, as in
 * UAC's own tree.  There is no fixed cap on the number of manifests.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "sources.h"

#define UAC_DIR		CUSTODY_MANIFEST_DIR "/uac"

static int
push(struct sources *s, struct cust_manifest *m)
{
	struct cust_manifest **v;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		if ((v = realloc(s->m, s->cap * sizeof(*v))) == NULL) {
			cust_manifest_free(m);
			warnmsg("out of memory");
			return EXIT_FATAL;
		}
		s->m = v;
	}
	s->m[s->n++] = m;
	return EXIT_DONE;
}

static int
load_file(struct cust_ctx *ctx, struct sources *s, const char *file)
{
	struct cust_manifest *m;
	int r;

	if ((r = cust_manifest_load_file(ctx, file, &m)) != CUST_OK) {
		warnctx(ctx);
		return r == CUST_FATAL ? EXIT_FATAL : EXIT_USAGE;
	}
	return push(s, m);
}

/* Every file of V (freed here), loaded in order. */
static int
load_all(struct cust_ctx *ctx, struct sources *s, char **v, size_t n)
{
	int rc = EXIT_DONE;

	for (size_t i = 0; rc == EXIT_DONE && i < n; i++)
		rc = load_file(ctx, s, v[i]);
	cust_names_free(v, n);
	return rc;
}

int
sources_add_manifest(struct cust_ctx *ctx, struct sources *s,
    const char *arg)
{
	const char *file;
	char *owned, **v;
	size_t n;
	int r, rc;

	if ((file = manifest_file(arg, &owned)) == NULL) {
		warnmsg("%s: %s", arg, strerror(errno));
		return EXIT_FATAL;
	}
	r = cust_manifest_files(ctx, file, &v, &n);
	free(owned);
	if (r != CUST_OK) {
		warnctx(ctx);
		return r == CUST_FATAL ? EXIT_FATAL : EXIT_USAGE;
	}
	rc = load_all(ctx, s, v, n);
	return rc;
}

static int
add_default(struct cust_ctx *ctx, struct sources *s)
{
	struct cust_manifest *m;

	if (cust_manifest_load_buffer(ctx, cust_default_manifest_name,
	    cust_default_manifest, cust_default_manifest_len, &m) != CUST_OK)
		return warnctx(ctx), EXIT_FATAL;
	return push(s, m);
}

/* Profiles custody builds in; one more is one more row. */
/* The live state alone: no manifest (collect takes it first, and only
 * it, when this profile is named). */
static int
add_live(struct cust_ctx *ctx, struct sources *s)
{
	(void)ctx;
	(void)s;
	return EXIT_DONE;
}

const struct profile profiles[] = {
	{ "default", "the built-in linux-triage manifest", add_default },
	{ "live", "the live state alone: processes, their executables, "
	    "sockets, the kernel; no files", add_live },
	/* The name of old, when the sweeps of / were not in the default. */
	{ "triage", "the same as default (it takes the sweeps of /)",
	    add_default },
	{ NULL, NULL, NULL },
};

/* A UAC profile file: its entries resolve in ../artifacts beside it. */
static int
uac_profile(struct cust_ctx *ctx, struct sources *s, const char *file)
{
	char *copy, *dir, *arts = NULL, **v;
	size_t n;
	int r;

	if ((copy = strdup(file)) == NULL ||
	    asprintf(&arts, "%s/../artifacts", dirname(dir = copy)) < 0) {
		free(copy);
		warnmsg("out of memory");
		return EXIT_FATAL;
	}
	r = cust_profile_files(ctx, file, arts, &v, &n);
	free(arts);
	free(copy);
	if (r != CUST_OK) {
		warnctx(ctx);
		return r == CUST_FATAL ? EXIT_FATAL : EXIT_USAGE;
	}
	return load_all(ctx, s, v, n);
}

/* UAC_DIR/profiles/NAME.yaml when it is there, else NULL. */
static char *
installed_profile(const char *name)
{
	struct stat st;
	char *path;

	if (strchr(name, '/') != NULL || *name == '.' ||
	    asprintf(&path, "%s/profiles/%s.yaml", UAC_DIR, name) < 0)
		return NULL;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return path;
	free(path);
	return NULL;
}

int
sources_add_profile(struct cust_ctx *ctx, struct sources *s,
    const char *arg)
{
	struct stat st;
	char *path;
	int rc;

	for (const struct profile *p = profiles; p->name != NULL; p++)
		if (strcmp(p->name, arg) == 0)
			return p->add(ctx, s);
	if ((path = installed_profile(arg)) != NULL) {
		rc = uac_profile(ctx, s, path);
		free(path);
		return rc;
	}
	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode))
		return uac_profile(ctx, s, arg);
	fflush(stdout);
	fputs("custody: --profile: ", stderr);
	safe_fputs(arg, stderr);
	fputs(": not a profile name (", stderr);
	for (const struct profile *p = profiles; p->name != NULL; p++)
		fprintf(stderr, "%s%s", p == profiles ? "" : ", ", p->name);
	fputs(", or a UAC profile in " UAC_DIR "/profiles) nor a profile "
	    "file\n", stderr);
	return EXIT_USAGE;
}

void
sources_free(struct sources *s)
{
	for (size_t i = 0; i < s->n; i++)
		cust_manifest_free(s->m[i]);
	free(s->m);
	memset(s, 0, sizeof(*s));
}
