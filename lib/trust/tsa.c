/*
 * tsa.c: RFC 3161 trusted timestamps.  The collector asks a time-stamp
 * authority for a token over a signature file: a SHA-256 imprint, a random
 * nonce and a request for the TSA's certificate, sent over plain HTTP with
 * OpenSSL's client (the token is signed, so the transport need not be).
 * The answer is kept whole, as the DER TimeStampResp that `openssl ts
 * -verify -in` reads.  The verifier checks a token against the bytes it
 * claims to cover and, given the investigator's CA, its signature, its
 * chain and the TSA certificate's critical timeStamping extended key usage,
 * all at the token's own genTime.  Tokens come from attackers: each is
 * bounded and must be exactly one DER object.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/http.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "trust/pki.h"

#define URL_MAX		2048
#define NONCE_BITS	64

/* An HTTP exchange in progress: what is owned is freed by done(). */
struct http {
	char		*host, *port, *path, *query, *frag;	/* owned */
	char		*target;	/* owned: path and query */
	BIO		*conn;		/* owned: the connected socket */
	int		 ssl;
};

/* ------------------------------------------------------------ request */

static void
done(struct http *h)
{
	OPENSSL_free(h->host);
	OPENSSL_free(h->port);
	OPENSSL_free(h->path);
	OPENSSL_free(h->query);
	OPENSSL_free(h->frag);
	free(h->target);
	BIO_free_all(h->conn);
}

/* Only printable ASCII: a URL must not smuggle bytes into the request. */
static int
parse_url(struct cust_ctx *ctx, const char *url, struct http *h)
{
	size_t n = strlen(url);

	for (size_t i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] > '~')
			return cust_set_error(ctx, 0, CUST_FAILED, "%s: not a "
			    "URL (a space or a control character)", url);
	if (n == 0 || n > URL_MAX)
		return cust_set_error(ctx, 0, CUST_FAILED, "%.64s: not a URL "
		    "(1 to %d characters)", url, URL_MAX);
	ERR_clear_error();
	if (OSSL_HTTP_parse_url(url, &h->ssl, NULL, &h->host, &h->port, NULL,
	    &h->path, &h->query, &h->frag) != 1) {
		ERR_clear_error();
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: not an "
		    "http:// URL", url);
	}
	if (h->ssl)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: https is not "
		    "supported; use http (the token is signed)", url);
	if (asprintf(&h->target, "%s%s%s", h->path, h->query && *h->query ?
	    "?" : "", h->query ? h->query : "") < 0) {
		h->target = NULL;
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", url);
	}
	return CUST_OK;
}

/* Wait for a non-blocking connect on FD; 0 or an errno. */
static int
await(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int k, err = 0;

	while ((k = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (k < 0)
		return errno;
	if (k == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return errno;
	return err;
}

#ifdef CUST_STATIC
/*
 * The static build (meson -Dstatic=true) links no name service: glibc's
 * getaddrinfo would load NSS modules and read nsswitch.conf, resolv.conf
 * and gai.conf of a host that may be compromised.  The TSA is then named
 * by its address, and *res is one addrinfo, owned, freed with free().
 */
struct numeric {
	struct addrinfo		ai;
	struct sockaddr_in6	sa;	/* or a sockaddr_in, which is shorter */
};

static int
lookup(const char *host, const char *port, struct addrinfo **res)
{
	struct numeric *n;
	struct sockaddr_in *in4;
	unsigned long p;
	char *end;

	p = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || p > 65535)
		return EAI_SERVICE;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return EAI_MEMORY;
	in4 = (struct sockaddr_in *)(void *)&n->sa;
	n->ai.ai_socktype = SOCK_STREAM;
	n->ai.ai_addr = (struct sockaddr *)&n->sa;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		n->ai.ai_addrlen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &n->sa.sin6_addr) == 1) {
		n->sa.sin6_family = AF_INET6;
		n->sa.sin6_port = htons((uint16_t)p);
		n->ai.ai_addrlen = sizeof(n->sa);
	} else {
		free(n);
		return EAI_NONAME;
	}
	n->ai.ai_family = n->ai.ai_addr->sa_family;
	*res = &n->ai;
	return 0;
}

