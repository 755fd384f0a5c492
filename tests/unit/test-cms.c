/*
 * test-cms.c: X.509 signatures (cms.c).  Keys and certificates are made
 * per test by a test CA; signers are loaded from PEM files as collect loads
 * them, signatures made and checked against that CA and another, at the
 * present time or at a token's genTime, under the policy for evidence
 * (extended key usages, no CA, CRLs), and in hostile shapes.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/cms.h>

#include "trust/pki.h"
#include "testpki.h"
#include "harness.h"

static const char tm[] = "0123abcd  bagit.txt\n";

static struct cust_ctx *ctx;
static EVP_PKEY *cakey, *key;
static X509 *cacert, *cert;
static struct cust_castore *ca, *otherca;

static void
setup(void)
{
	EVP_PKEY *ok;
	X509 *oc;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	cakey = tk_ec("P-256");
	cacert = tk_cert("Lab Root", NULL, cakey, NULL, NULL, -86400 * 30,
	    86400 * 30, 1, tk_ca_exts);
	key = tk_ec("P-256");
	cert = tk_cert("A. Investigator", "Lab", key, cacert, cakey, -86400,
	    86400 * 30, 2, tk_signer_exts);
	ca = tk_store(ctx, scratch, cacert, "ca.pem");
	ok = tk_ec("P-256");
	oc = tk_cert("Other Root", NULL, ok, NULL, NULL, -86400, 86400, 1,
	    tk_ca_exts);
	otherca = tk_store(ctx, scratch, oc, "other.pem");
	X509_free(oc);
	EVP_PKEY_free(ok);
}

static void
teardown(void)
{
	cust_castore_free(ca);
	cust_castore_free(otherca);
	X509_free(cacert);
	X509_free(cert);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	cust_ctx_free(ctx);
	scratch_remove();
}

/* Load a signer from CERTS (written first to last) and K; its status. */
static int
load(X509 *const *certs, size_t n, EVP_PKEY *k, struct cust_signer **sp)
{
	char *cp = tk_pem(scratch, "cert.pem", certs, n, NULL);
	char *kp = tk_pem(scratch, "key.pem", NULL, 0, k);
	int r = cust_signer_load(ctx, cp, kp, sp);

	free(cp);
	free(kp);
	return r;
}

static void
refused(X509 *c, EVP_PKEY *k, const char *want)
{
	struct cust_signer *s;

	ck_assert_int_eq(load(&c, 1, k, &s), CUST_FAILED);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(cust_ctx_error(ctx), want) != NULL,
	    "got \"%s\", want \"%s\"", cust_ctx_error(ctx), want);
}

