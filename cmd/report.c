/*
 * report.c: `custody verify --report FILE.html|FILE.txt`: the verification
 * written down to attach to an official report: what was verified, with
 * which keys, certificates and tokens and their times, the counts, the
 * custody log as a table, and the stock commands that redo each check.
 * It holds no time or name of its own making (no "generated at"), so the
 * same bundle and options give the same bytes.  HTML is escaped; text has
 * every byte that is not printable UTF-8 shown as \xNN.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "report.h"

struct rep {
	FILE		*f;
	bool		 html;
};

/* S, escaped for the format. */
static void
put(struct rep *p, const char *s)
{
	if (s == NULL)
		s = "(not recorded)";
	if (!p->html) {
		safe_fputs(s, p->f);
		return;
	}
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': fputs("&amp;", p->f); break;
		case '<': fputs("&lt;", p->f); break;
		case '>': fputs("&gt;", p->f); break;
		case '"': fputs("&quot;", p->f); break;
		case '\'': fputs("&#39;", p->f); break;
		default: fputc(*s, p->f);
		}
}

static void
heading(struct rep *p, const char *h)
{
	if (p->html) {
		fputs("<h2>", p->f);
		put(p, h);
		fputs("</h2>\n", p->f);
	} else
		fprintf(p->f, "\n%s\n%.*s\n", h, (int)strlen(h),
		    "=================================================");
}

static void
table(struct rep *p, bool open)
{
	if (p->html)
		fputs(open ? "<table>\n" : "</table>\n", p->f);
}

/* One row of cells; the first is a header cell in HTML. */
static void
row(struct rep *p, const char *const *cells, size_t n, bool head)
{
	for (size_t i = 0; i < n; i++) {
		if (p->html)
			fputs(head || i == 0 ? "<th>" : "<td>", p->f);
		else if (i > 0)
			fputs(n == 2 ? ": " : " | ", p->f);
		put(p, cells[i]);
		if (p->html)
			fputs(head || i == 0 ? "</th>" : "</td>", p->f);
	}
	fputs(p->html ? "</tr>\n" : "\n", p->f);
}

static void
kv(struct rep *p, const char *k, const char *v)
{
	const char *c[2] = { k, v };

	if (p->html)
		fputs("<tr>", p->f);
	row(p, c, 2, false);
}

static void
kvu(struct rep *p, const char *k, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ju", (uintmax_t)v);
	kv(p, k, buf);
}

static void
para(struct rep *p, const char *s)
{
	fputs(p->html ? "<p>" : "", p->f);
	put(p, s);
	fputs(p->html ? "</p>\n" : "\n", p->f);
}

/* ------------------------------------------------------------ sections */

static const char *
verdict(const struct cust_report *r)
{
	switch (r->verdict) {
	case CUST_AUTHENTIC: return "VERIFIED: complete and unaltered, "
	    "sealed by a key or certificate trusted";
	case CUST_UNVERIFIED: return "INTACT, ORIGIN UNVERIFIED: complete "
	    "and unaltered, but sealed by a key not trusted";
	case CUST_UNREADABLE: return "UNREADABLE";
	default: return "FAILED";
	}
}

static void
bundle(struct rep *p, const struct report_in *in)
{
	const struct cust_report *r = in->r;
	char buf[128];

	heading(p, "Bundle");
	table(p, true);
	kv(p, "bundle", in->bundle);
	kv(p, "SHA-256", r->sha256);
	kvu(p, "bytes read", r->bytes);
	kv(p, "bag", r->bag);
	kv(p, "case", r->case_id);
	kv(p, "evidence item", r->evidence_id);
	kv(p, "examiner", r->examiner);
	kv(p, "host", r->host);
	kv(p, "acquired from (host clock, UTC)", r->start_utc);
	kv(p, "acquired to (host clock, UTC)", r->end_utc);
	kv(p, "collected by", r->tool);
	kv(p, "verified by", cust_version);
	kv(p, "verdict", verdict(r));
	if (r->failed_check != NULL)
		kv(p, "first failed check", r->failed_check);
	snprintf(buf, sizeof(buf), "%zu%s", r->nfindings, r->more_findings ?
	    " and more" : "");
	kv(p, "findings", buf);
	table(p, false);
	for (size_t i = 0; i < r->nfindings; i++) {
		char *s;

		if (asprintf(&s, "%s check: %s: %s", r->findings[i].check,
		    r->findings[i].subject, r->findings[i].message) < 0)
			continue;
		para(p, s);
		free(s);
	}
}

