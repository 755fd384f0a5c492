/*
 * pki.h: the OpenSSL-typed helpers of x509.c, shared by cms.c, tsa.c and
 * their unit tests; the rest of libcustody sees only trust.h.
 */
#ifndef CUSTODY_PKI_H
#define CUSTODY_PKI_H

#include <openssl/x509.h>

#include "trust/trust.h"

/*
 * Push the certificates of the PEM text in BIO onto SK (which owns them
 * then), at most MAX.  The count read, or -1 when the text is not PEM
 * certificates or holds more than MAX (OpenSSL's error queue says why).
 */
int	cust_pem_certs(BIO *bio, STACK_OF(X509) *sk, int max);
/* The CA certificates of a store (borrowed). */
const STACK_OF(X509) *cust_castore_certs(const struct cust_castore *);
/*
 * A new X509_STORE (owned by the caller) trusting S's certificates, for
 * PURPOSE (X509_PURPOSE_*, 0: OpenSSL's default for the caller) at time
 * AT (NULL: now).  NULL with the error set when out of memory.
 */
X509_STORE *cust_castore_store(struct cust_ctx *, const struct cust_castore *s,
	    int purpose, const time_t *at);
/*
 * Read PATH, a regular file of at most MAX bytes, into *BIOP (owned by the
 * caller; in memory that OpenSSL wipes when SECRET).  It is opened without
 * blocking, so that a FIFO is refused, not waited on.
 */
int	cust_pki_read(struct cust_ctx *, const char *path, size_t max,
	    bool secret, BIO **biop);
/* P holds CRLs (NULL: none). */
bool	cust_x509_policy_revokes(const struct cust_x509_policy *p);
/* Add P's CRLs to ST and make it check every certificate of a chain
 * against them (nothing without CRLs).  CUST_FATAL when out of memory. */
int	cust_x509_policy_store(struct cust_ctx *,
	    const struct cust_x509_policy *p, X509_STORE *st);
/*
 * Whether X may sign evidence under P (NULL: the default usages): not a
 * CA, and an extended key usage that P allows.  CUST_FAILED with
 * "SUBJECT: reason".
 */
int	cust_x509_fit(struct cust_ctx *, const char *subject,
	    const struct cust_x509_policy *p, X509 *x);
/* A name as one line of RFC 2253 text, bounded and UTF-8 (owned), or NULL
 * when out of memory. */
char	*cust_x509_name(const X509_NAME *);
char	*cust_x509_subject(const X509 *);
/*
 * The first error in OpenSSL's queue, which names the cause, as "reason"
 * or "reason (details)" in BUF; the queue is emptied.
 */
void	cust_ssl_reason(char *buf, size_t n);
/* T as seconds since the epoch and, when TEXT is not NULL, RFC 3339 UTC.
 * -1 when T is missing or not a time. */
int	cust_asn1_time(const ASN1_TIME *t, time_t *out,
	    char text[CUST_TIMELEN]);

#endif
