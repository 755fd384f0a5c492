/*
 * test-stamps.c: the verifier's timestamp and X.509 checks (stamps.c),
 * driven on a verifier state made by hand: a signature file, tokens made
 * by OpenSSL's TSA code at chosen genTimes, and an acquisition record
 * whose host clock ended when the test says.  genTime before that end is a
 * failure (once the token is verified), far after it a warning.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "custodylog/custodylog.h"
#include "trust/pki.h"
#include "testpki.h"
#include "verify/verify.h"
#include "harness.h"

static char sigbytes[] = "untrusted comment: the bundle's signature\n";

static struct cust_ctx *ctx;
static EVP_PKEY *cakey, *tsakey;
static X509 *cacert, *tsacert;
static struct cust_castore *ca;
static struct cust_verify_opts o;
static struct cust_report *rep;
static struct ver v;
static json_t *acq;
static time_t end;
static struct cust_key *logkey;	/* signs the log's events */
static int logfd = -1;		/* the log, read again on demand */

static void
setup(void)
{
	struct timespec ts;
	char text[CUST_TIMELEN], *path;

	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	cakey = tk_ec("P-256");
	cacert = tk_cert("Root", NULL, cakey, NULL, NULL, -86400 * 30,
	    86400 * 30, 1, tk_ca_exts);
	tsakey = tk_ec("P-256");
	tsacert = tk_cert("TSA", NULL, tsakey, cacert, cakey, -86400 * 30,
	    86400 * 30, 2, tk_tsa_exts);
	path = tk_pem(scratch, "ca.pem", &cacert, 1, NULL);
	ck_assert_int_eq(cust_castore_load(ctx, path, &ca), CUST_OK);
	free(path);
	end = time(NULL) - 86400;
	ts.tv_sec = end;
	ts.tv_nsec = 500000000;
	cust_time_utc(&ts, text);
	ck_assert_ptr_nonnull(acq = json_pack("{s:{s:s}}", "clock",
	    "end_utc", text));
	memset(&o, 0, sizeof(o));
	o.name = "b.tar";
	o.tsa_ca = ca;
	ck_assert_ptr_nonnull(rep = calloc(1, sizeof(*rep)));
	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.o = &o;
	v.rep = rep;
	v.sig.p = sigbytes;
	v.sig.n = strlen(sigbytes);
}

static void
teardown(void)
{
	free(v.tsr.p);
	free(v.p7s.p);
	cust_log_free(v.log);
	if (logfd != -1)
		close(logfd);
	logfd = -1;
	cust_key_free(logkey);
	logkey = NULL;
	cust_report_free(rep);
	json_decref(acq);
	cust_castore_free(ca);
	X509_free(cacert);
	X509_free(tsacert);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(tsakey);
	cust_ctx_free(ctx);
	scratch_remove();
}

/* The bundle's token over the signature file, at GEN. */
static void
token_at(time_t gen)
{
	size_t n;

	v.tsr.p = (char *)tk_token(tsacert, tsakey, sigbytes,
	    strlen(sigbytes), gen, &n);
	v.tsr.n = n;
}

static const char *
finding(void)
{
	if (rep->nfindings == 0)
		return "";
	ck_assert_str_eq(rep->findings[0].check, "timestamp");
	return rep->findings[0].message;
}

START_TEST(a_token_just_after_the_end_passes)
{
	token_at(end + 3);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
	ck_assert_uint_eq(rep->nwarnings, 0);
	ck_assert_uint_eq(rep->nstamps, 1);
	ck_assert(rep->stamps[0].verified);
	ck_assert(rep->stamps[0].offset_known);
	ck_assert_int_eq(rep->stamps[0].offset, 3);
	ck_assert_str_eq(rep->stamps[0].where, CUST_TSR_MEMBER);
	ck_assert_str_eq(rep->stamps[0].over, CUST_SIG_MEMBER);
	ck_assert_str_eq(rep->stamps[0].tsa, "CN=TSA");
}
END_TEST

