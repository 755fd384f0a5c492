/*
 * private.h: declarations shared by the objects of libcustody and its unit
 * tests, never by cmd/.
 */
#ifndef CUSTODY_PRIVATE_H
#define CUSTODY_PRIVATE_H

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custody.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------- error.c */

/*
 * Record "<fmt>: strerror(err)" (or just "<fmt>" when err is 0) on the
 * context and return status, so that failure sites can `return` it.
 */
int	cust_set_error(struct cust_ctx *, int err, int status,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * Record "<fmt>: <OpenSSL reason>" from the OpenSSL error queue and empty the
 * queue.
 */
int	cust_set_ssl_error(struct cust_ctx *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Wipe N bytes in a way the compiler may not drop. */
void	cust_wipe(void *, size_t n);

/* ------------------------------------------------------------- digest.c */

#define CUST_MAX_DIGEST	64	/* SHA-512 */

size_t	cust_alg_size(unsigned alg);
/* The algorithm bit named NAME ("sha256"), or 0. */
unsigned cust_alg_lookup(const char *name);

/* Several hash algorithms over one stream. */
struct cust_digest;

int	cust_digest_new(struct cust_ctx *, unsigned mask, struct cust_digest **);
void	cust_digest_free(struct cust_digest *);
/* Start again with empty state (after cust_digest_final). */
int	cust_digest_reset(struct cust_digest *);
int	cust_digest_update(struct cust_digest *, const void *, size_t);
/* Finish; afterwards cust_digest_hex() gives each algorithm's result. */
int	cust_digest_final(struct cust_digest *);
/* Lowercase hex of the final digest of ALG, or NULL when not computed. */
const char *cust_digest_hex(const struct cust_digest *, unsigned alg);
/* Raw bytes of the final digest of ALG, or NULL. */
const unsigned char *cust_digest_raw(const struct cust_digest *, unsigned alg);

/* One-shot helpers. */
void	cust_hex(const unsigned char *, size_t, char *out);	/* 2n+1 */
int	cust_sha256_hex(struct cust_ctx *, const void *, size_t,
	    char out[65]);

/* ----------------------------------------------------------- manifest.c */

/* What an artefact asks for, by UAC's `collector` field. */
enum cust_collector {
	CUST_COLLECTOR_FILE,	/* record and store contents */
	CUST_COLLECTOR_HASH,	/* record and hash, do not store */
	CUST_COLLECTOR_STAT,	/* record metadata only */
	CUST_COLLECTOR_FIND,	/* record metadata only */
	CUST_COLLECTOR_COMMAND,	/* never run; reported as skipped */
};

/* UAC `file_type` letters as bits; 0 means any type. */
enum {
	CUST_FT_FILE = 1u << 0,		/* f */
	CUST_FT_DIR = 1u << 1,		/* d */
	CUST_FT_LINK = 1u << 2,		/* l */
	CUST_FT_FIFO = 1u << 3,		/* p */
	CUST_FT_SOCK = 1u << 4,		/* s */
	CUST_FT_BLOCK = 1u << 5,	/* b */
	CUST_FT_CHAR = 1u << 6,		/* c */
};

struct cust_strv {
	char	**v;		/* owned, each owned */
	size_t	  n;
};

/* One artefact of a manifest, with UAC's fields. */
struct cust_rule {
	const struct cust_manifest *manifest;	/* borrowed: the owner */
	unsigned	 line;		/* line of the artefact in the file */
	char		*description;	/* owned; "" when absent */
	enum cust_collector collector;
	struct cust_strv paths;		/* `path` split on blanks */
	struct cust_strv name_patterns;
	struct cust_strv path_patterns;
	struct cust_strv exclude_path_patterns;
	struct cust_strv exclude_name_patterns;
	struct cust_strv exclude_file_systems;
	int		 max_depth;	/* -1: unlimited */
	unsigned	 file_types;	/* CUST_FT_* bits; 0: any */
	int64_t		 min_size;	/* -1: no bound */
	int64_t		 max_size;	/* -1: no bound */
	bool		 ignore_date_range;
	bool		 exclude_nologin_users;
	char		*skip;		/* owned: why it is not run, or NULL */
};

/* Artefact I of M (I < cust_manifest_count(M)). */
const struct cust_rule *cust_manifest_rule(const struct cust_manifest *,
	    size_t i);

#endif /* CUSTODY_PRIVATE_H */
