/*
 * checks.c: the verifier's checks once the stream has ended, in the order
 * of trust: structure, signature (with keys from the investigator, never
 * only from the bundle), tag manifest, completeness, metadata.  The verdict
 * comes last, and findings from checks after the first failed trust check
 * are dropped: what an untrusted manifest says is not worth reporting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

#define SIGNAME	"signatures/tagmanifest-sha512.txt.minisig"
#define TAGNAME	"tagmanifest-sha512.txt"

static const char bagit_text[] =
    "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/* acquisition.json, parsed once (untrusted until the tag manifest holds). */
static json_t *
acquisition(struct ver *v)
{
	json_error_t err;

	if (v->acq.p == NULL)
		return NULL;
	return ver_json(v->acq.p, v->acq.n, &err);
}

static const char *
jget(json_t *o, const char *a, const char *b)
{
	json_t *j = json_object_get(o, a);

	if (b != NULL)
		j = json_object_get(j, b);
	return json_string_value(j);
}

static bool
listed_id(const struct ver *v, const char *id)
{
	for (size_t i = 0; i < v->o->nkey_ids; i++)
		if (strcasecmp(v->o->key_ids[i], id) == 0)
			return true;
	return false;
}

#define ACQNAME	"metadata/acquisition.json"

/*
 * The key recorded in acquisition.json, in *kp (NULL when none is).  The
 * minisign ID its blob carries must be the key's own: custody never makes
 * another, and a key that carries another key's ID is made to be mistaken
 * for it.
 */
static int
recorded(struct ver *v, json_t *acq, struct cust_key **kp)
{
	const char *b64 = jget(acq, "seal", "public_key");
	int r;

	*kp = NULL;
	if (b64 == NULL)
		return CUST_OK;
	if ((r = cust_key_parse_public(v->ctx, b64, strlen(b64), kp)) ==
	    CUST_OK)
		r = cust_key_check_own_id(v->ctx, *kp, "seal public key");
	if (r == CUST_OK)
		return r;
	cust_key_free(*kp);
	*kp = NULL;
	/* Out of memory is an error, not a finding against the bundle. */
	return r == CUST_FATAL ? r : FIND(v, C_SIGNATURE, ACQNAME, "%s",
	    cust_ctx_error(v->ctx));
}

/*
 * The signature names no key the investigator gave.  Name its maker by
 * the key recorded in the bundle when that key made it; otherwise all
 * there is to say is what the signature claims.
 */
static int
unlisted(struct ver *v, const struct cust_sig *sig, const struct cust_key *rec)
{
	char id[CUST_KEYID_HEXLEN + 1], list[512] = "";
	int r = CUST_FAILED;

	for (size_t i = 0; i < v->o->nkeys && i < 16; i++) {
		cust_key_id_hex(v->o->keys[i], id);
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i ? ", " : "", id);
	}
	if (rec != NULL && cust_sig_key_matches(sig, rec) &&
	    (r = cust_sig_verify(v->ctx, sig, rec, v->tagman.p,
	    v->tagman.n)) == CUST_FATAL)
		return r;
	if (r == CUST_OK) {
		cust_key_id_hex(rec, v->rep->key_id);
		return FIND(v, C_SIGNATURE, SIGNAME, "made by key %s, which "
		    "is not a trusted key (%s)", v->rep->key_id, list);
	}
	cust_sig_key_id_hex(sig, id);
	return FIND(v, C_SIGNATURE, SIGNAME, "claims key ID %s, which is not "
	    "a trusted key (%s), and no key recorded in the bundle made it",
	    id, list);
}

static int
check_given(struct ver *v, const struct cust_sig *sig,
    const struct cust_key *rec, const struct cust_key **signer)
{
	const struct cust_key *k = NULL;
	int r;

	for (size_t i = 0; k == NULL && i < v->o->nkeys; i++)
		if (cust_sig_key_matches(sig, v->o->keys[i]))
			k = v->o->keys[i];
	if (k == NULL)
		return unlisted(v, sig, rec);
	if ((r = cust_sig_verify(v->ctx, sig, k, v->tagman.p, v->tagman.n)) !=
	    CUST_OK)
		return r == CUST_FATAL ? r : FIND(v, C_SIGNATURE, SIGNAME,
		    "%s", cust_ctx_error(v->ctx));
	/* The seal key is named only once it is known to have sealed. */
	cust_key_id_hex(k, v->rep->key_id);
	v->rep->signature_valid = v->rep->key_trusted = true;
	v->rep->trusted_by = "public key";
	*signer = k;
	return (v->seal_pub = cust_key_public_b64(k)) == NULL ? ver_oom(v) :
	    CUST_OK;
}

