/*
 * test-collect.c: a whole collection into a bundle file.  The tree is made
 * at run time under a temporary root (odd names, a link, a FIFO, a name
 * that is not UTF-8); the bundle is read back with libarchive and its
 * digest recomputed with OpenSSL.  Bad options must fail before a byte is
 * written.  The mount guard is turned off except in the one test that
 * checks it, which runs in a child process of its own.
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

static struct cust_ctx *ctx;
static char root[96];
static struct cust_collect_opts o;
static struct cust_collect_result res;
static int outfd = -1;
static const char *paths_[8];
static char arg0[] = "custody", arg1[] = "collect";
static char *argv_[] = { arg0, arg1, NULL };

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	snprintf(root, sizeof(root), "%s/root", scratch);
	mkd("root");
	mkd("root/tree");
	mkd("root/tree/sub");
	put("root/tree/a.txt", "alpha\n", 6);
	put("root/tree/sub/c.log", "c\n", 2);
	put("root/tree/\xc3\xa9.txt", "\xc3\xa9\n", 3);
	put("root/tree/bad\xff", "not utf-8\n", 10);
	put("root/tree/%odd", "percent\n", 8);
	{
		char big[5000];

		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)(i * 7);
		put("root/tree/b.bin", big, sizeof(big));
	}
	ck_assert_int_eq(symlink("a.txt", path("root/tree/link")), 0);
	ck_assert_int_eq(mkfifo(path("root/tree/fifo"), 0600), 0);

	outfd = open(path("out.tar"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	ck_assert_int_ge(outfd, 0);
	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	paths_[0] = "/tree";
	o.paths = paths_;
	o.npaths = 1;
	o.root = root;
	o.out_fd = outfd;
	o.out_name = "out.tar";
	o.spool_dirfd = -1;
	o.bag_name = "t";
	o.no_guard = true;
	o.argc = 2;
	o.argv = argv_;
}

static void
teardown(void)
{
	cust_collect_result_fini(&res);
	close(outfd);
	scratch_remove();
	cust_ctx_free(ctx);
}

static int
collect(void)
{
	int r;

	alarm(60);	/* a FIFO opened by mistake would hang */
	r = cust_collect(ctx, &o, &res);
	alarm(0);
	return r;
}

/* ----------------------------------------------------- reading back */

