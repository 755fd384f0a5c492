/*
 * test-digest.c: several digests over one stream.  Results are checked
 * against the published test vectors (FIPS 180 examples for SHA, RFC 1321
 * for MD5), against coreutils' own implementations on the same random bytes,
 * and against OpenSSL's one-shot EVP_Digest; the way the stream is cut into
 * updates must not matter.  cust_alg_parse refuses every bad word by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "base/base.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_digest *d;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	d = NULL;
	scratch_make();
}

static void
teardown(void)
{
	cust_digest_free(d);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* A known answer: ALG over MSG (REPEAT times) is HEX. */
struct kat {
	unsigned	 alg;
	const char	*msg;
	size_t		 repeat;
	const char	*hex;
};

#define ABC	"abc"
#define ABC448	"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define ABC896	"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

static const struct kat kats[] = {
	/* FIPS 180-2 appendix examples. */
	{ CUST_ALG_SHA1, ABC, 1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ CUST_ALG_SHA1, ABC448, 1,
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ CUST_ALG_SHA1, "a", 1000000,
	    "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ CUST_ALG_SHA256, ABC, 1, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ CUST_ALG_SHA256, ABC448, 1, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1" },
	{ CUST_ALG_SHA256, "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0" },
	{ CUST_ALG_SHA512, ABC, 1, "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f" },
	{ CUST_ALG_SHA512, ABC896, 1, "8e959b75dae313da8cf4f72814fc143f"
	    "8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433a"
	    "c7d329eeb6dd26545e96e55b874be909" },
	{ CUST_ALG_SHA512, "a", 1000000, "e718483d0ce769644e2e42c7bc15b463"
	    "8e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31b"
	    "eb009c5c2c49aa2e4eadb217ad8cc09b" },
	/* RFC 1321 appendix A.5. */
	{ CUST_ALG_MD5, ABC, 1, "900150983cd24fb0d6963f7d28e17f72" },
	{ CUST_ALG_MD5, "message digest", 1,
	    "f96b697d7cb7938d525a2f31aaf161d0" },
	{ CUST_ALG_MD5, "12345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890", 1,
	    "57edf4a22be3c955ac49da2e2107b67a" },
	/* The empty message. */
	{ CUST_ALG_SHA1, "", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ CUST_ALG_SHA256, "", 1, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ CUST_ALG_SHA512, "", 1, "cf83e1357eefb8bdf1542850d66d8007"
	    "d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f"
	    "63b931bd47417a81a538327af927da3e" },
	{ CUST_ALG_MD5, "", 1, "d41d8cd98f00b204e9800998ecf8427e" },
};

static const unsigned allalgs[CUST_NALG] = { CUST_ALG_SHA256,
    CUST_ALG_SHA512, CUST_ALG_SHA1, CUST_ALG_MD5 };

static void
newdigest(unsigned mask)
{
	ck_assert_int_eq(cust_digest_new(ctx, mask, &d), CUST_OK);
	ck_assert_ptr_nonnull(d);
}

static void
update(const void *p, size_t n)
{
	ck_assert_int_eq(cust_digest_update(d, p, n), CUST_OK);
}

static void
final(void)
{
	ck_assert_int_eq(cust_digest_final(d), CUST_OK);
}

/* Deterministic pseudo-random bytes (xorshift64*). */
static void
fill(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (unsigned char)((x * 0x2545F4914F6CDD1DULL) >> 56);
	}
}

/* The hex digest of P by OpenSSL's one-shot interface. */
static void
oneshot(unsigned alg, const void *p, size_t n, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;

	ck_assert_int_eq(EVP_Digest(p, n, md, &len, EVP_get_digestbyname(
	    cust_alg_name(alg)), NULL), 1);
	ck_assert_uint_eq(len, cust_alg_size(alg));
	cust_hex(md, len, hex);
}

/* The first word printed by coreutils' TOOL (sha256sum...) on FILE. */
static void
coreutils(const char *tool, const char *file, char *hex, size_t size)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s '%s'", tool, file);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_int_eq(fscanf(p, "%200s", hex), 1);
	ck_assert_uint_lt(strlen(hex), size);
	ck_assert_int_eq(pclose(p), 0);
}

