/*
 * common.c: helpers for the fuzz targets (see fuzz.h): the run's context,
 * the test key that signed the seed bundles, memfds for the APIs that read
 * from a descriptor or a path, and the verifier run with the properties
 * every report must have.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "fuzz.h"

/* tests/fuzz/fuzz.key and pki/ca.pem, embedded at build time. */
extern const unsigned char fuzz_key_pem[];
extern const size_t fuzz_key_pem_len;
extern const unsigned char fuzz_ca_pem[];
extern const size_t fuzz_ca_pem_len;

#define MAX_MEMBERS	64

static struct cust_ctx *ctx;
static struct cust_key *key;
static char key_id[CUST_KEYID_HEXLEN + 1];
static struct cust_castore *ca;
static struct {
	char		*bag;
	struct fuzz_member m[MAX_MEMBERS];
	size_t		 n;
} tpl;

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: property broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

struct cust_ctx *
fuzz_ctx(void)
{
	if (ctx == NULL && cust_ctx_new(&ctx) != CUST_OK)
		fuzz_fail("cust_ctx_new");
	return ctx;
}

int
fuzz_memfd(const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;
	int fd;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		fuzz_fail("memfd_create: %s", strerror(errno));
	while (n > 0) {
		if ((w = write(fd, s, n)) <= 0)
			fuzz_fail("write to a memfd: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("lseek: %s", strerror(errno));
	return fd;
}

const char *
fuzz_fdpath(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

static void
load_key(void)
{
	char path[32];
	int fd;

	fd = fuzz_memfd(fuzz_key_pem, fuzz_key_pem_len);
	if (cust_key_load_secret(fuzz_ctx(), fuzz_fdpath(fd, path,
	    sizeof(path)), &key) != CUST_OK)
		fuzz_fail("test key: %s", cust_ctx_error(ctx));
	close(fd);
	cust_key_id_hex(key, key_id);
}

const struct cust_key *
fuzz_key(void)
{
	if (key == NULL)
		load_key();
	return key;
}

const char *
fuzz_key_id(void)
{
	if (key == NULL)
		load_key();
	return key_id;
}

const struct cust_castore *
fuzz_ca(void)
{
	char path[32];
	int fd;

	if (ca != NULL)
		return ca;
	fd = fuzz_memfd(fuzz_ca_pem, fuzz_ca_pem_len);
	if (cust_castore_load(fuzz_ctx(), fuzz_fdpath(fd, path, sizeof(path)),
	    &ca) != CUST_OK)
		fuzz_fail("test CA: %s", cust_ctx_error(ctx));
	close(fd);
	return ca;
}

static void
add_member(struct archive *a, struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e), *slash;
	struct fuzz_member *m = &tpl.m[tpl.n];
	size_t size = (size_t)archive_entry_size(e);

	if (tpl.n == MAX_MEMBERS || (slash = strchr(path, '/')) == NULL)
		fuzz_fail("template: unexpected member %s", path);
	if (tpl.bag == NULL && (tpl.bag = strndup(path,
	    (size_t)(slash - path))) == NULL)
		fuzz_fail("out of memory");
	if ((m->name = strdup(slash + 1)) == NULL ||
	    (m->p = malloc(size + 1)) == NULL)
		fuzz_fail("out of memory");
	if (archive_read_data(a, m->p, size) != (la_ssize_t)size)
		fuzz_fail("template: %s", archive_error_string(a));
	m->p[size] = '\0';
	m->n = size;
	tpl.n++;
}

static void
load_template(void)
{
	struct archive *a;
	struct archive_entry *e;
	int r;

	if ((a = archive_read_new()) == NULL ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, fuzz_template, fuzz_template_len) !=
	    ARCHIVE_OK)
		fuzz_fail("template: cannot read");
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		add_member(a, e);
	if (r != ARCHIVE_EOF || tpl.n == 0)
		fuzz_fail("template: %s", archive_error_string(a));
	archive_read_free(a);
}

const struct fuzz_member *
fuzz_template_members(size_t *np)
{
	if (tpl.n == 0)
		load_template();
	*np = tpl.n;
	return tpl.m;
}

/* The one mtime of the template's tar headers (custody-bundle(5)). */
int64_t
fuzz_template_mtime(void)
{
	char f[13];

	if (fuzz_template_len < 512)
		fuzz_fail("template: too short");
	memcpy(f, (const char *)fuzz_template + 136, 12);
	f[12] = '\0';
	return (int64_t)strtoll(f, NULL, 8);
}

const char *
fuzz_template_bag(void)
{
	if (tpl.n == 0)
		load_template();
	return tpl.bag;
}

const struct fuzz_member *
fuzz_template_find(const char *name)
{
	if (tpl.n == 0)
		load_template();
	for (size_t i = 0; i < tpl.n; i++)
		if (strcmp(tpl.m[i].name, name) == 0)
			return &tpl.m[i];
	return NULL;
}

void
fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *v,
    size_t max)
{
	const uint8_t *p = data, *end = size > 0 ? data + size : data, *nul;
	bool more = size > 0;	/* another part starts at p */

	for (size_t i = 0; i < max; i++) {
		v[i].given = more;
		v[i].p = p;
		v[i].n = 0;
		if (!more)
			continue;
		nul = i + 1 < max && p < end ?
		    memchr(p, '\0', (size_t)(end - p)) : NULL;
		v[i].n = (size_t)((nul != NULL ? nul : end) - p);
		more = nul != NULL;
		p = nul != NULL ? nul + 1 : end;
	}
}

