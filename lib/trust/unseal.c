/*
 * unseal.c: reading a confidential bundle (envelope.c writes it) with an
 * investigator's private key, in one streaming pass and bounded memory.
 *
 * d2i_CMS_bio would hold the whole envelope in memory, and OpenSSL wants
 * the GCM tag, which comes last, before it decrypts a byte.  So the
 * envelope is parsed here, strictly in the one form envelope.c writes
 * (OpenSSL's streaming BER: indefinite lengths, the content in definite
 * pieces): its header (recipient infos and algorithm) goes to OpenSSL as a
 * CMS of its own with an empty content and a stand-in tag; OpenSSL
 * recovers the content key with the private key; the pieces are fed
 * through the cipher BIO that CMS_dataInit makes, and the real tag is set
 * on the cipher just before its final, which fails when a byte was changed
 * or cut.  A thread does this and writes the clear bytes to a pipe, which
 * a bundle reader takes as its input: they live only in memory.  Every
 * byte of the envelope is hashed as it is read: the sidecar and the
 * custody log commit to the ciphertext.  Nothing secret (key, content key,
 * clear text) is ever put in a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trust/pki.h"

#define KEY_MAX		(64 * 1024)	/* an identity's key file */
#define RI_MAX		(1024 * 1024)	/* the recipient infos, whole */
#define ALG_MAX		256		/* the content encryption algorithm */
#define TAG_LEN		16
#define INBUF		(64 * 1024)

struct cust_identity {
	EVP_PKEY	*pkey;		/* owned */
	char		*name;		/* owned: the file, for messages */
};

/* The envelope's bytes as they are read: buffered and hashed. */
struct source {
	int		 fd;		/* borrowed */
	unsigned char	 buf[INBUF];
	size_t		 pos, len;
	uint64_t	 bytes;		/* read so far */
	EVP_MD_CTX	*md;		/* owned: SHA-256 of every byte */
	bool		 eof;
	int		 err;		/* errno of a failed read */
};

struct cust_unseal {
	struct cust_ctx	*ctx;		/* borrowed: until the thread starts */
	struct cust_ctx	*tctx;		/* owned: the thread's */
	char		*name;		/* owned */
	struct source	 src;
	CMS_ContentInfo	*cms;		/* owned: the header only */
	BIO_METHOD	*meth;		/* owned */
	BIO		*content;	/* owned: our source of pieces */
	BIO		*chain;		/* owned: cipher BIO on content */
	EVP_CIPHER_CTX	*cipher;	/* borrowed from the chain */
	uint64_t	 piece;		/* bytes left in the current piece */
	bool		 ended;		/* the content's end was met */
	const char	*why;		/* why the envelope is refused */
	int		 rfd, wfd;	/* the clear bytes' pipe */
	pthread_t	 thread;
	bool		 started, joined;
	int		 status;	/* the thread's, once joined */
	char		 sha256[65];
	uint64_t	 bytes;
};

/* ---------------------------------------------------------- identities */

void
cust_identity_free(struct cust_identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->pkey);
	free(id->name);
	free(id);
}

int
cust_identity_load(struct cust_ctx *ctx, const char *path,
    struct cust_identity **idp)
{
	struct cust_identity *id;
	BIO *b;
	int r;

	*idp = NULL;
	if ((r = cust_pki_read(ctx, path, KEY_MAX, true, &b)) != CUST_OK)
		return r;
	if ((id = calloc(1, sizeof(*id))) == NULL ||
	    (id->name = strdup(path)) == NULL) {
		BIO_free(b);
		free(id);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", path);
	}
	id->pkey = PEM_read_bio_PrivateKey(b, NULL, cust_pem_nopass, NULL);
	BIO_free(b);
	if (id->pkey == NULL) {
		cust_identity_free(id);
		/* OpenSSL's reason names no byte of the file. */
		return cust_set_ssl_error(ctx, CUST_FAILED, "%s: not an "
		    "unencrypted PEM private key", path);
	}
	*idp = id;
	return CUST_OK;
}

