/* keygen.c: placeholder while the subcommand is written. */
#include "cmd.h"

static int
run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warnmsg("keygen: not built yet");
	return EXIT_FATAL;
}

const struct cmd cmd_keygen = {
	.name = "keygen", .run = run, .synopsis = "", .summary = "keygen",
};
