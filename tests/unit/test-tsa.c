/*
 * test-tsa.c: RFC 3161 tokens (tsa.c, with x509.c's CA store).  Tokens are
 * made by OpenSSL's own TSA code at a chosen genTime, by a TSA whose
 * certificate a test CA issued; they are checked against the data they
 * cover, against that CA and another, and in hostile shapes.  The HTTP
 * client is tried against a one-shot TSA forked on loopback that answers
 * rightly, with another nonce, or with an error.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "trust/pki.h"
#include "testpki.h"
#include "harness.h"

static const char data[] = "untrusted comment: a signature file\n";
static const char other[] = "untrusted comment: another signature file\n";

static struct cust_ctx *ctx;
static EVP_PKEY *cakey, *tsakey, *otherkey;
static X509 *cacert, *tsacert, *othercert;
static struct cust_castore *ca, *otherca;
static time_t now;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	now = time(NULL);
	cakey = tk_ec("P-256");
	cacert = tk_cert("Unit Root", NULL, cakey, NULL, NULL, -86400 * 30,
	    86400 * 30, 1, tk_ca_exts);
	tsakey = tk_ec("P-256");
	tsacert = tk_cert("Unit TSA", "Tests", tsakey, cacert, cakey, -86400,
	    86400 * 30, 2, tk_tsa_exts);
	otherkey = tk_ec("P-256");
	othercert = tk_cert("Other Root", NULL, otherkey, NULL, NULL, -86400,
	    86400 * 30, 1, tk_ca_exts);
	ca = tk_store(ctx, scratch, cacert, "ca.pem");
	otherca = tk_store(ctx, scratch, othercert, "other.pem");
}

static void
teardown(void)
{
	cust_castore_free(ca);
	cust_castore_free(otherca);
	X509_free(cacert);
	X509_free(tsacert);
	X509_free(othercert);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(tsakey);
	EVP_PKEY_free(otherkey);
	cust_ctx_free(ctx);
	scratch_remove();
}

/* Check DER against DATA with CA; the status, and T released. */
static int
check(const unsigned char *der, size_t n, const char *d,
    const struct cust_castore *s, struct cust_tsa_token *t)
{
	return cust_tsa_check(ctx, "token", der, n, d, strlen(d), s, t);
}

static void
fails(const unsigned char *der, size_t n, const char *d,
    const struct cust_castore *s, const char *want)
{
	struct cust_tsa_token t;

	ck_assert_int_eq(check(der, n, d, s, &t), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), want) != NULL,
	    "got \"%s\", want \"%s\"", cust_ctx_error(ctx), want);
	ck_assert_ptr_null(t.tsa);
}

