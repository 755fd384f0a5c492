/*
 * countersign.c: what the collector adds once the minisign signature is
 * made.  An X.509 signature over the tag manifest when a certificate was
 * given; then RFC 3161 tokens over each signature file when a TSA was
 * given; and, once the bundle is closed and its SHA-256 known, the first
 * events of its custody log.  A TSA that cannot be reached or refuses does
 * not stop the collection: the bundle is whole without a token, and says
 * so in the result and in the custody log ("untimestamped"), so that
 * `custody timestamp` can add one later.  The bundle's own custody.jsonl
 * is sealed before any of this, so only the sidecar log can tell of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "collect/collect.h"

/* One token over DATA into MEMBER; a TSA failure is noted, not fatal. */
static int
stamp(struct cust_ctx *ctx, struct cust_bag *bag,
    const struct cust_collect_opts *o, struct cust_collect_result *res,
    const char *member, const void *data, size_t len)
{
	unsigned char *der = NULL;
	size_t n;
	int r;

	r = cust_tsa_request(ctx, o->tsa_url, o->tsa_timeout, data, len, &der,
	    &n);
	if (r == CUST_FAILED) {
		res->untimestamped = true;
		snprintf(res->tsa_error, sizeof(res->tsa_error), "%s",
		    cust_ctx_error(ctx));
		cust_ctx_clear(ctx);
		return CUST_OK;
	}
	if (r == CUST_OK && (r = cust_bag_append(bag, member, der, n)) ==
	    CUST_OK)
		res->timestamps++;
	free(der);
	return r;
}

int
cust_countersign(struct cust_ctx *ctx, struct cust_bag *bag,
    const struct cust_collect_opts *o, struct cust_collect_result *res)
{
	unsigned char *p7s = NULL;
	const char *tm, *sig;
	size_t tmlen, siglen, p7slen = 0;
	int r;

	if ((r = cust_bag_sealed(bag, &tm, &tmlen, &sig, &siglen)) != CUST_OK)
		return r;
	if (o->signer != NULL) {
		if ((r = cust_cms_sign(ctx, o->signer, tm, tmlen, &p7s,
		    &p7slen)) != CUST_OK ||
		    (r = cust_bag_append(bag, CUST_P7S_MEMBER, p7s, p7slen)) !=
		    CUST_OK)
			goto out;
		res->x509 = true;
	}
	if (o->tsa_url == NULL)
		goto out;
	r = stamp(ctx, bag, o, res, CUST_TSR_MEMBER, sig, siglen);
	/* After a failure, a second try would only wait as long again. */
	if (r == CUST_OK && p7s != NULL && !res->untimestamped)
		r = stamp(ctx, bag, o, res, CUST_P7STSR_MEMBER, p7s, p7slen);
out:
	free(p7s);
	return r;
}

/* The bundle as its custody log binds to it. */
static int
bundle_of(struct cust_ctx *ctx, const struct cust_bag *bag,
    const struct cust_collect_opts *o, const struct cust_collect_result *res,
    struct cust_bundle_ref *ref)
{
	unsigned char md[64];
	const char *tm, *sig;
	size_t tmlen, siglen;
	int r;

	memset(ref, 0, sizeof(*ref));
	if ((r = cust_bag_sealed(bag, &tm, &tmlen, &sig, &siglen)) != CUST_OK)
		return r;
	if (EVP_Digest(tm, tmlen, md, NULL, EVP_sha512(), NULL) != 1)
		return cust_set_ssl_error(ctx, CUST_FATAL, "sha512");
	cust_hex(md, sizeof(md), ref->tagmanifest_sha512);
	snprintf(ref->bag, sizeof(ref->bag), "%s", o->bag_name);
	snprintf(ref->sha256, sizeof(ref->sha256), "%s", res->sha256);
	return CUST_OK;
}

