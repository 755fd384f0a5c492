/*
 * test-envelope.c: confidential bundles, both ways (envelope.c writes,
 * unseal.c reads).  A stream is encrypted into memory, as collect does,
 * to an RSA 3072 and an EC P-256 recipient (certificates in PEM files);
 * each key alone decrypts it from a file, as verify does, to the same
 * bytes and the envelope's SHA-256.  A key the stream is not addressed to
 * is refused by name; a stream cut short, or with a byte of its
 * ciphertext or tag changed, ends in a failure from cust_unseal_end, the
 * call without which no clear byte may be trusted.  Keys are made once a
 * run (RSA 3072 is slow to make), in the unchecked fixture.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "trust/pki.h"
#include "testpki.h"
#include "harness.h"

#define CLEAR	(600 * 1024 + 7)	/* past a few of the envelope's
					   256 KiB buffers */
#define MARKER	"custody-clear-marker-7Qz"

static EVP_PKEY *rsa, *ec, *other;
static X509 *rsacert, *eccert, *othercert;
static unsigned char *clear;		/* CLEAR bytes, MARKER among them */
static struct cust_ctx *ctx;

static void
keys(void)
{
	rsa = tk_rsa(3072);
	ec = tk_ec("P-256");
	other = tk_ec("P-256");
	rsacert = tk_cert("RSA Investigator", NULL, rsa, NULL, NULL, -60,
	    86400, 1, NULL);
	eccert = tk_cert("EC Investigator", NULL, ec, NULL, NULL, -60, 86400,
	    2, NULL);
	othercert = tk_cert("Someone Else", NULL, other, NULL, NULL, -60,
	    86400, 3, NULL);
	ck_assert_ptr_nonnull(clear = malloc(CLEAR));
	for (size_t i = 0; i < CLEAR; i++)
		clear[i] = (unsigned char)((i * 2654435761u) >> 13);
	memcpy(clear + CLEAR / 3, MARKER, strlen(MARKER));
}

static void
unkeys(void)
{
	X509_free(rsacert);
	X509_free(eccert);
	X509_free(othercert);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other);
	free(clear);
}

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

/* --------------------------------------------------------- sealing */

/* What the envelope hands out, gathered; or, with FAIL, refused. */
struct mem {
	unsigned char	*p;
	size_t		 len, cap;
	int		 calls;
	int		 fail;		/* errno to return, 0: none */
};

static int
to_mem(void *arg, const void *buf, size_t n)
{
	struct mem *m = arg;

	m->calls++;
	if (m->fail != 0)
		return m->fail;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		ck_assert_ptr_nonnull(m->p = realloc(m->p, m->cap));
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	return 0;
}

/* The recipients CERTS, through PEM files as collect loads them. */
static struct cust_recipients *
recipients(X509 *const *certs, size_t n)
{
	struct cust_recipients *rs;
	char *paths[2] = { NULL, NULL };

	ck_assert_uint_le(n, 2);
	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "rcpt%zu.pem", i);
		paths[i] = tk_pem(scratch, name, &certs[i], 1, NULL);
	}
	ck_assert_msg(cust_recipients_load(ctx, (const char *const *)paths,
	    n, &rs) == CUST_OK, "%s", cust_ctx_error(ctx));
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	return rs;
}

/* The first N bytes of the clear text, in uneven writes. */
static void
feed(struct cust_envelope *env, size_t n)
{
	size_t off = 0, k = 1;

	while (off < n) {
		if (k > n - off)
			k = n - off;
		ck_assert_int_eq(cust_envelope_write(env, clear + off, k), 0);
		off += k;
		k = k * 5 + 3;
	}
}

/* The clear text sealed to CERTS, into M. */
static void
seal(X509 *const *certs, size_t n, struct mem *m)
{
	struct cust_recipients *rs = recipients(certs, n);
	struct cust_envelope *env;

	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(cust_envelope_new(ctx, rs, to_mem, m, &env),
	    CUST_OK);
	feed(env, CLEAR);
	ck_assert_int_eq(cust_envelope_end(env), 0);
	cust_envelope_free(env);
	cust_recipients_free(rs);
	ck_assert_uint_gt(m->len, CLEAR);
}

/* -------------------------------------------------------- unsealing */

/* One try at reading an envelope back. */
struct opened {
	int		 start, end;	/* the two calls' statuses */
	char		 err[512];	/* the message of the one that failed */
	unsigned char	*clear;		/* what the pipe gave */
	size_t		 len;
	char		 sha256[65];
	uint64_t	 bytes;
};