char *
fuzz_strdup(const struct fuzz_part *part)
{
	char *s;

	if ((s = malloc(part->n + 1)) == NULL)
		fuzz_fail("out of memory");
	memcpy(s, part->p, part->n);
	s[part->n] = '\0';
	return s;
}

static const char *const checks[] = { "archive", "structure", "signature",
    "timestamp", "tag manifest", "completeness", "validity", "metadata",
    "custody log" };

static void
check_finding(const struct cust_finding *f)
{
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (strcmp(f->check, checks[i]) == 0)
			break;
	if (i == sizeof(checks) / sizeof(checks[0]))
		fuzz_fail("finding of unknown check \"%s\"", f->check);
	if (f->subject == NULL || f->message == NULL || f->message[0] == '\0')
		fuzz_fail("finding without subject or message");
}

/* An authentic verdict vouches for every byte of the input. */
static void
check_authentic(const struct cust_report *rep, const void *p, size_t n)
{
	unsigned char md[32];
	char hex[65];

	if (rep->nfindings > 0 || rep->more_findings > 0 ||
	    rep->failed_check != NULL || !rep->signature_valid ||
	    !(rep->key_trusted || rep->x509_verified))
		fuzz_fail("authentic verdict with findings or no trust");
	if (EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL) != 1)
		fuzz_fail("sha256");
	cust_hex(md, sizeof(md), hex);
	if (rep->bytes != n || strcmp(rep->sha256, hex) != 0)
		fuzz_fail("authentic verdict over %ju of %zu input bytes",
		    (uintmax_t)rep->bytes, n);
}

static void
check_report(const struct cust_report *rep, const void *p, size_t n)
{
	json_error_t err;
	json_t *j;
	char *s;

	for (size_t i = 0; i < rep->nfindings; i++)
		check_finding(&rep->findings[i]);
	switch (rep->verdict) {
	case CUST_AUTHENTIC:
		check_authentic(rep, p, n);
		break;
	case CUST_BROKEN:
		if (rep->nfindings == 0 && rep->more_findings == 0)
			fuzz_fail("failed verdict without a finding");
		break;
	default:
		/* A key is always given; a memfd can always be read. */
		fuzz_fail("verdict %d", (int)rep->verdict);
	}
	if ((s = cust_report_json(rep)) == NULL)
		fuzz_fail("cust_report_json");
	if ((j = json_loads(s, 0, &err)) == NULL)
		fuzz_fail("report JSON does not parse: %s", err.text);
	json_decref(j);
	free(s);
}