/* Sign TM with C and K; the DER. */
static unsigned char *
sign(X509 *c, EVP_PKEY *k, size_t *np)
{
	struct cust_signer *s;
	unsigned char *der;

	ck_assert_msg(load(&c, 1, k, &s) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert_msg(cust_cms_sign(ctx, s, tm, strlen(tm), &der, np) ==
	    CUST_OK, "%s", cust_ctx_error(ctx));
	cust_signer_free(s);
	return der;
}

/* What the verifier checks against: CA, and a token's genTime AT. */
static struct cust_cms_trust
trust(const struct cust_castore *s, const time_t *at)
{
	struct cust_cms_trust t = { .ca = s, .at = at, .start = -1 };

	return t;
}

static void
fails_with(const unsigned char *der, size_t n, const char *data,
    const struct cust_cms_trust *t, const char *want)
{
	struct cust_cms_result res;

	ck_assert_int_eq(cust_cms_check(ctx, "sig", der, n, data,
	    strlen(data), t, &res), CUST_FAILED);
	ck_assert_ptr_null(res.subject);
	ck_assert_msg(strstr(cust_ctx_error(ctx), want) != NULL,
	    "got \"%s\", want \"%s\"", cust_ctx_error(ctx), want);
}

static void
fails(const unsigned char *der, size_t n, const char *data,
    const struct cust_castore *s, const time_t *at, const char *want)
{
	struct cust_cms_trust t = trust(s, at);

	fails_with(der, n, data, &t, want);
}

/* Checked against T, the signature verifies; its result. */
static struct cust_cms_result
passes_with(const unsigned char *der, size_t n, const struct cust_cms_trust *t)
{
	struct cust_cms_result res;

	ck_assert_msg(cust_cms_check(ctx, "sig", der, n, tm, strlen(tm), t,
	    &res) == CUST_OK, "%s", cust_ctx_error(ctx));
	return res;
}

START_TEST(a_signature_verifies_against_its_ca)
{
	struct cust_cms_result res;
	unsigned char *der;
	time_t t0 = time(NULL);
	size_t n;

	struct cust_cms_trust t = trust(ca, NULL);

	der = sign(cert, key, &n);
	res = passes_with(der, n, &t);
	ck_assert(res.verified);
	ck_assert(!res.at_token);
	ck_assert(!res.revocation_checked);
	ck_assert_str_eq(res.subject, "CN=A. Investigator,O=Lab");
	ck_assert_int_ge(res.signing_time, t0 - 1);
	ck_assert_int_le(res.signing_time, time(NULL) + 1);
	/* At the present time, not at the time the signer claims. */
	ck_assert_int_ge(res.checked_at, t0);
	ck_assert_int_le(res.checked_at, time(NULL));
	cust_cms_result_fini(&res);
	/* Without a CA: the signature is checked, the signer is not. */
	t = trust(NULL, NULL);
	res = passes_with(der, n, &t);
	ck_assert(!res.verified);
	cust_cms_result_fini(&res);
	free(der);
}
END_TEST

START_TEST(it_is_cades_bes_and_detached)
{
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	unsigned char *der;
	size_t n;

	der = sign(cert, key, &n);
	p = der;
	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)n));
	ck_assert_int_eq(CMS_is_detached(cms), 1);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	ck_assert_int_ge(CMS_signed_get_attr_by_NID(si,
	    NID_id_smime_aa_signingCertificateV2, -1), 0);
	ck_assert_int_ge(CMS_signed_get_attr_by_NID(si,
	    NID_pkcs9_signingTime, -1), 0);
	CMS_ContentInfo_free(cms);
	free(der);
}
END_TEST

START_TEST(other_data_or_another_ca_fail)
{
	unsigned char *der;
	size_t n;

	der = sign(cert, key, &n);
	fails(der, n, "other data\n", ca, NULL, "sig: ");
	fails(der, n, "other data\n", NULL, NULL, "sig: ");
	fails(der, n, tm, otherca, NULL, "sig: certificate verify error "
	    "(Verify error: unable to get local issuer certificate)");
	free(der);
}
END_TEST

/*
 * A detached CAdES-BES signature over TM by C and K claiming signingTime
 * WHEN, as an attacker with an expired certificate's key would make it
 * (OpenSSL adds no signingTime when one is there).
 */
static unsigned char *
sign_at(X509 *c, EVP_PKEY *k, time_t when, size_t *np)
{
	unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
	ASN1_TIME *at = ASN1_TIME_set(NULL, when);
	BIO *in = BIO_new_mem_buf(tm, (int)strlen(tm));
	unsigned char *der = NULL, *copy;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	int n;

	ck_assert_ptr_nonnull(at);
	ck_assert_ptr_nonnull(cms = CMS_sign(NULL, NULL, NULL, NULL, flags |
	    CMS_PARTIAL));
	ck_assert_ptr_nonnull(si = CMS_add1_signer(cms, c, k, EVP_sha256(),
	    flags | CMS_CADES | CMS_PARTIAL));
	ck_assert_int_eq(CMS_signed_add1_attr_by_NID(si,
	    NID_pkcs9_signingTime, at->type, at, -1), 1);
	ck_assert_int_eq(CMS_final(cms, in, NULL, flags), 1);
	ck_assert_int_gt(n = i2d_CMS_ContentInfo(cms, &der), 0);
	ck_assert_ptr_nonnull(copy = malloc((size_t)n));
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	ASN1_TIME_free(at);
	BIO_free(in);
	*np = (size_t)n;
	return copy;
}

/*
 * An expired certificate whose signature claims a time when it was valid
 * is judged at the present time, and fails; a verified token's genTime
 * while it was valid makes it pass.
 */
