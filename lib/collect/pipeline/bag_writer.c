/*
 * bag_writer.c: the bundle as a BagIt 1.0 bag (RFC 8493) in one tar.  It
 * writes the members in the order, under the names and within the bounds
 * of format/layout.c's table (custody-bundle(5)), spools the per-artefact
 * tag files while the payload streams past, and at the end writes the tag
 * files, the tag manifest over them and the signature over that.
 *
 * The three optional ones sign or timestamp the tag manifest or a
 * signature, so no manifest lists them; cust_bag_append() keeps them in
 * this order.  The closing statement (closing.c) lists them, so that none
 * can be stripped, added or replaced unseen, and the seal key signs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "collect/pipeline/pipeline.h"

#define COPY_BUF	(64 * 1024)

struct tag {
	char	*name;			/* owned: relative to the bag */
	char	 sha512[129];
};

struct cust_bag {
	struct cust_ctx	*ctx;		/* borrowed */
	struct cust_sink *sink;		/* borrowed */
	char		*name;		/* owned: top directory */
	unsigned	 algs;
	struct timespec	 mtime;		/* the collection's start: Bagging-Date */
	struct cust_spool *files;	/* owned: files.jsonl */
	struct cust_spool *body;	/* owned: bodyfile.txt */
	struct cust_spool *man[CUST_NALG]; /* owned: manifest-<alg>.txt */
	struct tag	*tags;		/* owned */
	size_t		 ntags;
	uint64_t	 oxum_bytes, oxum_count;
	char		*member;	/* owned: scratch for member names */
	size_t		 membercap;
	struct cust_jw	 jw;		/* owned: scratch for records */
	char		*tm;		/* owned: the tag manifest, sealed */
	size_t		 tmlen;
	char		*sig;		/* owned: its minisign signature */
	size_t		 siglen;
	size_t		 next;		/* trailers[] index allowed next */
	bool		 p7s;		/* the .p7s was written */
	bool		 closed;	/* the closing statement was written */
	char		 sums[CUST_NCLOSED][129]; /* SHA-512 of cust_closed[i],
						   "" when not written */
};

/* What may follow the signature, in this order (see above). */
static const char *const trailers[] = {
	CUST_P7S_MEMBER, CUST_TSR_MEMBER, CUST_P7STSR_MEMBER,
};

void
cust_bag_free(struct cust_bag *b)
{
	if (b == NULL)
		return;
	cust_spool_free(b->files);
	cust_spool_free(b->body);
	for (size_t i = 0; i < CUST_NALG; i++)
		cust_spool_free(b->man[i]);
	for (size_t i = 0; i < b->ntags; i++)
		free(b->tags[i].name);
	free(b->tags);
	free(b->member);
	cust_jw_free(&b->jw);
	free(b->name);
	free(b->tm);
	free(b->sig);
	free(b);
}

int
cust_bag_new(struct cust_ctx *ctx, struct cust_sink *sink, const char *name,
    unsigned algs, int spooldir, const struct timespec *mtime,
    struct cust_bag **bp)
{
	struct cust_bag *b;
	int r;

	*bp = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->name = strdup(name)) == NULL) {
		free(b);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "bag");
	}
	b->ctx = ctx;
	b->sink = sink;
	b->algs = algs | CUST_ALG_SHA256;
	b->mtime = *mtime;
	if ((r = cust_spool_new(ctx, spooldir, "files.jsonl", &b->files)) ||
	    (r = cust_spool_new(ctx, spooldir, "bodyfile.txt", &b->body)))
		goto fail;
	for (unsigned i = 0; i < CUST_NALG; i++)
		if ((b->algs & (1u << i)) && (r = cust_spool_new(ctx,
		    spooldir, cust_alg_name(1u << i), &b->man[i])) != CUST_OK)
			goto fail;
	*bp = b;
	return CUST_OK;
fail:
	cust_bag_free(b);
	return r;
}

const char *
cust_bag_member(struct cust_bag *b, const char *rel)
{
	size_t need = strlen(b->name) + 1 + strlen(rel) + 1;
	char *p;

	if (need > b->membercap) {
		if ((p = realloc(b->member, need)) == NULL) {
			cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "bag");
			return NULL;
		}
		b->member = p;
		b->membercap = need;
	}
	snprintf(b->member, need, "%s/%s", b->name, rel);
	return b->member;
}