/* Add a line to the log text being made; its hash is the new head. */
static int
push(struct cust_ctx *ctx, struct cust_collect_result *res, char *line)
{
	size_t old = res->log_text != NULL ? strlen(res->log_text) : 0;
	size_t n = strlen(line);
	char *p;
	int r;

	if ((r = cust_sha256_hex(ctx, line, n, res->log_head)) != CUST_OK)
		return r;
	if ((p = realloc(res->log_text, old + n + 2)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody log");
	memcpy(p + old, line, n);
	p[old + n] = '\n';
	p[old + n + 1] = '\0';
	res->log_text = p;
	res->log_events++;
	return CUST_OK;
}

/* A hostile host's name may hold anything: only a plain line is kept. */
static bool
printable(const char *s)
{
	if (*s == '\0' || !cust_utf8_valid(s, strlen(s)))
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "sealed": who sealed, with which key, and what the bundle holds. */
static int
sealed(struct cust_ctx *ctx, const struct cust_collect_opts *o,
    const struct cust_bundle_ref *ref, struct cust_event *ev, bool one_time,
    const struct timespec *now, struct cust_collect_result *res)
{
	char id[CUST_KEYID_HEXLEN + 1], *line = NULL;
	json_t *extra;
	int r;

	cust_key_id_hex(ev->key, id);
	extra = json_pack("{s:{s:s, s:b, s:o, s:I}}", "seal", "key_id", id,
	    "one_time", one_time, "x509", o->signer != NULL ?
	    json_string(cust_signer_subject(o->signer)) : json_null(),
	    "timestamps", (json_int_t)res->timestamps);
	if (extra == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody log");
	ev->type = "sealed";
	if ((r = cust_log_line(ctx, 0, NULL, now, ref, ev, extra, &line)) ==
	    CUST_OK)
		r = push(ctx, res, line);
	free(line);
	json_decref(extra);
	return r;
}

/* "untimestamped": the TSA that failed, and why. */
static int
untimestamped(struct cust_ctx *ctx, const struct cust_collect_opts *o,
    struct cust_event *ev, const struct timespec *now,
    struct cust_collect_result *res)
{
	char *line = NULL, prev[65];
	json_t *extra;
	int r;

	extra = json_pack("{s:s, s:s}", "tsa", o->tsa_url, "reason",
	    res->tsa_error);
	if (extra == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "custody log");
	ev->type = "untimestamped";
	memcpy(prev, res->log_head, sizeof(prev));
	if ((r = cust_log_line(ctx, res->log_events, prev, now, NULL, ev,
	    extra, &line)) == CUST_OK)
		r = push(ctx, res, line);
	free(line);
	json_decref(extra);
	return r;
}

int
cust_collect_log(struct cust_ctx *ctx, const struct cust_bag *bag,
    const struct cust_collect_opts *o, const struct cust_key *key,
    bool one_time, struct cust_collect_result *res)
{
	struct cust_bundle_ref ref;
	struct cust_event ev;
	struct timespec now;
	char host[256] = "";
	int r;

	if (!o->custody_log)
		return CUST_OK;
	if ((r = bundle_of(ctx, bag, o, res, &ref)) != CUST_OK)
		return r;
	if (gethostname(host, sizeof(host)) == 0)
		host[sizeof(host) - 1] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.name = o->examiner;
	ev.role = "collector";
	ev.location = printable(host) ? host : NULL;
	ev.purpose = o->case_id;
	ev.key = key;
	/* One instant for both events: their times cannot go backwards. */
	clock_gettime(CLOCK_REALTIME, &now);
	if ((r = sealed(ctx, o, &ref, &ev, one_time, &now, res)) == CUST_OK &&
	    res->untimestamped)
		r = untimestamped(ctx, o, &ev, &now, res);
	return r;
}

/* ------------------------------------------------------ custody timestamp */

/* A token over DATA, as a "tokens" item: {over, tsa, gen_time, token}. */
static int
token(struct cust_ctx *ctx, json_t *a, const char *url, int timeout,
    const char *over, const void *data, size_t len)
{
	struct cust_tsa_token t;
	unsigned char *der = NULL;
	char *b64 = NULL;
	size_t n;
	json_t *o;
	int r;

	if ((r = cust_tsa_request(ctx, url, timeout, data, len, &der, &n)) !=
	    CUST_OK)
		return r;
	/* Not verified here (no CA): only to record what the TSA said. */
	if ((r = cust_tsa_check(ctx, url, der, n, data, len, NULL, &t)) !=
	    CUST_OK)
		goto out;
	if ((b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "token");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, der, (int)n);
	o = json_pack("{s:s, s:s, s:s, s:s}", "over", over, "tsa", url,
	    "gen_time", t.gen_time_text, "token", b64);
	if (o == NULL || json_array_append_new(a, o) != 0)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "token");
out:
	cust_tsa_token_fini(&t);
	free(b64);
	free(der);
	return r;
}

int
cust_log_timestamp(struct cust_ctx *ctx, int fd, const char *name,
    const struct cust_bundle_ref *ref, const char *url, int timeout,
    const struct cust_event *in, char head[65])
{
	struct cust_event ev = *in;
	json_t *a, *extra = NULL;
	int r;

	if ((a = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "token");
	r = token(ctx, a, url, timeout, CUST_SIG_MEMBER, ref->sig,
	    ref->siglen);
	if (r == CUST_OK && ref->p7s != NULL)
		r = token(ctx, a, url, timeout, CUST_P7S_MEMBER, ref->p7s,
		    ref->p7slen);
	if (r == CUST_OK && (extra = json_pack("{s:O}", "tokens", a)) ==
	    NULL)
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "token");
	if (r == CUST_OK) {
		ev.type = "timestamped";
		r = cust_log_write(ctx, fd, name, ref, &ev, extra, head);
	}
	json_decref(extra);
	json_decref(a);
	return r;
}
