/*
 * verify.c: `custody verify`.  Loads the keys the investigator trusts,
 * runs the library's one-pass verification and prints the report an
 * auditor would write: what was checked, what was found, and a verdict.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"
#include "report.h"
#include "trust.h"

struct vargs {
	bool		 json;
	bool		 quiet;		/* --quiet: no progress line */
	const char	*report;	/* --report FILE, or NULL */
	const char	*bundle;
	uint64_t	 max_expansion;	/* 0: the library's default */
	struct trust_args trust;	/* X.509, timestamps, custody log */
};

static int
parse(struct cust_ctx *ctx, int argc, char **argv, struct vargs *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "report", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-expansion", required_argument, NULL, 'x' },
		TRUST_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "hp:q", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			a->json = true;
			break;
		case 'r':
			a->report = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'x':
			if (!expansion_ratio(optarg, &a->max_expansion))
				return warnmsg("--max-expansion: %s: not a "
				    "whole number", optarg), usage(&cmd_verify);
			break;
		case 'h':
			return help(&cmd_verify), -1;
		TRUST_CASES:
			if ((rc = trust_option(ctx, &a->trust, ch, optarg)) !=
			    EXIT_DONE)
				return rc;
			break;
		default:
			return usage(&cmd_verify);
		}
	}
	if (argc - optind != 1)
		return usage(&cmd_verify);
	a->bundle = argv[optind];
	return trust_check(&a->trust, a->bundle);
}

static void
field(const char *label, const char *value)
{
	printf("%-12s ", label);
	safe_fputs(value != NULL ? value : "(not recorded)", stdout);
	putchar('\n');
}

static const char *
trust_line(const struct cust_report *r, char *buf, size_t n)
{
	/* The ID is only ever the one derived from a key checked. */
	if (r->key_id[0] == '\0')
		return r->trusted_comment != NULL ? "(unknown: the signature "
		    "verifies with no key you gave or the bundle records)" :
		    "(no signature read)";
	snprintf(buf, n, "%s, signature %s, %s", r->key_id,
	    r->signature_valid ? "valid" : "NOT valid",
	    r->key_trusted ? (strcmp(r->trusted_by, "key ID") == 0 ?
	    "key trusted by its ID (--trusted-key-id)" :
	    "key trusted (--pubkey)") : r->x509_verified ?
	    "key not trusted by itself; the X.509 signature vouches for "
	    "the bundle" : "key NOT trusted by you");
	return buf;
}

static void
verdict_line(const struct cust_report *r)
{
	const struct cust_finding *f = r->nfindings > 0 ? &r->findings[0] :
	    NULL;

	fputs("verdict:     ", stdout);
	switch (r->verdict) {
	case CUST_AUTHENTIC:
		if (r->key_trusted)
			printf("VERIFIED: complete and unaltered, sealed by "
			    "trusted key %s\n", r->key_id);
		else {
			fputs("VERIFIED: complete and unaltered, signed by ",
			    stdout);
			safe_fputs(r->x509_subject, stdout);
			puts(" (X.509, chain to --ca)");
		}
		break;
	case CUST_UNVERIFIED:
		printf("INTACT, ORIGIN UNVERIFIED: complete and unaltered, but "
		    "sealed by key %s, which you have not said you trust "
		    "(--pubkey or --trusted-key-id)\n", r->key_id);
		break;
	default:
		printf("%s: %s check: ", r->verdict == CUST_UNREADABLE ?
		    "UNREADABLE" : "FAILED", r->failed_check ?
		    r->failed_check : "archive");
		if (f != NULL) {
			safe_fputs(f->subject, stdout);
			fputs(": ", stdout);
			safe_fputs(f->message, stdout);
		}
		putchar('\n');
	}
}