static int
check_embedded(struct ver *v, const struct cust_sig *sig,
    const struct cust_key *rec, const struct cust_key **signer)
{
	int r;

	if (rec == NULL)
		return FIND(v, C_SIGNATURE, ACQNAME, "no public key is "
		    "recorded; give the sealing key with --pubkey");
	/* CUST_FATAL (out of memory) is passed up, its message set. */
	r = cust_sig_verify(v->ctx, sig, rec, v->tagman.p, v->tagman.n);
	if (r == CUST_FAILED)
		return FIND(v, C_SIGNATURE, SIGNAME, "%s (checked with the "
		    "key recorded in the bundle)", cust_ctx_error(v->ctx));
	if (r != CUST_OK)
		return r;
	cust_key_id_hex(rec, v->rep->key_id);
	if ((v->seal_pub = cust_key_public_b64(rec)) == NULL)
		return ver_oom(v);
	v->rep->signature_valid = true;
	*signer = rec;
	/* A key ID vouches only for the key it is computed from. */
	if (listed_id(v, v->rep->key_id)) {
		v->rep->key_trusted = true;
		v->rep->trusted_by = "key ID";
	} else if (v->o->nkey_ids > 0)
		return FIND(v, C_SIGNATURE, SIGNAME, "made by key %s, which "
		    "is not a trusted key ID (%s%s)", v->rep->key_id,
		    v->o->key_ids[0], v->o->nkey_ids > 1 ? ", ..." : "");
	return CUST_OK;
}

/*
 * A --pubkey with the signature's key ID decides.  Without one, the key
 * recorded in the bundle is checked, to be trusted by --trusted-key-id or
 * an X.509 signature; when only --pubkey keys were given, none of them
 * made the signature, and that fails.
 */
static bool
use_given(const struct ver *v, const struct cust_sig *sig)
{
	for (size_t i = 0; i < v->o->nkeys; i++)
		if (cust_sig_key_matches(sig, v->o->keys[i]))
			return true;
	return v->o->nkeys > 0 && v->o->nkey_ids == 0 && v->o->ca == NULL;
}

/* A claimed ID, kept long enough that one with more than 16 digits is
 * seen to differ, not cut to the right length. */
#define CLAIMLEN	80

/* The trusted comment's "key:ID" word, if it has one, in ID. */
static bool
comment_key(const char *tc, char id[CLAIMLEN])
{
	const char *p;

	for (p = tc; p != NULL && *p != '\0'; p = strchr(p, ' ')) {
		p += *p == ' ';
		if (strncmp(p, "key:", 4) == 0) {
			snprintf(id, CLAIMLEN, "%.*s",
			    (int)strcspn(p + 4, " "), p + 4);
			return true;
		}
	}
	return false;
}

/* Every "Custody-Key-ID" line of bag-info.txt names KEY: CUST_OK, or
 * CUST_FAILED with the message set. */
static int
info_claims(struct ver *v, const struct cust_key *key)
{
	static const char label[] = "Custody-Key-ID: ";
	const char *s = v->baginfo.p, *nl;
	char id[CLAIMLEN];

	for (; s != NULL && *s != '\0'; s = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (strncmp(s, label, sizeof(label) - 1) != 0)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)((nl != NULL ?
		    (size_t)(nl - s) : strlen(s)) - (sizeof(label) - 1)),
		    s + sizeof(label) - 1);
		if (cust_key_check_claim(v->ctx, key, "Custody-Key-ID", id) !=
		    CUST_OK)
			return CUST_FAILED;
	}
	return CUST_OK;
}

/* Every event of metadata/custody.jsonl that names a key names KEY. */
static int
custody_claims(struct ver *v, const struct cust_key *key)
{
	const char *s = v->custody.p, *end = s + v->custody.n, *nl;
	char subject[96];
	json_error_t err;
	json_t *o, *id;
	int r = CUST_OK;

	for (size_t i = 0; r == CUST_OK && s < end; s = nl + 1, i++) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			break;		/* check_custody says so */
		o = ver_json(s, (size_t)(nl - s), &err);
		snprintf(subject, sizeof(subject), "event %zu", i);
		if ((id = json_object_get(o, "key_id")) != NULL &&
		    cust_key_check_claim(v->ctx, key, subject,
		    json_string_value(id)) != CUST_OK)
			r = CUST_FAILED;
		json_decref(o);
	}
	return r == CUST_OK ? r : FIND(v, C_SIGNATURE,
	    "metadata/custody.jsonl", "%s", cust_ctx_error(v->ctx));
}

