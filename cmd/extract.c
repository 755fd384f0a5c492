/*
 * extract.c: `custody extract`.  Copies a bundle's bag out into a
 * directory so that stock tools (sha256sum -c, minisign -V, openssl) can
 * check it; the library refuses whatever could write outside it.
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

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "directory", required_argument, NULL, 'C' },
		{ "max-expansion", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cust_extract_stats st;
	struct cust_ctx *ctx;
	const char *dir = ".", *name, *shown;
	uint64_t ratio = 0;
	int ch, fd, dfd, r, rc;

	while ((ch = getopt_long(argc, argv, "C:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			dir = optarg;
			break;
		case 'x':
			if (!expansion_ratio(optarg, &ratio))
				return warnmsg("--max-expansion: %s: not a "
				    "whole number", optarg), EXIT_USAGE;
			break;
		case 'h':
			return help(&cmd_extract);
		default:
			return usage(&cmd_extract);
		}
	}
	if (argc - optind != 1)
		return usage(&cmd_extract);
	name = argv[optind];
	shown = strcmp(name, "-") == 0 ? "standard input" : name;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return warnmsg("%s: %s", dir, strerror(errno)), EXIT_FATAL;
	fd = strcmp(name, "-") == 0 ? STDIN_FILENO :
	    open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnmsg("%s: %s", name, strerror(errno));
		close(dfd);
		return EXIT_FATAL;
	}
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	r = cust_extract(ctx, fd, shown, dfd, ratio, &st);
	if (r != CUST_OK)
		warnbundle(ctx, shown);
	rc = r == CUST_OK ? EXIT_DONE : r == CUST_FAILED ? EXIT_BAD :
	    EXIT_FATAL;
	if (st.bag[0] != '\0') {
		printf("%s %s/", r == CUST_OK ? "extracted" : "stopped; "
		    "partly extracted", dir);
		safe_fputs(st.bag, stdout);
		printf(": %" PRIu64 " files, %" PRIu64 " directories, %"
		    PRIu64 " bytes (not verified: run custody verify on the "
		    "bundle)\n", st.files, st.dirs, st.bytes);
	}
	if (fflush(stdout) != 0)
		rc = EXIT_FATAL;
	if (fd > STDIN_FILENO)
		close(fd);
	close(dfd);
	cust_ctx_free(ctx);
	return rc;
}

const struct cmd cmd_extract = {
	.name = "extract",
	.run = run,
	.synopsis = "[-C DIR] [--max-expansion RATIO] BUNDLE",
	.summary = "copy a bundle's bag out into a directory (not verified)",
	.help = "  -C, --directory DIR      extract into DIR (default: the "
	    "current directory)\n"
	    "      --max-expansion RATIO\n"
	    "                           refuse a zstd bundle that expands "
	    "more than RATIO\n"
	    "                           times past its first GiB (default "
	    "1000; 0: none)\n"
	    "  -h, --help               show this help\n"
	    "\nBUNDLE is a .tar or .tar.zst file, or - for standard input. "
	    "The bag's\ndirectory must not exist in DIR yet.  Only directories "
	    "(0700) and regular\nfiles (0600) are made, never a link or a "
	    "device; nothing is overwritten\nand no symbolic link is "
	    "followed.  Nothing is verified: run custody verify.\n"
	    "Exit status: 0 extracted, 1 damaged or hostile bundle (what was "
	    "written\nstays), 2 usage, 3 could not read or write.\n",
};
