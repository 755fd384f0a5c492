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
    cmd_manifests, cmd_timestamp, cmd_transfer, cmd_log, cmd_extract;

#define TRUST_MAX_KEYS	64

/* What verify (and extract, which verifies first) trusts: keys, key IDs,
 * X.509, timestamps and the custody log. */
struct trust_args {
	const struct cmd *cmd;		/* whose usage to print */
	struct cust_key	*keys[TRUST_MAX_KEYS];	/* owned: --pubkey */
	size_t		 nkeys;
	const char	*ids[TRUST_MAX_KEYS];	/* --trusted-key-id */
	size_t		 nids;
	struct cust_castore *ca;	/* --ca */
	struct cust_castore *tsa_ca;	/* --tsa-ca */
	struct cust_x509_policy *policy; /* --x509-eku, --crl; or NULL */
	bool		 has_eku, has_crl;
	bool		 require_ts;	/* --require-timestamp */
	bool		 require_cms;	/* --require-cms */
	const char	*log;		/* --log FILE */
	char		 head[65];	/* --log-head, lowercase */
	bool		 has_head;
	int		 logfd;		/* the log opened, or -1 */
	char		*logname;
};

enum { TRUST_CA = 0x200, TRUST_TSA_CA, TRUST_REQUIRE_TS, TRUST_REQUIRE_CMS,
    TRUST_LOG, TRUST_LOG_HEAD, TRUST_X509_EKU, TRUST_CRL, TRUST_KEY_ID,
    TRUST_PUBKEY = 'p' };

/* The --help lines of the keys trusted, verify's and extract's. */
#define TRUST_KEY_HELP \
	"  -p, --pubkey FILE        trust this minisign public key " \
	"(repeatable)\n" \
	"      --trusted-key-id ID  trust the key recorded in the bundle " \
	"if its ID,\n" \
	"                           recomputed from the key, is ID " \
	"(repeatable)\n"

#define TRUST_LONGOPTS \
	{ "pubkey", required_argument, NULL, TRUST_PUBKEY }, \
	{ "trusted-key-id", required_argument, NULL, TRUST_KEY_ID }, \
	{ "ca", required_argument, NULL, TRUST_CA }, \
	{ "tsa-ca", required_argument, NULL, TRUST_TSA_CA }, \
	{ "require-timestamp", no_argument, NULL, TRUST_REQUIRE_TS }, \
	{ "require-cms", no_argument, NULL, TRUST_REQUIRE_CMS }, \
	{ "log", required_argument, NULL, TRUST_LOG }, \
	{ "log-head", required_argument, NULL, TRUST_LOG_HEAD }, \
	{ "x509-eku", required_argument, NULL, TRUST_X509_EKU }, \
	{ "crl", required_argument, NULL, TRUST_CRL }

/* One of TRUST_LONGOPTS (verify_trust.c): EXIT_DONE or an exit code. */
int	trust_option(struct cust_ctx *, struct trust_args *, int ch,
	    const char *arg);
/* The options agree with each other and with BUNDLE. */
int	trust_check(const struct trust_args *, const char *bundle);
/* Open the custody log (--log, or BUNDLE.custody if there is one). */
int	trust_open(struct trust_args *, const char *bundle,
	    struct cust_verify_opts *);
/* The exit code of a verdict: 0 authentic, 4 unverified, 1 broken, 3. */
int	trust_exit(const struct cust_report *);
/* The keys, key IDs, CAs, requirements and --log-head, into O. */
void	trust_opts(const struct trust_args *, struct cust_verify_opts *o);
void	trust_close(struct trust_args *);
/* The report's X.509, timestamp and custody log lines; its warnings on
 * standard error as "custody: warning: SUBJECT: MESSAGE". */
void	trust_report(const struct cust_report *);
void	trust_warnings(const struct cust_report *);

/* A bundle's custody log, opened to append (sidecar.c). */
struct sidecar {
	char		*name;		/* owned: BUNDLE.custody or --log */
	int		 fd;
	bool		 created;	/* made now: removed unless written */
	bool		 empty;		/* no event yet */
};

/* Options that describe who acts, shared by timestamp and transfer. */
enum { ACTOR_ROLE = 0x300, ACTOR_ORGANISATION, ACTOR_CONTACT,
    ACTOR_LOCATION, ACTOR_REASON, ACTOR_LOG };

#define ACTOR_LONGOPTS \
	{ "role", required_argument, NULL, ACTOR_ROLE }, \
	{ "organisation", required_argument, NULL, ACTOR_ORGANISATION }, \
	{ "contact", required_argument, NULL, ACTOR_CONTACT }, \
	{ "location", required_argument, NULL, ACTOR_LOCATION }, \
	{ "reason", required_argument, NULL, ACTOR_REASON }, \
	{ "log", required_argument, NULL, ACTOR_LOG }

/* BUNDLE.custody, or LOG when given (owned); NULL for "-" without LOG. */
char	*sidecar_name(const char *bundle, const char *log);
/* Open (or make) the custody log of BUNDLE to append to. */
int	sidecar_open(struct sidecar *, const char *bundle, const char *log);
/* Close it; a log made now and not WROTE to is removed. */
void	sidecar_close(struct sidecar *, bool wrote);
/* Read BUNDLE ("-": standard input) for its custody log's binding. */
int	sidecar_bundle(struct cust_ctx *, const char *bundle,
	    struct cust_bundle_ref *);
/* Set the field of an ACTOR_* option in EV; -1 for another option. */
int	actor_option(struct cust_event *ev, int ch, const char *arg);
/* Print the log's name, its last event and its new HEAD. */
int	sidecar_done(struct cust_ctx *, const struct sidecar *,
	    const char *head);

/* --max-expansion RATIO: a whole number into *OUT; 0 lifts the bound
 * (UINT64_MAX). */
bool	expansion_ratio(const char *s, uint64_t *out);
/* SIG is ignored as inherited (nohup ignores SIGHUP): it stays so. */
bool	caller_ignores(int sig);
/* "custody: <fmt>\n" on stderr. */
void	warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --nice: go on in a child alone in a session, and so in an autogroup,
 * of its own, at nice 19; the parent waits and ends as the child did.
 * true in the child when the group was lowered; false where the kernel
 * has no autogroups, or it failed (said on stderr). */
bool	own_session(void);
/* Print the library's last error as "custody: <message>". */
void	warnctx(const struct cust_ctx *);
/* The same for an error about bundle NAME: "custody: NAME: <message>". */
void	warnbundle(const struct cust_ctx *, const char *name);
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
