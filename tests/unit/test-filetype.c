/*
 * test-filetype.c: file types from the bytes already read.  Known headers
 * give the types file(1) gives for the same bytes; the probe sees only the
 * first CUST_PROBE_BYTES, which is shown with a buffer that libmagic itself
 * calls data when it sees all of it; a missing magic database is reported,
 * not fatal.  The gates that let the probe skip the database give the
 * answer libmagic gives with the database, for a sample of every entry
 * cut at every length, every byte at every gated offset, and random
 * buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <magic.h>

#include "collect/collect.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_filetype *ft;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_filetype_new(ctx, &ft), CUST_OK);
	ck_assert_ptr_nonnull(ft);
	scratch_make();
}

static void
teardown(void)
{
	cust_filetype_free(ft);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* A 1x1 RGBA PNG: signature and IHDR chunk (PNG spec, 5.2 and 11.2.2). */
static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
	0, 0, 0, 13, 'I', 'H', 'D', 'R',
	0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
	0x1f, 0x15, 0xc4, 0x89,
};

/* An ELF64 little-endian x86-64 executable header (e_ident, e_type,
 * e_machine, e_version). */
static void
elfheader(unsigned char h[64])
{
	memset(h, 0, 64);
	memcpy(h, "\x7f" "ELF", 4);
	h[4] = 2;		/* ELFCLASS64 */
	h[5] = 1;		/* ELFDATA2LSB */
	h[6] = 1;		/* EV_CURRENT */
	h[16] = 2;		/* ET_EXEC */
	h[18] = 0x3e;		/* EM_X86_64 */
	h[20] = 1;		/* EV_CURRENT */
}

