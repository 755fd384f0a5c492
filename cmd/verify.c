/* verify.c: placeholder while the subcommand is written. */
#include "cmd.h"

static int
run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warnmsg("verify: not built yet");
	return EXIT_FATAL;
}

const struct cmd cmd_verify = {
	.name = "verify", .run = run, .synopsis = "", .summary = "verify",
};
