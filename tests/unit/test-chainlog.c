/*
 * test-chainlog.c: the custody log (chainlog.c, its format; logcheck.c,
 * what the verifier trusts).  Logs are written to memory files with the
 * library, read back, damaged line by line as an attacker would, and
 * checked; hostile lines must be refused with the line named, never
 * crash.  Every signature is checked again with the seal code on the
 * exact bytes the format says are signed.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "custodylog/custodylog.h"
#include "harness.h"

static struct cust_ctx *ctx;
static struct cust_key *k1, *k2, *k3;
static struct cust_bundle_ref ref;
static struct cust_report *rep;
static int fd;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_key_generate(ctx, &k1), CUST_OK);
	ck_assert_int_eq(cust_key_generate(ctx, &k2), CUST_OK);
	ck_assert_int_eq(cust_key_generate(ctx, &k3), CUST_OK);
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.bag, sizeof(ref.bag), "EVD-1");
	memset(ref.tagmanifest_sha512, 'a', 128);
	memset(ref.sha256, 'b', 64);
	ck_assert_int_ge(fd = memfd_create("log", 0), 0);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
}

static void
teardown(void)
{
	cust_report_free(rep);
	close(fd);
	cust_key_free(k1);
	cust_key_free(k2);
	cust_key_free(k3);
	cust_ctx_free(ctx);
}

static void
append(const char *type, const char *from, const char *to,
    struct cust_key *k, char head[65])
{
	struct cust_event ev = { .type = type, .name = from, .from = from,
	    .to = to, .location = "Room 4", .purpose = "case 7", .key = k };

	ck_assert_msg(cust_log_append(ctx, fd, "t.custody", &ref, &ev, head) ==
	    CUST_OK, "%s", cust_ctx_error(ctx));
}

/* Three events by three keys; the head of the last. */
static void
three(char head[65])
{
	append("transferred", "A", "B", k1, head);
	append("received", "B", NULL, k2, head);
	append("transferred", "B", "C", k3, head);
}

static struct cust_log *
reread(void)
{
	struct cust_log *log;

	ck_assert_msg(cust_log_read(ctx, fd, "t.custody", &log) == CUST_OK,
	    "%s", cust_ctx_error(ctx));
	return log;
}

/* The log's bytes (owned, NUL-terminated). */
static char *
text(size_t *np)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *s = calloc(1, (size_t)n + 16);	/* room for damage */

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pread(fd, s, (size_t)n, 0), n);
	s[n] = '\0';
	*np = (size_t)n;
	return s;
}

