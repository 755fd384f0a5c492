/*
 * sweep.c: every entry point of libcustody under allocation failure.  For
 * each one, run it with the Nth allocation failing, for N = 1, 2, ...
 * until a run makes fewer than N allocations.  Every run must return an
 * error with a message (or succeed, when the failure was absorbed), must
 * free every block and close every descriptor it made, and the verifier
 * must never call a tampered bundle authentic.  One TAP line per entry
 * point, with its number of allocations; under ASan, LeakSanitizer also
 * checks the objects of other libraries (OpenSSL, libarchive) at exit.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "alloc.h"
#include "collect/collect.h"

#define VIOLATION	1	/* a run's return: a property was broken */

static struct {
	char		 dir[64];	/* scratch directory */
	int		 rootfd;	/* dir, as a collection root */
	struct cust_key	*key;
	char		*pubtext;
	char		*sig;		/* over MSG, by key */
	size_t		 siglen;
	struct cust_sig	*sigobj;
	struct cust_manifest *walkm;	/* one artefact: /t */
	unsigned char	*bundle;	/* collected from /t */
	size_t		 bundlelen;
	unsigned char	*tampered;	/* the same, a payload byte flipped */
	char		 key_id[CUST_KEYID_HEXLEN + 1];
	struct cust_report *report;	/* of the tampered bundle */
	json_t		*event;		/* a custody event */
	/* from tests/fuzz: the template bundle, its log and member files, a
	 * token and a CMS signature over them, the test key, the test CA */
	unsigned char	*tpl, *log, *x509, *tsr, *p7s;
	size_t		 tpllen, loglen, x509len, tsrlen, p7slen;
	unsigned char	*tplsig, *tplman;
	size_t		 tplsiglen, tplmanlen;
	struct cust_key	*fuzzkey;
	char		 fuzzid[CUST_KEYID_HEXLEN + 1];
	struct cust_castore *ca;
	unsigned long	 saves;
} S;

static const char MSG[] = "the tag manifest\n";
static const char ODD[] = "/t/per%cent/caret^/\x01\x7f\xff\xfe/r\xc3\xa9sum"
    "\xc3\xa9";
static const char WALK_YAML[] = "version: 1.0\nartifacts:\n  -\n"
    "    description: the test tree\n    collector: file\n"
    "    path: /t\n    name_pattern: [\"*\"]\n";

static char why[512];		/* what a run did wrong */

