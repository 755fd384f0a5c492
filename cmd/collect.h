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
	char		*partial;	/* owned: PATH.partial, when the
					   filesystem has no O_TMPFILE */
	const char	*base;		/* borrowed: PATH's last component */
	int		 fd;
	int		 dirfd;
	bool		 unnamed;	/* fd is an O_TMPFILE, not yet named */
	bool		 published;	/* sealed, and named PATH */
	bool		 logged;	/* PATH.custody was written */
	bool		 zstd;
	FILE		*tty;		/* borrowed: where the summary goes */
};

/* Open the output for ARG (NULL: HOSTNAME-UTCTIME.tar; "-": standard
 * output): refused if ARG, ARG.sha256 or ARG.custody is there; unnamed
 * (O_TMPFILE) or ARG.partial until finish_output() names it ARG.  SEALED
 * (encrypted): the name ends in .p7m, added if need be.  EXIT_DONE or an
 * exit code, said. */
int	open_output(struct out *, const char *arg, bool zstd, bool sealed);
/* The bag's top directory: the evidence ID, or the output's base name
 * (owned); NULL when out of memory. */
char	*bag_name(const char *evidence, const char *path);
/* From now on SIGINT, SIGTERM and SIGHUP remove the partial bundle and
 * end custody, saying so; once the bundle is sealed and named they are
 * only noted, for signal_deferred(). */
void	catch_signals(void);
/* The signal that came after the bundle was sealed and named, or 0. */
int	signal_deferred(void);
/* The sealed bundle: make it durable, give it its name PATH (atomically,
 * never over a file) and write PATH.sha256 and PATH.custody beside it.
 * For standard output, only notes that the stream is whole.  EXIT_DONE,
 * or EXIT_FATAL (said); o->published says whether PATH was given. */
int	finish_output(struct out *, const struct cust_collect_result *);
/* Close the output; an unsealed one is removed (never PATH itself). */
void	close_output(struct out *);

/* --nice: lowest CPU priority and idle I/O class, in a scheduling group
 * of its own; what was done is set in CO for the record. */
void	be_nice(struct cust_collect_opts *co);

#endif
