/*
 * trust.c: what the investigator trusts, for `custody verify` and for
 * `custody extract`, which verifies first: the public keys and key IDs,
 * the CAs for X.509 signatures and time-stamp authorities, what they
 * require, the custody log and where it ends; and the lines of the report
 * that tell of them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "trust.h"

static int
castore(struct cust_ctx *ctx, const struct trust_args *t,
    struct cust_castore **sp, const char *opt, const char *path)
{
	if (*sp != NULL)
		return warnmsg("%s: given twice", opt), usage(t->cmd);
	if (cust_castore_load(ctx, path, sp) != CUST_OK)
		return warnctx(ctx), EXIT_USAGE;
	return EXIT_DONE;
}

/* --x509-eku OID or --crl FILE, into the policy made at the first. */
static int
policy(struct cust_ctx *ctx, struct trust_args *t, int ch, const char *arg)
{
	int r;

	if (t->policy == NULL &&
	    cust_x509_policy_new(ctx, &t->policy) != CUST_OK)
		return warnctx(ctx), EXIT_FATAL;
	if (ch == TRUST_X509_EKU) {
		t->has_eku = true;
		r = cust_x509_policy_eku(ctx, t->policy, arg);
	} else {
		t->has_crl = true;
		r = cust_x509_policy_crl(ctx, t->policy, arg);
	}
	if (r == CUST_FATAL)
		return warnctx(ctx), EXIT_FATAL;
	if (r != CUST_OK)
		return warnmsg("%s: %s", ch == TRUST_CRL ? "--crl" :
		    "--x509-eku", cust_ctx_error(ctx)), EXIT_USAGE;
	return EXIT_DONE;
}

/*
 * --pubkey FILE.  A key file whose minisign key ID is not the ID of its
 * key (custody never makes one) would name one key and be another: it is
 * refused, so that every ID printed is the key's own.
 */
static int
pubkey(struct cust_ctx *ctx, struct trust_args *t, const char *path)
{
	struct cust_key *k;

	if (t->nkeys == TRUST_MAX_KEYS)
		return warnmsg("--pubkey: at most %d keys", TRUST_MAX_KEYS),
		    usage(t->cmd);
	if (cust_key_load_public(ctx, path, &k) != CUST_OK)
		return warnctx(ctx), EXIT_USAGE;
	if (cust_key_check_own_id(ctx, k, path) != CUST_OK) {
		cust_key_free(k);
		return warnctx(ctx), EXIT_USAGE;
	}
	t->key_paths[t->nkeys] = path;
	t->keys[t->nkeys++] = k;
	return EXIT_DONE;
}

static int
keyid(struct trust_args *t, const char *s)
{
	if (t->nids == TRUST_MAX_KEYS || strlen(s) != CUST_KEYID_HEXLEN ||
	    strspn(s, "0123456789abcdefABCDEF") != CUST_KEYID_HEXLEN)
		return warnmsg("--trusted-key-id: %s: not a 16-digit key ID",
		    s), usage(t->cmd);
	t->ids[t->nids++] = s;
	return EXIT_DONE;
}

int
trust_option(struct cust_ctx *ctx, struct trust_args *t, int ch,
    const char *arg)
{
	switch (ch) {
	case TRUST_X509_EKU:
	case TRUST_CRL:
		return policy(ctx, t, ch, arg);
	case TRUST_PUBKEY:
		return pubkey(ctx, t, arg);
	case TRUST_KEY_ID:
		return keyid(t, arg);
	case TRUST_CA:
		t->ca_path = arg;
		return castore(ctx, t, &t->ca, "--ca", arg);
	case TRUST_TSA_CA:
		t->tsa_ca_path = arg;
		return castore(ctx, t, &t->tsa_ca, "--tsa-ca", arg);
	case TRUST_REQUIRE_TS:
		t->require_ts = true;
		return EXIT_DONE;
	case TRUST_REQUIRE_CMS:
		t->require_cms = true;
		return EXIT_DONE;
	case TRUST_LOG:
		t->log = arg;
		return EXIT_DONE;
	case TRUST_IDENTITY:
		return sealed_identity(ctx, &t->sealed, arg);
	default:
		if (strlen(arg) != 64 ||
		    strspn(arg, "0123456789abcdefABCDEF") != 64)
			return warnmsg("--log-head: %s: not 64 hex digits (a "
			    "SHA-256)", arg), usage(t->cmd);
		for (size_t i = 0; i < 64; i++)
			t->head[i] = arg[i] >= 'A' && arg[i] <= 'F' ?
			    (char)(arg[i] - 'A' + 'a') : arg[i];
		t->head[64] = '\0';
		t->has_head = true;
		return EXIT_DONE;
	}
}

