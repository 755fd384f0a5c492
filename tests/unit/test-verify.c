/*
 * test-verify.c: the streaming verifier on real bundles.  Each bundle is
 * made by cust_collect() from a tree built at run time, then tampered with
 * here on its real bytes: a payload byte flipped where the tar headers say
 * the member's data is, members removed, added or moved by rewriting the
 * archive member by member with libarchive, a tag file edited in place,
 * the archive cut short.  Every kind of damage must give CUST_BROKEN with
 * the failed check and a finding naming the member, and the counts of
 * matched, missing, extra and mismatched files must be right.  A rewrite
 * that changes nothing must still verify, so that the damage, not the
 * rewrite, is what the verifier sees.
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

#include "collect/collect.h"
#include "harness.h"

#define SIGNAME	"signatures/tagmanifest-sha512.txt.minisig"
#define NFILES	6		/* regular files in the tree */
#define NBYTES	(6 + 3 + 2 + 5000 + 10 + 8)

static struct cust_ctx *ctx;
static struct cust_key *key;	/* sealed the bundle */
static struct cust_key *pub;	/* its public half */
static char root[96];
static struct cust_collect_result res;
static struct cust_report *rep;
/* Who the verifier is told to trust. */
static const struct cust_key *keys[2];
static size_t nkeys;
static const char *ids[2];
static size_t nids;

/* Collect the tree into DIR/NAME, sealed with KEY. */
static void
make_bundle(const char *name, int zstd)
{
	static char arg0[] = "custody";
	static char *argv[] = { arg0, NULL };
	const char *paths[] = { "/tree" };
	struct cust_collect_opts o;
	int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);

	ck_assert_int_ge(fd, 0);
	memset(&o, 0, sizeof(o));
	o.paths = paths;
	o.npaths = 1;
	o.root = root;
	o.out_fd = fd;
	o.out_name = name;
	o.spool_dirfd = -1;
	o.bag_name = "t";
	o.no_guard = true;
	o.zstd_level = zstd;
	o.key = key;
	o.case_id = "EVD-0042";
	o.argc = 1;
	o.argv = argv;
	cust_collect_result_fini(&res);
	ck_assert_int_eq(cust_collect(ctx, &o, &res), CUST_OK);
	close(fd);
}

static void
setup(void)
{
	char *text;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	snprintf(root, sizeof(root), "%s/root", scratch);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(path("root/tree"), 0755), 0);
	ck_assert_int_eq(mkdir(path("root/tree/sub"), 0755), 0);
	put("root/tree/a.txt", "alpha\n", 6);
	put("root/tree/\xc3\xa9.txt", "\xc3\xa9\n", 3);
	put("root/tree/sub/c.log", "c\n", 2);
	put("root/tree/bad\xff", "not utf-8\n", 10);
	put("root/tree/%odd", "percent\n", 8);
	{
		char big[5000];

		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)(i * 13);
		put("root/tree/b.bin", big, sizeof(big));
	}
	ck_assert_int_eq(symlink("a.txt", path("root/tree/link")), 0);
	ck_assert_int_eq(cust_key_generate(ctx, &key), CUST_OK);
	text = cust_key_public_text(ctx, key);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(cust_key_parse_public(ctx, text, strlen(text), &pub),
	    CUST_OK);
	free(text);
	memset(&res, 0, sizeof(res));
	rep = NULL;
	nkeys = nids = 0;
	make_bundle("b.tar", 0);
}

