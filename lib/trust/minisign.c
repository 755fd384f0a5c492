/*
 * minisign.c: signing keys and signatures.  Keys are Ed25519 through OpenSSL;
 * public key and signature files are minisign's, so that anyone can check a
 * seal with minisign(1) alone.  The secret key file is PKCS#8 PEM rather
 * than minisign's scrypt-wrapped format, which would need libsodium.  The
 * parsers read attacker-made bytes: every length is checked before use.
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
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trust/trust.h"

#define PKLEN		CUST_ED25519_LEN
#define IDLEN		CUST_KEYID_LEN
#define SIGLEN		64	/* an Ed25519 signature */
#define HASHLEN		64	/* BLAKE2b-512 */
#define SEC_MAX		65536	/* a PEM Ed25519 key is about 120 bytes */
#define COMMENT		"untrusted comment: "
#define TRUSTED		"trusted comment: "
/* minisign reads an untrusted comment line into 1024 bytes with fgets. */
#define UNTRUSTED_MAX	(1024 - sizeof(COMMENT) - 1)

/* minisign's blobs: 2 bytes of algorithm, the key ID, the key or signature */
#define PUBBLOB		(2 + IDLEN + PKLEN)
#define SIGBLOB		(2 + IDLEN + SIGLEN)
#define B64LEN(n)	(((n) + 2) / 3 * 4)

/*
 * A key has two IDs.  ID is minisign's: the 8 bytes carried beside the key
 * in its files and signatures, which minisign chooses at random and which
 * anyone can copy.  OWN is custody's: the first 8 bytes of the SHA-256 of
 * the public key, so it names this key and no other.  custody's own keys
 * carry OWN as their ID; every ID custody prints is OWN.
 */
struct cust_key {
	EVP_PKEY	*pkey;		/* owned */
	unsigned char	 id[IDLEN];
	unsigned char	 own[IDLEN];
	unsigned char	 pk[PKLEN];
	bool		 secret;
};

struct cust_sig {
	unsigned char	 id[IDLEN];
	unsigned char	 sig[SIGLEN];	/* over BLAKE2b-512 of the data */
	unsigned char	 global[SIGLEN]; /* over sig || trusted comment */
	char		*trusted;	/* owned */
};

/* One line of text, without its "\n" or "\r\n". */
struct line {
	const char	*p;	/* borrowed */
	size_t		 n;
};

/* ------------------------------------------------------------ keys */

void
cust_key_free(struct cust_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	cust_wipe(key, sizeof(*key));
	free(key);
}

/*
 * Wrap PKEY (always consumed) in a key.  Its own ID is the first 8 bytes
 * of the SHA-256 of the public key, so that it can be recomputed from the
 * key alone; the minisign ID it carries is ID when given, else its own.
 */
static int
wrap(struct cust_ctx *ctx, EVP_PKEY *pkey, const unsigned char *id,
    bool secret, struct cust_key **keyp)
{
	struct cust_key *key;
	unsigned char md[32];
	size_t n = PKLEN;
	int r;

	*keyp = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "key");
		EVP_PKEY_free(pkey);
		return r;
	}
	key->pkey = pkey;
	key->secret = secret;
	if (EVP_PKEY_get_raw_public_key(pkey, key->pk, &n) != 1 ||
	    n != PKLEN ||
	    EVP_Digest(key->pk, PKLEN, md, NULL, EVP_sha256(), NULL) != 1) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "key");
		goto fail;
	}
	memcpy(key->own, md, IDLEN);
	memcpy(key->id, id != NULL ? id : md, IDLEN);
	*keyp = key;
	return CUST_OK;
fail:
	cust_key_free(key);
	return r;
}

int
cust_key_generate(struct cust_ctx *ctx, struct cust_key **keyp)
{
	EVP_PKEY *pkey;

	*keyp = NULL;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return cust_set_ssl_error(ctx, CUST_FATAL, "key generation");
	return wrap(ctx, pkey, NULL, true, keyp);
}

