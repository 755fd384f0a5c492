/*
 * timestamps.c: the verifier's checks of what comes after the minisign
 * signature and beside the bundle: RFC 3161 tokens (check 4, "timestamp"),
 * the X.509 signature (part of check 3, "signature") and the custody log
 * (the last check, "custody log").  Tokens may sit in the bundle or in
 * "timestamped" events of the log; each must cover a signature file of
 * this bundle, and with --tsa-ca its TSA must chain to the investigator's
 * CA.  A token's genTime is trusted time only once verified, so only then
 * does it weigh against the host clock or date the X.509 check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "custodylog/custodylog.h"
#include "verify/verify.h"

#define OFFSET_WARN	600	/* seconds between genTime and the host's end */

/*
 * A finding about a token: a failure when DECISIVE, else a warning.  A
 * token carried by a custody log event of a key the investigator does not
 * trust is not decisive: anyone can write such an event, so what is wrong
 * with it cannot fail a genuine bundle.  (A token that verifies counts
 * whoever carried it: the TSA's signature is the evidence, not the event's.)
 */
#define TOKEN(v, decisive, subj, ...) ((decisive) ?			\
	FIND((v), C_TIMESTAMP, (subj), __VA_ARGS__) :			\
	ver_found((v), cust_report_warn((v)->rep, (subj), __VA_ARGS__)))

/* The acquisition's start or end by the host clock, from
 * acquisition.json. */
static bool
host_time(json_t *acq, const char *which, struct timespec *ts)
{
	const char *s = json_string_value(json_object_get(json_object_get(acq,
	    "clock"), which));

	return cust_log_time(s, ts) == 0;
}

/* The bytes of the signature file OVER, or NULL when the bundle lacks it. */
static const struct held *
covered(const struct ver *v, const char *over)
{
	if (strcmp(over, CUST_SIG_MEMBER) == 0)
		return &v->sig;
	if (strcmp(over, CUST_P7S_MEMBER) == 0 && v->p7s.p != NULL)
		return &v->p7s;
	return NULL;
}

/* genTime against the host's end: never before it; warn when far off. */
static int
timing(struct ver *v, const char *where, const struct cust_tsa_token *t,
    const struct timespec *end, bool in_bundle, bool decisive,
    struct cust_stamp *st)
{
	int64_t d = (int64_t)t->gen_time - (int64_t)end->tv_sec;
	char host[CUST_TIMELEN];

	cust_time_utc(end, host);
	st->offset_known = true;
	st->offset = d;
	/* genTime is truncated to its second; allow that and its accuracy. */
	if (t->verified && d < -(1 + t->accuracy))
		return TOKEN(v, decisive, where, "genTime %s is %jd s before "
		    "the acquisition's end by the host clock (%s, "
		    "acquisition.json): the token cannot cover this sealing",
		    t->gen_time_text, (intmax_t)-d, host);
	if (in_bundle && (d > OFFSET_WARN || d < -OFFSET_WARN))
		return cust_report_warn(v->rep, where, "genTime %s is %jd s "
		    "%s the acquisition's end by the host clock: the host "
		    "clock was %s", t->gen_time_text, (intmax_t)(d < 0 ? -d :
		    d), d < 0 ? "before" : "after", d < 0 ? "fast" : "slow, "
		    "or the TSA answered late") == CUST_OK ? CUST_OK :
		    ver_oom(v);
	return CUST_OK;
}

/* One token: checked, recorded in the report, and timed. */
static int
stamp(struct ver *v, const char *where, const char *over,
    const unsigned char *der, size_t n, const struct timespec *end,
    bool in_bundle, bool decisive, bool *verified)
{
	const struct held *data = covered(v, over);
	struct cust_stamp st = { .over = over };
	struct cust_tsa_token t;
	char w[96];
	int r;

	snprintf(w, sizeof(w), "%s", where);
	st.where = w;
	if (data == NULL)
		return TOKEN(v, decisive, where, "covers %s, which the "
		    "bundle does not hold", over);
	if ((r = cust_tsa_check(v->ctx, "token", der, n, data->p, data->n,
	    v->o->tsa_ca, &t)) == CUST_FATAL)
		return r;
	if (r != CUST_OK)
		return TOKEN(v, decisive, where, "%s",
		    cust_ctx_error(v->ctx));
	st.gen_time = t.gen_time_text;
	st.tsa = t.tsa;
	st.verified = t.verified;
	*verified = *verified || t.verified;
	/* The earliest: the certificate must have been valid by then. */
	if (t.verified && strcmp(over, CUST_P7S_MEMBER) == 0 &&
	    (!v->p7s_stamped || t.gen_time < v->p7s_time)) {
		v->p7s_stamped = true;
		v->p7s_time = t.gen_time;
		v->p7s_accuracy = t.accuracy;
	}
	r = end != NULL ? timing(v, where, &t, end, in_bundle, decisive, &st) :
	    CUST_OK;
	if (r == CUST_OK && cust_report_stamp(v->rep, &st) != CUST_OK)
		r = ver_oom(v);
	cust_tsa_token_fini(&t);
	return r;
}

