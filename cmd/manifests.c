/*
 * manifests.c: `custody manifests`, which describes the built-in collection
 * manifest and checks manifest files before a collection: each artefact
 * with its line, collector and paths, and why collect would skip it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int	run(int, char **);

static const struct help_row options[] = {
	{ "-s, --show", "print the built-in manifest's YAML and exit" },
	{ "-h, --help", "print this help and exit" },
	{ NULL, NULL },
};

const struct cmd cmd_manifests = {
	.name = "manifests", .run = run,
	.synopsis = "[-s | FILE ...]",
	.summary = "describe the built-in manifest or check manifest files",
	.about = "With no FILE, print the built-in manifest's name, number of "
	    "artefacts and SHA-256.  With FILEs, load each one as a collection "
	    "manifest (see custody-manifest(5)) and print, for each artefact, "
	    "its line, collector and paths, and why collect would skip it.  "
	    "Exit 1 if a FILE does not load.\n\noptions:",
	.options = options,
};

/* Report a bad command line: the reason, then the synopsis. */
static int __attribute__((format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("custody: manifests: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return usage(&cmd_manifests);
}

/* "NAME[ (built in)]: N artefacts" and the SHA-256 on the next line. */
static void
header(const struct cust_manifest *m, bool builtin)
{
	size_t n = cust_manifest_count(m);

	safe_fputs(cust_manifest_name(m), stdout);
	printf("%s: %zu artefact%s\n  sha256 %s\n", builtin ? " (built in)" :
	    "", n, n == 1 ? "" : "s", cust_manifest_sha256(m));
}

/* "  line N: COLLECTOR PATH ... (skipped: REASON)" per artefact. */
static void
artefacts(const struct cust_manifest *m)
{
	const char *skip;

	for (size_t i = 0; i < cust_manifest_count(m); i++) {
		printf("  line %u: %s", cust_manifest_line(m, i),
		    cust_manifest_collector(m, i));
		for (size_t j = 0; j < cust_manifest_npaths(m, i); j++) {
			putchar(' ');
			safe_fputs(cust_manifest_path(m, i, j), stdout);
		}
		if ((skip = cust_manifest_skip(m, i)) != NULL)
			printf(" (skipped: %s)", skip);
		putchar('\n');
	}
}

/* Flush stdout and turn a write error into EXIT_FATAL. */
static int
flushed(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warnmsg("stdout: %s", strerror(errno));
		return EXIT_FATAL;
	}
	return rc;
}

static int
show(void)
{
	fwrite(cust_default_manifest, 1, cust_default_manifest_len, stdout);
	return flushed(EXIT_DONE);
}

static int
builtin(struct cust_ctx *ctx)
{
	struct cust_manifest *m;

	if (cust_manifest_load_buffer(ctx, cust_default_manifest_name,
	    cust_default_manifest, cust_default_manifest_len, &m) != CUST_OK) {
		warnctx(ctx);
		return EXIT_FATAL;
	}
	header(m, true);
	cust_manifest_free(m);
	return flushed(EXIT_DONE);
}

/* Load and describe each file; carry on past the ones that fail. */
static int
check(struct cust_ctx *ctx, int argc, char **argv)
{
	struct cust_manifest *m;
	int rc = EXIT_DONE, r;

	for (int i = 0; i < argc; i++) {
		r = cust_manifest_load_file(ctx, argv[i], &m);
		if (r != CUST_OK) {
			warnctx(ctx);
			if (r == CUST_FATAL)
				return EXIT_FATAL;
			rc = EXIT_BAD;
			continue;
		}
		header(m, false);
		artefacts(m);
		cust_manifest_free(m);
	}
	return flushed(rc);
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "show", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cust_ctx *ctx;
	char opt[3] = "-?";
	bool showing = false;
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hs", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(&cmd_manifests);
		case 's':
			showing = true;
			break;
		default:
			opt[1] = (char)optopt;
			return bad("unknown option %s", optopt != 0 &&
			    strncmp(argv[optind - 1], "--", 2) != 0 ? opt :
			    argv[optind - 1]);
		}
	}
	if (showing && optind < argc)
		return bad("--show takes no FILE");
	if (showing)
		return show();
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if (optind == argc)
		rc = builtin(ctx);
	else
		rc = check(ctx, argc - optind, argv + optind);
	cust_ctx_free(ctx);
	return rc;
}