/* What `file -b` says for N bytes of P. */
static void
file1(const void *p, size_t n, char *out, size_t size)
{
	char path[128], cmd[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/probe", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "file -b '%s'", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(out, (int)size, f));
	ck_assert_int_eq(pclose(f), 0);
	out[strcspn(out, "\n")] = '\0';
}

static const char *
probe(const void *p, size_t n)
{
	const char *t = cust_filetype_probe(ft, p, n);

	ck_assert_ptr_nonnull(t);
	return t;
}

static bool
prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

START_TEST(database_loads)
{
	ck_assert_ptr_null(cust_filetype_unavailable(ft));
}
END_TEST

START_TEST(png_header_is_png_image)
{
	char want[256];

	ck_assert_str_eq(probe(png, sizeof(png)),
	    "PNG image data, 1 x 1");
	/* The built-in database says less than file(1), never otherwise. */
	file1(png, sizeof(png), want, sizeof(want));
	ck_assert(prefix(want, probe(png, sizeof(png))));
}
END_TEST

START_TEST(ascii_text_is_ascii_text)
{
	static const char text[] = "Hello, world.\nA second line.\n";
	char want[256];

	ck_assert_str_eq(probe(text, strlen(text)), "ASCII text");
	file1(text, strlen(text), want, sizeof(want));
	ck_assert_str_eq(want, "ASCII text");
}
END_TEST

START_TEST(elf_header_is_elf)
{
	unsigned char h[64];

	elfheader(h);
	ck_assert_msg(prefix(probe(h, sizeof(h)), "ELF 64-bit LSB"), "%s",
	    probe(h, sizeof(h)));
	ck_assert_ptr_nonnull(strstr(probe(h, sizeof(h)), "x86-64"));
	h[5] = 2;		/* ELFDATA2MSB */
	ck_assert_msg(prefix(probe(h, sizeof(h)), "ELF 64-bit MSB"), "%s",
	    probe(h, sizeof(h)));
}
END_TEST

/* The deepest test of the database: the probe must reach offset 1080. */
START_TEST(ext_superblock_is_within_the_probe)
{
	unsigned char *img = calloc(1, 4096);

	ck_assert_ptr_nonnull(img);
	img[1080] = 0x53;
	img[1081] = 0xef;
	ck_assert_str_eq(probe(img, 4096),
	    "Linux ext2/ext3/ext4 filesystem data");
	free(img);
}
END_TEST

START_TEST(empty_buffer_is_empty)
{
	ck_assert_str_eq(probe("", 0), "empty");
}
END_TEST

START_TEST(binary_noise_is_not_text)
{
	unsigned char b[512];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(i * 131 + 7);
	b[0] = 0;
	ck_assert_msg(strstr(probe(b, sizeof(b)), "text") == NULL, "%s",
	    probe(b, sizeof(b)));
}
END_TEST

/* N bytes of text lines, binary from offset AT on; owned. */
static unsigned char *
text_then_binary(size_t n, size_t at)
{
	unsigned char *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		b[i] = i % 64 == 63 ? '\n' : (unsigned char)('a' + i % 26);
	for (size_t i = at; i < n; i++)
		b[i] = (unsigned char)(i % 7 == 0 ? 0 : 0x80 + i % 100);
	return b;
}

/* libmagic, with the flags filetype.c documents, on all N bytes. */
static char *
whole(const void *p, size_t n)
{
	magic_t m = magic_open(MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
	    MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_JSON |
	    MAGIC_NO_CHECK_ENCODING);
	char *s;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(magic_load(m, NULL), 0);
	s = strdup(magic_buffer(m, p, n));
	magic_close(m);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(probe_looks_only_at_first_probe_bytes)
{
	size_t n = CUST_PROBE_BYTES + 4096;
	unsigned char *b = text_then_binary(n, CUST_PROBE_BYTES);
	char *all = whole(b, n);

	/* Seen whole it is not text, so the cut is what makes it text. */
	ck_assert_msg(strstr(all, "text") == NULL, "whole buffer: %s", all);
	ck_assert_str_eq(probe(b, n), "ASCII text");
	free(all);
	free(b);
}
END_TEST

START_TEST(probe_sees_binary_just_inside_the_limit)
{
	size_t n = CUST_PROBE_BYTES + 4096;
	unsigned char *b = text_then_binary(n, CUST_PROBE_BYTES - 64);

	ck_assert_msg(strcmp(probe(b, n), "ASCII text") != 0, "%s",
	    probe(b, n));
	free(b);
}
END_TEST

START_TEST(probe_result_follows_latest_call)
{
	const char *a, *b;

	a = probe(png, sizeof(png));
	ck_assert(prefix(a, "PNG image data"));
	b = probe("plain\n", 6);
	ck_assert_str_eq(b, "ASCII text");
	ck_assert(prefix(probe(png, sizeof(png)), "PNG image data"));
}
END_TEST

START_TEST(host_database_is_never_used)
{
	struct cust_filetype *own;

	/* libmagic would take its default database from $MAGIC, and a
	 * suspect host's database may lie: the built-in one is used. */
	ck_assert_int_eq(setenv("MAGIC", "/nonexistent/custody.mgc", 1), 0);
	ck_assert_int_eq(cust_filetype_new(ctx, &own), CUST_OK);
	ck_assert_int_eq(unsetenv("MAGIC"), 0);
	ck_assert_ptr_null(cust_filetype_unavailable(own));
	ck_assert_str_eq(cust_filetype_probe(own, png, sizeof(png)),
	    "PNG image data, 1 x 1");
	cust_filetype_free(own);
}
END_TEST

/* Signatures that share a prefix hang under one entry of the database:
 * each child still names its own format, and a prefix no child matches
 * is no match at all (the file goes on to the text test). */
static const struct {
	const char	*head;
	size_t		 len;
	const char	*type;
} grouped[] = {
#define G(h, t)	{ h, sizeof(h) - 1, t }
	G("#!/bin/sh\necho\n", "POSIX shell script text executable"),
	G("#!/bin/bash\n", "Bourne-Again shell script text executable"),
	G("#!/usr/bin/env python3\n", "script text executable (env)"),
	G("#!/usr/bin/perl -w\n", "Perl script text executable"),
	G("#!/bin/zsh\n", "script text executable"),
	G("%PDF-1.7\n", "PDF document, version 1.7"),
	G("%!PS-Adobe-3.0\n", "PostScript document text"),
	G("% not a format\n", "ASCII text"),
	G("<?xml version=\"1.0\"?>\n", "XML document text"),
	G("<?php echo 1; ?>\n", "PHP script text"),
	G("<!DOCTYPE html>\n", "HTML document text"),
	G("<HTML><body></body>\n", "HTML document text"),
	G("< less than\n", "ASCII text"),
	G("GIF87a\1\0\1\0", "GIF image data, version 87a"),
	G("GIF89a\1\0\1\0", "GIF image data, version 89a"),
	G("PK\5\6\0\0\0\0", "Zip archive data (empty)"),
	G("PK\3\4\24\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\10\0\0\0mimetype", "Zip archive data, OpenDocument"),
	G("070701000000", "ASCII cpio archive (SVR4)"),
	G("070707000000", "ASCII cpio archive (pre-SVR4)"),
	G("\xce\xfa\xed\xfe\7\0\0\0", "Mach-O 32-bit executable"),
	G("\xcf\xfa\xed\xfe\7\0\0\1", "Mach-O 64-bit executable"),
	G("-----BEGIN CERTIFICATE-----\n", "PEM certificate"),
	G("-----BEGIN CERTIFICATE REQUEST-----\n", "PEM certificate request"),
	G("-----BEGIN PRIVATE KEY-----\n", "PEM private key (PKCS#8)"),
	G("-----BEGIN EC PRIVATE KEY-----\n", "PEM EC private key"),
	G("-----BEGIN PGP MESSAGE-----\n", "PGP armored data"),
	G("-----BEGIN NOTHING-----\n", "ASCII text"),
	G("ssh-ed25519 AAAA key\n", "OpenSSH ED25519 public key"),
	G("ssh-rsa AAAA key\n", "OpenSSH RSA public key"),
	G("ssh-agent is not a key\n", "ASCII text"),
#undef G
};

START_TEST(grouped_signatures_keep_their_names)
{
	ck_assert_str_eq(probe(grouped[_i].head, grouped[_i].len),
	    grouped[_i].type);
}
END_TEST

/* libmagic as filetype.c sets it up, always with the database (or never:
 * MAGIC_NO_CHECK_SOFT), to hold the probe's gates against.  libmagic keeps
 * using the copy of the database it loads: *DB, freed after magic_close. */
static magic_t
reference(int flags, void **db)
{
	magic_t m = magic_open(flags);
	size_t len = cust_magic_db_len;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(*db = malloc(len));
	memcpy(*db, cust_magic_db, len);
	ck_assert_int_eq(magic_load_buffers(m, db, &len, 1), 0);
	return m;
}

/* The probe and libmagic with the whole database agree on N bytes of B. */
static void
agree(magic_t whole, const unsigned char *b, size_t n)
{
	size_t k = n < CUST_PROBE_BYTES ? n : CUST_PROBE_BYTES;
	const char *want = magic_buffer(whole, b, k);
	const char *got = cust_filetype_probe(ft, b, n);

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(want, got) == 0,
	    "%zu bytes from %02x: database says \"%s\", probe \"%s\"",
	    n, n > 0 ? b[0] : 0, want, got);
}

/* One sample for every top-level entry of collect/custody.magic, HEAD at AT
 * in a buffer of zeros: each is named by the database, not by the text
 * test (the test checks that too). */
static const struct {
	const char	*head;
	size_t		 len;
	size_t		 at;
} sample[] = {
#define S(h)		{ h, sizeof(h) - 1, 0 }
#define SAT(h, at)	{ h, sizeof(h) - 1, at }
	S("\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\2\0\76\0"),
	S("MZ\220\0\3\0\0\0"),
	S("\xcf\xfa\xed\xfe\7\0\0\1"),
	S("\xca\xfe\xba\xbe\0\0\0\2"),
	S("!<arch>\ndebian-binary   "),
	S("#!/bin/sh\necho\n"),
	S("\x89PNG\r\n\x1a\n\0\0\0\15IHDR\0\0\0\1\0\0\0\1"),
	S("\xff\xd8\xff\xe0\0\x10JFIF\0"),
	S("GIF89a\1\0\1\0"),
	S("II*\0\10\0\0\0"),
	S("MM\0*\0\0\0\10"),
	S("RIFF\0\0\0\0WEBPVP8 "),
	S("%PDF-1.7\n"),
	S("<?xml version=\"1.0\"?>\n"),
	S("\320\317\021\340\241\261\032\341\0\0"),
	S("PK\3\4\24\0\0\0\10\0"),
	S("\037\213\10\0\0\0\0\0"),
	S("BZh91AY&SY"),
	S("\3757zXZ\0\0\4"),
	S("\x28\xb5\x2f\xfd\4\0"),
	S("\4\x22\x4d\x18\x64\x40"),
	S("7z\274\257\047\034\0\4"),
	S("Rar!\032\007\0"),
	SAT("ustar", 257),
	S("070701000000"),
	S("\355\253\356\333\3\0"),
	S("SQLite format 3\0"),
	S("LPKSHHRH\0\0\0\0"),
	S("ElfFile\0"),
	S("regf\0\0\0\0"),
	S("L\0\0\0\001\024\002\0\0\0\0\0\300\0\0\0\0\0\0F"),
	S("\xd4\xc3\xb2\xa1\2\0\4\0"),
	S("\xa1\xb2\xc3\xd4\0\2\0\4"),
	S("\x0a\x0d\x0d\x0a\x1c\0\0\0"),
	S("-----BEGIN CERTIFICATE-----\n"),
	S("ssh-ed25519 AAAA\n"),
	S("ecdsa-sha2-nistp256 AAAA\n"),
	S("QFI\373\0\0\0\3"),
	S("KDMV\1\0\0\0"),
	S("conectix\0\0\0\2"),
	S("vhdxfile"),
	S("LUKS\272\276\0\1"),
	S("hsqs\0\0\0\0"),
	SAT("\x53\xef", 1080),
#undef S
#undef SAT
};

START_TEST(every_database_entry_has_a_sample)
{
	char line[512];
	FILE *f = fopen(TEST_DATA "/../../lib/collect/custody.magic", "r");
	int entries = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strchr("#>!\n", line[0]) == NULL)
			entries++;
	fclose(f);
	ck_assert_int_eq(entries, (int)(sizeof(sample) / sizeof(sample[0])));
}
END_TEST

