/*
 * fuzz_bag.c: the verifier's parsers of tag files, reached through a
 * well-formed bundle.  The template bundle (tests/fuzz/template.tar, made
 * by make-seeds.sh with the test key) is rebuilt for every input with
 * some of its tag files replaced by parts of the input (split at NUL
 * bytes, see fuzz_split), its tag manifest recomputed unless the input
 * gives one, and its signature and closing statement made again, so that every check after the
 * signature runs on the fuzzed text with full trust.  Built twice:
 *
 *   FUZZ_RECORDS   files.jsonl \0 custody.jsonl \0 acquisition.json
 *   FUZZ_TAGLINES  bag-info.txt \0 manifest-sha256.txt \0
 *                  tagmanifest-sha512.txt \0 algorithms.txt \0
 *                  manifest-sha512.txt \0 manifest-sha1.txt \0
 *                  manifest-md5.txt \0 bagit.txt
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fuzz.h"

#if defined(FUZZ_RECORDS)
static const char *const fuzzed[] = { "metadata/files.jsonl",
    "metadata/custody.jsonl", "metadata/acquisition.json" };
#elif defined(FUZZ_TAGLINES)
static const char *const fuzzed[] = { "bag-info.txt", "manifest-sha256.txt",
    "tagmanifest-sha512.txt", "metadata/algorithms.txt",
    "manifest-sha512.txt", "manifest-sha1.txt", "manifest-md5.txt",
    "bagit.txt" };
#else
#error "define FUZZ_RECORDS or FUZZ_TAGLINES"
#endif
#define NFUZZED	(sizeof(fuzzed) / sizeof(fuzzed[0]))

#define TAGMAN	"tagmanifest-sha512.txt"
#define SIG	"signatures/tagmanifest-sha512.txt.minisig"
#define MAX_TAGS	64

static struct {
	const struct fuzz_member *m;	/* the template's members */
	size_t		 n;
	char		*trusted;	/* owned: the signature's comment */
	const char	*tagnames[MAX_TAGS];	/* in the tag manifest */
	size_t		 ntags;
} tpl;

/* The names the template's tag manifest lists, in its order. */
static void
tag_names(void)
{
	const struct fuzz_member *t = fuzz_template_find(TAGMAN), *m;
	const unsigned char *s, *end, *nl;
	char name[256];

	if (t == NULL)
		fuzz_fail("template: no " TAGMAN);
	for (s = t->p, end = t->p + t->n; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL ||
		    nl - s < 131 || nl - s - 130 >= (long)sizeof(name) ||
		    tpl.ntags == MAX_TAGS)
			fuzz_fail("template: bad " TAGMAN);
		memcpy(name, s + 130, (size_t)(nl - s - 130));
		name[nl - s - 130] = '\0';
		if ((m = fuzz_template_find(name)) == NULL)
			fuzz_fail("template: " TAGMAN " lists %s", name);
		tpl.tagnames[tpl.ntags++] = m->name;
	}
}

static void
load_template(void)
{
	const struct fuzz_member *s;
	struct cust_sig *sig;

	tpl.m = fuzz_template_members(&tpl.n);
	tag_names();
	if ((s = fuzz_template_find(SIG)) == NULL ||
	    cust_sig_parse(fuzz_ctx(), s->p, s->n, &sig) != CUST_OK)
		fuzz_fail("template: no signature");
	if ((tpl.trusted = strdup(cust_sig_trusted_comment(sig))) == NULL)
		fuzz_fail("out of memory");
	cust_sig_free(sig);
}

static size_t
index_of(const char *name)
{
	return (size_t)(fuzz_template_find(name) - tpl.m);
}

/* What member I holds in this run: a part of the input, or the template. */
static void
content(size_t i, const struct fuzz_part *part, const void **pp, size_t *np)
{
	for (size_t k = 0; k < NFUZZED; k++)
		if (part[k].given && strcmp(fuzzed[k], tpl.m[i].name) == 0) {
			*pp = part[k].p;
			*np = part[k].n;
			return;
		}
	*pp = tpl.m[i].p;
	*np = tpl.m[i].n;
}

/* The tag manifest over the tag files as they are in this run. */
static char *
tagmanifest(const struct fuzz_part *part, size_t *lenp)
{
	unsigned char md[64];
	char *out, *o, hex[129];
	const void *p;
	size_t n, len = 0;

	for (size_t t = 0; t < tpl.ntags; t++)
		len += 128 + 2 + strlen(tpl.tagnames[t]) + 1;
	if ((o = out = malloc(len + 1)) == NULL)
		fuzz_fail("out of memory");
	for (size_t t = 0; t < tpl.ntags; t++) {
		content(index_of(tpl.tagnames[t]), part, &p, &n);
		if (EVP_Digest(p, n, md, NULL, EVP_sha512(), NULL) != 1)
			fuzz_fail("sha512");
		cust_hex(md, sizeof(md), hex);
		o += sprintf(o, "%s  %s\n", hex, tpl.tagnames[t]);
	}
	*lenp = len;
	return out;
}