bool
expansion_ratio(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v == 0 ? UINT64_MAX : (uint64_t)v;
	return true;
}

int
trust_check(const struct trust_args *t, const char *bundle)
{
	if (t->require_ts && t->tsa_ca == NULL)
		return warnmsg("--require-timestamp: needs --tsa-ca, the CA "
		    "that the TSA's certificate must chain to"),
		    usage(t->cmd);
	if ((t->has_eku || t->has_crl) && t->ca == NULL)
		return warnmsg("%s: needs --ca, the CA that the signer's "
		    "certificate must chain to", t->has_eku ? "--x509-eku" :
		    "--crl"), usage(t->cmd);
	if (t->require_cms && t->ca == NULL)
		return warnmsg("--require-cms: needs --ca, the CA that the "
		    "signer's certificate must chain to"), usage(t->cmd);
	if (t->has_head && t->log == NULL && strcmp(bundle, "-") == 0)
		return warnmsg("--log-head: needs --log when the bundle is "
		    "read from standard input"), usage(t->cmd);
	return EXIT_DONE;
}

/* The custody log: --log FILE, or BUNDLE.custody when there is one. */
int
trust_open(struct trust_args *t, const char *bundle,
    struct cust_verify_opts *o)
{
	struct stat st;

	t->logfd = -1;
	if (t->log == NULL && strcmp(bundle, "-") == 0)
		return EXIT_DONE;
	if (t->log != NULL)
		t->logname = strdup(t->log);
	else if (asprintf(&t->logname, "%s.custody", bundle) < 0)
		t->logname = NULL;
	if (t->logname == NULL)
		return warnmsg("out of memory"), EXIT_FATAL;
	t->logfd = open(t->logname, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (t->logfd < 0 && errno == ENOENT && t->log == NULL)
		return EXIT_DONE;
	if (t->logfd < 0 || fstat(t->logfd, &st) != 0)
		return warnmsg("%s: %s", t->logname, strerror(errno)),
		    EXIT_FATAL;
	/* Refused here, at once, as an unreadable log is. */
	if (!S_ISREG(st.st_mode))
		return warnmsg("%s: not a regular file", t->logname),
		    EXIT_FATAL;
	o->log_fd = t->logfd;
	o->log_name = t->logname;
	return EXIT_DONE;
}

int
trust_exit(const struct cust_report *r)
{
	switch (r->verdict) {
	case CUST_AUTHENTIC: return EXIT_DONE;
	case CUST_UNVERIFIED: return EXIT_UNVERIFIED;
	case CUST_BROKEN: return EXIT_BAD;
	default: return EXIT_FATAL;
	}
}

void
trust_opts(const struct trust_args *t, struct cust_verify_opts *o)
{
	o->keys = (const struct cust_key *const *)t->keys;
	o->nkeys = t->nkeys;
	o->key_ids = t->ids;
	o->nkey_ids = t->nids;
	o->ca = t->ca;
	o->tsa_ca = t->tsa_ca;
	o->x509_policy = t->policy;
	o->require_timestamp = t->require_ts;
	o->require_cms = t->require_cms;
	o->log_head = t->has_head ? t->head : NULL;
}

void
trust_close(struct trust_args *t)
{
	if (t->logfd >= 0)
		close(t->logfd);
	free(t->logname);
	for (size_t i = 0; i < t->nkeys; i++)
		cust_key_free(t->keys[i]);
	sealed_close(&t->sealed);
	cust_castore_free(t->ca);
	cust_castore_free(t->tsa_ca);
	cust_x509_policy_free(t->policy);
}

/* ------------------------------------------------------------- report */

static void
label(const char *l)
{
	printf("%-12s ", l);
}

static void
x509_line(const struct cust_report *r)
{
	label("x509:");
	if (!r->x509_present) {
		puts("none");
		return;
	}
	if (r->x509_refused) {
		puts("signatures/tagmanifest-sha512.txt.p7s: REFUSED (see the "
		    "findings)");
		return;
	}
	safe_fputs(r->x509_subject != NULL ? r->x509_subject : "?", stdout);
	if (r->x509_verified) {
		fputs(": signature valid, chain to --ca verified at ", stdout);
		safe_fputs(r->x509_checked_at, stdout);
		printf(" (%s); revocation %s\n", r->x509_checked_by,
		    r->x509_revocation_checked ? "checked (--crl)" :
		    "NOT checked (no --crl)");
	} else
		puts(": signature valid, NOT checked against a CA you trust "
		    "(no --ca)");
}

static void
stamp_line(const struct cust_stamp *s, bool first)
{
	label(first ? "timestamp:" : "");
	safe_fputs(s->where, stdout);
	fputs(": genTime ", stdout);
	safe_fputs(s->gen_time != NULL ? s->gen_time : "?", stdout);
	fputs(" by ", stdout);
	safe_fputs(s->tsa != NULL ? s->tsa : "(TSA not named)", stdout);
	fputs(s->verified ? ", verified (--tsa-ca)" :
	    ", UNCHECKED (no --tsa-ca): not trusted", stdout);
	if (s->offset_known)
		printf("; %+jd s from the host clock's end",
		    (intmax_t)s->offset);
	putchar('\n');
}

static void
log_line(const struct cust_report *r)
{
	label("custody log:");
	if (r->log_name == NULL) {
		puts("none");
		return;
	}
	safe_fputs(r->log_name, stdout);
	printf(": %ju event%s, head %s; %ju signed by keys you trust, %ju by "
	    "others\n", (uintmax_t)r->log_events, r->log_events == 1 ? "" :
	    "s", r->log_head[0] ? r->log_head : "(none)",
	    (uintmax_t)r->log_trusted, (uintmax_t)r->log_unverified);
}

void
trust_report(const struct cust_report *r)
{
	x509_line(r);
	if (r->nstamps == 0) {
		label("timestamp:");
		puts("none");
	}
	for (size_t i = 0; i < r->nstamps; i++)
		stamp_line(&r->stamps[i], i == 0);
	log_line(r);
	if (r->nwarnings > 0)
		printf("warnings:    %zu (also on standard error)\n",
		    r->nwarnings);
}

/* One finding a line (stderr is line-buffered: see custody.c). */
void
trust_findings(const struct cust_report *r)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		fflush(stdout);
		fputs("custody: ", stderr);
		safe_fputs(r->findings[i].subject, stderr);
		fputs(": ", stderr);
		safe_fputs(r->findings[i].message, stderr);
		fputc('\n', stderr);
	}
	if (r->more_findings > 0)
		warnmsg("%ju more findings not shown",
		    (uintmax_t)r->more_findings);
	trust_warnings(r);
}

