/*
 * report.c: the verifier's findings and their JSON form.  The number of
 * findings kept is bounded, so that a bundle with millions of bad entries
 * cannot make the verifier's memory grow without end; the rest is counted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define MAX_FINDINGS	1000

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
	f->message = msg;
	if ((f->subject = strdup(subject != NULL ? subject : "")) == NULL) {
		free(msg);
		return CUST_FATAL;
	}
	rep->nfindings++;
	return CUST_OK;
}

void
cust_report_free(struct cust_report *rep)
{
	if (rep == NULL)
		return;
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

char *
cust_report_json(const struct cust_report *rep)
{
	json_t *o;
	char *s;

	o = json_pack("{s:s, s:o, s:s, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I,"
	    " s:I}, s:{s:o, s:b, s:b, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:I, s:I, s:I}, s:o, s:I}",
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
	    "examiner", jstr(rep->examiner), "host", jstr(rep->host),
	    "start_utc", jstr(rep->start_utc), "end_utc", jstr(rep->end_utc),
	    "tool", jstr(rep->tool), "records", (json_int_t)rep->records,
	    "not_collected", (json_int_t)rep->not_collected,
	    "custody_events", (json_int_t)rep->custody_events,
	    "findings", findings_json(rep),
	    "more_findings", (json_int_t)rep->more_findings);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	return s;
}