static void
put(struct cust_sink *s, const char *name, const void *p, size_t n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fuzz_template_bag(), name);
	if (cust_sink_write_member(s, path, p, n) != CUST_OK)
		fuzz_fail("sink: %s", cust_ctx_error(fuzz_ctx()));
}

/* The closing statement over signature SIG alone, and its signature. */
static void
close_bag(struct cust_sink *s, const char *sig, size_t siglen)
{
	char sums[CUST_NCLOSED][129] = { "" }, *text, *csig;
	unsigned char md[64];
	size_t n, csiglen;

	if (EVP_Digest(sig, siglen, md, NULL, EVP_sha512(), NULL) != 1)
		fuzz_fail("sha512");
	cust_hex(md, sizeof(md), sums[0]);
	if (cust_closing_text(fuzz_ctx(), sums, &text, &n) != CUST_OK ||
	    cust_sig_make(fuzz_ctx(), fuzz_key(), text, n,
	    CUST_CLOSE_UNTRUSTED, tpl.trusted, &csig, &csiglen) != CUST_OK)
		fuzz_fail("close: %s", cust_ctx_error(fuzz_ctx()));
	put(s, CUST_CLOSING_MEMBER, text, n);
	put(s, CUST_CLOSESIG_MEMBER, csig, csiglen);
	free(csig);
	free(text);
}

/* The sealed tag manifest and its signature, as this run has them. */
static void
seal(struct cust_sink *s, const struct fuzz_part *part)
{
	const void *p;
	char *tm = NULL, *sig;
	size_t n, siglen;

	content(index_of(TAGMAN), part, &p, &n);
	if (p == fuzz_template_find(TAGMAN)->p) {
		tm = tagmanifest(part, &n);
		p = tm;
	}
	put(s, TAGMAN, p, n);
	if (cust_sig_make(fuzz_ctx(), fuzz_key(), p, n, CUST_SIG_UNTRUSTED,
	    tpl.trusted, &sig, &siglen) != CUST_OK)
		fuzz_fail("sign: %s", cust_ctx_error(fuzz_ctx()));
	put(s, SIG, sig, siglen);
	close_bag(s, sig, siglen);
	free(sig);
	free(tm);
}

/* Write the bundle of this run to FD. */
static void
build(int fd, const struct fuzz_part *part)
{
	struct cust_sink *s;
	const void *p;
	char sha[65];
	uint64_t bytes;
	size_t n;

	if (cust_sink_new(fuzz_ctx(), fd, "fuzz", 0, 0, NULL, &s) != CUST_OK)
		fuzz_fail("sink: %s", cust_ctx_error(fuzz_ctx()));
	cust_sink_set_mtime(s, fuzz_template_mtime());
	for (size_t i = 0; i < tpl.n; i++) {
		if (strcmp(tpl.m[i].name, TAGMAN) == 0) {
			seal(s, part);
			break;
		}
		content(i, part, &p, &n);
		put(s, tpl.m[i].name, p, n);
	}
	if (cust_sink_close(s, sha, &bytes) != CUST_OK)
		fuzz_fail("sink: %s", cust_ctx_error(fuzz_ctx()));
	cust_sink_free(s);
}

/* The bundle of this run (owned by the caller), its size in *np. */
static unsigned char *
bundle(const struct fuzz_part *part, size_t *np)
{
	unsigned char *buf;
	off_t size;
	int fd;

	fd = fuzz_memfd("", 0);
	build(fd, part);
	if ((size = lseek(fd, 0, SEEK_END)) < 0 ||
	    (buf = malloc((size_t)size + 1)) == NULL ||
	    pread(fd, buf, (size_t)size, 0) != size)
		fuzz_fail("reading the bundle back");
	close(fd);
	*np = (size_t)size;
	return buf;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fuzz_part none[NFUZZED];
	unsigned char *b;
	size_t n;

	(void)argc;
	(void)argv;
	load_template();
	fuzz_split(NULL, 0, none, NFUZZED);
	b = bundle(none, &n);
	if (fuzz_verify(b, n) != CUST_AUTHENTIC) {
		fuzz_explain(b, n);
		fuzz_fail("the template bundle does not verify as rebuilt: "
		    "run tests/fuzz/make-seeds.sh to make it again");
	}
	free(b);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[NFUZZED];

	unsigned char *b;
	size_t n;

	fuzz_split(data, size, part, NFUZZED);
	b = bundle(part, &n);
	fuzz_verify(b, n);
	free(b);
	return 0;
}
