/* collect.c: placeholder while the subcommand is written. */
#include "cmd.h"

static int
run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warnmsg("collect: not built yet");
	return EXIT_FATAL;
}

const struct cmd cmd_collect = {
	.name = "collect", .run = run, .synopsis = "", .summary = "collect",
};
