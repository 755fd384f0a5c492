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
 *
 * The ciphertext leaves on a thread of its own: the writer encrypts into
 * one of NBUF buffers while the thread hands the ones before it, in
 * order, to the output function (the sink's write, hash and flush).
 * Encrypting in series with the writing made a plain tar 0.7 times as
 * fast as without recipients; side by side, AES-GCM costs the writer
 * less than the SHA-256 and write(2) it hands on.  Only ciphertext is
 * ever in those buffers.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

/* OpenSSL's cipher BIO hands on 4 KiB at a time, and the ASN.1 BIO writes
 * each piece's header apart: gathered, they leave in few large writes. */
#define OUTBUF		(256 * 1024)
/* Buffers: the one being filled, and those queued for the thread. */
#define NBUF		4

struct cust_envelope {
	struct cust_ctx	*ctx;		/* borrowed */
	CMS_ContentInfo	*cms;		/* owned */
	BIO		*out;		/* owned: the sink below the chain */
	BIO		*in;		/* owned: the chain's head */
	BIO_METHOD	*meth;		/* owned */
	cust_out_fn	 fn;
	void		*arg;		/* borrowed */
	unsigned char	*buf[NBUF];	/* owned: OUTBUF bytes each */
	size_t		 len[NBUF];
	/* Buffers by number: those below `queued` were handed over, the
	 * writer fills buffer `queued`; those below `done` have left. */
	uint64_t	 queued;
	uint64_t	 done;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* a buffer queued, or a stop */
	pthread_cond_t	 room;		/* a buffer left, or fn failed */
	pthread_t	 thread;
	bool		 running;	/* the thread was started */
	bool		 stopping;	/* the thread leaves when idle */
	bool		 cancel;	/* the thread leaves at once */
	int		 err;		/* fn's first errno: under mu once
					   the thread runs */
};

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

/* The errno of fn's first failure, or 0. */
static int
failed(struct cust_envelope *env)
{
	int e;

	if (!env->running)
		return env->err;
	pthread_mutex_lock(&env->mu);
	e = env->err;
	pthread_mutex_unlock(&env->mu);
	return e;
}

/* The thread: queued buffers go to fn, oldest first, until a stop, or
 * until fn fails (its errno is kept, and nothing after it is written). */
static void *
emit(void *arg)
{
	struct cust_envelope *env = arg;
	size_t i;
	int e;

	pthread_setname_np(pthread_self(), "custody-seal");
	pthread_mutex_lock(&env->mu);
	for (;;) {
		while (!env->cancel && env->done == env->queued &&
		    !env->stopping)
			pthread_cond_wait(&env->more, &env->mu);
		if (env->cancel || env->done == env->queued)
			break;
		i = (size_t)(env->done % NBUF);
		pthread_mutex_unlock(&env->mu);
		e = env->fn(env->arg, env->buf[i], env->len[i]);
		pthread_mutex_lock(&env->mu);
		if (e != 0) {
			env->err = e;
			break;
		}
		env->len[i] = 0;
		env->done++;
		pthread_cond_signal(&env->room);
	}
	env->cancel = true;	/* the writer waits no more */
	pthread_cond_signal(&env->room);
	pthread_mutex_unlock(&env->mu);
	return NULL;
}

/* The buffer being filled is handed over, and the next one waited for:
 * false once fn has failed or the thread has stopped. */
static bool
drain(struct cust_envelope *env)
{
	size_t i = (size_t)(env->queued % NBUF);
	bool ok;

	if (env->len[i] == 0)
		return failed(env) == 0;
	if (!env->running) {	/* stopped: nothing more leaves */
		env->len[i] = 0;
		return false;
	}
	pthread_mutex_lock(&env->mu);
	env->queued++;
	pthread_cond_signal(&env->more);
	while (!env->cancel && env->queued - env->done == NBUF)
		pthread_cond_wait(&env->room, &env->mu);
	ok = env->err == 0 && !env->cancel;
	pthread_mutex_unlock(&env->mu);
	return ok;
}

static int
sink_write(BIO *b, const char *buf, int n)
{
	struct cust_envelope *env = BIO_get_data(b);
	size_t i, k, left = (size_t)n;

	while (left > 0) {
		i = (size_t)(env->queued % NBUF);
		k = OUTBUF - env->len[i] < left ? OUTBUF - env->len[i] : left;
		memcpy(env->buf[i] + env->len[i], buf, k);
		env->len[i] += k;
		buf += k;
		left -= k;
		if (env->len[i] == OUTBUF && !drain(env))
			return -1;
	}
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

/* Stop the thread: with CANCEL at once, else once every queued buffer
 * has left.  Nothing reaches fn after it, whatever OpenSSL still writes
 * (as it frees the chain, say). */
static void
halt(struct cust_envelope *env, bool cancel)
{
	if (env->running) {
		pthread_mutex_lock(&env->mu);
		env->cancel |= cancel;
		env->stopping = true;
		pthread_cond_signal(&env->more);
		pthread_mutex_unlock(&env->mu);
		pthread_join(env->thread, NULL);
		env->running = false;
	}
	env->cancel = true;
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
	halt(env, true);
	unchain(env);
	BIO_free(env->out);
	BIO_meth_free(env->meth);
	CMS_ContentInfo_free(env->cms);
	for (int i = 0; i < NBUF; i++)
		free(env->buf[i]);
	pthread_cond_destroy(&env->room);
	pthread_cond_destroy(&env->more);
	pthread_mutex_destroy(&env->mu);
	free(env);
}

static int
start(struct cust_envelope *env)
{
	int e;

	if ((e = pthread_create(&env->thread, NULL, emit, env)) != 0)
		return cust_set_error(env->ctx, e, CUST_FATAL, "envelope "
		    "thread");
	env->running = true;
	return CUST_OK;
}

int
cust_envelope_new(struct cust_ctx *ctx, const struct cust_recipients *rs,
    cust_out_fn fn, void *arg, struct cust_envelope **envp)
{
	struct cust_envelope *env;
	int e, r = CUST_OK;

	*envp = NULL;
	if ((env = calloc(1, sizeof(*env))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "envelope");
	env->ctx = ctx;
	env->fn = fn;
	env->arg = arg;
	pthread_mutex_init(&env->mu, NULL);
	pthread_cond_init(&env->more, NULL);
	pthread_cond_init(&env->room, NULL);
	for (int i = 0; i < NBUF; i++)
		if ((env->buf[i] = malloc(OUTBUF)) == NULL) {
			r = cust_set_error(ctx, ENOMEM, CUST_FATAL,
			    "envelope");
			goto fail;
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
	if (r != CUST_OK || (r = start(env)) != CUST_OK)
		goto fail;
	/* The header, with every recipient's wrapped key, is written now
	 * (into the first buffer). */
	if ((env->in = BIO_new_CMS(env->out, env->cms)) == NULL) {
		r = (e = failed(env)) != 0 ? cust_set_error(ctx, e,
		    CUST_FATAL, "envelope") : cust_set_ssl_error(ctx,
		    CUST_FATAL, "envelope");
		goto fail;
	}
	*envp = env;
	return CUST_OK;
fail:
	cust_envelope_free(env);
	return r;
}

/* An errno for a failure of OpenSSL's chain: fn's, or EIO. */
static int
chain_error(struct cust_envelope *env)
{
	int e = failed(env);

	ERR_clear_error();
	return e != 0 ? e : EIO;
}

int
cust_envelope_write(struct cust_envelope *env, const void *buf, size_t n)
{
	const char *p = buf;
	int k;

	while (n > 0) {
		k = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
		if (BIO_write(env->in, p, k) != k)
			return chain_error(env);
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
cust_envelope_sync(struct cust_envelope *env)
{
	if (!drain(env))
		return chain_error(env);
	if (env->running) {
		pthread_mutex_lock(&env->mu);
		while (!env->cancel && env->done != env->queued)
			pthread_cond_wait(&env->room, &env->mu);
		pthread_mutex_unlock(&env->mu);
	}
	return failed(env);
}

int
cust_envelope_error(struct cust_envelope *env)
{
	return failed(env);
}

int
cust_envelope_end(struct cust_envelope *env)
{
	/* The flush writes the last piece, the end of the content, the GCM
	 * tag and the end-of-contents octets; then every buffer leaves. */
	if (BIO_flush(env->in) != 1 || !drain(env))
		return chain_error(env);
	halt(env, false);
	return env->err;
}