static void
teardown(void)
{
	cust_report_free(rep);
	cust_collect_result_fini(&res);
	cust_key_free(pub);
	cust_key_free(key);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* ------------------------------------------------------- verifying */

static void
verify_fd(int fd, const char *name)
{
	struct cust_verify_opts o;

	memset(&o, 0, sizeof(o));
	o.fd = fd;
	o.name = name;
	o.keys = keys;
	o.nkeys = nkeys;
	o.key_ids = ids;
	o.nkey_ids = nids;
	cust_report_free(rep);
	rep = NULL;
	alarm(60);
	ck_assert_int_eq(cust_verify(ctx, &o, &rep), CUST_OK);
	alarm(0);
	ck_assert_ptr_nonnull(rep);
}

static void
verify(const char *name)
{
	int fd = open(path(name), O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	verify_fd(fd, name);
	close(fd);
}

/* The findings, one a line, for failure messages (borrowed). */
static const char *
findings(void)
{
	static char buf[8192];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rep->nfindings && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n  %s: %s: "
		    "%s", rep->findings[i].check, rep->findings[i].subject,
		    rep->findings[i].message);
	return buf;
}

/* The report has a finding of CHECK about SUBJECT whose message holds
 * TEXT (or any message when TEXT is NULL). */
static void
has_finding(const char *check, const char *subject, const char *text)
{
	for (size_t i = 0; i < rep->nfindings; i++) {
		const struct cust_finding *f = &rep->findings[i];

		if (strcmp(f->check, check) == 0 &&
		    strcmp(f->subject, subject) == 0 &&
		    (text == NULL || strstr(f->message, text) != NULL))
			return;
	}
	ck_abort_msg("no %s finding about %s (%s); findings:%s", check,
	    subject, text ? text : "", findings());
}

static void
broken(const char *check)
{
	ck_assert_msg(rep->verdict == CUST_BROKEN, "verdict %d%s",
	    rep->verdict, findings());
	ck_assert_ptr_nonnull(rep->failed_check);
	ck_assert_msg(strcmp(rep->failed_check, check) == 0,
	    "failed check %s, not %s;%s", rep->failed_check, check,
	    findings());
	ck_assert_uint_gt(rep->nfindings, 0);
}

static void
counts(uint64_t matched, uint64_t missing, uint64_t extra,
    uint64_t mismatched)
{
	ck_assert_msg(rep->matched == matched && rep->missing == missing &&
	    rep->extra == extra && rep->mismatched == mismatched,
	    "matched %ju missing %ju extra %ju mismatched %ju;%s",
	    (uintmax_t)rep->matched, (uintmax_t)rep->missing,
	    (uintmax_t)rep->extra, (uintmax_t)rep->mismatched, findings());
}

static void
sha256_file(const char *name, char out[65])
{
	unsigned char *p, md[32];
	size_t n;

	p = slurp(name, &n);
	ck_assert_int_eq(EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL), 1);
	cust_hex(md, 32, out);
	free(p);
}

/* ------------------------------------------------ raw tar surgery */

static uint64_t
octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

/* Where member NAME's header and data are in the plain tar BUF. */
static void
locate(const unsigned char *buf, size_t n, const char *name,
    size_t *hdrp, size_t *datap, size_t *sizep)
{
	char pending[512] = "", full[512];
	size_t off = 0;

	while (off + 512 <= n) {
		const unsigned char *h = buf + off;
		size_t size = (size_t)octal(h + 124, 12);
		size_t next = off + 512 + (size + 511) / 512 * 512;

		if (h[0] == '\0')
			break;
		if (h[156] == 'x') {
			/* "LEN path=VALUE\n" records */
			const char *r = (const char *)h + 512;
			const char *e = r + size, *p;

			for (; r < e; r = p) {
				size_t len = (size_t)strtoul(r, NULL, 10);
				const char *kv = strchr(r, ' ') + 1;

				p = r + len;
				if (strncmp(kv, "path=", 5) == 0)
					snprintf(pending, sizeof(pending),
					    "%.*s", (int)(p - kv - 6),
					    kv + 5);
			}
			off = next;
			continue;
		}
		if (pending[0] != '\0')
			snprintf(full, sizeof(full), "%s", pending);
		else if (h[345] != '\0')
			snprintf(full, sizeof(full), "%.155s/%.100s",
			    (const char *)h + 345, (const char *)h);
		else
			snprintf(full, sizeof(full), "%.100s",
			    (const char *)h);
		pending[0] = '\0';
		if (strcmp(full, name) == 0) {
			*hdrp = off;
			*datap = off + 512;
			*sizep = size;
			return;
		}
		off = next;
	}
	ck_abort_msg("no member %s in the tar", name);
}

/* Flip bit 0 of byte AT of member NAME's data in DIR/FILE, in place. */
static void
flip(const char *file, const char *name, size_t at)
{
	size_t n, hdr, data, size;
	unsigned char *p = slurp(file, &n);

	locate(p, n, name, &hdr, &data, &size);
	ck_assert_uint_lt(at, size);
	p[data + at] ^= 1;
	put(file, p, n);
	free(p);
}

/* Replace FROM by TO (same length) in member NAME's data, in place. */
static void
edit(const char *file, const char *name, const char *from, const char *to)
{
	size_t n, hdr, data, size;
	unsigned char *p = slurp(file, &n);
	char *at;

	ck_assert_uint_eq(strlen(from), strlen(to));
	locate(p, n, name, &hdr, &data, &size);
	at = memmem(p + data, size, from, strlen(from));
	ck_assert_msg(at != NULL, "%s not in %s", from, name);
	memcpy(at, to, strlen(to));
	put(file, p, n);
	free(p);
}