/* ------------------------------------------------------------ vectors */

START_TEST(known_vectors_match_each_algorithm)
{
	const struct kat *k = &kats[_i];
	/* A million 'a's go in as a thousand updates of a thousand. */
	size_t n = strlen(k->msg), per = k->repeat % 1000 == 0 ? 1000 : 1;
	char *buf = malloc(n * per + 1);

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < per; i++)
		memcpy(buf + i * n, k->msg, n);
	newdigest(k->alg);
	for (size_t i = 0; i < k->repeat / per; i++)
		update(buf, n * per);
	final();
	ck_assert_str_eq(cust_digest_hex(d, k->alg), k->hex);
	free(buf);
}
END_TEST

START_TEST(known_vectors_match_with_all_algorithms_at_once)
{
	newdigest(CUST_ALG_ALL);
	update(ABC, 3);
	final();
	for (size_t i = 0; i < NELEM(kats); i++)
		if (strcmp(kats[i].msg, ABC) == 0)
			ck_assert_str_eq(cust_digest_hex(d, kats[i].alg),
			    kats[i].hex);
}
END_TEST

START_TEST(sha256_hex_one_shot_matches_vector)
{
	char hex[65];

	ck_assert_int_eq(cust_sha256_hex(ctx, ABC448, strlen(ABC448), hex),
	    CUST_OK);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	ck_assert_int_eq(cust_sha256_hex(ctx, "", 0, hex), CUST_OK);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}
END_TEST

/* ------------------------------------------------------- one pass */

