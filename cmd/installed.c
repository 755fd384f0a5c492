/*
 * installed.c: the manifests that `meson install` put in
 * CUSTODY_MANIFEST_DIR, a path compiled in (meson.build), each known by its
 * file name without ".yaml".  A name without a slash that one of them bears
 * means that one, so that a file planted in the current directory cannot
 * stand in for it; anything else is a path.  A build that is not installed
 * has none.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

#define SUFFIX	".yaml"
#define NSUFFIX	(sizeof(SUFFIX) - 1)

char *
installed_manifest(const char *name)
{
	struct stat st;
	char *path;

	if (*name == '\0' || strchr(name, '/') != NULL) {
		errno = ENOENT;
		return NULL;
	}
	if (asprintf(&path, "%s/%s%s", CUSTODY_MANIFEST_DIR, name, SUFFIX) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	/* Never a FIFO: loading one would wait for a writer. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return path;
	free(path);
	errno = ENOENT;
	return NULL;
}

const char *
manifest_file(const char *arg, char **owned)
{
	*owned = installed_manifest(arg);
	if (*owned != NULL)
		return *owned;
	return errno == ENOMEM ? NULL : arg;
}

/* "NAME.yaml", not hidden. */
static int
is_manifest(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > NSUFFIX &&
	    strcmp(d->d_name + n - NSUFFIX, SUFFIX) == 0;
}

/* Byte order, the same in every locale. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
installed_manifests(char ***namesp, size_t *np)
{
	struct dirent **d = NULL;
	char **names = NULL;
	int n, i, rc = 0;

	*namesp = NULL;
	*np = 0;
	if ((n = scandir(CUSTODY_MANIFEST_DIR, &d, is_manifest, by_name)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (n > 0 && (names = calloc((size_t)n, sizeof(*names))) == NULL)
		rc = -1;
	for (i = 0; i < n; i++) {
		/* the entry's name, its ".yaml" cut off */
		if (rc == 0 && (names[i] = strndup(d[i]->d_name,
		    strlen(d[i]->d_name) - NSUFFIX)) == NULL)
			rc = -1;
		free(d[i]);
	}
	free(d);
	if (rc == 0) {
		*namesp = names;
		*np = (size_t)n;
	} else {
		installed_free(names, (size_t)n);
		errno = ENOMEM;
	}
	return rc;
}

void
installed_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
