/*
 * logcheck.c: what the verifier makes of a custody log.  Every event must
 * follow the one before (sequence, hash chain), the first must be bound to
 * the bundle being verified, and every event must be signed by the key it
 * names; a log that fails any of these was edited, cut, reordered or
 * moved, and the failure names the event.  Whether that key is one the
 * investigator trusts is a separate question, and decides what the event
 * weighs: anyone who can write the file can add an event of their own
 * key, so such an event is reported, never failed, and neither its date
 * nor anything wrong in it can fail the log; times must go forward only
 * among the events of keys trusted.  So too event 0's record of the
 * bundle's SHA-256 and of what followed its seal: a disagreement fails
 * the log when that event's key is trusted, and is a warning otherwise
 * (its bag and tag manifest must be this bundle's whoever signed it).
 * The first failure ends the check, since nothing after a broken link can
 * be placed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "custodylog/custodylog.h"

#define C_LOG		"custody log"
#define MAX_B64		(4 * ((CUST_TSR_MAX + 2) / 3))

/* Which line of event I, for messages: "event 3 (transferred)". */
static void
named(const struct cust_log_slot *s, char *buf, size_t n)
{
	snprintf(buf, n, "event %ju (%s)", (uintmax_t)s->e.seq, s->e.type);
}

static int
fail(struct cust_report *rep, const struct cust_log *log,
    const struct cust_log_slot *s, const char *why)
{
	char ev[96];

	named(s, ev, sizeof(ev));
	return cust_report_add(rep, C_LOG, log->name, "%s: %s", ev, why);
}

/* The X.509 signature the "sealed" event records, against the bundle's;
 * NULL when they agree. */
static const char *
x509_differs(json_t *x, const struct cust_log_policy *pol, char *why,
    size_t n)
{
	const char *subj = json_string_value(x);

	if (subj != NULL && !pol->x509)
		snprintf(why, n, "records an X.509 signature by %.200s; the "
		    "bundle holds none: %s was stripped", subj,
		    CUST_P7S_MEMBER);
	else if (subj == NULL && pol->x509)
		snprintf(why, n, "records no X.509 signature; the bundle holds "
		    "%s: it was added", CUST_P7S_MEMBER);
	else if (subj != NULL && pol->x509_subject != NULL &&
	    strcmp(subj, pol->x509_subject) != 0)
		snprintf(why, n, "records an X.509 signature by %.200s; the "
		    "bundle's %s is by %.200s: it was replaced", subj,
		    CUST_P7S_MEMBER, pol->x509_subject);
	else
		return NULL;
	return why;
}

/*
 * Event S says something of this bundle that is not so (WHY).  When S is
 * signed by a key trusted that is a finding, counted in *bad; an event of
 * another key is only remarked on, since anyone who can write the log can
 * add such an event saying anything (custody(1)).
 */
static int
disagrees(const struct cust_log *log, const struct cust_log_slot *s,
    bool trusted, struct cust_report *rep, int *bad, const char *why)
{
	char ev[96];

	if (trusted) {
		(*bad)++;
		return fail(rep, log, s, why);
	}
	named(s, ev, sizeof(ev));
	return cust_report_warn(rep, log->name, "%s: %s (by a key you do not "
	    "trust: it decides nothing)", ev, why);
}

/* A "sealed" event records what followed the seal: the X.509 signature
 * and how many tokens. */
static int
seal_record(const struct cust_log *log, const struct cust_log_slot *s,
    const struct cust_log_policy *pol, bool trusted,
    struct cust_report *rep, int *bad)
{
	json_t *seal = json_object_get(s->obj, "seal");
	json_t *x = json_object_get(seal, "x509");
	json_t *t = json_object_get(seal, "timestamps");
	char why[640];
	int r = CUST_OK;

	if (strcmp(s->e.type, "sealed") != 0)
		return CUST_OK;
	if (!json_is_object(seal) || (!json_is_null(x) &&
	    !json_is_string(x)) || !json_is_integer(t) ||
	    json_integer_value(t) < 0)
		return disagrees(log, s, trusted, rep, bad, "\"seal\" does "
		    "not record the X.509 signature and the tokens ({x509, "
		    "timestamps})");
	if (x509_differs(x, pol, why, sizeof(why)) != NULL)
		r = disagrees(log, s, trusted, rep, bad, why);
	if (r == CUST_OK && (uint64_t)json_integer_value(t) != pol->tokens) {
		snprintf(why, sizeof(why), "records %jd timestamp token%s in "
		    "the bundle; the bundle holds %zu: a token was %s",
		    (intmax_t)json_integer_value(t), json_integer_value(t) ==
		    1 ? "" : "s", pol->tokens, (uint64_t)json_integer_value(t)
		    > pol->tokens ? "stripped" : "added");
		r = disagrees(log, s, trusted, rep, bad, why);
	}
	return r;
}

