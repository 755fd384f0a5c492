/*
 * trust.h: what the investigator trusts, for `custody verify` and for
 * `custody extract`, which verifies first (trust.c): the options that say
 * it, and the lines of the report that tell of it.
 */
#ifndef CUSTODY_TRUST_H
#define CUSTODY_TRUST_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "custody.h"
#include "sealed.h"

struct cmd;

#define TRUST_MAX_KEYS	64

/* Keys, key IDs, X.509, timestamps and the custody log. */
struct trust_args {
	const struct cmd *cmd;		/* borrowed: whose usage to print */
	struct cust_key	*keys[TRUST_MAX_KEYS];	/* owned: --pubkey */
	const char	*key_paths[TRUST_MAX_KEYS];	/* borrowed: their files */
	size_t		 nkeys;
	const char	*ids[TRUST_MAX_KEYS];	/* borrowed: --trusted-key-id */
	size_t		 nids;
	struct cust_castore *ca;	/* owned: --ca */
	struct cust_castore *tsa_ca;	/* owned: --tsa-ca */
	const char	*ca_path, *tsa_ca_path;	/* borrowed: their files */
	struct cust_x509_policy *policy; /* owned: --x509-eku, --crl; or NULL */
	bool		 has_eku, has_crl;
	bool		 require_ts;	/* --require-timestamp */
	bool		 require_cms;	/* --require-cms */
	const char	*log;		/* borrowed: --log FILE */
	char		 head[65];	/* --log-head, lowercase */
	bool		 has_head;
	int		 logfd;		/* the log opened, or -1 */
	char		*logname;	/* owned */
	struct sealed	 sealed;	/* --identity */
};

enum { TRUST_CA = 0x200, TRUST_TSA_CA, TRUST_REQUIRE_TS, TRUST_REQUIRE_CMS,
    TRUST_LOG, TRUST_LOG_HEAD, TRUST_X509_EKU, TRUST_CRL, TRUST_KEY_ID,
    TRUST_IDENTITY,
    TRUST_PUBKEY = 'p' };

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
	{ "crl", required_argument, NULL, TRUST_CRL }, \
	{ "identity", required_argument, NULL, TRUST_IDENTITY }

/* The case labels of those options, which trust_option() takes. */
#define TRUST_CASES \
	case TRUST_PUBKEY: case TRUST_KEY_ID: case TRUST_CA: \
	case TRUST_TSA_CA: case TRUST_REQUIRE_TS: case TRUST_REQUIRE_CMS: \
	case TRUST_LOG: case TRUST_LOG_HEAD: case TRUST_X509_EKU: \
	case TRUST_CRL: case TRUST_IDENTITY

/* The --help rows of the keys trusted, verify's and extract's, and of
 * --max-expansion (struct help_row, cmd.h). */
#define TRUST_KEY_HELP \
	{ "-p, --pubkey FILE", "trust this minisign public key " \
	    "(repeatable)" }, \
	{ "--trusted-key-id ID", "trust the key recorded in the bundle " \
	    "if its ID, recomputed from the key, is ID (repeatable)" }, \
	{ "--identity KEY.pem", "decrypt a confidential bundle (.p7m) " \
	    "with this private key (PEM; repeatable: the one it is " \
	    "addressed to is used)" }
#define TRUST_EXPANSION_HELP \
	{ "--max-expansion RATIO", "refuse a zstd bundle that expands " \
	    "more than RATIO times past its first GiB (default 1000; 0: " \
	    "none)" }

/* One of TRUST_LONGOPTS: EXIT_DONE or an exit code. */
int	trust_option(struct cust_ctx *, struct trust_args *, int ch,
	    const char *arg);
/* --max-expansion RATIO: a whole number into *OUT; 0 lifts the bound
 * (UINT64_MAX). */
bool	expansion_ratio(const char *s, uint64_t *out);
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
/* The report's findings, then its warnings, on standard error. */
void	trust_findings(const struct cust_report *);
/*
 * The first pass of extract and export: verify the bundle BUNDLE open at
 * FD (SHOWN in messages) with T's options, decrypting it when it is a
 * confidential one, into *RP (owned by the caller), and print the
 * findings.  An encrypted bundle without --identity is refused with
 * "SHOWN: UNDONE: it is encrypted, ...".  EXIT_DONE, or an exit code,
 * said.  The envelope of this pass is done with when it returns.
 */
int	trust_verify_first(struct cust_ctx *, struct trust_args *t, int fd,
	    const char *bundle, const char *shown, uint64_t ratio,
	    const char *undone, struct cust_report **rp);

#endif
