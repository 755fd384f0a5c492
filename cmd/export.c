/*
 * export.c: `custody export`.  Verifies the bundle first, as custody
 * verify would with the same options (as extract does), and writes its
 * records in a format other tools read (bodyfile, csv, hashdeep, case)
 * only when verify would accept it (exit 0 or 4); --force exports a
 * bundle that failed, said on standard error and in the output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "trust.h"

enum { OPT_FORCE = 0x400, OPT_EXPANSION, OPT_FORMAT };

struct eargs {
	const char	*bundle;
	const char	*output;	/* -o; NULL: standard output */
	enum cust_export_format format;
	bool		 has_format;
	uint64_t	 ratio;		/* --max-expansion; 0: the default */
	bool		 force;
	struct trust_args trust;
};

static int
parse(struct cust_ctx *ctx, int argc, char **argv, struct eargs *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "max-expansion", required_argument, NULL, OPT_EXPANSION },
		TRUST_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "f:ho:p:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (!cust_export_format_of(optarg, &a->format))
				return warnmsg("--format: %s: not bodyfile, "
				    "csv, hashdeep or case", optarg),
				    EXIT_USAGE;
			a->has_format = true;
			break;
		case 'o':
			a->output = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_EXPANSION:
			if (!expansion_ratio(optarg, &a->ratio))
				return warnmsg("--max-expansion: %s: not a "
				    "whole number", optarg), EXIT_USAGE;
			break;
		case 'h':
			return help(&cmd_export), -1;
		TRUST_CASES:
			if ((rc = trust_option(ctx, &a->trust, ch, optarg)) !=
			    EXIT_DONE)
				return rc;
			break;
		default:
			return usage(&cmd_export);
		}
	}
	if (argc - optind != 1 || !a->has_format)
		return usage(&cmd_export);
	a->bundle = argv[optind];
	return trust_check(&a->trust, a->bundle);
}

/* Write the export of FD, verified as R says, to the output. */
static int
export(struct cust_ctx *ctx, struct eargs *a, int fd,
    const struct cust_report *r)
{
	struct cust_export_opts o;
	FILE *out = stdout;
	int er, rc;

	memset(&o, 0, sizeof(o));
	o.fd = fd;
	o.name = a->bundle;
	o.max_expansion = a->ratio;
	o.format = a->format;
	o.report = r;
	o.log_fd = a->trust.logfd;
	/* The CASE Tool's SHA-256; without it, the Tool has none. */
	o.tool_fd = a->format == CUST_EXPORT_CASE ? open("/proc/self/exe",
	    O_RDONLY | O_CLOEXEC) : -1;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return warnmsg("%s: %s", a->bundle, strerror(errno)),
		    EXIT_FATAL;
	/* A confidential bundle is decrypted again: what is exported must
	 * be the clear bytes verify accepted, which the digest checks. */
	if (a->trust.sealed.is_sealed && (rc = sealed_open(ctx,
	    &a->trust.sealed, &o.fd, a->bundle)) != EXIT_DONE)
		return rc;
	if (a->output != NULL && (out = fopen(a->output, "wx")) == NULL)
		return warnmsg("%s: %s", a->output, strerror(errno)),
		    EXIT_FATAL;
	o.out = out;
	er = cust_export(ctx, &o);
	if (o.tool_fd >= 0)
		close(o.tool_fd);
	if (er != CUST_OK)
		warnctx(ctx);
	if (out != stdout && fclose(out) != 0 && er == CUST_OK)
		er = CUST_FATAL, warnmsg("%s: %s", a->output, strerror(errno));
	if (sealed_end(ctx, &a->trust.sealed) != EXIT_DONE && er == CUST_OK)
		er = CUST_FAILED;
	/* A partial export is not left to be taken for a whole one. */
	if (er != CUST_OK && a->output != NULL)
		unlink(a->output);
	if (er != CUST_OK)
		return er == CUST_FAILED ? EXIT_BAD : EXIT_FATAL;
	return r->verdict == CUST_AUTHENTIC || r->verdict == CUST_UNVERIFIED ?
	    trust_exit(r) : EXIT_BAD;
}