/* ---------------------------------------- member-by-member rewrite */

/* Write the members as DIR/FILE with the sink, the way collect does: one
 * mtime for all, the first member's. */
static void
store(const char *file, int zstd)
{
	struct cust_sink *s;
	char sha[65];
	uint64_t n;
	int fd = open(path(file), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cust_sink_new(ctx, fd, file, zstd ? 1 : 0, 0, NULL,
	    &s), CUST_OK);
	cust_sink_set_mtime(s, nmem > 0 ? (int64_t)mem[0].mtime : 0);
	for (size_t i = 0; i < nmem; i++)
		ck_assert_int_eq(cust_sink_write_member(s, mem[i].name,
		    mem[i].data, mem[i].size), CUST_OK);
	ck_assert_int_eq(cust_sink_close(s, sha, &n), CUST_OK);
	cust_sink_free(s);
	close(fd);
}

static size_t
index_of(const char *name)
{
	for (size_t i = 0; i < nmem; i++)
		if (strcmp(mem[i].name, name) == 0)
			return i;
	ck_abort_msg("no member %s", name);
	return 0;
}

static void
drop(const char *name)
{
	size_t i = index_of(name);

	free(mem[i].name);
	free(mem[i].data);
	memmove(mem + i, mem + i + 1, (nmem - i - 1) * sizeof(*mem));
	nmem--;
}

/* Insert a member NAME holding TEXT at position AT. */
static void
insert(size_t at, const char *name, const char *text)
{
	ck_assert_uint_lt(nmem, NELEM(mem));
	memmove(mem + at + 1, mem + at, (nmem - at) * sizeof(*mem));
	mem[at].name = strdup(name);
	mem[at].data = strdup(text);
	mem[at].size = strlen(text);
	mem[at].mtime = mem[0].mtime;
	nmem++;
}

/* ------------------------------------------------------- good ones */

START_TEST(verify_intact_bundle_without_keys_is_unverified)
{
	char sha[65];

	verify("b.tar");
	ck_assert_msg(rep->verdict == CUST_UNVERIFIED, "verdict %d%s",
	    rep->verdict, findings());
	ck_assert_ptr_null(rep->failed_check);
	ck_assert_uint_eq(rep->nfindings, 0);
	ck_assert_uint_eq(rep->more_findings, 0);
	counts(NFILES, 0, 0, 0);
	ck_assert_uint_eq(rep->payload_files, NFILES);
	ck_assert_uint_eq(rep->payload_bytes, NBYTES);
	/* and the closing statement and its signature */
	ck_assert_uint_eq(rep->members, NFILES + 12);
	ck_assert_str_eq(rep->bag, "t");
	ck_assert_str_eq(rep->key_id, res.key_id);
	ck_assert(rep->signature_valid);
	ck_assert(!rep->key_trusted);
	ck_assert_ptr_null(rep->trusted_by);
	/* tree, sub, link and the files */
	ck_assert_uint_eq(rep->records, NFILES + 3);
	ck_assert_uint_eq(rep->not_collected, 0);
	ck_assert_uint_eq(rep->custody_events, 2);
	ck_assert_str_eq(rep->case_id, "EVD-0042");
	ck_assert_ptr_nonnull(strstr(rep->trusted_comment, "bag:t "));
	/* The digest of what was read is the digest of the file. */
	sha256_file("b.tar", sha);
	ck_assert_str_eq(rep->sha256, sha);
	ck_assert_str_eq(rep->sha256, res.sha256);
	ck_assert_uint_eq(rep->bytes, res.bundle_bytes);
}
END_TEST

START_TEST(verify_intact_bundle_with_public_key_is_authentic)
{
	keys[0] = pub;
	nkeys = 1;
	verify("b.tar");
	ck_assert_msg(rep->verdict == CUST_AUTHENTIC, "verdict %d%s",
	    rep->verdict, findings());
	ck_assert(rep->key_trusted);
	ck_assert_str_eq(rep->trusted_by, "public key");
	counts(NFILES, 0, 0, 0);
	nkeys = 0;
}
END_TEST

START_TEST(verify_intact_bundle_with_one_of_several_keys)
{
	struct cust_key *other;

	ck_assert_int_eq(cust_key_generate(ctx, &other), CUST_OK);
	keys[0] = other;
	keys[1] = key;		/* a secret key is a public key too */
	nkeys = 2;
	verify("b.tar");
	ck_assert_msg(rep->verdict == CUST_AUTHENTIC, "verdict %d%s",
	    rep->verdict, findings());
	nkeys = 0;
	cust_key_free(other);
}
END_TEST

