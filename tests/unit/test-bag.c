/*
 * test-bag.c: the BagIt layout.  A bag is built through a real sink, read
 * back with libarchive, and every tag file is checked against digests the
 * test computes itself with OpenSSL.  The extracted bag must pass the
 * cross-checks the design names: sha256sum -c, sha512sum -c and
 * minisign -V.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <openssl/evp.h>

#include "collect/pipeline/pipeline.h"
#include "harness.h"

#define MINISIGN	"/usr/bin/minisign"

static struct cust_ctx *ctx;
static struct cust_key *key;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	ck_assert_int_eq(cust_key_generate(ctx, &key), CUST_OK);
}

static void
teardown(void)
{
	cust_key_free(key);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* ----------------------------------------------------- reading back */

/* ---------------------------------------------------------- building */

static const struct timespec when = { 1700000000, 5 };	/* 2023-11-14 */

struct payload {
	const char	*stored;
	const char	*data;
};

static const struct payload payloads[] = {
	{ "data/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n" },
	{ "data/var/log/é.log", "caf\xc3\xa9\n" },
	{ "data/empty", "" },
	{ "data/a%b^25", "escaped name\n" },
};

struct build {
	unsigned	 algs;
	int		 spooldir;
	size_t		 npayloads;
	const struct cust_key *key;
	const char	*trusted;
	int		 outfd;		/* -1: DIR/out.tar */
	int		 r_seal;	/* what seal returned */
	bool		 close;		/* a .p7s, then the closing statement */
	uint64_t	 oxum_bytes, oxum_count;
};

static void
defaults(struct build *b)
{
	memset(b, 0, sizeof(*b));
	b->algs = CUST_ALG_SHA512 | CUST_ALG_MD5;
	b->spooldir = -1;
	b->npayloads = NELEM(payloads);
	b->key = key;
	b->trusted = "custody bag:b case:EVD-1";
	b->outfd = -1;
}

static void
record(struct cust_bag *bag, const struct payload *p,
    const struct cust_digest *d)
{
	struct cust_record rec;
	struct stat st;

	memset(&rec, 0, sizeof(rec));
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_size = (off_t)strlen(p->data);
	st.st_mtim = when;
	rec.path = p->stored + 4;
	rec.pathlen = strlen(rec.path);
	rec.stored = p->stored;
	rec.st = &st;
	rec.btime.tv_sec = -1;
	rec.status = CUST_ST_OK;
	rec.artefact = "test:1";
	rec.bytes = (int64_t)strlen(p->data);
	for (unsigned i = 0; i < CUST_NALG; i++)
		rec.hex[i] = cust_digest_hex(d, 1u << i);
	ck_assert_int_eq(cust_bag_record(bag, &rec), CUST_OK);
}