static void
keys(struct rep *p, const struct report_in *in)
{
	const struct cust_report *r = in->r;
	const struct trust_args *t = in->trust;
	char id[CUST_KEYID_HEXLEN + 1], buf[256];

	heading(p, "Keys and certificates");
	table(p, true);
	kv(p, "seal key ID (derived from the key)", r->key_id[0] != '\0' ?
	    r->key_id : "(none: no key checked made the signature)");
	kv(p, "seal signature", r->signature_valid ? "valid" : "NOT valid");
	kv(p, "seal key trusted", r->key_trusted ? r->trusted_by :
	    "no");
	for (size_t i = 0; i < t->nkeys; i++) {
		cust_key_id_hex(t->keys[i], id);
		snprintf(buf, sizeof(buf), "key ID %s", id);
		kv(p, "trusted key (--pubkey)", t->key_paths[i]);
		kv(p, "  its ID", buf);
	}
	for (size_t i = 0; i < t->nids; i++)
		kv(p, "trusted key ID (--trusted-key-id)", t->ids[i]);
	kv(p, "X.509 signature", !r->x509_present ? "none in the bundle" :
	    r->x509_verified ? "present, verified, chains to --ca" :
	    r->x509_refused ? "present, REFUSED" : "present, not checked "
	    "(no --ca)");
	if (r->x509_present) {
		kv(p, "X.509 signer", r->x509_subject);
		/* The clock of the verification is no input: left out, so
		 * that the same inputs give the same report. */
		kv(p, "certificate checked at", r->x509_checked_by != NULL &&
		    strstr(r->x509_checked_by, "present") != NULL ?
		    "the time of the verification (the present time; not "
		    "written here)" : r->x509_checked_at);
		kv(p, "checked by", r->x509_checked_by);
		kv(p, "revocation checked (--crl)",
		    r->x509_revocation_checked ? "yes" : "no");
	}
	kv(p, "--ca", t->ca_path != NULL ? t->ca_path : "(not given)");
	kv(p, "--tsa-ca", t->tsa_ca_path != NULL ? t->tsa_ca_path :
	    "(not given)");
	table(p, false);
}

static void
stamps(struct rep *p, const struct cust_report *r)
{
	static const char *const head[] = { "token", "over", "genTime",
	    "TSA", "verified", "offset from the host clock (s)" };
	const char *c[6];
	char off[32];

	heading(p, "RFC 3161 time-stamp tokens");
	if (r->nstamps == 0) {
		para(p, "none");
		return;
	}
	table(p, true);
	if (p->html)
		fputs("<tr>", p->f);
	row(p, head, 6, true);
	for (size_t i = 0; i < r->nstamps; i++) {
		const struct cust_stamp *s = &r->stamps[i];

		snprintf(off, sizeof(off), "%" PRId64, s->offset);
		c[0] = s->where;
		c[1] = s->over;
		c[2] = s->gen_time;
		c[3] = s->tsa;
		c[4] = s->verified ? "yes (chains to --tsa-ca)" : "no";
		c[5] = s->offset_known ? off : "unknown";
		if (p->html)
			fputs("<tr>", p->f);
		row(p, c, 6, false);
	}
	table(p, false);
}

static void
counts(struct rep *p, const struct cust_report *r)
{
	heading(p, "Counts");
	table(p, true);
	kvu(p, "archive members", r->members);
	kvu(p, "payload files", r->payload_files);
	kvu(p, "payload bytes", r->payload_bytes);
	kvu(p, "matching every manifest", r->matched);
	kvu(p, "missing (in a manifest, not in the archive)", r->missing);
	kvu(p, "extra (in the archive, in no manifest)", r->extra);
	kvu(p, "mismatched", r->mismatched);
	kvu(p, "records (files.jsonl)", r->records);
	kvu(p, "artefacts not collected", r->not_collected);
	kvu(p, "custody events in the bundle", r->custody_events);
	kvu(p, "custody log events", r->log_events);
	kvu(p, "  signed by a key trusted", r->log_trusted);
	kvu(p, "  signed by other keys", r->log_unverified);
	kv(p, "custody log head (SHA-256 of its last line)", r->log_head[0] ?
	    r->log_head : "(no log)");
	table(p, false);
	if (r->nwarnings > 0)
		heading(p, "Warnings");
	for (size_t i = 0; i < r->nwarnings; i++)
		para(p, r->warnings[i]);
}

