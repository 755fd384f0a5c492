/*
 * cms.c: X.509 signatures for organisations with a PKI.  The collector
 * signs the tag manifest with a certificate's key as a detached CMS
 * SignedData (DER) carrying the certificate and its chain, the signing
 * time and signingCertificateV2 (CAdES-BES), so that `openssl cms -verify`
 * checks it unaided.  Only keys that CMS in OpenSSL 3.0 signs with and that
 * are strong today are taken: ECDSA on P-256 or P-384, RSA of 3072 bits or
 * more.  The verifier checks such a signature against the investigator's CA
 * at a time it can trust (a verified token's genTime, or else the present
 * time; never the signing time, which the signer claims), against the CRLs
 * it is given, with the signer's key usage and the policy for evidence
 * (x509.c).  The signing time must fall between the acquisition's start
 * and that token.  A .p7s comes from an attacker: it is bounded and must be
 * exactly one DER object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "trust/pki.h"

#define CHAIN_MAX	16		/* certificates in CERT.pem */
#define KEY_FILE_MAX	(64 * 1024)
#define CERT_FILE_MAX	(1024 * 1024)
#define RSA_MIN_BITS	3072

struct cust_signer {
	X509		*cert;		/* owned: the signer */
	STACK_OF(X509)	*chain;		/* owned: the rest of CERT.pem */
	EVP_PKEY	*key;		/* owned */
	const EVP_MD	*md;		/* borrowed: SHA-256 or SHA-384 */
	char		*subject;	/* owned */
};

/* ------------------------------------------------------------- loading */

void
cust_signer_free(struct cust_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	EVP_PKEY_free(s->key);
	free(s->subject);
	free(s);
}

static int
load_certs(struct cust_ctx *ctx, const char *path, struct cust_signer *s)
{
	BIO *bio;
	int n, r;

	ERR_clear_error();
	if ((r = cust_pki_read(ctx, path, CERT_FILE_MAX, false, &bio)) !=
	    CUST_OK)
		return r;
	n = cust_pem_certs(bio, s->chain, CHAIN_MAX);
	BIO_free(bio);
	if (n < 0)
		return cust_set_ssl_error(ctx, CUST_FAILED, "%s: not PEM "
		    "certificates (at most %d)", path, CHAIN_MAX);
	if (n == 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: no PEM certificate in it", path);
	s->cert = sk_X509_shift(s->chain);
	if ((s->subject = cust_x509_subject(s->cert)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", path);
	return CUST_OK;
}

/* ECDSA P-256 or P-384, or RSA of 3072 bits or more; nothing else. */
static int
usable(struct cust_ctx *ctx, const char *path, struct cust_signer *s)
{
	char group[64] = "";

	if (EVP_PKEY_is_a(s->key, "EC")) {
		EVP_PKEY_get_utf8_string_param(s->key,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL);
		if (strcmp(group, "prime256v1") == 0)
			s->md = EVP_sha256();
		else if (strcmp(group, "secp384r1") == 0)
			s->md = EVP_sha384();
		else
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: ECDSA "
			    "on %s is not accepted: use P-256 or P-384", path,
			    *group ? group : "an unknown curve");
	} else if (EVP_PKEY_is_a(s->key, "RSA")) {
		if (EVP_PKEY_get_bits(s->key) < RSA_MIN_BITS)
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: a "
			    "%d-bit RSA key is too weak: use %d bits or more",
			    path, EVP_PKEY_get_bits(s->key), RSA_MIN_BITS);
		s->md = EVP_sha256();
	} else if (EVP_PKEY_is_a(s->key, "ED25519"))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: Ed25519 is "
		    "not usable in CMS with OpenSSL 3.0: use an ECDSA P-256 or "
		    "P-384, or an RSA (3072 bits or more) certificate", path);
	else
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: a %s key is "
		    "not accepted: use ECDSA P-256 or P-384, or RSA", path,
		    EVP_PKEY_get0_type_name(s->key));
	ERR_clear_error();
	return CUST_OK;
}

static int
load_key(struct cust_ctx *ctx, const char *path, struct cust_signer *s)
{
	BIO *bio;
	int r;

	if ((r = cust_pki_read(ctx, path, KEY_FILE_MAX, true, &bio)) !=
	    CUST_OK)
		return r;
	s->key = PEM_read_bio_PrivateKey_ex(bio, NULL, cust_pem_nopass, NULL, NULL,
	    NULL);
	BIO_free(bio);
	if (s->key == NULL) {
		ERR_clear_error();
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not an "
		    "unencrypted PEM private key", path);
	}
	return usable(ctx, path, s);
}

/* The certificate must be the key's and allow signing. */
static int
matches(struct cust_ctx *ctx, const char *cert, const char *key,
    struct cust_signer *s)
{
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not the "
		    "private key of %s", key, cert);
	}
	if (!(X509_get_key_usage(s->cert) & (KU_DIGITAL_SIGNATURE |
	    KU_NON_REPUDIATION)))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: its key usage "
		    "allows neither digitalSignature nor nonRepudiation", cert);
	return CUST_OK;
}