int
trust_verify_first(struct cust_ctx *ctx, struct trust_args *t, int fd,
    const char *bundle, const char *shown, uint64_t ratio,
    const char *undone, struct cust_report **rp)
{
	struct cust_verify_opts o;
	struct sealed *sd = &t->sealed;
	int rc;

	*rp = NULL;
	memset(&o, 0, sizeof(o));
	o.fd = fd;
	o.name = shown;
	o.max_expansion = ratio;
	o.tmpdir = getenv("TMPDIR");	/* for many payload names */
	trust_opts(t, &o);
	if ((rc = trust_open(t, bundle, &o)) != EXIT_DONE ||
	    (rc = sealed_open(ctx, sd, &o.fd, shown)) != EXIT_DONE)
		return rc;
	if (sd->is_sealed && sd->u == NULL)
		return warnmsg("%s: %s: it is encrypted, and no --identity was "
		    "given; nothing was written", shown, undone), EXIT_BAD;
	o.unseal = sd->u;
	rc = cust_verify(ctx, &o, rp);
	/* The first pass's envelope is done with; the second opens its
	 * own. */
	cust_unseal_free(sd->u);
	sd->u = NULL;
	if (rc != CUST_OK)
		return warnctx(ctx), EXIT_FATAL;
	trust_findings(*rp);
	return EXIT_DONE;
}

void
trust_warnings(const struct cust_report *r)
{
	for (size_t i = 0; i < r->nwarnings; i++) {
		fflush(stdout);
		fputs("custody: warning: ", stderr);
		safe_fputs(r->warnings[i], stderr);
		fputc('\n', stderr);
	}
}
