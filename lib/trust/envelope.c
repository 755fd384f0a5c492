/*
 * envelope.c: confidential bundles.  collect encrypts the bundle's byte
 * stream, as it leaves, into CMS AuthEnvelopedData (RFC 5083) with
 * AES-256-GCM, to X.509 recipients (RSA-OAEP with SHA-256, or ECDH on
 * P-256/P-384), in OpenSSL's streaming form: BER with indefinite lengths
 * and the content in pieces, so nothing is held whole and nothing in
 * clear touches a disk.  `openssl cms -decrypt` reads it unchanged.
 *
 * The reader cannot hand the stream to d2i_CMS_bio: OpenSSL would hold
 * all of it in memory, and it wants the GCM tag, which comes last, before
 * the first byte is decrypted.  So it parses the envelope itself, strictly
 * in the form written here: the header (recipients and algorithm) is given
 * to OpenSSL as a CMS of its own with an empty content and a stand-in tag,
 * OpenSSL recovers the content key with the investigator's private key,
 * and the content pieces are fed through the cipher BIO that CMS_dataInit
 * makes; the real tag is set just before the cipher's final, which fails
 * when a byte was changed or cut.  A thread does this and writes the clear
 * bytes to a pipe, whose other end a reader of bundles takes as its input;
 * it hashes every byte of the envelope as it reads, for the sidecar and
 * the custody log, which commit to the ciphertext.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "trust/pki.h"

#define CERT_MAX	(64 * 1024)	/* a recipient's certificate file */

/* ------------------------------------------------------------ encrypting */

struct cust_recipients {
	STACK_OF(X509)	*certs;		/* owned */
};

struct cust_envelope {
	struct cust_ctx	*ctx;		/* borrowed */
	CMS_ContentInfo	*cms;		/* owned */
	BIO		*out;		/* owned: the sink below the chain */
	BIO		*in;		/* owned: the chain's head */
	BIO_METHOD	*meth;		/* owned */
	cust_out_fn	 fn;
	void		*arg;		/* borrowed */
	int		 err;		/* first errno from fn */
	unsigned char	*buf;		/* owned: OUTBUF bytes for fn */
	size_t		 len;
};

/* OpenSSL's cipher BIO hands on 4 KiB at a time, and the ASN.1 BIO writes
 * each piece's header apart: gathered, they leave in few large writes. */
#define OUTBUF		(256 * 1024)

void
cust_recipients_free(struct cust_recipients *rs)
{
	if (rs == NULL)
		return;
	sk_X509_pop_free(rs->certs, X509_free);
	free(rs);
}

/* Only keys that OpenSSL 3.0's CMS can take, at today's strength. */
static int
usable(struct cust_ctx *ctx, const char *path, X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];

	if (pk != NULL && EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) >= 3072)
			return CUST_OK;
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: an RSA key of "
		    "%d bits (3072 or more are needed)", path,
		    EVP_PKEY_get_bits(pk));
	}
	if (pk != NULL && EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group),
	    NULL) == 1 && (strcmp(group, "prime256v1") == 0 ||
	    strcmp(group, "secp384r1") == 0))
		return CUST_OK;
	return cust_set_error(ctx, 0, CUST_FAILED, "%s: not an RSA (3072 bits "
	    "or more), P-256 or P-384 key; OpenSSL 3.0's CMS cannot encrypt "
	    "to X25519", path);
}

static int
add_cert(struct cust_ctx *ctx, struct cust_recipients *rs, const char *path)
{
	X509 *x;
	BIO *b;
	int r;

	if ((r = cust_pki_read(ctx, path, CERT_MAX, false, &b)) != CUST_OK)
		return r;
	x = PEM_read_bio_X509(b, NULL, cust_pem_nopass, NULL);
	BIO_free(b);
	if (x == NULL)
		return cust_set_ssl_error(ctx, CUST_FAILED, "%s: not a PEM "
		    "certificate", path);
	if ((r = usable(ctx, path, x)) != CUST_OK) {
		X509_free(x);
		return r;
	}
	if (sk_X509_push(rs->certs, x) <= 0) {
		X509_free(x);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", path);
	}
	return CUST_OK;
}

int
cust_recipients_load(struct cust_ctx *ctx, const char *const *paths,
    size_t n, struct cust_recipients **rsp)
{
	struct cust_recipients *rs;
	int r = CUST_OK;

	*rsp = NULL;
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->certs = sk_X509_new_null()) == NULL) {
		free(rs);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "recipients");
	}
	for (size_t i = 0; i < n && r == CUST_OK; i++)
		r = add_cert(ctx, rs, paths[i]);
	if (r != CUST_OK) {
		cust_recipients_free(rs);
		return r;
	}
	*rsp = rs;
	return CUST_OK;
}

