/*
 * trust.h: who made a bundle and when: minisign keys and signatures
 * (Ed25519), X.509 signatures as CMS, RFC 3161 time-stamp tokens.  It may
 * use base/ and format/.  pki.h holds the OpenSSL-typed helpers that only
 * trust/ and its unit tests see.
 */
#ifndef CUSTODY_TRUST_H
#define CUSTODY_TRUST_H

#include "format/format.h"

/* ----------------------------------------------------------- minisign.c */

/* A pem_password_cb that refuses: no PEM reader ever asks for a password
 * on the terminal. */
int	cust_pem_nopass(char *buf, int size, int rwflag, void *arg);

#define CUST_ED25519_LEN 32	/* bytes in an Ed25519 public key */
#define CUST_PUBKEY_MAX	4096	/* largest public key text accepted */

/*
 * A public key from its raw parts: minisign's key ID, taken as given, and
 * the Ed25519 public key.  *keyp is owned by the caller (cust_key_free).
 */
int	cust_key_from_public_raw(struct cust_ctx *,
	    const unsigned char keyid[CUST_KEYID_LEN],
	    const unsigned char pk[CUST_ED25519_LEN], struct cust_key **keyp);
/* The raw Ed25519 public key, CUST_ED25519_LEN bytes (borrowed). */
const unsigned char *cust_key_public_raw(const struct cust_key *);
/* true when KEY can sign: made by cust_key_generate or loaded from a .key. */
bool	cust_key_has_secret(const struct cust_key *);

/* A parsed minisign signature file. */
struct cust_sig;

/*
 * Make a minisign signature file (4 lines, "\n" endings) over MSG with the
 * secret KEY: algorithm "ED" (Ed25519 over BLAKE2b-512 of MSG), the
 * untrusted comment UNTRUSTED and the trusted comment TRUSTED (each one
 * line: a "\n" or "\r" in either is CUST_FAILED; so are comments too long
 * for minisign or for cust_sig_parse).  *outp is owned by the caller
 * (free()), *lenp its length.
 */
int	cust_sig_make(struct cust_ctx *, const struct cust_key *key,
	    const void *msg, size_t len, const char *untrusted,
	    const char *trusted, char **outp, size_t *lenp);
/*
 * Parse signature file text (bounded: refuse > CUST_SIG_MAX bytes; precise
 * errors).  Accepts "\r\n" line ends and a missing final newline.  Accept
 * algorithm "ED" only; "Ed" (unhashed legacy) is refused with a clear
 * message.  *sigp is owned by the caller (cust_sig_free).
 */
int	cust_sig_parse(struct cust_ctx *, const void *text, size_t len,
	    struct cust_sig **sigp);
/* Free a signature.  NULL is a no-op. */
void	cust_sig_free(struct cust_sig *);
/* Key ID of the signing key, as 16 uppercase hex digits + NUL. */
void	cust_sig_key_id_hex(const struct cust_sig *,
	    char out[CUST_KEYID_HEXLEN + 1]);
/* The trusted comment text (borrowed). */
const char *cust_sig_trusted_comment(const struct cust_sig *);
/* true when KEY (public or secret) carries the signature's minisign key
 * ID (for custody's keys, their own ID). */
bool	cust_sig_key_matches(const struct cust_sig *, const struct cust_key *);
/*
 * Check SIG over MSG with KEY: key IDs equal, the Ed25519 signature over
 * BLAKE2b-512(MSG) valid, and the global signature over (signature bytes
 * || trusted comment) valid.  CUST_OK, or CUST_FAILED with a message that
 * says which of the three failed.
 */
int	cust_sig_verify(struct cust_ctx *, const struct cust_sig *,
	    const struct cust_key *key, const void *msg, size_t len);

/* --------------------------------------------------------- cms.c, tsa.c */

/*
 * A detached CMS SignedData (DER) over DATA by S: SHA-256 (SHA-384 for a
 * P-384 key), the certificate and its chain, signing time and
 * signingCertificateV2.  *derp is owned by the caller (free()).
 */
int	cust_cms_sign(struct cust_ctx *, const struct cust_signer *s,
	    const void *data, size_t len, unsigned char **derp, size_t *lenp);

/* What a checked CMS signature says. */
struct cust_cms_result {
	char		*subject;	/* owned: the signer's subject */
	time_t		 signing_time;	/* claimed by the signer */
	char		 signing_time_text[CUST_TIMELEN];
	time_t		 checked_at;	/* when the certificate was checked */
	bool		 at_token;	/* at a token's genTime, not the
					   present time */
	bool		 verified;	/* chain to the CA checked */
	bool		 revocation_checked; /* and against the policy's CRLs */
};