/* Replace the log's bytes. */
static void
set_log(const char *s)
{
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

static struct cust_log_policy
policy(const struct cust_key *const *keys, size_t n)
{
	struct cust_log_policy p = {
		.bag = "EVD-1", .tagmanifest_sha512 = ref.tagmanifest_sha512,
		.sha256 = ref.sha256, .keys = keys, .nkeys = n,
	};

	return p;
}

/* Check the log against P; the first finding's message, or "". */
static const char *
verdict(const struct cust_log_policy *p)
{
	struct cust_log *log = reread();

	ck_assert_int_eq(cust_log_check(ctx, log, p, rep), CUST_OK);
	cust_log_free(log);
	if (rep->nfindings == 0)
		return "";
	ck_assert_str_eq(rep->findings[0].check, "custody log");
	return rep->findings[0].message;
}

START_TEST(events_chain_and_read_back)
{
	const struct cust_log_entry *e;
	struct cust_log *log;
	char head[65], want[65], *s;
	size_t n;

	three(head);
	log = reread();
	ck_assert_uint_eq(cust_log_count(log), 3);
	ck_assert_str_eq(cust_log_head(log), head);
	e = cust_log_entry(log, 0);
	ck_assert_uint_eq(e->seq, 0);
	ck_assert_str_eq(e->type, "transferred");
	ck_assert_str_eq(e->from, "A");
	ck_assert_str_eq(e->to, "B");
	ck_assert_str_eq(e->name, "A");
	ck_assert_str_eq(e->location, "Room 4");
	ck_assert_str_eq(e->purpose, "case 7");
	ck_assert_str_eq(e->bag, "EVD-1");
	ck_assert_str_eq(e->tagmanifest_sha512, ref.tagmanifest_sha512);
	ck_assert_ptr_null(cust_log_entry(log, 1)->bag);
	ck_assert_ptr_null(cust_log_entry(log, 3));
	/* The head is the SHA-256 of the last line, without its newline. */
	s = text(&n);
	ck_assert_int_eq(s[n - 1], '\n');
	s[n - 1] = '\0';
	ck_assert_int_eq(cust_sha256_hex(ctx, strrchr(s, '\n') + 1,
	    strlen(strrchr(s, '\n') + 1), want), CUST_OK);
	ck_assert_str_eq(head, want);
	free(s);
	ck_assert_int_eq(cust_log_links(ctx, log), CUST_OK);
	cust_log_free(log);
}
END_TEST

/* The signed bytes are exactly the "event" string, as minisign sees it. */
START_TEST(each_minisig_covers_the_event_text)
{
	const struct cust_log_slot *ev;
	struct cust_log *log;
	struct cust_sig *sig;
	char head[65];

	three(head);
	log = reread();
	ck_assert_ptr_nonnull(ev = cust_log_load(log, 2));
	ck_assert_int_eq(cust_sig_parse(ctx, ev->minisig,
	    strlen(ev->minisig), &sig), CUST_OK);
	ck_assert_int_eq(cust_sig_verify(ctx, sig, k3, ev->text, ev->len),
	    CUST_OK);
	ck_assert_int_ne(cust_sig_verify(ctx, sig, k2, ev->text, ev->len),
	    CUST_OK);
	ck_assert(strstr(cust_sig_trusted_comment(sig), "custody event seq:2 "
	    "type:transferred time:") != NULL);
	cust_sig_free(sig);
	cust_log_free(log);
}
END_TEST

START_TEST(trusted_keys_and_warnings)
{
	const struct cust_key *all[] = { k1, k2, k3 }, *one[] = { k1 };
	struct cust_log_policy p = policy(all, 3);
	char head[65];

	three(head);
	ck_assert_str_eq(verdict(&p), "");
	ck_assert_uint_eq(rep->log_trusted, 3);
	ck_assert_uint_eq(rep->log_events, 3);
	ck_assert_str_eq(rep->log_head, head);
	ck_assert_uint_eq(rep->nwarnings, 0);
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p = policy(one, 1);
	ck_assert_str_eq(verdict(&p), "");
	ck_assert_uint_eq(rep->log_trusted, 1);
	ck_assert_uint_eq(rep->log_unverified, 2);
	ck_assert_uint_eq(rep->nwarnings, 2);
	ck_assert_msg(strstr(rep->warnings[0], "t.custody: event 1 (received) "
	    "by B: signed by key ") != NULL, "%s", rep->warnings[0]);
}
END_TEST

/* The seal key counts only when the bundle's origin is trusted. */
START_TEST(the_seal_key_counts_with_a_trusted_origin)
{
	struct cust_log_policy p = policy(NULL, 0);
	char head[65], *b64 = cust_key_public_b64(k1);

	append("note", "A", NULL, k1, head);
	p.seal_key = b64;
	ck_assert_str_eq(verdict(&p), "");
	ck_assert_uint_eq(rep->log_unverified, 1);
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.origin_trusted = true;
	ck_assert_str_eq(verdict(&p), "");
	ck_assert_uint_eq(rep->log_trusted, 1);
	free(b64);
}
END_TEST

/* Replace the first FROM in the log's bytes by TO (as long). */
static void
patch(const char *from, const char *to)
{
	size_t n;
	char *s = text(&n), *at = strstr(s, from);

	ck_assert_ptr_nonnull(at);
	ck_assert_uint_eq(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
	set_log(s);
	free(s);
}

/* An event that names a trusted key's ID but is another key's. */
START_TEST(an_event_claiming_another_keys_id_is_refused)
{
	unsigned char id[CUST_KEYID_LEN];
	char k1id[CUST_KEYID_HEXLEN + 1], k2id[CUST_KEYID_HEXLEN + 1];
	char head[65], want[256], *b64, *lie;
	struct cust_log *log;
	struct cust_key *fake;

	append("note", "A", NULL, k2, head);
	cust_key_id_hex(k1, k1id);
	cust_key_id_hex(k2, k2id);
	patch(k2id, k1id);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	snprintf(want, sizeof(want), "t.custody: line 1: event 0 (note): "
	    "\"key_id\": claims key ID %s but its key is %s", k1id, k2id);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	/* Its key blob made to carry that ID as well. */
	for (int i = 0; i < CUST_KEYID_LEN; i++)
		sscanf(k1id + 2 * (CUST_KEYID_LEN - 1 - i), "%2hhx", &id[i]);
	ck_assert_int_eq(cust_key_from_public_raw(ctx, id,
	    cust_key_public_raw(k2), &fake), CUST_OK);
	b64 = cust_key_public_b64(k2);
	lie = cust_key_public_b64(fake);
	patch(b64, lie);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	snprintf(want, sizeof(want), "t.custody: line 1: event 0 (note): "
	    "\"public_key\": claims key ID %s but its key is %s", k1id, k2id);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	free(lie);
	free(b64);
	cust_key_free(fake);
}
END_TEST

/* The ID kept for an event is derived from its key. */
START_TEST(an_events_key_id_is_its_keys_own)
{
	char id[CUST_KEYID_HEXLEN + 1], head[65];
	struct cust_log *log;

	append("note", "A", NULL, k3, head);
	log = reread();
	cust_key_id_hex(k3, id);
	ck_assert_str_eq(cust_log_entry(log, 0)->key_id, id);
	cust_log_free(log);
}
END_TEST

START_TEST(a_log_of_another_bundle_fails)
{
	const struct cust_key *all[] = { k1, k2, k3 };
	struct cust_log_policy p = policy(all, 3);
	char head[65], other[129];

	three(head);
	memset(other, 'c', 128);
	other[128] = '\0';
	p.tagmanifest_sha512 = other;
	ck_assert_msg(strncmp(verdict(&p), "event 0 (transferred): bound to "
	    "another bundle (bag EVD-1, tag manifest SHA-512 aaaaaaaaaaaaaaaa"
	    "...), not to this one (bag EVD-1, cccccccccccccccc...)", 100) ==
	    0, "%s", rep->findings[0].message);
}
END_TEST

/* A "sealed" event recording X509 (a subject, or NULL) and TOKENS; SEAL
 * false leaves its "seal" out. */
static void
sealed(const char *x509, int tokens, bool seal)
{
	struct cust_event ev = { .type = "sealed", .name = "A", .key = k1 };
	char head[65], id[CUST_KEYID_HEXLEN + 1];
	json_t *extra;

	/* The seal's key ID is its key's own (custody(1), KEY IDS). */
	cust_key_id_hex(k1, id);
	extra = json_pack("{s:{s:s, s:b, s:o, s:i}}", "seal", "key_id", id,
	    "one_time", 0, "x509", x509 != NULL ? json_string(x509) :
	    json_null(), "timestamps", tokens);

	ck_assert_ptr_nonnull(extra);
	ck_assert_msg(cust_log_write(ctx, fd, "t.custody", &ref, &ev, seal ?
	    extra : NULL, head) == CUST_OK, "%s", cust_ctx_error(ctx));
	json_decref(extra);
}

START_TEST(the_seal_record_must_agree_with_the_bundle)
{
	const struct cust_key *trusted[] = { k1 };
	struct cust_log_policy p = policy(trusted, 1);
	char other[65];

	sealed("CN=A", 2, true);
	p.x509 = true;
	p.x509_subject = "CN=A";
	p.tokens = 2;
	ck_assert_str_eq(verdict(&p), "");
	p.tokens = 1;
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): records 2 timestamp "
	    "tokens in the bundle; the bundle holds 1: a token was stripped");
	ck_assert_int_eq(rep->nfindings, 1);
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.tokens = 2;
	p.x509_subject = "CN=B";
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): records an X.509 "
	    "signature by CN=A; the bundle's " CUST_P7S_MEMBER " is by CN=B: "
	    "it was replaced");
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.x509 = false;
	p.x509_subject = NULL;
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): records an X.509 "
	    "signature by CN=A; the bundle holds none: " CUST_P7S_MEMBER
	    " was stripped");
	/* The same bag in other bytes: a failure, no longer a warning. */
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.x509 = true;
	memset(other, 'c', 64);
	other[64] = '\0';
	p.sha256 = other;
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): records the bundle "
	    "file's SHA-256 as bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbb; the file read is cccccccccccccccccccccccccccccc"
	    "cccccccccccccccccccccccccccccccccc: not the bytes that were "
	    "sealed");
	ck_assert_uint_eq(rep->nwarnings, 0);
}
END_TEST