/* ------------------------------------------------------------ the source */

static bool
fill(struct source *s)
{
	ssize_t n;

	if (s->pos < s->len)
		return true;
	if (s->eof || s->err != 0)
		return false;
	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		s->err = errno;
	if (n <= 0) {
		s->eof = n == 0;
		return false;
	}
	if (EVP_DigestUpdate(s->md, s->buf, (size_t)n) != 1)
		s->err = EIO;
	s->pos = 0;
	s->len = (size_t)n;
	s->bytes += (uint64_t)n;
	return s->err == 0;
}

/* Copy N bytes to P (NULL: skip them).  false when the envelope ends. */
static bool
take(struct source *s, void *p, size_t n)
{
	unsigned char *c = p;
	size_t k;

	while (n > 0) {
		if (!fill(s))
			return false;
		k = s->len - s->pos < n ? s->len - s->pos : n;
		if (c != NULL) {
			memcpy(c, s->buf + s->pos, k);
			c += k;
		}
		s->pos += k;
		n -= k;
	}
	return true;
}

/* A tag and a definite length (or -1 for indefinite) of at most 4 bytes. */
static bool
tl(struct source *s, unsigned char *tag, int64_t *len, unsigned char *raw,
    size_t *rawlen)
{
	unsigned char b[6];
	size_t n, i;

	if (!take(s, b, 2))
		return false;
	*tag = b[0];
	n = 2;
	if (b[1] == 0x80)
		*len = -1;
	else if (b[1] < 0x80)
		*len = b[1];
	else {
		if ((b[1] & 0x7f) > 4 || !take(s, b + 2, b[1] & 0x7f))
			return false;
		n += b[1] & 0x7f;
		for (*len = 0, i = 2; i < n; i++)
			*len = *len << 8 | b[i];
	}
	if (raw != NULL)
		memcpy(raw, b, n);
	if (rawlen != NULL)
		*rawlen = n;
	return true;
}

/* ------------------------------------------------------------ the header */

static const unsigned char OID_AUTHENV[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48,
	0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17 };
static const unsigned char OID_DATA[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
	0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };

/* The header's bytes, copied into the CMS given to OpenSSL. */
struct hdr {
	unsigned char	*p;		/* owned */
	size_t		 len, cap;
};

static bool
add(struct hdr *h, const void *p, size_t n)
{
	unsigned char *q;

	if (h->len + n > h->cap) {
		if ((q = realloc(h->p, h->len + n + 256)) == NULL)
			return false;
		h->p = q;
		h->cap = h->len + n + 256;
	}
	memcpy(h->p + h->len, p, n);
	h->len += n;
	return true;
}

/* Bytes that must come next, exactly. */
static bool
expect(struct source *s, const unsigned char *want, size_t n)
{
	unsigned char got[16];

	return n <= sizeof(got) && take(s, got, n) && memcmp(got, want, n)
	    == 0;
}

/* A definite TLV of tag TAG, at most MAX bytes, copied into H. */
static bool
copy_tlv(struct source *s, unsigned char tag, int64_t max, struct hdr *h)
{
	unsigned char raw[6], t, *body;
	size_t rawlen;
	int64_t len;
	bool ok;

	if (!tl(s, &t, &len, raw, &rawlen) || t != tag || len < 0 ||
	    len > max || (body = malloc((size_t)len + 1)) == NULL)
		return false;
	ok = take(s, body, (size_t)len) && add(h, raw, rawlen) &&
	    add(h, body, (size_t)len);
	free(body);
	return ok;
}

/* Read up to the first piece of content and build the header's CMS: its
 * content empty, its tag a stand-in of the right length. */