START_TEST(an_expired_signer_is_judged_at_a_trusted_time)
{
	struct cust_cms_result res;
	struct cust_cms_trust t;
	unsigned char *der;
	time_t claimed = time(NULL) - 86400 * 8;
	time_t then = claimed + 3600;
	X509 *old;
	size_t n;

	old = tk_cert("Old Signer", NULL, key, cacert, cakey, -86400 * 10,
	    -86400 * 5, 3, tk_signer_exts);
	der = sign_at(old, key, claimed, &n);
	fails(der, n, tm, ca, NULL, "sig: certificate verify error (Verify "
	    "error: certificate has expired)");
	t = trust(ca, &then);
	res = passes_with(der, n, &t);
	ck_assert(res.verified);
	ck_assert(res.at_token);
	ck_assert_int_eq(res.checked_at, then);
	ck_assert_int_eq(res.signing_time, claimed);
	cust_cms_result_fini(&res);
	free(der);
	X509_free(old);
}
END_TEST

/* The signing time lies between the acquisition's start and the token. */
START_TEST(the_signing_time_is_bounded)
{
	struct cust_cms_result res;
	struct cust_cms_trust t = trust(ca, NULL);
	time_t now = time(NULL), at = now - 60;
	unsigned char *der;
	size_t n;

	der = sign_at(cert, key, now - 100, &n);
	t.start = now - 100;
	res = passes_with(der, n, &t);
	cust_cms_result_fini(&res);
	t.start = now - 99;
	fails_with(der, n, tm, &t, "sig: signingTime ");
	ck_assert_msg(strstr(cust_ctx_error(ctx), " is before the "
	    "acquisition's start (") != NULL, "%s", cust_ctx_error(ctx));
	t.start = -1;
	t.at = &at;
	res = passes_with(der, n, &t);
	cust_cms_result_fini(&res);
	free(der);
	/* After the token: 1 s for genTime's truncation, and its accuracy. */
	der = sign_at(cert, key, at + 2, &n);
	fails_with(der, n, tm, &t, " is after the genTime of the token over "
	    "the signature (");
	t.accuracy = 1;
	res = passes_with(der, n, &t);
	cust_cms_result_fini(&res);
	free(der);
}
END_TEST

/* A signer of the usages EXTS, named CN, issued by the test CA. */
static X509 *
signer(const char *cn, const char *const *exts, long serial)
{
	return tk_cert(cn, NULL, key, cacert, cakey, -60, 86400, serial, exts);
}

/* Signed by C, checked against the CA under P: what fails, or "". */
static void
policy_says(X509 *c, const struct cust_x509_policy *p, const char *want)
{
	struct cust_cms_trust t = trust(ca, NULL);
	struct cust_cms_result res;
	unsigned char *der;
	size_t n;

	t.policy = p;
	der = sign(c, key, &n);
	if (*want != '\0')
		fails_with(der, n, tm, &t, want);
	else {
		res = passes_with(der, n, &t);
		ck_assert(res.verified);
		cust_cms_result_fini(&res);
	}
	/* Without a CA, nothing is vouched for and nothing is judged. */
	t = trust(NULL, NULL);
	res = passes_with(der, n, &t);
	ck_assert(!res.verified);
	cust_cms_result_fini(&res);
	free(der);
}

