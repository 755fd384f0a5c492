/*
 * testpki.h: a test PKI made in memory for the unit tests of cms.c, tsa.c
 * and timestamps.c: keys, certificates with chosen extensions and validity,
 * PEM files in a scratch directory, and RFC 3161 tokens made by OpenSSL's
 * own TSA code (TS_RESP_CTX) at a chosen genTime.  Nothing is committed:
 * every key is made when a test runs.  Failures abort the test through
 * Check's assertions.
 */
#ifndef TESTPKI_H
#define TESTPKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline EVP_PKEY *
tk_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	ck_assert_ptr_nonnull(k);
	return k;
}

static inline EVP_PKEY *
tk_rsa(size_t bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);

	ck_assert_ptr_nonnull(k);
	return k;
}

static inline EVP_PKEY *
tk_ed25519(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	ck_assert_ptr_nonnull(k);
	return k;
}

/* Extensions as "name=value" ("keyUsage=critical,digitalSignature"). */
static inline void
tk_ext(X509 *x, X509 *issuer, const char *spec)
{
	char name[64];
	const char *eq = strchr(spec, '=');
	X509_EXTENSION *e;
	X509V3_CTX v3;

	ck_assert_ptr_nonnull(eq);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf(NULL, &v3, name, eq + 1);
	ck_assert_msg(e != NULL, "extension %s", spec);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for KEY named CN (and O, when not NULL), issued by ISSUER
 * with IKEY (both NULL: self-signed), valid from NOW+FROM to NOW+TO
 * seconds, with serial SERIAL and the NULL-terminated extensions EXTS.
 */
static inline X509 *
tk_cert(const char *cn, const char *o, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, long from, long to, long serial,
    const char *const *exts)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	if (o != NULL)
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "O",
		    MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), from));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), to));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	for (size_t i = 0; exts != NULL && exts[i] != NULL; i++)
		tk_ext(x, issuer != NULL ? issuer : x, exts[i]);
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

__attribute__((unused)) static const char *const tk_ca_exts[] = {
	"basicConstraints=critical,CA:TRUE",
	"keyUsage=critical,keyCertSign,cRLSign",
	"subjectKeyIdentifier=hash", NULL,
};
__attribute__((unused)) static const char *const tk_tsa_exts[] = {
	"basicConstraints=critical,CA:FALSE",
	"keyUsage=critical,digitalSignature",
	"extendedKeyUsage=critical,timeStamping", NULL,
};
/* documentSigning (RFC 9336), which evidence signers need by default. */
__attribute__((unused)) static const char *const tk_signer_exts[] = {
	"basicConstraints=critical,CA:FALSE",
	"keyUsage=critical,digitalSignature,nonRepudiation",
	"extendedKeyUsage=1.3.6.1.5.5.7.3.36", NULL,
};

/* A file DIR/NAME holding the certificates and the key given (PEM). */
static inline char *
tk_pem(const char *dir, const char *name, X509 *const *certs, size_t n,
    EVP_PKEY *key)
{
	char *path;
	FILE *f;

	ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(PEM_write_X509(f, certs[i]), 1);
	if (key != NULL)
		ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0,
		    NULL, NULL), 1);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* A CA store of the one certificate ROOT, through the file DIR/NAME. */
static inline struct cust_castore *
tk_store(struct cust_ctx *ctx, const char *dir, X509 *root, const char *name)
{
	struct cust_castore *s;
	char *path = tk_pem(dir, name, &root, 1, NULL);

	ck_assert_msg(cust_castore_load(ctx, path, &s) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	free(path);
	return s;
}

static inline int
tk_time_cb(TS_RESP_CTX *rc, void *arg, long *sec, long *usec)
{
	(void)rc;
	*sec = (long)*(const time_t *)arg;
	*usec = 0;
	return 1;
}

/* The DER of a TimeStampReq over DATA, with NONCE (0: none). */
static inline BIO *
tk_request(const void *data, size_t len, long nonce)
{
	unsigned char md[32];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *ni = ASN1_INTEGER_new();
	BIO *b = BIO_new(BIO_s_mem());

	ck_assert_int_eq(EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL),
	    1);
	X509_ALGOR_set_md(alg, EVP_sha256());
	ck_assert_int_eq(TS_MSG_IMPRINT_set_algo(mi, alg), 1);
	ck_assert_int_eq(TS_MSG_IMPRINT_set_msg(mi, md, 32), 1);
	ck_assert_int_eq(TS_REQ_set_version(req, 1), 1);
	ck_assert_int_eq(TS_REQ_set_msg_imprint(req, mi), 1);
	ck_assert_int_eq(TS_REQ_set_cert_req(req, 1), 1);
	if (nonce != 0) {
		ck_assert_int_eq(ASN1_INTEGER_set(ni, nonce), 1);
		ck_assert_int_eq(TS_REQ_set_nonce(req, ni), 1);
	}
	ck_assert_int_eq(i2d_TS_REQ_bio(b, req), 1);
	ASN1_INTEGER_free(ni);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return b;
}

/* The answer of a TSA (CERT, KEY) at GEN to the request in REQ: DER. */
static inline unsigned char *
tk_answer(X509 *cert, EVP_PKEY *key, BIO *req, time_t gen, size_t *np)
{
	TS_RESP_CTX *rc = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	unsigned char *der = NULL, *copy;
	TS_RESP *resp;
	int n;

	ck_assert_ptr_nonnull(rc);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_cert(rc, cert), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_key(rc, key), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_digest(rc, EVP_sha256()), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_ess_cert_id_digest(rc,
	    EVP_sha256()), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_def_policy(rc, policy), 1);
	ck_assert_int_eq(TS_RESP_CTX_add_md(rc, EVP_sha256()), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_accuracy(rc, 1, 0, 0), 1);
	TS_RESP_CTX_set_time_cb(rc, tk_time_cb, &gen);
	ck_assert_ptr_nonnull(resp = TS_RESP_create_response(rc, req));
	ck_assert_int_gt(n = i2d_TS_RESP(resp, &der), 0);
	ck_assert_ptr_nonnull(copy = malloc((size_t)n));
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	TS_RESP_free(resp);
	ASN1_OBJECT_free(policy);
	TS_RESP_CTX_free(rc);
	*np = (size_t)n;
	return copy;
}

/* A token over DATA by the TSA (CERT, KEY) with genTime GEN. */
static inline unsigned char *
tk_token(X509 *cert, EVP_PKEY *key, const void *data, size_t len,
    time_t gen, size_t *np)
{
	BIO *req = tk_request(data, len, 4242);
	unsigned char *der = tk_answer(cert, key, req, gen, np);

	BIO_free(req);
	return der;
}

#endif