START_TEST(one_pass_equals_coreutils_on_same_bytes)
{
	static const char *const tools[CUST_NALG] = { "sha256sum",
	    "sha512sum", "sha1sum", "md5sum" };
	size_t n = 3 * 1024 * 1024 + 17;
	unsigned char *buf = malloc(n);
	char file[128], hex[256];
	FILE *f;

	ck_assert_ptr_nonnull(buf);
	fill(buf, n, 42);
	snprintf(file, sizeof(file), "%s/data", scratch);
	ck_assert_ptr_nonnull(f = fopen(file, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	newdigest(CUST_ALG_ALL);
	for (size_t off = 0; off < n; off += 65536)
		update(buf + off, n - off < 65536 ? n - off : 65536);
	final();
	for (size_t i = 0; i < CUST_NALG; i++) {
		coreutils(tools[i], file, hex, sizeof(hex));
		ck_assert_str_eq(cust_digest_hex(d, allalgs[i]), hex);
	}
	free(buf);
}
END_TEST

START_TEST(one_pass_equals_one_shot_for_many_lengths)
{
	unsigned char buf[1100];
	char want[2 * CUST_MAX_DIGEST + 1];

	fill(buf, sizeof(buf), 7);
	newdigest(CUST_ALG_ALL);
	/* Around every block boundary of all four (64 and 128 bytes). */
	for (size_t n = 0; n < sizeof(buf); n += n < 300 ? 1 : 61) {
		ck_assert_int_eq(cust_digest_reset(d), CUST_OK);
		update(buf, n);
		final();
		for (size_t i = 0; i < CUST_NALG; i++) {
			oneshot(allalgs[i], buf, n, want);
			ck_assert_str_eq(cust_digest_hex(d, allalgs[i]), want);
		}
	}
}
END_TEST

START_TEST(bytewise_updates_equal_one_update)
{
	size_t n = 10007;
	unsigned char *buf = malloc(n);
	char whole[CUST_NALG][2 * CUST_MAX_DIGEST + 1];

	ck_assert_ptr_nonnull(buf);
	fill(buf, n, 99);
	newdigest(CUST_ALG_ALL);
	update(buf, n);
	final();
	for (size_t i = 0; i < CUST_NALG; i++)
		strcpy(whole[i], cust_digest_hex(d, allalgs[i]));
	ck_assert_int_eq(cust_digest_reset(d), CUST_OK);
	for (size_t i = 0; i < n; i++)
		update(buf + i, 1);
	final();
	for (size_t i = 0; i < CUST_NALG; i++)
		ck_assert_str_eq(cust_digest_hex(d, allalgs[i]), whole[i]);
	free(buf);
}
END_TEST

START_TEST(irregular_and_empty_updates_equal_one_update)
{
	static const size_t cuts[] = { 0, 1, 0, 63, 64, 65, 127, 128, 129,
	    0, 1000, 4096, 3 };
	unsigned char buf[8192];
	char want[2 * CUST_MAX_DIGEST + 1];
	size_t off = 0;

	fill(buf, sizeof(buf), 5);
	newdigest(CUST_ALG_ALL);
	for (size_t i = 0; i < NELEM(cuts); i++) {
		update(buf + off, cuts[i]);
		off += cuts[i];
	}
	final();
	for (size_t i = 0; i < CUST_NALG; i++) {
		oneshot(allalgs[i], buf, off, want);
		ck_assert_str_eq(cust_digest_hex(d, allalgs[i]), want);
	}
}
END_TEST

START_TEST(raw_bytes_match_hex)
{
	char hex[2 * CUST_MAX_DIGEST + 1];
	const unsigned char *raw;

	newdigest(CUST_ALG_ALL);
	update("xyz", 3);
	final();
	for (size_t i = 0; i < CUST_NALG; i++) {
		ck_assert_ptr_nonnull(raw = cust_digest_raw(d, allalgs[i]));
		cust_hex(raw, cust_alg_size(allalgs[i]), hex);
		ck_assert_str_eq(cust_digest_hex(d, allalgs[i]), hex);
		ck_assert_uint_eq(strlen(hex), 2 * cust_alg_size(allalgs[i]));
	}
}
END_TEST

/* -------------------------------------------------------------- reset */

START_TEST(reset_after_final_starts_over)
{
	newdigest(CUST_ALG_SHA256 | CUST_ALG_MD5);
	update("garbage", 7);
	final();
	ck_assert_int_eq(cust_digest_reset(d), CUST_OK);
	update(ABC, 3);
	final();
	ck_assert_str_eq(cust_digest_hex(d, CUST_ALG_SHA256),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(cust_digest_hex(d, CUST_ALG_MD5),
	    "900150983cd24fb0d6963f7d28e17f72");
}
END_TEST

START_TEST(reset_midway_discards_bytes)
{
	newdigest(CUST_ALG_SHA1);
	update("partial data", 12);
	ck_assert_int_eq(cust_digest_reset(d), CUST_OK);
	update(ABC, 3);
	final();
	ck_assert_str_eq(cust_digest_hex(d, CUST_ALG_SHA1),
	    "a9993e364706816aba3e25717850c26c9cd0d89d");
}
END_TEST

/* ------------------------------------------------------ not computed */

START_TEST(hex_is_null_for_algorithm_not_in_mask)
{
	newdigest(CUST_ALG_SHA256 | CUST_ALG_MD5);
	update(ABC, 3);
	final();
	ck_assert_ptr_nonnull(cust_digest_hex(d, CUST_ALG_SHA256));
	ck_assert_ptr_nonnull(cust_digest_hex(d, CUST_ALG_MD5));
	ck_assert_ptr_null(cust_digest_hex(d, CUST_ALG_SHA1));
	ck_assert_ptr_null(cust_digest_hex(d, CUST_ALG_SHA512));
	ck_assert_ptr_null(cust_digest_raw(d, CUST_ALG_SHA1));
	ck_assert_ptr_null(cust_digest_raw(d, CUST_ALG_SHA512));
}
END_TEST

START_TEST(hex_is_null_for_non_algorithm_bits)
{
	newdigest(CUST_ALG_ALL);
	final();
	ck_assert_ptr_null(cust_digest_hex(d, 0));
	ck_assert_ptr_null(cust_digest_hex(d, CUST_ALG_SHA256 |
	    CUST_ALG_MD5));
	ck_assert_ptr_null(cust_digest_hex(d, 1u << CUST_NALG));
	ck_assert_ptr_null(cust_digest_hex(d, 1u << 31));
	ck_assert_ptr_null(cust_digest_raw(d, 0));
}
END_TEST

START_TEST(hex_is_null_before_final_and_after_reset)
{
	newdigest(CUST_ALG_ALL);
	update(ABC, 3);
	ck_assert_ptr_null(cust_digest_hex(d, CUST_ALG_SHA256));
	final();
	ck_assert_ptr_nonnull(cust_digest_hex(d, CUST_ALG_SHA256));
	ck_assert_int_eq(cust_digest_reset(d), CUST_OK);
	ck_assert_ptr_null(cust_digest_hex(d, CUST_ALG_SHA256));
	ck_assert_ptr_null(cust_digest_raw(d, CUST_ALG_MD5));
}
END_TEST

START_TEST(digest_free_null_is_noop)
{
	cust_digest_free(NULL);
}
END_TEST

/* ------------------------------------------------------------- names */

START_TEST(alg_names_sizes_and_lookup_agree)
{
	static const char *const names[CUST_NALG] = { "sha256", "sha512",
	    "sha1", "md5" };
	static const size_t sizes[CUST_NALG] = { 32, 64, 20, 16 };

	for (size_t i = 0; i < CUST_NALG; i++) {
		ck_assert_pstr_eq(cust_alg_name(allalgs[i]), names[i]);
		ck_assert_uint_eq(cust_alg_lookup(names[i]), allalgs[i]);
		ck_assert_uint_eq(cust_alg_size(allalgs[i]), sizes[i]);
	}
	ck_assert_ptr_null(cust_alg_name(0));
	ck_assert_ptr_null(cust_alg_name(CUST_ALG_SHA256 | CUST_ALG_SHA1));
	ck_assert_ptr_null(cust_alg_name(1u << CUST_NALG));
	ck_assert_uint_eq(cust_alg_size(0), 0);
	ck_assert_uint_eq(cust_alg_lookup(""), 0);
	ck_assert_uint_eq(cust_alg_lookup("sha384"), 0);
	ck_assert_uint_eq(cust_alg_lookup("SHA256"), 0);
	ck_assert_uint_eq(cust_alg_lookup("sha256 "), 0);
}
END_TEST

START_TEST(hex_formats_lowercase_and_terminates)
{
	static const unsigned char b[] = { 0x00, 0x0f, 0xa5, 0xff, 0x10 };
	char out[16];

	memset(out, 'x', sizeof(out));
	cust_hex(b, sizeof(b), out);
	ck_assert_str_eq(out, "000fa5ff10");
	cust_hex(b, 0, out);
	ck_assert_str_eq(out, "");
}
END_TEST

/* -------------------------------------------------------------- parse */

START_TEST(alg_parse_accepts_lists)
{
	unsigned mask = 0;

	ck_assert_int_eq(cust_alg_parse(ctx, "sha256,md5", &mask), CUST_OK);
	ck_assert_uint_eq(mask, CUST_ALG_SHA256 | CUST_ALG_MD5);
	mask = 0;
	ck_assert_int_eq(cust_alg_parse(ctx, "md5,sha1,sha512,sha256", &mask),
	    CUST_OK);
	ck_assert_uint_eq(mask, CUST_ALG_ALL);
	mask = 0;
	ck_assert_int_eq(cust_alg_parse(ctx, "sha1,sha1", &mask), CUST_OK);
	ck_assert_uint_eq(mask, CUST_ALG_SHA1);
}
END_TEST

START_TEST(alg_parse_ors_into_existing_mask)
{
	unsigned mask = CUST_ALG_SHA512;

	ck_assert_int_eq(cust_alg_parse(ctx, "md5", &mask), CUST_OK);
	ck_assert_uint_eq(mask, CUST_ALG_SHA512 | CUST_ALG_MD5);
}
END_TEST

/* A list and the word in it that must be refused. */
static const struct {
	const char	*list;
	const char	*word;
} badlists[] = {
	{ "sha3", "sha3" },
	{ "SHA256", "SHA256" },
	{ "sha256,sha384", "sha384" },
	{ "md5,sha-1", "sha-1" },
	{ "sha256, md5", " md5" },
	{ "md5 ", "md5 " },
	{ "sha256sha256sha256sha256", "sha256sha256sha256sha256" },
	{ "blake2b512,sha256", "blake2b512" },
};

START_TEST(alg_parse_rejects_unknown_word_by_name)
{
	char want[256];
	unsigned mask = 0;

	snprintf(want, sizeof(want), "%s: ", badlists[_i].word);
	ck_assert_int_eq(cust_alg_parse(ctx, badlists[_i].list, &mask),
	    CUST_FAILED);
	ck_assert_msg(strncmp(cust_ctx_error(ctx), want, strlen(want)) == 0,
	    "\"%s\": message \"%s\"", badlists[_i].list, cust_ctx_error(ctx));
	ck_assert_ptr_nonnull(strstr(cust_ctx_error(ctx), "unknown"));
}
END_TEST

static const char *const emptylists[] = { "", ",", "sha256,", ",md5",
    "sha256,,md5" };

START_TEST(alg_parse_rejects_empty_word)
{
	unsigned mask = 0;

	ck_assert_int_eq(cust_alg_parse(ctx, emptylists[_i], &mask),
	    CUST_FAILED);
	ck_assert_str_ne(cust_ctx_error(ctx), "");
}
END_TEST

START_TEST(alg_parse_empty_word_message_has_a_subject)
{
	unsigned mask = 0;

	/* "subject: reason" (STYLE 3): an empty word must still give the
	 * message a subject, not ": unknown hash algorithm...". */
	for (size_t i = 0; i < NELEM(emptylists); i++) {
		ck_assert_int_eq(cust_alg_parse(ctx, emptylists[i], &mask),
		    CUST_FAILED);
		ck_assert_msg(cust_ctx_error(ctx)[0] != ':' &&
		    cust_ctx_error(ctx)[0] != ' ', "\"%s\": message \"%s\"",
		    emptylists[i], cust_ctx_error(ctx));
	}
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *vec = tcase_create("vectors");
	TCase *pass = tcase_create("one pass");
	TCase *rst = tcase_create("reset");
	TCase *none = tcase_create("not computed");
	TCase *names = tcase_create("names");

	tcase_add_checked_fixture(vec, setup, teardown);
	tcase_set_timeout(vec, 60);
	tcase_add_loop_test(vec, known_vectors_match_each_algorithm, 0,
	    (int)NELEM(kats));
	tcase_add_test(vec, known_vectors_match_with_all_algorithms_at_once);
	tcase_add_test(vec, sha256_hex_one_shot_matches_vector);
	suite_add_tcase(s, vec);

	tcase_add_checked_fixture(pass, setup, teardown);
	tcase_set_timeout(pass, 60);
	tcase_add_test(pass, one_pass_equals_coreutils_on_same_bytes);
	tcase_add_test(pass, one_pass_equals_one_shot_for_many_lengths);
	tcase_add_test(pass, bytewise_updates_equal_one_update);
	tcase_add_test(pass, irregular_and_empty_updates_equal_one_update);
	tcase_add_test(pass, raw_bytes_match_hex);
	suite_add_tcase(s, pass);

	tcase_add_checked_fixture(rst, setup, teardown);
	tcase_add_test(rst, reset_after_final_starts_over);
	tcase_add_test(rst, reset_midway_discards_bytes);
	suite_add_tcase(s, rst);

	tcase_add_checked_fixture(none, setup, teardown);
	tcase_add_test(none, hex_is_null_for_algorithm_not_in_mask);
	tcase_add_test(none, hex_is_null_for_non_algorithm_bits);
	tcase_add_test(none, hex_is_null_before_final_and_after_reset);
	tcase_add_test(none, digest_free_null_is_noop);
	suite_add_tcase(s, none);

	tcase_add_checked_fixture(names, setup, teardown);
	tcase_add_test(names, alg_names_sizes_and_lookup_agree);
	tcase_add_test(names, hex_formats_lowercase_and_terminates);
	tcase_add_test(names, alg_parse_accepts_lists);
	tcase_add_test(names, alg_parse_ors_into_existing_mask);
	tcase_add_loop_test(names, alg_parse_rejects_unknown_word_by_name, 0,
	    (int)NELEM(badlists));
	tcase_add_loop_test(names, alg_parse_rejects_empty_word, 0,
	    (int)NELEM(emptylists));
	tcase_add_test(names, alg_parse_empty_word_message_has_a_subject);
	suite_add_tcase(s, names);
	return s;
}