START_TEST(a_signer_must_be_fit_for_evidence)
{
	static const char *const tls[] = {
		"basicConstraints=critical,CA:FALSE",
		"keyUsage=critical,digitalSignature",
		"extendedKeyUsage=serverAuth", NULL,
	};
	static const char *const tsa[] = {
		"basicConstraints=critical,CA:FALSE",
		"keyUsage=critical,digitalSignature",
		"extendedKeyUsage=critical,timeStamping", NULL,
	};
	static const char *const none[] = {
		"basicConstraints=critical,CA:FALSE",
		"keyUsage=critical,digitalSignature", NULL,
	};
	static const char *const mail[] = {
		"keyUsage=critical,digitalSignature",
		"extendedKeyUsage=clientAuth,emailProtection", NULL,
	};
	static const char *const isca[] = {
		"basicConstraints=critical,CA:TRUE",
		"keyUsage=critical,digitalSignature,keyCertSign",
		"extendedKeyUsage=1.3.6.1.5.5.7.3.36", NULL,
	};
	static const char *const want = "documentSigning "
	    "(1.3.6.1.5.5.7.3.36) or emailProtection (1.3.6.1.5.5.7.3.4) is "
	    "needed (--x509-eku)";
	char msg[512];
	X509 *c;

	c = signer("TLS", tls, 20);
	snprintf(msg, sizeof(msg), "sig: the signer's extended key usage "
	    "(serverAuth) does not allow document signing: %s", want);
	policy_says(c, NULL, msg);
	X509_free(c);
	c = signer("TSA", tsa, 21);
	snprintf(msg, sizeof(msg), "sig: the signer's extended key usage "
	    "(timeStamping) does not allow document signing: %s", want);
	policy_says(c, NULL, msg);
	X509_free(c);
	c = signer("None", none, 22);
	policy_says(c, NULL, "sig: the signer's certificate has no extended "
	    "key usage; evidence needs one that allows document signing: "
	    "documentSigning (1.3.6.1.5.5.7.3.36) or emailProtection "
	    "(1.3.6.1.5.5.7.3.4) (--x509-eku)");
	X509_free(c);
	c = signer("CA", isca, 23);
	policy_says(c, NULL, "sig: the signer's certificate is a CA "
	    "certificate (basicConstraints CA:TRUE or keyCertSign): a CA may "
	    "not sign evidence");
	X509_free(c);
	c = signer("Mail", mail, 24);
	policy_says(c, NULL, "");
	X509_free(c);
}
END_TEST

/* --x509-eku replaces the default usages. */
START_TEST(the_usages_are_chosen)
{
	static const char *const tls[] = {
		"keyUsage=critical,digitalSignature",
		"extendedKeyUsage=serverAuth", NULL,
	};
	struct cust_x509_policy *p;
	X509 *c;

	ck_assert_int_eq(cust_x509_policy_new(ctx, &p), CUST_OK);
	ck_assert_int_eq(cust_x509_policy_eku(ctx, p, "serverAuth"),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "serverAuth: not an object "
	    "identifier in dotted numbers (1.3.6.1.5.5.7.3.36)");
	ck_assert_int_eq(cust_x509_policy_eku(ctx, p, "1..2"), CUST_FAILED);
	ck_assert_int_eq(cust_x509_policy_eku(ctx, p, ""), CUST_FAILED);
	ck_assert_int_eq(cust_x509_policy_eku(ctx, p, "1.3.6.1.5.5.7.3.1"),
	    CUST_OK);
	c = signer("TLS", tls, 30);
	policy_says(c, p, "");
	X509_free(c);
	policy_says(cert, p, "sig: the signer's extended key usage "
	    "(documentSigning) does not allow document signing: serverAuth "
	    "(1.3.6.1.5.5.7.3.1) is needed (--x509-eku)");
	cust_x509_policy_free(p);
}
END_TEST

/* A CRL by the test CA revoking SERIAL (0: none), valid from FROM to TO
 * seconds from now, into DIR/NAME as PEM or DER. */
static char *
crl(long serial, long from, long to, const char *name, bool der)
{
	X509_CRL *c = X509_CRL_new();
	X509_REVOKED *rv;
	ASN1_TIME *t;
	ASN1_INTEGER *sn;
	char *path;
	FILE *f;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(X509_CRL_set_version(c, 1), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(c,
	    X509_get_subject_name(cacert)), 1);
	ck_assert_ptr_nonnull(t = X509_gmtime_adj(NULL, from));
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(c, t), 1);
	ASN1_TIME_free(t);
	ck_assert_ptr_nonnull(t = X509_gmtime_adj(NULL, to));
	ck_assert_int_eq(X509_CRL_set1_nextUpdate(c, t), 1);
	if (serial != 0) {
		ck_assert_ptr_nonnull(rv = X509_REVOKED_new());
		ck_assert_ptr_nonnull(sn = ASN1_INTEGER_new());
		ck_assert_int_eq(ASN1_INTEGER_set(sn, serial), 1);
		ck_assert_int_eq(X509_REVOKED_set_serialNumber(rv, sn), 1);
		ck_assert_int_eq(X509_REVOKED_set_revocationDate(rv, t), 1);
		ck_assert_int_eq(X509_CRL_add0_revoked(c, rv), 1);
		ASN1_INTEGER_free(sn);
	}
	ASN1_TIME_free(t);
	ck_assert_int_gt(X509_CRL_sign(c, cakey, EVP_sha256()), 0);
	ck_assert_int_gt(asprintf(&path, "%s/%s", scratch, name), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(der ? i2d_X509_CRL_fp(f, c) : PEM_write_X509_CRL(f,
	    c), 1);
	ck_assert_int_eq(fclose(f), 0);
	X509_CRL_free(c);
	return path;
}