/* genTime has whole seconds; the end has nanoseconds: allow that. */
START_TEST(the_same_second_passes)
{
	token_at(end - 1);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
}
END_TEST

START_TEST(a_token_long_after_the_end_warns)
{
	token_at(end + 3600);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
	ck_assert_uint_eq(rep->nwarnings, 1);
	ck_assert_msg(strstr(rep->warnings[0], CUST_TSR_MEMBER ": genTime ") ==
	    rep->warnings[0], "%s", rep->warnings[0]);
	ck_assert_msg(strstr(rep->warnings[0], " is 3600 s after the "
	    "acquisition's end by the host clock: the host clock was slow, or "
	    "the TSA answered late") != NULL, "%s", rep->warnings[0]);
}
END_TEST

START_TEST(a_token_before_the_end_fails)
{
	token_at(end - 3600);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_msg(strstr(finding(), " is 3600 s before the acquisition's "
	    "end by the host clock (") != NULL, "%s", finding());
	ck_assert_str_eq(rep->findings[0].subject, CUST_TSR_MEMBER);
}
END_TEST

/* Unverified, genTime is a claim: reported, never a verdict. */
START_TEST(an_unchecked_token_is_not_judged)
{
	o.tsa_ca = NULL;
	token_at(end - 3600);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
	ck_assert(!rep->stamps[0].verified);
	ck_assert_int_eq(rep->stamps[0].offset, -3600);
	ck_assert_uint_eq(rep->nwarnings, 1);
}
END_TEST

START_TEST(require_timestamp_needs_a_verified_token)
{
	o.require_timestamp = true;
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "no token verified against --tsa-ca, in "
	    "the bundle or its custody log (--require-timestamp)");
	cust_report_free(rep);
	ck_assert_ptr_nonnull(v.rep = rep = calloc(1, sizeof(*rep)));
	token_at(end + 1);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
}
END_TEST

START_TEST(a_token_over_other_data_fails)
{
	size_t n;

	v.tsr.p = (char *)tk_token(tsacert, tsakey, "other", 5, end + 1, &n);
	v.tsr.n = n;
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "token: the imprint is not the SHA-256 "
	    "of this signature file: the token covers other data");
}
END_TEST

/* A log whose event 1 holds TOKEN (base64) over OVER, signed by a key
 * the investigator trusts when TRUSTED. */
static void
log_with(const char *over, const char *b64, bool trusted)
{
	struct cust_event ev = { .type = "note", .key = NULL };
	struct cust_bundle_ref ref;
	json_t *extra;
	char head[65];

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.bag, sizeof(ref.bag), "B");
	memset(ref.tagmanifest_sha512, 'a', 128);
	ck_assert_int_eq(cust_key_generate(ctx, &logkey), CUST_OK);
	ev.key = logkey;
	if (trusted) {
		o.keys = (const struct cust_key *const *)&logkey;
		o.nkeys = 1;
	}
	ck_assert_int_ge(logfd = memfd_create("log", 0), 0);
	ck_assert_int_eq(cust_log_append(ctx, logfd, "b.tar.custody", &ref,
	    &ev, head), CUST_OK);
	extra = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "tokens", "over",
	    over, "tsa", "http://t/", "gen_time", "x", "token", b64);
	ev.type = "timestamped";
	ck_assert_int_eq(cust_log_write(ctx, logfd, "b.tar.custody", NULL, &ev,
	    extra, head), CUST_OK);
	json_decref(extra);
	ck_assert_int_eq(cust_log_read(ctx, logfd, "b.tar.custody", &v.log),
	    CUST_OK);
}