START_TEST(verify_intact_bundle_with_key_id_is_authentic)
{
	char lower[17];

	ids[0] = res.key_id;
	nids = 1;
	verify("b.tar");
	ck_assert_msg(rep->verdict == CUST_AUTHENTIC, "verdict %d%s",
	    rep->verdict, findings());
	ck_assert_str_eq(rep->trusted_by, "key ID");
	/* Hex digits in either case, as people copy them. */
	for (size_t i = 0; i < 17; i++)
		lower[i] = (char)(res.key_id[i] >= 'A' && res.key_id[i] <= 'F' ?
		    res.key_id[i] + 32 : res.key_id[i]);
	ids[0] = lower;
	verify("b.tar");
	ck_assert_int_eq(rep->verdict, CUST_AUTHENTIC);
	nids = 0;
}
END_TEST

START_TEST(verify_intact_zstd_bundle)
{
	make_bundle("b.tar.zst", 3);
	keys[0] = pub;
	nkeys = 1;
	verify("b.tar.zst");
	ck_assert_msg(rep->verdict == CUST_AUTHENTIC, "verdict %d%s",
	    rep->verdict, findings());
	counts(NFILES, 0, 0, 0);
	ck_assert_str_eq(rep->sha256, res.sha256);
	nkeys = 0;
}
END_TEST

START_TEST(verify_reads_bundle_from_pipe)
{
	int p[2], st;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		size_t n;
		unsigned char *b = slurp("b.tar", &n);

		close(p[0]);
		_exit(write(p[1], b, n) == (ssize_t)n ? 0 : 1);
	}
	close(p[1]);
	verify_fd(p[0], "standard input");
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(rep->verdict, CUST_UNVERIFIED);
	ck_assert_str_eq(rep->sha256, res.sha256);
}
END_TEST

START_TEST(verify_rewrite_without_change_is_still_intact)
{
	readback("b.tar");
	store("same.tar", 0);
	forget();
	verify("same.tar");
	ck_assert_msg(rep->verdict == CUST_UNVERIFIED, "verdict %d%s",
	    rep->verdict, findings());
	counts(NFILES, 0, 0, 0);
}
END_TEST

START_TEST(verify_refuses_tar_record_padding)
{
	size_t n;
	unsigned char *p = slurp("b.tar", &n), *q;
	size_t padded = (n + 10239) / 10240 * 10240;

	ck_assert_ptr_nonnull(q = calloc(1, padded));
	memcpy(q, p, n);
	put("padded.tar", q, padded);
	verify("padded.tar");
	/* tar(1) pads to a record; custody-bundle(5) allows nothing after
	 * the end marker, not even zeros. */
	broken("archive");
	has_finding("archive", "padded.tar", "data after the end-of-archive "
	    "marker");
	free(p);
	free(q);
}
END_TEST

/* -------------------------------------------------------- tampering */

START_TEST(verify_finds_flipped_payload_byte)
{
	char sha[65];

	flip("b.tar", "t/data/tree/a.txt", 2);
	verify("b.tar");
	broken("validity");
	counts(NFILES - 1, 0, 0, 1);
	has_finding("validity", "data/tree/a.txt", "manifest-sha256.txt says");
	has_finding("metadata", "data/tree/a.txt", "files.jsonl gives sha256");
	/* The report's digest is of the bytes read, not of the original. */
	sha256_file("b.tar", sha);
	ck_assert_str_eq(rep->sha256, sha);
	ck_assert_str_ne(rep->sha256, res.sha256);
	/* A trusted key changes nothing: the content is wrong. */
	keys[0] = pub;
	nkeys = 1;
	verify("b.tar");
	broken("validity");
	ck_assert(rep->signature_valid);
	nkeys = 0;
}
END_TEST

START_TEST(verify_finds_flipped_byte_in_large_payload)
{
	flip("b.tar", "t/data/tree/b.bin", 4999);
	verify("b.tar");
	broken("validity");
	counts(NFILES - 1, 0, 0, 1);
	has_finding("validity", "data/tree/b.bin", NULL);
}
END_TEST

START_TEST(verify_finds_flipped_payload_byte_in_zstd_bundle)
{
	size_t i;

	make_bundle("b.tar.zst", 3);
	readback("b.tar.zst");
	i = index_of("t/data/tree/\xc3\xa9.txt");
	mem[i].data[0] ^= 0x20;
	store("bad.tar.zst", 1);
	forget();
	verify("bad.tar.zst");
	broken("validity");
	counts(NFILES - 1, 0, 0, 1);
	has_finding("validity", "data/tree/\xc3\xa9.txt", NULL);
}
END_TEST