/* A custody log to read with the bundle (log NULL: none). */
struct logbytes {
	const void	*log;
	size_t		 n;
};

/* What a run found, for the runs after it. */
struct outcome {
	enum cust_verdict verdict;
	bool		 streamed;	/* the checks after the stream ran */
	bool		 pki;		/* an X.509 signature or a token */
};

static void
verify_once(const void *p, size_t n, const struct cust_verify_opts *base,
    const struct logbytes *lb, struct outcome *out)
{
	struct cust_verify_opts o = *base;
	struct cust_report *rep;

	o.fd = fuzz_memfd(p, n);
	o.name = "fuzz";
	o.log_fd = lb->log != NULL ? fuzz_memfd(lb->log, lb->n) : -1;
	o.log_name = lb->log != NULL ? "fuzz.custody" : NULL;
	if (cust_verify(fuzz_ctx(), &o, &rep) != CUST_OK)
		fuzz_fail("cust_verify: %s", cust_ctx_error(ctx));
	close(o.fd);
	if (o.log_fd != -1)
		close(o.log_fd);
	check_report(rep, p, n);
	out->verdict = rep->verdict;
	out->streamed = rep->failed_check == NULL ||
	    strcmp(rep->failed_check, "archive") != 0;
	out->pki = rep->x509_present || rep->nstamps > 0;
	cust_report_free(rep);
	cust_ctx_clear(ctx);
}

/*
 * Trust the test key by its public key, then by its ID; when the bundle
 * holds an X.509 signature or a token, trust the test CA alone as well
 * (a CA given makes an X.509 signature required).
 */
static enum cust_verdict
verify_all(const void *p, size_t n, const struct logbytes *lb)
{
	const struct cust_key *keys[1] = { fuzz_key() };
	const char *ids[1] = { fuzz_key_id() };
	struct cust_verify_opts bykey = { .keys = keys, .nkeys = 1 };
	struct cust_verify_opts byid = { .key_ids = ids, .nkey_ids = 1 };
	struct cust_verify_opts byca = { .ca = fuzz_ca(),
	    .tsa_ca = fuzz_ca() };
	struct outcome first, o;

	verify_once(p, n, &bykey, lb, &first);
	/* An archive that failed is read no further, whatever the keys. */
	if (!first.streamed)
		return first.verdict;
	verify_once(p, n, &byid, lb, &o);
	/* A key ID vouches only for the key it was computed from. */
	if (o.verdict == CUST_AUTHENTIC && first.verdict != CUST_AUTHENTIC)
		fuzz_fail("authentic by key ID, not by the same public key");
	if (first.pki)
		verify_once(p, n, &byca, lb, &o);
	return first.verdict;
}

void
fuzz_explain(const void *p, size_t n)
{
	const struct cust_key *keys[1] = { fuzz_key() };
	struct cust_verify_opts o = { .keys = keys, .nkeys = 1,
	    .name = "fuzz", .log_fd = -1 };
	struct cust_report *rep;

	o.fd = fuzz_memfd(p, n);
	if (cust_verify(fuzz_ctx(), &o, &rep) != CUST_OK)
		fuzz_fail("cust_verify: %s", cust_ctx_error(ctx));
	close(o.fd);
	for (size_t i = 0; i < rep->nfindings; i++)
		fprintf(stderr, "fuzz: %s: %s: %s\n", rep->findings[i].check,
		    rep->findings[i].subject, rep->findings[i].message);
	cust_report_free(rep);
}

enum cust_verdict
fuzz_verify(const void *p, size_t n)
{
	struct logbytes none = { NULL, 0 };

	return verify_all(p, n, &none);
}

enum cust_verdict
fuzz_verify_log(const void *p, size_t n, const void *log, size_t logn)
{
	/* A memfd of an empty log: never a NULL pointer. */
	struct logbytes lb = { log != NULL ? log : "", logn };

	return verify_all(p, n, &lb);
}