/* What a CMS signature is checked against; every pointer is borrowed. */
struct cust_cms_trust {
	const struct cust_castore *ca;	/* NULL: the signature alone */
	const struct cust_x509_policy *policy;	/* NULL: default usages */
	const time_t	*at;		/* genTime of a verified token over
					   the signature; NULL: now */
	long		 accuracy;	/* that token's, in seconds */
	time_t		 start;		/* the acquisition's start by the
					   host clock; -1: not known */
};

/*
 * Check the CMS signature DER (N bytes, at most CUST_P7S_MAX) over DATA:
 * one signer, detached, signingCertificateV2 present and matching, a
 * signingTime neither before T->start nor after T->at, the signature
 * valid, the signer's key usage digitalSignature or nonRepudiation.  With
 * T->ca, also the chain to it at *T->at or, when NULL, at the present
 * time (never at the signing time, which the signer claims), against the
 * policy's CRLs, and the signer fit for evidence (cust_x509_fit); then
 * res->verified.  CUST_OK, or CUST_FAILED with "SUBJECT: reason".
 * Release RES with cust_cms_result_fini (also after a failure).
 */
int	cust_cms_check(struct cust_ctx *, const char *subject, const void *der,
	    size_t n, const void *data, size_t len,
	    const struct cust_cms_trust *t, struct cust_cms_result *res);
void	cust_cms_result_fini(struct cust_cms_result *);

/*
 * Ask the TSA at URL (http:// only) for a token over DATA: a SHA-256
 * imprint, a random 64-bit nonce, certReq.  TIMEOUT seconds (0:
 * CUST_TSA_TIMEOUT) for the connection and again for the exchange.  The
 * answer must be granted, for our imprint and our nonce; *derp (owned,
 * free()) is then the whole DER TimeStampResp.  CUST_FAILED with
 * "URL: reason" when the TSA cannot be reached or refuses, CUST_FATAL when
 * out of memory.
 */
int	cust_tsa_request(struct cust_ctx *, const char *url, int timeout,
	    const void *data, size_t len, unsigned char **derp, size_t *lenp);

/* What a checked token says. */
struct cust_tsa_token {
	time_t		 gen_time;
	char		 gen_time_text[CUST_TIMELEN];
	long		 accuracy;	/* seconds, rounded up; 0: none */
	char		*tsa;		/* owned: TSA certificate subject (or
					   its tsa name), or NULL */
	bool		 verified;	/* signature and chain checked */
};

/*
 * Check the DER TimeStampResp (N bytes, at most CUST_TSR_MAX, nothing
 * after it) against DATA, the file it must cover: status granted, a
 * SHA-256 imprint of DATA.  With CA, also at genTime: the TSA
 * certificate's extended key usage critical and timeStamping alone, its
 * chain to CA, the signature and ESS certificate binding; then
 * t->verified.  CUST_OK, or CUST_FAILED with "SUBJECT: reason".  Release T
 * with cust_tsa_token_fini.
 */
int	cust_tsa_check(struct cust_ctx *, const char *subject, const void *der,
	    size_t n, const void *data, size_t len,
	    const struct cust_castore *ca, struct cust_tsa_token *t);
void	cust_tsa_token_fini(struct cust_tsa_token *);


/* ----------------------------------------------------------- envelope.c */

/* Takes N bytes at BUF, in order: 0, or an errno that stops the writer. */
typedef int (*cust_out_fn)(void *arg, const void *buf, size_t n);

/* A byte stream encrypted, as it is written, into a CMS AuthEnvelopedData
 * (AES-256-GCM) to every recipient, handed in order to FN (with ARG) on a
 * thread of the envelope's own, a few buffers of ciphertext behind.  One
 * thread at a time may call the functions below. */
struct cust_envelope;

/* The header, with every recipient's wrapped key, is the first thing
 * handed to FN. */
int	cust_envelope_new(struct cust_ctx *, const struct cust_recipients *,
	    cust_out_fn fn, void *arg, struct cust_envelope **);
/* Encrypt N bytes: 0, or an errno (FN's, or EIO), which may be that of
 * an earlier write, since FN runs behind. */
int	cust_envelope_write(struct cust_envelope *, const void *buf,
	    size_t n);
/* Wait until FN has had every byte encrypted so far (not the piece that
 * OpenSSL's cipher still holds): 0, or FN's first errno.  Writing may go
 * on after it. */
int	cust_envelope_sync(struct cust_envelope *);
/* FN's first errno so far, or 0, without waiting. */
int	cust_envelope_error(struct cust_envelope *);
/* The last piece, the tag and the end, handed to FN, and the thread
 * stopped: 0, or an errno.  Nothing can be written after it. */
int	cust_envelope_end(struct cust_envelope *);
/* Stop the thread without handing on what is queued, and free.  NULL is
 * a no-op. */
void	cust_envelope_free(struct cust_envelope *);

#endif /* CUSTODY_TRUST_H */