static void
drink(int fd, struct opened *o)
{
	size_t cap = CLEAR + 65536;
	ssize_t k;

	ck_assert_ptr_nonnull(o->clear = malloc(cap));
	while ((k = read(fd, o->clear + o->len, cap - o->len)) > 0)
		o->len += (size_t)k;
	ck_assert_int_eq(k, 0);
}

/* The N bytes at P, written to a file, read with the key K. */
static void
unseal(const void *p, size_t n, EVP_PKEY *k, struct opened *o)
{
	struct cust_identity *id;
	struct cust_unseal *u = NULL;
	char *kp = tk_pem(scratch, "id.key", NULL, 0, k);
	int fd;

	memset(o, 0, sizeof(*o));
	o->start = o->end = CUST_FATAL;
	put("b.tar.p7m", p, n);
	ck_assert_int_ge(fd = open(path("b.tar.p7m"), O_RDONLY), 0);
	ck_assert_int_eq(cust_identity_load(ctx, kp, &id), CUST_OK);
	if ((o->start = cust_unseal_start(ctx, fd, "b.tar.p7m", &id, 1,
	    &u)) == CUST_OK) {
		drink(cust_unseal_fd(u), o);
		o->end = cust_unseal_end(u, ctx, o->sha256, &o->bytes);
	}
	if (o->start != CUST_OK || o->end != CUST_OK)
		snprintf(o->err, sizeof(o->err), "%s", cust_ctx_error(ctx));
	cust_unseal_free(u);
	cust_identity_free(id);
	close(fd);
	free(kp);
}

static void
opened_fini(struct opened *o)
{
	free(o->clear);
}

static void
reads_back(const struct mem *m, EVP_PKEY *k)
{
	struct opened o;
	char want[65];

	unseal(m->p, m->len, k, &o);
	ck_assert_msg(o.start == CUST_OK && o.end == CUST_OK, "%s", o.err);
	ck_assert_uint_eq(o.len, CLEAR);
	ck_assert(memcmp(o.clear, clear, CLEAR) == 0);
	/* The sidecar's and the custody log's hash: the ciphertext's. */
	hexof(EVP_sha256(), m->p, m->len, want);
	ck_assert_str_eq(o.sha256, want);
	ck_assert_uint_eq(o.bytes, m->len);
	opened_fini(&o);
}

/* Read back with the right key, the envelope must fail with WANT, at the
 * start (nothing handed out) or at the end. */
static void
refused(const void *p, size_t n, bool at_start, const char *want)
{
	struct opened o;

	unseal(p, n, ec, &o);
	if (at_start)
		ck_assert_int_eq(o.start, CUST_FAILED);
	else {
		ck_assert_int_eq(o.start, CUST_OK);
		ck_assert_int_eq(o.end, CUST_FAILED);
	}
	ck_assert_str_eq(o.err, want);
	opened_fini(&o);
}

/* After the content's pieces: 00 00 00 00, 04 10 and the tag, 00 00 00 00
 * 00 00.  The tag is 16 bytes before the end's 6. */
#define TRAILER	(2 + 2 + 2 + 16 + 6)
#define TAG	(6 + 16)

static const char AUTH[] = "b.tar.p7m: authentication failed: the "
    "ciphertext was changed, or the envelope is not whole";
static const char CUT[] = "b.tar.p7m: cut short, or not the form custody "
    "writes, in its content";
static const char CUT_AFTER[] = "b.tar.p7m: cut short, or not the form "
    "custody writes, after its content";

/*
 * Where the content's pieces start and end: the header is walked as
 * unseal.c expects it (AuthEnvelopedData, version, recipient infos, the
 * content's type and algorithm), then each definite OCTET STRING up to
 * the end-of-contents octets.  FIRST is the first piece's first data
 * byte, MID a data byte near the middle.
 */
static size_t
tlv_len(const unsigned char *p, size_t *hdr)
{
	size_t len = 0;

	if (p[1] < 0x80) {
		*hdr = 2;
		return p[1];
	}
	*hdr = 2 + (p[1] & 0x7f);
	for (size_t i = 2; i < *hdr; i++)
		len = len << 8 | p[i];
	return len;
}

static void
content(const struct mem *m, size_t *first, size_t *mid)
{
	size_t at = 2 + 13 + 4 + 3, h, len;

	at += tlv_len(m->p + at, &h) + h;	/* the recipient infos */
	at += 2 + 11;				/* SEQUENCE, id-data */
	at += tlv_len(m->p + at, &h) + h;	/* the algorithm */
	ck_assert_mem_eq(m->p + at, "\xa0\x80", 2);
	at += 2;
	*first = *mid = 0;
	while (m->p[at] == 0x04) {
		len = tlv_len(m->p + at, &h);
		if (*first == 0)
			*first = at + h;
		if (*mid == 0 && at + h + len > m->len / 2)
			*mid = at + h + len / 2;
		at += h + len;
		ck_assert_uint_lt(at, m->len);
	}
	/* The ends of the content and of its info, the tag, and the ends
	 * of the three values around them. */
	ck_assert_uint_eq(at + TRAILER, m->len);
	ck_assert_uint_gt(*mid, *first);
}