START_TEST(a_seal_without_x509_or_tokens_must_say_so)
{
	const struct cust_key *trusted[] = { k1 };
	struct cust_log_policy p = policy(trusted, 1);

	sealed(NULL, 0, true);
	p.x509 = true;
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): records no X.509 "
	    "signature; the bundle holds " CUST_P7S_MEMBER ": it was added");
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.x509 = false;
	p.tokens = 1;
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): records 0 timestamp "
	    "tokens in the bundle; the bundle holds 1: a token was added");
}
END_TEST

START_TEST(a_sealed_event_without_its_seal_fails)
{
	const struct cust_key *trusted[] = { k1 };
	struct cust_log_policy p = policy(trusted, 1);

	sealed(NULL, 0, false);
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): \"seal\" does not "
	    "record the X.509 signature and the tokens ({x509, timestamps})");
}
END_TEST

/*
 * An event 0 of a key not trusted decides nothing (anyone can write one):
 * what it records of the bundle's seal and bytes, wrong, is a warning.
 * Its bag and tag manifest, though, say whose log it is, and fail.
 */
START_TEST(an_untrusted_seal_record_only_warns)
{
	struct cust_log_policy p = policy(NULL, 0);
	char other[65];

	sealed("CN=A", 2, true);
	memset(other, 'c', 64);
	other[64] = '\0';
	p.sha256 = other;
	p.tokens = 1;
	ck_assert_str_eq(verdict(&p), "");
	ck_assert_uint_eq(rep->nfindings, 0);
	/* the X.509 record, the tokens, the SHA-256 and the key not trusted */
	ck_assert_uint_eq(rep->nwarnings, 4);
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.bag = "EVD-2";
	ck_assert_str_eq(verdict(&p), "event 0 (sealed): bound to another "
	    "bundle (bag EVD-1, tag manifest SHA-512 aaaaaaaaaaaaaaaa...), not "
	    "to this one (bag EVD-2, aaaaaaaaaaaaaaaa...)");
}
END_TEST