static int
header(struct cust_unseal *u)
{
	static const unsigned char open[] = { 0xa0, 0x80, 0x30, 0x80 };
	static const unsigned char ver[] = { 0x02, 0x01, 0x00 };
	static const unsigned char seq[] = { 0x30, 0x80 };
	static const unsigned char tail[] = { 0x80, 0x00, 0x00, 0x00, 0x04,
		TAG_LEN, [6 + TAG_LEN - 1] = 0, 0, 0, 0, 0, 0, 0 };
	struct source *s = &u->src;
	struct hdr h = { 0 };
	const unsigned char *p;
	bool ok;

	ok = expect(s, seq, 2) && add(&h, seq, 2) &&
	    expect(s, OID_AUTHENV, sizeof(OID_AUTHENV)) &&
	    add(&h, OID_AUTHENV, sizeof(OID_AUTHENV)) &&
	    expect(s, open, 4) && add(&h, open, 4) &&
	    expect(s, ver, 3) && add(&h, ver, 3) &&
	    copy_tlv(s, 0x31, RI_MAX, &h) &&
	    expect(s, seq, 2) && add(&h, seq, 2) &&
	    expect(s, OID_DATA, sizeof(OID_DATA)) &&
	    add(&h, OID_DATA, sizeof(OID_DATA)) &&
	    copy_tlv(s, 0x30, ALG_MAX, &h) &&
	    expect(s, (const unsigned char *)"\xa0\x80", 2) &&
	    add(&h, tail, sizeof(tail));
	if (!ok) {
		free(h.p);
		u->why = "not an AuthEnvelopedData in the streaming form "
		    "custody writes";
		return s->err != 0 ? cust_set_error(u->ctx, s->err,
		    CUST_FATAL, "%s", u->name) : cust_set_error(u->ctx, 0,
		    CUST_FAILED, "%s: %s", u->name, u->why);
	}
	p = h.p;
	u->cms = d2i_CMS_ContentInfo(NULL, &p, (long)h.len);
	free(h.p);
	if (u->cms == NULL)
		return cust_set_ssl_error(u->ctx, CUST_FAILED, "%s: envelope "
		    "header", u->name);
	return CUST_OK;
}

bool
cust_unseal_sniff(const void *buf, size_t n)
{
	return n >= 2 + sizeof(OID_AUTHENV) && memcmp(buf, "\x30\x80", 2) ==
	    0 && memcmp((const char *)buf + 2, OID_AUTHENV,
	    sizeof(OID_AUTHENV)) == 0;
}

/* --------------------------------------------------------- the content */

/* After the content's end: the tag, and the end of every open value,
 * then nothing.  Sets u->why when the envelope is not whole. */
static bool
trailer(struct cust_unseal *u)
{
	static const unsigned char eoc[] = { 0, 0 };
	unsigned char tag[TAG_LEN], t;
	struct source *s = &u->src;
	int64_t len;

	if (!expect(s, eoc, 2) || !tl(s, &t, &len, NULL, NULL) || t != 0x04 ||
	    len != TAG_LEN || !take(s, tag, TAG_LEN) || !expect(s, eoc, 2) ||
	    !expect(s, eoc, 2) || !expect(s, eoc, 2)) {
		u->why = "cut short, or not the form custody writes, after "
		    "its content";
		return false;
	}
	if (fill(s) || s->err != 0) {
		u->why = s->err != 0 ? "read error" :
		    "bytes after the end of the envelope";
		return false;
	}
	if (EVP_CIPHER_CTX_ctrl(u->cipher, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
	    tag) <= 0) {
		u->why = "the tag could not be set";
		return false;
	}
	return true;
}