int
cust_key_from_public_raw(struct cust_ctx *ctx,
    const unsigned char keyid[CUST_KEYID_LEN],
    const unsigned char pk[CUST_ED25519_LEN], struct cust_key **keyp)
{
	EVP_PKEY *pkey;

	*keyp = NULL;
	pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pk, PKLEN);
	if (pkey == NULL)
		return cust_set_ssl_error(ctx, CUST_FAILED, "public key");
	return wrap(ctx, pkey, keyid, false, keyp);
}

const unsigned char *
cust_key_public_raw(const struct cust_key *key)
{
	return key->pk;
}

bool
cust_key_has_secret(const struct cust_key *key)
{
	return key->secret;
}

/* minisign prints a key ID as a little-endian integer in hex. */
static void
idhex(const unsigned char id[IDLEN], char out[CUST_KEYID_HEXLEN + 1])
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < IDLEN; i++) {
		out[2 * i] = digits[id[IDLEN - 1 - i] >> 4];
		out[2 * i + 1] = digits[id[IDLEN - 1 - i] & 15];
	}
	out[CUST_KEYID_HEXLEN] = '\0';
}

void
cust_key_id_hex(const struct cust_key *key, char out[CUST_KEYID_HEXLEN + 1])
{
	idhex(key->own, out);
}

void
cust_key_minisign_id_hex(const struct cust_key *key,
    char out[CUST_KEYID_HEXLEN + 1])
{
	idhex(key->id, out);
}

int
cust_key_check_claim(struct cust_ctx *ctx, const struct cust_key *key,
    const char *subject, const char *claimed)
{
	char own[CUST_KEYID_HEXLEN + 1];

	idhex(key->own, own);
	if (claimed != NULL && strcmp(claimed, own) == 0)
		return CUST_OK;
	if (claimed == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: claims no key "
		    "ID; its key is %s", subject, own);
	return cust_set_error(ctx, 0, CUST_FAILED, "%s: claims key ID %.64s "
	    "but its key is %s", subject, claimed, own);
}

int
cust_key_check_own_id(struct cust_ctx *ctx, const struct cust_key *key,
    const char *subject)
{
	char id[CUST_KEYID_HEXLEN + 1];

	idhex(key->id, id);
	return cust_key_check_claim(ctx, key, subject, id);
}

char *
cust_key_public_b64(const struct cust_key *key)
{
	unsigned char blob[PUBBLOB];
	char *out;

	if ((out = malloc(B64LEN(PUBBLOB) + 1)) == NULL)
		return NULL;
	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, key->id, IDLEN);
	memcpy(blob + 2 + IDLEN, key->pk, PKLEN);
	EVP_EncodeBlock((unsigned char *)out, blob, PUBBLOB);
	return out;
}

char *
cust_key_public_text(const struct cust_ctx *ctx, const struct cust_key *key)
{
	char hex[CUST_KEYID_HEXLEN + 1], *b64, *out;

	/* The context is const: there is nothing to say but "no memory". */
	(void)ctx;
	if ((b64 = cust_key_public_b64(key)) == NULL)
		return NULL;
	idhex(key->id, hex);
	if (asprintf(&out, COMMENT "custody public key %s\n%s\n", hex,
	    b64) == -1)
		out = NULL;
	free(b64);
	return out;
}

/* ----------------------------------------------------------- files */

/* Create PATH, which must not exist, holding BUF, with MODE, durably. */
static int
create(struct cust_ctx *ctx, const char *path, mode_t mode, const void *buf,
    size_t n)
{
	int fd, r = CUST_OK;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
	/* The umask may have narrowed MODE: a .pub must stay readable. */
	if (fchmod(fd, mode) == -1 || cust_write_all(fd, buf, n) != 0 ||
	    fsync(fd) == -1)
		r = cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
	if (close(fd) == -1 && r == CUST_OK)
		r = cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
	if (r != CUST_OK)
		unlink(path);
	return r;
}