/* The files.jsonl record whose "path" (or decoded "path_b64") is P. */
static json_t *
record_of(const char *p)
{
	const struct member *m = must("t/metadata/files.jsonl");
	const char *s = m->data, *nl;

	for (; *s != '\0'; s = nl + 1) {
		json_error_t err;
		json_t *o2;
		const char *v;

		ck_assert_ptr_nonnull(nl = strchr(s, '\n'));
		o2 = json_loadb(s, (size_t)(nl - s), 0, &err);
		ck_assert_msg(o2 != NULL, "%s", err.text);
		v = json_string_value(json_object_get(o2, "path"));
		if (v != NULL && strcmp(v, p) == 0)
			return o2;
		v = json_string_value(json_object_get(o2, "path_b64"));
		if (v != NULL) {
			unsigned char b64[512];

			EVP_EncodeBlock(b64, (const unsigned char *)p,
			    (int)strlen(p));
			if (strcmp(v, (char *)b64) == 0)
				return o2;
		}
		json_decref(o2);
	}
	return NULL;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
file_sha256(const char *name, char out[65], uint64_t *size)
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	FILE *f = fopen(path(name), "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	*size = 0;
	ck_assert_int_eq(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(c, buf, n);
		*size += n;
	}
	fclose(f);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	cust_hex(md, 32, out);
}

/* -------------------------------------------------------- collects */

START_TEST(collect_counts_what_it_took)
{
	char sha[65];
	uint64_t size;

	ck_assert_int_eq(collect(), CUST_OK);
	ck_assert_str_eq(cust_ctx_error(ctx), "");
	/* a.txt b.bin é.txt bad\xff %odd sub/c.log */
	ck_assert_uint_eq(res.files, 6);
	ck_assert_uint_eq(res.payload_bytes, 6 + 5000 + 3 + 10 + 8 + 2);
	/* tree, sub, link, fifo */
	ck_assert_uint_eq(res.recorded, 4);
	ck_assert_uint_eq(res.failed, 0);
	ck_assert_uint_eq(res.changed, 0);
	ck_assert_uint_eq(res.skipped, 0);
	ck_assert_uint_eq(res.artefacts_run, 1);
	ck_assert_uint_eq(res.artefacts_skipped, 0);
	file_sha256("out.tar", sha, &size);
	ck_assert_str_eq(res.sha256, sha);
	ck_assert_uint_eq(res.bundle_bytes, size);
}
END_TEST

START_TEST(collect_makes_one_time_key)
{
	struct cust_key *pub;
	char id[CUST_KEYID_HEXLEN + 1];
	struct cust_collect_result again;

	ck_assert_int_eq(collect(), CUST_OK);
	ck_assert(res.one_time_key);
	ck_assert_uint_eq(strlen(res.key_id), 16);
	ck_assert_uint_eq(strspn(res.key_id, "0123456789ABCDEF"), 16);
	ck_assert_ptr_nonnull(res.public_key);
	ck_assert_int_eq(cust_key_parse_public(ctx, res.public_key,
	    strlen(res.public_key), &pub), CUST_OK);
	cust_key_id_hex(pub, id);
	ck_assert_str_eq(id, res.key_id);
	cust_key_free(pub);
	/* One time: the next collection has another key. */
	ck_assert_int_eq(ftruncate(outfd, 0), 0);
	ck_assert_int_eq(lseek(outfd, 0, SEEK_SET), 0);
	ck_assert_int_eq(cust_collect(ctx, &o, &again), CUST_OK);
	ck_assert_str_ne(again.key_id, res.key_id);
	cust_collect_result_fini(&again);
}
END_TEST

START_TEST(collect_signs_with_given_key)
{
	struct cust_key *key;
	struct cust_sig *sig;
	const struct member *tm, *sm;
	char id[CUST_KEYID_HEXLEN + 1];

	ck_assert_int_eq(cust_key_generate(ctx, &key), CUST_OK);
	o.key = key;
	ck_assert_int_eq(collect(), CUST_OK);
	ck_assert(!res.one_time_key);
	cust_key_id_hex(key, id);
	ck_assert_str_eq(res.key_id, id);
	readback("out.tar");
	tm = must("t/tagmanifest-sha512.txt");
	sm = must("t/signatures/tagmanifest-sha512.txt.minisig");
	ck_assert_int_eq(cust_sig_parse(ctx, sm->data, sm->size, &sig),
	    CUST_OK);
	ck_assert_int_eq(cust_sig_verify(ctx, sig, key, tm->data, tm->size),
	    CUST_OK);
	ck_assert_ptr_nonnull(strstr(cust_sig_trusted_comment(sig),
	    "bag:t "));
	cust_sig_free(sig);
	cust_key_free(key);
	forget();
}
END_TEST

START_TEST(collect_stores_exact_bytes_under_escaped_names)
{
	static const struct {
		const char	*member;
		const char	*data;
	} want[] = {
		{ "t/data/tree/a.txt", "alpha\n" },
		{ "t/data/tree/sub/c.log", "c\n" },
		{ "t/data/tree/\xc3\xa9.txt", "\xc3\xa9\n" },
		{ "t/data/tree/bad^FF", "not utf-8\n" },
		{ "t/data/tree/^25odd", "percent\n" },
	};
	const struct member *m;

	ck_assert_int_eq(collect(), CUST_OK);
	readback("out.tar");
	for (size_t i = 0; i < NELEM(want); i++) {
		m = must(want[i].member);
		ck_assert_str_eq(m->data, want[i].data);
	}
	m = must("t/data/tree/b.bin");
	ck_assert_uint_eq(m->size, 5000);
	for (size_t i = 0; i < 5000; i++)
		ck_assert_int_eq(m->data[i], (char)(i * 7));
	/* Only regular files are payload. */
	ck_assert_ptr_null(member("t/data/tree/link"));
	ck_assert_ptr_null(member("t/data/tree/fifo"));
	ck_assert_ptr_null(member("t/data/tree/sub"));
	ck_assert_str_eq(mem[0].name, "t/bagit.txt");
	ck_assert_str_eq(mem[nmem - 3].name,
	    "t/signatures/tagmanifest-sha512.txt.minisig");
	/* The closing statement and its signature come last. */
	ck_assert_str_eq(mem[nmem - 2].name, "t/" CUST_CLOSING_MEMBER);
	ck_assert_str_eq(mem[nmem - 1].name, "t/" CUST_CLOSESIG_MEMBER);
	forget();
}
END_TEST

START_TEST(collect_records_links_and_specials)
{
	json_t *r;

	ck_assert_int_eq(collect(), CUST_OK);
	readback("out.tar");
	ck_assert_uint_eq(count_lines(must("t/metadata/files.jsonl")->data),
	    10);
	ck_assert_ptr_nonnull(r = record_of("/tree/link"));
	ck_assert_str_eq(json_string_value(json_object_get(r, "type")),
	    "symlink");
	ck_assert_str_eq(json_string_value(json_object_get(r, "target")),
	    "a.txt");
	ck_assert_ptr_null(json_object_get(r, "stored"));
	json_decref(r);
	ck_assert_ptr_nonnull(r = record_of("/tree/fifo"));
	ck_assert_str_eq(json_string_value(json_object_get(r, "type")),
	    "fifo");
	ck_assert_ptr_null(json_object_get(r, "sha256"));
	json_decref(r);
	/* The raw name of a non-UTF-8 file is kept, in base64. */
	ck_assert_ptr_nonnull(r = record_of("/tree/bad\xff"));
	ck_assert_str_eq(json_string_value(json_object_get(r, "stored")),
	    "data/tree/bad^FF");
	json_decref(r);
	ck_assert_ptr_nonnull(r = record_of("/tree/a.txt"));
	{
		unsigned char md[32];
		char want[65];

		EVP_Digest("alpha\n", 6, md, NULL, EVP_sha256(), NULL);
		cust_hex(md, 32, want);
		ck_assert_str_eq(json_string_value(json_object_get(r,
		    "sha256")), want);
		ck_assert_int_eq(json_integer_value(json_object_get(r,
		    "bytes")), 6);
		ck_assert_str_eq(json_string_value(json_object_get(r,
		    "stored")), "data/tree/a.txt");
	}
	json_decref(r);
	forget();
}
END_TEST

START_TEST(collect_records_labels)
{
	json_t *acq;
	json_error_t err;
	const char *info;

	o.case_id = "EVD-0042";
	o.evidence_id = "HOST-7";
	o.examiner = "Zo\xc3\xab Ng";
	ck_assert_int_eq(collect(), CUST_OK);
	readback("out.tar");
	acq = json_loads(must("t/metadata/acquisition.json")->data, 0, &err);
	ck_assert_msg(acq != NULL, "%s", err.text);
	ck_assert_str_eq(json_string_value(json_object_get(acq, "case_id")),
	    "EVD-0042");
	ck_assert_str_eq(json_string_value(json_object_get(acq,
	    "evidence_id")), "HOST-7");
	ck_assert_str_eq(json_string_value(json_object_get(acq, "examiner")),
	    "Zo\xc3\xab Ng");
	ck_assert_str_eq(json_string_value(json_object_get(acq, "bag")), "t");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    acq, "seal"), "key_id")), res.key_id);
	ck_assert(json_is_true(json_object_get(json_object_get(acq, "seal"),
	    "one_time")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    acq, "counts"), "files")), 6);
	json_decref(acq);
	info = must("t/bag-info.txt")->data;
	ck_assert_ptr_nonnull(strstr(info,
	    "\nExternal-Identifier: EVD-0042\n"));
	ck_assert_ptr_nonnull(strstr(info, "\nContact-Name: Zo\xc3\xab Ng\n"));
	ck_assert_ptr_nonnull(strstr(info, "Payload-Oxum: 5029.6\n"));
	forget();
}
END_TEST

