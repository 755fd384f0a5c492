/*
 * pki.h: the OpenSSL-typed helpers of x509.c, shared by cms.c, tsa.c and
 * their unit tests; the rest of libcustody sees only private.h.
 */
#ifndef CUSTODY_PKI_H
#define CUSTODY_PKI_H

#include <openssl/x509.h>

#include "private.h"

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