/* With CRLs, the signer's chain is checked for revocation. */
START_TEST(crls_revoke_signers)
{
	struct cust_x509_policy *p;
	struct cust_cms_trust t = trust(ca, NULL);
	struct cust_cms_result res;
	unsigned char *der;
	char *path;
	size_t n;

	ck_assert_int_eq(cust_x509_policy_new(ctx, &p), CUST_OK);
	t.policy = p;
	path = crl(99, -3600, 86400, "none.crl", true);
	ck_assert_msg(cust_x509_policy_crl(ctx, p, path) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	free(path);
	der = sign(cert, key, &n);
	res = passes_with(der, n, &t);
	ck_assert(res.verified);
	ck_assert(res.revocation_checked);
	cust_cms_result_fini(&res);
	/* Serial 2 is the signer's. */
	path = crl(2, -3600, 86400, "revoked.crl", false);
	cust_x509_policy_free(p);
	ck_assert_int_eq(cust_x509_policy_new(ctx, &p), CUST_OK);
	t.policy = p;
	ck_assert_int_eq(cust_x509_policy_crl(ctx, p, path), CUST_OK);
	free(path);
	fails_with(der, n, tm, &t, "sig: certificate verify error (Verify "
	    "error: certificate revoked)");
	cust_x509_policy_free(p);
	/* A CRL past its next update proves nothing. */
	path = crl(0, -86400 * 3, -86400, "stale.crl", false);
	ck_assert_int_eq(cust_x509_policy_new(ctx, &p), CUST_OK);
	t.policy = p;
	ck_assert_int_eq(cust_x509_policy_crl(ctx, p, path), CUST_OK);
	free(path);
	fails_with(der, n, tm, &t, "sig: certificate verify error (Verify "
	    "error: CRL has expired)");
	cust_x509_policy_free(p);
	free(der);
}
END_TEST

/* Files named by options are never waited on, and are bounded. */
START_TEST(fifos_and_junk_are_refused)
{
	struct cust_x509_policy *p;
	struct cust_castore *st;
	char *fifo, *junk;
	FILE *f;

	ck_assert_int_eq(cust_x509_policy_new(ctx, &p), CUST_OK);
	ck_assert_int_gt(asprintf(&fifo, "%s/fifo", scratch), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(cust_x509_policy_crl(ctx, p, fifo), CUST_FAILED);
	ck_assert_str_eq(strstr(cust_ctx_error(ctx), "/fifo"),
	    "/fifo: not a regular file");
	ck_assert_int_eq(cust_castore_load(ctx, fifo, &st), CUST_FAILED);
	ck_assert_str_eq(strstr(cust_ctx_error(ctx), "/fifo"),
	    "/fifo: not a regular file");
	ck_assert_int_gt(asprintf(&junk, "%s/junk.crl", scratch), 0);
	ck_assert_ptr_nonnull(f = fopen(junk, "w"));
	fputs("not a CRL\n", f);
	fclose(f);
	ck_assert_int_eq(cust_x509_policy_crl(ctx, p, junk), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), "junk.crl: no PEM CRL in "
	    "it") != NULL, "%s", cust_ctx_error(ctx));
	ck_assert(!cust_x509_policy_revokes(p));
	ck_assert_int_eq(cust_x509_policy_crl(ctx, p, "/dev/null"),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "/dev/null: not a regular file");
	/* One byte past the bound (sparse: nothing is written). */
	ck_assert_ptr_nonnull(f = fopen(junk, "w"));
	ck_assert_int_eq(ftruncate(fileno(f), 32 * 1024 * 1024 + 1), 0);
	fclose(f);
	ck_assert_int_eq(cust_x509_policy_crl(ctx, p, junk), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), "junk.crl: too large "
	    "(limit 33554432 bytes)") != NULL, "%s", cust_ctx_error(ctx));
	cust_x509_policy_free(p);
	free(fifo);
	free(junk);
}
END_TEST

