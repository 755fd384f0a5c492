/*
 * verify.h: the verifier's state, shared by verify.c (the streaming pass)
 * and bagcheck.c (the checks made once the stream has ended).
 */
#ifndef CUSTODY_VERIFY_H
#define CUSTODY_VERIFY_H

#include <openssl/evp.h>

#include "private.h"

/* The members of a bag, in the order they must come (see bag.c). */
enum stage {
	S_BAGIT, S_ALGS, S_DATA, S_ACQ, S_FILES, S_BODY, S_CUSTODY, S_MAN,
	S_BAGINFO, S_TAGMAN, S_SIG, S_END,
};

/* Checks in the order of custody(1); a finding names its check. */
#define C_ARCHIVE	"archive"
#define C_STRUCTURE	"structure"
#define C_SIGNATURE	"signature"
#define C_TAGMAN	"tag manifest"
#define C_COMPLETE	"completeness"
#define C_VALID		"validity"
#define C_META		"metadata"

#define F_FILES		0x10	/* item flag: claimed by a files.jsonl line */
#define F_BAD		0x20	/* item flag: a digest mismatched */

struct item {
	const char	*rel;		/* "data/...", in the arena */
	uint64_t	 size;
	uint8_t		 flags;		/* bit i: listed in manifest i; F_* */
};

struct held {
	char		*p;		/* owned */
	size_t		 n;
};

struct tagsum {
	const char	*name;		/* static member name */
	char		 sha512[129];
	bool		 listed;
};

struct ver {
	struct cust_ctx	*ctx;			/* borrowed */
	const struct cust_verify_opts *o;	/* borrowed */
	struct cust_report *rep;		/* borrowed */
	struct cust_reader *rd;			/* owned */
	enum stage	 stage;
	bool		 stop;			/* a structural failure */
	/* algorithms of the payload manifests, in order */
	unsigned	 alg[CUST_NALG];
	size_t		 nalg, curalg, dsize;
	struct cust_digest *dig;		/* owned */
	EVP_MD_CTX	*tagmd;			/* owned: SHA-512 of tags */
	/* payload files, their digests, and an index by name */
	struct item	*items;			/* owned */
	unsigned char	*digs;			/* owned: dsize per item */
	size_t		 nitems, itemcap;
	uint32_t	*slots;			/* owned: index + 1 */
	size_t		 slotcap;
	uint64_t	 k0, k1;
	char		**arena;		/* owned blocks */
	size_t		 narena, arenaused;
	/* tag files */
	struct tagsum	 tags[16];
	size_t		 ntags;
	struct held	 bagit, algs, acq, custody, baginfo, tagman, sig;
	/* line-by-line members */
	char		*line;			/* owned */
	size_t		 linelen, linemax;
	uint64_t	 lineno;
	size_t		 lastidx;		/* item of the last manifest line */
	bool		 order_reported;
};

/* Record a finding; CUST_FATAL when out of memory. */
#define FIND(v, check, subj, ...) \
	cust_report_add((v)->rep, (check), (subj), __VA_ARGS__)

/* The item named REL, or NULL. */
struct item *ver_lookup(struct ver *, const char *rel, size_t n);
/* The digest of item I for the manifest at position K. */
const unsigned char *ver_digest(const struct ver *, size_t i, size_t k);
/* The member expected now, or NULL after the signature. */
const char *ver_wanted(const struct ver *);
/* Checks made after the stream ended (bagcheck.c). */
int	ver_finish(struct ver *);

#endif
