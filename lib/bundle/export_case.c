/*
 * export_case.c: the acquisition as a CASE 1.x / UCO 1.x JSON-LD graph
 * (CASE 1.4.0, UCO 1.4.0): a File per record with its FileFacet (times)
 * and ContentDataFacet (digests), the bundle itself as a File, the Tool
 * that collected, an InvestigativeAction "acquired" with its performer,
 * location, instrument and ProvenanceRecord, and one InvestigativeAction
 * per custody-log event, each taking the previous ProvenanceRecord as its
 * object and giving a new one, as CASE's chain-of-custody examples do
 * (CASE-Examples, forensic_lifecycle).  The node IRIs are made from the
 * bundle's SHA-256, so the same bundle gives the same graph.  Only the
 * class and property names of tests/data/case-uco-names.txt are used.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/bundle.h"

#define P_CORE	"https://ontology.unifiedcyberontology.org/uco/core/"
#define P_OBS	"https://ontology.unifiedcyberontology.org/uco/observable/"

static int
oom(struct cust_export *x)
{
	return cust_set_error(x->ctx, ENOMEM, CUST_FATAL, "export");
}

/* {"@id": "kb:ID"}; ID is printf-style. */
static json_t *
ref(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
ref(const char *fmt, ...)
{
	char id[128] = "kb:";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(id + 3, sizeof(id) - 3, fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "@id", id);
}

static json_t *
node(const char *type, json_t *id)
{
	json_object_set_new(id, "@type", json_string(type));
	return id;
}

/* KEY: {"@type": "xsd:dateTime", "@value": V}, when V is a string. */
static void
dtime(json_t *o, const char *key, json_t *v)
{
	if (json_is_string(v))
		json_object_set_new(o, key, json_pack("{s:s,s:O}", "@type",
		    "xsd:dateTime", "@value", v));
}

static void
setstr(json_t *o, const char *key, json_t *v)
{
	if (json_is_string(v))
		json_object_set(o, key, v);
}

int
cust_case_node(struct cust_export *x, json_t *n, bool first)
{
	int r = CUST_OK;

	if (n == NULL)
		return oom(x);
	if (!first)
		fputs(",\n", x->out);
	if (json_dumpf(n, x->out, JSON_COMPACT) != 0)
		r = cust_set_error(x->ctx, errno, CUST_FATAL, "export: write");
	json_decref(n);
	return r;
}

/* The Hash objects of the digests REC holds, for a ContentDataFacet. */
static json_t *
hashes(json_t *rec, const char *id)
{
	static const struct { const char *key, *method; } alg[] = {
		{ "sha256", "SHA256" }, { "sha512", "SHA512" },
		{ "sha1", "SHA1" }, { "md5", "MD5" },
	};
	json_t *a = json_array(), *h;
	const char *v;

	for (size_t i = 0; a != NULL && i < sizeof(alg) / sizeof(*alg); i++) {
		if ((v = json_string_value(json_object_get(rec,
		    alg[i].key))) == NULL)
			continue;
		h = node("uco-types:Hash", ref("%s-%s", id, alg[i].key));
		json_object_set_new(h, "uco-types:hashMethod",
		    json_string(alg[i].method));
		json_object_set_new(h, "uco-types:hashValue", json_pack(
		    "{s:s,s:s}", "@type", "xsd:hexBinary", "@value", v));
		json_array_append_new(a, h);
	}
	return a;
}

static json_t *
content(json_t *rec, const char *id, json_t *size)
{
	json_t *c = node("uco-observable:ContentDataFacet", ref("%s-content",
	    id));

	if (json_is_integer(size))
		json_object_set(c, "uco-observable:sizeInBytes", size);
	json_object_set_new(c, "uco-observable:hash", hashes(rec, id));
	return c;
}

/* The last component of PATH. */
static json_t *
basename_of(json_t *path)
{
	const char *p = json_string_value(path), *s;

	if (p == NULL)
		return NULL;
	s = strrchr(p, '/');
	return json_string(s != NULL && s[1] != '\0' ? s + 1 : p);
}

/* The record's path: as it is, or in its stored-name escape when it is
 * not UTF-8 (path_b64). */
static json_t *
path_of(json_t *rec)
{
	json_t *p = json_object_get(rec, "path");
	char *e;

	if (json_is_string(p))
		return json_incref(p);
	if ((e = cust_export_name(rec, "path")) == NULL)
		return NULL;
	p = json_string(e);
	free(e);
	return p;
}

static json_t *
file_facet(json_t *rec, const char *id)
{
	json_t *f = node("uco-observable:FileFacet", ref("%s-facet", id));
	json_t *path = path_of(rec), *type;

	setstr(f, "uco-observable:filePath", path);
	json_object_set_new(f, "uco-observable:fileName", basename_of(path));
	json_decref(path);
	type = json_object_get(rec, "type");
	if (json_is_string(type))
		json_object_set_new(f, "uco-observable:isDirectory",
		    json_boolean(strcmp(json_string_value(type), "dir") == 0));
	if (json_is_integer(json_object_get(rec, "size")))
		json_object_set(f, "uco-observable:sizeInBytes",
		    json_object_get(rec, "size"));
	dtime(f, "uco-observable:accessedTime", json_object_get(rec, "atime"));
	dtime(f, "uco-observable:modifiedTime", json_object_get(rec, "mtime"));
	dtime(f, "uco-observable:metadataChangeTime",
	    json_object_get(rec, "ctime"));
	dtime(f, "uco-observable:observableCreatedTime",
	    json_object_get(rec, "btime"));
	return f;
}

int
cust_case_record(struct cust_export *x, json_t *rec)
{
	char id[32];
	json_t *f, *facets, *st = json_object_get(rec, "status");

	snprintf(id, sizeof(id), "file-%ju", (uintmax_t)x->n);
	f = node("uco-observable:File", ref("%s", id));
	facets = json_array();
	json_array_append_new(facets, file_facet(rec, id));
	if (json_object_get(rec, "sha256") != NULL)
		json_array_append_new(facets, content(rec, id,
		    json_object_get(rec, "bytes")));
	json_object_set_new(f, "uco-core:hasFacet", facets);
	/* Not "ok": the record says what happened (custody-bundle(5)). */
	if (json_is_string(st) && strcmp(json_string_value(st), "ok") != 0)
		json_object_set_new(f, "uco-core:description", json_sprintf(
		    "status: %s%s%s", json_string_value(st),
		    json_object_get(rec, "reason") != NULL ? ": " : "",
		    json_is_string(json_object_get(rec, "reason")) ?
		    json_string_value(json_object_get(rec, "reason")) : ""));
	return cust_case_node(x, f, false);
}

/* ---------------------------------------------------------------- head */

/* The prefixes used; kb: names this bundle's nodes by its SHA-256. */
static json_t *
context(struct cust_export *x)
{
	return json_pack("{s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "kb", json_sprintf("urn:custody:bundle:%s:", x->o->report->sha256),
	    "xsd", "http://www.w3.org/2001/XMLSchema#",
	    "case-investigation",
	    "https://ontology.caseontology.org/case/investigation/",
	    "uco-action", "https://ontology.unifiedcyberontology.org/uco/action/",
	    "uco-core", P_CORE,
	    "uco-identity",
	    "https://ontology.unifiedcyberontology.org/uco/identity/",
	    "uco-location",
	    "https://ontology.unifiedcyberontology.org/uco/location/",
	    "uco-observable", P_OBS,
	    "uco-tool", "https://ontology.unifiedcyberontology.org/uco/tool/",
	    "uco-types", "https://ontology.unifiedcyberontology.org/uco/types/");
}

/* The SHA-256 of the running custody (tool_fd) into HEX; false when it
 * cannot be read, and the Tool then has none. */
static bool
tool_sha256(struct cust_export *x, char hex[65])
{
	struct cust_digest *d = NULL;
	char buf[65536];
	ssize_t n = -1;
	bool ok = false;

	if (x->o->tool_fd < 0 || cust_digest_new(x->ctx, CUST_ALG_SHA256,
	    &d) != CUST_OK)
		return false;
	while ((n = read(x->o->tool_fd, buf, sizeof(buf))) > 0)
		if (cust_digest_update(d, buf, (size_t)n) != CUST_OK)
			break;
	if (n == 0 && cust_digest_final(d) == CUST_OK) {
		snprintf(hex, 65, "%s", cust_digest_hex(d, CUST_ALG_SHA256));
		ok = true;
	}
	cust_digest_free(d);
	return ok;
}

/* The Tool that collected: its name and version as the bundle records
 * them, and its SHA-256 when the running custody is that version. */
static json_t *
tool(struct cust_export *x)
{
	json_t *t = json_object_get(x->acq, "tool"), *n, *h;
	const char *v = json_string_value(json_object_get(t, "version"));
	char hex[65];

	n = node("uco-tool:Tool", ref("tool"));
	setstr(n, "uco-core:name", json_object_get(t, "name"));
	setstr(n, "uco-tool:version", json_object_get(t, "version"));
	if (v != NULL && strcmp(v, cust_version) == 0 &&
	    tool_sha256(x, hex)) {
		h = json_pack("{s:s}", "sha256", hex);
		json_object_set_new(n, "uco-core:hasFacet", json_pack("[o]",
		    content(h, "tool", NULL)));
		json_decref(h);
	}
	return n;
}

/* An Identity named NAME (or said not to be recorded), with ROLE. */
static json_t *
identity(const char *id, json_t *name, const char *role)
{
	json_t *n = node("uco-identity:Identity", ref("%s", id));

	if (json_is_string(name))
		json_object_set(n, "uco-core:name", name);
	json_object_set_new(n, "uco-core:description", json_sprintf("%s%s",
	    role, json_is_string(name) ? "" : " (name not recorded)"));
	return n;
}

static json_t *
location(const char *id, json_t *name)
{
	json_t *n = node("uco-location:Location", ref("%s", id));

	setstr(n, "uco-core:name", name);
	return n;
}

/* The bundle as a File: the bag's name and the SHA-256 verified. */
static json_t *
bundle_file(struct cust_export *x)
{
	json_t *f = node("uco-observable:File", ref("bundle")), *h, *fa;

	fa = node("uco-observable:FileFacet", ref("bundle-facet"));
	setstr(fa, "uco-observable:fileName", json_object_get(x->acq, "bag"));
	json_object_set_new(fa, "uco-observable:sizeInBytes",
	    json_integer((json_int_t)x->o->report->bytes));
	h = json_pack("{s:s,s:I}", "sha256", x->o->report->sha256, "bytes",
	    (json_int_t)x->o->report->bytes);
	json_object_set_new(f, "uco-core:hasFacet", json_pack("[o,o]", fa,
	    content(h, "bundle", json_object_get(h, "bytes"))));
	json_decref(h);
	json_object_set_new(f, "uco-core:description", json_sprintf(
	    "custody evidence bundle (BagIt bag %s): %s",
	    json_is_string(json_object_get(x->acq, "bag")) ?
	    json_string_value(json_object_get(x->acq, "bag")) : "?",
	    x->status));
	return f;
}

int
cust_case_head(struct cust_export *x)
{
	json_t *host = json_object_get(json_object_get(x->acq, "host"),
	    "hostname");
	int r;

	fputs("{\"@context\":", x->out);
	if ((r = cust_case_node(x, context(x), true)) != CUST_OK)
		return r;
	fputs(",\n\"@graph\":[\n", x->out);
	if ((r = cust_case_node(x, bundle_file(x), true)) != CUST_OK ||
	    (r = cust_case_node(x, tool(x), false)) != CUST_OK ||
	    (r = cust_case_node(x, identity("examiner", json_object_get(
	    x->acq, "examiner"), "examiner"), false)) != CUST_OK)
		return r;
	return cust_case_node(x, location("host", host), false);
}

/* ---------------------------------------------------------------- tail */

/* ProvenanceRecord K: the evidence item, and what it holds. */
static json_t *
provenance(struct cust_export *x, size_t k, bool files)
{
	json_t *p = node("case-investigation:ProvenanceRecord",
	    ref("provenance-%zu", k)), *obj = json_array();

	setstr(p, "case-investigation:exhibitNumber", json_object_get(x->acq,
	    "evidence_id"));
	json_array_append_new(obj, ref("bundle"));
	for (uint64_t i = 1; files && i <= x->n; i++)
		json_array_append_new(obj, ref("file-%ju", (uintmax_t)i));
	json_object_set_new(p, "uco-core:object", obj);
	return p;
}

static json_t *
acquired(struct cust_export *x)
{
	json_t *a = node("case-investigation:InvestigativeAction",
	    ref("action-0")), *clock = json_object_get(x->acq, "clock");

	json_object_set_new(a, "uco-core:name", json_string("acquired"));
	json_object_set_new(a, "uco-core:description", json_sprintf(
	    "custody collect; the bundle %s", x->status));
	dtime(a, "uco-action:startTime", json_object_get(clock, "start_utc"));
	dtime(a, "uco-action:endTime", json_object_get(clock, "end_utc"));
	json_object_set_new(a, "uco-action:performer", ref("examiner"));
	json_object_set_new(a, "uco-action:location", ref("host"));
	json_object_set_new(a, "uco-action:instrument", ref("tool"));
	json_object_set_new(a, "uco-action:result", json_pack("[o]",
	    ref("provenance-0")));
	return a;
}

/* The custody-log event E, the K-th (from 1), with its performer and
 * location, taking provenance K-1 and giving provenance K. */
static int
event(struct cust_export *x, json_t *e, size_t k)
{
	json_t *actor = json_object_get(e, "actor"), *a;
	char id[32];
	int r;

	snprintf(id, sizeof(id), "actor-%zu", k);
	if ((r = cust_case_node(x, identity(id, json_object_get(actor, "name"),
	    json_is_string(json_object_get(actor, "role")) ?
	    json_string_value(json_object_get(actor, "role")) : "actor"),
	    false)) != CUST_OK)
		return r;
	snprintf(id, sizeof(id), "location-%zu", k);
	if ((r = cust_case_node(x, location(id, json_object_get(e,
	    "location")), false)) != CUST_OK)
		return r;
	a = node("case-investigation:InvestigativeAction", ref("action-%zu",
	    k));
	setstr(a, "uco-core:name", json_object_get(e, "type"));
	setstr(a, "uco-core:description", json_object_get(e, "purpose"));
	dtime(a, "uco-action:startTime", json_object_get(e, "time"));
	json_object_set_new(a, "uco-action:performer", ref("actor-%zu", k));
	json_object_set_new(a, "uco-action:location", ref("location-%zu", k));
	json_object_set_new(a, "uco-action:object", json_pack("[o]",
	    ref("provenance-%zu", k - 1)));
	json_object_set_new(a, "uco-action:result", json_pack("[o]",
	    ref("provenance-%zu", k)));
	if ((r = cust_case_node(x, a, false)) != CUST_OK)
		return r;
	return cust_case_node(x, provenance(x, k, false), false);
}

/* One line of the custody log: {"event": "<the event's JSON>", ...}. */
static json_t *
log_event(const char *line)
{
	json_t *l = json_loads(line, 0, NULL), *e = NULL;
	const char *s = json_string_value(json_object_get(l, "event"));

	if (s != NULL)
		e = json_loads(s, 0, NULL);
	json_decref(l);
	return e;
}

/* The events of the custody log that cust_verify read (LOG_FD). */
static int
log_events(struct cust_export *x, size_t *k)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	json_t *e;
	int fd, r = CUST_OK;

	if ((fd = dup(x->o->log_fd)) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    (f = fdopen(fd, "r")) == NULL) {
		if (fd >= 0)
			close(fd);
		return cust_set_error(x->ctx, errno, CUST_FATAL, "custody "
		    "log");
	}
	while (r == CUST_OK && getline(&line, &cap, f) > 0) {
		if ((e = log_event(line)) == NULL)
			r = cust_set_error(x->ctx, 0, CUST_FAILED, "custody "
			    "log: event %zu: not a JSON event", *k + 1);
		else
			r = event(x, e, ++*k);
		json_decref(e);
	}
	free(line);
	fclose(f);
	return r;
}