/* Damage one line of a three-event log; the finding it must give. */
static void
damaged(void (*damage)(char *s), const char *want)
{
	const struct cust_key *all[] = { k1, k2, k3 };
	struct cust_log_policy p = policy(all, 3);
	char head[65], *s;
	size_t n;

	three(head);
	s = text(&n);
	damage(s);
	set_log(s);
	free(s);
	ck_assert_str_eq(verdict(&p), want);
}

/* Line I (0-based) of S, and the line after it. */
static char *
line(char *s, int i)
{
	while (i-- > 0)
		s = strchr(s, '\n') + 1;
	return s;
}

static void
drop1(char *s)
{
	char *a = line(s, 1), *b = line(s, 2);

	memmove(a, b, strlen(b) + 1);
}

static void
swap12(char *s)
{
	char *a = line(s, 1), *b = line(s, 2), *c = line(s, 3);
	char *tmp = strndup(a, (size_t)(b - a));

	memmove(a, b, (size_t)(c - b));
	memcpy(a + (c - b), tmp, strlen(tmp));
	free(tmp);
}

static void
edit2(char *s)
{
	char *p = strstr(line(s, 2), "\\\"to\\\":\\\"C\\\"");

	ck_assert_ptr_nonnull(p);
	p[9] = 'X';
}

static void
space1(char *s)
{
	char *a = line(s, 1);

	/* {"event" -> {"event" with its first byte changed to a space is
	 * not JSON; a space after the brace keeps it JSON. */
	memmove(a + 2, a + 1, strlen(a + 1) + 1);
	a[1] = ' ';
}

START_TEST(removed_reordered_or_edited_events_are_named)
{
	damaged(drop1, "event 2 (transferred): its sequence number is 2 "
	    "where 1 was expected: an event before it was removed, or events "
	    "were reordered");
}
END_TEST

START_TEST(reordered_events_are_named)
{
	damaged(swap12, "event 2 (transferred): its sequence number is 2 "
	    "where 1 was expected: an event before it was removed, or events "
	    "were reordered");
}
END_TEST

START_TEST(an_edited_event_is_named)
{
	damaged(edit2, "event 2 (transferred): its signature does not verify: "
	    "the event was altered after it was signed");
}
END_TEST

START_TEST(a_line_changed_outside_its_event_breaks_the_chain)
{
	damaged(space1, "event 2 (transferred): it does not chain to event 1 "
	    "(its \"prev\" is not the SHA-256 of the line before): that line "
	    "was altered, removed or moved");
}
END_TEST