START_TEST(collect_skips_its_own_output)
{
	struct stat st;
	json_t *r;

	/* The bundle is written inside the tree being collected. */
	close(outfd);
	outfd = open(path("root/tree/out.tar"), O_RDWR | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	ck_assert_int_ge(outfd, 0);
	ck_assert_int_eq(fstat(outfd, &st), 0);
	o.out_fd = outfd;
	o.out_dev = st.st_dev;
	o.out_ino = st.st_ino;
	ck_assert_int_eq(collect(), CUST_OK);
	ck_assert_uint_eq(res.files, 6);
	ck_assert_uint_eq(res.changed, 0);
	readback("root/tree/out.tar");
	ck_assert_ptr_null(member("t/data/tree/out.tar"));
	ck_assert_ptr_null(r = record_of("/tree/out.tar"));
	forget();
}
END_TEST

START_TEST(collect_takes_each_path_once)
{
	paths_[0] = "/tree";
	paths_[1] = "/tree/a.txt";
	paths_[2] = "/tree/sub";
	paths_[3] = "/tree/*.txt";
	o.npaths = 4;
	ck_assert_int_eq(collect(), CUST_OK);
	ck_assert_uint_eq(res.files, 6);
	ck_assert_uint_eq(res.recorded, 4);
	readback("out.tar");
	ck_assert_uint_eq(count_lines(must("t/metadata/files.jsonl")->data),
	    10);
	ck_assert_uint_eq(count_lines(must("t/manifest-sha256.txt")->data), 6);
	forget();
}
END_TEST

/* A PATH operand that is not there is a failure, recorded under the path
 * as named (a manifest's path that a host lacks is not: test-walk). */
START_TEST(collect_missing_path_is_a_recorded_failure)
{
	const struct member *m;

	paths_[0] = "/tree/a.txt";
	paths_[1] = "/not/on/this/host";
	paths_[2] = "/tree/a.txt/below";
	o.npaths = 3;
	ck_assert_int_eq(collect(), CUST_WARN);
	ck_assert_uint_eq(res.files, 1);
	ck_assert_uint_eq(res.failed, 2);
	readback("out.tar");
	m = must("t/metadata/files.jsonl");
	ck_assert_uint_eq(count_lines(m->data), 3);
	ck_assert_ptr_nonnull(strstr(m->data, "\"path\":\"/not/on/this/host\""));
	ck_assert_ptr_nonnull(strstr(m->data, "\"path\":\"/tree/a.txt/below\""));
	ck_assert_ptr_nonnull(strstr(m->data, "\"status\":\"missing\","
	    "\"reason\":\"lstat: No such file or directory\""));
	ck_assert_ptr_nonnull(strstr(m->data, "\"status\":\"missing\","
	    "\"reason\":\"lstat: Not a directory\""));
	forget();
}
END_TEST

struct notes {
	int	 n;
	char	 path[128];
	char	 status[32];
	char	 reason[128];
};

static void
note(void *arg, const char *p, size_t len, const char *status,
    const char *reason)
{
	struct notes *nt = arg;

	nt->n++;
	snprintf(nt->path, sizeof(nt->path), "%.*s", (int)len, p);
	snprintf(nt->status, sizeof(nt->status), "%s", status);
	snprintf(nt->reason, sizeof(nt->reason), "%s", reason);
}

START_TEST(collect_reports_unreadable_file_and_warns)
{
	struct notes nt;
	char want[64];

	/* Reading /proc/self/mem at offset 0 fails (EIO): a file that
	 * cannot be read, even by root. */
	memset(&nt, 0, sizeof(nt));
	o.root = NULL;
	paths_[0] = "/proc/self/mem";
	o.npaths = 1;
	o.notify = note;
	o.notify_arg = &nt;
	ck_assert_int_eq(collect(), CUST_WARN);
	ck_assert_uint_eq(res.failed, 1);
	ck_assert_int_eq(nt.n, 1);
	snprintf(want, sizeof(want), "/proc/%d/mem", (int)getpid());
	ck_assert_str_eq(nt.path, want);
	ck_assert_str_eq(nt.status, "error");
	ck_assert_str_eq(nt.reason, "read: Input/output error");
	/* Still a sealed bundle, whose digest is right. */
	{
		char sha[65];
		uint64_t size;

		file_sha256("out.tar", sha, &size);
		ck_assert_str_eq(res.sha256, sha);
	}
}
END_TEST

START_TEST(collect_compresses_with_zstd)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	unsigned char head[4];
	char sha[65];
	uint64_t size;

	o.zstd_level = 3;
	ck_assert_int_eq(collect(), CUST_OK);
	ck_assert_int_eq(pread(outfd, head, 4, 0), 4);
	ck_assert_mem_eq(head, magic, 4);
	file_sha256("out.tar", sha, &size);
	ck_assert_str_eq(res.sha256, sha);
	ck_assert_uint_eq(res.bundle_bytes, size);
	readback("out.tar");
	ck_assert_str_eq(must("t/data/tree/a.txt")->data, "alpha\n");
	forget();
}
END_TEST

