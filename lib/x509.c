/*
 * x509.c: what cms.c and tsa.c share about X.509: the CA certificates an
 * investigator trusts, read once from a PEM file and turned into a fresh
 * OpenSSL store for every check (so that each check sets its own purpose
 * and time without touching the others), certificate names as one line of
 * text, and ASN.1 times as time_t and RFC 3339.  Certificates inside
 * tokens and signatures come from attackers: names are bounded and
 * printed through OpenSSL's escaping, never copied raw.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki.h"

#define CA_MAX_CERTS	256	/* certificates read from one CA file */
#define NAME_MAX_TEXT	512	/* longest name kept, in bytes */

struct cust_castore {
	STACK_OF(X509)	*certs;		/* owned, each owned */
};

void
cust_castore_free(struct cust_castore *s)
{
	if (s == NULL)
		return;
	sk_X509_pop_free(s->certs, X509_free);
	free(s);
}

/*
 * Push every certificate in the PEM text of BIO onto SK, at most MAX.
 * Returns the count read, or -1 (OpenSSL's error queue says why).
 */
int
cust_pem_certs(BIO *bio, STACK_OF(X509) *sk, int max)
{
	X509 *x;
	int n = 0;

	while (n <= max && (x = PEM_read_bio_X509(bio, NULL, cust_pem_nopass,
	    NULL)) != NULL) {
		if (n == max || !sk_X509_push(sk, x)) {
			X509_free(x);
			return -1;
		}
		n++;
	}
	/* The loop ends on "no start line" at the end of the text. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	return ERR_peek_error() != 0 ? -1 : n;
}

int
cust_castore_load(struct cust_ctx *ctx, const char *path,
    struct cust_castore **sp)
{
	struct cust_castore *s;
	BIO *bio = NULL;
	int n, r = CUST_OK;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->certs = sk_X509_new_null()) == NULL) {
		free(s);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", path);
	}
	ERR_clear_error();
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		r = cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
		goto out;
	}
	if ((n = cust_pem_certs(bio, s->certs, CA_MAX_CERTS)) < 0)
		r = cust_set_ssl_error(ctx, CUST_FAILED, "%s: not PEM "
		    "certificates (at most %d)", path, CA_MAX_CERTS);
	else if (n == 0)
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: no PEM certificate in it", path);
out:
	BIO_free(bio);
	if (r != CUST_OK)
		cust_castore_free(s);
	else
		*sp = s;
	return r;
}

const STACK_OF(X509) *
cust_castore_certs(const struct cust_castore *s)
{
	return s->certs;
}

X509_STORE *
cust_castore_store(struct cust_ctx *ctx, const struct cust_castore *s,
    int purpose, const time_t *at)
{
	X509_STORE *st;
	X509_VERIFY_PARAM *p;

	if ((st = X509_STORE_new()) == NULL)
		goto fail;
	for (int i = 0; i < sk_X509_num(s->certs); i++)
		if (X509_STORE_add_cert(st, sk_X509_value(s->certs, i)) != 1)
			goto fail;
	p = X509_STORE_get0_param(st);
	if (purpose != 0 && X509_VERIFY_PARAM_set_purpose(p, purpose) != 1)
		goto fail;
	if (at != NULL)
		X509_VERIFY_PARAM_set_time(p, *at);
	return st;
fail:
	X509_STORE_free(st);
	cust_set_ssl_error(ctx, CUST_FATAL, "certificate store");
	return NULL;
}

char *
cust_x509_name(const X509_NAME *name)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *bio;
	char *s = NULL, *p;
	long n;

	if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	/* RFC 2253 escaping keeps control bytes out; UTF-8 stays UTF-8. */
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0 &&
	    (n = BIO_get_mem_data(bio, &p)) >= 0) {
		if (n > NAME_MAX_TEXT)
			n = NAME_MAX_TEXT;
		s = strndup(p, (size_t)n);
	}
	BIO_free(bio);
	if (s != NULL && !cust_utf8_valid(s, strlen(s))) {
		free(s);
		s = strdup("(name not printable)");
	}
	return s;
}

char *
cust_x509_subject(const X509 *x)
{
	return cust_x509_name(X509_get_subject_name(x));
}

void
cust_ssl_reason(char *buf, size_t n)
{
	const char *data, *reason;
	unsigned long e, first = 0;
	char details[256] = "";
	int flags;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0)
		if (first == 0) {
			first = e;
			if ((flags & ERR_TXT_STRING) && data != NULL &&
			    *data != '\0')
				snprintf(details, sizeof(details), " (%s)",
				    data);
		}
	reason = first != 0 ? ERR_reason_error_string(first) : NULL;
	snprintf(buf, n, "%s%s", reason != NULL ? reason : "unknown error",
	    details);
}

int
cust_asn1_time(const ASN1_TIME *t, time_t *out, char text[CUST_TIMELEN])
{
	struct timespec ts;
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return -1;
	}
	ts.tv_sec = timegm(&tm);
	ts.tv_nsec = 0;
	*out = ts.tv_sec;
	if (text != NULL)
		cust_time_utc(&ts, text);
	return 0;
}