static const char *
jstr(json_t *o, const char *a, const char *b)
{
	json_t *j = json_object_get(o, a);

	if (b != NULL)
		j = json_object_get(j, b);
	return json_is_string(j) ? json_string_value(j) : "";
}

/* One line of the custody log as a row. */
static void
log_row(struct rep *p, const char *line)
{
	json_t *l = json_loads(line, 0, NULL), *e = NULL;
	const char *c[8];
	char seq[32] = "?";

	if (json_is_string(json_object_get(l, "event")))
		e = json_loads(json_string_value(json_object_get(l, "event")), 0,
		    NULL);
	if (json_is_integer(json_object_get(e, "seq")))
		snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(e, "seq")));
	c[0] = seq;
	c[1] = e != NULL ? jstr(e, "type", NULL) : "(not an event)";
	c[2] = jstr(e, "time", NULL);
	c[3] = jstr(e, "actor", "name");
	c[4] = jstr(e, "actor", "role");
	c[5] = jstr(e, "location", NULL);
	c[6] = jstr(e, "purpose", NULL);
	c[7] = jstr(e, "key_id", NULL);
	if (p->html)
		fputs("<tr>", p->f);
	row(p, c, 8, false);
	json_decref(e);
	json_decref(l);
}

static void
custody_log(struct rep *p, const struct report_in *in)
{
	static const char *const head[] = { "seq", "event", "time (UTC)",
	    "by", "role", "location", "purpose", "key ID" };
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	heading(p, "Custody log");
	if (in->log == NULL || (f = fopen(in->log, "r")) == NULL) {
		para(p, "no custody log was read");
		return;
	}
	para(p, in->log);
	table(p, true);
	if (p->html)
		fputs("<tr>", p->f);
	row(p, head, 8, true);
	while (getline(&line, &cap, f) > 0)
		log_row(p, line);
	table(p, false);
	free(line);
	fclose(f);
}

/* ------------------------------------------------------- stock commands */

/* S, single-quoted for the shell, into the output. */
static void
shq(struct rep *p, const char *s)
{
	char *q = malloc(strlen(s) * 4 + 3), *o = q;

	if (q == NULL)
		return;
	*o++ = '\'';
	for (; *s != '\0'; s++)
		if (*s == '\'')
			o += sprintf(o, "'\\''");
		else
			*o++ = *s;
	*o++ = '\'';
	*o = '\0';
	put(p, q);
	free(q);
}

/* One command: "$ " and the words; a word after a NULL is quoted. */
static void
cmd(struct rep *p, const char *what, ...)
{
	va_list ap;
	const char *w;
	bool quote = false;

	fputs(p->html ? "<li>" : "", p->f);
	if (p->html) {
		put(p, what);
		fputs("<pre>$ ", p->f);
	} else {
		fputs("# ", p->f);
		put(p, what);
		fputs("\n$ ", p->f);
	}
	va_start(ap, what);
	while ((w = va_arg(ap, const char *)) != (const char *)-1) {
		if (w == NULL) {
			quote = true;
			continue;
		}
		if (quote)
			shq(p, w);
		else
			put(p, w);
		quote = false;
	}
	va_end(ap);
	fputs(p->html ? "</pre></li>\n" : "\n", p->f);
}

#define END	((const char *)-1)

/* The --pubkey file of the seal key, or NULL. */
static const char *
seal_key_path(const struct report_in *in)
{
	char id[CUST_KEYID_HEXLEN + 1];

	for (size_t i = 0; i < in->trust->nkeys; i++) {
		cust_key_id_hex(in->trust->keys[i], id);
		if (strcmp(id, in->r->key_id) == 0)
			return in->trust->key_paths[i];
	}
	return NULL;
}

/* An absolute path of PATH, owned; PATH itself when it cannot be had. */
static char *
absolute(const char *path)
{
	char *a = path != NULL ? realpath(path, NULL) : NULL;

	return a != NULL ? a : path != NULL ? strdup(path) : NULL;
}

static void
stamp_cmds(struct rep *p, const struct report_in *in, const char *tsa)
{
	for (size_t i = 0; tsa != NULL && i < in->r->nstamps; i++) {
		const struct cust_stamp *s = &in->r->stamps[i];

		if (strncmp(s->where, "timestamps/", 11) != 0)
			continue;
		cmd(p, "the RFC 3161 token over its signature",
		    "openssl ts -verify -data ", NULL, s->over, " -in ", NULL,
		    s->where, " -CAfile ", NULL, tsa, END);
	}
}