START_TEST(the_head_must_be_the_last_line)
{
	const struct cust_key *all[] = { k1, k2, k3 };
	struct cust_log_policy p = policy(all, 3);
	char h0[65], h1[65], h2[65], zeros[65];

	append("transferred", "A", "B", k1, h0);
	append("received", "B", NULL, k2, h1);
	append("transferred", "B", "C", k3, h2);
	p.head = h2;
	ck_assert_str_eq(verdict(&p), "");
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	p.head = h1;
	ck_assert_str_eq(verdict(&p), "the log goes on after event 1 "
	    "(received), where --log-head says it ends (1 events after it)");
	cust_report_free(rep);
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	memset(zeros, '0', 64);
	zeros[64] = '\0';
	p.head = zeros;
	ck_assert_msg(strncmp(verdict(&p), "the log ends at event 2 "
	    "(transferred)", 37) == 0, "%s", rep->findings[0].message);
}
END_TEST

/* A log of one line LINE (a newline is added) must be refused naming
 * line 1 and saying WANT. */
static void
refused(const char *l, const char *want)
{
	struct cust_log *log;
	char *s;

	ck_assert_int_gt(asprintf(&s, "%s\n", l), 0);
	set_log(s);
	free(s);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	ck_assert_ptr_null(log);
	ck_assert_msg(strstr(cust_ctx_error(ctx), want) != NULL,
	    "%s: got \"%s\", want \"%s\"", l, cust_ctx_error(ctx), want);
}

START_TEST(hostile_lines_are_refused)
{
	static const struct { const char *line, *want; } v[] = {
		{ "", "t.custody: line 1: " },
		{ "not json", "t.custody: line 1: " },
		{ "[]", "not {\"event\": TEXT, \"minisig\": TEXT}" },
		{ "{\"event\":\"{}\"}", "not {\"event\": TEXT" },
		{ "{\"event\":1,\"minisig\":\"x\"}", "not {\"event\": TEXT" },
		{ "{\"event\":\"{}\",\"minisig\":\"x\",\"x\":1}",
		    "not {\"event\": TEXT" },
		{ "{\"event\":\"{}\",\"event\":\"{}\"}", "duplicate" },
		{ "{\"event\":\"a\\u0000b\",\"minisig\":\"x\"}", "line 1: " },
		{ "{\"event\":\"[]\",\"minisig\":\"x\"}",
		    "the event is not a JSON object" },
		{ "{\"event\":\"{\\\"seq\\\":-1}\",\"minisig\":\"x\"}",
		    "\"seq\" is not a number from 0" },
		{ "{\"event\":\"{\\\"seq\\\":0,\\\"type\\\":\\\"stolen\\\"}\","
		    "\"minisig\":\"x\"}", "\"type\" is not an event type" },
		{ "{\"event\":\"{\\\"seq\\\":0,\\\"type\\\":\\\"note\\\","
		    "\\\"time\\\":\\\"yesterday\\\"}\",\"minisig\":\"x\"}",
		    "\"time\" is not an RFC 3339 UTC time" },
		{ "{\"event\":\"{\\\"seq\\\":0,\\\"type\\\":\\\"note\\\","
		    "\\\"time\\\":\\\"2026-13-01T00:00:00.000000000Z\\\"}\","
		    "\"minisig\":\"x\"}", "\"time\" is not an RFC 3339" },
		{ "{\"event\":\"{\\\"seq\\\":0,\\\"type\\\":\\\"note\\\","
		    "\\\"time\\\":\\\"2026-01-01T00:00:00.000000000Z\\\"}\","
		    "\"minisig\":\"x\"}", "is missing or not text" },
	};

	for (size_t i = 0; i < NELEM(v); i++)
		refused(v[i].line, v[i].want);
}
END_TEST