static int
absent(struct cust_ctx *ctx, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return cust_set_error(ctx, EEXIST, CUST_FAILED, "%s", path);
	if (errno != ENOENT)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s", path);
	return CUST_OK;
}

/* PKCS#8 PEM of KEY's secret part, in memory that OpenSSL wipes. */
static int
pemkey(struct cust_ctx *ctx, const struct cust_key *key, const char *path,
    BIO **biop)
{
	BIO *bio;

	if ((*biop = bio = BIO_new(BIO_s_secmem())) == NULL)
		return cust_set_ssl_error(ctx, CUST_FATAL, "%s", path);
	if (PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL,
	    NULL) != 1)
		return cust_set_ssl_error(ctx, CUST_FATAL, "%s", path);
	return CUST_OK;
}

/* Write the secret key to KPATH and the public key to PPATH. */
static int
savepair(struct cust_ctx *ctx, const struct cust_key *key, const char *kpath,
    const char *ppath)
{
	BIO *bio = NULL;
	char *pem, *pub = NULL;
	long n;
	int r;

	if ((r = absent(ctx, kpath)) != CUST_OK ||
	    (r = absent(ctx, ppath)) != CUST_OK ||
	    (r = pemkey(ctx, key, kpath, &bio)) != CUST_OK)
		goto out;
	if ((pub = cust_key_public_text(ctx, key)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", ppath);
		goto out;
	}
	if ((n = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "%s", kpath);
		goto out;
	}
	if ((r = create(ctx, kpath, 0600, pem, (size_t)n)) != CUST_OK)
		goto out;
	if ((r = create(ctx, ppath, 0644, pub, strlen(pub))) != CUST_OK)
		unlink(kpath);
out:
	free(pub);
	BIO_free(bio);
	return r;
}

int
cust_key_save(struct cust_ctx *ctx, const struct cust_key *key,
    const char *prefix)
{
	char *kpath = NULL, *ppath = NULL;
	int r;

	if (!key->secret)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: the key has no secret part", prefix);
	if (asprintf(&kpath, "%s.key", prefix) == -1)
		kpath = NULL;
	else if (asprintf(&ppath, "%s.pub", prefix) == -1)
		ppath = NULL;
	if (kpath == NULL || ppath == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", prefix);
		goto out;
	}
	r = savepair(ctx, key, kpath, ppath);
out:
	free(kpath);
	free(ppath);
	return r;
}

/* The PEM reader must never prompt on the terminal for a password. */
int
cust_pem_nopass(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

static int
badpem(struct cust_ctx *ctx, const char *path, const char *buf, size_t len)
{
	static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

	ERR_clear_error();
	if (len == 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: empty", path);
	if (memmem(buf, len, enc, sizeof(enc) - 1) != NULL)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: encrypted private keys are not supported", path);
	return cust_set_error(ctx, 0, CUST_FAILED,
	    "%s: not a PEM private key", path);
}

int
cust_key_load_secret(struct cust_ctx *ctx, const char *path,
    struct cust_key **keyp)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *buf;
	size_t len;
	int r;

	*keyp = NULL;
	if ((r = cust_read_file(ctx, path, SEC_MAX, &buf, &len)) != CUST_OK)
		return r;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "%s", path);
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, cust_pem_nopass, NULL, NULL, NULL);
	if (pkey == NULL)
		r = badpem(ctx, path, buf, len);
	else if (!EVP_PKEY_is_a(pkey, "ED25519"))
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: not an Ed25519 key (%s)", path,
		    EVP_PKEY_get0_type_name(pkey));
	else {
		r = wrap(ctx, pkey, NULL, true, keyp);
		pkey = NULL;
	}
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	cust_wipe(buf, len);
	free(buf);
	return r;
}

/* ---------------------------------------------------------- parsing */