int
cust_signer_load(struct cust_ctx *ctx, const char *cert, const char *key,
    struct cust_signer **sp)
{
	struct cust_signer *s;
	int r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->chain = sk_X509_new_null()) == NULL) {
		free(s);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", cert);
	}
	if ((r = load_certs(ctx, cert, s)) != CUST_OK ||
	    (r = load_key(ctx, key, s)) != CUST_OK ||
	    (r = matches(ctx, cert, key, s)) != CUST_OK) {
		cust_signer_free(s);
		return r;
	}
	*sp = s;
	return CUST_OK;
}

const char *
cust_signer_subject(const struct cust_signer *s)
{
	return s->subject;
}

/* ------------------------------------------------------------- signing */

static int
to_der(struct cust_ctx *ctx, CMS_ContentInfo *cms, unsigned char **derp,
    size_t *lenp)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		return cust_set_ssl_error(ctx, CUST_FATAL, "cms");
	if ((*derp = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "cms");
	}
	memcpy(*derp, der, (size_t)n);
	OPENSSL_free(der);
	*lenp = (size_t)n;
	return CUST_OK;
}

int
cust_cms_sign(struct cust_ctx *ctx, const struct cust_signer *s,
    const void *data, size_t len, unsigned char **derp, size_t *lenp)
{
	unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL;
	int r = CUST_FATAL;

	*derp = NULL;
	*lenp = 0;
	ERR_clear_error();
	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags | CMS_PARTIAL)) ==
	    NULL)
		goto out;
	/* CMS_CADES adds signingCertificateV2; signing time comes with the
	 * signature. */
	if (CMS_add1_signer(cms, s->cert, s->key, s->md, flags | CMS_CADES) ==
	    NULL)
		goto out;
	for (int i = 0; i < sk_X509_num(s->chain); i++)
		if (CMS_add1_cert(cms, sk_X509_value(s->chain, i)) != 1)
			goto out;
	if (CMS_final(cms, in, NULL, flags) != 1)
		goto out;
	r = to_der(ctx, cms, derp, lenp);
out:
	if (r == CUST_FATAL && *derp == NULL)
		r = cust_set_ssl_error(ctx, CUST_FATAL, "cms signature");
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return r;
}

/* -------------------------------------------------------- verification */

void
cust_cms_result_fini(struct cust_cms_result *res)
{
	free(res->subject);
	res->subject = NULL;
}

static CMS_ContentInfo *
parse(struct cust_ctx *ctx, const char *subject, const unsigned char *der,
    size_t n)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;

	if (n > CUST_P7S_MAX) {
		cust_set_error(ctx, 0, CUST_FAILED, "%s: larger than %d bytes",
		    subject, CUST_P7S_MAX);
		return NULL;
	}
	ERR_clear_error();
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)n)) == NULL) {
		cust_set_ssl_error(ctx, CUST_FAILED, "%s: not a DER CMS "
		    "object", subject);
		return NULL;
	}
	if (p != der + n) {
		CMS_ContentInfo_free(cms);
		cust_set_error(ctx, 0, CUST_FAILED, "%s: data after the CMS "
		    "object", subject);
		return NULL;
	}
	return cms;
}

/* One signer, detached content, and the attributes CAdES-BES needs. */
static int
shape(struct cust_ctx *ctx, const char *subject, CMS_ContentInfo *cms,
    CMS_SignerInfo **sip)
{
	STACK_OF(CMS_SignerInfo) *sis;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not a CMS "
		    "SignedData", subject);
	if (sk_CMS_SignerInfo_num(sis) != 1)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: %d signers; "
		    "one was expected", subject, sk_CMS_SignerInfo_num(sis));
	if (CMS_get0_content(cms) != NULL && *CMS_get0_content(cms) != NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not a "
		    "detached signature", subject);
	*sip = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_signed_get_attr_by_NID(*sip,
	    NID_id_smime_aa_signingCertificateV2, -1) < 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: no "
		    "signingCertificateV2 attribute (not CAdES-BES)", subject);
	return CUST_OK;
}

/* The signing time the signer claims, or -1. */
static time_t
signing_time(CMS_SignerInfo *si, char text[CUST_TIMELEN])
{
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	int i;
	time_t when;

	text[0] = '\0';
	if ((i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime,
	    -1)) < 0 || (a = CMS_signed_get_attr(si, i)) == NULL ||
	    X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
	    (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME) ||
	    cust_asn1_time(t->value.asn1_string, &when, text) != 0)
		return -1;
	return when;
}