static void
commands(struct rep *p, const struct report_in *in)
{
	const struct cust_report *r = in->r;
	char *b = absolute(in->bundle), *k = absolute(seal_key_path(in));
	char *ca = absolute(in->trust->ca_path);
	char *tsa = absolute(in->trust->tsa_ca_path);
	char *line = NULL;

	heading(p, "Redo each check with stock tools");
	para(p, "In bash, in an empty directory; each command must succeed. "
	    "The tar extraction trusts the archive: run it only on a bundle "
	    "that custody verify accepted.");
	fputs(p->html ? "<ol>\n" : "", p->f);
	if (asprintf(&line, "%s  %s", r->sha256, b != NULL ? b : "?") < 0)
		line = NULL;
	cmd(p, "the bundle is the one verified (its SHA-256)", "echo ", NULL,
	    line != NULL ? line : "?", " | sha256sum --strict -c", END);
	cmd(p, "unpack it", "tar -xf ", NULL, b != NULL ? b : "?", " && cd ",
	    NULL, r->bag != NULL ? r->bag : "?", END);
	cmd(p, "every payload file", "sha256sum --strict --quiet -c "
	    "manifest-sha256.txt", END);
	cmd(p, "and nothing else under data/", "diff <(cut -d' ' -f3- "
	    "manifest-sha256.txt | LC_ALL=C sort) <(find data -type f | "
	    "LC_ALL=C sort)", END);
	cmd(p, "every tag file", "sha512sum --strict --quiet -c "
	    "tagmanifest-sha512.txt", END);
	if (k != NULL) {
		cmd(p, "the seal", "minisign -q -Vm tagmanifest-sha512.txt -x "
		    "signatures/tagmanifest-sha512.txt.minisig -p ", NULL, k,
		    END);
		cmd(p, "the closing statement", "minisign -q -Vm "
		    "signatures/closing.txt -x signatures/closing.txt.minisig "
		    "-p ", NULL, k, END);
	} else
		para(p, "The seal's minisign commands need the seal key's "
		    "public key file (--pubkey), which was not given.");
	cmd(p, "what the closing statement lists", "sha512sum --strict "
	    "--quiet -c signatures/closing.txt", END);
	if (r->x509_present && ca != NULL)
		cmd(p, "the X.509 signature", "openssl cms -verify -binary "
		    "-inform DER -purpose any -out /dev/null -in "
		    "signatures/tagmanifest-sha512.txt.p7s -content "
		    "tagmanifest-sha512.txt -CAfile ", NULL, ca, END);
	stamp_cmds(p, in, tsa);
	fputs(p->html ? "</ol>\n" : "", p->f);
	free(line);
	free(b);
	free(k);
	free(ca);
	free(tsa);
}

/* --------------------------------------------------------------- whole */

static const char css[] = "body{font-family:sans-serif;max-width:60em;"
    "margin:2em auto}table{border-collapse:collapse}th,td{border:1px "
    "solid #999;padding:.2em .5em;text-align:left;vertical-align:top}"
    "pre{background:#eee;padding:.5em;white-space:pre-wrap}";

static void
body(struct rep *p, const struct report_in *in)
{
	if (p->html) {
		fprintf(p->f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		    "<meta charset=\"utf-8\">\n<title>custody verification "
		    "report</title>\n<style>%s</style>\n</head>\n<body>\n"
		    "<h1>custody verification report</h1>\n", css);
	} else
		fputs("custody verification report\n", p->f);
	para(p, "What custody verify checked, with which keys, certificates "
	    "and tokens, and how to redo each check with stock tools.  The "
	    "report holds no time of its own: the same bundle and options "
	    "give the same report.");
	bundle(p, in);
	keys(p, in);
	stamps(p, in->r);
	counts(p, in->r);
	custody_log(p, in);
	commands(p, in);
	if (p->html)
		fputs("</body>\n</html>\n", p->f);
}

int
report_write(const char *path, const struct report_in *in)
{
	struct rep p = { .html = endswith(path, ".html") ||
	    endswith(path, ".htm") };

	if ((p.f = fopen(path, "w")) == NULL)
		return warnmsg("%s: %s", path, strerror(errno)), EXIT_FATAL;
	body(&p, in);
	if (ferror(p.f) | (fclose(p.f) != 0))
		return warnmsg("%s: %s", path, strerror(errno)), EXIT_FATAL;
	return EXIT_DONE;
}