/* Build bag "b" into DIR/out.tar (or B->outfd); CUST_OK or what failed. */
static int
build(struct build *b)
{
	struct cust_bag_seal in;
	struct cust_digest *d;
	struct cust_sink *s;
	struct cust_bag *bag;
	char sha[65];
	uint64_t bytes;
	int fd = b->outfd, r;

	if (fd < 0)
		fd = open(path("out.tar"), O_RDWR | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	cust_sink_set_mtime(s, when.tv_sec);
	ck_assert_int_eq(cust_bag_new(ctx, s, "b", b->algs, b->spooldir, &when,
	    &bag), CUST_OK);
	ck_assert_int_eq(cust_digest_new(ctx, b->algs | CUST_ALG_SHA256, &d),
	    CUST_OK);
	if ((r = cust_bag_begin(bag)) != CUST_OK)
		goto out;
	for (size_t i = 0; i < b->npayloads; i++) {
		const struct payload *p = &payloads[i];
		size_t n = strlen(p->data);
		const char *m = cust_bag_member(bag, p->stored);

		ck_assert_ptr_nonnull(m);
		if ((r = cust_sink_write_member(s, m, p->data, n)) !=
		    CUST_OK)
			goto out;
		ck_assert_int_eq(cust_digest_reset(d), CUST_OK);
		ck_assert_int_eq(cust_digest_update(d, p->data, n), CUST_OK);
		ck_assert_int_eq(cust_digest_final(d), CUST_OK);
		ck_assert_int_eq(cust_bag_payload(bag, p->stored, n, d),
		    CUST_OK);
		record(bag, p, d);
	}
	cust_bag_oxum(bag, &b->oxum_bytes, &b->oxum_count);
	memset(&in, 0, sizeof(in));
	in.acquisition = "{\"format\": \"custody-bundle/2\"}\n";
	in.custody = "{\"seq\":0}\n";
	in.info = "External-Identifier: EVD-1\nContact-Name: Ann\n";
	in.key = b->key;
	in.untrusted = "signature from custody key";
	in.trusted = b->trusted;
	if ((r = b->r_seal = cust_bag_seal(bag, &in)) != CUST_OK)
		goto out;
	if (b->close) {
		ck_assert_int_eq(cust_bag_append(bag, CUST_P7S_MEMBER, "p7s",
		    3), CUST_OK);
		ck_assert_int_eq(cust_bag_close(bag, b->key, "closing",
		    "custody bag:b closed"), CUST_OK);
		/* Nothing after it, not even a token. */
		ck_assert_int_eq(cust_bag_append(bag, CUST_TSR_MEMBER, "t", 1),
		    CUST_FATAL);
		ck_assert_int_eq(cust_bag_close(bag, b->key, "closing",
		    "again"), CUST_FATAL);
	}
	r = cust_sink_close(s, sha, &bytes);
out:
	cust_digest_free(d);
	cust_bag_free(bag);
	cust_sink_free(s);
	if (b->outfd < 0)
		close(fd);
	return r;
}

/* Build with the defaults and read the result back. */
static void
built(void)
{
	struct build b;

	defaults(&b);
	ck_assert_int_eq(build(&b), CUST_OK);
	readback("out.tar");
	all_regular();
}

/* The lines of TEXT (modified in place) into V; their count. */
static size_t
lines(char *text, char **v, size_t max)
{
	size_t n = 0;
	char *nl;

	while (*text != '\0') {
		ck_assert_uint_lt(n, max);
		ck_assert_ptr_nonnull(nl = strchr(text, '\n'));
		*nl = '\0';
		v[n++] = text;
		text = nl + 1;
	}
	return n;
}

/* ------------------------------------------------------------ tests */

START_TEST(bag_members_in_documented_order)
{
	static const char *const want[] = {
		"b/bagit.txt", "b/metadata/algorithms.txt",
		"b/data/etc/passwd", "b/data/var/log/é.log", "b/data/empty",
		"b/data/a%b^25",
		"b/metadata/acquisition.json", "b/metadata/files.jsonl",
		"b/metadata/bodyfile.txt", "b/metadata/custody.jsonl",
		"b/manifest-sha256.txt", "b/manifest-sha512.txt",
		"b/manifest-md5.txt", "b/bag-info.txt",
		"b/tagmanifest-sha512.txt",
		"b/signatures/tagmanifest-sha512.txt.minisig",
	};

	built();
	ck_assert_uint_eq(nmem, NELEM(want));
	for (size_t i = 0; i < NELEM(want); i++)
		ck_assert_str_eq(mem[i].name, want[i]);
	forget();
}
END_TEST

START_TEST(bag_sha256_manifest_is_always_there)
{
	struct build b;

	defaults(&b);
	b.algs = 0;
	ck_assert_int_eq(build(&b), CUST_OK);
	readback("out.tar");
	all_regular();
	ck_assert_str_eq(must("b/metadata/algorithms.txt")->data, "sha256\n");
	ck_assert_ptr_nonnull(member("b/manifest-sha256.txt"));
	ck_assert_ptr_null(member("b/manifest-sha512.txt"));
	ck_assert_ptr_null(member("b/manifest-md5.txt"));
	forget();
}
END_TEST

START_TEST(bag_declares_bagit_and_algorithms)
{
	built();
	ck_assert_str_eq(must("b/bagit.txt")->data, "BagIt-Version: 1.0\n"
	    "Tag-File-Character-Encoding: UTF-8\n");
	ck_assert_str_eq(must("b/metadata/algorithms.txt")->data,
	    "sha256\nsha512\nmd5\n");
	forget();
}
END_TEST

static void
check_manifest(const char *name, const EVP_MD *md)
{
	const struct member *m = must(name);
	char *text = strdup(m->data), *v[16], want[300];
	size_t n = lines(text, v, NELEM(v));

	ck_assert_uint_eq(n, NELEM(payloads));
	for (size_t i = 0; i < n; i++) {
		char member_name[128];
		const struct member *p;

		snprintf(member_name, sizeof(member_name), "b/%s",
		    payloads[i].stored);
		p = must(member_name);
		hexof(md, p->data, p->size, want);
		strcat(want, "  ");
		strcat(want, payloads[i].stored);
		ck_assert_str_eq(v[i], want);
	}
	free(text);
}

START_TEST(bag_payload_manifests_match_contents)
{
	built();
	check_manifest("b/manifest-sha256.txt", EVP_sha256());
	check_manifest("b/manifest-sha512.txt", EVP_sha512());
	check_manifest("b/manifest-md5.txt", EVP_md5());
	forget();
}
END_TEST

START_TEST(bag_tag_manifest_lists_every_tag_file)
{
	static const char *const tags[] = {
		"bagit.txt", "metadata/algorithms.txt",
		"metadata/acquisition.json", "metadata/files.jsonl",
		"metadata/bodyfile.txt", "metadata/custody.jsonl",
		"manifest-sha256.txt", "manifest-sha512.txt",
		"manifest-md5.txt", "bag-info.txt",
	};
	char *text, *v[32], want[300], name[128];
	size_t n;

	built();
	text = strdup(must("b/tagmanifest-sha512.txt")->data);
	n = lines(text, v, NELEM(v));
	/* Not data/, not itself, not signatures/. */
	ck_assert_uint_eq(n, NELEM(tags));
	for (size_t i = 0; i < n; i++) {
		const struct member *m;

		snprintf(name, sizeof(name), "b/%s", tags[i]);
		m = must(name);
		hexof(EVP_sha512(), m->data, m->size, want);
		strcat(want, "  ");
		strcat(want, tags[i]);
		ck_assert_str_eq(v[i], want);
	}
	free(text);
	forget();
}
END_TEST

START_TEST(bag_info_has_oxum_date_and_extra_lines)
{
	struct build b;
	uint64_t bytes = 0;

	defaults(&b);
	ck_assert_int_eq(build(&b), CUST_OK);
	readback("out.tar");
	all_regular();
	for (size_t i = 0; i < NELEM(payloads); i++)
		bytes += strlen(payloads[i].data);
	ck_assert_uint_eq(b.oxum_bytes, bytes);
	ck_assert_uint_eq(b.oxum_count, NELEM(payloads));
	{
		char want[512];

		snprintf(want, sizeof(want), "Bag-Software-Agent: custody %s\n"
		    "Bagging-Date: 2023-11-14\nPayload-Oxum: %ju.%zu\n"
		    "External-Identifier: EVD-1\nContact-Name: Ann\n",
		    cust_version, (uintmax_t)bytes, NELEM(payloads));
		ck_assert_str_eq(must("b/bag-info.txt")->data, want);
	}
	forget();
}
END_TEST

START_TEST(bag_members_carry_the_sinks_mtime)
{
	built();
	for (size_t i = 0; i < nmem; i++)
		ck_assert_int_eq(mem[i].mtime, when.tv_sec);
	forget();
}
END_TEST

START_TEST(bag_records_one_line_per_artefact)
{
	char *text, *v[16];
	size_t n;

	built();
	text = strdup(must("b/metadata/files.jsonl")->data);
	n = lines(text, v, NELEM(v));
	ck_assert_uint_eq(n, NELEM(payloads));
	for (size_t i = 0; i < n; i++) {
		json_error_t err;
		json_t *o = json_loads(v[i], 0, &err);
		char want[65];

		ck_assert_msg(o != NULL, "%s: %s", v[i], err.text);
		ck_assert_str_eq(json_string_value(json_object_get(o,
		    "stored")), payloads[i].stored);
		ck_assert_str_eq(json_string_value(json_object_get(o,
		    "status")), "ok");
		hexof(EVP_sha256(), payloads[i].data,
		    strlen(payloads[i].data), want);
		ck_assert_str_eq(json_string_value(json_object_get(o,
		    "sha256")), want);
		json_decref(o);
	}
	free(text);
	text = strdup(must("b/metadata/bodyfile.txt")->data);
	n = lines(text, v, NELEM(v));
	ck_assert_uint_eq(n, NELEM(payloads));
	{
		char want[64];

		hexof(EVP_md5(), payloads[0].data, strlen(payloads[0].data),
		    want);
		strcat(want, "|/etc/passwd|");
		ck_assert_msg(strncmp(v[0], want, strlen(want)) == 0, "%s",
		    v[0]);
	}
	free(text);
	forget();
}
END_TEST

START_TEST(bag_signature_verifies_over_tag_manifest)
{
	const struct member *tm, *sm;
	struct cust_key *other;
	struct cust_sig *sig;
	char *edited;

	built();
	tm = must("b/tagmanifest-sha512.txt");
	sm = must("b/signatures/tagmanifest-sha512.txt.minisig");
	ck_assert_int_eq(cust_sig_parse(ctx, sm->data, sm->size, &sig),
	    CUST_OK);
	ck_assert(cust_sig_key_matches(sig, key));
	ck_assert_str_eq(cust_sig_trusted_comment(sig),
	    "custody bag:b case:EVD-1");
	ck_assert_int_eq(cust_sig_verify(ctx, sig, key, tm->data, tm->size),
	    CUST_OK);
	/* Not over anything else, not by another key. */
	edited = strdup(tm->data);
	edited[0] = edited[0] == '0' ? '1' : '0';
	ck_assert_int_eq(cust_sig_verify(ctx, sig, key, edited, tm->size),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "signature: invalid signature over the data");
	ck_assert_int_eq(cust_key_generate(ctx, &other), CUST_OK);
	ck_assert_int_eq(cust_sig_verify(ctx, sig, other, tm->data, tm->size),
	    CUST_FAILED);
	cust_key_free(other);
	free(edited);
	cust_sig_free(sig);
	forget();
}
END_TEST

START_TEST(bag_passes_independent_cross_checks)
{
	char *pub;

	built();
	forget();
	pub = cust_key_public_text(ctx, key);
	ck_assert_ptr_nonnull(pub);
	put("k.pub", pub, strlen(pub));
	free(pub);
	ck_assert_int_eq(sh("mkdir x && tar -xf out.tar -C x"), 0);
	ck_assert_int_eq(sh("cd x/b && sha256sum --quiet --strict -c "
	    "manifest-sha256.txt"), 0);
	ck_assert_int_eq(sh("cd x/b && sha512sum --quiet --strict -c "
	    "manifest-sha512.txt"), 0);
	ck_assert_int_eq(sh("cd x/b && md5sum --quiet --strict -c "
	    "manifest-md5.txt"), 0);
	ck_assert_int_eq(sh("cd x/b && sha512sum --quiet --strict -c "
	    "tagmanifest-sha512.txt"), 0);
	ck_assert_int_eq(sh(MINISIGN " -V -q -p k.pub -m "
	    "x/b/tagmanifest-sha512.txt -x "
	    "x/b/signatures/tagmanifest-sha512.txt.minisig"), 0);
	/* And they would notice: edit a payload file and a tag file. */
	ck_assert_int_eq(sh("echo >>x/b/data/etc/passwd"), 0);
	ck_assert_int_ne(sh("cd x/b && sha256sum --quiet -c "
	    "manifest-sha256.txt >/dev/null 2>&1"), 0);
	ck_assert_int_eq(sh("echo >>x/b/bag-info.txt"), 0);
	ck_assert_int_ne(sh("cd x/b && sha512sum --quiet -c "
	    "tagmanifest-sha512.txt >/dev/null 2>&1"), 0);
	ck_assert_int_eq(sh("echo >>x/b/tagmanifest-sha512.txt"), 0);
	ck_assert_int_ne(sh(MINISIGN " -V -q -p k.pub -m "
	    "x/b/tagmanifest-sha512.txt -x "
	    "x/b/signatures/tagmanifest-sha512.txt.minisig 2>/dev/null"), 0);
}
END_TEST

static void
sha512_hex(const void *p, size_t n, char out[129])
{
	unsigned char md[64];

	ck_assert_int_eq(EVP_Digest(p, n, md, NULL, EVP_sha512(), NULL), 1);
	cust_hex(md, sizeof(md), out);
}

START_TEST(bag_closing_statement_lists_what_follows_the_tag_manifest)
{
	const struct member *sm, *pm, *cm, *csm;
	char sig[129], p7s[129], want[1024];
	struct cust_sig *csig;
	struct build b;
	char *pub;

	defaults(&b);
	b.close = true;
	ck_assert_int_eq(build(&b), CUST_OK);
	readback("out.tar");
	all_regular();
	ck_assert_str_eq(mem[nmem - 4].name,
	    "b/signatures/tagmanifest-sha512.txt.minisig");
	ck_assert_str_eq(mem[nmem - 3].name, "b/" CUST_P7S_MEMBER);
	ck_assert_str_eq(mem[nmem - 2].name, "b/" CUST_CLOSING_MEMBER);
	ck_assert_str_eq(mem[nmem - 1].name, "b/" CUST_CLOSESIG_MEMBER);
	sm = must("b/signatures/tagmanifest-sha512.txt.minisig");
	pm = must("b/" CUST_P7S_MEMBER);
	cm = must("b/" CUST_CLOSING_MEMBER);
	csm = must("b/" CUST_CLOSESIG_MEMBER);
	sha512_hex(sm->data, sm->size, sig);
	sha512_hex(pm->data, pm->size, p7s);
	snprintf(want, sizeof(want), "# custody-closing/1: each member after "
	    "tagmanifest-sha512.txt and before this statement\n"
	    "%s  signatures/tagmanifest-sha512.txt.minisig\n"
	    "%s  signatures/tagmanifest-sha512.txt.p7s\n"
	    "# none: timestamps/tagmanifest-sha512.txt.minisig.tsr\n"
	    "# none: timestamps/tagmanifest-sha512.txt.p7s.tsr\n", sig, p7s);
	ck_assert_str_eq(cm->data, want);
	ck_assert_int_eq(cust_sig_parse(ctx, csm->data, csm->size, &csig),
	    CUST_OK);
	ck_assert_str_eq(cust_sig_trusted_comment(csig),
	    "custody bag:b closed");
	ck_assert_int_eq(cust_sig_verify(ctx, csig, key, cm->data, cm->size),
	    CUST_OK);
	cust_sig_free(csig);
	forget();
	/* Stock tools check it in the extracted bag. */
	pub = cust_key_public_text(ctx, key);
	ck_assert_ptr_nonnull(pub);
	put("k.pub", pub, strlen(pub));
	free(pub);
	ck_assert_int_eq(sh("mkdir x && tar -xf out.tar -C x"), 0);
	ck_assert_int_eq(sh("cd x/b && sha512sum --quiet --strict -c "
	    CUST_CLOSING_MEMBER), 0);
	ck_assert_int_eq(sh(MINISIGN " -V -q -p k.pub -m x/b/"
	    CUST_CLOSING_MEMBER " -x x/b/" CUST_CLOSESIG_MEMBER), 0);
	ck_assert_int_eq(sh("echo >>x/b/" CUST_P7S_MEMBER), 0);
	ck_assert_int_ne(sh("cd x/b && sha512sum --quiet --strict -c "
	    CUST_CLOSING_MEMBER " >/dev/null 2>&1"), 0);
}
END_TEST

START_TEST(bag_without_payload_is_complete)
{
	struct build b;

	defaults(&b);
	b.npayloads = 0;
	ck_assert_int_eq(build(&b), CUST_OK);
	readback("out.tar");
	all_regular();
	ck_assert_uint_eq(nmem, 12);
	ck_assert_uint_eq(must("b/manifest-sha256.txt")->size, 0);
	ck_assert_uint_eq(must("b/metadata/files.jsonl")->size, 0);
	ck_assert_ptr_nonnull(strstr(must("b/bag-info.txt")->data,
	    "\nPayload-Oxum: 0.0\n"));
	ck_assert_ptr_nonnull(member(
	    "b/signatures/tagmanifest-sha512.txt.minisig"));
	forget();
}
END_TEST

START_TEST(bag_spooled_on_disk_leaves_nothing_and_matches_memory)
{
	struct build b;
	char a[65], c[65];
	int sd;

	defaults(&b);
	ck_assert_int_eq(build(&b), CUST_OK);
	ck_assert_int_eq(sh("sha256sum <out.tar >mem.sum && mkdir spool"), 0);
	sd = open(path("spool"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(sd, 0);
	defaults(&b);
	b.spooldir = sd;
	ck_assert_int_eq(build(&b), CUST_OK);
	close(sd);
	ck_assert_int_eq(sh("sha256sum <out.tar >disk.sum"), 0);
	{
		FILE *f = fopen(path("mem.sum"), "r"), *g = fopen(
		    path("disk.sum"), "r");

		ck_assert_int_eq(fscanf(f, "%64s", a), 1);
		ck_assert_int_eq(fscanf(g, "%64s", c), 1);
		fclose(f);
		fclose(g);
	}
	/* Ed25519 is deterministic: the same bag, byte for byte. */
	ck_assert_str_eq(a, c);
	/* The spools were unnamed: nothing left in the directory. */
	ck_assert_int_eq(sh("test -z \"$(ls -A spool)\""), 0);
}
END_TEST

/* -------------------------------------------------------- failures */

START_TEST(bag_payload_needs_every_manifest_digest)
{
	struct cust_digest *d;
	struct cust_sink *s;
	struct cust_bag *bag;
	uint64_t bytes, count;
	int fd = open(path("out.tar"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_bag_new(ctx, s, "b", CUST_ALG_SHA512, -1, &when,
	    &bag), CUST_OK);
	ck_assert_int_eq(cust_digest_new(ctx, CUST_ALG_SHA256, &d), CUST_OK);
	ck_assert_int_eq(cust_digest_final(d), CUST_OK);
	ck_assert_int_eq(cust_bag_payload(bag, "data/x", 0, d), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "data/x: no sha512 digest");
	/* A digest not yet finished has nothing to give either. */
	cust_digest_free(d);
	ck_assert_int_eq(cust_digest_new(ctx, CUST_ALG_SHA256 |
	    CUST_ALG_SHA512, &d), CUST_OK);
	ck_assert_int_eq(cust_bag_payload(bag, "data/y", 0, d), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx), "data/y: no sha256 digest");
	/* Neither counts towards the Payload-Oxum. */
	cust_bag_oxum(bag, &bytes, &count);
	ck_assert_uint_eq(bytes, 0);
	ck_assert_uint_eq(count, 0);
	cust_digest_free(d);
	cust_bag_free(bag);
	cust_sink_free(s);
	close(fd);
}
END_TEST

START_TEST(bag_seal_refuses_public_key)
{
	struct cust_key *pub;
	struct build b;
	char *text = cust_key_public_text(ctx, key);

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(cust_key_parse_public(ctx, text, strlen(text), &pub),
	    CUST_OK);
	free(text);
	defaults(&b);
	b.key = pub;
	ck_assert_int_eq(build(&b), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "signature: the key has no secret part");
	cust_key_free(pub);
}
END_TEST

START_TEST(bag_seal_refuses_line_break_in_comment)
{
	struct build b;

	defaults(&b);
	b.trusted = "case:EVD-1\nforged: yes";
	ck_assert_int_eq(build(&b), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "trusted comment: contains a line break");
}
END_TEST

START_TEST(bag_reports_write_error)
{
	struct build b;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	defaults(&b);
	b.outfd = fd;
	ck_assert_int_eq(build(&b), CUST_FATAL);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "out.tar: No space left on device");
	close(fd);
}
END_TEST

START_TEST(bag_member_names_under_top_directory)
{
	struct cust_sink *s;
	struct cust_bag *bag;
	char longrel[600];
	int fd = open(path("out.tar"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	ck_assert_int_eq(cust_sink_new(ctx, fd, "out.tar", 0, 0, NULL, &s),
	    CUST_OK);
	ck_assert_int_eq(cust_bag_new(ctx, s, "EVD-0042", 0, -1, &when, &bag),
	    CUST_OK);
	ck_assert_str_eq(cust_bag_member(bag, "bagit.txt"),
	    "EVD-0042/bagit.txt");
	memset(longrel, 'x', sizeof(longrel) - 1);
	longrel[sizeof(longrel) - 1] = '\0';
	ck_assert_uint_eq(strlen(cust_bag_member(bag, longrel)),
	    9 + sizeof(longrel) - 1);
	ck_assert_str_eq(cust_bag_member(bag, "data/a"), "EVD-0042/data/a");
	cust_bag_free(bag);
	cust_sink_free(s);
	close(fd);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("bag");
	TCase *layout = tcase_create("layout");
	TCase *fail = tcase_create("failures");

	tcase_add_checked_fixture(layout, setup, teardown);
	tcase_set_timeout(layout, 60);
	tcase_add_test(layout, bag_members_in_documented_order);
	tcase_add_test(layout,
	    bag_closing_statement_lists_what_follows_the_tag_manifest);
	tcase_add_test(layout, bag_sha256_manifest_is_always_there);
	tcase_add_test(layout, bag_declares_bagit_and_algorithms);
	tcase_add_test(layout, bag_payload_manifests_match_contents);
	tcase_add_test(layout, bag_tag_manifest_lists_every_tag_file);
	tcase_add_test(layout, bag_info_has_oxum_date_and_extra_lines);
	tcase_add_test(layout, bag_members_carry_the_sinks_mtime);
	tcase_add_test(layout, bag_records_one_line_per_artefact);
	tcase_add_test(layout, bag_signature_verifies_over_tag_manifest);
	tcase_add_test(layout, bag_passes_independent_cross_checks);
	tcase_add_test(layout, bag_without_payload_is_complete);
	tcase_add_test(layout,
	    bag_spooled_on_disk_leaves_nothing_and_matches_memory);
	tcase_add_test(layout, bag_member_names_under_top_directory);
	suite_add_tcase(s, layout);

	tcase_add_checked_fixture(fail, setup, teardown);
	tcase_add_test(fail, bag_payload_needs_every_manifest_digest);
	tcase_add_test(fail, bag_seal_refuses_public_key);
	tcase_add_test(fail, bag_seal_refuses_line_break_in_comment);
	tcase_add_test(fail, bag_reports_write_error);
	suite_add_tcase(s, fail);
	return s;
}