/*
 * Every key ID the bundle states is the ID of KEY, the key that made the
 * signature: the signature's, its trusted comment's, acquisition.json's
 * (and the key it records), bag-info.txt's and the custody events'.  A
 * bundle whose words name one key and whose signature is another's was
 * made to be mistaken for that key's.
 */
static int
claims(struct ver *v, const struct cust_sig *sig, json_t *acq,
    const struct cust_key *key, const struct cust_key *rec)
{
	char id[CLAIMLEN], own[CUST_KEYID_HEXLEN + 1];
	const char *member = SIGNAME;
	int r;

	cust_sig_key_id_hex(sig, id);
	r = cust_key_check_claim(v->ctx, key, "signature", id);
	if (r == CUST_OK && comment_key(cust_sig_trusted_comment(sig), id))
		r = cust_key_check_claim(v->ctx, key, "trusted comment", id);
	if (r == CUST_OK && json_is_object(acq)) {
		member = ACQNAME;
		r = cust_key_check_claim(v->ctx, key, "seal key_id",
		    jget(acq, "seal", "key_id"));
	}
	if (r != CUST_OK)
		return FIND(v, C_SIGNATURE, member, "%s",
		    cust_ctx_error(v->ctx));
	if (rec != NULL && memcmp(cust_key_public_raw(rec),
	    cust_key_public_raw(key), CUST_ED25519_LEN) != 0) {
		cust_key_id_hex(rec, id);
		cust_key_id_hex(key, own);
		return FIND(v, C_SIGNATURE, ACQNAME, "records seal key %s, not "
		    "key %s, which made the signature", id, own);
	}
	if (info_claims(v, key) != CUST_OK)
		return FIND(v, C_SIGNATURE, "bag-info.txt", "%s",
		    cust_ctx_error(v->ctx));
	return custody_claims(v, key);
}

bool
ver_untrusted_is(const char *p, size_t n, const char *want)
{
	static const char head[] = "untrusted comment: ";
	size_t h = sizeof(head) - 1, w = strlen(want);

	return n > h + w && memcmp(p, head, h) == 0 &&
	    memcmp(p + h, want, w) == 0 && p[h + w] == '\n';
}

static int
check_signature(struct ver *v, json_t *acq)
{
	const struct cust_key *signer = NULL;
	struct cust_key *rec = NULL;
	size_t before = v->rep->nfindings;
	struct cust_sig *sig;
	const char *tc;
	int r;

	if ((r = cust_sig_parse(v->ctx, v->sig.p, v->sig.n, &sig)) != CUST_OK)
		return r == CUST_FATAL ? r : FIND(v, C_SIGNATURE, SIGNAME,
		    "%s", cust_ctx_error(v->ctx));
	if (!ver_untrusted_is(v->sig.p, v->sig.n, CUST_SIG_UNTRUSTED)) {
		cust_sig_free(sig);
		return FIND(v, C_SIGNATURE, SIGNAME, "the untrusted comment is "
		    "not \"%s\" (custody-bundle(5)): minisign signs nothing "
		    "of that line", CUST_SIG_UNTRUSTED);
	}
	tc = cust_sig_trusted_comment(sig);
	if (tc != NULL && (v->rep->trusted_comment = strdup(tc)) == NULL) {
		r = ver_oom(v);
		goto out;
	}
	/* Each step that finds something ends the check: FIND is CUST_OK. */
	if ((r = recorded(v, acq, &rec)) != CUST_OK ||
	    v->rep->nfindings != before)
		goto out;
	r = use_given(v, sig) ? check_given(v, sig, rec, &signer) :
	    check_embedded(v, sig, rec, &signer);
	if (r == CUST_OK && signer != NULL && v->rep->nfindings == before)
		r = claims(v, sig, acq, signer, rec);
out:
	cust_key_free(rec);
	cust_sig_free(sig);
	return r;
}

static struct tagsum *
tag_named(struct ver *v, const char *name, size_t n)
{
	for (size_t i = 0; i < v->ntags; i++)
		if (strlen(v->tags[i].name) == n &&
		    memcmp(v->tags[i].name, name, n) == 0)
			return &v->tags[i];
	return NULL;
}