static const char *
lookup_error(int g)
{
	return g == EAI_NONAME ? "not an IP address (this static build "
	    "looks up no names: give the TSA's address)" : gai_strerror(g);
}

#define forget(res)	free(res)
#else
static int
lookup(const char *host, const char *port, struct addrinfo **res)
{
	const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };

	return getaddrinfo(host, port, &hints, res);
}

#define lookup_error(g)	gai_strerror(g)
#define forget(res)	freeaddrinfo(res)
#endif

/* The host to look up, owned: OSSL_HTTP_parse_url keeps an IPv6
 * literal's brackets, which the Host header wants and a lookup does not. */
static char *
bare_host(const char *host)
{
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		return strndup(host + 1, n - 2);
	return strdup(host);
}

/*
 * Connect to the TSA ourselves, so that a refused or unresolvable server
 * is named as such; OpenSSL's own connect retries a refusal until its
 * timeout and then reports only "connect timeout".
 */
static int
dial(struct cust_ctx *ctx, const char *url, struct http *h, int timeout)
{
	struct addrinfo *res, *a;
	int fd = -1, err = 0, g;
	char *name;

	if ((name = bare_host(h->host)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", url);
	g = lookup(name, h->port, &res);
	free(name);
	if (g != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: %s", url,
		    lookup_error(g));
	for (a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno == EINPROGRESS ? await(fd, timeout * 1000) : errno;
		if (err != 0) {
			close(fd);
			fd = -1;
		}
	}
	forget(res);
	if (fd < 0)
		return cust_set_error(ctx, err, CUST_FAILED, "%s", url);
	if ((h->conn = BIO_new_socket(fd, BIO_CLOSE)) == NULL) {
		close(fd);
		return cust_set_ssl_error(ctx, CUST_FATAL, "%s", url);
	}
	return CUST_OK;
}

/* The SHA-256 imprint, a random nonce and certReq, as DER in *biop. */
static int
make_request(struct cust_ctx *ctx, const unsigned char md[32],
    ASN1_INTEGER **noncep, BIO **biop)
{
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *alg = NULL;
	TS_REQ *req = NULL;
	BIGNUM *bn = NULL;
	unsigned char copy[32];
	int r = CUST_FATAL;

	*biop = NULL;
	*noncep = NULL;
	memcpy(copy, md, sizeof(copy));
	if ((req = TS_REQ_new()) == NULL || (mi = TS_MSG_IMPRINT_new()) ==
	    NULL || (alg = X509_ALGOR_new()) == NULL || (bn = BN_new()) ==
	    NULL || (*biop = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	X509_ALGOR_set_md(alg, EVP_sha256());
	if (TS_MSG_IMPRINT_set_algo(mi, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(mi, copy, 32) != 1 ||
	    TS_REQ_set_version(req, 1) != 1 ||
	    TS_REQ_set_msg_imprint(req, mi) != 1 ||
	    BN_rand(bn, NONCE_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    (*noncep = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    TS_REQ_set_nonce(req, *noncep) != 1 ||
	    TS_REQ_set_cert_req(req, 1) != 1 || i2d_TS_REQ_bio(*biop, req) != 1)
		goto out;
	r = CUST_OK;
out:
	if (r != CUST_OK)
		r = cust_set_ssl_error(ctx, CUST_FATAL, "timestamp request");
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}

/* Read the body, at most CUST_TSR_MAX bytes, into *bufp (owned). */
static int
body(struct cust_ctx *ctx, const char *url, BIO *in, unsigned char **bufp,
    size_t *lenp)
{
	unsigned char *buf;
	size_t len = 0;
	int k;

	if ((buf = malloc(CUST_TSR_MAX + 1)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", url);
	while (len <= CUST_TSR_MAX && (k = BIO_read(in, buf + len,
	    (int)(CUST_TSR_MAX + 1 - len))) > 0)
		len += (size_t)k;
	if (len > CUST_TSR_MAX) {
		free(buf);
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the answer is "
		    "larger than %d bytes", url, CUST_TSR_MAX);
	}
	ERR_clear_error();
	*bufp = buf;
	*lenp = len;
	return CUST_OK;
}

static int
exchange(struct cust_ctx *ctx, const char *url, struct http *h, BIO *req,
    int timeout, unsigned char **bufp, size_t *lenp)
{
	char why[512];
	BIO *in;
	int r;

	ERR_clear_error();
	/* Over our own connection: OpenSSL reads no proxy from the
	 * environment then (and the library never does). */
	in = OSSL_HTTP_transfer(NULL, h->host, h->port, h->target, 0, NULL,
	    NULL, h->conn, h->conn, NULL, NULL, 0, NULL,
	    "application/timestamp-query", req, NULL, 1, CUST_TSR_MAX,
	    timeout, 0);
	if (in == NULL) {
		cust_ssl_reason(why, sizeof(why));
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: %s", url, why);
	}
	r = body(ctx, url, in, bufp, lenp);
	BIO_free_all(in);
	return r;
}

/* ------------------------------------------------------------- answers */

/* The DER of a whole TimeStampResp, and nothing after it. */
static TS_RESP *
parse(struct cust_ctx *ctx, const char *subject, const unsigned char *der,
    size_t n)
{
	const unsigned char *p = der;
	TS_RESP *resp;

	if (n > CUST_TSR_MAX) {
		cust_set_error(ctx, 0, CUST_FAILED, "%s: larger than %d bytes",
		    subject, CUST_TSR_MAX);
		return NULL;
	}
	if ((resp = d2i_TS_RESP(NULL, &p, (long)n)) == NULL) {
		cust_set_ssl_error(ctx, CUST_FAILED, "%s: not a DER "
		    "TimeStampResp", subject);
		return NULL;
	}
	if (p != der + n) {
		TS_RESP_free(resp);
		cust_set_error(ctx, 0, CUST_FAILED, "%s: data after the "
		    "TimeStampResp", subject);
		return NULL;
	}
	return resp;
}

/* Granted (0) or granted with modifications (1), with a token. */
static int
granted(struct cust_ctx *ctx, const char *subject, TS_RESP *resp)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(si);
	const ASN1_UTF8STRING *t = sk_ASN1_UTF8STRING_value(text, 0);
	long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	char said[160] = "";

	if (t != NULL && ASN1_STRING_length(t) > 0)
		snprintf(said, sizeof(said), ": %.*s", ASN1_STRING_length(t) >
		    128 ? 128 : ASN1_STRING_length(t),
		    (const char *)ASN1_STRING_get0_data(t));
	for (char *c = said; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (status != 0 && status != 1)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the TSA "
		    "refused (status %ld%s)", subject, status, said);
	if (TS_RESP_get_token(resp) == NULL ||
	    TS_RESP_get_tst_info(resp) == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: granted, but "
		    "no token", subject);
	return CUST_OK;
}

/* The token's imprint must be SHA-256 and equal MD. */
static int
imprint(struct cust_ctx *ctx, const char *subject, TS_TST_INFO *tst,
    const unsigned char md[32])
{
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
	const ASN1_OBJECT *obj;
	ASN1_OCTET_STRING *msg;

	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	if (OBJ_obj2nid(obj) != NID_sha256)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the imprint "
		    "is not SHA-256", subject);
	msg = TS_MSG_IMPRINT_get_msg(mi);
	if (ASN1_STRING_length(msg) != 32 ||
	    memcmp(ASN1_STRING_get0_data(msg), md, 32) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the imprint "
		    "is not the SHA-256 of this signature file: the token "
		    "covers other data", subject);
	return CUST_OK;
}

/* The TSA's answer to our request: granted, our imprint, our nonce. */
static int
answer(struct cust_ctx *ctx, const char *url, const unsigned char *der,
    size_t n, const unsigned char md[32], const ASN1_INTEGER *nonce)
{
	TS_RESP *resp;
	const ASN1_INTEGER *got;
	int r;

	if ((resp = parse(ctx, url, der, n)) == NULL)
		return CUST_FAILED;
	if ((r = granted(ctx, url, resp)) == CUST_OK &&
	    (r = imprint(ctx, url, TS_RESP_get_tst_info(resp), md)) ==
	    CUST_OK) {
		got = TS_TST_INFO_get_nonce(TS_RESP_get_tst_info(resp));
		if (got == NULL || ASN1_INTEGER_cmp(got, nonce) != 0)
			r = cust_set_error(ctx, 0, CUST_FAILED, "%s: the token "
			    "does not carry our nonce (a replayed answer?)",
			    url);
	}
	TS_RESP_free(resp);
	return r;
}

int
cust_tsa_request(struct cust_ctx *ctx, const char *url, int timeout,
    const void *data, size_t len, unsigned char **derp, size_t *lenp)
{
	struct http h;
	ASN1_INTEGER *nonce = NULL;
	unsigned char md[32], *der = NULL;
	BIO *req = NULL;
	size_t n = 0;
	int r;

	*derp = NULL;
	*lenp = 0;
	memset(&h, 0, sizeof(h));
	if (timeout <= 0)
		timeout = CUST_TSA_TIMEOUT;
	if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
		return cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
	if ((r = parse_url(ctx, url, &h)) != CUST_OK ||
	    (r = make_request(ctx, md, &nonce, &req)) != CUST_OK ||
	    (r = dial(ctx, url, &h, timeout)) != CUST_OK ||
	    (r = exchange(ctx, url, &h, req, timeout, &der, &n)) != CUST_OK ||
	    (r = answer(ctx, url, der, n, md, nonce)) != CUST_OK)
		goto out;
	*derp = der;
	*lenp = n;
	der = NULL;
out:
	free(der);
	ASN1_INTEGER_free(nonce);
	BIO_free(req);
	done(&h);
	return r;
}

/* -------------------------------------------------------- verification */

void
cust_tsa_token_fini(struct cust_tsa_token *t)
{
	free(t->tsa);
	t->tsa = NULL;
}

/* The certificate that signed TOKEN, from its own certificates. */
static X509 *
signer_of(PKCS7 *token)
{
	STACK_OF(X509) *sk;
	X509 *x = NULL;

	ERR_set_mark();
	if ((sk = PKCS7_get0_signers(token, NULL, 0)) != NULL &&
	    sk_X509_num(sk) == 1)
		x = sk_X509_value(sk, 0);
	sk_X509_free(sk);
	ERR_pop_to_mark();
	return x;
}

/* Who the TSA is: its certificate's subject, else its tsa name. */
static int
tsa_name(struct cust_tsa_token *t, X509 *signer, TS_TST_INFO *tst)
{
	GENERAL_NAME *gn = TS_TST_INFO_get_tsa(tst);

	if (signer != NULL)
		t->tsa = cust_x509_subject(signer);
	else if (gn != NULL && gn->type == GEN_DIRNAME)
		t->tsa = cust_x509_name(gn->d.directoryName);
	else
		return CUST_OK;
	return t->tsa != NULL ? CUST_OK : CUST_FATAL;
}

/* RFC 3161 2.3: the extended key usage is critical and timeStamping. */
static int
tsa_eku(struct cust_ctx *ctx, const char *subject, X509 *signer)
{
	int i;

	if (signer == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the token "
		    "does not hold the TSA's certificate", subject);
	i = X509_get_ext_by_NID(signer, NID_ext_key_usage, -1);
	if (i < 0 || !(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    X509_get_extended_key_usage(signer) != XKU_TIMESTAMP)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the TSA "
		    "certificate's extended key usage is not timeStamping "
		    "alone", subject);
	if (!X509_EXTENSION_get_critical(X509_get_ext(signer, i)))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: the TSA "
		    "certificate's timeStamping extended key usage is not "
		    "critical", subject);
	return CUST_OK;
}

/* The chain to the CA at genTime, for a clear message on failure. */
static int
tsa_chain(struct cust_ctx *ctx, const char *subject, X509_STORE *st,
    X509 *signer, PKCS7 *token)
{
	X509_STORE_CTX *xc;
	int ok, err;

	if ((xc = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(xc, st, signer, PKCS7_type_is_signed(token) ?
	    token->d.sign->cert : NULL) != 1) {
		X509_STORE_CTX_free(xc);
		return cust_set_ssl_error(ctx, CUST_FATAL, "%s", subject);
	}
	X509_STORE_CTX_set_purpose(xc, X509_PURPOSE_TIMESTAMP_SIGN);
	ok = X509_verify_cert(xc);
	err = X509_STORE_CTX_get_error(xc);
	X509_STORE_CTX_free(xc);
	ERR_clear_error();
	if (ok == 1)
		return CUST_OK;
	return cust_set_error(ctx, 0, CUST_FAILED, "%s: the TSA certificate "
	    "does not chain to the TSA CA at genTime: %s", subject,
	    X509_verify_cert_error_string(err));
}

/* The CMS signature over the TSTInfo, and the ESS certificate binding. */
static int
tsa_signature(struct cust_ctx *ctx, const char *subject,
    const struct cust_castore *ca, time_t at, PKCS7 *token)
{
	TS_VERIFY_CTX *vc;
	X509_STORE *st;
	char why[512];
	int ok;

	if ((st = cust_castore_store(ctx, ca, 0, &at)) == NULL)
		return CUST_FATAL;
	if ((vc = TS_VERIFY_CTX_new()) == NULL) {
		X509_STORE_free(st);
		return cust_set_ssl_error(ctx, CUST_FATAL, "%s", subject);
	}
	/* The context frees the store it is given. */
	TS_VERIFY_CTX_set_store(vc, st);
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_SIGNATURE | TS_VFY_VERSION);
	ERR_clear_error();
	ok = TS_RESP_verify_token(vc, token);
	TS_VERIFY_CTX_free(vc);
	if (ok == 1)
		return CUST_OK;
	cust_ssl_reason(why, sizeof(why));
	return cust_set_error(ctx, 0, CUST_FAILED, "%s: the TSA's signature "
	    "does not verify: %s", subject, why);
}

static int
trusted(struct cust_ctx *ctx, const char *subject,
    const struct cust_castore *ca, time_t at, PKCS7 *token, X509 *signer)
{
	X509_STORE *st;
	int r;

	if ((r = tsa_eku(ctx, subject, signer)) != CUST_OK)
		return r;
	if ((st = cust_castore_store(ctx, ca, 0, &at)) == NULL)
		return CUST_FATAL;
	r = tsa_chain(ctx, subject, st, signer, token);
	X509_STORE_free(st);
	if (r != CUST_OK)
		return r;
	return tsa_signature(ctx, subject, ca, at, token);
}

/* genTime, and the token's accuracy rounded up to whole seconds. */
static int
gentime(struct cust_ctx *ctx, const char *subject, TS_TST_INFO *tst,
    struct cust_tsa_token *t)
{
	TS_ACCURACY *acc = TS_TST_INFO_get_accuracy(tst);
	long s;

	if (cust_asn1_time(TS_TST_INFO_get_time(tst), &t->gen_time,
	    t->gen_time_text) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: genTime is "
		    "not a time", subject);
	t->accuracy = 0;
	if (acc != NULL) {
		s = ASN1_INTEGER_get(TS_ACCURACY_get_seconds(acc));
		t->accuracy = s > 0 && s < 86400 ? s : 0;
		if (TS_ACCURACY_get_millis(acc) != NULL ||
		    TS_ACCURACY_get_micros(acc) != NULL)
			t->accuracy++;
	}
	return CUST_OK;
}

int
cust_tsa_check(struct cust_ctx *ctx, const char *subject, const void *der,
    size_t n, const void *data, size_t len, const struct cust_castore *ca,
    struct cust_tsa_token *t)
{
	unsigned char md[32];
	TS_TST_INFO *tst;
	TS_RESP *resp;
	X509 *signer;
	int r;

	memset(t, 0, sizeof(*t));
	if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
		return cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
	if ((resp = parse(ctx, subject, der, n)) == NULL)
		return CUST_FAILED;
	tst = TS_RESP_get_tst_info(resp);
	if ((r = granted(ctx, subject, resp)) != CUST_OK ||
	    (r = imprint(ctx, subject, tst, md)) != CUST_OK ||
	    (r = gentime(ctx, subject, tst, t)) != CUST_OK)
		goto out;
	signer = signer_of(TS_RESP_get_token(resp));
	if ((r = tsa_name(t, signer, tst)) != CUST_OK) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", subject);
		goto out;
	}
	if (ca != NULL && (r = trusted(ctx, subject, ca, t->gen_time,
	    TS_RESP_get_token(resp), signer)) == CUST_OK)
		t->verified = true;
out:
	TS_RESP_free(resp);
	if (r != CUST_OK)
		cust_tsa_token_fini(t);
	return r;
}