START_TEST(verify_finds_removed_payload_member)
{
	readback("b.tar");
	drop("t/data/tree/a.txt");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("completeness");
	counts(NFILES - 1, 1, 0, 0);
	has_finding("completeness", "data/tree/a.txt",
	    "listed in manifest-sha256.txt but not in the bundle");
	has_finding("completeness", "bag-info.txt", "Payload-Oxum says");
}
END_TEST

START_TEST(verify_finds_added_payload_member)
{
	readback("b.tar");
	insert(index_of("t/metadata/acquisition.json"), "t/data/tree/extra",
	    "planted\n");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("completeness");
	counts(NFILES, 0, 1, 0);
	has_finding("completeness", "data/tree/extra",
	    "in the bundle but not listed in manifest-sha256.txt");
}
END_TEST

START_TEST(verify_finds_member_added_after_signature)
{
	readback("b.tar");
	insert(index_of("t/" CUST_CLOSING_MEMBER), "t/data/late", "late\n");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("structure");
	has_finding("structure", "data/late",
	    "unexpected member where " CUST_CLOSING_MEMBER " should be");
}
END_TEST

START_TEST(verify_finds_member_added_after_closing_statement)
{
	readback("b.tar");
	insert(nmem, "t/data/late", "late\n");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("structure");
	has_finding("structure", "data/late",
	    "unexpected member after the closing statement");
}
END_TEST

START_TEST(verify_finds_closing_statement_removed)
{
	readback("b.tar");
	drop("t/" CUST_CLOSESIG_MEMBER);
	drop("t/" CUST_CLOSING_MEMBER);
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("structure");
	has_finding("structure", "bad.tar",
	    "the bundle ends where " CUST_CLOSING_MEMBER " should be");
}
END_TEST

START_TEST(verify_finds_token_added_after_closing)
{
	/* The bundle was sealed without a TSA: its statement says none. */
	readback("b.tar");
	insert(index_of("t/" CUST_CLOSING_MEMBER), "t/" CUST_TSR_MEMBER,
	    "a token");
	store("bad.tar", 0);
	forget();
	keys[0] = pub;
	nkeys = 1;
	verify("bad.tar");
	nkeys = 0;
	broken("timestamp");
	has_finding("timestamp", CUST_TSR_MEMBER, "in the bundle, but "
	    CUST_CLOSING_MEMBER " says none: added after the bundle was "
	    "closed");
}
END_TEST

START_TEST(verify_finds_edited_closing_statement)
{
	size_t i;
	char *none;

	readback("b.tar");
	i = index_of("t/" CUST_CLOSING_MEMBER);
	ck_assert_ptr_nonnull(none = strstr((char *)mem[i].data, "# none: "));
	none[2] = 'N';
	store("bad.tar", 0);
	forget();
	keys[0] = pub;
	nkeys = 1;
	verify("bad.tar");
	nkeys = 0;
	broken("signature");
	has_finding("signature", CUST_CLOSESIG_MEMBER, "invalid signature");
}
END_TEST

START_TEST(verify_finds_closing_statement_of_another_bundle)
{
	struct member c[2];
	size_t i;

	/* The same key closes another bundle; its statement is moved in. */
	make_bundle("b2.tar", 0);
	readback("b2.tar");
	i = index_of("t/" CUST_CLOSING_MEMBER);
	c[0] = mem[i];
	c[1] = mem[i + 1];
	mem[i].name = mem[i + 1].name = NULL;
	mem[i].data = mem[i + 1].data = NULL;
	forget();
	readback("b.tar");
	i = index_of("t/" CUST_CLOSING_MEMBER);
	for (size_t k = 0; k < 2; k++) {
		free(mem[i + k].data);
		mem[i + k].data = c[k].data;
		mem[i + k].size = c[k].size;
		free(c[k].name);
	}
	store("bad.tar", 0);
	forget();
	keys[0] = pub;
	nkeys = 1;
	verify("bad.tar");
	nkeys = 0;
	broken("signature");
	has_finding("signature", CUST_CLOSING_MEMBER, "lists another "
	    CUST_SIG_MEMBER);
	has_finding("signature", CUST_CLOSING_MEMBER, "the closing statement "
	    "of another bundle");
}
END_TEST