/* Each field of a real event removed or given the wrong type. */
START_TEST(every_field_is_checked)
{
	static const char *const fields[] = { "type", "time",
	    "local_time", "zone", "actor", "location", "purpose", "prev",
	    "key_id", "public_key", "bundle", "from", "to" };
	const struct cust_log_slot *e0;
	struct cust_log *log;
	json_t *o, *line;
	char head[65], *ev, *s, *minisig;

	append("transferred", "A", "B", k1, head);
	log = reread();
	ck_assert_ptr_nonnull(e0 = cust_log_load(log, 0));
	/* refused() rewrites the log: keep what is needed of event 0. */
	ck_assert_ptr_nonnull(o = json_deep_copy(e0->obj));
	ck_assert_ptr_nonnull(minisig = strdup(e0->minisig));
	cust_log_free(log);
	log = NULL;
	/* "seq" as text, every other field as a number: all wrong. */
	json_object_set_new(o, "seq", json_string("0"));
	ev = json_dumps(o, JSON_COMPACT);
	line = json_pack("{s:s, s:s}", "event", ev, "minisig", minisig);
	s = json_dumps(line, JSON_COMPACT);
	refused(s, "\"seq\" is not a number from 0");
	free(s);
	json_decref(line);
	free(ev);
	json_object_set_new(o, "seq", json_integer(0));
	e0 = NULL;
	for (size_t i = 0; i < NELEM(fields); i++) {
		json_t *c = json_deep_copy(o);

		json_object_set_new(c, fields[i], json_integer(7));
		ck_assert_ptr_nonnull(ev = json_dumps(c, JSON_COMPACT));
		line = json_pack("{s:s, s:s}", "event", ev, "minisig",
		    minisig);
		s = json_dumps(line, JSON_COMPACT);
		refused(s, "t.custody: line 1: ");
		free(s);
		json_decref(line);
		free(ev);
		json_decref(c);
	}
	json_decref(o);
	free(minisig);
}
END_TEST

/* The log: one line of N bytes 'x', then a newline. */
static void
set_log_of_x(size_t n)
{
	char *line;

	ck_assert_ptr_nonnull(line = malloc(n + 2));
	memset(line, 'x', n);
	line[n] = '\n';
	line[n + 1] = '\0';
	set_log(line);
	free(line);
}

START_TEST(bounds_are_kept)
{
	struct cust_log *log;
	char *big, head[65];
	size_t n = CUST_LOG_LINE_MAX + 10;
	int p[2];

	set_log_of_x(n);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: line 1 is longer "
	    "than 1048576 bytes");
	/* Longer than the first reading buffer, within the bound: read
	 * whole, so what is refused is its JSON, not its length. */
	set_log_of_x(200 * 1024);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: line 1: '[' or "
	    "'{' expected");
	/* Well under the line bound, but far more values than an event. */
	n = 2 + 2 * 5000;
	ck_assert_ptr_nonnull(big = malloc(n + 64));
	strcpy(big, "{\"event\":\"[");
	for (size_t i = 0; i < 5000; i++)
		strcat(big, i ? ",0" : "0");
	strcat(big, "]\",\"minisig\":\"x\"}");
	refused(big, "t.custody: line 1: more than 1024 JSON values");
	free(big);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	append("note", "A", NULL, k1, head);
	ck_assert_int_eq(ftruncate(fd, lseek(fd, 0, SEEK_END) - 1), 0);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: line 1 does not end "
	    "with a newline (cut short?)");
	ck_assert_int_eq(ftruncate(fd, CUST_LOG_MAX + 1), 0);
	ck_assert_int_eq(cust_log_read(ctx, fd, "t.custody", &log),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: larger than "
	    "67108864 bytes");
	/* A pipe (or FIFO) has no offsets to read at: refused by name. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(cust_log_read(ctx, p[0], "t.custody", &log),
	    CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: not a regular "
	    "file");
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(appending_refuses_what_would_break_the_log)
{
	struct cust_event ev = { .type = "transferred", .name = "A",
	    .from = "A", .to = "B", .key = k1 };
	struct cust_bundle_ref other = ref;
	struct cust_log *log;
	struct cust_key *pub;
	char head[65], *pubtext;

	/* An empty log must be bound to a bundle. */
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: the log is empty "
	    "and no bundle was read to bind it to");
	append("transferred", "A", "B", k1, head);
	memset(other.tagmanifest_sha512, 'd', 128);
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", &other, &ev,
	    head), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: the log belongs to "
	    "another bundle");
	ev.to = NULL;
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ev.to = "B\nC";
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "to: control characters are not "
	    "allowed");
	ev.to = "B";
	ev.type = "sealed";
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ev.type = "stolen";
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ev.type = "transferred";
	ck_assert_ptr_nonnull(pubtext = cust_key_public_text(ctx, k1));
	ck_assert_int_eq(cust_key_parse_public(ctx, pubtext, strlen(pubtext),
	    &pub), CUST_OK);
	ev.key = pub;
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ck_assert_str_eq(cust_ctx_error(ctx), "custody event: no secret key "
	    "to sign it with");
	cust_key_free(pub);
	free(pubtext);
	log = reread();
	ck_assert_uint_eq(cust_log_count(log), 1);
	cust_log_free(log);
}
END_TEST