static int
tag_line(struct ver *v, const char *s, size_t n, uint64_t lineno)
{
	struct tagsum *t;
	int r;

	if (n < 131 || s[128] != ' ' || s[129] != ' ' ||
	    strspn(s, "0123456789abcdef") < 128)
		return FIND(v, C_TAGMAN, TAGNAME, "line %ju is not "
		    "\"<sha512>  <name>\"", (uintmax_t)lineno);
	if ((t = tag_named(v, s + 130, n - 130)) == NULL)
		return FIND(v, C_TAGMAN, TAGNAME, "line %ju names %.*s, which "
		    "the bundle does not hold as a tag file", (uintmax_t)lineno,
		    (int)(n - 130), s + 130);
	if (t->listed)
		return FIND(v, C_TAGMAN, t->name, "listed twice in " TAGNAME);
	t->listed = true;
	if (memcmp(t->sha512, s, 128) != 0 && (r = FIND(v, C_TAGMAN, t->name,
	    "sha512 differs from " TAGNAME ": the file was altered")) != 0)
		return r;
	return CUST_OK;
}

static int
check_tagman(struct ver *v)
{
	const char *s = v->tagman.p, *end = s + v->tagman.n, *nl;
	uint64_t lineno = 0;
	int r;

	while (s < end) {
		lineno++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return FIND(v, C_TAGMAN, TAGNAME, "last line does not "
			    "end with a newline");
		if ((r = tag_line(v, s, (size_t)(nl - s), lineno)) != 0)
			return r;
		s = nl + 1;
	}
	for (size_t i = 0; i < v->ntags; i++)
		if (!v->tags[i].listed && (r = FIND(v, C_TAGMAN,
		    v->tags[i].name, "not listed in " TAGNAME)) != CUST_OK)
			return r;
	return CUST_OK;
}

/* The value of LABEL in bag-info.txt (borrowed, N bytes), or NULL; *dup
 * when given twice.  Nothing is copied: no allocation can fail here. */
static const char *
info_value(const struct ver *v, const char *label, size_t *n, bool *dup)
{
	const char *s = v->baginfo.p, *nl, *val = NULL;
	size_t ln = strlen(label);

	*dup = false;
	for (; s != NULL && *s != '\0'; s = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (strncmp(s, label, ln) != 0 || strncmp(s + ln, ": ", 2) != 0)
			continue;
		if (val != NULL) {
			*dup = true;
			break;
		}
		val = s + ln + 2;
		*n = nl != NULL ? (size_t)(nl - val) : strlen(val);
	}
	return val;
}

static int
check_oxum(struct ver *v)
{
	char want[64];
	const char *got;
	size_t n = 0;
	bool dup;

	snprintf(want, sizeof(want), "%ju.%ju",
	    (uintmax_t)v->rep->payload_bytes, (uintmax_t)v->rep->payload_files);
	got = info_value(v, "Payload-Oxum", &n, &dup);
	if (got == NULL || dup)
		return FIND(v, C_COMPLETE, "bag-info.txt", "%s Payload-Oxum",
		    dup ? "more than one" : "no");
	if (n != strlen(want) || memcmp(got, want, n) != 0)
		return FIND(v, C_COMPLETE, "bag-info.txt", "Payload-Oxum says "
		    "%.*s (bytes.files); the bundle holds %s", (int)n, got,
		    want);
	return CUST_OK;
}

/* Each item listed in every manifest and in files.jsonl; a name is read
 * back from the name store only for a finding. */
static int
check_items(struct ver *v)
{
	unsigned all = (1u << v->nalg) - 1;
	char name[CUST_STORED_MAX + 1];
	uint64_t off = 0;
	size_t k;
	int r = CUST_OK;

	for (size_t i = 0; r == CUST_OK && i < v->nitems; i++) {
		struct item *it = &v->items[i];

		if (it->flags & F_BAD)
			v->rep->mismatched++;
		else if ((it->flags & all) == all)
			v->rep->matched++;
		if ((it->flags & all) != all) {
			v->rep->extra++;
			for (k = 0; it->flags & (1u << k); k++)
				;
			if ((r = ver_name(v, it, off, name)) == CUST_OK)
				r = FIND(v, C_COMPLETE, name, "in the bundle but "
				    "not listed in manifest-%s.txt",
				    cust_alg_name(v->alg[k]));
		}
		if (r == CUST_OK && !(it->flags & F_FILES) &&
		    (r = ver_name(v, it, off, name)) == CUST_OK)
			r = FIND(v, C_META, name, "no record in "
			    "metadata/files.jsonl");
		off += it->namelen;
	}
	return r;
}

