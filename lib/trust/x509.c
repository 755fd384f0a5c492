/*
 * x509.c: what cms.c and tsa.c share about X.509: the CA certificates an
 * investigator trusts, read once from a PEM file and turned into a fresh
 * OpenSSL store for every check (so that each check sets its own purpose
 * and time without touching the others), what a signer of evidence must be
 * beyond its chain (the policy: extended key usages, not a CA, the CRLs),
 * certificate names as one line of text, and ASN.1 times as time_t and
 * RFC 3339.  Certificates inside tokens and signatures come from
 * attackers: names are bounded and printed through OpenSSL's escaping,
 * never copied raw.  Files named by options are opened without blocking,
 * must be regular and are bounded, so that a FIFO cannot hang a check.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "trust/pki.h"

#define CA_MAX_CERTS	256	/* certificates read from one CA file */
#define CA_FILE_MAX	(4 * 1024 * 1024)
#define CRL_FILE_MAX	(32 * 1024 * 1024)
#define CRL_MAX		256	/* CRLs in one policy */
#define NAME_MAX_TEXT	512	/* longest name kept, in bytes */
#define EKU_MAX		32	/* --x509-eku given */
#define OID_TEXT	64	/* longest dotted OID kept */
#define EKU_SHOWN	8	/* a certificate's EKUs named in a message */

/* RFC 9336; OpenSSL 3.0 has no name for it. */
#define OID_DOCSIGN	"1.3.6.1.5.5.7.3.36"
#define OID_EMAIL	"1.3.6.1.5.5.7.3.4"

struct cust_castore {
	STACK_OF(X509)	*certs;		/* owned, each owned */
};

struct cust_x509_policy {
	char		 eku[EKU_MAX][OID_TEXT];	/* dotted OIDs */
	size_t		 neku;		/* 0: the default set */
	STACK_OF(X509_CRL) *crls;	/* owned, each owned */
};

/* ------------------------------------------------------------ files */

int
cust_pki_read(struct cust_ctx *ctx, const char *path, size_t max,
    bool secret, BIO **biop)
{
	char *buf;
	size_t len;
	int r;

	*biop = NULL;
	if ((r = cust_read_file(ctx, path, max, &buf, &len)) != CUST_OK)
		return r;
	/* A BIO of its own, so that the bytes are gone when this returns. */
	if ((*biop = BIO_new(secret ? BIO_s_secmem() : BIO_s_mem())) == NULL ||
	    BIO_write(*biop, buf, (int)len) != (int)len) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "%s", path);
		BIO_free(*biop);
		*biop = NULL;
	}
	cust_wipe(buf, len);
	free(buf);
	return r;
}

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
	if ((r = cust_pki_read(ctx, path, CA_FILE_MAX, false, &bio)) !=
	    CUST_OK)
		goto out;
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

/* ------------------------------------------------------------- policy */

int
cust_x509_policy_new(struct cust_ctx *ctx, struct cust_x509_policy **pp)
{
	if ((*pp = calloc(1, sizeof(**pp))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "X.509 policy");
	return CUST_OK;
}

void
cust_x509_policy_free(struct cust_x509_policy *p)
{
	if (p == NULL)
		return;
	sk_X509_CRL_pop_free(p->crls, X509_CRL_free);
	free(p);
}

int
cust_x509_policy_eku(struct cust_ctx *ctx, struct cust_x509_policy *p,
    const char *oid)
{
	ASN1_OBJECT *o;
	int n;

	if (p->neku == EKU_MAX)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: at most %d "
		    "extended key usages", oid, EKU_MAX);
	/*
	 * Dotted numbers only (a name would depend on OpenSSL's table), and
	 * written as OpenSSL writes them back: no empty arc, no leading zero.
	 */
	if (strspn(oid, "0123456789.") != strlen(oid) || strlen(oid) >=
	    OID_TEXT || (o = OBJ_txt2obj(oid, 1)) == NULL) {
		ERR_clear_error();
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not an object "
		    "identifier in dotted numbers (1.3.6.1.5.5.7.3.36)", oid);
	}
	n = OBJ_obj2txt(p->eku[p->neku], OID_TEXT, o, 1);
	ASN1_OBJECT_free(o);
	if (n <= 0 || n >= OID_TEXT || strcmp(p->eku[p->neku], oid) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not an object "
		    "identifier in dotted numbers (1.3.6.1.5.5.7.3.36)", oid);
	p->neku++;
	return CUST_OK;
}

