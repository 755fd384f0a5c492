/*
 * test-seal.c: signing keys and minisign signatures.  Besides round trips
 * and one test per malformed input, the signatures are checked against the
 * real minisign(1) in both directions: it must accept ours, and we must
 * accept its.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trust/trust.h"
#include "harness.h"

#define MINISIGN	"/usr/bin/minisign"

/* A key made by minisign 0.11 and its signature over "hello\n". */
#define MS_ID	"F887C04611BB59DD"
#define MS_B64	"RWTdWbsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+X7"
#define MS_CMT	"untrusted comment: minisign public key " MS_ID
#define MS_PUB	MS_CMT "\n" MS_B64 "\n"
#define MS_L1	"untrusted comment: signature from minisign secret key"
#define MS_L2	"RUTdWbsRRsCH+GqevzGnFj05oqs1iGMiaLM68eEv26tlOJ9ol8KK1+" \
		"ksMVkDyGWbujJyrCwDH43HvfQLNoGLGwCYkmkRNK2lRw8="
#define MS_L3	"trusted comment: my trusted"
#define MS_L4	"pchU+pDB8jEFGu36ZCmEr9p2iJLNG9uLqklE/AJwF+fJvdTvVd+RWrPZ" \
		"qLUtzmiYzWkUiJ8T37J/cQqjWxxlCw=="
#define MS_SIG	MS_L1 "\n" MS_L2 "\n" MS_L3 "\n" MS_L4 "\n"
/* The same key's legacy ("Ed", minisign -l) signature line. */
#define MS_LEGACY \
		"RWTdWbsRRsCH+IvX5UUSP2TPD8w1ZXVQvKcldYBBta9d80NhZbzqLOf" \
		"6J1UJVXwGQjKiz+PMEH0/R0H330RkxOX4JKK2UIdukwQ="

static struct cust_ctx *ctx;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
}

static void
teardown(void)
{
	scratch_remove();
	cust_ctx_free(ctx);
}

/* The contents of DIR/NAME, NUL-terminated, owned by the caller. */
static char *
get(const char *name, size_t *np)
{
	FILE *f = fopen(path(name), "rb");
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65535, f);
	ck_assert_int_eq(fclose(f), 0);
	if (np != NULL)
		*np = n;
	return buf;
}

static bool
exists(const char *name)
{
	struct stat st;

	return lstat(path(name), &st) == 0;
}

#define FAILS(expr, msg) do {						\
	ck_assert_int_eq((expr), CUST_FAILED);				\
	ck_assert_str_eq(cust_ctx_error(ctx), (msg));			\
} while (0)

static struct cust_key *
newkey(void)
{
	struct cust_key *key;

	ck_assert_int_eq(cust_key_generate(ctx, &key), CUST_OK);
	return key;
}

static char *
sign(const struct cust_key *key, const char *msg, const char *trusted)
{
	char *text;
	size_t n;

	ck_assert_int_eq(cust_sig_make(ctx, key, msg, strlen(msg),
	    "signature from custody", trusted, &text, &n), CUST_OK);
	ck_assert_uint_eq(strlen(text), n);
	return text;
}

static struct cust_sig *
parse(const char *text)
{
	struct cust_sig *sig;

	ck_assert_int_eq(cust_sig_parse(ctx, text, strlen(text), &sig),
	    CUST_OK);
	return sig;
}

