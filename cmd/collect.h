/*
 * collect.h: what `custody collect` (collect.c) shares with the two
 * pieces it runs: the output file's lifecycle and the signals that end
 * it (output.c), and --nice (nice.c).
 */
#ifndef CUSTODY_COLLECT_H
#define CUSTODY_COLLECT_H

#include <stdbool.h>
#include <stdio.h>

#include "custody.h"

/* The bundle being written: a file of ours, or standard output. */
struct out {
	char		*path;		/* owned; NULL for stdout */
	char		*sidecar;	/* owned: PATH.sha256 */
	char		*logname;	/* owned: PATH.custody, its custody log */
	const char	*base;		/* borrowed: PATH's last component */
	int		 fd;
	int		 dirfd;
	bool		 created;	/* we made PATH: ours to remove */
	bool		 logged;	/* PATH.custody was written */
	bool		 zstd;
	FILE		*tty;		/* borrowed: where the summary goes */
};

/* Make ARG (NULL: HOSTNAME-UTCTIME.tar; "-": standard output), new, and
 * arm its removal on a signal: EXIT_DONE or an exit code, said.  SEALED
 * (encrypted): the name ends in .p7m, added if need be. */
int	open_output(struct out *, const char *arg, bool zstd, bool sealed);
/* The bag's top directory: the evidence ID, or the output's base name
 * (owned); NULL when out of memory. */
char	*bag_name(const char *evidence, const char *path);
/* From now on SIGINT, SIGTERM and SIGHUP remove the partial bundle and
 * end custody. */
void	catch_signals(void);
/* Make the bundle durable; write PATH.sha256 and PATH.custody beside
 * it.  EXIT_DONE, or EXIT_FATAL (said): the bundle is not whole. */
int	finish_output(struct out *, const struct cust_collect_result *);
/* Close the output; remove it unless KEEP. */
void	close_output(struct out *, bool keep);

/* --nice: lowest CPU priority and idle I/O class, in a scheduling group
 * of its own; what was done is set in CO for the record. */
void	be_nice(struct cust_collect_opts *co);

#endif