/*
 * The next line of [*pp, end) into *l, without its "\n" or "\r\n"; the
 * last line may lack its newline.  false when no text is left.
 */
static bool
nextline(const char **pp, const char *end, struct line *l)
{
	const char *p = *pp, *nl;

	if (p == end)
		return false;
	nl = memchr(p, '\n', (size_t)(end - p));
	l->p = p;
	l->n = (size_t)((nl != NULL ? nl : end) - p);
	*pp = nl != NULL ? nl + 1 : end;
	if (l->n > 0 && p[l->n - 1] == '\r')
		l->n--;
	return true;
}

/*
 * Split TEXT into at most MAX lines at V, their number in *np.  Refuses NUL
 * bytes, carriage returns inside a line and anything after line MAX.
 */
static int
split(struct cust_ctx *ctx, const char *subject, const char *text,
    size_t len, struct line *v, size_t max, size_t *np)
{
	const char *p = text, *end = text + len;
	size_t n;

	for (n = 0; n < max && nextline(&p, end, &v[n]); n++) {
		if (memchr(v[n].p, '\0', v[n].n) != NULL)
			return cust_set_error(ctx, 0, CUST_FAILED,
			    "%s: line %zu: NUL byte", subject, n + 1);
		if (memchr(v[n].p, '\r', v[n].n) != NULL)
			return cust_set_error(ctx, 0, CUST_FAILED,
			    "%s: line %zu: stray carriage return", subject,
			    n + 1);
	}
	if (p != end)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: trailing data after line %zu", subject, max);
	*np = n;
	return CUST_OK;
}

static bool
prefixed(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->n >= n && memcmp(l->p, prefix, n) == 0;
}

/*
 * Check that there are N lines, the first an untrusted comment.  A file cut
 * short says so before its missing lines can be blamed for anything else.
 */
static int
framed(struct cust_ctx *ctx, const char *subject, const struct line *v,
    size_t have, size_t n)
{
	if (have == 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: empty",
		    subject);
	if (!prefixed(&v[0], COMMENT))
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: line 1: missing \"" COMMENT "\"", subject);
	if (have < n)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: truncated after line %zu (expected %zu lines)",
		    subject, have, n);
	return CUST_OK;
}

