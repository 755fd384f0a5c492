/*
 * cmd.h: what every subcommand of custody(1) shares: the command table
 * entry with its help, the exit codes and the helpers that talk to the
 * terminal.  What only some commands use has its own header: trust.h
 * (verify, extract), sidecar.h (timestamp, transfer, log) and collect.h.
 */
#ifndef CUSTODY_CMD_H
#define CUSTODY_CMD_H

#include <stdbool.h>
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

/* One option in a --help: "-o, --output FILE" or "--json", and what it
 * does, in words that help() wraps. */
struct help_row {
	const char	*opt;
	const char	*text;
};

struct cmd {
	const char	*name;
	int		(*run)(int, char **);
	const char	*synopsis;	/* after "custody NAME ", wrapped */
	const char	*summary;	/* one line for the command list */
	/* --help: text before the options, the options ({ NULL } ends
	 * them) and text after; NULL when there is none.  The texts are
	 * wrapped; a newline in them ends a line. */
	const char	*about;
	const struct help_row *options;
	const char	*notes;
};

extern const struct cmd cmd_collect, cmd_verify, cmd_show, cmd_keygen,
    cmd_manifests, cmd_timestamp, cmd_transfer, cmd_log, cmd_extract,
    cmd_export;

/* custody --version: the version, the linking, the libraries, the
 * binary's SHA-256 (version.c); returns EXIT_DONE. */
int	print_version(void);
/* SIG is ignored as inherited (nohup ignores SIGHUP): it stays so. */
bool	caller_ignores(int sig);
/* S ends with SUFFIX. */
bool	endswith(const char *s, const char *suffix);
/* "custody: <fmt>\n" on stderr. */
void	warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the library's last error as "custody: <message>". */
void	warnctx(const struct cust_ctx *);
/* The same for an error about bundle NAME: "custody: NAME: <message>". */
void	warnbundle(const struct cust_ctx *, const char *name);
/* The synopsis on stderr; returns EXIT_USAGE. */
int	usage(const struct cmd *);
/* The synopsis and the rest of the help on stdout; returns EXIT_DONE. */
int	help(const struct cmd *);
/*
 * Write S to F with every byte that is not printable UTF-8 shown as \xNN,
 * so that hostile file names cannot drive the terminal.
 */
void	safe_fputs(const char *s, FILE *f);
/* Make a fresh context or report and return NULL. */
struct cust_ctx *ctx_or_die(void);

/*
 * Installed manifests (installed.c), in CUSTODY_MANIFEST_DIR as NAME.yaml.
 * installed_manifest: the path of the one called NAME (owned), or NULL with
 * errno ENOENT when there is none (NAME holds a '/', or no regular file),
 * ENOMEM.  manifest_file: the file -m ARG means, the installed manifest ARG
 * (then also in *OWNED, to free) or else the path ARG; NULL when out of
 * memory.  installed_manifests: their names, sorted, owned (installed_free);
 * 0, or -1 with errno when the directory cannot be read (none there is 0).
 */
char	*installed_manifest(const char *name);
const char *manifest_file(const char *arg, char **owned);
int	installed_manifests(char ***namesp, size_t *np);
void	installed_free(char **names, size_t n);

#endif