START_TEST(gates_agree_with_the_database_on_every_entry)
{
	void *db[2];
	magic_t whole = reference(CUST_MAGIC_FLAGS, &db[0]);
	magic_t none = reference(CUST_MAGIC_FLAGS | MAGIC_NO_CHECK_SOFT, &db[1]);
	size_t n = sample[_i].at + sample[_i].len;
	unsigned char *b = calloc(1, n);
	char *bare;

	ck_assert_ptr_nonnull(b);
	memcpy(b + sample[_i].at, sample[_i].head, sample[_i].len);
	/* The sample is one the database names, or it would prove nothing. */
	ck_assert_ptr_nonnull(bare = strdup(magic_buffer(none, b, n)));
	ck_assert_msg(strcmp(bare, magic_buffer(whole, b, n)) != 0,
	    "sample %d is not named by the database: %s", _i, bare);
	/* Whole, and cut short anywhere, as a file of that size would be. */
	for (size_t k = 0; k <= n; k++)
		agree(whole, b, k);
	free(bare);
	free(b);
	magic_close(none);
	magic_close(whole);
	free(db[1]);
	free(db[0]);
}
END_TEST

/* Every byte at every gated offset, in text and in zeros, the buffer
 * ending just after it or running on. */
START_TEST(gates_agree_with_the_database_on_every_byte)
{
	void *db;
	magic_t whole = reference(CUST_MAGIC_FLAGS, &db);
	size_t n = CUST_PROBE_BYTES + 16, off;
	unsigned char *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	for (size_t g = 0; g < cust_magic_ngates; g++) {
		off = cust_magic_gates[g].off;
		for (int fill = 0; fill < 2; fill++) {
			for (size_t i = 0; i < n; i++)
				b[i] = fill ? 0 : i % 40 == 39 ? '\n' :
				    (unsigned char)('a' + i % 26);
			for (int v = 0; v < 256; v++) {
				b[off] = (unsigned char)v;
				agree(whole, b, off + 1);
				agree(whole, b, off + 5);
				agree(whole, b, n);
			}
		}
	}
	free(b);
	magic_close(whole);
	free(db);
}
END_TEST