START_TEST(verify_finds_duplicate_payload_member)
{
	size_t i;

	readback("b.tar");
	i = index_of("t/data/tree/a.txt");
	insert(i + 1, "t/data/tree/a.txt", "alpha\n");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("archive");
	has_finding("archive", "data/tree/a.txt", "duplicate member");
}
END_TEST

START_TEST(verify_finds_removed_tag_file)
{
	readback("b.tar");
	drop("t/metadata/bodyfile.txt");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("structure");
	has_finding("structure", "metadata/custody.jsonl",
	    "where metadata/bodyfile.txt should be");
}
END_TEST

START_TEST(verify_finds_moved_payload_member)
{
	struct member m;
	size_t a, b;

	readback("b.tar");
	a = index_of("t/data/tree/a.txt");
	b = index_of("t/data/tree/b.bin");
	m = mem[a];
	mem[a] = mem[b];
	mem[b] = m;
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("structure");
	/* b.bin now comes before a.txt, which the manifest lists first. */
	has_finding("structure", "data/tree/b.bin", "not in the order");
}
END_TEST

START_TEST(verify_finds_changed_bag_info)
{
	/* Same length, so the archive itself stays well formed. */
	edit("b.tar", "t/bag-info.txt", "External-Identifier: EVD-0042",
	    "External-Identifier: EVD-0043");
	verify("b.tar");
	broken("tag manifest");
	has_finding("tag manifest", "bag-info.txt",
	    "sha512 differs from tagmanifest-sha512.txt");
	/* Nothing after the first trust failure is worth reporting. */
	for (size_t i = 0; i < rep->nfindings; i++)
		ck_assert_str_eq(rep->findings[i].check, "tag manifest");
}
END_TEST

START_TEST(verify_finds_changed_files_jsonl)
{
	edit("b.tar", "t/metadata/files.jsonl", "\"status\":\"ok\"",
	    "\"status\":\"OK\"");
	verify("b.tar");
	broken("tag manifest");
	has_finding("tag manifest", "metadata/files.jsonl", "altered");
}
END_TEST

START_TEST(verify_finds_changed_tag_manifest)
{
	size_t n, hdr, data, size;
	unsigned char *p = slurp("b.tar", &n);

	locate(p, n, "t/tagmanifest-sha512.txt", &hdr, &data, &size);
	p[data + 5] = p[data + 5] == 'a' ? 'b' : 'a';
	put("b.tar", p, n);
	free(p);
	verify("b.tar");
	broken("signature");
	has_finding("signature", SIGNAME, "invalid signature");
	ck_assert(!rep->signature_valid);
}
END_TEST

START_TEST(verify_finds_flipped_signature)
{
	/* Line 2 holds the signature, in base64. */
	size_t n, hdr, data, size;
	unsigned char *p = slurp("b.tar", &n), *nl;

	locate(p, n, "t/" SIGNAME, &hdr, &data, &size);
	nl = memchr(p + data, '\n', size);
	ck_assert_ptr_nonnull(nl);
	nl[30] = nl[30] == 'A' ? 'B' : 'A';
	put("b.tar", p, n);
	free(p);
	verify("b.tar");
	broken("signature");
	has_finding("signature", SIGNAME, NULL);
}
END_TEST

START_TEST(verify_finds_untrusted_public_key)
{
	struct cust_key *other;
	char want[128], oid[17];

	ck_assert_int_eq(cust_key_generate(ctx, &other), CUST_OK);
	cust_key_id_hex(other, oid);
	keys[0] = other;
	nkeys = 1;
	verify("b.tar");
	broken("signature");
	snprintf(want, sizeof(want), "made by key %s, which is not a trusted "
	    "key (%s)", res.key_id, oid);
	has_finding("signature", SIGNAME, want);
	ck_assert(!rep->key_trusted);
	nkeys = 0;
	cust_key_free(other);
}
END_TEST

START_TEST(verify_untrusted_key_id_fails)
{
	/* custody(1): a key ID vouches for the recorded key only when it
	 * matches; trusting another ID fails, as --pubkey with another key
	 * does: the investigator said which key to expect. */
	ids[0] = "0123456789ABCDEF";
	nids = 1;
	verify("b.tar");
	ck_assert_msg(rep->verdict == CUST_BROKEN, "verdict %d%s",
	    rep->verdict, findings());
	ck_assert_str_eq(rep->failed_check, "signature");
	ck_assert(!rep->key_trusted);
	ck_assert_ptr_null(rep->trusted_by);
	ck_assert(rep->signature_valid);
	ck_assert_str_eq(rep->key_id, res.key_id);
	/* A prefix of the right ID is not the ID. */
	{
		char part[17];

		memcpy(part, res.key_id, 15);
		part[15] = '\0';
		ids[0] = part;
		verify("b.tar");
		ck_assert_int_eq(rep->verdict, CUST_BROKEN);
	}
	nids = 0;
}
END_TEST

