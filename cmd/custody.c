/*
 * custody.c: the entry point.  Parses the global options, then hands the
 * rest of the command line to the subcommand named first.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmd.h"

static const struct cmd *const cmds[] = {
	&cmd_collect, &cmd_verify, &cmd_show, &cmd_keygen, &cmd_manifests,
	&cmd_timestamp, &cmd_transfer, &cmd_log, &cmd_extract, &cmd_export,
};

static void
list(FILE *f)
{
	fprintf(f, "usage: custody [-hV] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f, "\n'custody COMMAND --help' describes each command.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	/* OpenSSL's configuration file (OPENSSL_CONF, openssl.cnf) could
	 * load engines or providers from the host, and change what a
	 * digest or a signature means: never read.  Before any other call
	 * to OpenSSL, which would load it. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
		warnmsg("OpenSSL cannot start");
		return EXIT_FATAL;
	}
	/* A closed stdout must be an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	/* Unbuffered, stderr made a write(2) of every byte safe_fputs()
	 * checks, dozens a message, on a host where thousands of files may
	 * not be taken.  One write a line also keeps each message whole
	 * when stderr is shared. */
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			list(stdout);
			return EXIT_DONE;
		case 'V':
			return print_version();
		default:
			list(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		list(stderr);
		return EXIT_USAGE;
	}
	/* Options anywhere, always: under POSIXLY_CORRECT getopt would
	 * stop at the first operand, and `collect /home -o OUT` would
	 * collect a path named -o instead of writing OUT. */
	unsetenv("POSIXLY_CORRECT");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i]->name) == 0) {
			/* 0, not 1: glibc then starts afresh, taking the
			 * subcommand's options before and after its operands
			 * (1 would keep the "+" order, and turn options after
			 * an operand into operands). */
			optind = 0;
			return cmds[i]->run(argc, argv);
		}
	warnmsg("%s: unknown command", argv[0]);
	list(stderr);
	return EXIT_USAGE;
}