static bool
isb64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Refuse all but padded base64 of exactly WANT bytes. */
static int
b64check(struct cust_ctx *ctx, const char *subject, size_t lineno,
    const struct line *l, size_t want)
{
	size_t pad = 0, have;

	while (pad < 2 && pad < l->n && l->p[l->n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < l->n - pad; i++)
		if (!isb64(l->p[i]))
			return cust_set_error(ctx, 0, CUST_FAILED,
			    "%s: line %zu: bad base64 (%s at column %zu)",
			    subject, lineno, l->p[i] == '=' ?
			    "misplaced padding" : "invalid character", i + 1);
	if (l->n % 4 != 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: line %zu: bad base64 (truncated)", subject, lineno);
	have = l->n / 4 * 3 - pad;
	if (have != want)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: line %zu: wrong length (%zu bytes, expected %zu)",
		    subject, lineno, have, want);
	return CUST_OK;
}

/*
 * Decode line L into exactly WANT bytes at OUT.  EVP_DecodeBlock alone
 * takes '=' anywhere and ignores stray bits, so check the text first and
 * that it is the one canonical encoding of what it decodes to.
 */
static int
unb64(struct cust_ctx *ctx, const char *subject, size_t lineno,
    const struct line *l, unsigned char *out, size_t want)
{
	unsigned char buf[SIGBLOB + 2];
	char again[B64LEN(SIGBLOB) + 1];
	int r;

	if ((r = b64check(ctx, subject, lineno, l, want)) != CUST_OK)
		return r;
	/* Now l->n == B64LEN(want) and want <= SIGBLOB. */
	if (want > SIGBLOB ||
	    EVP_DecodeBlock(buf, (const unsigned char *)l->p, (int)l->n) < 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: line %zu: bad base64", subject, lineno);
	EVP_EncodeBlock((unsigned char *)again, buf, (int)want);
	if (memcmp(again, l->p, l->n) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: line %zu: bad base64 (non-canonical)", subject,
		    lineno);
	memcpy(out, buf, want);
	return CUST_OK;
}

/* ---------------------------------------------------- public keys */

/*
 * Parse public key text: minisign's two lines or, unless FILE, the base64
 * line alone.  SUBJECT names the text in messages.
 */
static int
parsepub(struct cust_ctx *ctx, const char *subject, const char *text,
    size_t len, bool file, struct cust_key **keyp)
{
	unsigned char blob[PUBBLOB];
	struct line v[2];
	size_t n = 0;
	int r;

	*keyp = NULL;
	if (len > CUST_PUBKEY_MAX)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: too large (limit %d bytes)", subject,
		    CUST_PUBKEY_MAX);
	if ((r = split(ctx, subject, text, len, v, 2, &n)) != CUST_OK)
		return r;
	if (!file && n == 1 && !prefixed(&v[0], COMMENT))
		v[1] = v[0];
	else if ((r = framed(ctx, subject, v, n, 2)) != CUST_OK)
		return r;
	if ((r = unb64(ctx, subject, n, &v[1], blob, PUBBLOB)) != CUST_OK)
		return r;
	if (memcmp(blob, "Ed", 2) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: line %zu: not an Ed25519 key (algorithm "
		    "0x%02x%02x, expected \"Ed\")", subject, n, blob[0],
		    blob[1]);
	return cust_key_from_public_raw(ctx, blob + 2, blob + 2 + IDLEN, keyp);
}

int
cust_key_parse_public(struct cust_ctx *ctx, const char *text, size_t len,
    struct cust_key **keyp)
{
	return parsepub(ctx, "public key", text, len, false, keyp);
}

int
cust_key_load_public(struct cust_ctx *ctx, const char *path,
    struct cust_key **keyp)
{
	char *buf;
	size_t len;
	int r;

	*keyp = NULL;
	if ((r = cust_read_file(ctx, path, CUST_PUBKEY_MAX, &buf,
	    &len)) != CUST_OK)
		return r;
	r = parsepub(ctx, path, buf, len, true, keyp);
	free(buf);
	return r;
}

/* ----------------------------------------------------- signatures */

static int
blake2b(struct cust_ctx *ctx, const void *msg, size_t len,
    unsigned char out[HASHLEN])
{
	EVP_MD *md;
	int r = CUST_OK;

	if ((md = EVP_MD_fetch(NULL, "BLAKE2B-512", NULL)) == NULL ||
	    EVP_Digest(msg, len, out, NULL, md, NULL) != 1)
		r = cust_set_ssl_error(ctx, CUST_FATAL, "blake2b-512");
	EVP_MD_free(md);
	return r;
}

static int
edsign(struct cust_ctx *ctx, const struct cust_key *key, const void *tbs,
    size_t n, unsigned char sig[SIGLEN])
{
	EVP_MD_CTX *md;
	size_t len = SIGLEN;
	int r = CUST_OK;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, key->pkey,
	    NULL) != 1 ||
	    EVP_DigestSign(md, sig, &len, tbs, n) != 1 || len != SIGLEN)
		r = cust_set_ssl_error(ctx, CUST_FATAL, "signature");
	EVP_MD_CTX_free(md);
	return r;
}