/* A last event later than this clock: set the clock, do not append. */
START_TEST(time_never_goes_backwards)
{
	struct cust_event ev = { .type = "note", .name = "A", .key = k1 };
	struct timespec later;
	char head[65], *l;

	clock_gettime(CLOCK_REALTIME, &later);
	later.tv_sec += 3600;
	ck_assert_int_eq(cust_log_line(ctx, 0, NULL, &later, &ref, &ev, NULL,
	    &l), CUST_OK);
	strcat(l, "\n");
	set_log(l);
	free(l);
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), ", before event 0's time ")
	    != NULL, "%s", cust_ctx_error(ctx));
}
END_TEST

START_TEST(tokens_must_be_canonical_base64)
{
	static const struct { const char *b64; int r; size_t n; } v[] = {
		{ "AAAA", CUST_OK, 3 }, { "AAA=", CUST_OK, 2 },
		{ "AAB=", CUST_FAILED, 0 }, { "A===", CUST_FAILED, 0 },
		{ "AA", CUST_FAILED, 0 }, { "AA A", CUST_FAILED, 0 },
		{ "", CUST_FAILED, 0 },
	};
	struct cust_event ev = { .type = "timestamped", .key = k1 };
	struct cust_log *log;
	unsigned char *der;
	const char *over;
	json_t *extra;
	char head[65];
	size_t n;

	for (size_t i = 0; i < NELEM(v); i++) {
		extra = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "tokens",
		    "over", CUST_SIG_MEMBER, "tsa", "http://t/", "gen_time",
		    "x", "token", v[i].b64);
		ck_assert_int_eq(cust_log_write(ctx, fd, "t.custody", &ref,
		    &ev, extra, head), CUST_OK);
		json_decref(extra);
	}
	log = reread();
	for (size_t i = 0; i < NELEM(v); i++) {
		ck_assert_int_eq(cust_log_token(ctx, log, i, 0, &over, &der,
		    &n), v[i].r);
		if (v[i].r == CUST_OK)
			ck_assert_uint_eq(n, v[i].n);
		free(der);
	}
	cust_log_free(log);
}
END_TEST

START_TEST(each_event_is_given_as_json)
{
	json_t *doc;
	char head[65], *s;
	struct cust_log *log;

	three(head);
	log = reread();
	ck_assert_ptr_nonnull(s = cust_log_json_event(log, 1));
	ck_assert_ptr_nonnull(doc = json_loads(s, 0, NULL));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    doc, "event"), "type")), "received");
	ck_assert_ptr_nonnull(json_object_get(doc, "minisig"));
	json_decref(doc);
	free(s);
	ck_assert_ptr_nonnull(s = cust_log_json_event(log, 2));
	ck_assert_ptr_nonnull(doc = json_loads(s, 0, NULL));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "sha256")),
	    head);
	json_decref(doc);
	free(s);
	cust_log_free(log);
}
END_TEST

/* Events are read again from the file when asked for: a line changed
 * since the log was read is not taken for the one read. */
START_TEST(a_line_changed_after_reading_is_refused)
{
	struct cust_log *log;
	char head[65], *s;
	size_t n;

	three(head);
	log = reread();
	s = text(&n);
	*strstr(s, "Room 4") = 'B';
	set_log(s);
	free(s);
	ck_assert_ptr_null(cust_log_entry(log, 0));
	ck_assert_str_eq(cust_ctx_error(ctx), "t.custody: line 1 changed "
	    "while it was read");
	cust_log_free(log);
}
END_TEST

/* Event LINE (a signed line of cust_log_line) at time NOW + AHEAD, by K,
 * appended to the log by hand. */
static void
dated(struct cust_key *k, time_t ahead)
{
	struct cust_event ev = { .type = "note", .name = "X", .key = k };
	struct cust_log *log = reread();
	struct timespec t;
	char *l, *s;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ahead;
	ck_assert_int_eq(cust_log_line(ctx, cust_log_count(log),
	    cust_log_count(log) ? cust_log_head(log) : NULL, &t, &ref, &ev,
	    NULL, &l), CUST_OK);
	cust_log_free(log);
	s = text(&n);
	ck_assert_ptr_nonnull(s = realloc(s, n + strlen(l) + 2));
	strcpy(s + n, l);
	strcat(s, "\n");
	set_log(s);
	/* Appends write at the file offset, as on a log opened to append. */
	ck_assert_int_ge(lseek(fd, 0, SEEK_END), 0);
	free(s);
	free(l);
}