START_TEST(collect_adds_payload_manifests_for_more_algorithms)
{
	o.algs = CUST_ALG_MD5 | CUST_ALG_SHA1;
	ck_assert_int_eq(collect(), CUST_OK);
	readback("out.tar");
	ck_assert_str_eq(must("t/metadata/algorithms.txt")->data,
	    "sha256\nsha1\nmd5\n");
	ck_assert_uint_eq(count_lines(must("t/manifest-md5.txt")->data), 6);
	ck_assert_uint_eq(count_lines(must("t/manifest-sha1.txt")->data), 6);
	ck_assert_ptr_null(member("t/manifest-sha512.txt"));
	forget();
}
END_TEST

/* ------------------------------------------------------- bad options */

static char long257[258];
static char long256[257];
static char longbag[130];

static const struct badopt {
	const char	*bag, *case_id, *evidence_id, *examiner, *root;
	const char	*msg;
} badopts[] = {
	{ "a/b", NULL, NULL, NULL, NULL,
	    "a/b: bag name must be letters, digits, '.', '_' or '-'" },
	{ "../t", NULL, NULL, NULL, NULL,
	    "../t: bag name must be letters, digits, '.', '_' or '-'" },
	{ ".t", NULL, NULL, NULL, NULL,
	    ".t: bag name must be letters, digits, '.', '_' or '-'" },
	{ "", NULL, NULL, NULL, NULL,
	    ": bag name must be letters, digits, '.', '_' or '-'" },
	{ NULL, NULL, NULL, NULL, NULL,
	    "(none): bag name must be letters, digits, '.', '_' or '-'" },
	{ "t t", NULL, NULL, NULL, NULL,
	    "t t: bag name must be letters, digits, '.', '_' or '-'" },
	{ "\xc3\xa9", NULL, NULL, NULL, NULL,
	    "\xc3\xa9: bag name must be letters, digits, '.', '_' or '-'" },
	{ longbag, NULL, NULL, NULL, NULL, NULL },
	{ "t", "EVD-1\nforged: yes", NULL, NULL, NULL,
	    "case id: control characters are not allowed" },
	{ "t", "", NULL, NULL, NULL, "case id: must be 1 to 256 bytes" },
	{ "t", long257, NULL, NULL, NULL, "case id: must be 1 to 256 bytes" },
	{ "t", NULL, "a\tb", NULL, NULL,
	    "evidence id: control characters are not allowed" },
	{ "t", NULL, "\xc3", NULL, NULL, "evidence id: not valid UTF-8" },
	{ "t", NULL, NULL, "Zo\xeb", NULL, "examiner: not valid UTF-8" },
	{ "t", NULL, NULL, "Ann\x7f", NULL,
	    "examiner: control characters are not allowed" },
	{ "t", NULL, NULL, NULL, "/nonexistent-root",
	    "/nonexistent-root: No such file or directory" },
};