/*
 * Does the investigator trust the key of log event I?  As ver_log will
 * decide it, except that an X.509 signature, checked after the tokens,
 * does not count yet.  -1 when out of memory.
 */
static int
decisive(const struct ver *v, size_t i)
{
	struct cust_log_policy pol;
	int r;

	memset(&pol, 0, sizeof(pol));
	pol.keys = v->o->keys;
	pol.nkeys = v->o->nkeys;
	pol.seal_key = v->seal_pub;
	pol.origin_trusted = v->rep->key_trusted;
	r = cust_log_trusted(v->log, i, &pol);
	return r < 0 ? -1 : r == 1;
}

/* The tokens of the log's "timestamped" events. */
static int
log_stamps(struct ver *v, const struct timespec *end, bool *verified)
{
	const struct cust_log_entry *e;
	unsigned char *der;
	const char *over;
	char where[96];
	size_t n;
	int r = CUST_OK, k;

	for (size_t i = 0; r == CUST_OK && i < cust_log_count(v->log); i++) {
		if ((e = cust_log_entry(v->log, i)) == NULL)
			return cust_ctx_errno(v->ctx) != 0 ? CUST_FATAL :
			    FIND(v, C_LOG, v->o->log_name, "%s",
			    cust_ctx_error(v->ctx));
		if (e->tokens == 0)
			continue;
		if ((k = decisive(v, i)) < 0)
			return ver_oom(v);
		snprintf(where, sizeof(where), k ? "custody log event %ju" :
		    "custody log event %ju (by key %s, not trusted)",
		    (uintmax_t)e->seq, e->key_id);
		for (size_t j = 0; r == CUST_OK && j < e->tokens; j++) {
			r = cust_log_token(v->ctx, v->log, i, j, &over, &der,
			    &n);
			if (r == CUST_FAILED)
				r = TOKEN(v, k, where, "%s",
				    cust_ctx_error(v->ctx));
			else if (r == CUST_OK)
				r = stamp(v, where, over, der, n, end, false,
				    k, verified);
			free(der);
		}
	}
	return r;
}

int
ver_stamps(struct ver *v, json_t *acq)
{
	struct timespec end;
	const struct timespec *e = host_time(acq, "end_utc", &end) ? &end :
	    NULL;
	bool verified = false;
	int r = CUST_OK;

	if (v->tsr.p != NULL)
		r = stamp(v, CUST_TSR_MEMBER, CUST_SIG_MEMBER,
		    (unsigned char *)v->tsr.p, v->tsr.n, e, true, true,
		    &verified);
	if (r == CUST_OK && v->p7stsr.p != NULL)
		r = stamp(v, CUST_P7STSR_MEMBER, CUST_P7S_MEMBER,
		    (unsigned char *)v->p7stsr.p, v->p7stsr.n, e, true, true,
		    &verified);
	if (r == CUST_OK && v->log != NULL)
		r = log_stamps(v, e, &verified);
	if (r == CUST_OK && v->o->require_timestamp && !verified)
		r = FIND(v, C_TIMESTAMP, v->o->name, "no token verified "
		    "against --tsa-ca, in the bundle or its custody log "
		    "(--require-timestamp)");
	return r;
}

/* ---------------------------------------------------------------- X.509 */

static int
x509_found(struct ver *v, const struct cust_cms_result *res)
{
	char when[CUST_TIMELEN];
	struct timespec ts = { .tv_sec = res->checked_at };
	struct cust_report *rep = v->rep;

	cust_time_utc(&ts, when);
	rep->x509_present = true;
	rep->x509_verified = res->verified;
	rep->x509_checked_by = res->at_token ? "token genTime" :
	    "present time";
	rep->x509_revocation_checked = res->revocation_checked;
	if ((rep->x509_subject = strdup(res->subject)) == NULL ||
	    (rep->x509_checked_at = strdup(when)) == NULL)
		return ver_oom(v);
	if (res->verified && !rep->key_trusted)
		rep->trusted_by = "X.509 certificate";
	return CUST_OK;
}

