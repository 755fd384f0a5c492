/*
 * extract.c: `custody extract`.  Verifies the bundle first, as custody
 * verify would with the same options, and copies its bag out into a
 * directory only when verify would accept it (exit 0 or 4), so that stock
 * tools (sha256sum -c, minisign -V, openssl) can check it; the library
 * refuses whatever could write outside the directory.  --force extracts a
 * bundle that failed, and says so on standard error and in the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "trust.h"

enum { OPT_FORCE = 0x400, OPT_EXPANSION };

struct xargs {
	const char	*dir;		/* -C */
	const char	*bundle;
	const char	*shown;		/* the bundle, in messages */
	uint64_t	 ratio;		/* --max-expansion; 0: the default */
	bool		 force;
	struct trust_args trust;
};

static int
parse(struct cust_ctx *ctx, int argc, char **argv, struct xargs *a)
{
	static const struct option opts[] = {
		{ "directory", required_argument, NULL, 'C' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "max-expansion", required_argument, NULL, OPT_EXPANSION },
		TRUST_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "C:hp:", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			a->dir = optarg;
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
			return help(&cmd_extract), -1;
		TRUST_CASES:
			if ((rc = trust_option(ctx, &a->trust, ch, optarg)) !=
			    EXIT_DONE)
				return rc;
			break;
		default:
			return usage(&cmd_extract);
		}
	}
	if (argc - optind != 1)
		return usage(&cmd_extract);
	a->bundle = argv[optind];
	a->shown = strcmp(a->bundle, "-") == 0 ? "standard input" : a->bundle;
	return trust_check(&a->trust, a->bundle);
}