static int
addtag(struct cust_bag *b, const char *rel, const unsigned char md[64])
{
	struct tag *t;

	if ((t = realloc(b->tags, (b->ntags + 1) * sizeof(*t))) == NULL)
		return cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "bag");
	b->tags = t;
	t += b->ntags;
	if ((t->name = strdup(rel)) == NULL)
		return cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "bag");
	cust_hex(md, 64, t->sha512);
	b->ntags++;
	return CUST_OK;
}

/* A tag file from memory: written, and listed in the tag manifest. */
static int
tagmem(struct cust_bag *b, enum cust_part part, const void *p, size_t n)
{
	const char *rel = cust_layout[part].name;
	unsigned char md[64];
	const char *m;
	int r;

	/* What the verifier would refuse is never sealed. */
	if (n > cust_layout[part].max)
		return cust_set_error(b->ctx, EFBIG, CUST_FATAL,
		    "%s: %zu bytes, more than the %ju a bundle may hold", rel,
		    n, (uintmax_t)cust_layout[part].max);
	if (EVP_Digest(p, n, md, NULL, EVP_sha512(), NULL) != 1)
		return cust_set_ssl_error(b->ctx, CUST_FATAL, "sha512");
	if ((m = cust_bag_member(b, rel)) == NULL)
		return CUST_FATAL;
	if ((r = cust_sink_write_member(b->sink, m, p, n)) != 0)
		return r;
	return addtag(b, rel, md);
}

static int
copyspool(struct cust_bag *b, struct cust_spool *sp)
{
	unsigned char *buf;
	ssize_t k;
	int r = CUST_OK;

	if ((buf = malloc(COPY_BUF)) == NULL)
		return cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "bag");
	while (r == CUST_OK && (k = cust_spool_read(sp, buf, COPY_BUF)) != 0)
		r = k < 0 ? (int)k : cust_sink_data(b->sink, buf, (size_t)k);
	free(buf);
	return r;
}

/* A tag file from a spool, whose SHA-512 the spool took as it grew. */
static int
tagspool(struct cust_bag *b, const char *rel, struct cust_spool *sp)
{
	const char *m;
	int r;

	if ((r = cust_spool_rewind(sp)) != CUST_OK)
		return r;
	if ((m = cust_bag_member(b, rel)) == NULL)
		return CUST_FATAL;
	if ((r = cust_sink_header(b->sink, m, cust_spool_size(sp))) !=
	    CUST_OK || (r = copyspool(b, sp)) != CUST_OK ||
	    (r = cust_sink_finish(b->sink)) != CUST_OK)
		return r;
	return addtag(b, rel, cust_spool_sha512(sp));
}

int
cust_bag_begin(struct cust_bag *b)
{
	static const char bagit[] =
	    "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	char algs[64] = "";
	int r;

	/* NOLINTBEGIN(clang-analyzer-security.insecureAPI.strcpy): at most
	 * CUST_NALG short names, well within ALGS. */
	for (unsigned i = 0; i < CUST_NALG; i++)
		if (b->algs & (1u << i)) {
			strcat(algs, cust_alg_name(1u << i));
			strcat(algs, "\n");
		}
	/* NOLINTEND(clang-analyzer-security.insecureAPI.strcpy) */
	if ((r = tagmem(b, CUST_M_BAGIT, bagit, sizeof(bagit) - 1)) != 0)
		return r;
	return tagmem(b, CUST_M_ALGS, algs, strlen(algs));
}