/* metadata/custody.jsonl: seq 0, 1, ...; each prev the SHA-256 of the line
 * before (64 zeros for the first). */
static int
check_custody(struct ver *v)
{
	const char *s = v->custody.p, *end = s + v->custody.n, *nl, *prev;
	char want[65], msg[128];
	json_error_t err;
	uint64_t seq = 0;
	json_t *o;

	memset(want, '0', 64);
	want[64] = '\0';
	for (; s < end; s = nl + 1, seq++) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return FIND(v, C_META, "metadata/custody.jsonl",
			    "last line does not end with a newline");
		o = ver_json(s, (size_t)(nl - s), &err);
		prev = json_string_value(json_object_get(o, "prev"));
		msg[0] = '\0';
		if (!json_is_object(o))
			snprintf(msg, sizeof(msg), "not a JSON object");
		else if (!json_is_integer(json_object_get(o, "seq")) ||
		    (uint64_t)json_integer_value(json_object_get(o, "seq")) !=
		    seq)
			snprintf(msg, sizeof(msg), "sequence number is not %ju",
			    (uintmax_t)seq);
		else if (prev == NULL || strcmp(prev, want) != 0)
			snprintf(msg, sizeof(msg), "does not chain to the event "
			    "before it");
		json_decref(o);
		if (msg[0] != '\0')
			return FIND(v, C_META, "metadata/custody.jsonl",
			    "event %ju: %s", (uintmax_t)seq, msg);
		if (cust_sha256_hex(v->ctx, s, (size_t)(nl - s), want) != 0)
			return CUST_FATAL;
	}
	v->rep->custody_events = seq;
	return seq == 0 ? FIND(v, C_META, "metadata/custody.jsonl",
	    "no custody events") : CUST_OK;
}

static int
dupstr(char **dst, const char *s)
{
	if (s == NULL)
		return CUST_OK;
	return (*dst = strdup(s)) == NULL ? CUST_FATAL : CUST_OK;
}

static int
facts(struct ver *v, json_t *acq)
{
	struct cust_report *rep = v->rep;

	if (dupstr(&rep->case_id, jget(acq, "case_id", NULL)) ||
	    dupstr(&rep->evidence_id, jget(acq, "evidence_id", NULL)) ||
	    dupstr(&rep->examiner, jget(acq, "examiner", NULL)) ||
	    dupstr(&rep->location, jget(acq, "location", NULL)) ||
	    dupstr(&rep->authority, jget(acq, "authority", NULL)) ||
	    dupstr(&rep->host, jget(acq, "host", "hostname")) ||
	    dupstr(&rep->start_utc, jget(acq, "clock", "start_utc")) ||
	    dupstr(&rep->end_utc, jget(acq, "clock", "end_utc")) ||
	    (jget(acq, "tool", "version") != NULL &&
	    asprintf(&rep->tool, "%s %s", jget(acq, "tool", "name") ?
	    jget(acq, "tool", "name") : "?", jget(acq, "tool", "version")) < 0))
		return ver_oom(v);
	return CUST_OK;
}

/* The whole seconds of an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SS...Z". */
static bool
start_seconds(const char *s, int64_t *t)
{
	struct tm tm;
	const char *e;

	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    (*e != '.' && *e != 'Z'))
		return false;
	*t = (int64_t)timegm(&tm);
	return true;
}

/* acquisition.json must describe this bag: its name, algorithms, key, and
 * the start that every member's mtime gives. */
static int
check_acquisition(struct ver *v, json_t *acq)
{
	const char *s, *bag = cust_reader_bag(v->rd);
	int64_t start;
	json_t *algs = json_object_get(acq, "hash_algorithms");
	bool same = json_array_size(algs) == v->nalg;

	if (!json_is_object(acq))
		return FIND(v, C_META, "metadata/acquisition.json",
		    "not a JSON object");
	if ((s = jget(acq, "format", NULL)) == NULL ||
	    strcmp(s, CUST_FORMAT) != 0)
		return FIND(v, C_META, "metadata/acquisition.json", "format is "
		    "not " CUST_FORMAT);
	if ((s = jget(acq, "bag", NULL)) == NULL || strcmp(s, bag) != 0)
		return FIND(v, C_META, "metadata/acquisition.json", "names "
		    "another bag than %s", bag);
	for (size_t k = 0; same && k < v->nalg; k++)
		same = (s = json_string_value(json_array_get(algs, k))) !=
		    NULL && strcmp(s, cust_alg_name(v->alg[k])) == 0;
	if (!same)
		return FIND(v, C_META, "metadata/acquisition.json", "hash "
		    "algorithms differ from metadata/algorithms.txt");
	/* Its seal key_id is one of claims()'s. */
	if ((s = jget(acq, "clock", "start_utc")) == NULL ||
	    !start_seconds(s, &start) ||
	    cust_tar_mtime(start) != cust_reader_mtime(v->rd))
		return FIND(v, C_META, "metadata/acquisition.json", "the tar "
		    "headers' mtime %ju is not the acquisition's start %s "
		    "(custody-bundle(5))", (uintmax_t)cust_reader_mtime(v->rd),
		    s != NULL ? s : "(none)");
	return facts(v, acq);
}