static int __attribute__((format(printf, 1, 2)))
violated(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return VIOLATION;
}

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static int
memfd(const void *p, size_t n)
{
	int fd;

	if ((fd = memfd_create("sweep", MFD_CLOEXEC)) == -1 ||
	    (n > 0 && write(fd, p, n) != (ssize_t)n) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		die("memfd: %s", strerror(errno));
	return fd;
}

static int
count_fds(void)
{
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		die("/proc/self/fd: %s", strerror(errno));
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ entries */

static int
e_ctx_new(struct cust_ctx *ctx)
{
	struct cust_ctx *c;

	(void)ctx;
	if (cust_ctx_new(&c) != CUST_OK)
		return CUST_FATAL;
	cust_ctx_free(c);
	return CUST_OK;
}

static int
e_manifest_buffer(struct cust_ctx *ctx)
{
	struct cust_manifest *m;
	int r;

	r = cust_manifest_load_buffer(ctx, cust_default_manifest_name,
	    cust_default_manifest, cust_default_manifest_len, &m);
	if (r == CUST_OK && cust_manifest_count(m) == 0)
		r = violated("the default manifest has no artefact");
	cust_manifest_free(m);
	return r;
}

static int
e_manifest_file(struct cust_ctx *ctx)
{
	struct cust_manifest *m;
	char path[128];
	int r;

	snprintf(path, sizeof(path), "%s/walk.yaml", S.dir);
	r = cust_manifest_load_file(ctx, path, &m);
	cust_manifest_free(m);
	return r;
}

static int
e_key_generate(struct cust_ctx *ctx)
{
	struct cust_key *k;
	char id[CUST_KEYID_HEXLEN + 1];
	int r;

	if ((r = cust_key_generate(ctx, &k)) == CUST_OK)
		cust_key_id_hex(k, id);
	cust_key_free(k);
	return r;
}

static int
e_key_public_text(struct cust_ctx *ctx)
{
	char *t = cust_key_public_text(ctx, S.key), *b;

	b = cust_key_public_b64(S.key);
	free(t);
	free(b);
	return t != NULL && b != NULL ? CUST_OK : CUST_FATAL;
}

static int
e_key_save(struct cust_ctx *ctx)
{
	char prefix[128], path[140];
	int r;

	snprintf(prefix, sizeof(prefix), "%s/saved%lu", S.dir, S.saves++);
	r = cust_key_save(ctx, S.key, prefix);
	snprintf(path, sizeof(path), "%s.key", prefix);
	if (unlink(path) == 0 && r != CUST_OK)
		r = violated("%s left behind", path);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	if (unlink(path) == 0 && r != CUST_OK)
		r = violated("%s left behind", path);
	return r;
}

static int
e_key_load_secret(struct cust_ctx *ctx)
{
	struct cust_key *k;
	char path[128];
	int r;

	snprintf(path, sizeof(path), "%s/k.key", S.dir);
	r = cust_key_load_secret(ctx, path, &k);
	cust_key_free(k);
	return r;
}

static int
e_key_load_public(struct cust_ctx *ctx)
{
	struct cust_key *k;
	char path[128];
	int r;

	snprintf(path, sizeof(path), "%s/k.pub", S.dir);
	r = cust_key_load_public(ctx, path, &k);
	cust_key_free(k);
	return r;
}

static int
e_key_parse_public(struct cust_ctx *ctx)
{
	struct cust_key *k;
	int r;

	r = cust_key_parse_public(ctx, S.pubtext, strlen(S.pubtext), &k);
	cust_key_free(k);
	return r;
}

static int
e_sig_make(struct cust_ctx *ctx)
{
	char *sig;
	size_t len;
	int r;

	r = cust_sig_make(ctx, S.key, MSG, sizeof(MSG) - 1, "sweep",
	    "case 1", &sig, &len);
	free(sig);
	return r;
}

static int
e_sig_parse(struct cust_ctx *ctx)
{
	struct cust_sig *s;
	int r;

	r = cust_sig_parse(ctx, S.sig, S.siglen, &s);
	cust_sig_free(s);
	return r;
}

static int
e_sig_verify(struct cust_ctx *ctx)
{
	return cust_sig_verify(ctx, S.sigobj, S.key, MSG, sizeof(MSG) - 1);
}

static int
e_escape(struct cust_ctx *ctx)
{
	char *e, *raw;
	size_t len, rawlen;
	int r = CUST_OK;

	(void)ctx;
	if ((e = cust_escape(ODD, sizeof(ODD) - 1, &len)) == NULL)
		return CUST_FATAL;
	if (cust_unescape(e, len, &raw, &rawlen) != 0)
		r = CUST_FATAL;		/* out of memory: not a wrong answer */
	else if (rawlen != sizeof(ODD) - 1 || memcmp(raw, ODD, rawlen) != 0)
		r = violated("unescape(escape(x)) != x");
	free(raw);
	free(e);
	return r;
}

static int
e_stored(struct cust_ctx *ctx)
{
	char *s;
	bool ok;

	(void)ctx;
	if ((s = cust_stored_name(ODD, sizeof(ODD) - 1)) == NULL)
		return CUST_FATAL;
	ok = cust_stored_valid(s);
	free(s);
	/* cust_stored_valid says false when out of memory. */
	return ok ? CUST_OK : CUST_FATAL;
}

static int
visit(void *arg, const struct cust_entry *e)
{
	(void)e;
	++*(unsigned *)arg;
	return CUST_OK;
}

static int
e_walk(struct cust_ctx *ctx)
{
	unsigned n = 0;
	struct cust_walk_opts o = {
		.rootfd = S.rootfd, .rule = cust_manifest_rule(S.walkm, 0),
		.visit = visit, .arg = &n,
	};
	int r;

	r = cust_walk(ctx, &o, "/t");
	if (r == CUST_OK && n < 5)
		r = violated("the walk met %u names", n);
	/* A glob's matches through a link and "..", which each keep a copy
	 * of the path to put back: /t/sub and /t/sub/b.txt. */
	n = 0;
	if (r == CUST_OK)
		r = cust_walk(ctx, &o, "/t/*/../sub");
	if (r == CUST_OK && n != 2)
		r = violated("the walk through .. met %u names", n);
	return r;
}

/* Collect /t into FD; with LEVEL above 0, through zstd on two workers. */
static int
collect_zstd(struct cust_ctx *ctx, int fd, int level,
    struct cust_collect_result *res)
{
	static const char *const paths[] = { "/t" };
	static char a0[] = "collect", a1[] = "/t";
	static char *const argv[] = { a0, a1, NULL };
	struct cust_collect_opts o = {
		.paths = paths, .npaths = 1, .root = S.dir, .out_fd = fd,
		.out_name = "sweep.tar", .spool_dirfd = -1, .bag_name = "SWEEP",
		.no_guard = true, .argc = 2, .argv = argv,
		.zstd_level = level, .zstd_threads = level > 0 ? 2 : 0,
	};

	return cust_collect(ctx, &o, res);
}

static int
collect_to(struct cust_ctx *ctx, int fd, struct cust_collect_result *res)
{
	return collect_zstd(ctx, fd, 0, res);
}

/* Collect at zstd LEVEL (0: a plain tar): at least the three files. */
static int
collected(struct cust_ctx *ctx, int level)
{
	struct cust_collect_result res;
	int fd = memfd(NULL, 0), r;

	r = collect_zstd(ctx, fd, level, &res);
	if (r == CUST_OK && res.files < 3)
		r = violated("collected %ju files", (uintmax_t)res.files);
	cust_collect_result_fini(&res);
	close(fd);
	return r;
}

static int
e_collect(struct cust_ctx *ctx)
{
	return collected(ctx, 0);
}

static int
e_collect_zstd(struct cust_ctx *ctx)
{
	return collected(ctx, 1);
}

/* Verify BUF; a tampered bundle must never pass. */
static int
verify(struct cust_ctx *ctx, const unsigned char *buf, size_t len,
    bool tampered)
{
	const char *ids[] = { S.key_id };
	struct cust_verify_opts o = { .name = "sweep.tar", .key_ids = ids,
	    .nkey_ids = 1, .log_fd = -1 };
	struct cust_report *rep;
	int r;

	o.fd = memfd(buf, len);
	r = cust_verify(ctx, &o, &rep);
	close(o.fd);
	if (r != CUST_OK)
		return r;
	if (rep->verdict == CUST_AUTHENTIC || rep->verdict == CUST_UNVERIFIED) {
		if (tampered)
			r = violated("a tampered bundle verified");
	} else if (rep->nfindings == 0)
		r = violated("verdict %d without a finding", rep->verdict);
	else if (!tampered)
		/* Running out of memory is an error, never a finding. */
		r = violated("a finding: %s: %s: %.300s",
		    rep->findings[0].check, rep->findings[0].subject,
		    rep->findings[0].message);
	cust_report_free(rep);
	return r;
}

static int
e_verify(struct cust_ctx *ctx)
{
	return verify(ctx, S.bundle, S.bundlelen, false);
}

static int
e_verify_tampered(struct cust_ctx *ctx)
{
	return verify(ctx, S.tampered, S.bundlelen, true);
}

static int
scanned(void *arg, const char *member, const char *text, size_t len)
{
	(void)member;
	(void)text;
	*(size_t *)arg += len;
	return 0;
}

static int
e_scan(struct cust_ctx *ctx)
{
	size_t total = 0;
	int fd = memfd(S.bundle, S.bundlelen), r;

	r = cust_scan(ctx, fd, "sweep.tar", scanned, &total);
	close(fd);
	return r;
}

/* Extract the bundle into a new directory under the scratch one; every
 * run starts from an empty target. */
static int
e_extract(struct cust_ctx *ctx)
{
	static unsigned runs;
	struct cust_extract_stats st;
	char path[128], cmd[160];
	int fd = memfd(S.bundle, S.bundlelen), dfd, r;

	snprintf(path, sizeof(path), "%s/x%u", S.dir, runs++);
	if (mkdir(path, 0700) == -1 ||
	    (dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die("%s: %s", path, strerror(errno));
	r = cust_extract(ctx, fd, "sweep.tar", dfd, 0, NULL, &st);
	if (r == CUST_OK && st.files < 3)
		r = violated("extracted %ju files", (uintmax_t)st.files);
	close(dfd);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		die("%s: could not remove", path);
	return r;
}

static int
e_report_json(struct cust_ctx *ctx)
{
	char *s;

	(void)ctx;
	s = cust_report_json(S.report);
	free(s);
	return s != NULL ? CUST_OK : CUST_FATAL;
}

/* A finding longer than a report keeps, as a hostile name can make. */
static int
e_report_add(struct cust_ctx *ctx)
{
	struct cust_report *rep;
	char long_text[6000];
	int r;

	(void)ctx;
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return CUST_FATAL;
	if ((r = cust_report_add(rep, "archive", long_text, "%s: %s",
	    long_text, "too long")) == CUST_OK)
		r = cust_report_add(rep, "metadata", "short", "short");
	cust_report_free(rep);
	return r;
}

static int
e_chain(struct cust_ctx *ctx)
{
	struct cust_chain c;
	int r;

	cust_chain_init(&c);
	if ((r = cust_chain_add(ctx, &c, S.event)) == CUST_OK)
		r = cust_chain_add(ctx, &c, S.event);
	cust_chain_fini(&c);
	return r;
}

/* A file of tests/fuzz/ (FUZZ_DIR), read whole; *np its size. */
static unsigned char *
fuzz_file(const char *rel, size_t *np)
{
	char path[512];
	unsigned char *buf;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", FUZZ_DIR, rel);
	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size)
		die("%s: %s", path, strerror(errno));
	close(fd);
	*np = (size_t)st.st_size;
	return buf;
}

static int
e_log_read(struct cust_ctx *ctx)
{
	struct cust_log *log;
	int fd = memfd(S.log, S.loglen), r;
	char *json;

	r = cust_log_read(ctx, fd, "sweep.custody", &log);
	for (size_t i = 0; r == CUST_OK && i < cust_log_count(log); i++)
		if ((json = cust_log_json_event(log, i)) != NULL)
			free(json);
		else
			r = CUST_FATAL;
	cust_log_free(log);
	close(fd);
	return r;
}

static int
e_bundle_ref(struct cust_ctx *ctx)
{
	struct cust_bundle_ref ref;
	int fd = memfd(S.tpl, S.tpllen), r;

	r = cust_bundle_ref_read(ctx, fd, "template.tar", &ref);
	close(fd);
	cust_bundle_ref_fini(&ref);
	return r;
}

/* A note appended to a copy of the template's log, by the test key. */
static int
e_log_append(struct cust_ctx *ctx)
{
	struct cust_event ev = { .type = "note", .name = "sweep",
	    .note = "allocation failure", .key = S.fuzzkey };
	char head[65];
	int fd = memfd(S.log, S.loglen), r;

	r = cust_log_append(ctx, fd, "sweep.custody", NULL, &ev, head);
	close(fd);
	return r;
}

static int
e_castore(struct cust_ctx *ctx)
{
	struct cust_castore *ca;
	char path[512];
	int r;

	snprintf(path, sizeof(path), "%s/pki/ca.pem", FUZZ_DIR);
	r = cust_castore_load(ctx, path, &ca);
	cust_castore_free(ca);
	return r;
}

static int
e_tsa_check(struct cust_ctx *ctx)
{
	struct cust_tsa_token t;
	int r;

	r = cust_tsa_check(ctx, "granted.tsr", S.tsr, S.tsrlen, S.tplsig,
	    S.tplsiglen, S.ca, &t);
	if (r == CUST_OK && !t.verified)
		r = violated("the token did not verify");
	cust_tsa_token_fini(&t);
	return r;
}

static int
e_cms_check(struct cust_ctx *ctx)
{
	struct cust_cms_trust t = { .ca = S.ca, .start = -1 };
	struct cust_cms_result res;
	int r;

	r = cust_cms_check(ctx, "cades.p7s", S.p7s, S.p7slen, S.tplman,
	    S.tplmanlen, &t, &res);
	if (r == CUST_OK && !res.verified)
		r = violated("the signature did not verify");
	cust_cms_result_fini(&res);
	return r;
}

/* The template and its custody log, trusted by the test key's ID. */
static int
e_verify_log(struct cust_ctx *ctx)
{
	const char *ids[] = { S.fuzzid };
	struct cust_verify_opts o = { .name = "template.tar", .key_ids = ids,
	    .nkey_ids = 1, .log_name = "template.tar.custody" };
	struct cust_report *rep;
	int r;

	o.fd = memfd(S.tpl, S.tpllen);
	o.log_fd = memfd(S.log, S.loglen);
	r = cust_verify(ctx, &o, &rep);
	close(o.fd);
	close(o.log_fd);
	if (r == CUST_OK && rep->verdict != CUST_AUTHENTIC)
		r = violated("a finding: %s", rep->nfindings > 0 ?
		    rep->findings[0].message : "none");
	cust_report_free(rep);
	return r;
}

/* A bundle with an X.509 signature and tokens, trusted by the CA. */
static int
e_verify_x509(struct cust_ctx *ctx)
{
	struct cust_verify_opts o = { .name = "x509.tar", .ca = S.ca,
	    .tsa_ca = S.ca, .log_fd = -1 };
	struct cust_report *rep;
	int r;

	o.fd = memfd(S.x509, S.x509len);
	r = cust_verify(ctx, &o, &rep);
	close(o.fd);
	if (r == CUST_OK && rep->verdict != CUST_AUTHENTIC)
		r = violated("a finding: %s", rep->nfindings > 0 ?
		    rep->findings[0].message : "none");
	cust_report_free(rep);
	return r;
}

struct entry {
	const char	*name;
	int		(*run)(struct cust_ctx *);
	bool		 message;	/* errors carry a message */
};

static const struct entry entries[] = {
	{ "cust_ctx_new", e_ctx_new, false },
	{ "cust_manifest_load_buffer", e_manifest_buffer, true },
	{ "cust_manifest_load_file", e_manifest_file, true },
	{ "cust_key_generate", e_key_generate, true },
	{ "cust_key_public_text", e_key_public_text, false },
	{ "cust_key_save", e_key_save, true },
	{ "cust_key_load_secret", e_key_load_secret, true },
	{ "cust_key_load_public", e_key_load_public, true },
	{ "cust_key_parse_public", e_key_parse_public, true },
	{ "cust_sig_make", e_sig_make, true },
	{ "cust_sig_parse", e_sig_parse, true },
	{ "cust_sig_verify", e_sig_verify, true },
	{ "cust_escape/cust_unescape", e_escape, false },
	{ "cust_stored_name/cust_stored_valid", e_stored, false },
	{ "cust_walk", e_walk, true },
	{ "cust_collect", e_collect, true },
	{ "cust_collect (zstd, two workers)", e_collect_zstd, true },
	{ "cust_verify", e_verify, true },
	{ "cust_verify (tampered)", e_verify_tampered, true },
	{ "cust_scan", e_scan, true },
	{ "cust_extract", e_extract, true },
	{ "cust_report_json", e_report_json, false },
	{ "cust_report_add", e_report_add, false },
	{ "cust_chain_add", e_chain, true },
	{ "cust_log_read", e_log_read, true },
	{ "cust_log_append", e_log_append, true },
	{ "cust_bundle_ref_read", e_bundle_ref, true },
	{ "cust_castore_load", e_castore, true },
	{ "cust_tsa_check", e_tsa_check, true },
	{ "cust_cms_check", e_cms_check, true },
	{ "cust_verify (custody log)", e_verify_log, true },
	{ "cust_verify (X.509, tokens)", e_verify_x509, true },
};

/* -------------------------------------------------------------- setup */

static void
write_file(const char *rel, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", S.dir, rel);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) == -1)
		die("%s: %s", path, strerror(errno));
}

static void
make_tree(void)
{
	char path[256];

	strcpy(S.dir, "/tmp/custody-alloc.XXXXXX");
	if (mkdtemp(S.dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/t", S.dir);
	if (mkdir(path, 0755) == -1)
		die("%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/t/sub", S.dir);
	if (mkdir(path, 0755) == -1)
		die("%s: %s", path, strerror(errno));
	write_file("t/a.txt", "hello\n");
	write_file("t/empty", "");
	write_file("t/per%cent", "odd name\n");
	write_file("t/sub/b.txt", "b\n");
	snprintf(path, sizeof(path), "%s/t/link", S.dir);
	if (symlink("a.txt", path) == -1)
		die("%s: %s", path, strerror(errno));
	write_file("walk.yaml", WALK_YAML);
	if ((S.rootfd = open(S.dir, O_RDONLY | O_DIRECTORY)) == -1)
		die("%s: %s", S.dir, strerror(errno));
}

static void
make_keys(struct cust_ctx *ctx)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s/k", S.dir);
	if (cust_key_generate(ctx, &S.key) != CUST_OK ||
	    cust_key_save(ctx, S.key, prefix) != CUST_OK ||
	    (S.pubtext = cust_key_public_text(ctx, S.key)) == NULL ||
	    cust_sig_make(ctx, S.key, MSG, sizeof(MSG) - 1, "sweep", "case 1",
	    &S.sig, &S.siglen) != CUST_OK ||
	    cust_sig_parse(ctx, S.sig, S.siglen, &S.sigobj) != CUST_OK)
		die("keys: %s", cust_ctx_error(ctx));
}

static void
make_bundle(struct cust_ctx *ctx)
{
	struct cust_collect_result res;
	const char *ids[1];
	struct cust_verify_opts o = { .name = "t", .key_ids = ids,
	    .nkey_ids = 1, .log_fd = -1 };
	unsigned char *hit;
	off_t size;
	int fd = memfd(NULL, 0);

	if (collect_to(ctx, fd, &res) != CUST_OK)
		die("collect: %s", cust_ctx_error(ctx));
	memcpy(S.key_id, res.key_id, sizeof(S.key_id));
	cust_collect_result_fini(&res);
	if ((size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    (S.bundle = malloc((size_t)size)) == NULL ||
	    (S.tampered = malloc((size_t)size)) == NULL ||
	    pread(fd, S.bundle, (size_t)size, 0) != size)
		die("reading the bundle back");
	close(fd);
	S.bundlelen = (size_t)size;
	memcpy(S.tampered, S.bundle, S.bundlelen);
	if ((hit = memmem(S.tampered, S.bundlelen, "hello\n", 6)) == NULL)
		die("no payload to tamper with");
	hit[0] = 'j';
	ids[0] = S.key_id;
	o.fd = memfd(S.tampered, S.bundlelen);
	if (cust_verify(ctx, &o, &S.report) != CUST_OK ||
	    S.report->nfindings == 0)
		die("the tampered bundle has no finding");
	close(o.fd);
}

/* A copy of member NAME of the tar BUF (NUL-terminated), or die. */
static unsigned char *
member(const unsigned char *buf, size_t len, const char *name, size_t *np)
{
	struct archive *a;
	struct archive_entry *e;
	unsigned char *out = NULL;
	const char *path, *slash;

	if ((a = archive_read_new()) == NULL ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		die("template: cannot read");
	while (out == NULL && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		path = archive_entry_pathname(e);
		if ((slash = strchr(path, '/')) == NULL ||
		    strcmp(slash + 1, name) != 0)
			continue;
		*np = (size_t)archive_entry_size(e);
		if ((out = malloc(*np + 1)) == NULL ||
		    archive_read_data(a, out, *np) != (la_ssize_t)*np)
			die("template: %s", name);
		out[*np] = '\0';
	}
	archive_read_free(a);
	if (out == NULL)
		die("template: no %s", name);
	return out;
}

/* The seeds of tests/fuzz: made by make-seeds.sh with the test key. */
static void
load_seeds(struct cust_ctx *ctx)
{
	char path[512];

	S.tpl = fuzz_file("template.tar", &S.tpllen);
	S.log = fuzz_file("seeds/custody_log/template", &S.loglen);
	S.x509 = fuzz_file("seeds/bundles/x509.tar", &S.x509len);
	S.tsr = fuzz_file("seeds/tsa/granted", &S.tsrlen);
	S.p7s = fuzz_file("seeds/cms/cades", &S.p7slen);
	S.tplsig = member(S.tpl, S.tpllen,
	    "signatures/tagmanifest-sha512.txt.minisig", &S.tplsiglen);
	S.tplman = member(S.tpl, S.tpllen, "tagmanifest-sha512.txt",
	    &S.tplmanlen);
	snprintf(path, sizeof(path), "%s/fuzz.key", FUZZ_DIR);
	if (cust_key_load_secret(ctx, path, &S.fuzzkey) != CUST_OK)
		die("%s", cust_ctx_error(ctx));
	cust_key_id_hex(S.fuzzkey, S.fuzzid);
	snprintf(path, sizeof(path), "%s/pki/ca.pem", FUZZ_DIR);
	if (cust_castore_load(ctx, path, &S.ca) != CUST_OK)
		die("%s", cust_ctx_error(ctx));
}

static int
rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	close(S.rootfd);
	nftw(S.dir, rm, 16, FTW_DEPTH | FTW_PHYS);
	cust_key_free(S.key);
	free(S.pubtext);
	free(S.sig);
	cust_sig_free(S.sigobj);
	cust_manifest_free(S.walkm);
	free(S.bundle);
	free(S.tampered);
	cust_report_free(S.report);
	json_decref(S.event);
	free(S.tpl);
	free(S.log);
	free(S.x509);
	free(S.tsr);
	free(S.p7s);
	free(S.tplsig);
	free(S.tplman);
	cust_key_free(S.fuzzkey);
	cust_castore_free(S.ca);
}

/* ------------------------------------------------------------- sweep */

struct tally {
	unsigned long	 allocs;	/* in a run without failure */
	unsigned long	 errors;	/* runs that returned an error */
	unsigned long	 absorbed;	/* runs that succeeded all the same */
};

/* Run E with allocation N failing: 0, or VIOLATION (and WHY) when it
 * misbehaved. */
static int
run_one(const struct entry *e, struct cust_ctx *ctx, unsigned long n,
    struct tally *t, bool *done)
{
	size_t live = alloc_live();
	int fds = count_fds(), r;
	unsigned long count;

	cust_ctx_clear(ctx);
	why[0] = '\0';
	alloc_fail_at(n);
	r = e->run(ctx);
	*done = !alloc_injected();
	count = alloc_count();
	alloc_fail_at(0);
	if (r == VIOLATION)
		return r;
	if (alloc_live() != live)
		return violated("%ld blocks leaked: %s", (long)alloc_live() -
		    (long)live, r < 0 ? cust_ctx_error(ctx) : "no error");
	if (count_fds() != fds)
		return violated("%d descriptors leaked", count_fds() - fds);
	if (*done) {
		t->allocs = count;
		return r < 0 ? violated("fails with no failure injected: %s",
		    cust_ctx_error(ctx)) : 0;
	}
	if (r < 0 && e->message && cust_ctx_error(ctx)[0] == '\0')
		return violated("status %d without a message", r);
	if (r >= 0)
		t->absorbed++;
	else
		t->errors++;
	return 0;
}

static bool
sweep(const struct entry *e, struct cust_ctx *ctx, unsigned num)
{
	struct tally t = { 0 };
	bool done = false;
	unsigned long n;

	for (n = 1; !done; n++)
		if (run_one(e, ctx, n, &t, &done) != 0) {
			printf("not ok %u - %s: allocation %lu failing: %s\n",
			    num, e->name, n, why);
			return false;
		}
	printf("ok %u - %s: %lu allocations, each failed in turn: %lu "
	    "errors, %lu absorbed\n", num, e->name, t.allocs, t.errors,
	    t.absorbed);
	fflush(stdout);
	return true;
}

int
main(void)
{
	struct cust_ctx *ctx;
	int failed = 0;

	alloc_hook_jansson();
	if (cust_ctx_new(&ctx) != CUST_OK)
		die("cust_ctx_new");
	make_tree();
	make_keys(ctx);
	if (cust_manifest_load_buffer(ctx, "walk", WALK_YAML,
	    sizeof(WALK_YAML) - 1, &S.walkm) != CUST_OK)
		die("walk manifest: %s", cust_ctx_error(ctx));
	make_bundle(ctx);
	if ((S.event = json_pack("{s:s}", "type", "acquired")) == NULL)
		die("json_pack");
	load_seeds(ctx);
	printf("1..%zu\n", NELEM(entries));
	for (size_t i = 0; i < NELEM(entries); i++)
		failed += !sweep(&entries[i], ctx, (unsigned)i + 1);
	teardown();
	cust_ctx_free(ctx);
	return failed == 0 ? 0 : 1;
}