int
cust_bag_payload(struct cust_bag *b, const char *stored, uint64_t bytes,
    const struct cust_digest *d)
{
	const char *hex;
	int r = CUST_OK;

	for (unsigned i = 0; r == CUST_OK && i < CUST_NALG; i++) {
		if (b->man[i] == NULL)
			continue;
		if ((hex = cust_digest_hex(d, 1u << i)) == NULL)
			return cust_set_error(b->ctx, 0, CUST_FATAL,
			    "%s: no %s digest", stored, cust_alg_name(1u << i));
		if ((r = cust_spool_puts(b->man[i], hex)) == CUST_OK &&
		    (r = cust_spool_write(b->man[i], "  ", 2)) == CUST_OK &&
		    (r = cust_spool_puts(b->man[i], stored)) == CUST_OK)
			r = cust_spool_write(b->man[i], "\n", 1);
	}
	b->oxum_bytes += bytes;
	b->oxum_count++;
	return r;
}

int
cust_bag_record(struct cust_bag *b, const struct cust_record *rec)
{
	int r;

	if (cust_record_write(rec, &b->jw) != CUST_OK)
		return cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "record");
	b->jw.p[b->jw.n] = '\n';	/* room for it: the writer keeps a NUL */
	if ((r = cust_spool_write(b->files, b->jw.p, b->jw.n + 1)) == CUST_OK)
		r = cust_record_bodyfile(rec, b->body);
	return r;
}

void
cust_bag_oxum(const struct cust_bag *b, uint64_t *bytes, uint64_t *count)
{
	*bytes = b->oxum_bytes;
	*count = b->oxum_count;
}

static int
baginfo(struct cust_bag *b, const char *extra)
{
	char *text = NULL, date[16];
	struct tm tm;
	time_t t = b->mtime.tv_sec;
	int n, r;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	n = asprintf(&text, "Bag-Software-Agent: custody %s\n"
	    "Bagging-Date: %s\nPayload-Oxum: %ju.%ju\n%s", cust_version,
	    date, (uintmax_t)b->oxum_bytes, (uintmax_t)b->oxum_count,
	    extra != NULL ? extra : "");
	if (n < 0)
		return cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "bag-info");
	r = tagmem(b, CUST_M_BAGINFO, text, (size_t)n);
	free(text);
	return r;
}

/* Member cust_closed[I] holds P: the closing statement will list it. */
static int
closed_sum(struct cust_bag *b, size_t i, const void *p, size_t n)
{
	unsigned char md[64];

	if (EVP_Digest(p, n, md, NULL, EVP_sha512(), NULL) != 1)
		return cust_set_ssl_error(b->ctx, CUST_FATAL, "sha512");
	cust_hex(md, sizeof(md), b->sums[i]);
	return CUST_OK;
}

/* The tag manifest over every tag file so far, then its signature. */
static int
signoff(struct cust_bag *b, const struct cust_bag_seal *in)
{
	char *tm = NULL, *sig = NULL, *p;
	size_t len = 0, siglen;
	const char *m;
	int r;

	for (size_t i = 0; i < b->ntags; i++)
		len += 128 + 2 + strlen(b->tags[i].name) + 1;
	if ((tm = malloc(len + 1)) == NULL)
		return cust_set_error(b->ctx, ENOMEM, CUST_FATAL, "bag");
	p = tm;
	for (size_t i = 0; i < b->ntags; i++)
		p += sprintf(p, "%s  %s\n", b->tags[i].sha512,
		    b->tags[i].name);
	if ((m = cust_bag_member(b, cust_layout[CUST_M_TAGMAN].name)) == NULL)
		r = CUST_FATAL;
	else if ((r = cust_sink_write_member(b->sink, m, tm, len)) ==
	    CUST_OK && (r = cust_sig_make(b->ctx, in->key, tm, len,
	    in->untrusted, in->trusted, &sig, &siglen)) == CUST_OK) {
		if ((m = cust_bag_member(b, CUST_SIG_MEMBER)) == NULL)
			r = CUST_FATAL;
		else
			r = cust_sink_write_member(b->sink, m, sig, siglen);
	}
	if (r == CUST_OK)
		r = closed_sum(b, 0, sig, siglen);
	if (r == CUST_OK) {
		/* Kept: countersignatures and timestamps cover them. */
		b->tm = tm;
		b->tmlen = len;
		b->sig = sig;
		b->siglen = siglen;
		return r;
	}
	free(sig);
	free(tm);
	return r;
}

