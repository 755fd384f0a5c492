/*
 * progress.h: the progress line of collect and verify (progress.c), on
 * standard error when it is a terminal, redrawn at most ten times a
 * second; never in a pipe or a file, nor with --quiet.
 */
#ifndef CUSTODY_PROGRESS_H
#define CUSTODY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "custody.h"

struct progress {
	bool		 on;		/* drawing: a terminal, not --quiet */
	bool		 drawn;		/* a line is on the screen */
	const char	*files;		/* "files" or "members" */
	struct timespec	 start, last;
};

/* Draw from now on when standard error is a terminal and not QUIET. */
void	progress_start(struct progress *, bool quiet, const char *files);
/* A cust_progress_fn: ARG is the struct progress. */
void	progress_update(void *arg, uint64_t files, uint64_t bytes,
	    const char *current);
/* Erase the line, before other text on standard error, or at the end. */
void	progress_clear(struct progress *);

#endif