START_TEST(collect_refuses_bad_options)
{
	const struct badopt *b = &badopts[_i];
	struct stat st;
	char want[300];

	memset(long257, 'x', 257);
	memset(longbag, 'b', 129);
	o.bag_name = b->bag;
	o.case_id = b->case_id;
	o.evidence_id = b->evidence_id;
	o.examiner = b->examiner;
	if (b->root != NULL)
		o.root = b->root;
	ck_assert_int_eq(collect(), CUST_FAILED);
	if (b->msg == NULL)
		snprintf(want, sizeof(want), "%s: bag name must be letters, "
		    "digits, '.', '_' or '-'", longbag);
	ck_assert_str_eq(cust_ctx_error(ctx), b->msg ? b->msg : want);
	/* Nothing was written and nothing is claimed. */
	ck_assert_int_eq(fstat(outfd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_uint_eq(res.files, 0);
	ck_assert_str_eq(res.sha256, "");
	ck_assert_ptr_null(res.public_key);
}
END_TEST

START_TEST(collect_accepts_labels_at_the_limits)
{
	memset(long256, 'x', 256);
	memset(longbag, 'b', 128);
	longbag[128] = '\0';
	o.bag_name = longbag;
	o.case_id = long256;
	o.evidence_id = "a";
	o.examiner = "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac";
	ck_assert_int_eq(collect(), CUST_OK);
	readback("out.tar");
	{
		char want[160];

		snprintf(want, sizeof(want), "%s/bagit.txt", longbag);
		ck_assert_str_eq(mem[0].name, want);
	}
	forget();
}
END_TEST

START_TEST(collect_write_error_is_fatal)
{
	char msg[256];
	ssize_t n;
	int p[2], st;
	pid_t pid;

	/*
	 * libarchive 3.6 does not free its output buffer when a header
	 * cannot be written (fixed upstream, libarchive PR 2729): the
	 * collection runs in a child that leaves with _exit(), so that the
	 * leak checker of a sanitizer build looks only at our own memory.
	 */
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int full = open("/dev/full", O_WRONLY | O_CLOEXEC), r;
		const char *e;

		close(p[0]);
		o.out_fd = full;
		o.out_name = "/dev/full";
		r = cust_collect(ctx, &o, &res);
		e = cust_ctx_error(ctx);
		if (write(p[1], e, strlen(e)) != (ssize_t)strlen(e))
			_exit(3);
		_exit(r == CUST_FATAL && res.public_key == NULL ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	ck_assert_int_ge(n, 0);
	msg[n] = '\0';
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_str_eq(msg, "/dev/full: No space left on device");
}
END_TEST

/* ------------------------------------------------------------ guard */

START_TEST(collect_guard_makes_evidence_read_only_for_itself_only)
{
	pid_t pid;
	int st;

	/* The guard moves the calling process into its own mount
	 * namespace for good: run it in a child. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cust_collect_result r;
		int c, fd;

		o.no_guard = false;
		c = cust_collect(ctx, &o, &r);
		if (c != CUST_OK)
			_exit(10);
		if (!r.guarded)	/* not allowed here: it must say why */
			_exit(r.guard_reason[0] != '\0' ? 1 : 11);
		/* The tree is read-only here ... */
		fd = open(path("root/tree/new"), O_WRONLY | O_CREAT, 0600);
		if (fd >= 0 || errno != EROFS)
			_exit(12);
		/* ... but the bundle was written through its old mount. */
		if (lseek(outfd, 0, SEEK_END) != (off_t)r.bundle_bytes)
			_exit(13);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_msg(WEXITSTATUS(st) == 0 || (WEXITSTATUS(st) == 1 &&
	    geteuid() != 0), "child exited %d", WEXITSTATUS(st));
	/* Here, outside the child's namespace, nothing changed. */
	put("root/tree/new", "x", 1);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("collect");
	TCase *tc = tcase_create("collect");
	TCase *opts = tcase_create("options");
	TCase *guard = tcase_create("guard");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, collect_counts_what_it_took);
	tcase_add_test(tc, collect_makes_one_time_key);
	tcase_add_test(tc, collect_signs_with_given_key);
	tcase_add_test(tc, collect_stores_exact_bytes_under_escaped_names);
	tcase_add_test(tc, collect_records_links_and_specials);
	tcase_add_test(tc, collect_records_labels);
	tcase_add_test(tc, collect_skips_its_own_output);
	tcase_add_test(tc, collect_takes_each_path_once);
	tcase_add_test(tc, collect_missing_path_is_a_recorded_failure);
	tcase_add_test(tc, collect_reports_unreadable_file_and_warns);
	tcase_add_test(tc, collect_compresses_with_zstd);
	tcase_add_test(tc, collect_adds_payload_manifests_for_more_algorithms);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(opts, setup, teardown);
	tcase_set_timeout(opts, 60);
	tcase_add_loop_test(opts, collect_refuses_bad_options, 0,
	    (int)NELEM(badopts));
	tcase_add_test(opts, collect_accepts_labels_at_the_limits);
	tcase_add_test(opts, collect_write_error_is_fatal);
	suite_add_tcase(s, opts);

	tcase_add_checked_fixture(guard, setup, teardown);
	tcase_set_timeout(guard, 60);
	/* Valgrind 3.19 does not know mount_setattr(2): tests/valgrind.sh
	 * leaves this case out by its tag. */
	tcase_set_tags(guard, "mount-namespace");
	tcase_add_test(guard,
	    collect_guard_makes_evidence_read_only_for_itself_only);
	suite_add_tcase(s, guard);
	return s;
}

