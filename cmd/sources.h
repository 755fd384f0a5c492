/*
 * sources.h: the manifests named by -m and --profile (sources.c), shared
 * by collect and manifests.
 */
#ifndef CUSTODY_CMD_SOURCES_H
#define CUSTODY_CMD_SOURCES_H

#include "custody.h"

/* Manifests loaded in the order named. */
struct sources {
	struct cust_manifest **m;	/* owned, each owned */
	size_t		 n, cap;
};

/* A profile custody builds in: NAME, what it is, and how it adds its
 * manifests (EXIT_DONE, or an exit code after a message). */
struct profile {
	const char	*name;
	const char	*about;
	int		(*add)(struct cust_ctx *, struct sources *);
};

/* The table of built-in profiles; a NULL name ends it. */
extern const struct profile profiles[];

/* -m ARG: an installed manifest's name, a file, or every *.yaml below a
 * directory.  EXIT_DONE, or an exit code after a message. */
int	sources_add_manifest(struct cust_ctx *, struct sources *,
	    const char *arg);
/* --profile NAME|FILE. */
int	sources_add_profile(struct cust_ctx *, struct sources *,
	    const char *arg);
void	sources_free(struct sources *);

#endif