START_TEST(keys_and_certificates_are_chosen)
{
	struct cust_signer *s;
	EVP_PKEY *k;
	X509 *c;

	k = tk_ec("P-384");
	c = tk_cert("P384", NULL, k, cacert, cakey, -60, 86400, 4,
	    tk_signer_exts);
	ck_assert_int_eq(load(&c, 1, k, &s), CUST_OK);
	cust_signer_free(s);
	X509_free(c);
	EVP_PKEY_free(k);
	k = tk_rsa(3072);
	c = tk_cert("RSA", NULL, k, cacert, cakey, -60, 86400, 5,
	    tk_signer_exts);
	ck_assert_int_eq(load(&c, 1, k, &s), CUST_OK);
	ck_assert_str_eq(cust_signer_subject(s), "CN=RSA");
	cust_signer_free(s);
	X509_free(c);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(weak_or_unusable_keys_are_refused)
{
	static const char *const nosign[] = {
		"keyUsage=critical,keyEncipherment", NULL,
	};
	EVP_PKEY *k;
	X509 *c;

	k = tk_rsa(2048);
	c = tk_cert("Weak", NULL, k, cacert, cakey, -60, 86400, 6,
	    tk_signer_exts);
	refused(c, k, "key.pem: a 2048-bit RSA key is too weak: use 3072 "
	    "bits or more");
	X509_free(c);
	EVP_PKEY_free(k);
	k = tk_ec("P-521");
	c = tk_cert("P521", NULL, k, cacert, cakey, -60, 86400, 7,
	    tk_signer_exts);
	refused(c, k, "key.pem: ECDSA on secp521r1 is not accepted: use "
	    "P-256 or P-384");
	X509_free(c);
	EVP_PKEY_free(k);
	k = tk_ed25519();
	c = tk_cert("Ed", NULL, k, cacert, cakey, -60, 86400, 8,
	    tk_signer_exts);
	refused(c, k, "key.pem: Ed25519 is not usable in CMS with OpenSSL "
	    "3.0");
	X509_free(c);
	EVP_PKEY_free(k);
	k = tk_ec("P-256");
	refused(cert, k, "key.pem: not the private key of ");
	c = tk_cert("No Sign", NULL, k, cacert, cakey, -60, 86400, 9, nosign);
	refused(c, k, "cert.pem: its key usage allows neither "
	    "digitalSignature nor nonRepudiation");
	X509_free(c);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(bad_files_are_refused)
{
	struct cust_signer *s;
	struct cust_castore *st;
	char *junk, *kp;
	FILE *f;

	ck_assert_int_gt(asprintf(&junk, "%s/junk.pem", scratch), 0);
	ck_assert_ptr_nonnull(f = fopen(junk, "w"));
	fputs("not a certificate\n", f);
	fclose(f);
	kp = tk_pem(scratch, "key.pem", NULL, 0, key);
	ck_assert_int_eq(cust_signer_load(ctx, junk, kp, &s), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), "junk.pem: no PEM "
	    "certificate in it") != NULL, "%s", cust_ctx_error(ctx));
	ck_assert_int_eq(cust_castore_load(ctx, junk, &st), CUST_FAILED);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(cust_signer_load(ctx, "/nonexistent/c.pem", kp, &s),
	    CUST_FAILED);
	ck_assert_int_eq(cust_signer_load(ctx, kp, junk, &s), CUST_FAILED);
	ck_assert_int_eq(cust_castore_load(ctx, "/dev/null", &st),
	    CUST_FAILED);
	free(junk);
	free(kp);
}
END_TEST

