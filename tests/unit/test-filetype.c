/*
 * test-filetype.c: file types from the bytes already read.  Known headers
 * give the types file(1) gives for the same bytes; the probe sees only the
 * first CUST_PROBE_BYTES, which is shown with a buffer that libmagic itself
 * calls data when it sees all of it; a missing magic database is reported,
 * not fatal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <magic.h>

#include "private.h"

static struct cust_ctx *ctx;
static struct cust_filetype *ft;
static char dir[64];

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_filetype_new(ctx, &ft), CUST_OK);
	ck_assert_ptr_nonnull(ft);
	snprintf(dir, sizeof(dir), "/tmp/test-filetype.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	cust_filetype_free(ft);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
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

	snprintf(path, sizeof(path), "%s/probe", dir);
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

START_TEST(filetype_free_null_is_noop)
{
	cust_filetype_free(NULL);
}
END_TEST

static Suite *
filetype_suite(void)
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
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(db, setup, teardown);
	tcase_add_test(db, host_database_is_never_used);
	tcase_add_test(db, filetype_free_null_is_noop);
	suite_add_tcase(s, db);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(filetype_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