START_TEST(verify_finds_bundle_resealed_by_another_key)
{
	struct cust_key *mine = key;

	/* Someone collects again (or rebuilds the bag) with their own key;
	 * only the investigator's key tells. */
	ck_assert_int_eq(cust_key_generate(ctx, &key), CUST_OK);
	make_bundle("other.tar", 0);
	cust_key_free(key);
	key = mine;
	verify("other.tar");
	ck_assert_int_eq(rep->verdict, CUST_UNVERIFIED);
	keys[0] = pub;
	nkeys = 1;
	verify("other.tar");
	broken("signature");
	nkeys = 0;
}
END_TEST

/* The loaded closing statement names the signature NEW (N bytes) where it
 * named OLD (M bytes), and is signed again by the bundle's own key. */
static void
reclose(const unsigned char *old, size_t m, const unsigned char *new,
    size_t n)
{
	unsigned char md[64];
	char was[129], now[129], *at, *sig;
	struct member *c = &mem[index_of("t/" CUST_CLOSING_MEMBER)];
	struct member *cs = &mem[index_of("t/" CUST_CLOSESIG_MEMBER)];
	size_t siglen;

	ck_assert_int_eq(EVP_Digest(old, m, md, NULL, EVP_sha512(), NULL), 1);
	cust_hex(md, 64, was);
	ck_assert_int_eq(EVP_Digest(new, n, md, NULL, EVP_sha512(), NULL), 1);
	cust_hex(md, 64, now);
	c->data[c->size] = '\0';
	ck_assert_ptr_nonnull(at = strstr((char *)c->data, was));
	memcpy(at, now, 128);
	ck_assert_int_eq(cust_sig_make(ctx, key, c->data, c->size,
	    CUST_CLOSE_UNTRUSTED, "custody closing", &sig, &siglen), CUST_OK);
	free(cs->data);
	cs->data = sig;
	cs->size = siglen;
}

/* Re-sign b.tar's tag manifest with the bundle's own key and the trusted
 * comment TRUSTED, into FILE; the closing statement follows. */
static void
resign(const char *file, const char *trusted)
{
	const struct member *t;
	size_t i, n;
	char *text;

	readback("b.tar");
	t = &mem[index_of("t/tagmanifest-sha512.txt")];
	ck_assert_int_eq(cust_sig_make(ctx, key, t->data, t->size,
	    CUST_SIG_UNTRUSTED, trusted, &text, &n), CUST_OK);
	i = index_of("t/" SIGNAME);
	reclose((unsigned char *)mem[i].data, mem[i].size,
	    (unsigned char *)text, n);
	free(mem[i].data);
	mem[i].data = text;
	mem[i].size = n;
	store(file, 0);
	forget();
}

START_TEST(verify_finds_trusted_comment_naming_another_key)
{
	char own[CUST_KEYID_HEXLEN + 1], want[128];

	cust_key_id_hex(key, own);
	snprintf(want, sizeof(want), "custody bag:t sealed:x key:%s", own);
	resign("honest.tar", want);
	keys[0] = pub;
	nkeys = 1;
	verify("honest.tar");
	ck_assert_msg(rep->verdict == CUST_AUTHENTIC, "%s", findings());
	ck_assert_str_eq(rep->key_id, own);
	resign("lie.tar", "custody bag:t sealed:x key:0123456789ABCDEF");
	verify("lie.tar");
	broken("signature");
	snprintf(want, sizeof(want), "trusted comment: claims key ID "
	    "0123456789ABCDEF but its key is %s", own);
	has_finding("signature", SIGNAME, want);
	/* More digits than an ID has is another claim, not the same one. */
	snprintf(want, sizeof(want), "custody bag:t sealed:x key:%s0", own);
	resign("long.tar", want);
	verify("long.tar");
	broken("signature");
	nkeys = 0;
}
END_TEST

START_TEST(verify_finds_archive_cut_short)
{
	size_t n, hdr, data, size;
	unsigned char *p = slurp("b.tar", &n);

	/* In the middle of the big payload file. */
	locate(p, n, "t/data/tree/b.bin", &hdr, &data, &size);
	put("cut.tar", p, data + 1000);
	verify("cut.tar");
	broken("archive");
	has_finding("archive", "cut.tar", NULL);
	/* At a member boundary, without the end-of-archive marker. */
	put("cut2.tar", p, n - 1024);
	verify("cut2.tar");
	broken("archive");
	has_finding("archive", "cut2.tar", "cut short");
	free(p);
}
END_TEST