int
cust_bag_sealed(const struct cust_bag *b, const char **tmp, size_t *tmlen,
    const char **sigp, size_t *siglen)
{
	if (b->sig == NULL)
		return cust_set_error(b->ctx, 0, CUST_FATAL, "bag: not sealed");
	*tmp = b->tm;
	*tmlen = b->tmlen;
	*sigp = b->sig;
	*siglen = b->siglen;
	return CUST_OK;
}

int
cust_bag_append(struct cust_bag *b, const char *rel, const void *p, size_t n)
{
	const char *m;
	size_t i;
	int r;

	for (i = b->next; i < NELEM(trailers); i++)
		if (strcmp(trailers[i], rel) == 0)
			break;
	/* A .p7s.tsr timestamps the .p7s: never without it. */
	if (b->sig == NULL || b->closed || i == NELEM(trailers) ||
	    (strcmp(rel, CUST_P7STSR_MEMBER) == 0 && !b->p7s))
		return cust_set_error(b->ctx, 0, CUST_FATAL, "bag: %s may not "
		    "come here", rel);
	if ((m = cust_bag_member(b, rel)) == NULL)
		return CUST_FATAL;
	b->next = i + 1;
	b->p7s = b->p7s || strcmp(rel, CUST_P7S_MEMBER) == 0;
	/* trailers[i] is cust_closed[i + 1]: the signature comes first. */
	if ((r = closed_sum(b, i + 1, p, n)) != CUST_OK)
		return r;
	return cust_sink_write_member(b->sink, m, p, n);
}

int
cust_bag_close(struct cust_bag *b, const struct cust_key *key,
    const char *untrusted, const char *trusted)
{
	char *text = NULL, *sig = NULL;
	size_t len, siglen;
	const char *m;
	int r;

	if (b->sig == NULL || b->closed)
		return cust_set_error(b->ctx, 0, CUST_FATAL, "bag: %s may not "
		    "come here", CUST_CLOSING_MEMBER);
	b->closed = true;
	if ((r = cust_closing_text(b->ctx, b->sums, &text, &len)) !=
	    CUST_OK || (r = cust_sig_make(b->ctx, key, text, len, untrusted,
	    trusted, &sig, &siglen)) != CUST_OK)
		goto out;
	if ((m = cust_bag_member(b, CUST_CLOSING_MEMBER)) == NULL ||
	    (r = cust_sink_write_member(b->sink, m, text, len)) != CUST_OK)
		r = m == NULL ? CUST_FATAL : r;
	else if ((m = cust_bag_member(b, CUST_CLOSESIG_MEMBER)) == NULL)
		r = CUST_FATAL;
	else
		r = cust_sink_write_member(b->sink, m, sig, siglen);
out:
	free(sig);
	free(text);
	return r;
}

int
cust_bag_seal(struct cust_bag *b, const struct cust_bag_seal *in)
{
	char rel[64];
	int r;

	if ((r = tagmem(b, CUST_M_ACQ, in->acquisition,
	    strlen(in->acquisition))) != CUST_OK)
		return r;
	for (size_t i = 0; i < in->nlistings; i++) {
		if (!cust_listing_name_valid(in->listing_names[i]))
			return cust_set_error(b->ctx, EINVAL, CUST_FATAL,
			    "%s: not a listing's name", in->listing_names[i]);
		if ((r = tagspool(b, in->listing_names[i],
		    in->listing_spools[i])) != CUST_OK)
			return r;
	}
	if ((r = tagspool(b, cust_layout[CUST_M_FILES].name, b->files)) != CUST_OK ||
	    (r = tagspool(b, cust_layout[CUST_M_BODY].name, b->body)) != CUST_OK ||
	    (r = tagmem(b, CUST_M_CUSTODY, in->custody,
	    strlen(in->custody))) != CUST_OK)
		return r;
	for (unsigned i = 0; i < CUST_NALG; i++) {
		if (b->man[i] == NULL)
			continue;
		snprintf(rel, sizeof(rel), "manifest-%s.txt",
		    cust_alg_name(1u << i));
		if ((r = tagspool(b, rel, b->man[i])) != CUST_OK)
			return r;
	}
	if ((r = baginfo(b, in->info)) != CUST_OK)
		return r;
	return signoff(b, in);
}
