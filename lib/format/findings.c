/*
 * findings.c: the verifier's findings and their JSON form.  The number of
 * findings kept is bounded, so that a bundle with millions of bad entries
 * cannot make the verifier's memory grow without end; the rest is counted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"

#define MAX_FINDINGS	1000
#define MAX_TEXT	4096	/* bytes kept of a subject or a message */

/* Cut S (owned) to MAX_TEXT bytes at a UTF-8 boundary, marked "...",
 * and give back the rest of its memory. */
static char *
cut(char *s)
{
	size_t n = strlen(s);
	char *t;

	if (n <= MAX_TEXT)
		return s;
	n = MAX_TEXT - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
	return (t = realloc(s, n + 4)) != NULL ? t : s;
}
#define MAX_WARNINGS	1000
#define MAX_STAMPS	1000

int
cust_report_add(struct cust_report *rep, const char *check,
    const char *subject, const char *fmt, ...)
{
	struct cust_finding *f;
	va_list ap;
	char *msg;
	int n;

	if (rep->nfindings == MAX_FINDINGS) {
		rep->more_findings++;
		return CUST_OK;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CUST_FATAL;
	if ((f = realloc(rep->findings, (rep->nfindings + 1) *
	    sizeof(*f))) == NULL) {
		free(msg);
		return CUST_FATAL;
	}
	rep->findings = f;
	f += rep->nfindings;
	f->check = check;
	f->message = cut(msg);		/* msg may have moved */
	if ((f->subject = strndup(subject != NULL ? subject : "",
	    MAX_TEXT + 1)) == NULL) {
		free(f->message);
		return CUST_FATAL;
	}
	f->subject = cut(f->subject);
	rep->nfindings++;
	return CUST_OK;
}

int
cust_report_warn(struct cust_report *rep, const char *subject,
    const char *fmt, ...)
{
	char **w, *msg, *line;
	va_list ap;
	int n;

	if (rep->nwarnings == MAX_WARNINGS)
		return CUST_OK;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CUST_FATAL;
	n = asprintf(&line, "%s: %s", subject, msg);
	free(msg);
	if (n < 0)
		return CUST_FATAL;
	if ((w = realloc(rep->warnings, (rep->nwarnings + 1) *
	    sizeof(*w))) == NULL) {
		free(line);
		return CUST_FATAL;
	}
	rep->warnings = w;
	w[rep->nwarnings++] = line;
	return CUST_OK;
}

static char *
dup_or_null(const char *s, bool *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = true;
	return d;
}

int
cust_report_stamp(struct cust_report *rep, const struct cust_stamp *in)
{
	struct cust_stamp *v, *t;
	bool bad = false;

	if (rep->nstamps == MAX_STAMPS)
		return CUST_OK;
	if ((v = realloc(rep->stamps, (rep->nstamps + 1) * sizeof(*v))) ==
	    NULL)
		return CUST_FATAL;
	rep->stamps = v;
	t = &v[rep->nstamps];
	*t = *in;
	t->where = dup_or_null(in->where, &bad);
	t->gen_time = dup_or_null(in->gen_time, &bad);
	t->tsa = dup_or_null(in->tsa, &bad);
	rep->nstamps++;
	return bad ? CUST_FATAL : CUST_OK;
}

static void
free_extra(struct cust_report *rep)
{
	for (size_t i = 0; i < rep->nstamps; i++) {
		free(rep->stamps[i].where);
		free(rep->stamps[i].gen_time);
		free(rep->stamps[i].tsa);
	}
	free(rep->stamps);
	for (size_t i = 0; i < rep->nwarnings; i++)
		free(rep->warnings[i]);
	free(rep->warnings);
	free(rep->x509_subject);
	free(rep->x509_checked_at);
	free(rep->log_name);
}

void
cust_report_free(struct cust_report *rep)
{
	if (rep == NULL)
		return;
	free_extra(rep);
	for (size_t i = 0; i < rep->nfindings; i++) {
		free(rep->findings[i].subject);
		free(rep->findings[i].message);
	}
	free(rep->findings);
	free(rep->bag);
	free(rep->trusted_comment);
	free(rep->case_id);
	free(rep->evidence_id);
	free(rep->examiner);
	free(rep->location);
	free(rep->authority);
	free(rep->host);
	free(rep->start_utc);
	free(rep->end_utc);
	free(rep->tool);
	free(rep);
}

static const char *
verdict_name(enum cust_verdict v)
{
	switch (v) {
	case CUST_AUTHENTIC: return "authentic";
	case CUST_UNVERIFIED: return "intact, origin unverified";
	case CUST_BROKEN: return "failed";
	default: return "unreadable";
	}
}

/* A JSON string, or null for NULL or non-UTF-8 text. */
static json_t *
jstr(const char *s)
{
	if (s == NULL || !cust_utf8_valid(s, strlen(s)))
		return json_null();
	return json_string(s);
}

static json_t *
findings_json(const struct cust_report *rep)
{
	json_t *a = json_array(), *f;

	for (size_t i = 0; a != NULL && i < rep->nfindings; i++) {
		f = json_pack("{s:s, s:o, s:o}", "check",
		    rep->findings[i].check, "subject",
		    jstr(rep->findings[i].subject), "message",
		    jstr(rep->findings[i].message));
		if (f == NULL || json_array_append_new(a, f) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
stamps_json(const struct cust_report *rep)
{
	json_t *a = json_array(), *t;

	for (size_t i = 0; a != NULL && i < rep->nstamps; i++) {
		const struct cust_stamp *st = &rep->stamps[i];

		t = json_pack("{s:o, s:s, s:o, s:o, s:b, s:o}", "where",
		    jstr(st->where), "over", st->over, "gen_time",
		    jstr(st->gen_time), "tsa", jstr(st->tsa), "verified",
		    st->verified, "offset_seconds", st->offset_known ?
		    json_integer(st->offset) : json_null());
		if (t == NULL || json_array_append_new(a, t) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
warnings_json(const struct cust_report *rep)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < rep->nwarnings; i++)
		if (json_array_append_new(a, jstr(rep->warnings[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* X.509, timestamps, custody log and warnings, added to O. */
static int
extra_json(json_t *o, const struct cust_report *rep)
{
	json_t *x, *l;

	x = rep->x509_present ? json_pack("{s:b, s:b, s:o, s:o, s:o, s:b}",
	    "verified", rep->x509_verified, "refused", rep->x509_refused,
	    "subject", jstr(rep->x509_subject), "checked_at",
	    jstr(rep->x509_checked_at), "checked_by",
	    jstr(rep->x509_checked_by), "revocation_checked",
	    rep->x509_revocation_checked) : json_null();
	l = rep->log_name != NULL ? json_pack("{s:o, s:I, s:s, s:I, s:I}",
	    "name", jstr(rep->log_name), "events",
	    (json_int_t)rep->log_events, "head", rep->log_head, "trusted",
	    (json_int_t)rep->log_trusted, "unverified",
	    (json_int_t)rep->log_unverified) : json_null();
	return json_object_set_new(o, "x509", x) ||
	    json_object_set_new(o, "timestamps", stamps_json(rep)) ||
	    json_object_set_new(o, "custody_log", l) ||
	    json_object_set_new(o, "warnings", warnings_json(rep));
}

char *
cust_report_json(const struct cust_report *rep)
{
	json_t *o;
	char *s;

	o = json_pack("{s:s, s:o, s:s, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I,"
	    " s:I}, s:{s:o, s:b, s:b, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:I, s:I, s:I}, s:o, s:I}",
	    "verdict", verdict_name(rep->verdict),
	    "failed_check", jstr(rep->failed_check),
	    "sha256", rep->sha256, "bytes", (json_int_t)rep->bytes,
	    "bag", jstr(rep->bag),
	    "payload", "files", (json_int_t)rep->payload_files,
	    "bytes", (json_int_t)rep->payload_bytes,
	    "matched", (json_int_t)rep->matched,
	    "missing", (json_int_t)rep->missing,
	    "extra", (json_int_t)rep->extra,
	    "mismatched", (json_int_t)rep->mismatched,
	    "seal", "key_id", jstr(rep->key_id[0] ? rep->key_id : NULL),
	    "signature_valid", rep->signature_valid,
	    "key_trusted", rep->key_trusted,
	    "trusted_by", jstr(rep->trusted_by),
	    "trusted_comment", jstr(rep->trusted_comment),
	    "acquisition", "case_id", jstr(rep->case_id),
	    "evidence_id", jstr(rep->evidence_id),
	    "examiner", jstr(rep->examiner), "location", jstr(rep->location),
	    "authority", jstr(rep->authority), "host", jstr(rep->host),
	    "start_utc", jstr(rep->start_utc), "end_utc", jstr(rep->end_utc),
	    "tool", jstr(rep->tool), "records", (json_int_t)rep->records,
	    "not_collected", (json_int_t)rep->not_collected,
	    "custody_events", (json_int_t)rep->custody_events,
	    "findings", findings_json(rep),
	    "more_findings", (json_int_t)rep->more_findings);
	if (o == NULL || extra_json(o, rep) != 0 ||
	    (rep->sealed_sha256[0] != '\0' && json_object_set_new(o,
	    "envelope", json_pack("{s:s, s:I}", "sha256", rep->sealed_sha256,
	    "bytes", (json_int_t)rep->sealed_bytes)) != 0)) {
		json_decref(o);
		return NULL;
	}
	s = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	return s;
}