START_TEST(verify_finds_data_after_the_end)
{
	size_t n;
	unsigned char *p = slurp("b.tar", &n), *q;

	ck_assert_ptr_nonnull(q = calloc(1, n + 512));
	memcpy(q, p, n);
	memcpy(q + n, "appended", 8);
	put("bad.tar", q, n + 512);
	verify("bad.tar");
	broken("archive");
	has_finding("archive", "bad.tar", "data after the end-of-archive "
	    "marker");
	free(p);
	free(q);
}
END_TEST

START_TEST(verify_finds_unsafe_member)
{
	readback("b.tar");
	insert(2, "t/data/../../etc/passwd", "root::0:0::/:/bin/sh\n");
	store("bad.tar", 0);
	forget();
	verify("bad.tar");
	broken("archive");
	has_finding("archive", "bad.tar", "unsafe member name");
}
END_TEST

START_TEST(verify_finds_empty_input)
{
	put("empty.tar", "", 0);
	verify("empty.tar");
	broken("archive");
	ck_assert_uint_eq(rep->members, 0);
}
END_TEST

START_TEST(verify_reports_unreadable_input)
{
	int fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	verify_fd(fd, "dir");
	close(fd);
	ck_assert_int_eq(rep->verdict, CUST_UNREADABLE);
	ck_assert_uint_gt(rep->nfindings, 0);
	ck_assert_ptr_nonnull(strstr(rep->findings[0].message,
	    "Is a directory"));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *good = tcase_create("intact");
	TCase *bad = tcase_create("tampered");

	tcase_add_checked_fixture(good, setup, teardown);
	tcase_set_timeout(good, 60);
	tcase_add_test(good, verify_intact_bundle_without_keys_is_unverified);
	tcase_add_test(good, verify_intact_bundle_with_public_key_is_authentic);
	tcase_add_test(good, verify_intact_bundle_with_one_of_several_keys);
	tcase_add_test(good, verify_intact_bundle_with_key_id_is_authentic);
	tcase_add_test(good, verify_intact_zstd_bundle);
	tcase_add_test(good, verify_reads_bundle_from_pipe);
	tcase_add_test(good, verify_rewrite_without_change_is_still_intact);
	tcase_add_test(good, verify_refuses_tar_record_padding);
	suite_add_tcase(s, good);

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(bad, 60);
	tcase_add_test(bad, verify_finds_flipped_payload_byte);
	tcase_add_test(bad, verify_finds_flipped_byte_in_large_payload);
	tcase_add_test(bad, verify_finds_flipped_payload_byte_in_zstd_bundle);
	tcase_add_test(bad, verify_finds_removed_payload_member);
	tcase_add_test(bad, verify_finds_added_payload_member);
	tcase_add_test(bad, verify_finds_member_added_after_signature);
	tcase_add_test(bad, verify_finds_member_added_after_closing_statement);
	tcase_add_test(bad, verify_finds_closing_statement_removed);
	tcase_add_test(bad, verify_finds_token_added_after_closing);
	tcase_add_test(bad, verify_finds_edited_closing_statement);
	tcase_add_test(bad, verify_finds_closing_statement_of_another_bundle);
	tcase_add_test(bad, verify_finds_duplicate_payload_member);
	tcase_add_test(bad, verify_finds_removed_tag_file);
	tcase_add_test(bad, verify_finds_moved_payload_member);
	tcase_add_test(bad, verify_finds_changed_bag_info);
	tcase_add_test(bad, verify_finds_changed_files_jsonl);
	tcase_add_test(bad, verify_finds_changed_tag_manifest);
	tcase_add_test(bad, verify_finds_flipped_signature);
	tcase_add_test(bad, verify_finds_untrusted_public_key);
	tcase_add_test(bad, verify_untrusted_key_id_fails);
	tcase_add_test(bad, verify_finds_bundle_resealed_by_another_key);
	tcase_add_test(bad, verify_finds_trusted_comment_naming_another_key);
	tcase_add_test(bad, verify_finds_archive_cut_short);
	tcase_add_test(bad, verify_finds_data_after_the_end);
	tcase_add_test(bad, verify_finds_unsafe_member);
	tcase_add_test(bad, verify_finds_empty_input);
	tcase_add_test(bad, verify_reports_unreadable_input);
	suite_add_tcase(s, bad);
	return s;
}