START_TEST(token_verifies_at_its_gentime)
{
	struct cust_tsa_token t;
	unsigned char *der;
	size_t n;

	der = tk_token(tsacert, tsakey, data, strlen(data), now - 100, &n);
	ck_assert_msg(check(der, n, data, ca, &t) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert(t.verified);
	ck_assert_int_eq(t.gen_time, now - 100);
	ck_assert_int_eq(t.accuracy, 1);
	ck_assert_str_eq(t.tsa, "CN=Unit TSA,O=Tests");
	ck_assert_int_eq(strlen(t.gen_time_text), 30);
	cust_tsa_token_fini(&t);
	free(der);
}
END_TEST

START_TEST(without_a_ca_a_token_is_unchecked)
{
	struct cust_tsa_token t;
	unsigned char *der;
	size_t n;

	der = tk_token(tsacert, tsakey, data, strlen(data), now, &n);
	ck_assert_int_eq(check(der, n, data, NULL, &t), CUST_OK);
	ck_assert(!t.verified);
	ck_assert_str_eq(t.tsa, "CN=Unit TSA,O=Tests");
	cust_tsa_token_fini(&t);
	/* ... but it must still cover the data. */
	fails(der, n, other, NULL, "token: the imprint is not the SHA-256 of "
	    "this signature file: the token covers other data");
	free(der);
}
END_TEST

START_TEST(a_token_over_other_data_fails)
{
	unsigned char *der;
	size_t n;

	der = tk_token(tsacert, tsakey, other, strlen(other), now, &n);
	fails(der, n, data, ca, "the imprint is not the SHA-256 of this "
	    "signature file");
	free(der);
}
END_TEST

START_TEST(a_tsa_of_another_ca_fails)
{
	unsigned char *der;
	size_t n;

	der = tk_token(tsacert, tsakey, data, strlen(data), now, &n);
	fails(der, n, data, otherca, "token: the TSA certificate does not "
	    "chain to the TSA CA at genTime: unable to get local issuer "
	    "certificate");
	free(der);
}
END_TEST

/* The chain is checked at genTime, not now. */
START_TEST(an_expired_tsa_is_judged_at_gentime)
{
	struct cust_tsa_token t;
	unsigned char *der;
	X509 *old;
	size_t n;

	old = tk_cert("Old TSA", NULL, tsakey, cacert, cakey, -86400 * 10,
	    -86400 * 5, 3, tk_tsa_exts);
	der = tk_token(old, tsakey, data, strlen(data), now - 86400 * 7, &n);
	ck_assert_msg(check(der, n, data, ca, &t) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert(t.verified);
	cust_tsa_token_fini(&t);
	free(der);
	der = tk_token(old, tsakey, data, strlen(data), now, &n);
	fails(der, n, data, ca, "certificate has expired");
	free(der);
	X509_free(old);
}
END_TEST

/* Every byte of the signed TSTInfo (genTime, imprint, serial, nonce,
 * policy): a flip must never pass with the CA. */
START_TEST(a_changed_byte_fails)
{
	struct cust_tsa_token t;
	unsigned char *der, *tst = NULL, *at;
	const unsigned char *p;
	TS_RESP *resp;
	size_t n;
	int k, r;

	der = tk_token(tsacert, tsakey, data, strlen(data), now, &n);
	p = der;
	ck_assert_ptr_nonnull(resp = d2i_TS_RESP(NULL, &p, (long)n));
	ck_assert_int_gt(k = i2d_TS_TST_INFO(TS_RESP_get_tst_info(resp),
	    &tst), 0);
	ck_assert_ptr_nonnull(at = memmem(der, n, tst, (size_t)k));
	for (int i = 0; i < k; i++) {
		at[i] ^= 0x01;
		r = check(der, n, data, ca, &t);
		if (r == CUST_OK)
			ck_abort_msg("TSTInfo byte %d flipped still verifies",
			    i);
		ck_assert_int_eq(r, CUST_FAILED);
		at[i] ^= 0x01;
	}
	OPENSSL_free(tst);
	TS_RESP_free(resp);
	free(der);
}
END_TEST

START_TEST(hostile_shapes_fail)
{
	static const unsigned char rejection[] = { 0x30, 0x05, 0x30, 0x03,
	    0x02, 0x01, 0x02 };
	static const unsigned char empty[] = { 0x30, 0x05, 0x30, 0x03, 0x02,
	    0x01, 0x00 };
	unsigned char *der, *big;
	size_t n;

	fails(rejection, sizeof(rejection), data, ca,
	    "token: the TSA refused (status 2)");
	/* OpenSSL's decoder itself refuses "granted" without a token. */
	fails(empty, sizeof(empty), data, ca, "token: not a DER TimeStampResp");
	fails((const unsigned char *)"junk", 4, data, ca,
	    "token: not a DER TimeStampResp");
	fails((const unsigned char *)"", 0, data, ca,
	    "token: not a DER TimeStampResp");
	der = tk_token(tsacert, tsakey, data, strlen(data), now, &n);
	for (size_t cut = 1; cut < n; cut += 7)
		fails(der, n - cut, data, ca, "token: ");
	ck_assert_ptr_nonnull(big = malloc(n + 1));
	memcpy(big, der, n);
	big[n] = 0;
	fails(big, n + 1, data, ca, "token: data after the TimeStampResp");
	free(big);
	ck_assert_ptr_nonnull(big = calloc(1, CUST_TSR_MAX + 1));
	memcpy(big, der, n);
	fails(big, CUST_TSR_MAX + 1, data, ca, "token: larger than 65536 "
	    "bytes");
	free(big);
	free(der);
}
END_TEST

/* A token whose TSA certificate is swapped for one with the same key and
 * serial but a timeStamping extended key usage that is not critical. */
START_TEST(a_noncritical_eku_fails)
{
	static const char *const exts[] = {
		"basicConstraints=critical,CA:FALSE",
		"keyUsage=critical,digitalSignature",
		"extendedKeyUsage=timeStamping", NULL,
	};
	const unsigned char *p;
	unsigned char *der, *out = NULL;
	TS_RESP *resp;
	PKCS7 *tok;
	X509 *soft;
	size_t n;
	int k;

	der = tk_token(tsacert, tsakey, data, strlen(data), now, &n);
	p = der;
	ck_assert_ptr_nonnull(resp = d2i_TS_RESP(NULL, &p, (long)n));
	tok = TS_RESP_get_token(resp);
	soft = tk_cert("Unit TSA", "Tests", tsakey, cacert, cakey, -86400,
	    86400, 2, exts);
	X509_free(sk_X509_value(tok->d.sign->cert, 0));
	sk_X509_set(tok->d.sign->cert, 0, soft);
	ck_assert_int_gt(k = i2d_TS_RESP(resp, &out), 0);
	fails(out, (size_t)k, data, ca, "token: the TSA certificate's "
	    "timeStamping extended key usage is not critical");
	OPENSSL_free(out);
	TS_RESP_free(resp);
	free(der);
}
END_TEST

/* ------------------------------------------------------------ the client */

enum answer { GOOD, OTHER_NONCE, HTTP_ERROR, SILENT };

/* Serve one request on a listening socket: read it, answer as told. */
static void
serve(int ls, enum answer how)
{
	char buf[65536], head[256];
	unsigned char *der = NULL;
	size_t got = 0, n = 0;
	const char *body;
	BIO *req;
	ssize_t k;
	int fd;

	if ((fd = accept(ls, NULL, NULL)) < 0)
		_exit(1);
	while ((body = memmem(buf, got, "\r\n\r\n", 4)) == NULL &&
	    (k = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)k;
	if (how == SILENT) {
		sleep(30);
		_exit(0);
	}
	if (how == HTTP_ERROR) {
		dprintf(fd, "HTTP/1.0 503 Busy\r\nContent-Length: 0\r\n\r\n");
		_exit(0);
	}
	body += 4;
	n = strtoul(strcasestr(buf, "Content-Length:") + 15, NULL, 10);
	while ((size_t)(buf + got - body) < n &&
	    (k = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)k;
	ck_assert_ptr_nonnull(req = BIO_new_mem_buf(body, (int)n));
	if (how == OTHER_NONCE) {
		BIO_free(req);
		req = tk_request(data, strlen(data), 7);
	}
	der = tk_answer(tsacert, tsakey, req, now, &n);
	snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: "
	    "application/timestamp-reply\r\nContent-Length: %zu\r\n\r\n", n);
	if (write(fd, head, strlen(head)) < 0 || write(fd, der, n) < 0)
		_exit(1);
	_exit(0);
}

/* A one-shot TSA on loopback; its URL in URL, its pid returned. */
static pid_t
tsa(enum answer how, char *url, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	pid_t pid;
	int ls;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(ls = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, len, "http://127.0.0.1:%u/tsa?x=1",
	    (unsigned)ntohs(a.sin_port));
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		serve(ls, how);
	close(ls);
	return pid;
}

static int
ask(enum answer how, int timeout, unsigned char **der, size_t *n)
{
	char url[64];
	pid_t pid = tsa(how, url, sizeof(url));
	int r;

	r = cust_tsa_request(ctx, url, timeout, data, strlen(data), der, n);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return r;
}

START_TEST(the_client_gets_a_checked_token)
{
	struct cust_tsa_token t;
	unsigned char *der;
	size_t n;

	ck_assert_msg(ask(GOOD, 30, &der, &n) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert_msg(check(der, n, data, ca, &t) == CUST_OK, "%s",
	    cust_ctx_error(ctx));
	ck_assert(t.verified);
	cust_tsa_token_fini(&t);
	free(der);
}
END_TEST

START_TEST(the_client_refuses_another_nonce)
{
	unsigned char *der;
	size_t n;

	ck_assert_int_eq(ask(OTHER_NONCE, 30, &der, &n), CUST_FAILED);
	ck_assert_ptr_null(der);
	ck_assert_msg(strstr(cust_ctx_error(ctx), ": the token does not carry "
	    "our nonce (a replayed answer?)") != NULL, "%s",
	    cust_ctx_error(ctx));
}
END_TEST

START_TEST(the_client_reports_http_errors_and_timeouts)
{
	unsigned char *der;
	size_t n;

	ck_assert_int_eq(ask(HTTP_ERROR, 30, &der, &n), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), "received error (code=503, "
	    "reason=Busy)") != NULL, "%s", cust_ctx_error(ctx));
	ck_assert_int_eq(ask(SILENT, 1, &der, &n), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), "timeout") != NULL ||
	    strstr(cust_ctx_error(ctx), "timed out") != NULL, "%s",
	    cust_ctx_error(ctx));
}
END_TEST

