/*
 * test-cms.c: X.509 signatures (cms.c).  Keys and certificates are made
 * per test by a test CA; signers are loaded from PEM files as collect loads
 * them, signatures made and checked against that CA and another, at the
 * signing time or at a token's genTime, and in hostile shapes.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/cms.h>

#include "pki.h"
#include "testpki.h"

static const char tm[] = "0123abcd  bagit.txt\n";

static struct cust_ctx *ctx;
static EVP_PKEY *cakey, *key;
static X509 *cacert, *cert;
static struct cust_castore *ca, *otherca;
static char dir[] = "/tmp/test-cms.XXXXXX";

static void
setup(void)
{
	EVP_PKEY *ok;
	X509 *oc;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cakey = tk_ec("P-256");
	cacert = tk_cert("Lab Root", NULL, cakey, NULL, NULL, -86400 * 30,
	    86400 * 30, 1, tk_ca_exts);
	key = tk_ec("P-256");
	cert = tk_cert("A. Investigator", "Lab", key, cacert, cakey, -86400,
	    86400 * 30, 2, tk_signer_exts);
	ca = tk_store(ctx, dir, cacert, "ca.pem");
	ok = tk_ec("P-256");
	oc = tk_cert("Other Root", NULL, ok, NULL, NULL, -86400, 86400, 1,
	    tk_ca_exts);
	otherca = tk_store(ctx, dir, oc, "other.pem");
	X509_free(oc);
	EVP_PKEY_free(ok);
}

static void
teardown(void)
{
	char cmd[128];

	cust_castore_free(ca);
	cust_castore_free(otherca);
	X509_free(cacert);
	X509_free(cert);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	cust_ctx_free(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Load a signer from CERTS (written first to last) and K; its status. */
static int
load(X509 *const *certs, size_t n, EVP_PKEY *k, struct cust_signer **sp)
{
	char *cp = tk_pem(dir, "cert.pem", certs, n, NULL);
	char *kp = tk_pem(dir, "key.pem", NULL, 0, k);
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

static void
fails(const unsigned char *der, size_t n, const char *data,
    const struct cust_castore *s, const time_t *at, const char *want)
{
	struct cust_cms_result res;

	ck_assert_int_eq(cust_cms_check(ctx, "sig", der, n, data,
	    strlen(data), s, at, &res), CUST_FAILED);
	ck_assert_ptr_null(res.subject);
	ck_assert_msg(strstr(cust_ctx_error(ctx), want) != NULL,
	    "got \"%s\", want \"%s\"", cust_ctx_error(ctx), want);
}

START_TEST(a_signature_verifies_against_its_ca)
{
	struct cust_cms_result res;
	unsigned char *der;
	time_t t0 = time(NULL);
	size_t n;

	der = sign(cert, key, &n);
	ck_assert_msg(cust_cms_check(ctx, "sig", der, n, tm, strlen(tm), ca,
	    NULL, &res) == CUST_OK, "%s", cust_ctx_error(ctx));
	ck_assert(res.verified);
	ck_assert(!res.at_token);
	ck_assert_str_eq(res.subject, "CN=A. Investigator,O=Lab");
	ck_assert_int_ge(res.signing_time, t0 - 1);
	ck_assert_int_le(res.signing_time, time(NULL) + 1);
	ck_assert_int_eq(res.checked_at, res.signing_time);
	cust_cms_result_fini(&res);
	/* Without a CA: the signature is checked, the signer is not. */
	ck_assert_int_eq(cust_cms_check(ctx, "sig", der, n, tm, strlen(tm),
	    NULL, NULL, &res), CUST_OK);
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

/* The certificate is judged at a token's genTime when one is given. */
START_TEST(an_expired_signer_is_judged_at_the_time_given)
{
	struct cust_cms_result res;
	unsigned char *der;
	time_t then = time(NULL) - 86400 * 7;
	X509 *old;
	size_t n;

	old = tk_cert("Old Signer", NULL, key, cacert, cakey, -86400 * 10,
	    -86400 * 5, 3, tk_signer_exts);
	der = sign(old, key, &n);
	fails(der, n, tm, ca, NULL, "certificate has expired");
	ck_assert_msg(cust_cms_check(ctx, "sig", der, n, tm, strlen(tm), ca,
	    &then, &res) == CUST_OK, "%s", cust_ctx_error(ctx));
	ck_assert(res.verified);
	ck_assert(res.at_token);
	ck_assert_int_eq(res.checked_at, then);
	cust_cms_result_fini(&res);
	free(der);
	X509_free(old);
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

	ck_assert_int_gt(asprintf(&junk, "%s/junk.pem", dir), 0);
	ck_assert_ptr_nonnull(f = fopen(junk, "w"));
	fputs("not a certificate\n", f);
	fclose(f);
	kp = tk_pem(dir, "key.pem", NULL, 0, key);
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
	ck_assert_msg(cust_cms_check(ctx, "sig", der, n, tm, strlen(tm), ca,
	    NULL, &res) == CUST_OK, "%s", cust_ctx_error(ctx));
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

static Suite *
cms_suite(void)
{
	Suite *s = suite_create("cms");
	TCase *tc = tcase_create("cms");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_signature_verifies_against_its_ca);
	tcase_add_test(tc, it_is_cades_bes_and_detached);
	tcase_add_test(tc, other_data_or_another_ca_fail);
	tcase_add_test(tc, an_expired_signer_is_judged_at_the_time_given);
	tcase_add_test(tc, keys_and_certificates_are_chosen);
	tcase_add_test(tc, weak_or_unusable_keys_are_refused);
	tcase_add_test(tc, bad_files_are_refused);
	tcase_add_test(tc, a_chain_in_the_certificate_file_is_carried);
	tcase_add_test(tc, hostile_signatures_fail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cms_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