/* Replace the first FROM in TEXT with TO, of the same length. */
static void
patch(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

/* Change the base64 character at column COL of line LINE of TEXT. */
static void
flip(char *text, int line, size_t col)
{
	char *p = text;

	while (--line > 0)
		p = strchr(p, '\n') + 1;
	p[col - 1] = p[col - 1] == 'A' ? 'B' : 'A';
}

/* ------------------------------------------------------------ keys */

START_TEST(key_save_writes_files_with_modes)
{
	struct cust_key *key = newkey();
	struct stat st;
	mode_t old = umask(077);

	ck_assert_int_eq(cust_key_save(ctx, key, path("a")), CUST_OK);
	ck_assert_int_eq(stat(path("a.key"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(path("a.pub"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	umask(0);
	ck_assert_int_eq(cust_key_save(ctx, key, path("b")), CUST_OK);
	ck_assert_int_eq(stat(path("b.key"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	umask(old);
	cust_key_free(key);
}
END_TEST

START_TEST(key_save_load_round_trips)
{
	struct cust_key *key = newkey(), *sec, *pub;
	char a[CUST_KEYID_HEXLEN + 1], b[CUST_KEYID_HEXLEN + 1];
	char c[CUST_KEYID_HEXLEN + 1];

	ck_assert(cust_key_has_secret(key));
	ck_assert_int_eq(cust_key_save(ctx, key, path("k")), CUST_OK);
	ck_assert_int_eq(cust_key_load_secret(ctx, path("k.key"), &sec),
	    CUST_OK);
	ck_assert_int_eq(cust_key_load_public(ctx, path("k.pub"), &pub),
	    CUST_OK);
	ck_assert(cust_key_has_secret(sec));
	ck_assert(!cust_key_has_secret(pub));
	cust_key_id_hex(key, a);
	cust_key_id_hex(sec, b);
	cust_key_id_hex(pub, c);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(a, c);
	ck_assert_mem_eq(cust_key_public_raw(key), cust_key_public_raw(sec),
	    CUST_ED25519_LEN);
	ck_assert_mem_eq(cust_key_public_raw(key), cust_key_public_raw(pub),
	    CUST_ED25519_LEN);
	cust_key_free(key);
	cust_key_free(sec);
	cust_key_free(pub);
}
END_TEST

START_TEST(key_id_is_sha256_prefix_little_endian)
{
	static const unsigned char id[8] = { 1, 2, 3, 4, 5, 6, 7, 0xab };
	struct cust_key *key = newkey(), *raw;
	unsigned char md[32];
	char hex[CUST_KEYID_HEXLEN + 1], want[CUST_KEYID_HEXLEN + 1];

	ck_assert_int_eq(EVP_Digest(cust_key_public_raw(key), 32, md, NULL,
	    EVP_sha256(), NULL), 1);
	for (int i = 0; i < 8; i++)
		snprintf(want + 2 * i, 3, "%02X", md[7 - i]);
	cust_key_id_hex(key, hex);
	ck_assert_str_eq(hex, want);
	/* A key carrying another ID is still known by its own. */
	ck_assert_int_eq(cust_key_from_public_raw(ctx, id,
	    cust_key_public_raw(key), &raw), CUST_OK);
	cust_key_minisign_id_hex(raw, hex);
	ck_assert_str_eq(hex, "AB07060504030201");
	cust_key_id_hex(raw, hex);
	ck_assert_str_eq(hex, want);
	cust_key_free(raw);
	cust_key_free(key);
}
END_TEST

START_TEST(key_claims_must_be_its_own_id)
{
	static const unsigned char id[8] = { 1, 2, 3, 4, 5, 6, 7, 0xab };
	struct cust_key *key = newkey(), *raw;
	char own[CUST_KEYID_HEXLEN + 1], want[128];

	cust_key_id_hex(key, own);
	ck_assert_int_eq(cust_key_check_own_id(ctx, key, "k"), CUST_OK);
	ck_assert_int_eq(cust_key_check_claim(ctx, key, "k", own), CUST_OK);
	snprintf(want, sizeof(want), "k: claims key ID AB07060504030201 but "
	    "its key is %s", own);
	FAILS(cust_key_check_claim(ctx, key, "k", "AB07060504030201"), want);
	snprintf(want, sizeof(want), "k: claims no key ID; its key is %s",
	    own);
	FAILS(cust_key_check_claim(ctx, key, "k", NULL), want);
	ck_assert_int_eq(cust_key_from_public_raw(ctx, id,
	    cust_key_public_raw(key), &raw), CUST_OK);
	snprintf(want, sizeof(want), "pub: claims key ID AB07060504030201 "
	    "but its key is %s", own);
	FAILS(cust_key_check_own_id(ctx, raw, "pub"), want);
	cust_key_free(raw);
	cust_key_free(key);
}
END_TEST

START_TEST(key_public_text_is_minisign_format)
{
	struct cust_key *key = newkey();
	unsigned char blob[45];
	char hex[CUST_KEYID_HEXLEN + 1], want[128], *text, *b64;

	cust_key_id_hex(key, hex);
	b64 = cust_key_public_b64(key);
	text = cust_key_public_text(ctx, key);
	ck_assert_ptr_nonnull(b64);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(b64), 56);
	snprintf(want, sizeof(want), "untrusted comment: custody public key "
	    "%s\n%s\n", hex, b64);
	ck_assert_str_eq(text, want);
	ck_assert_int_eq(EVP_DecodeBlock(blob, (unsigned char *)b64, 56), 42);
	ck_assert_mem_eq(blob, "Ed", 2);
	ck_assert_mem_eq(blob + 10, cust_key_public_raw(key), 32);
	free(text);
	free(b64);
	cust_key_free(key);
}
END_TEST

START_TEST(key_save_refuses_existing_key)
{
	struct cust_key *key = newkey();
	char want[300], *old;

	put("k.key", "mine", 4);
	snprintf(want, sizeof(want), "%s: File exists", path("k.key"));
	FAILS(cust_key_save(ctx, key, path("k")), want);
	ck_assert_int_eq(cust_ctx_errno(ctx), EEXIST);
	ck_assert(!exists("k.pub"));
	old = get("k.key", NULL);
	ck_assert_str_eq(old, "mine");
	free(old);
	cust_key_free(key);
}
END_TEST

START_TEST(key_save_refuses_existing_pub)
{
	struct cust_key *key = newkey();
	char want[300];

	put("k.pub", "", 0);
	snprintf(want, sizeof(want), "%s: File exists", path("k.pub"));
	FAILS(cust_key_save(ctx, key, path("k")), want);
	ck_assert_int_eq(cust_ctx_errno(ctx), EEXIST);
	ck_assert(!exists("k.key"));
	cust_key_free(key);
}
END_TEST

START_TEST(key_save_refuses_dangling_symlink)
{
	struct cust_key *key = newkey();
	char want[300];

	ck_assert_int_eq(symlink(path("elsewhere"), path("k.key")), 0);
	snprintf(want, sizeof(want), "%s: File exists", path("k.key"));
	FAILS(cust_key_save(ctx, key, path("k")), want);
	ck_assert(!exists("elsewhere"));
	ck_assert(!exists("k.pub"));
	cust_key_free(key);
}
END_TEST

START_TEST(key_save_reports_missing_directory)
{
	struct cust_key *key = newkey();
	char want[300];

	snprintf(want, sizeof(want), "%s: No such file or directory",
	    path("no/k.key"));
	FAILS(cust_key_save(ctx, key, path("no/k")), want);
	cust_key_free(key);
}
END_TEST

START_TEST(key_save_refuses_public_key)
{
	struct cust_key *key;
	char want[300];

	ck_assert_int_eq(cust_key_parse_public(ctx, MS_PUB, strlen(MS_PUB),
	    &key), CUST_OK);
	snprintf(want, sizeof(want), "%s: the key has no secret part",
	    path("k"));
	FAILS(cust_key_save(ctx, key, path("k")), want);
	ck_assert(!exists("k.key"));
	ck_assert(!exists("k.pub"));
	cust_key_free(key);
}
END_TEST

/* Load DIR/NAME as a secret key; it must fail with "DIR/NAME: REASON". */
static void
badsecret(const char *name, const char *reason)
{
	struct cust_key *key = (struct cust_key *)1;
	char want[300];

	snprintf(want, sizeof(want), "%s: %s", path(name), reason);
	FAILS(cust_key_load_secret(ctx, path(name), &key), want);
	ck_assert_ptr_null(key);
}

START_TEST(key_load_secret_refuses_non_regular)
{
	ck_assert_int_eq(mkdir(path("d.key"), 0700), 0);
	ck_assert_int_eq(mkfifo(path("f.key"), 0600), 0);
	badsecret("d.key", "not a regular file");
	badsecret("f.key", "not a regular file");
	badsecret("none.key", "No such file or directory");
}
END_TEST

START_TEST(key_load_secret_refuses_too_large)
{
	static char big[65537];

	memset(big, '\n', sizeof(big));
	put("big.key", big, sizeof(big));
	badsecret("big.key", "too large (limit 65536 bytes)");
}
END_TEST

START_TEST(key_load_secret_refuses_garbage)
{
	put("e.key", "", 0);
	put("g.key", "hello\n", 6);
	badsecret("e.key", "empty");
	badsecret("g.key", "not a PEM private key");
	ck_assert_int_eq(sh(MINISIGN " -G -W -p m.pub -s m.key >/dev/null"),
	    0);
	badsecret("m.key", "not a PEM private key");
}
END_TEST

/* Write PKEY to DIR/NAME as PEM, encrypted when PASS is not NULL. */
static void
putpem(const char *name, EVP_PKEY *pkey, const char *pass)
{
	BIO *bio = BIO_new_file(path(name), "w");

	ck_assert_ptr_nonnull(bio);
	if (pass != NULL)
		ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(bio, pkey,
		    EVP_aes_256_cbc(), pass, (int)strlen(pass), NULL, NULL), 1);
	else
		ck_assert_int_eq(PEM_write_bio_PrivateKey(bio, pkey, NULL,
		    NULL, 0, NULL, NULL), 1);
	BIO_free(bio);
}

START_TEST(key_load_secret_refuses_other_algorithms)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");

	ck_assert_ptr_nonnull(ec);
	ck_assert_ptr_nonnull(x);
	putpem("ec.key", ec, NULL);
	putpem("x.key", x, NULL);
	badsecret("ec.key", "not an Ed25519 key (EC)");
	badsecret("x.key", "not an Ed25519 key (X25519)");
	EVP_PKEY_free(ec);
	EVP_PKEY_free(x);
}
END_TEST

START_TEST(key_load_secret_refuses_encrypted_without_prompting)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	ck_assert_ptr_nonnull(ed);
	putpem("enc.key", ed, "secret");
	badsecret("enc.key", "encrypted private keys are not supported");
	EVP_PKEY_free(ed);
}
END_TEST

START_TEST(key_load_secret_accepts_openssl_key)
{
	struct cust_key *key;

	ck_assert_int_eq(sh("openssl genpkey -algorithm ed25519 -out o.key"),
	    0);
	ck_assert_int_eq(cust_key_load_secret(ctx, path("o.key"), &key),
	    CUST_OK);
	ck_assert(cust_key_has_secret(key));
	cust_key_free(key);
}
END_TEST

/* -------------------------------------------------- public key text */

START_TEST(pub_parse_accepts_minisign_variants)
{
	static const char *const ok[] = {
		MS_PUB,
		MS_CMT "\r\n" MS_B64 "\r\n",
		MS_CMT "\n" MS_B64,
		MS_CMT "\r\n" MS_B64,
		MS_B64,
		MS_B64 "\n",
		MS_B64 "\r\n",
	};
	struct cust_key *key;
	char hex[CUST_KEYID_HEXLEN + 1];

	for (size_t i = 0; i < NELEM(ok); i++) {
		ck_assert_int_eq(cust_key_parse_public(ctx, ok[i],
		    strlen(ok[i]), &key), CUST_OK);
		cust_key_minisign_id_hex(key, hex);
		ck_assert_str_eq(hex, MS_ID);
		ck_assert(!cust_key_has_secret(key));
		cust_key_free(key);
	}
}
END_TEST

#define T(s)	s, sizeof(s) - 1
static const struct bad {
	const char	*text;
	size_t		 len;
	const char	*msg;
} badpubs[] = {
	{ T(""), "public key: empty" },
	{ T(MS_CMT "\n"), "public key: truncated after line 1 "
	    "(expected 2 lines)" },
	{ T("comment\n" MS_B64 "\n"),
	    "public key: line 1: missing \"untrusted comment: \"" },
	{ T(MS_CMT "\nRWTd*bsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+"
	    "X7\n"), "public key: line 2: bad base64 (invalid character at "
	    "column 5)" },
	{ T(MS_CMT "\n RWTdWbsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG"
	    "+X7\n"), "public key: line 2: bad base64 (invalid character at "
	    "column 1)" },
	{ T(MS_CMT "\n" MS_B64 " \n"), "public key: line 2: bad base64 "
	    "(invalid character at column 57)" },
	{ T(MS_CMT "\nRWTd=bsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+"
	    "X7\n"), "public key: line 2: bad base64 (misplaced padding at "
	    "column 5)" },
	{ T(MS_CMT "\nRWTdWbsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+"
	    "X\n"), "public key: line 2: bad base64 (truncated)" },
	{ T(MS_CMT "\nRWTdWbsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+"
	    "U=\n"), "public key: line 2: wrong length (41 bytes, "
	    "expected 42)" },
	{ T(MS_CMT "\nRWTdWbsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+"
	    "X7AA==\n"), "public key: line 2: wrong length (43 bytes, "
	    "expected 42)" },
	{ T(MS_CMT "\n" MS_L2 "\n"), "public key: line 2: wrong length "
	    "(74 bytes, expected 42)" },
	{ T(MS_CMT "\n\n"), "public key: line 2: wrong length (0 bytes, "
	    "expected 42)" },
	{ T(MS_CMT "\nRUTdWbsRRsCH+GXg1Q1LehoHv5/MVFHfXebmfKrKyNkuoQl+DUTXG+"
	    "X7\n"), "public key: line 2: not an Ed25519 key (algorithm "
	    "0x4544, expected \"Ed\")" },
	{ T(MS_PUB "junk\n"), "public key: trailing data after line 2" },
	{ T(MS_PUB "\n"), "public key: trailing data after line 2" },
	{ T(MS_B64 "\n" MS_B64 "\n"),
	    "public key: line 1: missing \"untrusted comment: \"" },
	{ T("untrusted comment: a\0b\n" MS_B64 "\n"),
	    "public key: line 1: NUL byte" },
	{ T("untrusted comment: a\rb\n" MS_B64 "\n"),
	    "public key: line 1: stray carriage return" },
	{ T(MS_CMT "\n" MS_B64 "\r\r\n"),
	    "public key: line 2: stray carriage return" },
};

START_TEST(pub_parse_rejects_malformed)
{
	const struct bad *b = &badpubs[_i];
	struct cust_key *key = (struct cust_key *)1;

	FAILS(cust_key_parse_public(ctx, b->text, b->len, &key), b->msg);
	ck_assert_ptr_null(key);
}
END_TEST

START_TEST(pub_parse_rejects_too_large)
{
	static char big[CUST_PUBKEY_MAX + 1];
	struct cust_key *key;
	char want[300];

	memcpy(big, MS_PUB, strlen(MS_PUB));
	memset(big + strlen(MS_PUB), '\n', sizeof(big) - strlen(MS_PUB));
	FAILS(cust_key_parse_public(ctx, big, sizeof(big), &key),
	    "public key: too large (limit 4096 bytes)");
	put("big.pub", big, sizeof(big));
	snprintf(want, sizeof(want), "%s: too large (limit 4096 bytes)",
	    path("big.pub"));
	FAILS(cust_key_load_public(ctx, path("big.pub"), &key), want);
}
END_TEST

START_TEST(pub_load_requires_comment_line)
{
	struct cust_key *key;
	char want[300];

	put("bare.pub", MS_B64 "\n", strlen(MS_B64) + 1);
	snprintf(want, sizeof(want), "%s: line 1: missing "
	    "\"untrusted comment: \"", path("bare.pub"));
	FAILS(cust_key_load_public(ctx, path("bare.pub"), &key), want);
	ck_assert_int_eq(mkdir(path("d.pub"), 0700), 0);
	snprintf(want, sizeof(want), "%s: not a regular file", path("d.pub"));
	FAILS(cust_key_load_public(ctx, path("d.pub"), &key), want);
}
END_TEST

/* ------------------------------------------------------- signatures */

START_TEST(sig_make_then_verify_succeeds)
{
	struct cust_key *key = newkey();
	struct cust_sig *sig;
	char *text = sign(key, "evidence\n", "case=EVD-0042\tbag=x");
	char a[CUST_KEYID_HEXLEN + 1], b[CUST_KEYID_HEXLEN + 1];

	ck_assert(strncmp(text, "untrusted comment: signature from custody\n",
	    42) == 0);
	ck_assert_ptr_nonnull(strstr(text,
	    "\ntrusted comment: case=EVD-0042\tbag=x\n"));
	sig = parse(text);
	ck_assert_str_eq(cust_sig_trusted_comment(sig), "case=EVD-0042\tbag=x");
	cust_sig_key_id_hex(sig, a);
	cust_key_id_hex(key, b);
	ck_assert_str_eq(a, b);
	ck_assert(cust_sig_key_matches(sig, key));
	ck_assert_int_eq(cust_sig_verify(ctx, sig, key, "evidence\n", 9),
	    CUST_OK);
	cust_sig_free(sig);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_succeeds_with_loaded_public_key)
{
	struct cust_key *key = newkey(), *pub;
	struct cust_sig *sig;
	char *text = sign(key, "", "empty message");

	ck_assert_int_eq(cust_key_save(ctx, key, path("k")), CUST_OK);
	ck_assert_int_eq(cust_key_load_public(ctx, path("k.pub"), &pub),
	    CUST_OK);
	sig = parse(text);
	ck_assert_int_eq(cust_sig_verify(ctx, sig, pub, "", 0), CUST_OK);
	cust_sig_free(sig);
	free(text);
	cust_key_free(pub);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_fails_for_flipped_message_byte)
{
	struct cust_key *key = newkey();
	char *text = sign(key, "evidence\n", "t");
	struct cust_sig *sig = parse(text);

	FAILS(cust_sig_verify(ctx, sig, key, "evidencf\n", 9),
	    "signature: invalid signature over the data");
	FAILS(cust_sig_verify(ctx, sig, key, "evidence", 8),
	    "signature: invalid signature over the data");
	cust_sig_free(sig);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_fails_for_flipped_signature_byte)
{
	struct cust_key *key = newkey();
	char *text = sign(key, "evidence\n", "t");
	struct cust_sig *sig;

	flip(text, 2, 40);	/* inside the 64 signature bytes */
	sig = parse(text);
	ck_assert(cust_sig_key_matches(sig, key));
	FAILS(cust_sig_verify(ctx, sig, key, "evidence\n", 9),
	    "signature: invalid signature over the data");
	cust_sig_free(sig);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_fails_for_flipped_global_signature_byte)
{
	struct cust_key *key = newkey();
	char *text = sign(key, "evidence\n", "t");
	struct cust_sig *sig;

	flip(text, 4, 10);
	sig = parse(text);
	FAILS(cust_sig_verify(ctx, sig, key, "evidence\n", 9),
	    "signature: invalid signature over the trusted comment");
	cust_sig_free(sig);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_fails_for_edited_trusted_comment)
{
	struct cust_key *key = newkey();
	char *text = sign(key, "evidence\n", "case=EVD-0042");
	struct cust_sig *sig;

	patch(text, "case=EVD-0042", "case=EVD-0043");
	sig = parse(text);
	ck_assert_str_eq(cust_sig_trusted_comment(sig), "case=EVD-0043");
	FAILS(cust_sig_verify(ctx, sig, key, "evidence\n", 9),
	    "signature: invalid signature over the trusted comment");
	cust_sig_free(sig);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_fails_for_other_key)
{
	struct cust_key *key = newkey(), *other = newkey();
	char *text = sign(key, "evidence\n", "t");
	struct cust_sig *sig = parse(text);
	char a[CUST_KEYID_HEXLEN + 1], b[CUST_KEYID_HEXLEN + 1], want[128];

	cust_key_id_hex(key, a);
	cust_key_id_hex(other, b);
	snprintf(want, sizeof(want), "signature: claims key ID %s but its "
	    "key is %s", a, b);
	ck_assert(!cust_sig_key_matches(sig, other));
	FAILS(cust_sig_verify(ctx, sig, other, "evidence\n", 9), want);
	cust_sig_free(sig);
	free(text);
	cust_key_free(other);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_verify_fails_for_other_key_with_same_id)
{
	struct cust_key *key = newkey(), *other = newkey(), *liar;
	char *text = sign(key, "evidence\n", "t");
	struct cust_sig *sig = parse(text);
	char *b64 = cust_key_public_b64(key);
	unsigned char blob[45];

	/* Bytes 2..9 of the public key blob are the key ID. */
	ck_assert_int_eq(EVP_DecodeBlock(blob, (unsigned char *)b64, 56), 42);
	ck_assert_int_eq(cust_key_from_public_raw(ctx, blob + 2,
	    cust_key_public_raw(other), &liar), CUST_OK);
	ck_assert(cust_sig_key_matches(sig, liar));
	FAILS(cust_sig_verify(ctx, sig, liar, "evidence\n", 9),
	    "signature: invalid signature over the data");
	cust_key_free(liar);
	free(b64);
	cust_sig_free(sig);
	free(text);
	cust_key_free(other);
	cust_key_free(key);
}
END_TEST

START_TEST(sig_make_refuses_bad_comments)
{
	static char longc[8000];
	struct cust_key *key = newkey(), *pub;
	char *text = (char *)1;
	size_t n = 1;

	FAILS(cust_sig_make(ctx, key, "m", 1, "a\nb", "t", &text, &n),
	    "untrusted comment: contains a line break");
	ck_assert_ptr_null(text);
	ck_assert_uint_eq(n, 0);
	FAILS(cust_sig_make(ctx, key, "m", 1, "u", "t\r", &text, &n),
	    "trusted comment: contains a line break");
	memset(longc, 'x', 1004);
	FAILS(cust_sig_make(ctx, key, "m", 1, longc, "t", &text, &n),
	    "untrusted comment: too long (1004 bytes, limit 1003)");
	memset(longc, 'x', sizeof(longc) - 1);
	FAILS(cust_sig_make(ctx, key, "m", 1, "u", longc, &text, &n),
	    "trusted comment: too long (7999 bytes, limit 7963)");
	longc[7963] = '\0';
	ck_assert_int_eq(cust_sig_make(ctx, key, "m", 1, "u", longc, &text,
	    &n), CUST_OK);
	ck_assert_uint_eq(n, CUST_SIG_MAX);
	cust_sig_free(parse(text));
	free(text);
	ck_assert_int_eq(cust_key_parse_public(ctx, MS_PUB, strlen(MS_PUB),
	    &pub), CUST_OK);
	FAILS(cust_sig_make(ctx, pub, "m", 1, "u", "t", &text, &n),
	    "signature: the key has no secret part");
	cust_key_free(pub);
	cust_key_free(key);
}
END_TEST

/* -------------------------------------------------- signature text */

START_TEST(sig_parse_accepts_minisign_variants)
{
	static const char *const ok[] = {
		MS_SIG,
		MS_L1 "\r\n" MS_L2 "\r\n" MS_L3 "\r\n" MS_L4 "\r\n",
		MS_L1 "\n" MS_L2 "\n" MS_L3 "\n" MS_L4,
		MS_L1 "\r\n" MS_L2 "\n" MS_L3 "\r\n" MS_L4 "\r\n",
	};
	struct cust_key *key;
	struct cust_sig *sig;
	char hex[CUST_KEYID_HEXLEN + 1];

	ck_assert_int_eq(cust_key_parse_public(ctx, MS_PUB, strlen(MS_PUB),
	    &key), CUST_OK);
	for (size_t i = 0; i < NELEM(ok); i++) {
		sig = parse(ok[i]);
		cust_sig_key_id_hex(sig, hex);
		ck_assert_str_eq(hex, MS_ID);
		ck_assert_str_eq(cust_sig_trusted_comment(sig), "my trusted");
		ck_assert_int_eq(cust_sig_verify(ctx, sig, key, "hello\n", 6),
		    CUST_OK);
		cust_sig_free(sig);
	}
	cust_key_free(key);
}
END_TEST

static const struct bad badsigs[] = {
	{ T(""), "signature: empty" },
	{ T(MS_L1 "\n"),
	    "signature: truncated after line 1 (expected 4 lines)" },
	{ T(MS_L1 "\n" MS_L2 "\n"),
	    "signature: truncated after line 2 (expected 4 lines)" },
	{ T(MS_L1 "\nRUTdWbsRRsCH+GqevzGnFj05oqs1iGMiaL"),
	    "signature: truncated after line 2 (expected 4 lines)" },
	{ T(MS_L1 "\n" MS_L2 "\n" MS_L3 "\n"),
	    "signature: truncated after line 3 (expected 4 lines)" },
	{ T(MS_L1 "\n" MS_L2 "\n" MS_L3 "\npchU+pDB8jEFGu36ZCmEr9p2iJLNG9uL"
	    "qklE/AJwF+fJvdTvV"), "signature: line 4: bad base64 "
	    "(truncated)" },
	{ T(MS_L1 "\n" MS_L2 "\n" MS_L3 "\npchU+pDB8jEFGu36ZCmEr9p2iJLNG9uL"
	    "qklE/AJwF+fJvdTvVd+RWrPZqLUtzmiYzWkUiJ8T37J/cQqjWxxl"),
	    "signature: line 4: wrong length (63 bytes, expected 64)" },
	{ T("signature\n" MS_L2 "\n" MS_L3 "\n" MS_L4 "\n"),
	    "signature: line 1: missing \"untrusted comment: \"" },
	{ T(MS_L1 "\nRUTd*bsRRsCH+GqevzGnFj05oqs1iGMiaLM68eEv26tlOJ9ol8KK1+"
	    "ksMVkDyGWbujJyrCwDH43HvfQLNoGLGwCYkmkRNK2lRw8=\n" MS_L3 "\n"
	    MS_L4 "\n"), "signature: line 2: bad base64 (invalid character "
	    "at column 5)" },
	{ T(MS_L1 "\nRUTdWbsRRsCH+GqevzGnFj05oqs1iGMiaLM68eEv26tlOJ9ol8KK1+"
	    "ksMVkDyGWbujJyrCwDH43HvfQLNoGLGwCYkmkRNK2lRw9=\n" MS_L3 "\n"
	    MS_L4 "\n"), "signature: line 2: bad base64 (non-canonical)" },
	{ T(MS_L1 "\n" MS_L2 "\n" MS_L3 "\npchU+pDB8jEFGu36ZCmEr9p2iJLNG9uL"
	    "qklE/AJwF+fJvdTvVd+RWrPZqLUtzmiYzWkUiJ8T37J/cQqjWxxlCx==\n"),
	    "signature: line 4: bad base64 (non-canonical)" },
	{ T(MS_L1 "\nWFndWbsRRsCH+GqevzGnFj05oqs1iGMiaLM68eEv26tlOJ9ol8KK1+"
	    "ksMVkDyGWbujJyrCwDH43HvfQLNoGLGwCYkmkRNK2lRw8=\n" MS_L3 "\n"
	    MS_L4 "\n"), "signature: line 2: unknown algorithm 0x5859 "
	    "(expected \"ED\")" },
	{ T(MS_L1 "\n" MS_LEGACY "\n" MS_L3 "\n" MS_L4 "\n"),
	    "signature: line 2: legacy unhashed signature (\"Ed\") is not "
	    "accepted" },
	{ T(MS_L1 "\nRUTdWbsRRsCH+GqevzGnFj05oqs1iGMiaLM68eEv26tlOJ9ol8KK1+"
	    "ksMVkDyGWbujJyrCwDH43HvfQLNoGLGwCYkmkRNK2lRw==\n" MS_L3 "\n"
	    MS_L4 "\n"), "signature: line 2: wrong length (73 bytes, "
	    "expected 74)" },
	{ T(MS_L1 "\n" MS_B64 "\n" MS_L3 "\n" MS_L4 "\n"),
	    "signature: line 2: wrong length (42 bytes, expected 74)" },
	{ T(MS_L1 "\n" MS_L2 "\nTrusted comment: my trusted\n" MS_L4 "\n"),
	    "signature: line 3: missing \"trusted comment: \"" },
	{ T(MS_L1 "\n" MS_L2 "\n" MS_L4 "\n" MS_L3 "\n"),
	    "signature: line 3: missing \"trusted comment: \"" },
	{ T(MS_SIG "junk"), "signature: trailing data after line 4" },
	{ T(MS_SIG "\n"), "signature: trailing data after line 4" },
	{ T(MS_L1 "\n" MS_L2 "\ntrusted comment: a\0b\n" MS_L4 "\n"),
	    "signature: line 3: NUL byte" },
	{ T(MS_L1 "\n" MS_L2 "\ntrusted comment: a\rb\n" MS_L4 "\n"),
	    "signature: line 3: stray carriage return" },
};

START_TEST(sig_parse_rejects_malformed)
{
	const struct bad *b = &badsigs[_i];
	struct cust_sig *sig = (struct cust_sig *)1;

	FAILS(cust_sig_parse(ctx, b->text, b->len, &sig), b->msg);
	ck_assert_ptr_null(sig);
}
END_TEST

START_TEST(sig_parse_rejects_too_large)
{
	static char big[CUST_SIG_MAX + 1];
	struct cust_sig *sig;

	memcpy(big, MS_SIG, strlen(MS_SIG));
	memset(big + strlen(MS_SIG), '\n', sizeof(big) - strlen(MS_SIG));
	FAILS(cust_sig_parse(ctx, big, sizeof(big), &sig),
	    "signature: too large (limit 8192 bytes)");
}
END_TEST

/* ------------------------------------------------- minisign itself */

START_TEST(minisign_accepts_our_signature)
{
	struct cust_key *key = newkey();
	char *text = sign(key, "tag manifest\n", "case=EVD-0042\tbag=b1");
	char *out;

	ck_assert_int_eq(cust_key_save(ctx, key, path("k")), CUST_OK);
	put("msg", "tag manifest\n", 13);
	put("msg.minisig", text, strlen(text));
	ck_assert_int_eq(sh(MINISIGN " -V -H -p k.pub -m msg -x msg.minisig "
	    "-Q >out 2>&1"), 0);
	out = get("out", NULL);
	ck_assert_str_eq(out, "case=EVD-0042\tbag=b1\n");
	free(out);
	put("msg", "tag manifesT\n", 13);
	ck_assert_int_eq(sh(MINISIGN " -V -p k.pub -m msg -x msg.minisig "
	    ">out 2>&1"), 1);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(minisign_accepts_our_signature_of_empty_file)
{
	struct cust_key *key = newkey();
	char *text = sign(key, "", "t");

	ck_assert_int_eq(cust_key_save(ctx, key, path("k")), CUST_OK);
	put("empty", "", 0);
	put("empty.minisig", text, strlen(text));
	ck_assert_int_eq(sh(MINISIGN " -V -p k.pub -m empty >out 2>&1"), 0);
	free(text);
	cust_key_free(key);
}
END_TEST

START_TEST(minisign_signature_verifies_here)
{
	struct cust_key *key;
	struct cust_sig *sig;
	char hex[CUST_KEYID_HEXLEN + 1], *pub, *text;
	size_t n;

	ck_assert_int_eq(sh(MINISIGN " -G -W -p m.pub -s m.key >/dev/null"),
	    0);
	put("msg", "hello\n", 6);
	ck_assert_int_eq(sh(MINISIGN " -S -s m.key -m msg -t 'case=EVD-7' "
	    ">/dev/null"), 0);
	ck_assert_int_eq(cust_key_load_public(ctx, path("m.pub"), &key),
	    CUST_OK);
	/* minisign drops leading zeros of the ID in its comment. */
	pub = get("m.pub", NULL);
	cust_key_minisign_id_hex(key, hex);
	ck_assert_uint_eq(strtoull(pub + 39, NULL, 16),
	    strtoull(hex, NULL, 16));
	text = get("msg.minisig", &n);
	ck_assert_int_eq(cust_sig_parse(ctx, text, n, &sig), CUST_OK);
	ck_assert_str_eq(cust_sig_trusted_comment(sig), "case=EVD-7");
	ck_assert_int_eq(cust_sig_verify(ctx, sig, key, "hello\n", 6),
	    CUST_OK);
	FAILS(cust_sig_verify(ctx, sig, key, "hellp\n", 6),
	    "signature: invalid signature over the data");
	cust_sig_free(sig);
	free(text);
	free(pub);
	cust_key_free(key);
}
END_TEST

START_TEST(minisign_legacy_signature_is_refused)
{
	struct cust_sig *sig;
	char *text;
	size_t n;

	ck_assert_int_eq(sh(MINISIGN " -G -W -p m.pub -s m.key >/dev/null"),
	    0);
	put("msg", "hello\n", 6);
	ck_assert_int_eq(sh(MINISIGN " -S -l -s m.key -m msg >/dev/null"), 0);
	text = get("msg.minisig", &n);
	FAILS(cust_sig_parse(ctx, text, n, &sig), "signature: line 2: legacy "
	    "unhashed signature (\"Ed\") is not accepted");
	free(text);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *keys = tcase_create("keys");
	TCase *pubs = tcase_create("public keys");
	TCase *sigs = tcase_create("signatures");
	TCase *ms = tcase_create("minisign");

	tcase_add_checked_fixture(keys, setup, teardown);
	tcase_add_test(keys, key_save_writes_files_with_modes);
	tcase_add_test(keys, key_save_load_round_trips);
	tcase_add_test(keys, key_id_is_sha256_prefix_little_endian);
	tcase_add_test(keys, key_claims_must_be_its_own_id);
	tcase_add_test(keys, key_public_text_is_minisign_format);
	tcase_add_test(keys, key_save_refuses_existing_key);
	tcase_add_test(keys, key_save_refuses_existing_pub);
	tcase_add_test(keys, key_save_refuses_dangling_symlink);
	tcase_add_test(keys, key_save_reports_missing_directory);
	tcase_add_test(keys, key_save_refuses_public_key);
	tcase_add_test(keys, key_load_secret_refuses_non_regular);
	tcase_add_test(keys, key_load_secret_refuses_too_large);
	tcase_add_test(keys, key_load_secret_refuses_garbage);
	tcase_add_test(keys, key_load_secret_refuses_other_algorithms);
	tcase_add_test(keys,
	    key_load_secret_refuses_encrypted_without_prompting);
	tcase_add_test(keys, key_load_secret_accepts_openssl_key);
	suite_add_tcase(s, keys);

	tcase_add_checked_fixture(pubs, setup, teardown);
	tcase_add_test(pubs, pub_parse_accepts_minisign_variants);
	tcase_add_loop_test(pubs, pub_parse_rejects_malformed, 0,
	    (int)NELEM(badpubs));
	tcase_add_test(pubs, pub_parse_rejects_too_large);
	tcase_add_test(pubs, pub_load_requires_comment_line);
	suite_add_tcase(s, pubs);

	tcase_add_checked_fixture(sigs, setup, teardown);
	tcase_add_test(sigs, sig_make_then_verify_succeeds);
	tcase_add_test(sigs, sig_verify_succeeds_with_loaded_public_key);
	tcase_add_test(sigs, sig_verify_fails_for_flipped_message_byte);
	tcase_add_test(sigs, sig_verify_fails_for_flipped_signature_byte);
	tcase_add_test(sigs,
	    sig_verify_fails_for_flipped_global_signature_byte);
	tcase_add_test(sigs, sig_verify_fails_for_edited_trusted_comment);
	tcase_add_test(sigs, sig_verify_fails_for_other_key);
	tcase_add_test(sigs, sig_verify_fails_for_other_key_with_same_id);
	tcase_add_test(sigs, sig_make_refuses_bad_comments);
	tcase_add_test(sigs, sig_parse_accepts_minisign_variants);
	tcase_add_loop_test(sigs, sig_parse_rejects_malformed, 0,
	    (int)NELEM(badsigs));
	tcase_add_test(sigs, sig_parse_rejects_too_large);
	suite_add_tcase(s, sigs);

	tcase_add_checked_fixture(ms, setup, teardown);
	tcase_add_test(ms, minisign_accepts_our_signature);
	tcase_add_test(ms, minisign_accepts_our_signature_of_empty_file);
	tcase_add_test(ms, minisign_signature_verifies_here);
	tcase_add_test(ms, minisign_legacy_signature_is_refused);
	suite_add_tcase(s, ms);
	return s;
}