static bool
writeall(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * The bundle is read twice, to verify and then to extract: a pipe is
 * first copied to an unnamed file in DIR (O_TMPFILE), which goes when it
 * is closed.  The new descriptor, or -1 (said on stderr).
 */
static int
spool(int in, int dfd, const char *dir)
{
	char buf[65536];
	ssize_t n;
	int fd;

	if ((fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
		return warnmsg("%s: a file to hold standard input: %s", dir,
		    strerror(errno)), -1;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !writeall(fd, buf, (size_t)n)) {
			warnmsg("%s: %s", n < 0 ? "standard input" : dir,
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		warnmsg("%s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* What verification said, for the summary line. */
static void
verdict(const struct cust_report *r, bool ok)
{
	if (!ok) {
		printf("FORCED (--force): the bundle FAILED verification, %s "
		    "check", r->failed_check != NULL ? r->failed_check :
		    "archive");
		return;
	}
	if (r->verdict == CUST_AUTHENTIC && r->key_trusted)
		printf("verified: sealed by trusted key %s", r->key_id);
	else if (r->verdict == CUST_AUTHENTIC) {
		fputs("verified: signed by ", stdout);
		safe_fputs(r->x509_subject, stdout);
		fputs(" (X.509)", stdout);
	} else
		printf("intact, origin unverified: key %s is not one you "
		    "trust (--pubkey or --trusted-key-id)", r->key_id);
}

static void
summary(const struct xargs *a, const struct cust_extract_stats *st,
    const struct cust_report *r, bool ok, int er)
{
	if (st->bag[0] == '\0')
		return;
	printf("%s %s/", er == CUST_OK ? "extracted" :
	    "stopped; partly extracted", a->dir);
	safe_fputs(st->bag, stdout);
	printf(": %" PRIu64 " files, %" PRIu64 " directories, %" PRIu64
	    " bytes (", st->files, st->dirs, st->bytes);
	verdict(r, ok);
	puts(")");
}

/* Extract from FD (at its start), verified or forced: an exit code. */
static int
extract(struct cust_ctx *ctx, struct xargs *a, int fd, int dfd,
    const struct cust_report *r)
{
	bool ok = r->verdict == CUST_AUTHENTIC ||
	    r->verdict == CUST_UNVERIFIED;
	struct cust_extract_stats st;
	int er;

	if (!ok)
		warnmsg("warning: --force: extracting %s, which FAILED "
		    "verification (%s check)", a->shown, r->failed_check !=
		    NULL ? r->failed_check : "archive");
	if (lseek(fd, 0, SEEK_SET) != 0)
		return warnmsg("%s: %s", a->shown, strerror(errno)),
		    EXIT_FATAL;
	/* A confidential bundle is decrypted again: the bytes written must
	 * be the clear bytes verify accepted, which the digest checks. */
	if (a->trust.sealed.is_sealed && (er = sealed_open(ctx,
	    &a->trust.sealed, &fd, a->shown)) != EXIT_DONE)
		return er;
	er = cust_extract(ctx, fd, a->shown, dfd, a->ratio, ok ? r->sha256 :
	    NULL, &st);
	if (er != CUST_OK)
		warnbundle(ctx, a->shown);
	summary(a, &st, r, ok, er);
	if (sealed_end(ctx, &a->trust.sealed) != EXIT_DONE)
		return EXIT_BAD;
	if (er != CUST_OK)
		return er == CUST_FAILED ? EXIT_BAD : EXIT_FATAL;
	return ok ? trust_exit(r) : EXIT_BAD;
}

/* Verify FD, then extract it if verify accepts it, or with --force. */
static int
verify_then_extract(struct cust_ctx *ctx, struct xargs *a, int fd, int dfd)
{
	struct cust_report *r;
	int rc;

	if ((rc = trust_verify_first(ctx, &a->trust, fd, a->bundle, a->shown,
	    a->ratio, "not extracted", &r)) != EXIT_DONE)
		return rc;
	if (r->verdict == CUST_AUTHENTIC || r->verdict == CUST_UNVERIFIED ||
	    a->force)
		rc = extract(ctx, a, fd, dfd, r);
	else {
		warnmsg("%s: not extracted: it failed verification (%s "
		    "check); nothing was written (--force extracts it "
		    "anyway)", a->shown, r->failed_check != NULL ?
		    r->failed_check : "archive");
		printf("not extracted: %s FAILED verification; nothing was "
		    "written\n", a->shown);
		rc = trust_exit(r);
	}
	cust_report_free(r);
	return rc;
}

static int
run(int argc, char **argv)
{
	struct cust_ctx *ctx;
	struct xargs a;
	int rc, fd = -1, dfd = -1;

	memset(&a, 0, sizeof(a));
	a.dir = ".";
	a.trust.cmd = &cmd_extract;
	a.trust.logfd = -1;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if ((rc = parse(ctx, argc, argv, &a)) != EXIT_DONE) {
		rc = rc < 0 ? EXIT_DONE : rc;
		goto out;
	}
	rc = EXIT_FATAL;
	if ((dfd = open(a.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		warnmsg("%s: %s", a.dir, strerror(errno));
		goto out;
	}
	fd = strcmp(a.bundle, "-") == 0 ? STDIN_FILENO :
	    open(a.bundle, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnmsg("%s: %s", a.bundle, strerror(errno));
		goto out;
	}
	if (lseek(fd, 0, SEEK_CUR) < 0 && (fd = spool(fd, dfd, a.dir)) < 0)
		goto out;
	rc = verify_then_extract(ctx, &a, fd, dfd);
	if (fflush(stdout) != 0)
		rc = EXIT_FATAL;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	trust_close(&a.trust);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "-C, --directory DIR", "extract into DIR (default: the current "
	    "directory)" },
	{ "--force", "extract even a bundle that fails verification (said "
	    "on standard error and in the summary)" },
	TRUST_KEY_HELP,
	TRUST_EXPANSION_HELP,
	{ "--ca FILE, --tsa-ca FILE, --x509-eku OID, --crl FILE, "
	    "--require-cms, --require-timestamp, --log FILE, --log-head HEX",
	    "as for custody verify" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_extract = {
	.name = "extract",
	.run = run,
	.synopsis = "[-C DIR] [--force] [--pubkey FILE]... "
	    "[--trusted-key-id ID]... [--max-expansion RATIO] [--ca FILE] "
	    "[--tsa-ca FILE] [--x509-eku OID]... [--crl FILE]... "
	    "[--require-cms] [--require-timestamp] [--log FILE] "
	    "[--log-head HEX] [--identity KEY.pem]... BUNDLE",
	.summary = "verify a bundle, then copy its bag out into a directory",
	.options = options,
	.notes = "BUNDLE is a .tar or .tar.zst file, a confidential .p7m "
	    "(with --identity: decrypted twice, to verify and then to "
	    "extract, never to a file), or - for standard input "
	    "(copied first to an unnamed file in DIR).  It is verified first, "
	    "as custody verify would with the same options, and nothing is "
	    "written unless verify would accept it (exit 0 or 4), or --force "
	    "is given.  The bag's directory must not exist in DIR yet.  Only "
	    "directories (0700) and regular files (0600) are made, never a "
	    "link or a device; nothing is overwritten and no symbolic link is "
	    "followed.\nExit status: 0 verified and extracted, 1 refused "
	    "(nothing written), or extracted with --force, or a hostile "
	    "member stopped it, 2 usage, 3 could not read or write, 4 "
	    "extracted, intact but origin unverified.",
};