int
ver_x509(struct ver *v, json_t *acq)
{
	struct cust_cms_trust t = { .ca = v->o->ca, .policy =
	    v->o->x509_policy, .start = -1 };
	struct cust_cms_result res;
	struct timespec start;
	int r;

	if (v->p7s.p == NULL) {
		if (v->o->ca == NULL && !v->o->require_cms)
			return CUST_OK;
		return FIND(v, C_SIGNATURE, CUST_P7S_MEMBER, "no X.509 "
		    "signature in the bundle, and %s asks for one",
		    v->o->require_cms ? "--require-cms" : "--ca");
	}
	if (v->p7s_stamped) {
		t.at = &v->p7s_time;
		t.accuracy = v->p7s_accuracy;
	}
	/* Whole seconds: the signing time is truncated to its second. */
	if (host_time(acq, "start_utc", &start))
		t.start = start.tv_sec;
	r = cust_cms_check(v->ctx, "X.509 signature", v->p7s.p, v->p7s.n,
	    v->tagman.p, v->tagman.n, &t, &res);
	if (r == CUST_FAILED) {
		v->rep->x509_present = v->rep->x509_refused = true;
		r = FIND(v, C_SIGNATURE, CUST_P7S_MEMBER, "%s",
		    cust_ctx_error(v->ctx));
	} else if (r == CUST_OK)
		r = x509_found(v, &res);
	cust_cms_result_fini(&res);
	if (r == CUST_OK && v->o->require_cms && !v->rep->x509_verified)
		r = FIND(v, C_SIGNATURE, CUST_P7S_MEMBER, "the X.509 signature "
		    "was not verified against --ca (--require-cms)");
	return r;
}

/* ---------------------------------------------------------- custody log */

int
ver_log_read(struct ver *v)
{
	const char *msg;
	size_t n;
	int r;

	if (v->o->log_name == NULL) {
		if (v->o->log_head == NULL)
			return CUST_OK;
		return FIND(v, C_LOG, v->o->name, "no custody log was read, "
		    "but --log-head names its last event");
	}
	r = cust_log_read(v->ctx, v->o->log_fd, v->o->log_name, &v->log);
	if (r == CUST_OK)
		return r;
	if (r == CUST_FATAL && cust_ctx_errno(v->ctx) == ENOMEM)
		return r;
	if ((v->rep->log_name = strdup(v->o->log_name)) == NULL)
		return ver_oom(v);
	/* The message names the log already: the finding's subject does. */
	msg = cust_ctx_error(v->ctx);
	n = strlen(v->o->log_name);
	if (strncmp(msg, v->o->log_name, n) == 0 && strncmp(msg + n, ": ", 2)
	    == 0)
		msg += n + 2;
	return FIND(v, C_LOG, v->o->log_name, "%s", msg);
}

int
ver_log(struct ver *v)
{
	struct cust_log_policy pol;
	unsigned char md[64];
	char tm[129];

	if (v->log == NULL)
		return CUST_OK;
	if (EVP_Digest(v->tagman.p, v->tagman.n, md, NULL, EVP_sha512(),
	    NULL) != 1)
		return cust_set_ssl_error(v->ctx, CUST_FATAL, "sha512");
	cust_hex(md, sizeof(md), tm);
	memset(&pol, 0, sizeof(pol));
	pol.bag = cust_reader_bag(v->rd);
	pol.tagmanifest_sha512 = tm;
	/* The log commits to the file: a confidential bundle's envelope. */
	pol.sha256 = v->o->unseal != NULL ? (v->rep->sealed_sha256[0] ?
	    v->rep->sealed_sha256 : NULL) : v->rep->sha256[0] ?
	    v->rep->sha256 : NULL;
	pol.x509 = v->p7s.p != NULL;
	pol.x509_subject = v->rep->x509_subject;
	pol.tokens = (v->tsr.p != NULL) + (v->p7stsr.p != NULL);
	pol.keys = v->o->keys;
	pol.nkeys = v->o->nkeys;
	pol.seal_key = v->seal_pub;
	pol.origin_trusted = v->rep->key_trusted || v->rep->x509_verified;
	pol.head = v->o->log_head;
	return cust_log_check(v->ctx, v->log, &pol, v->rep);
}