/*
 * Event 0 names this bundle: its bag and its tag manifest digest (else
 * the log is another bundle's, whoever signed it), and, weighed by whether
 * its key is trusted, the SHA-256 of its file and what followed its seal.
 */
static int
bound(const struct cust_log *log, const struct cust_log_slot *s,
    const struct cust_log_policy *pol, struct cust_report *rep, bool *ok)
{
	const struct cust_log_entry *e = &s->e;
	char why[512];
	json_t *b = json_object_get(s->obj, "bundle");
	const char *sha = json_string_value(json_object_get(b, "sha256"));
	int bad = 0, r, trusted;

	if (strcmp(e->tagmanifest_sha512, pol->tagmanifest_sha512) != 0 ||
	    strcmp(e->bag, pol->bag) != 0) {
		snprintf(why, sizeof(why), "bound to another bundle (bag "
		    "%.64s, tag manifest SHA-512 %.16s...), not to this one "
		    "(bag %.64s, %.16s...)", e->bag, e->tagmanifest_sha512,
		    pol->bag, pol->tagmanifest_sha512);
		return fail(rep, log, s, why);
	}
	/* S stays loaded: it is the event cust_log_trusted loads. */
	if ((trusted = cust_log_trusted(log, s->i, pol)) < 0)
		return CUST_FATAL;
	if ((r = seal_record(log, s, pol, trusted == 1, rep, &bad)) !=
	    CUST_OK)
		return r;
	/* The same bag in other bytes: rewritten, or recompressed. */
	if (sha != NULL && pol->sha256 != NULL &&
	    strcmp(sha, pol->sha256) != 0) {
		snprintf(why, sizeof(why), "records the bundle file's SHA-256 "
		    "as %s; the file read is %s: not the bytes that were "
		    "sealed", sha, pol->sha256);
		r = disagrees(log, s, trusted == 1, rep, &bad, why);
	}
	*ok = bad == 0;
	return r;
}

const char *
cust_log_signed(const struct cust_log *log, size_t i, int *rp)
{
	const struct cust_log_slot *ev = cust_log_load(log, i);
	struct cust_ctx *ctx = log->ctx;
	struct cust_key *key = NULL;
	struct cust_sig *sig = NULL;
	const char *pub, *why = NULL;
	int r;

	*rp = CUST_OK;
	if (ev == NULL) {
		*rp = cust_ctx_errno(ctx) != 0 ? CUST_FATAL : CUST_FAILED;
		return cust_ctx_error(ctx);
	}
	/* Its "key_id" (ev->e.key_id) is its key's own ID: parse_line saw
	 * to that, so the key to verify with is the one "public_key" holds. */
	pub = json_string_value(json_object_get(ev->obj, "public_key"));
	if ((r = cust_key_parse_public(ctx, pub, strlen(pub), &key)) != 0 ||
	    (r = cust_sig_parse(ctx, ev->minisig, strlen(ev->minisig),
	    &sig)) != CUST_OK)
		why = cust_ctx_error(ctx);
	/* Out of memory (CUST_FATAL) is an error, not an altered event. */
	else if ((r = cust_sig_verify(ctx, sig, key, ev->text, ev->len)) ==
	    CUST_FAILED)
		why = "its signature does not verify: the event was altered "
		    "after it was signed";
	cust_sig_free(sig);
	cust_key_free(key);
	if (r == CUST_FATAL)
		*rp = CUST_FATAL;
	return why;
}

/* Is KEY the key whose public key line is PUB?  -1 when out of memory;
 * 2 when it has the same ID but is another key. */
static int
same_key(const struct cust_key *key, const char *pub, const char *id)
{
	char kid[CUST_KEYID_HEXLEN + 1], *b64;
	int r;

	if ((b64 = cust_key_public_b64(key)) == NULL)
		return -1;
	cust_key_id_hex(key, kid);
	r = strcmp(b64, pub) == 0 ? 1 : strcmp(kid, id) == 0 ? 2 : 0;
	free(b64);
	return r;
}