/* The cipher BIO's source: the content's pieces, then end of file. */
static int
content_read(BIO *b, char *out, int want)
{
	struct cust_unseal *u = BIO_get_data(b);
	unsigned char t;
	int64_t len;
	size_t k;

	if (u->ended)
		return 0;
	while (u->piece == 0) {
		if (!tl(&u->src, &t, &len, NULL, NULL))
			goto cut;
		if (t == 0 && len == 0) {
			u->ended = true;
			return trailer(u) ? 0 : -1;
		}
		if (t != 0x04 || len < 0)
			goto cut;
		u->piece = (uint64_t)len;
	}
	k = u->piece < (uint64_t)want ? (size_t)u->piece : (size_t)want;
	if (!fill(&u->src))
		goto cut;
	if (k > u->src.len - u->src.pos)
		k = u->src.len - u->src.pos;
	memcpy(out, u->src.buf + u->src.pos, k);
	u->src.pos += k;
	u->piece -= k;
	return (int)k;
cut:
	u->why = u->src.err != 0 ? "read error" : "cut short, or not the "
	    "form custody writes, in its content";
	return -1;
}

static long
content_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct cust_unseal *u = BIO_get_data(b);

	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_EOF ? u->ended : 0;
}

/* ------------------------------------------------------------- the key */

/* Let OpenSSL try the key on every recipient info of its type, and say
 * so when none is its own, instead of going on with a random key (what
 * it does, against an oracle, by default). */
static int
try_key(struct cust_unseal *u, EVP_PKEY *pk)
{
	if (CMS_decrypt(u->cms, NULL, NULL, NULL, NULL, CMS_DEBUG_DECRYPT) !=
	    1)
		return -1;
	if (CMS_decrypt_set1_pkey(u->cms, pk, NULL) == 1)
		return 1;
	ERR_clear_error();
	return 0;
}

static int
open_content(struct cust_unseal *u)
{
	BIO *c;

	if ((u->meth = BIO_meth_new(BIO_get_new_index() |
	    BIO_TYPE_SOURCE_SINK, "custody content")) == NULL ||
	    BIO_meth_set_read(u->meth, content_read) != 1 ||
	    BIO_meth_set_ctrl(u->meth, content_ctrl) != 1 ||
	    (u->content = BIO_new(u->meth)) == NULL)
		return cust_set_ssl_error(u->ctx, CUST_FATAL, "%s", u->name);
	BIO_set_data(u->content, u);
	BIO_set_init(u->content, 1);
	if ((u->chain = CMS_dataInit(u->cms, u->content)) == NULL ||
	    (c = BIO_find_type(u->chain, BIO_TYPE_CIPHER)) == NULL ||
	    BIO_get_cipher_ctx(c, &u->cipher) != 1)
		return cust_set_ssl_error(u->ctx, CUST_FAILED, "%s: content "
		    "decryption", u->name);
	return CUST_OK;
}

static int
find_key(struct cust_unseal *u, struct cust_identity *const *ids, size_t n)
{
	int k, nri = sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(u->cms));

	for (size_t i = 0; i < n; i++) {
		if ((k = try_key(u, ids[i]->pkey)) < 0)
			return cust_set_ssl_error(u->ctx, CUST_FATAL, "%s",
			    u->name);
		if (k == 1)
			return open_content(u);
	}
	return cust_set_error(u->ctx, 0, CUST_FAILED, "%s: not addressed to "
	    "%s%s: none of its %d recipients is %s", u->name,
	    n > 0 ? ids[0]->name : "any key given", n > 1 ? " or the other "
	    "identities given" : "", nri, n > 1 ? "one of these keys" :
	    "this key");
}

/* ---------------------------------------------------------- the thread */