static const char *const order[] = { C_ARCHIVE, C_STRUCTURE, C_SIGNATURE,
    C_TIMESTAMP, C_TAGMAN, C_COMPLETE, C_VALID, C_META, C_LOG };

static size_t
rank(const char *check)
{
	for (size_t i = 0; i < NELEM(order); i++)
		if (strcmp(order[i], check) == 0)
			return i;
	return NELEM(order);
}

/* Keep what was found up to the first failed trust check. */
static void
verdict(struct ver *v)
{
	struct cust_report *rep = v->rep;
	size_t first = NELEM(order), k = 0;

	for (size_t i = 0; i < rep->nfindings; i++)
		if (rank(rep->findings[i].check) < first)
			first = rank(rep->findings[i].check);
	if (first < NELEM(order)) {
		for (size_t i = 0; i < rep->nfindings; i++) {
			struct cust_finding *f = &rep->findings[i];

			if (first <= rank(C_TAGMAN) && rank(f->check) > first) {
				free(f->subject);
				free(f->message);
				continue;
			}
			rep->findings[k++] = *f;
		}
		rep->nfindings = k;
		rep->failed_check = order[first];
	}
	if (rep->verdict == CUST_UNREADABLE)
		return;
	if (rep->nfindings > 0 || rep->more_findings > 0)
		rep->verdict = CUST_BROKEN;
	else
		rep->verdict = rep->key_trusted || rep->x509_verified ?
		    CUST_AUTHENTIC : CUST_UNVERIFIED;
}

static int
checks(struct ver *v, json_t *acq)
{
	int r;

	if (v->bagit.n != sizeof(bagit_text) - 1 ||
	    memcmp(v->bagit.p, bagit_text, v->bagit.n) != 0)
		if ((r = FIND(v, C_STRUCTURE, "bagit.txt", "not the BagIt 1.0 "
		    "declaration")) != CUST_OK)
			return r;
	/* bagit.txt declares UTF-8 for every tag file (RFC 8493 2.2.2). */
	if (!cust_utf8_valid(v->baginfo.p, v->baginfo.n) &&
	    (r = FIND(v, C_STRUCTURE, "bag-info.txt", "not UTF-8")) != CUST_OK)
		return r;
	if ((r = check_signature(v, acq)) != CUST_OK ||
	    (r = ver_closing(v)) != CUST_OK ||
	    (r = ver_stamps(v, acq)) != CUST_OK ||
	    (r = ver_x509(v, acq)) != CUST_OK ||
	    (r = check_tagman(v)) != CUST_OK ||
	    (r = check_oxum(v)) != CUST_OK ||
	    (r = check_items(v)) != CUST_OK ||
	    (r = ver_listed(v)) != CUST_OK ||
	    (r = check_custody(v)) != CUST_OK)
		return r;
	if ((r = check_acquisition(v, acq)) != CUST_OK)
		return r;
	return ver_log(v);
}

int
ver_finish(struct ver *v)
{
	json_t *acq = NULL;
	int r = CUST_OK;

	if (!v->stop && v->stage < CUST_NPART) {
		v->stop = true;
		r = FIND(v, C_STRUCTURE, v->o->name, "the bundle ends where %s "
		    "should be", v->stage == CUST_M_DATA ? "metadata/acquisition.json" :
		    v->stage > CUST_M_SIG && v->stage < CUST_M_CLOSING ?
		    CUST_CLOSING_MEMBER : ver_wanted(v));
	}
	if (r == CUST_OK && !v->stop && (r = ver_log_read(v)) == CUST_OK) {
		acq = acquisition(v);
		r = checks(v, acq);
		json_decref(acq);
	}
	if (r == CUST_OK)
		verdict(v);
	return r;
}
