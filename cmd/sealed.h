/*
 * sealed.h: confidential bundles for verify, extract and show (sealed.c):
 * --identity, and the envelope opened in front of the bundle reader.
 */
#ifndef CUSTODY_SEALED_H
#define CUSTODY_SEALED_H

#include <stdbool.h>

#include "custody.h"

#define SEALED_MAX_IDS	16

struct sealed {
	struct cust_identity *ids[SEALED_MAX_IDS];	/* owned: --identity */
	size_t		 nids;
	struct cust_unseal *u;		/* owned: the envelope being read */
	bool		 is_sealed;	/* the input is an envelope */
};

/* --identity PATH: EXIT_DONE or an exit code, said. */
int	sealed_identity(struct cust_ctx *, struct sealed *, const char *path);
/* When the bundle NAME on *FD is an envelope and keys were given, start
 * decrypting and make *FD its clear bytes (owned by S).  EXIT_DONE, or
 * an exit code, said (EXIT_BAD: not addressed to these keys). */
int	sealed_open(struct cust_ctx *, struct sealed *, int *fd,
	    const char *name);
/* After the clear bytes were read: EXIT_DONE when the envelope was whole
 * and authentic, else EXIT_BAD, said. */
int	sealed_end(struct cust_ctx *, struct sealed *);
void	sealed_close(struct sealed *);
/* verify without a key: the envelope's SHA-256 against BUNDLE.sha256 and
 * the custody log's event 0 (LOGFD, or -1), reported on stdout.
 * EXIT_UNVERIFIED (content not checked), EXIT_BAD or EXIT_FATAL. */
int	sealed_unchecked(struct cust_ctx *, int fd, const char *bundle,
	    int logfd, const char *logname);

#endif