START_TEST(the_client_refuses_bad_urls)
{
	static const struct { const char *url, *want; } v[] = {
		{ "https://127.0.0.1/", "https://127.0.0.1/: https is not "
		    "supported; use http (the token is signed)" },
		{ "ftp://127.0.0.1/", "ftp://127.0.0.1/: not an http:// URL" },
		{ "http://a b/", "http://a b/: not a URL (a space or a "
		    "control character)" },
		{ "http://x/\r\nX: y", "not a URL (a space or a control "
		    "character)" },
		{ "", ": not a URL (1 to 2048 characters)" },
	};
	unsigned char *der;
	size_t n;

	for (size_t i = 0; i < NELEM(v); i++) {
		ck_assert_int_eq(cust_tsa_request(ctx, v[i].url, 5, data,
		    strlen(data), &der, &n), CUST_FAILED);
		ck_assert_msg(strstr(cust_ctx_error(ctx), v[i].want) != NULL,
		    "%s: got \"%s\"", v[i].url, cust_ctx_error(ctx));
	}
}
END_TEST

START_TEST(a_closed_port_is_named)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	unsigned char *der;
	char url[64];
	size_t n;
	int s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(s = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/",
	    (unsigned)ntohs(a.sin_port));
	/* Bound, never listening: a connection is refused. */
	ck_assert_int_eq(cust_tsa_request(ctx, url, 5, data, strlen(data),
	    &der, &n), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), ": Connection refused") !=
	    NULL, "%s", cust_ctx_error(ctx));
	close(s);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("tsa");
	TCase *tc = tcase_create("check");
	TCase *cl = tcase_create("client");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, token_verifies_at_its_gentime);
	tcase_add_test(tc, without_a_ca_a_token_is_unchecked);
	tcase_add_test(tc, a_token_over_other_data_fails);
	tcase_add_test(tc, a_tsa_of_another_ca_fails);
	tcase_add_test(tc, an_expired_tsa_is_judged_at_gentime);
	tcase_add_test(tc, a_changed_byte_fails);
	tcase_add_test(tc, hostile_shapes_fail);
	tcase_add_test(tc, a_noncritical_eku_fails);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(cl, setup, teardown);
	tcase_set_timeout(cl, 120);
	tcase_add_test(cl, the_client_gets_a_checked_token);
	tcase_add_test(cl, the_client_refuses_another_nonce);
	tcase_add_test(cl, the_client_reports_http_errors_and_timeouts);
	tcase_add_test(cl, the_client_refuses_bad_urls);
	tcase_add_test(cl, a_closed_port_is_named);
	suite_add_tcase(s, cl);
	return s;
}