int
cust_log_trusted(const struct cust_log *log, size_t i,
    const struct cust_log_policy *pol)
{
	const struct cust_log_slot *ev = cust_log_load(log, i);
	const char *pub;
	int r;

	if (ev == NULL)
		return -1;
	pub = json_string_value(json_object_get(ev->obj, "public_key"));
	for (size_t k = 0; k < pol->nkeys; k++)
		if ((r = same_key(pol->keys[k], pub, ev->e.key_id)) != 0)
			return r;
	return pol->seal_key != NULL && pol->origin_trusted &&
	    strcmp(pub, pol->seal_key) == 0;
}

/* A key the investigator trusts, or the seal key of a trusted bundle:
 * *trusted says which. */
static int
trust(const struct cust_log *log, const struct cust_log_slot *ev,
    const struct cust_log_policy *pol, struct cust_report *rep,
    bool *trusted)
{
	char name[96];

	*trusted = false;
	switch (cust_log_trusted(log, ev->i, pol)) {
	case -1:
		return CUST_FATAL;
	case 1:
		rep->log_trusted++;
		*trusted = true;
		return CUST_OK;
	case 2:
		/* The same 8-byte ID, another key: an impostor. */
		return fail(rep, log, ev, "signed by a key that takes the ID "
		    "of a key you trust, but is not that key");
	}
	rep->log_unverified++;
	named(ev, name, sizeof(name));
	return cust_report_warn(rep, log->name, "%s by %s: signed by key %s, "
	    "which you have not said you trust (--pubkey)", name,
	    ev->e.name != NULL ? ev->e.name : "(no name)", ev->e.key_id);
}

/* An event whose line could not be read again as it was read (changed
 * meanwhile): a finding; out of memory: CUST_FATAL. */
static int
unread(const struct cust_log *log, struct cust_report *rep)
{
	if (cust_ctx_errno(log->ctx) == ENOMEM)
		return CUST_FATAL;
	return cust_report_add(rep, C_LOG, log->name, "%s",
	    cust_ctx_error(log->ctx));
}

/* What the time checks carry from event to event. */
struct order {
	size_t		 last;		/* the latest trusted event so far */
	bool		 any;		/* is there one? */
	struct timespec	 now;		/* this machine's clock */
};

/*
 * Times go forward among the events of keys you trust: one of them before
 * the latest trusted event fails.  An event of another key orders nothing
 * (anyone can write one, with any date), so its time is only remarked on;
 * and any event dated well after this machine's clock is named.
 */
static int
timed(const struct cust_log *log, const struct cust_log_slot *ev,
    bool trusted, struct order *o, struct cust_report *rep)
{
	char why[256], name[96], at[CUST_TIMELEN];
	struct timespec t;
	int r = CUST_OK;

	named(ev, name, sizeof(name));
	if (ev->when.tv_sec > o->now.tv_sec + CUST_LOG_AHEAD)
		r = cust_report_warn(rep, log->name, "%s: dated %s, after "
		    "this machine's clock: an implausible time%s", name,
		    ev->e.time, trusted ? "" : ", by a key you do not trust, "
		    "and not used to order the events after it");
	if (r != CUST_OK || !o->any || !cust_log_before(log, ev->i, o->last)) {
		if (trusted) {
			o->last = ev->i;
			o->any = true;
		}
		return r;
	}
	t = log->v[o->last].when;
	cust_time_utc(&t, at);
	snprintf(why, sizeof(why), "its time %s is before event %zu's time "
	    "%s", ev->e.time, o->last, at);
	if (trusted)
		return fail(rep, log, ev, why);
	return cust_report_warn(rep, log->name, "%s: %s, by a key you do not "
	    "trust; its time orders nothing", name, why);
}

static int
event(const struct cust_log *log, size_t i, const struct cust_log_policy *pol,
    struct order *o, struct cust_report *rep, bool *stop)
{
	const struct cust_log_slot *ev;
	const char *why;
	char buf[256];
	bool ok = false, trusted;
	int r;

	*stop = true;
	if ((ev = cust_log_load(log, i)) == NULL)
		return unread(log, rep);
	if ((why = cust_log_link(log, i, buf, sizeof(buf))) != NULL)
		return fail(rep, log, ev, why);
	if ((why = cust_log_signed(log, i, &r)) != NULL || r != CUST_OK)
		return r != CUST_OK ? r : fail(rep, log, ev, why);
	if (i == 0 && ((r = bound(log, ev, pol, rep, &ok)) != CUST_OK || !ok))
		return r;
	if ((r = trust(log, ev, pol, rep, &trusted)) != CUST_OK)
		return r;
	*stop = false;
	return timed(log, ev, trusted, o, rep);
}

