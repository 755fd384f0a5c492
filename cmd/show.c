/* show.c: placeholder while the subcommand is written. */
#include "cmd.h"

static int
run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warnmsg("show: not built yet");
	return EXIT_FATAL;
}

const struct cmd cmd_show = {
	.name = "show", .run = run, .synopsis = "", .summary = "show",
};