/* What the buffer holds goes to fn: false once fn has failed. */
static bool
drain(struct cust_envelope *env)
{
	if (env->err == 0 && env->len > 0)
		env->err = env->fn(env->arg, env->buf, env->len);
	env->len = 0;
	return env->err == 0;
}

static int
sink_write(BIO *b, const char *buf, int n)
{
	struct cust_envelope *env = BIO_get_data(b);
	size_t k = (size_t)n;

	if (env->len + k > OUTBUF && !drain(env))
		return -1;
	if (k >= OUTBUF) {
		if ((env->err = env->fn(env->arg, buf, k)) != 0)
			return -1;
		return n;
	}
	memcpy(env->buf + env->len, buf, k);
	env->len += k;
	return n;
}

static long
sink_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* One recipient info; RSA keys are used with OAEP and SHA-256, never with
 * PKCS #1 v1.5. */
static int
recipient(struct cust_envelope *env, X509 *x)
{
	CMS_RecipientInfo *ri;
	EVP_PKEY_CTX *pc;

	ri = CMS_add1_recipient(env->cms, x, NULL, NULL, CMS_KEY_PARAM);
	if (ri == NULL)
		return cust_set_ssl_error(env->ctx, CUST_FAILED, "recipient");
	if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS)
		return CUST_OK;
	if ((pc = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) <= 0)
		return cust_set_ssl_error(env->ctx, CUST_FAILED, "recipient");
	return CUST_OK;
}

/* Free up the chain down to the sink, which is freed last. */
static void
unchain(struct cust_envelope *env)
{
	BIO *b = env->in, *next;

	while (b != NULL && b != env->out) {
		next = BIO_pop(b);
		BIO_free(b);
		b = next;
	}
	env->in = NULL;
}

void
cust_envelope_free(struct cust_envelope *env)
{
	if (env == NULL)
		return;
	unchain(env);
	BIO_free(env->out);
	BIO_meth_free(env->meth);
	CMS_ContentInfo_free(env->cms);
	free(env->buf);
	free(env);
}

int
cust_envelope_new(struct cust_ctx *ctx, const struct cust_recipients *rs,
    cust_out_fn fn, void *arg, struct cust_envelope **envp)
{
	struct cust_envelope *env;
	int r = CUST_OK;

	*envp = NULL;
	if ((env = calloc(1, sizeof(*env))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "envelope");
	env->ctx = ctx;
	env->fn = fn;
	env->arg = arg;
	if ((env->buf = malloc(OUTBUF)) == NULL) {
		free(env);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "envelope");
	}
	if ((env->cms = CMS_AuthEnvelopedData_create(EVP_aes_256_gcm())) ==
	    NULL || (env->meth = BIO_meth_new(BIO_get_new_index() |
	    BIO_TYPE_SOURCE_SINK, "custody envelope")) == NULL ||
	    BIO_meth_set_write(env->meth, sink_write) != 1 ||
	    BIO_meth_set_ctrl(env->meth, sink_ctrl) != 1 ||
	    (env->out = BIO_new(env->meth)) == NULL) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "envelope");
		goto fail;
	}
	BIO_set_data(env->out, env);
	BIO_set_init(env->out, 1);
	for (int i = 0; i < sk_X509_num(rs->certs) && r == CUST_OK; i++)
		r = recipient(env, sk_X509_value(rs->certs, i));
	if (r != CUST_OK)
		goto fail;
	/* The header, with every recipient's wrapped key, is written now. */
	if ((env->in = BIO_new_CMS(env->out, env->cms)) == NULL) {
		r = env->err != 0 ? cust_set_error(ctx, env->err, CUST_FATAL,
		    "envelope") : cust_set_ssl_error(ctx, CUST_FATAL,
		    "envelope");
		goto fail;
	}
	*envp = env;
	return CUST_OK;
fail:
	cust_envelope_free(env);
	return r;
}

int
cust_envelope_write(struct cust_envelope *env, const void *buf, size_t n)
{
	const char *p = buf;
	int k;

	while (n > 0) {
		k = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
		if (BIO_write(env->in, p, k) != k) {
			ERR_clear_error();
			return env->err != 0 ? env->err : EIO;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
cust_envelope_end(struct cust_envelope *env)
{
	/* The flush writes the last piece, the end of the content, the GCM
	 * tag and the end-of-contents octets. */
	if (BIO_flush(env->in) != 1 || !drain(env)) {
		ERR_clear_error();
		return env->err != 0 ? env->err : EIO;
	}
	return 0;
}