/* Verify the signature and, with a store, the chain and ESS binding. */
static int
cms_verify(struct cust_ctx *ctx, const char *subject, CMS_ContentInfo *cms,
    X509_STORE *st, const void *data, size_t len)
{
	unsigned int flags = CMS_BINARY;
	char why[512];
	BIO *in, *buf;
	int ok;

	/*
	 * CMS_verify copies a memory BIO and, in OpenSSL 3.0, leaks the copy
	 * when a hostile signature makes CMS_dataInit fail with CMS_BINARY
	 * (openssl/openssl#30471, found by tests/fuzz cms): a buffer BIO in
	 * front is taken as it is.
	 */
	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (buf = BIO_new(BIO_f_buffer())) == NULL) {
		BIO_free(in);
		return cust_set_ssl_error(ctx, CUST_FATAL, "%s", subject);
	}
	BIO_push(buf, in);
	/* CAdES checks the ESS binding along the chain: only with a CA. */
	flags |= st != NULL ? CMS_CADES : CMS_NO_SIGNER_CERT_VERIFY;
	ERR_clear_error();
	ok = CMS_verify(cms, NULL, st, buf, NULL, flags);
	BIO_free_all(buf);
	if (ok == 1)
		return CUST_OK;
	cust_ssl_reason(why, sizeof(why));
	return cust_set_error(ctx, 0, CUST_FAILED, "%s: %s", subject, why);
}

/* digitalSignature or nonRepudiation (no keyUsage allows both). */
static int
usage_ok(struct cust_ctx *ctx, const char *subject, X509 *x)
{
	if (X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))
		return CUST_OK;
	return cust_set_error(ctx, 0, CUST_FAILED, "%s: the signer's key "
	    "usage allows neither digitalSignature nor nonRepudiation",
	    subject);
}

/* The store for CA and the policy's CRLs at time AT, or NULL. */
static X509_STORE *
store(struct cust_ctx *ctx, const struct cust_cms_trust *t, time_t at)
{
	X509_STORE *st;

	if ((st = cust_castore_store(ctx, t->ca, X509_PURPOSE_ANY, &at)) ==
	    NULL)
		return NULL;
	if (cust_x509_policy_store(ctx, t->policy, st) != CUST_OK) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static int
checked(struct cust_ctx *ctx, const char *subject, CMS_ContentInfo *cms,
    const struct cust_cms_trust *t, const void *data, size_t len,
    struct cust_cms_result *res)
{
	STACK_OF(X509) *signers;
	X509_STORE *st = NULL;
	X509 *x;
	int r;

	if (t->ca != NULL && (st = store(ctx, t, res->checked_at)) == NULL)
		return CUST_FATAL;
	r = cms_verify(ctx, subject, cms, st, data, len);
	X509_STORE_free(st);
	if (r != CUST_OK)
		return r;
	signers = CMS_get0_signers(cms);
	x = sk_X509_value(signers, 0);
	sk_X509_free(signers);
	if (x == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the signer's "
		    "certificate is not in the signature", subject);
	if ((res->subject = cust_x509_subject(x)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", subject);
	if ((r = usage_ok(ctx, subject, x)) != CUST_OK || t->ca == NULL)
		return r;
	if ((r = cust_x509_fit(ctx, subject, t->policy, x)) == CUST_OK) {
		res->verified = true;
		res->revocation_checked = cust_x509_policy_revokes(t->policy);
	}
	return r;
}

/*
 * The signing time, which only the signer vouches for, must fall within
 * what the verifier knows: not before the acquisition began, nor after a
 * token over the signature was made (genTime is truncated to its second,
 * and is good to its accuracy).
 */
static int
when(struct cust_ctx *ctx, const char *subject, const struct cust_cms_trust *t,
    const struct cust_cms_result *res)
{
	char text[CUST_TIMELEN];
	struct timespec ts = { 0 };

	if (res->signing_time == -1)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: no signingTime "
		    "attribute", subject);
	if (t->start != -1 && res->signing_time < t->start) {
		ts.tv_sec = t->start;
		cust_time_utc(&ts, text);
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: signingTime %s "
		    "is before the acquisition's start (%s, acquisition.json)",
		    subject, res->signing_time_text, text);
	}
	if (t->at != NULL && res->signing_time > *t->at + 1 + t->accuracy) {
		ts.tv_sec = *t->at;
		cust_time_utc(&ts, text);
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: signingTime %s "
		    "is after the genTime of the token over the signature (%s)",
		    subject, res->signing_time_text, text);
	}
	return CUST_OK;
}

int
cust_cms_check(struct cust_ctx *ctx, const char *subject, const void *der,
    size_t n, const void *data, size_t len, const struct cust_cms_trust *t,
    struct cust_cms_result *res)
{
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	if ((cms = parse(ctx, subject, der, n)) == NULL)
		return CUST_FAILED;
	if ((r = shape(ctx, subject, cms, &si)) != CUST_OK)
		goto out;
	res->signing_time = signing_time(si, res->signing_time_text);
	if ((r = when(ctx, subject, t, res)) != CUST_OK)
		goto out;
	res->at_token = t->at != NULL;
	res->checked_at = t->at != NULL ? *t->at : time(NULL);
	r = checked(ctx, subject, cms, t, data, len, res);
out:
	CMS_ContentInfo_free(cms);
	if (r != CUST_OK)
		cust_cms_result_fini(res);
	return r;
}