/* The CRLs of the PEM text in BIO, or of the DER in it; their count. */
static int
crls_read(BIO *bio, STACK_OF(X509_CRL) *sk)
{
	const unsigned char *q;
	X509_CRL *c;
	char *p;
	long n = BIO_get_mem_data(bio, &p);
	int k = 0;

	/* DER: a SEQUENCE of a long-form length, which no PEM text starts
	 * with. */
	q = (const unsigned char *)p;
	if (n >= 2 && q[0] == 0x30 && q[1] >= 0x81) {

		if ((c = d2i_X509_CRL(NULL, &q, n)) == NULL)
			return -1;
		if (q != (const unsigned char *)p + n ||
		    sk_X509_CRL_num(sk) >= CRL_MAX || !sk_X509_CRL_push(sk, c)) {
			X509_CRL_free(c);
			return -1;
		}
		return 1;
	}
	while ((c = PEM_read_bio_X509_CRL(bio, NULL, cust_pem_nopass, NULL)) !=
	    NULL) {
		if (sk_X509_CRL_num(sk) >= CRL_MAX || !sk_X509_CRL_push(sk, c)) {
			X509_CRL_free(c);
			return -1;
		}
		k++;
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	return ERR_peek_error() != 0 ? -1 : k;
}

int
cust_x509_policy_crl(struct cust_ctx *ctx, struct cust_x509_policy *p,
    const char *path)
{
	BIO *bio = NULL;
	int n, r;

	ERR_clear_error();
	if (p->crls == NULL && (p->crls = sk_X509_CRL_new_null()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", path);
	if ((r = cust_pki_read(ctx, path, CRL_FILE_MAX, false, &bio)) !=
	    CUST_OK)
		return r;
	if ((n = crls_read(bio, p->crls)) < 0)
		r = cust_set_ssl_error(ctx, CUST_FAILED, "%s: not CRLs in PEM "
		    "or one in DER (at most %d in all)", path, CRL_MAX);
	else if (n == 0)
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: no PEM CRL in it", path);
	BIO_free(bio);
	return r;
}

bool
cust_x509_policy_revokes(const struct cust_x509_policy *p)
{
	return p != NULL && sk_X509_CRL_num(p->crls) > 0;
}

int
cust_x509_policy_store(struct cust_ctx *ctx, const struct cust_x509_policy *p,
    X509_STORE *st)
{
	unsigned long flags = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;

	if (!cust_x509_policy_revokes(p))
		return CUST_OK;
	for (int i = 0; i < sk_X509_CRL_num(p->crls); i++)
		if (X509_STORE_add_crl(st, sk_X509_CRL_value(p->crls, i)) != 1)
			return cust_set_ssl_error(ctx, CUST_FATAL, "CRL store");
	if (X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(st), flags) != 1)
		return cust_set_ssl_error(ctx, CUST_FATAL, "CRL store");
	return CUST_OK;
}

/* The allowed OID number I of P, or NULL past the last. */
static const char *
allowed(const struct cust_x509_policy *p, size_t i)
{
	static const char *const dflt[] = { OID_DOCSIGN, OID_EMAIL };

	if (p != NULL && p->neku > 0)
		return i < p->neku ? p->eku[i] : NULL;
	return i < sizeof(dflt) / sizeof(dflt[0]) ? dflt[i] : NULL;
}

/* A dotted OID's name, when custody or OpenSSL knows one, or NULL. */
static const char *
oid_name(const char *oid)
{
	ASN1_OBJECT *o;
	int nid;

	if (strcmp(oid, OID_DOCSIGN) == 0)
		return "documentSigning";
	if ((o = OBJ_txt2obj(oid, 1)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	nid = OBJ_obj2nid(o);
	ASN1_OBJECT_free(o);
	return nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
}

/* "name (oid) or name (oid)": the usages P allows, into BUF. */
static void
allowed_text(const struct cust_x509_policy *p, char *buf, size_t n)
{
	const char *oid, *name;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; (oid = allowed(p, i)) != NULL && len < n; i++) {
		name = oid_name(oid);
		len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s%s",
		    i > 0 ? " or " : "", name != NULL ? name : "",
		    name != NULL ? " (" : "", oid, name != NULL ? ")" : "");
	}
}

/* "serverAuth, 1.2.3.4": the usages of EKU, into BUF. */
static void
usages_text(const EXTENDED_KEY_USAGE *eku, char *buf, size_t n)
{
	char oid[OID_TEXT];
	const char *name;
	size_t len = 0;
	int k = sk_ASN1_OBJECT_num(eku);

	buf[0] = '\0';
	for (int i = 0; i < k && i < EKU_SHOWN && len < n; i++) {
		if (OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i),
		    1) <= 0)
			snprintf(oid, sizeof(oid), "?");
		name = oid_name(oid);
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
		    i > 0 ? ", " : "", name != NULL ? name : oid);
	}
	if (k > EKU_SHOWN && len < n)
		snprintf(buf + len, n - len, " and %d more", k - EKU_SHOWN);
}

/* Whether EKU holds one of the usages P allows. */
static bool
eku_allows(const struct cust_x509_policy *p, const EXTENDED_KEY_USAGE *eku)
{
	char oid[OID_TEXT];
	const char *a;

	int n;

	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		n = OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i),
		    1);
		if (n <= 0 || n >= OID_TEXT)
			continue;
		for (size_t j = 0; (a = allowed(p, j)) != NULL; j++)
			if (strcmp(oid, a) == 0)
				return true;
	}
	return false;
}

int
cust_x509_fit(struct cust_ctx *ctx, const char *subject,
    const struct cust_x509_policy *p, X509 *x)
{
	char want[512], have[512];
	EXTENDED_KEY_USAGE *eku;
	int crit = -1, r = CUST_OK;

	if (X509_check_ca(x) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the signer's "
		    "certificate is a CA certificate (basicConstraints CA:TRUE "
		    "or keyCertSign): a CA may not sign evidence", subject);
	allowed_text(p, want, sizeof(want));
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	ERR_clear_error();
	if (eku == NULL && crit == -1)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the signer's "
		    "certificate has no extended key usage; evidence needs one "
		    "that allows document signing: %s (--x509-eku)", subject,
		    want);
	if (eku == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the signer's "
		    "extended key usage cannot be read", subject);
	if (!eku_allows(p, eku)) {
		usages_text(eku, have, sizeof(have));
		r = cust_set_error(ctx, 0, CUST_FAILED, "%s: the signer's "
		    "extended key usage (%s) does not allow document signing: "
		    "%s is needed (--x509-eku)", subject, have, want);
	}
	EXTENDED_KEY_USAGE_free(eku);
	return r;
}