START_TEST(a_chain_in_the_certificate_file_is_carried)
{
	struct cust_cms_trust t;
	struct cust_cms_result res;
	struct cust_signer *s;
	unsigned char *der;
	EVP_PKEY *ik;
	X509 *inter, *leaf, *chain[2];
	size_t n;

	ik = tk_ec("P-256");
	inter = tk_cert("Issuing CA", NULL, ik, cacert, cakey, -60, 86400, 10,
	    tk_ca_exts);
	leaf = tk_cert("Leaf", NULL, key, inter, ik, -60, 86400, 11,
	    tk_signer_exts);
	chain[0] = leaf;
	chain[1] = inter;
	ck_assert_int_eq(load(chain, 2, key, &s), CUST_OK);
	ck_assert_int_eq(cust_cms_sign(ctx, s, tm, strlen(tm), &der, &n),
	    CUST_OK);
	t = trust(ca, NULL);
	res = passes_with(der, n, &t);
	ck_assert_str_eq(res.subject, "CN=Leaf");
	cust_cms_result_fini(&res);
	cust_signer_free(s);
	free(der);
	X509_free(leaf);
	X509_free(inter);
	EVP_PKEY_free(ik);
}
END_TEST

/* Made with OpenSSL directly, as an attacker would. */
static unsigned char *
raw(X509 *c, EVP_PKEY *k, unsigned int flags, size_t *np)
{
	CMS_ContentInfo *cms;
	unsigned char *der = NULL, *copy;
	BIO *in = BIO_new_mem_buf(tm, (int)strlen(tm));
	int n;

	ck_assert_ptr_nonnull(cms = CMS_sign(c, k, NULL, in, flags |
	    CMS_BINARY | CMS_NOSMIMECAP));
	ck_assert_int_gt(n = i2d_CMS_ContentInfo(cms, &der), 0);
	ck_assert_ptr_nonnull(copy = malloc((size_t)n));
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	*np = (size_t)n;
	return copy;
}

START_TEST(hostile_signatures_fail)
{
	unsigned char *der, *big;
	size_t n;

	der = raw(cert, key, CMS_DETACHED, &n);
	fails(der, n, tm, ca, NULL, "sig: no signingCertificateV2 attribute "
	    "(not CAdES-BES)");
	free(der);
	der = raw(cert, key, CMS_CADES, &n);
	fails(der, n, tm, ca, NULL, "sig: not a detached signature");
	free(der);
	der = sign(cert, key, &n);
	ck_assert_ptr_nonnull(big = malloc(n + 2));
	memcpy(big, der, n);
	big[n] = big[n + 1] = 0;
	fails(big, n + 2, tm, ca, NULL, "sig: data after the CMS object");
	for (size_t cut = 1; cut < n; cut += 13)
		fails(der, n - cut, tm, ca, NULL, "sig: ");
	free(big);
	ck_assert_ptr_nonnull(big = calloc(1, CUST_P7S_MAX + 1));
	fails(big, CUST_P7S_MAX + 1, tm, ca, NULL, "sig: larger than 65536 "
	    "bytes");
	fails((const unsigned char *)"junk", 4, tm, ca, NULL,
	    "sig: not a DER CMS object");
	free(big);
	free(der);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("cms");
	TCase *tc = tcase_create("cms");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_signature_verifies_against_its_ca);
	tcase_add_test(tc, it_is_cades_bes_and_detached);
	tcase_add_test(tc, other_data_or_another_ca_fail);
	tcase_add_test(tc, an_expired_signer_is_judged_at_a_trusted_time);
	tcase_add_test(tc, the_signing_time_is_bounded);
	tcase_add_test(tc, a_signer_must_be_fit_for_evidence);
	tcase_add_test(tc, the_usages_are_chosen);
	tcase_add_test(tc, crls_revoke_signers);
	tcase_add_test(tc, fifos_and_junk_are_refused);
	tcase_add_test(tc, keys_and_certificates_are_chosen);
	tcase_add_test(tc, weak_or_unusable_keys_are_refused);
	tcase_add_test(tc, bad_files_are_refused);
	tcase_add_test(tc, a_chain_in_the_certificate_file_is_carried);
	tcase_add_test(tc, hostile_signatures_fail);
	suite_add_tcase(s, tc);
	return s;
}

