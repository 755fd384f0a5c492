/*
 * cmd.h: what the subcommands of custody(1) share: the command table entry,
 * exit codes and the helpers that talk to the terminal.
 */
#ifndef CUSTODY_CMD_H
#define CUSTODY_CMD_H

#include <stdio.h>

#include "custody.h"

/* Exit codes; listed in custody(1) under EXIT STATUS. */
enum {
	EXIT_DONE = 0,		/* complete / verified and authentic */
	EXIT_PARTIAL = 1,	/* collect: some artefacts not taken */
	EXIT_BAD = 1,		/* verify: the bundle failed a check */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_FATAL = 3,		/* could not run / could not read */
	EXIT_UNVERIFIED = 4,	/* verify: intact, but origin unverified */
};

struct cmd {
	const char	*name;
	int		(*run)(int, char **);
	const char	*synopsis;	/* after "custody NAME " */
	const char	*summary;	/* one line for the command list */
	const char	*help;		/* option list printed by --help */
};

extern const struct cmd cmd_collect, cmd_verify, cmd_show, cmd_keygen,
    cmd_manifests;

/* "custody: <fmt>\n" on stderr. */
void	warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the library's last error as "custody: <message>". */
void	warnctx(const struct cust_ctx *);
/* The synopsis on stderr; returns EXIT_USAGE. */
int	usage(const struct cmd *);
/* The synopsis and option list on stdout; returns EXIT_DONE. */
int	help(const struct cmd *);
/*
 * Write S to F with every byte that is not printable UTF-8 shown as \xNN,
 * so that hostile file names cannot drive the terminal.
 */
void	safe_fputs(const char *s, FILE *f);
/* Make a fresh context or report and return NULL. */
struct cust_ctx *ctx_or_die(void);

#endif