/* Another key's event dated 9999 cannot stop the chain: the append is
 * made, with a warning naming it; verify warns, and fails nothing. */
START_TEST(a_stranger_event_in_the_future_does_not_block)
{
	const struct cust_key *const all[] = { k1, k2 };
	struct cust_log_policy p = policy(all, 2);
	struct cust_event ev = { .type = "transferred", .name = "A",
	    .from = "A", .to = "B", .key = k1 };
	char head[65];

	append("transferred", "A", "B", k1, head);
	dated(k3, (time_t)7900 * 365 * 86400);	/* the year 9900 or so */
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_WARN);
	ck_assert_msg(strstr(cust_ctx_error(ctx), "t.custody: event 1, by key "
	    "") != NULL && strstr(cust_ctx_error(ctx), "after this clock") !=
	    NULL, "%s", cust_ctx_error(ctx));
	ck_assert_str_eq(verdict(&p), "");
	ck_assert_uint_eq(rep->log_trusted, 2);
	ck_assert_uint_eq(rep->log_unverified, 1);
	ck_assert_uint_eq(rep->nwarnings, 2);
	ck_assert_msg(strstr(rep->warnings[1], "after this machine's clock: "
	    "an implausible time, by a key you do not trust") != NULL, "%s",
	    rep->warnings[1]);
}
END_TEST

/* Among trusted events time goes forward; the same key's own future
 * event still stops its appender (its clock is wrong, or was). */
START_TEST(trusted_times_go_forward)
{
	const struct cust_key *const all[] = { k1, k2 };
	struct cust_log_policy p = policy(all, 2);
	struct cust_event ev = { .type = "note", .name = "A", .key = k1 };
	char head[65];

	append("transferred", "A", "B", k1, head);
	dated(k1, 7200);
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_FAILED);
	ck_assert_msg(strstr(cust_ctx_error(ctx), ", before event 1's time ")
	    != NULL, "%s", cust_ctx_error(ctx));
	/* Another key's appender does not believe k1's clock; verify does. */
	ev.key = k2;
	ck_assert_int_eq(cust_log_append(ctx, fd, "t.custody", NULL, &ev,
	    head), CUST_WARN);
	ck_assert_msg(strstr(verdict(&p), "event 2 (note): its time ") !=
	    NULL && strstr(verdict(&p), " is before event 1's time ") != NULL,
	    "%s", verdict(&p));
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("chainlog");
	TCase *tc = tcase_create("chainlog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, events_chain_and_read_back);
	tcase_add_test(tc, the_seal_record_must_agree_with_the_bundle);
	tcase_add_test(tc, a_seal_without_x509_or_tokens_must_say_so);
	tcase_add_test(tc, a_sealed_event_without_its_seal_fails);
	tcase_add_test(tc, an_untrusted_seal_record_only_warns);
	tcase_add_test(tc, each_minisig_covers_the_event_text);
	tcase_add_test(tc, trusted_keys_and_warnings);
	tcase_add_test(tc, the_seal_key_counts_with_a_trusted_origin);
	tcase_add_test(tc, an_event_claiming_another_keys_id_is_refused);
	tcase_add_test(tc, an_events_key_id_is_its_keys_own);
	tcase_add_test(tc, a_log_of_another_bundle_fails);
	tcase_add_test(tc, removed_reordered_or_edited_events_are_named);
	tcase_add_test(tc, reordered_events_are_named);
	tcase_add_test(tc, an_edited_event_is_named);
	tcase_add_test(tc, a_line_changed_outside_its_event_breaks_the_chain);
	tcase_add_test(tc, the_head_must_be_the_last_line);
	tcase_add_test(tc, hostile_lines_are_refused);
	tcase_add_test(tc, every_field_is_checked);
	tcase_add_test(tc, bounds_are_kept);
	tcase_add_test(tc, appending_refuses_what_would_break_the_log);
	tcase_add_test(tc, time_never_goes_backwards);
	tcase_add_test(tc, tokens_must_be_canonical_base64);
	tcase_add_test(tc, each_event_is_given_as_json);
	tcase_add_test(tc, a_line_changed_after_reading_is_refused);
	tcase_add_test(tc, a_stranger_event_in_the_future_does_not_block);
	tcase_add_test(tc, trusted_times_go_forward);
	suite_add_tcase(s, tc);
	return s;
}