/* 1 when SIG is KEY's signature over TBS, 0 when it is not, or a status. */
static int
edverify(struct cust_ctx *ctx, const struct cust_key *key,
    const unsigned char sig[SIGLEN], const void *tbs, size_t n)
{
	EVP_MD_CTX *md;
	int r;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, key->pkey,
	    NULL) != 1) {
		r = cust_set_ssl_error(ctx, CUST_FATAL, "signature");
		goto out;
	}
	if ((r = EVP_DigestVerify(md, sig, SIGLEN, tbs, n)) < 0)
		r = cust_set_ssl_error(ctx, CUST_FATAL, "signature");
	else if (r != 1) {
		/* A bad signature is an answer, not an error to keep. */
		ERR_clear_error();
		r = 0;
	}
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* The signature bytes followed by the trusted comment, as signed. */
static unsigned char *
globalmsg(const unsigned char sig[SIGLEN], const char *trusted, size_t *np)
{
	size_t tlen = strlen(trusted);
	unsigned char *p;

	if ((p = malloc(SIGLEN + tlen)) == NULL)
		return NULL;
	memcpy(p, sig, SIGLEN);
	memcpy(p + SIGLEN, trusted, tlen);
	*np = SIGLEN + tlen;
	return p;
}

static int
comment(struct cust_ctx *ctx, const char *what, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (strpbrk(s, "\r\n") != NULL)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s comment: contains a line break", what);
	if (n > max)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "%s comment: too long (%zu bytes, limit %zu)", what, n,
		    max);
	return CUST_OK;
}

/* Refuse what minisign or cust_sig_parse could not read back. */
static int
signable(struct cust_ctx *ctx, const struct cust_key *key,
    const char *untrusted, const char *trusted)
{
	size_t fixed = sizeof(COMMENT) + B64LEN(SIGBLOB) + 1 +
	    sizeof(TRUSTED) + B64LEN(SIGLEN) + 1;
	int r;

	if (!key->secret)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "signature: the key has no secret part");
	if ((r = comment(ctx, "untrusted", untrusted, UNTRUSTED_MAX)) !=
	    CUST_OK)
		return r;
	return comment(ctx, "trusted", trusted,
	    CUST_SIG_MAX - fixed - strlen(untrusted));
}

static int
sigtext(struct cust_ctx *ctx, const unsigned char blob[SIGBLOB],
    const char *untrusted, const char *trusted,
    const unsigned char global[SIGLEN], char **outp, size_t *lenp)
{
	char b1[B64LEN(SIGBLOB) + 1], b2[B64LEN(SIGLEN) + 1];
	int n;

	EVP_EncodeBlock((unsigned char *)b1, blob, SIGBLOB);
	EVP_EncodeBlock((unsigned char *)b2, global, SIGLEN);
	n = asprintf(outp, COMMENT "%s\n%s\n" TRUSTED "%s\n%s\n", untrusted,
	    b1, trusted, b2);
	if (n == -1) {
		*outp = NULL;
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "signature");
	}
	*lenp = (size_t)n;
	return CUST_OK;
}

int
cust_sig_make(struct cust_ctx *ctx, const struct cust_key *key,
    const void *msg, size_t len, const char *untrusted, const char *trusted,
    char **outp, size_t *lenp)
{
	unsigned char blob[SIGBLOB], global[SIGLEN], hash[HASHLEN];
	unsigned char *tbs = NULL;
	size_t n;
	int r;

	*outp = NULL;
	*lenp = 0;
	if ((r = signable(ctx, key, untrusted, trusted)) != CUST_OK ||
	    (r = blake2b(ctx, msg, len, hash)) != CUST_OK)
		return r;
	memcpy(blob, "ED", 2);
	memcpy(blob + 2, key->id, IDLEN);
	if ((r = edsign(ctx, key, hash, HASHLEN, blob + 2 + IDLEN)) != CUST_OK)
		return r;
	if ((tbs = globalmsg(blob + 2 + IDLEN, trusted, &n)) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "signature");
	if ((r = edsign(ctx, key, tbs, n, global)) == CUST_OK)
		r = sigtext(ctx, blob, untrusted, trusted, global, outp, lenp);
	free(tbs);
	return r;
}

void
cust_sig_free(struct cust_sig *sig)
{
	if (sig == NULL)
		return;
	free(sig->trusted);
	free(sig);
}