/* The Investigation, when a case is recorded: its identifier as the
 * authority the acquisition names, and the actions. */
static int
investigation(struct cust_export *x, size_t k)
{
	json_t *c = json_object_get(x->acq, "case_id"), *n, *acts, *au;

	if (!json_is_string(c))
		return CUST_OK;
	n = node("case-investigation:Investigation", ref("investigation"));
	json_object_set(n, "uco-core:name", c);
	au = node("case-investigation:Authorization", ref("authorization"));
	json_object_set(au, "case-investigation:authorizationIdentifier", c);
	json_object_set_new(au, "uco-core:description", json_string("the "
	    "case identifier recorded at collection (custody collect --case)"));
	json_object_set_new(n, "case-investigation:relevantAuthorization",
	    json_pack("[o]", au));
	acts = json_array();
	for (size_t i = 0; i <= k; i++)
		json_array_append_new(acts, ref("action-%zu", i));
	json_object_set_new(n, "uco-core:object", acts);
	return cust_case_node(x, n, false);
}

int
cust_case_tail(struct cust_export *x)
{
	size_t k = 0, i;
	json_t *e;
	int r;

	if ((r = cust_case_node(x, acquired(x), false)) != CUST_OK ||
	    (r = cust_case_node(x, provenance(x, 0, true), false)) != CUST_OK)
		return r;
	/* The custody log, or without one the bundle's own events after
	 * the acquisition (custody.jsonl). */
	if (x->o->log_fd >= 0)
		r = log_events(x, &k);
	else
		json_array_foreach(x->events, i, e)
			if (r == CUST_OK && i > 0)
				r = event(x, e, ++k);
	if (r == CUST_OK)
		r = investigation(x, k);
	if (r == CUST_OK)
		fputs("\n]}\n", x->out);
	return r;
}
