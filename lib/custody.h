/*
 * custody.h: the public interface of libcustody, the library behind the
 * custody(1) evidence collector and verifier.  It is the only header that
 * cmd/ includes.  The library never prints, never exits and never reads the
 * environment: every function reports failure through its return value and a
 * message kept on a struct cust_ctx.
 */
#ifndef CUSTODY_H
#define CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return values of every int-returning function. */
enum cust_status {
	CUST_OK = 0,		/* done */
	CUST_WARN = -20,	/* done, but with a caveat (file changed) */
	CUST_FAILED = -25,	/* this item failed; the caller may carry on */
	CUST_FATAL = -30,	/* the context is unusable; stop */
};

/* ---------------------------------------------------------------- ctx */

struct cust_ctx;

/*
 * Make an error context.  Returns CUST_OK and stores it in *ctxp, or
 * CUST_FATAL when out of memory (*ctxp is then NULL).
 */
int	cust_ctx_new(struct cust_ctx **ctxp);
/* Free a context.  NULL is a no-op. */
void	cust_ctx_free(struct cust_ctx *);
/*
 * The last error message, "subject: reason" (lowercase, no newline), or ""
 * when none was set.  Borrowed: valid until the next call on the context.
 */
const char *cust_ctx_error(const struct cust_ctx *);
/* The errno captured with the last error, or 0. */
int	cust_ctx_errno(const struct cust_ctx *);
/* Forget the last error. */
void	cust_ctx_clear(struct cust_ctx *);

/* ------------------------------------------------------------ digests */

/* Hash algorithms, as bits of a mask.  SHA-256 is always computed. */
enum cust_alg {
	CUST_ALG_SHA256 = 1u << 0,
	CUST_ALG_SHA512 = 1u << 1,
	CUST_ALG_SHA1 = 1u << 2,
	CUST_ALG_MD5 = 1u << 3,
};
#define CUST_ALG_ALL	0xfu
#define CUST_NALG	4

/*
 * Parse a comma-separated list of algorithm names ("sha256,md5") and OR
 * their bits into *mask.  Unknown or empty names are CUST_FAILED with a
 * message naming the word.
 */
int	cust_alg_parse(struct cust_ctx *, const char *list, unsigned *mask);
/* "sha256" etc. for one bit, NULL for anything else. */
const char *cust_alg_name(unsigned alg);

/* --------------------------------------------------------------- keys */

struct cust_key;

/* Length of a key ID in bytes and of its printed form (hex, no NUL). */
#define CUST_KEYID_LEN	8
#define CUST_KEYID_HEXLEN 16

/* Make a fresh Ed25519 key pair in memory. */
int	cust_key_generate(struct cust_ctx *, struct cust_key **keyp);
/*
 * Write PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (minisign public
 * key format).  Refuses (CUST_FAILED, EEXIST) when either file exists, and
 * leaves neither behind on failure.  The key must hold a secret part.
 */
int	cust_key_save(struct cust_ctx *, const struct cust_key *,
	    const char *prefix);
/*
 * Read a secret key file written by cust_key_save.  The file's bytes are
 * wiped from memory after parsing.
 */
int	cust_key_load_secret(struct cust_ctx *, const char *path,
	    struct cust_key **keyp);
/* Read a minisign-format public key file. */
int	cust_key_load_public(struct cust_ctx *, const char *path,
	    struct cust_key **keyp);
/* Parse minisign public key text (the file's contents, or its base64 line). */
int	cust_key_parse_public(struct cust_ctx *, const char *text, size_t len,
	    struct cust_key **keyp);
/* Free a key, wiping secret material.  NULL is a no-op. */
void	cust_key_free(struct cust_key *);
/* The key ID as minisign prints it: 16 uppercase hex digits and a NUL. */
void	cust_key_id_hex(const struct cust_key *,
	    char out[CUST_KEYID_HEXLEN + 1]);
/*
 * The public key as minisign file text ("untrusted comment: ...\n<b64>\n").
 * Owned by the caller (free()).  NULL when out of memory.
 */
char	*cust_key_public_text(const struct cust_ctx *, const struct cust_key *);
/* The base64 line of the public key alone.  Owned by the caller. */
char	*cust_key_public_b64(const struct cust_key *);

/* ---------------------------------------------------------- manifests */

struct cust_manifest;

/*
 * Load a collection manifest (UAC-compatible YAML, see custody-manifest(5))
 * from a file or from memory.  NAME is used in messages ("NAME:LINE:
 * reason").  Malformed YAML, unknown fields and bad values are CUST_FAILED.
 */
int	cust_manifest_load_file(struct cust_ctx *, const char *path,
	    struct cust_manifest **mp);
int	cust_manifest_load_buffer(struct cust_ctx *, const char *name,
	    const void *buf, size_t len, struct cust_manifest **mp);
/* Free a manifest.  NULL is a no-op. */
void	cust_manifest_free(struct cust_manifest *);
/* The name it was loaded under, and the SHA-256 (hex) of its bytes. */
const char *cust_manifest_name(const struct cust_manifest *);
const char *cust_manifest_sha256(const struct cust_manifest *);
/* Number of artefacts, and the description of artefact I. */
size_t	cust_manifest_count(const struct cust_manifest *);
const char *cust_manifest_description(const struct cust_manifest *, size_t i);

/* The built-in default manifest (manifests/linux-triage.yaml). */
extern const char cust_default_manifest_name[];
extern const unsigned char cust_default_manifest[];
extern const size_t cust_default_manifest_len;

#endif /* CUSTODY_H */