START_TEST(a_token_in_the_log_counts)
{
	unsigned char *der;
	char *b64;
	size_t n;

	der = tk_token(tsacert, tsakey, sigbytes, strlen(sigbytes),
	    end + 86400 * 3, &n);
	ck_assert_ptr_nonnull(b64 = malloc(4 * (n + 2) / 3 + 4));
	EVP_EncodeBlock((unsigned char *)b64, der, (int)n);
	/* Carried by an event of a key not trusted: the TSA's signature is
	 * the evidence, and it counts. */
	log_with(CUST_SIG_MEMBER, b64, false);
	o.require_timestamp = true;
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
	ck_assert_uint_eq(rep->nstamps, 1);
	ck_assert_msg(strncmp(rep->stamps[0].where, "custody log event 1 (by "
	    "key ", 25) == 0, "%s", rep->stamps[0].where);
	ck_assert(rep->stamps[0].verified);
	/* Taken later on purpose: a large offset is no warning here. */
	ck_assert_uint_eq(rep->nwarnings, 0);
	free(b64);
	free(der);
}
END_TEST

START_TEST(a_log_token_over_a_missing_p7s_fails)
{
	log_with(CUST_P7S_MEMBER, "AAAA", true);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "covers " CUST_P7S_MEMBER ", which the "
	    "bundle does not hold");
	ck_assert_str_eq(rep->findings[0].subject, "custody log event 1");
}
END_TEST

/* The same token in an event of a key not trusted: anyone could have
 * written it, so it is a warning, never a failure. */
START_TEST(a_bad_token_of_a_key_not_trusted_warns)
{
	unsigned char *der;
	char *b64;
	size_t n;

	log_with(CUST_P7S_MEMBER, "AAAA", false);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
	ck_assert_uint_eq(rep->nwarnings, 1);
	ck_assert_msg(strstr(rep->warnings[0], ", not trusted): covers "
	    CUST_P7S_MEMBER ", which the bundle does not hold") != NULL, "%s",
	    rep->warnings[0]);
	cust_log_free(v.log);
	v.log = NULL;
	close(logfd);
	cust_key_free(logkey);
	/* A token over other data, from a TSA under --tsa-ca. */
	der = tk_token(tsacert, tsakey, "other", 5, end + 60, &n);
	ck_assert_ptr_nonnull(b64 = malloc(4 * (n + 2) / 3 + 4));
	EVP_EncodeBlock((unsigned char *)b64, der, (int)n);
	log_with(CUST_SIG_MEMBER, b64, false);
	ck_assert_int_eq(ver_stamps(&v, acq), CUST_OK);
	ck_assert_str_eq(finding(), "");
	ck_assert_uint_eq(rep->nwarnings, 2);
	ck_assert_uint_eq(rep->nstamps, 0);
	free(b64);
	free(der);
}
END_TEST

START_TEST(ca_or_require_cms_need_a_p7s)
{
	o.ca = ca;
	ck_assert_int_eq(ver_x509(&v, acq), CUST_OK);
	ck_assert_uint_eq(rep->nfindings, 1);
	ck_assert_str_eq(rep->findings[0].check, "signature");
	ck_assert_str_eq(rep->findings[0].message, "no X.509 signature in the "
	    "bundle, and --ca asks for one");
	cust_report_free(rep);
	ck_assert_ptr_nonnull(v.rep = rep = calloc(1, sizeof(*rep)));
	o.ca = NULL;
	ck_assert_int_eq(ver_x509(&v, acq), CUST_OK);
	ck_assert_uint_eq(rep->nfindings, 0);
	ck_assert(!rep->x509_present);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("stamps");
	TCase *tc = tcase_create("stamps");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_token_just_after_the_end_passes);
	tcase_add_test(tc, the_same_second_passes);
	tcase_add_test(tc, a_token_long_after_the_end_warns);
	tcase_add_test(tc, a_token_before_the_end_fails);
	tcase_add_test(tc, an_unchecked_token_is_not_judged);
	tcase_add_test(tc, require_timestamp_needs_a_verified_token);
	tcase_add_test(tc, a_token_over_other_data_fails);
	tcase_add_test(tc, a_token_in_the_log_counts);
	tcase_add_test(tc, a_log_token_over_a_missing_p7s_fails);
	tcase_add_test(tc, a_bad_token_of_a_key_not_trusted_warns);
	tcase_add_test(tc, ca_or_require_cms_need_a_p7s);
	suite_add_tcase(s, tc);
	return s;
}

