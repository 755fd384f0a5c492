/*
 * manifests.c: `custody manifests`, which describes the built-in collection
 * manifest and the installed ones (installed.c) and checks manifest files
 * before a collection: each artefact with its line, collector and paths,
 * and why collect would skip it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "sources.h"

static int	run(int, char **);

static const struct help_row options[] = {
	{ "-s, --show", "print the built-in manifest's YAML and exit" },
	{ "-c, --check", "load the FILEs (files, directories, installed "
	    "names) and every --profile, collect nothing, and say per "
	    "artefact what collect would do, or why it would skip it" },
	{ "--profile NAME|FILE", "with --check: check a profile's "
	    "manifests too (as collect --profile)" },
	{ "--root DIR", "with --check: decide conditions on the tree at DIR "
	    "(default /)" },
	{ "-h, --help", "print this help and exit" },
	{ NULL, NULL },
};

const struct cmd cmd_manifests = {
	.name = "manifests", .run = run,
	.synopsis = "[-s | FILE ...]\n"
	    "custody manifests --check [--root DIR] [--profile NAME|FILE]... "
	    "[FILE ...]",
	.summary = "list the built-in and installed manifests, or check "
	    "manifest files",
	.about = "With no FILE, print the name, number of artefacts and "
	    "SHA-256 of the built-in manifest, then of each manifest installed "
	    "in\n" CUSTODY_MANIFEST_DIR "\nby the name that collect -m "
	    "takes.  "
	    "With FILEs (paths, or names of installed manifests), load each "
	    "one as a collection manifest (see custody-manifest(5)) and print, "
	    "for each artefact, its line, collector and paths, and why collect "
	    "would skip it.  Exit 1 if a FILE or an installed manifest does "
	    "not load.\n\noptions:",
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

/*
 * "NAME[ (WHAT[: WHERE])]: N artefacts" and the SHA-256 on the next line.
 * NAME is the manifest's unless given.
 */