static void
human(const char *bundle, const struct cust_report *r)
{
	char buf[512];

	if (r->sha256[0] != '\0')
		snprintf(buf, sizeof(buf), "%s (%ju bytes %s, sha256 %s)",
		    bundle, (uintmax_t)r->bytes, r->sealed_sha256[0] != '\0' ?
		    "decrypted" : "read", r->sha256);
	else
		snprintf(buf, sizeof(buf), "%s (reading stopped after %ju "
		    "bytes: no sha256 of the whole)", bundle,
		    (uintmax_t)r->bytes);
	field("bundle:", buf);
	if (r->sealed_sha256[0] != '\0') {
		snprintf(buf, sizeof(buf), "CMS AuthEnvelopedData, AES-256-GCM "
		    "tag verified (%ju bytes, sha256 %s)",
		    (uintmax_t)r->sealed_bytes, r->sealed_sha256);
		field("encrypted:", buf);
	}
	field("bag:", r->bag);
	field("case:", r->case_id);
	field("evidence:", r->evidence_id);
	field("examiner:", r->examiner);
	field("location:", r->location);
	field("authority:", r->authority);
	field("host:", r->host);
	snprintf(buf, sizeof(buf), "%s to %s (host clock, UTC)",
	    r->start_utc ? r->start_utc : "?", r->end_utc ? r->end_utc : "?");
	field("acquired:", buf);
	field("tool:", r->tool);
	field("seal key:", trust_line(r, buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%ju files, %ju bytes: %ju matched, %ju "
	    "missing, %ju extra, %ju mismatched", (uintmax_t)r->payload_files,
	    (uintmax_t)r->payload_bytes, (uintmax_t)r->matched,
	    (uintmax_t)r->missing, (uintmax_t)r->extra,
	    (uintmax_t)r->mismatched);
	field("payload:", buf);
	snprintf(buf, sizeof(buf), "%ju records, %ju artefacts not collected "
	    "(see metadata/files.jsonl)", (uintmax_t)r->records,
	    (uintmax_t)r->not_collected);
	field("records:", buf);
	snprintf(buf, sizeof(buf), "%ju events", (uintmax_t)r->custody_events);
	field("custody:", buf);
	trust_report(r);
	if (r->nfindings > 0)
		printf("findings:    %zu%s (also on standard error)\n",
		    r->nfindings, r->more_findings ? " and more" : "");
	verdict_line(r);
}

static int
report(const struct vargs *a, const struct cust_report *r)
{
	char *json;

	trust_findings(r);
	if (a->json) {
		if ((json = cust_report_json(r)) == NULL)
			return warnmsg("out of memory"), EXIT_FATAL;
		puts(json);
		free(json);
	} else
		human(a->bundle, r);
	if (fflush(stdout) != 0 || ferror(stdout))
		return warnmsg("standard output: %s", strerror(errno)),
		    EXIT_FATAL;
	return trust_exit(r);
}

static int
run(int argc, char **argv)
{
	struct cust_verify_opts o;
	struct cust_report *r = NULL;
	struct cust_ctx *ctx;
	struct progress prog;
	struct vargs a;
	int rc, fd = -1;

	memset(&a, 0, sizeof(a));
	a.trust.cmd = &cmd_verify;
	a.trust.logfd = -1;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if ((rc = parse(ctx, argc, argv, &a)) != EXIT_DONE) {
		rc = rc < 0 ? EXIT_DONE : rc;
		goto out;
	}
	fd = strcmp(a.bundle, "-") == 0 ? STDIN_FILENO :
	    open(a.bundle, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnmsg("%s: %s", a.bundle, strerror(errno));
		rc = EXIT_FATAL;
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.fd = fd;
	o.name = strcmp(a.bundle, "-") == 0 ? "standard input" : a.bundle;
	o.max_expansion = a.max_expansion;
	o.tmpdir = getenv("TMPDIR");	/* for many payload names */
	trust_opts(&a.trust, &o);
	if ((rc = trust_open(&a.trust, a.bundle, &o)) != EXIT_DONE ||
	    (rc = sealed_open(ctx, &a.trust.sealed, &o.fd, o.name)) !=
	    EXIT_DONE)
		goto out;
	if (a.trust.sealed.is_sealed && a.trust.sealed.u == NULL) {
		rc = sealed_unchecked(ctx, fd, a.bundle, o.log_fd, o.log_name);
		goto out;
	}
	o.unseal = a.trust.sealed.u;
	progress_start(&prog, a.quiet, "members");
	o.progress = progress_update;
	o.progress_arg = &prog;
	rc = cust_verify(ctx, &o, &r);
	progress_clear(&prog);
	if (rc != CUST_OK) {
		warnctx(ctx);
		rc = EXIT_FATAL;
		goto out;
	}
	rc = report(&a, r);
	if (a.report != NULL) {
		struct report_in in = { .bundle = a.bundle, .r = r,
		    .trust = &a.trust, .log = a.trust.logfd >= 0 ?
		    a.trust.logname : NULL };

		if (report_write(a.report, &in) != EXIT_DONE)
			rc = EXIT_FATAL;
	}
out:
	if (fd > STDIN_FILENO)
		close(fd);
	cust_report_free(r);
	trust_close(&a.trust);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	TRUST_KEY_HELP,
	{ "--json", "print the report as JSON" },
	{ "-q, --quiet", "no progress line on standard error (there is one "
	    "only when it is a terminal)" },
	{ "--report FILE", "also write a report to attach, with the stock "
	    "commands that redo each check: HTML for FILE.html, else text" },
	TRUST_EXPANSION_HELP,
	{ "--ca FILE", "check the X.509 signature against these CA "
	    "certificates (PEM); one verified makes the origin trusted, and "
	    "without one the bundle fails" },
	{ "--x509-eku OID", "the extended key usage a signer under --ca "
	    "needs (repeatable; default: documentSigning or emailProtection)" },
	{ "--crl FILE", "check the signer's chain for revocation against "
	    "these CRLs (PEM or DER; repeatable)" },
	{ "--tsa-ca FILE", "check RFC 3161 tokens against these TSA CA "
	    "certificates (PEM); without it, tokens are unchecked" },
	{ "--require-cms", "fail without an X.509 signature verified by "
	    "--ca" },
	{ "--require-timestamp", "fail without a token verified by --tsa-ca "
	    "(in the bundle or its custody log)" },
	{ "--log FILE", "the custody log (default: BUNDLE.custody, if "
	    "there)" },
	{ "--log-head HEX", "the custody log must end with the event of this "
	    "head digest (custody transfer prints it)" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_verify = {
	.name = "verify",
	.run = run,
	.synopsis = "[--pubkey FILE]... [--trusted-key-id ID]... [--json] "
	    "[--report FILE] [--quiet] "
	    "[--max-expansion RATIO] [--ca FILE] [--tsa-ca FILE] "
	    "[--x509-eku OID]... [--crl FILE]... [--require-cms] "
	    "[--require-timestamp] [--log FILE] [--log-head HEX] "
	    "[--identity KEY.pem]... BUNDLE",
	.summary = "prove a bundle complete, unaltered and sealed by a "
	    "trusted key",
	.options = options,
	.notes = "BUNDLE is a .tar or .tar.zst file, a confidential "
	    ".p7m, or - for standard input.\nExit status: 0 verified and "
	    "authentic, 1 failed, 2 usage, 3 could not read, 4 intact but "
	    "origin unverified (or encrypted, and not decrypted).",
};