/* ------------------------------------------------------------ tests */

START_TEST(envelope_round_trips_to_rsa)
{
	struct mem m;

	seal(&rsacert, 1, &m);
	reads_back(&m, rsa);
	free(m.p);
}
END_TEST

START_TEST(envelope_round_trips_to_ec)
{
	struct mem m;

	seal(&eccert, 1, &m);
	reads_back(&m, ec);
	free(m.p);
}
END_TEST

/* Each recipient alone reads what was sealed to both. */
START_TEST(envelope_round_trips_to_each_of_two)
{
	X509 *both[] = { rsacert, eccert };
	struct mem m;

	seal(both, 2, &m);
	reads_back(&m, rsa);
	reads_back(&m, ec);
	free(m.p);
}
END_TEST

START_TEST(envelope_holds_no_clear_text)
{
	struct mem m;

	seal(&eccert, 1, &m);
	ck_assert_ptr_null(memmem(m.p, m.len, MARKER, strlen(MARKER)));
	ck_assert_ptr_null(memmem(m.p, m.len, clear + 4096, 64));
	free(m.p);
}
END_TEST

START_TEST(unseal_refuses_a_key_not_addressed)
{
	X509 *both[] = { rsacert, eccert };
	struct opened o;
	char want[512];
	struct mem m;

	seal(both, 2, &m);
	unseal(m.p, m.len, other, &o);
	ck_assert_int_eq(o.start, CUST_FAILED);
	ck_assert_uint_eq(o.len, 0);
	snprintf(want, sizeof(want), "b.tar.p7m: not addressed to %s: none "
	    "of its 2 recipients is this key", path("id.key"));
	ck_assert_str_eq(o.err, want);
	opened_fini(&o);
	free(m.p);
}
END_TEST

/* A cut anywhere: in the header nothing is handed out; later the end
 * fails, whatever the pipe gave before. */
START_TEST(unseal_refuses_a_cut_envelope)
{
	struct mem m;
	size_t first, mid;

	seal(&eccert, 1, &m);
	content(&m, &first, &mid);
	refused(m.p, 40, true, "b.tar.p7m: not an AuthEnvelopedData in the "
	    "streaming form custody writes");
	refused(m.p, first, false, CUT);
	refused(m.p, mid, false, CUT);
	refused(m.p, m.len - TRAILER, false, CUT);
	/* Every clear byte is given, and the tag is missing. */
	refused(m.p, m.len - TAG - 2, false, CUT_AFTER);
	refused(m.p, m.len - TAG + 8, false, CUT_AFTER);
	refused(m.p, m.len - 3, false, CUT_AFTER);
	refused(m.p, m.len - 1, false, CUT_AFTER);
	free(m.p);
}
END_TEST

START_TEST(unseal_refuses_a_changed_ciphertext)
{
	size_t first, mid, at[3];
	struct mem m;

	seal(&eccert, 1, &m);
	content(&m, &first, &mid);
	at[0] = first;
	at[1] = mid;
	at[2] = m.len - TRAILER - 1;		/* the last content byte */
	for (size_t i = 0; i < 3; i++) {
		m.p[at[i]] ^= 0x01;
		refused(m.p, m.len, false, AUTH);
		m.p[at[i]] ^= 0x01;
	}
	free(m.p);
}
END_TEST

START_TEST(unseal_refuses_a_changed_tag)
{
	struct mem m;

	seal(&eccert, 1, &m);
	m.p[m.len - TAG] ^= 0x80;		/* the tag's first byte */
	refused(m.p, m.len, false, AUTH);
	m.p[m.len - TAG] ^= 0x80;
	m.p[m.len - 6 - 1] ^= 0x01;		/* its last */
	refused(m.p, m.len, false, AUTH);
	free(m.p);
}
END_TEST

/* The output's failure comes back to the writer, and nothing reaches the
 * output after it, though the thread is some buffers behind. */