/* --log-head: the log ends exactly at that line. */
static int
ends(const struct cust_log *log, const char *head, struct cust_report *rep)
{
	const struct cust_log_slot *s;
	char ev[96];

	if (log->n > 0 && strcmp(log->v[log->n - 1].hash, head) == 0)
		return CUST_OK;
	if (log->n == 0)
		return cust_report_add(rep, C_LOG, log->name, "the log is "
		    "empty; --log-head names an event");
	for (size_t i = 0; i + 1 < log->n; i++)
		if (strcmp(log->v[i].hash, head) == 0) {
			if ((s = cust_log_load(log, i)) == NULL)
				return unread(log, rep);
			named(s, ev, sizeof(ev));
			return cust_report_add(rep, C_LOG, log->name, "the log "
			    "goes on after %s, where --log-head says it ends "
			    "(%zu events after it)", ev, log->n - 1 - i);
		}
	if ((s = cust_log_load(log, log->n - 1)) == NULL)
		return unread(log, rep);
	named(s, ev, sizeof(ev));
	return cust_report_add(rep, C_LOG, log->name, "the log ends at %s "
	    "(head %s), and no line of it is the head --log-head names: "
	    "events were removed from its end, or it was altered", ev,
	    log->v[log->n - 1].hash);
}

int
cust_log_check(struct cust_ctx *ctx, const struct cust_log *log,
    const struct cust_log_policy *pol, struct cust_report *rep)
{
	size_t before = rep->nfindings;
	struct order o = { 0 };
	bool stop = false;
	int r = CUST_OK;

	free(rep->log_name);
	if ((rep->log_name = strdup(log->name)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "verify");
	rep->log_events = log->n;
	snprintf(rep->log_head, sizeof(rep->log_head), "%s",
	    cust_log_head(log));
	clock_gettime(CLOCK_REALTIME, &o.now);
	if (log->n == 0)
		r = cust_report_add(rep, C_LOG, log->name, "the log holds no "
		    "events");
	for (size_t i = 0; r == CUST_OK && !stop && i < log->n; i++)
		r = event(log, i, pol, &o, rep, &stop);
	if (r == CUST_OK && rep->nfindings == before && pol->head != NULL)
		r = ends(log, pol->head, rep);
	return r == CUST_OK ? CUST_OK : cust_set_error(ctx, ENOMEM,
	    CUST_FATAL, "verify");
}

/* Strict, canonical base64 of at most CUST_TSR_MAX bytes. */
static int
unb64(const char *s, unsigned char **outp, size_t *lenp)
{
	size_t n = strlen(s), pad = 0, len;
	unsigned char *out;
	char *again;

	if (n == 0 || n % 4 != 0 || n > MAX_B64)
		return -1;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/") != n - pad)
		return -1;
	len = n / 4 * 3 - pad;
	if ((out = malloc(n / 4 * 3 + 1)) == NULL)
		return -2;
	if ((again = malloc(n + 1)) == NULL ||
	    EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) < 0) {
		free(again);
		free(out);
		return again == NULL ? -2 : -1;
	}
	EVP_EncodeBlock((unsigned char *)again, out, (int)len);
	if (strcmp(again, s) != 0) {
		free(again);
		free(out);
		return -1;
	}
	free(again);
	*outp = out;
	*lenp = len;
	return 0;
}

int
cust_log_token(struct cust_ctx *ctx, const struct cust_log *log, size_t i,
    size_t j, const char **over, unsigned char **derp, size_t *lenp)
{
	const struct cust_log_slot *s = cust_log_load(log, i);
	json_t *t = s != NULL ? json_array_get(json_object_get(s->obj,
	    "tokens"), j) : NULL;
	const char *b64 = json_string_value(json_object_get(t, "token"));
	int k;

	*derp = NULL;
	*over = json_string_value(json_object_get(t, "over"));
	if (s == NULL)
		return cust_ctx_errno(ctx) != 0 ? CUST_FATAL : CUST_FAILED;
	if (b64 == NULL || *over == NULL)
		return cust_set_error(ctx, 0, CUST_FAILED, "token %zu: "
		    "missing", j + 1);
	if ((k = unb64(b64, derp, lenp)) == -2)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "token");
	if (k != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "token %zu: not "
		    "canonical base64 of at most %d bytes", j + 1,
		    CUST_TSR_MAX);
	return CUST_OK;
}
