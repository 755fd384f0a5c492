/* manifests.c: placeholder while the subcommand is written. */
#include "cmd.h"

static int
run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warnmsg("manifests: not built yet");
	return EXIT_FATAL;
}

const struct cmd cmd_manifests = {
	.name = "manifests", .run = run, .synopsis = "", .summary = "manifests",
};