static int
pump(struct cust_unseal *u)
{
	char buf[INBUF];
	unsigned char md[32];
	int n, e;

	while ((n = BIO_read(u->chain, buf, sizeof(buf))) > 0)
		if ((e = cust_write_all(u->wfd, buf, (size_t)n)) != 0)
			return cust_set_error(u->tctx, e, CUST_FATAL,
			    "%s: clear text", u->name);
	if (u->why == NULL && (!u->ended || BIO_get_cipher_status(
	    BIO_find_type(u->chain, BIO_TYPE_CIPHER)) != 1))
		u->why = "authentication failed: the ciphertext was changed, "
		    "or the envelope is not whole";
	ERR_clear_error();
	OPENSSL_cleanse(buf, sizeof(buf));
	if (u->why != NULL)
		return cust_set_error(u->tctx, u->src.err, CUST_FAILED,
		    "%s: %s", u->name, u->why);
	/* The hash covers what an outside reader has: every byte. */
	while (fill(&u->src))
		u->src.pos = u->src.len;
	if (EVP_DigestFinal_ex(u->src.md, md, NULL) != 1)
		return cust_set_ssl_error(u->tctx, CUST_FATAL, "sha256");
	cust_hex(md, sizeof(md), u->sha256);
	u->bytes = u->src.bytes;
	return CUST_OK;
}

static void *
run(void *arg)
{
	struct cust_unseal *u = arg;
	sigset_t set;

	/* A reader that stops early gets EPIPE here, not a signal. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	u->status = pump(u);
	close(u->wfd);
	u->wfd = -1;
	return NULL;
}

/* ------------------------------------------------------------ the object */

void
cust_unseal_free(struct cust_unseal *u)
{
	if (u == NULL)
		return;
	if (u->started && !u->joined) {
		if (u->rfd >= 0)
			close(u->rfd);
		u->rfd = -1;
		pthread_join(u->thread, NULL);
	}
	if (u->rfd >= 0)
		close(u->rfd);
	if (u->wfd >= 0)
		close(u->wfd);
	BIO_free_all(u->chain);
	if (u->chain == NULL)
		BIO_free(u->content);
	BIO_meth_free(u->meth);
	CMS_ContentInfo_free(u->cms);
	EVP_MD_CTX_free(u->src.md);
	cust_ctx_free(u->tctx);
	free(u->name);
	free(u);
}

static int
start(struct cust_unseal *u)
{
	int p[2], e;

	if (pipe2(p, O_CLOEXEC) != 0)
		return cust_set_error(u->ctx, errno, CUST_FATAL, "%s", u->name);
	u->rfd = p[0];
	u->wfd = p[1];
	if ((e = pthread_create(&u->thread, NULL, run, u)) != 0)
		return cust_set_error(u->ctx, e, CUST_FATAL, "%s", u->name);
	u->started = true;
	return CUST_OK;
}

int
cust_unseal_start(struct cust_ctx *ctx, int fd, const char *name,
    struct cust_identity *const *ids, size_t n, struct cust_unseal **up)
{
	struct cust_unseal *u;
	int r;

	*up = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", name);
	u->ctx = ctx;
	u->rfd = u->wfd = -1;
	u->src.fd = fd;
	if ((u->name = strdup(name)) == NULL ||
	    (r = cust_ctx_new(&u->tctx)) != CUST_OK) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", name);
		goto fail;
	}
	if ((u->src.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(u->src.md, EVP_sha256(), NULL) != 1) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "sha256");
		goto fail;
	}
	if ((r = header(u)) != CUST_OK || (r = find_key(u, ids, n)) !=
	    CUST_OK || (r = start(u)) != CUST_OK)
		goto fail;
	*up = u;
	return CUST_OK;
fail:
	cust_unseal_free(u);
	return r;
}

int
cust_unseal_fd(const struct cust_unseal *u)
{
	return u->rfd;
}

int
cust_unseal_end(struct cust_unseal *u, struct cust_ctx *ctx,
    char sha256[65], uint64_t *bytes)
{
	if (!u->joined) {
		/* What the reader left unread is drained, or dropped. */
		if (u->rfd >= 0)
			close(u->rfd);
		u->rfd = -1;
		pthread_join(u->thread, NULL);
		u->joined = true;
	}
	if (u->status != CUST_OK)
		return cust_ctx_pass(ctx, u->tctx, u->status);
	memcpy(sha256, u->sha256, 65);
	*bytes = u->bytes;
	return CUST_OK;
}