static int
verify_then_export(struct cust_ctx *ctx, struct eargs *a, int fd)
{
	struct cust_report *r;
	const char *check;
	int rc;

	if ((rc = trust_verify_first(ctx, &a->trust, fd, a->bundle, a->bundle,
	    a->ratio, "not exported", &r)) != EXIT_DONE)
		return rc;
	check = r->failed_check != NULL ? r->failed_check : "archive";
	if (r->verdict == CUST_AUTHENTIC || r->verdict == CUST_UNVERIFIED)
		rc = export(ctx, a, fd, r);
	else if (a->force) {
		warnmsg("warning: --force: exporting %s, which FAILED "
		    "verification (%s check); the output says so", a->bundle,
		    check);
		rc = export(ctx, a, fd, r);
	} else {
		warnmsg("%s: not exported: it failed verification (%s check); "
		    "nothing was written (--force exports it anyway)",
		    a->bundle, check);
		rc = trust_exit(r);
	}
	cust_report_free(r);
	return rc;
}

static int
run(int argc, char **argv)
{
	struct cust_ctx *ctx;
	struct eargs a;
	struct stat st;
	int rc, fd = -1;

	memset(&a, 0, sizeof(a));
	a.trust.cmd = &cmd_export;
	a.trust.logfd = -1;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if ((rc = parse(ctx, argc, argv, &a)) != EXIT_DONE) {
		rc = rc < 0 ? EXIT_DONE : rc;
		goto out;
	}
	rc = EXIT_FATAL;
	if ((fd = open(a.bundle, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		warnmsg("%s: %s", a.bundle, strerror(errno));
		goto out;
	}
	/* It is read twice, to verify and to export. */
	if (!S_ISREG(st.st_mode)) {
		warnmsg("%s: not a regular file (export reads it twice)",
		    a.bundle);
		goto out;
	}
	rc = verify_then_export(ctx, &a, fd);
	if (fflush(stdout) != 0)
		rc = EXIT_FATAL;
out:
	if (fd >= 0)
		close(fd);
	trust_close(&a.trust);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "-f, --format F", "bodyfile, csv, hashdeep or case (CASE/UCO "
	    "JSON-LD)" },
	{ "-o, --output FILE", "write to FILE, which must not exist "
	    "(default: standard output)" },
	{ "--force", "export even a bundle that fails verification (said on "
	    "standard error and in the output)" },
	TRUST_KEY_HELP,
	TRUST_EXPANSION_HELP,
	{ "--ca FILE, --tsa-ca FILE, --x509-eku OID, --crl FILE, "
	    "--require-cms, --require-timestamp, --log FILE, --log-head HEX",
	    "as for custody verify" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_export = {
	.name = "export",
	.run = run,
	.synopsis = "-f bodyfile|csv|hashdeep|case [-o FILE] [--force] "
	    "[--pubkey FILE]... [--trusted-key-id ID]... "
	    "[--max-expansion RATIO] [--ca FILE] [--tsa-ca FILE] "
	    "[--x509-eku OID]... [--crl FILE]... [--require-cms] "
	    "[--require-timestamp] [--log FILE] [--log-head HEX] BUNDLE",
	.summary = "verify a bundle, then write its records for other tools",
	.options = options,
	.notes = "BUNDLE is a .tar or .tar.zst file.  It is verified first, "
	    "as custody verify would with the same options, and nothing is "
	    "written unless verify would accept it (exit 0 or 4), or --force "
	    "is given.  custody(1) describes each format.\nExit status: 0 "
	    "verified and exported, 1 refused (nothing written), or exported "
	    "with --force, 2 usage, 3 could not read or write, 4 exported, "
	    "intact but origin unverified.",
};