START_TEST(envelope_reports_the_output_error)
{
	struct cust_recipients *rs = recipients(&eccert, 1);
	struct cust_envelope *env;
	struct mem m = { .fail = ENOSPC };
	int e = 0;

	ck_assert_int_eq(cust_envelope_new(ctx, rs, to_mem, &m, &env),
	    CUST_OK);
	/* Far more than the envelope's buffers hold. */
	for (int i = 0; i < 8 && e == 0; i++)
		e = cust_envelope_write(env, clear, CLEAR);
	ck_assert_int_eq(e, ENOSPC);
	ck_assert_int_eq(cust_envelope_error(env), ENOSPC);
	ck_assert_int_eq(cust_envelope_end(env), ENOSPC);
	cust_envelope_free(env);
	ck_assert_int_eq(m.calls, 1);
	ck_assert_uint_eq(m.len, 0);
	cust_recipients_free(rs);
}
END_TEST

/* After a sync the output has every byte encrypted so far; writing goes
 * on, and the whole still reads back. */
START_TEST(envelope_sync_hands_out_what_is_written)
{
	struct cust_recipients *rs = recipients(&eccert, 1);
	struct cust_envelope *env;
	struct mem m = { 0 };

	ck_assert_int_eq(cust_envelope_new(ctx, rs, to_mem, &m, &env),
	    CUST_OK);
	feed(env, 100 * 1024);
	ck_assert_int_eq(cust_envelope_sync(env), 0);
	ck_assert_uint_gt(m.len, 100 * 1024);
	ck_assert_ptr_null(memmem(m.p, m.len, MARKER, strlen(MARKER)));
	ck_assert_int_eq(cust_envelope_write(env, clear + 100 * 1024,
	    CLEAR - 100 * 1024), 0);
	ck_assert_int_eq(cust_envelope_end(env), 0);
	cust_envelope_free(env);
	reads_back(&m, ec);
	free(m.p);
	cust_recipients_free(rs);
}
END_TEST

/* Freed before its end, the envelope writes no tag: what left is refused. */
START_TEST(envelope_freed_early_does_not_read_back)
{
	struct cust_recipients *rs = recipients(&eccert, 1);
	struct cust_envelope *env;
	struct opened o;
	struct mem m = { 0 };

	ck_assert_int_eq(cust_envelope_new(ctx, rs, to_mem, &m, &env),
	    CUST_OK);
	feed(env, CLEAR);
	cust_envelope_free(env);
	cust_recipients_free(rs);
	unseal(m.p, m.len, ec, &o);
	ck_assert(o.start != CUST_OK || o.end != CUST_OK);
	ck_assert_uint_lt(o.len, CLEAR);
	opened_fini(&o);
	free(m.p);
}
END_TEST

static void
load_refused(X509 *c, const char *why)
{
	struct cust_recipients *rs;
	char *p = tk_pem(scratch, "weak.pem", &c, 1, NULL);
	char want[512];

	ck_assert_int_eq(cust_recipients_load(ctx, (const char *const *)&p, 1,
	    &rs), CUST_FAILED);
	ck_assert_ptr_null(rs);
	snprintf(want, sizeof(want), "%s: %s", p, why);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	free(p);
}

START_TEST(recipients_refuses_weak_or_unusable_keys)
{
	EVP_PKEY *k = tk_rsa(1024), *p521 = tk_ec("P-521");
	X509 *c = tk_cert("Weak", NULL, k, NULL, NULL, -60, 86400, 4, NULL);
	X509 *e = tk_cert("P-521", NULL, p521, NULL, NULL, -60, 86400, 5,
	    NULL);

	load_refused(c, "an RSA key of 1024 bits (3072 or more are needed)");
	load_refused(e, "not an RSA (3072 bits or more), P-256 or P-384 key; "
	    "OpenSSL 3.0's CMS cannot encrypt to X25519");
	X509_free(c);
	X509_free(e);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p521);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("envelope");
	TCase *tc = tcase_create("envelope");

	/* Once for all the tests: they fork from it. */
	tcase_add_unchecked_fixture(tc, keys, unkeys);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, envelope_round_trips_to_rsa);
	tcase_add_test(tc, envelope_round_trips_to_ec);
	tcase_add_test(tc, envelope_round_trips_to_each_of_two);
	tcase_add_test(tc, envelope_holds_no_clear_text);
	tcase_add_test(tc, unseal_refuses_a_key_not_addressed);
	tcase_add_test(tc, unseal_refuses_a_cut_envelope);
	tcase_add_test(tc, unseal_refuses_a_changed_ciphertext);
	tcase_add_test(tc, unseal_refuses_a_changed_tag);
	tcase_add_test(tc, envelope_reports_the_output_error);
	tcase_add_test(tc, envelope_sync_hands_out_what_is_written);
	tcase_add_test(tc, envelope_freed_early_does_not_read_back);
	tcase_add_test(tc, recipients_refuses_weak_or_unusable_keys);
	suite_add_tcase(s, tc);
	return s;
}