/* Random lines and random bytes, some led by a gated byte. */
START_TEST(gates_agree_with_the_database_on_random_buffers)
{
	void *db;
	magic_t whole = reference(CUST_MAGIC_FLAGS, &db);
	unsigned char b[2048];
	unsigned seed = 20261129;
	size_t n;

	for (int r = 0; r < 20000; r++) {
		n = (size_t)rand_r(&seed) % sizeof(b);
		for (size_t i = 0; i < n; i++)
			b[i] = r % 2 ? (unsigned char)rand_r(&seed) :
			    rand_r(&seed) % 30 == 0 ? '\n' :
			    (unsigned char)(' ' + rand_r(&seed) % 95);
		if (n > 0 && r % 4 < 2)
			b[0] = (unsigned char)sample[r / 4 %
			    (sizeof(sample) / sizeof(sample[0]))].head[0];
		agree(whole, b, n);
	}
	magic_close(whole);
	free(db);
}
END_TEST

START_TEST(filetype_free_null_is_noop)
{
	cust_filetype_free(NULL);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("filetype");
	TCase *tc = tcase_create("probe");
	TCase *db = tcase_create("database");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, database_loads);
	tcase_add_test(tc, png_header_is_png_image);
	tcase_add_test(tc, ascii_text_is_ascii_text);
	tcase_add_test(tc, elf_header_is_elf);
	tcase_add_test(tc, ext_superblock_is_within_the_probe);
	tcase_add_test(tc, empty_buffer_is_empty);
	tcase_add_test(tc, binary_noise_is_not_text);
	tcase_add_test(tc, probe_looks_only_at_first_probe_bytes);
	tcase_add_test(tc, probe_sees_binary_just_inside_the_limit);
	tcase_add_test(tc, probe_result_follows_latest_call);
	tcase_add_loop_test(tc, grouped_signatures_keep_their_names, 0,
	    (int)(sizeof(grouped) / sizeof(grouped[0])));
	tcase_add_test(tc, every_database_entry_has_a_sample);
	tcase_add_loop_test(tc, gates_agree_with_the_database_on_every_entry, 0,
	    (int)(sizeof(sample) / sizeof(sample[0])));
	tcase_add_test(tc, gates_agree_with_the_database_on_every_byte);
	tcase_add_test(tc, gates_agree_with_the_database_on_random_buffers);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(db, setup, teardown);
	tcase_add_test(db, host_database_is_never_used);
	tcase_add_test(db, filetype_free_null_is_noop);
	suite_add_tcase(s, db);
	return s;
}