/* Line 2: "ED", the key ID and the signature over BLAKE2b-512(data). */
static int
sigline(struct cust_ctx *ctx, const struct line *l, struct cust_sig *sig)
{
	unsigned char blob[SIGBLOB];
	int r;

	if ((r = unb64(ctx, "signature", 2, l, blob, SIGBLOB)) != CUST_OK)
		return r;
	if (memcmp(blob, "Ed", 2) == 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "signature: line 2: "
		    "legacy unhashed signature (\"Ed\") is not accepted");
	if (memcmp(blob, "ED", 2) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "signature: line 2: "
		    "unknown algorithm 0x%02x%02x (expected \"ED\")", blob[0],
		    blob[1]);
	memcpy(sig->id, blob + 2, IDLEN);
	memcpy(sig->sig, blob + 2 + IDLEN, SIGLEN);
	return CUST_OK;
}

int
cust_sig_parse(struct cust_ctx *ctx, const void *text, size_t len,
    struct cust_sig **sigp)
{
	struct cust_sig *sig = NULL;
	struct line v[4];
	size_t n = 0;
	int r;

	*sigp = NULL;
	if (len > CUST_SIG_MAX)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "signature: too large (limit %d bytes)", CUST_SIG_MAX);
	if ((r = split(ctx, "signature", text, len, v, 4, &n)) != CUST_OK ||
	    (r = framed(ctx, "signature", v, n, 4)) != CUST_OK)
		return r;
	if ((sig = calloc(1, sizeof(*sig))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "signature");
	if ((r = sigline(ctx, &v[1], sig)) != CUST_OK)
		goto fail;
	if (!prefixed(&v[2], TRUSTED)) {
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "signature: line 3: missing \"" TRUSTED "\"");
		goto fail;
	}
	if ((r = unb64(ctx, "signature", 4, &v[3], sig->global, SIGLEN)) !=
	    CUST_OK)
		goto fail;
	n = strlen(TRUSTED);
	if ((sig->trusted = strndup(v[2].p + n, v[2].n - n)) == NULL) {
		r = cust_set_error(ctx, errno, CUST_FATAL, "signature");
		goto fail;
	}
	*sigp = sig;
	return CUST_OK;
fail:
	cust_sig_free(sig);
	return r;
}

void
cust_sig_key_id_hex(const struct cust_sig *sig,
    char out[CUST_KEYID_HEXLEN + 1])
{
	idhex(sig->id, out);
}

const char *
cust_sig_trusted_comment(const struct cust_sig *sig)
{
	return sig->trusted;
}

bool
cust_sig_key_matches(const struct cust_sig *sig, const struct cust_key *key)
{
	return memcmp(sig->id, key->id, IDLEN) == 0;
}

int
cust_sig_verify(struct cust_ctx *ctx, const struct cust_sig *sig,
    const struct cust_key *key, const void *msg, size_t len)
{
	char want[CUST_KEYID_HEXLEN + 1], have[CUST_KEYID_HEXLEN + 1];
	unsigned char hash[HASHLEN], *tbs;
	size_t n;
	int r;

	if (!cust_sig_key_matches(sig, key)) {
		idhex(sig->id, want);
		idhex(key->own, have);
		return cust_set_error(ctx, 0, CUST_FAILED, "signature: claims "
		    "key ID %s but its key is %s", want, have);
	}
	if ((r = blake2b(ctx, msg, len, hash)) != CUST_OK ||
	    (r = edverify(ctx, key, sig->sig, hash, HASHLEN)) < 0)
		return r;
	if (r == 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "signature: invalid signature over the data");
	if ((tbs = globalmsg(sig->sig, sig->trusted, &n)) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "signature");
	r = edverify(ctx, key, sig->global, tbs, n);
	free(tbs);
	if (r == 0)
		return cust_set_error(ctx, 0, CUST_FAILED,
		    "signature: invalid signature over the trusted comment");
	return r < 0 ? r : CUST_OK;
}
