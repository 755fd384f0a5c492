/*
 * sidecar.h: a bundle's custody log beside it, BUNDLE.custody, as
 * `custody timestamp`, `transfer` and `log` use it (sidecar.c), and the
 * options of timestamp and transfer that say who acts.
 */
#ifndef CUSTODY_SIDECAR_H
#define CUSTODY_SIDECAR_H

#include <getopt.h>
#include <stdbool.h>

#include "custody.h"

/* A bundle's custody log, opened to append. */
struct sidecar {
	char		*name;		/* owned: BUNDLE.custody or --log */
	int		 fd;
	bool		 created;	/* made now: removed unless written */
	bool		 empty;		/* no event yet */
};

/* Options that describe who acts, shared by timestamp and transfer. */
enum { ACTOR_ROLE = 0x300, ACTOR_ORGANISATION, ACTOR_CONTACT,
    ACTOR_LOCATION, ACTOR_REASON, ACTOR_LOG };

#define ACTOR_LONGOPTS \
	{ "role", required_argument, NULL, ACTOR_ROLE }, \
	{ "organisation", required_argument, NULL, ACTOR_ORGANISATION }, \
	{ "contact", required_argument, NULL, ACTOR_CONTACT }, \
	{ "location", required_argument, NULL, ACTOR_LOCATION }, \
	{ "reason", required_argument, NULL, ACTOR_REASON }, \
	{ "log", required_argument, NULL, ACTOR_LOG }

/* BUNDLE.custody, or LOG when given (owned); NULL for "-" without LOG. */
char	*sidecar_name(const char *bundle, const char *log);
/* Open (or make) the custody log of BUNDLE to append to. */
int	sidecar_open(struct sidecar *, const char *bundle, const char *log);
/* Close it; a log made now and not WROTE to is removed. */
void	sidecar_close(struct sidecar *, bool wrote);
/* Read BUNDLE ("-": standard input) for its custody log's binding. */
int	sidecar_bundle(struct cust_ctx *, const char *bundle,
	    struct cust_bundle_ref *);
/* Set the field of an ACTOR_* option in EV; -1 for another option. */
int	actor_option(struct cust_event *ev, int ch, const char *arg);
/* Print the log's name, its last event and its new HEAD. */
int	sidecar_done(struct cust_ctx *, const struct sidecar *,
	    const char *head);

#endif