static void
header(const struct cust_manifest *m, const char *name, const char *what,
    const char *where)
{
	size_t n = cust_manifest_count(m);

	safe_fputs(name != NULL ? name : cust_manifest_name(m), stdout);
	if (what != NULL) {
		printf(" (%s", what);
		if (where != NULL) {
			fputs(": ", stdout);
			safe_fputs(where, stdout);
		}
		putchar(')');
	}
	printf(": %zu artefact%s\n  sha256 %s\n", n, n == 1 ? "" : "s",
	    cust_manifest_sha256(m));
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

static int	flushed(int);

/* What collect does with an artefact it runs. */
static const char *
action(const char *collector)
{
	if (strcmp(collector, "file") == 0)
		return "will store its files (content, hashes, metadata)";
	if (strcmp(collector, "hash") == 0)
		return "will hash its files, not store them";
	if (strcmp(collector, "stat") == 0)
		return "will record metadata only";
	return "will list matches (metadata, no content)";
}

/* "  line N: COLLECTOR PATH ...: what collect does, or skips and why". */
static void
outcomes(const struct cust_manifest *m, int rootfd, bool live)
{
	const char *skip, *cond;
	int c;

	for (size_t i = 0; i < cust_manifest_count(m); i++) {
		printf("  line %u: %s", cust_manifest_line(m, i),
		    cust_manifest_collector(m, i));
		for (size_t j = 0; j < cust_manifest_npaths(m, i); j++) {
			putchar(' ');
			safe_fputs(cust_manifest_path(m, i, j), stdout);
		}
		if ((skip = cust_manifest_skip(m, i)) != NULL) {
			fputs(": skipped: ", stdout);
			safe_fputs(skip, stdout);
		} else if ((c = cust_manifest_condition(m, i, rootfd, live,
		    &cond)) != 1) {
			fputs(c == 0 ? ": skipped: condition is false: " :
			    ": skipped: condition not evaluated: ", stdout);
			safe_fputs(cond, stdout);
		} else
			printf(": %s", action(cust_manifest_collector(m, i)));
		putchar('\n');
	}
}

/* --check: load everything named, then describe each manifest. */
static int
check_all(struct cust_ctx *ctx, const char *root, char **profs, size_t np,
    int argc, char **argv)
{
	struct sources src = { 0 };
	int rc = EXIT_DONE, r, rootfd;

	if ((rootfd = open(root != NULL ? root : "/", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) < 0) {
		warnmsg("%s: %s", root, strerror(errno));
		return EXIT_FATAL;
	}
	for (size_t i = 0; rc != EXIT_FATAL && i < np; i++)
		if ((r = sources_add_profile(ctx, &src, profs[i])) !=
		    EXIT_DONE)
			rc = r == EXIT_FATAL ? r : EXIT_BAD;
	for (int i = 0; rc != EXIT_FATAL && i < argc; i++)
		if ((r = sources_add_manifest(ctx, &src, argv[i])) !=
		    EXIT_DONE)
			rc = r == EXIT_FATAL ? r : EXIT_BAD;
	for (size_t i = 0; i < src.n; i++) {
		header(src.m[i], NULL, NULL, NULL);
		outcomes(src.m[i], rootfd, root == NULL ||
		    strcmp(root, "/") == 0);
	}
	printf("%zu manifest%s loaded\n", src.n, src.n == 1 ? "" : "s");
	sources_free(&src);
	close(rootfd);
	return flushed(rc);
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
	header(m, NULL, "built in", NULL);
	cust_manifest_free(m);
	return EXIT_DONE;
}

/* "custody: DIR/NAME.yaml: REASON", the name from a directory shown safely. */
static void
warninstalled(const char *name, const char *reason)
{
	fflush(stdout);
	fputs("custody: " CUSTODY_MANIFEST_DIR "/", stderr);
	safe_fputs(name, stderr);
	fprintf(stderr, ".yaml: %s\n", reason);
}

/* "NAME (installed: PATH): N artefacts" and its SHA-256. */
static int
one_installed(struct cust_ctx *ctx, const char *name)
{
	struct cust_manifest *m;
	char *path;
	int r;

	if ((path = installed_manifest(name)) == NULL) {
		if (errno == ENOMEM) {
			warninstalled(name, strerror(ENOMEM));
			return EXIT_FATAL;
		}
		warninstalled(name, "not a regular file");
		return EXIT_BAD;
	}
	if ((r = cust_manifest_load_file(ctx, path, &m)) == CUST_OK) {
		header(m, name, "installed", path);
		cust_manifest_free(m);
	} else
		warnctx(ctx);
	free(path);
	return r == CUST_OK ? EXIT_DONE : r == CUST_FATAL ? EXIT_FATAL :
	    EXIT_BAD;
}

/* The built-in manifest, then the installed ones; carry on past failures. */
static int
list(struct cust_ctx *ctx)
{
	char **names;
	size_t n;
	int rc, r;

	if ((rc = builtin(ctx)) != EXIT_DONE)
		return flushed(rc);
	if (installed_manifests(&names, &n) == -1) {
		r = errno;
		warnmsg("%s: %s", CUSTODY_MANIFEST_DIR, strerror(r));
		return flushed(r == ENOMEM ? EXIT_FATAL : EXIT_BAD);
	}
	for (size_t i = 0; i < n && rc != EXIT_FATAL; i++)
		if ((r = one_installed(ctx, names[i])) != EXIT_DONE)
			rc = r;
	installed_free(names, n);
	return flushed(rc);
}

/* Load and describe each file; carry on past the ones that fail. */
static int
check(struct cust_ctx *ctx, int argc, char **argv)
{
	struct cust_manifest *m;
	const char *file;
	char *owned;
	int rc = EXIT_DONE, r;

	for (int i = 0; i < argc; i++) {
		if ((file = manifest_file(argv[i], &owned)) == NULL) {
			warnmsg("%s: %s", argv[i], strerror(errno));
			return EXIT_FATAL;
		}
		r = cust_manifest_load_file(ctx, file, &m);
		free(owned);
		if (r != CUST_OK) {
			warnctx(ctx);
			if (r == CUST_FATAL)
				return EXIT_FATAL;
			rc = EXIT_BAD;
			continue;
		}
		header(m, NULL, NULL, NULL);
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
		{ "check", no_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cust_ctx *ctx;
	char opt[3] = "-?", **profs;
	const char *root = NULL;
	bool showing = false, checking = false;
	size_t np = 0;
	int ch, rc;

	if ((profs = calloc((size_t)argc + 1, sizeof(*profs))) == NULL)
		return warnmsg("out of memory"), EXIT_FATAL;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hsc", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			free(profs);
			return help(&cmd_manifests);
		case 'c':
			checking = true;
			break;
		case 'p':
			profs[np++] = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 's':
			showing = true;
			break;
		default:
			free(profs);
			opt[1] = (char)optopt;
			return bad("unknown option %s", optopt != 0 &&
			    strncmp(argv[optind - 1], "--", 2) != 0 ? opt :
			    argv[optind - 1]);
		}
	}
	if (!checking && (np > 0 || root != NULL)) {
		free(profs);
		return bad("--profile and --root go with --check");
	}
	if (showing && (optind < argc || checking)) {
		free(profs);
		return bad("--show takes no FILE");
	}
	if (showing) {
		free(profs);
		return show();
	}
	if ((ctx = ctx_or_die()) == NULL) {
		free(profs);
		return EXIT_FATAL;
	}
	if (checking)
		rc = check_all(ctx, root, profs, np, argc - optind,
		    argv + optind);
	else if (optind == argc)
		rc = list(ctx);
	else
		rc = check(ctx, argc - optind, argv + optind);
	cust_ctx_free(ctx);
	free(profs);
	return rc;
}
