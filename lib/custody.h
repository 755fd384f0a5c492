/*
 * custody.h: the public interface of libcustody, the library behind the
 * custody(1) evidence collector and verifier.  It is the only header that
 * cmd/ includes.  The library never prints, never exits and never reads the
 * environment: every function reports failure through its return value and a
 * message kept on a struct cust_ctx.
 */
#ifndef CUSTODY_H
#define CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/*
 * This build's version, which every bundle records: git describe of the
 * checkout it was built from ("v1.2-3-gHASH", "0.1.0-gHASH" before any
 * version tag, "-dirty" after either when a tracked file had changed), or
 * the project's version outside git (lib/version.py).
 */
extern const char cust_version[];

/* Return values of every int-returning function. */
enum cust_status {
	CUST_OK = 0,		/* done */
	CUST_WARN = -20,	/* done, but with a caveat (file changed) */
	CUST_FAILED = -25,	/* this item failed; the caller may carry on */
	CUST_FATAL = -30,	/* the context is unusable; stop */
};

/* ---------------------------------------------------------------- ctx */

struct cust_ctx;

/*
 * Make an error context.  Returns CUST_OK and stores it in *ctxp, or
 * CUST_FATAL when out of memory (*ctxp is then NULL).
 */
int	cust_ctx_new(struct cust_ctx **ctxp);
/* Free a context.  NULL is a no-op. */
void	cust_ctx_free(struct cust_ctx *);
/*
 * The last error message, "subject: reason" (lowercase, no newline), or ""
 * when none was set.  Borrowed: valid until the next call on the context.
 */
const char *cust_ctx_error(const struct cust_ctx *);
/* The errno captured with the last error, or 0. */
int	cust_ctx_errno(const struct cust_ctx *);
/* Forget the last error. */
void	cust_ctx_clear(struct cust_ctx *);

/* ------------------------------------------------------------ digests */

/* Hash algorithms, as bits of a mask.  SHA-256 is always computed. */
enum cust_alg {
	CUST_ALG_SHA256 = 1u << 0,
	CUST_ALG_SHA512 = 1u << 1,
	CUST_ALG_SHA1 = 1u << 2,
	CUST_ALG_MD5 = 1u << 3,
};
#define CUST_ALG_ALL	0xfu
#define CUST_NALG	4

/*
 * Parse a comma-separated list of algorithm names ("sha256,md5") and OR
 * their bits into *mask.  Unknown or empty names are CUST_FAILED with a
 * message naming the word.
 */
int	cust_alg_parse(struct cust_ctx *, const char *list, unsigned *mask);
/* "sha256" etc. for one bit, NULL for anything else. */
const char *cust_alg_name(unsigned alg);

/* --------------------------------------------------------------- keys */

struct cust_key;

/* Length of a key ID in bytes and of its printed form (hex, no NUL). */
#define CUST_KEYID_LEN	8
#define CUST_KEYID_HEXLEN 16

/* Make a fresh Ed25519 key pair in memory. */
int	cust_key_generate(struct cust_ctx *, struct cust_key **keyp);
/*
 * Write PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (minisign public
 * key format).  Refuses (CUST_FAILED, EEXIST) when either file exists, and
 * leaves neither behind on failure.  The key must hold a secret part.
 */
int	cust_key_save(struct cust_ctx *, const struct cust_key *,
	    const char *prefix);
/*
 * Read a secret key file written by cust_key_save.  The file's bytes are
 * wiped from memory after parsing.
 */
int	cust_key_load_secret(struct cust_ctx *, const char *path,
	    struct cust_key **keyp);
/* Read a minisign-format public key file. */
int	cust_key_load_public(struct cust_ctx *, const char *path,
	    struct cust_key **keyp);
/* Parse minisign public key text (the file's contents, or its base64 line). */
int	cust_key_parse_public(struct cust_ctx *, const char *text, size_t len,
	    struct cust_key **keyp);
/* Free a key, wiping secret material.  NULL is a no-op. */
void	cust_key_free(struct cust_key *);
/*
 * The key's own ID, derived from the key: the first 8 bytes of the SHA-256
 * of the Ed25519 public key, printed as minisign prints an ID (the bytes
 * in reverse order, 16 uppercase hex digits) and a NUL.  Never the ID a
 * file claims: see cust_key_minisign_id_hex.
 */
void	cust_key_id_hex(const struct cust_key *,
	    char out[CUST_KEYID_HEXLEN + 1]);
/* The minisign key ID the key's file or blob carried (its own ID for keys
 * made or loaded from a secret key file), as above. */
void	cust_key_minisign_id_hex(const struct cust_key *,
	    char out[CUST_KEYID_HEXLEN + 1]);
/*
 * CLAIMED (a key ID as a bundle, log or file states it; NULL when none
 * is stated) must be KEY's own ID: CUST_OK, or CUST_FAILED with
 * "SUBJECT: claims key ID CLAIMED but its key is OWN".
 */
int	cust_key_check_claim(struct cust_ctx *, const struct cust_key *,
	    const char *subject, const char *claimed);
/* The minisign ID KEY carries must be its own, as cust_key_check_claim. */
int	cust_key_check_own_id(struct cust_ctx *, const struct cust_key *,
	    const char *subject);
/*
 * The public key as minisign file text ("untrusted comment: ...\n<b64>\n").
 * Owned by the caller (free()).  NULL when out of memory.
 */
char	*cust_key_public_text(const struct cust_ctx *, const struct cust_key *);
/* The base64 line of the public key alone.  Owned by the caller. */
char	*cust_key_public_b64(const struct cust_key *);

/* ---------------------------------------------------------- manifests */

struct cust_manifest;

/*
 * Load a collection manifest (UAC-compatible YAML, see custody-manifest(5))
 * from a file or from memory.  NAME (or PATH) is used in messages
 * ("NAME:LINE: reason").  Malformed YAML, unknown fields, bad values, input
 * over 1 MiB and a file that cannot be read are CUST_FAILED; running out of
 * memory is CUST_FATAL.  On success *mp is owned by the caller
 * (cust_manifest_free); on failure it is NULL.  Artefacts custody will not
 * run (commands, other systems, ...) load, with a skip reason.
 */
int	cust_manifest_load_file(struct cust_ctx *, const char *path,
	    struct cust_manifest **mp);
int	cust_manifest_load_buffer(struct cust_ctx *, const char *name,
	    const void *buf, size_t len, struct cust_manifest **mp);
/* Free a manifest.  NULL is a no-op. */
void	cust_manifest_free(struct cust_manifest *);
/* The name it was loaded under, and the SHA-256 (hex) of its bytes. */
const char *cust_manifest_name(const struct cust_manifest *);
const char *cust_manifest_sha256(const struct cust_manifest *);
/* Number of artefacts, and the description of artefact I. */
size_t	cust_manifest_count(const struct cust_manifest *);
const char *cust_manifest_description(const struct cust_manifest *, size_t i);
/*
 * What artefact I says, for listings (I < cust_manifest_count; out of range
 * gives 0, NULL or 0 paths).  Strings are borrowed from the manifest.
 * cust_manifest_line: its 1-based line in the file.
 * cust_manifest_collector: "file", "find", "hash", "stat" or "command".
 * cust_manifest_npaths, cust_manifest_path: its paths, split on blanks and
 * unquoted as collect uses them (may hold %user_home% and globs).
 * cust_manifest_skip: why collect will not take it ("not for linux", ...),
 * or NULL when it will.
 */
unsigned cust_manifest_line(const struct cust_manifest *, size_t i);
const char *cust_manifest_collector(const struct cust_manifest *, size_t i);
size_t	cust_manifest_npaths(const struct cust_manifest *, size_t i);
const char *cust_manifest_path(const struct cust_manifest *, size_t i,
	    size_t j);
const char *cust_manifest_skip(const struct cust_manifest *, size_t i);
/*
 * Artefact I's conditions (its file's, then its own; UAC's `condition`),
 * decided without a shell on the tree at ROOTFD (LIVE: the running
 * system's root), see custody-manifest(5): 1 they hold (or there are
 * none), 0 one does not, -1 one cannot be decided without running it.
 * *COND is the one that decided (borrowed), or NULL.
 */
int	cust_manifest_condition(const struct cust_manifest *, size_t i,
	    int rootfd, bool live, const char **cond);

/*
 * The manifest files PATH stands for: PATH itself, or every *.yaml file
 * below a directory, in byte order.  And the artifact files of the UAC
 * profile PROFILE, whose entries are relative to ARTIFACTS_DIR (see
 * sources.c).  *VP is owned (cust_names_free); CUST_FAILED when nothing
 * is named or an entry matches nothing.
 */
int	cust_manifest_files(struct cust_ctx *, const char *path, char ***vp,
	    size_t *np);
int	cust_profile_files(struct cust_ctx *, const char *profile,
	    const char *artifacts_dir, char ***vp, size_t *np);
void	cust_names_free(char **v, size_t n);

/* The built-in default manifest (manifests/linux-triage.yaml). */
extern const char cust_default_manifest_name[];
extern const unsigned char cust_default_manifest[];
extern const size_t cust_default_manifest_len;

/* ------------------------------------------------------------ collect */

/* Which times a date range looks at (UAC: find -mtime, -atime, -ctime). */
enum {
	CUST_DATE_MTIME = 1u << 0,
	CUST_DATE_ATIME = 1u << 1,
	CUST_DATE_CTIME = 1u << 2,
};

/* Progress, for a line on a terminal: a count of files (collect: stored;
 * verify: members), of bytes (collect: payload; verify: input read) and
 * what is being worked on (collect: the artefact; verify: the member). */
typedef void cust_progress_fn(void *arg, uint64_t files, uint64_t bytes,
    const char *current);

/* A note about one artefact that was not taken whole (for the terminal):
 * a record's path and status, or an artefact of a manifest that was not
 * run at all, its label with the status CUST_NOT_RUN. */
typedef void cust_notify_fn(void *arg, const char *path, size_t pathlen,
    const char *status, const char *reason);
#define CUST_NOT_RUN	"not run"

/* The live state (custody-bundle(5), "Live state"): off, taken before the
 * files (order of volatility), taken alone, or, for an image (--root),
 * only the tables read from the image's own files (logins, packages). */
enum cust_live_mode {
	CUST_LIVE_OFF = 0,
	CUST_LIVE_FIRST,
	CUST_LIVE_ONLY,
	CUST_LIVE_IMAGE,
};

/*
 * What to collect and how.  A plain value filled by the caller; every
 * pointer is borrowed for the duration of cust_collect().
 */
/* How small files are opened, stat'ed and read (custody-bundle(5),
 * acquisition.json "reading"). */
enum cust_io_uring {
	CUST_IO_URING_AUTO = 0,		/* io_uring when available */
	CUST_IO_URING_ON,		/* io_uring, or the collection fails */
	CUST_IO_URING_OFF,		/* one system call at a time */
};

struct cust_collect_opts {
	const struct cust_manifest *const *manifests;
	size_t		 nmanifests;
	const char *const *paths;	/* extra paths, absolute in the root */
	size_t		 npaths;
	const char	*root;		/* collection root; NULL means "/" */
	int		 out_fd;	/* the bundle goes here (file, pipe) */
	const char	*out_name;	/* its name for messages */
	int		 spool_dirfd;	/* scratch space directory; -1: memory */
	dev_t		 out_dev;	/* the output file, never collected */
	ino_t		 out_ino;	/* (0/0 when it is a pipe) */
	const char	*bag_name;	/* top directory of the bag */
	bool		 no_guard;	/* do not make mounts read-only */
	bool		 one_file_system; /* never cross a mount point */
	bool		 niced;		/* the caller lowered its priorities: */
	bool		 io_idle;	/* nice 19, idle I/O (recorded only) */
	bool		 autogroup;	/* in an autogroup of its own, at nice
					   19 (recorded only) */
	uint64_t	 max_rate;	/* read at most this many bytes/s; 0: any */
	enum cust_io_uring io_uring;	/* batched system calls for small
					   files: when available, always
					   (else fail), or never */
	/* UAC date range: files whose mtime/atime/ctime (CUST_DATE_* bits in
	 * date_fields) lie in [since, until]; tv_sec -1 leaves an end open;
	 * date_fields 0: no range.  Artefacts with ignore_date_range and
	 * directories met on the way are not filtered. */
	unsigned	 date_fields;
	struct timespec	 since, until;
	int		 zstd_level;	/* 0: plain tar */
	int		 zstd_threads;
	unsigned	 algs;		/* CUST_ALG_* besides SHA-256 */
	const struct cust_key *key;	/* NULL: make a one-time key */
	const char	*case_id;	/* each NULL or one printable line */
	const char	*evidence_id;
	const char	*examiner;
	const char	*location;	/* where, and by what authority (a */
	const char	*authority;	/* warrant): one line each, or NULL */
	int		 argc;		/* command line, recorded as is */
	char *const	*argv;
	/* Facts of the caller's environment, which lib/ never reads: */
	const char	*cwd;		/* working directory, or NULL */
	const char	*sudo_user;	/* SUDO_USER, or NULL */
	const char	*tty;		/* controlling terminal (before any
					   new session), or NULL */
	cust_notify_fn	*notify;	/* may be NULL */
	void		*notify_arg;
	cust_progress_fn *progress;	/* at each record; may be NULL */
	void		*progress_arg;
	/* Countersignatures and the custody log (custody(1)): */
	const struct cust_signer *signer; /* X.509 signer, or NULL */
	const char	*tsa_url;	/* ask this TSA for tokens, or NULL */
	int		 tsa_timeout;	/* seconds; 0: CUST_TSA_TIMEOUT */
	bool		 custody_log;	/* make the first events of the
					   custody log (res->log_text) */
	enum cust_live_mode live;	/* the running host's live state */
	/* Encrypt the bundle to these recipients as it is written (a CMS
	   AuthEnvelopedData, see cust_recipients_load); NULL: in clear. */
	const struct cust_recipients *recipients;
};

/* The controlling terminal of the calling process ("pts/3", "tty1"), owned
 * by the caller, or NULL when it has none. */
char	*cust_controlling_tty(void);

struct cust_collect_result {
	char		 sha256[65];	/* of the bundle bytes written */
	uint64_t	 bundle_bytes;
	char		 key_id[CUST_KEYID_HEXLEN + 1];
	bool		 one_time_key;
	char		*public_key;	/* owned: minisign public key text */
	uint64_t	 files;		/* regular files stored */
	uint64_t	 payload_bytes;
	uint64_t	 recorded;	/* other entries recorded */
	uint64_t	 changed;	/* stored, but changed while read */
	uint64_t	 skipped;	/* left out by policy (too_large) */
	uint64_t	 failed;	/* could not be taken */
	size_t		 artefacts_run;
	size_t		 artefacts_skipped;
	bool		 guarded;	/* mounts were read-only, noatime */
	char		 guard_reason[256];	/* why not, when not */
	bool		 io_uring;	/* small files read through io_uring */
	char		 io_reason[256];	/* why not, when not */
	bool		 x509;		/* the .p7s signature was added */
	unsigned	 timestamps;	/* tokens added to the bundle */
	bool		 untimestamped;	/* a TSA failed: a token lacks */
	char		 tsa_error[512];	/* why: "URL: reason" */
	char		*log_text;	/* owned: the custody log's first lines
					   (opts->custody_log), for the caller
					   to write to BUNDLE.custody */
	uint64_t	 log_events;	/* events in log_text */
	char		 log_head[65];	/* SHA-256 of its last line, or "" */
	/* The live snapshot, when taken (opts->live): */
	bool		 live;
	uint64_t	 live_processes;	/* records, gone ones included */
	uint64_t	 live_gone;	/* exited while read: not failures */
	uint64_t	 live_blobs;	/* distinct executables, held files */
	uint64_t	 live_modules;
	uint64_t	 live_tables;	/* tables written */
	uint64_t	 live_failed_tables;	/* could not be read */
	uint64_t	 live_findings;	/* every cross-view's together */
	char		 live_views[256];	/* findings by cross-view */
	double		 live_seconds;	/* the volatile state took this long */
	double		 live_at_rest_seconds;	/* the package check after it */
};

/*
 * Collect into a sealed bundle written to opts->out_fd.  Unless no_guard,
 * the calling process first moves into a private mount namespace whose
 * mounts are read-only and noatime (when it may: root, Linux 5.12 or
 * later); it stays there.  Descriptors the caller opened before (out_fd,
 * spool_dirfd) keep their own mounts.  Returns CUST_OK
 * when every artefact was taken, CUST_WARN when some could not be (each is
 * in files.jsonl and was passed to notify) or when no artefact was run at
 * all (every one skipped, res->artefacts_run 0), CUST_FAILED for bad options and
 * CUST_FATAL when the bundle could not be written; then the output is not a
 * valid bundle.  Release the result with cust_collect_result_fini().
 */
int	cust_collect(struct cust_ctx *, const struct cust_collect_opts *,
	    struct cust_collect_result *);
void	cust_collect_result_fini(struct cust_collect_result *);

/* ------------------------------------------------------------- verify */

/* The outcome of a verification, from best to worst. */
enum cust_verdict {
	CUST_AUTHENTIC,		/* intact, and sealed by a trusted key */
	CUST_UNVERIFIED,	/* intact, but no trusted key sealed it */
	CUST_BROKEN,		/* a check failed: see the findings */
	CUST_UNREADABLE,	/* the input could not be read */
};

/* One thing found wrong, in the check that found it. */
struct cust_finding {
	const char	*check;		/* "archive", "structure", "signature",
					   "timestamp", "tag manifest",
					   "completeness", "validity",
					   "metadata", "custody log" */
	char		*subject;	/* owned: member or file named */
	char		*message;	/* owned */
};

/* One RFC 3161 token met by the verifier; strings owned by the report. */
struct cust_stamp {
	char		*where;		/* bundle member, or "custody log event
					   N" */
	const char	*over;		/* the member it covers (static) */
	char		*gen_time;	/* RFC 3339 UTC, or NULL */
	char		*tsa;		/* TSA certificate subject, or NULL */
	bool		 verified;	/* signed, and chains to opts->tsa_ca */
	bool		 offset_known;
	int64_t		 offset;	/* genTime - the host clock's end, s */
};

/* Who the verifier trusts; every pointer is borrowed. */
struct cust_verify_opts {
	int		 fd;		/* the bundle's bytes (file or pipe) */
	struct cust_unseal *unseal;	/* when fd is the clear text of a
					   confidential bundle: its envelope,
					   ended at the stream's end */
	const char	*name;		/* the bundle's name for messages */
	const struct cust_key *const *keys;	/* trusted public keys */
	size_t		 nkeys;
	const char *const *key_ids;	/* trusted key IDs (16 hex digits) */
	size_t		 nkey_ids;
	/* X.509, timestamps and the custody log (custody(1)): */
	const struct cust_castore *ca;	/* X.509 signers' CA, or NULL */
	const struct cust_castore *tsa_ca; /* TSAs' CA, or NULL */
	const struct cust_x509_policy *x509_policy; /* with ca; NULL: the
					   default usages, no CRL */
	bool		 require_timestamp; /* a verified token must exist */
	bool		 require_cms;	/* a verified .p7s must exist */
	int		 log_fd;	/* the custody log, when log_name */
	const char	*log_name;	/* its name; NULL: no log */
	const char	*log_head;	/* 64 hex digits: the log must end with
					   the line of this SHA-256; or NULL */
	const char	*tmpdir;	/* where the unnamed scratch file of
					   payload names goes, made only when
					   they pass 8 MiB; NULL: /tmp */
	/* A zstd bundle may expand this many times past its first GiB
	   (0: CUST_MAX_EXPANSION; UINT64_MAX: no bound). */
	uint64_t	 max_expansion;
	/* Called at each member: its name, the input bytes read so far and
	   the members met (for a progress line); may be NULL. */
	cust_progress_fn *progress;
	void		*progress_arg;
};

#define CUST_MAX_EXPANSION	1000

/* What the verifier found; every string is owned by the report. */
struct cust_report {
	enum cust_verdict verdict;
	const char	*failed_check;	/* first failing check, or NULL */
	char		 sha256[65];	/* of the input bytes */
	uint64_t	 bytes;
	char		 sealed_sha256[65]; /* of the envelope around them, or
					   "" when the bundle is in clear */
	uint64_t	 sealed_bytes;
	char		*bag;
	uint64_t	 members;
	uint64_t	 payload_files;	/* data/ members */
	uint64_t	 payload_bytes;
	uint64_t	 matched;	/* payload files matching every manifest */
	uint64_t	 missing;	/* in a manifest, not in the archive */
	uint64_t	 extra;		/* in the archive, not in a manifest */
	uint64_t	 mismatched;	/* digest differs from a manifest */
	char		 key_id[CUST_KEYID_HEXLEN + 1];	/* of the key that made
					   the signature, derived from it; ""
					   if no key checked made it */
	bool		 signature_valid;
	bool		 key_trusted;
	const char	*trusted_by;	/* "public key", "key ID", "X.509
					   certificate", or NULL */
	char		*trusted_comment;
	char		*case_id, *evidence_id, *examiner;	/* may be NULL */
	char		*location, *authority;			/* may be NULL */
	char		*host, *start_utc, *end_utc, *tool;	/* may be NULL */
	uint64_t	 records;	/* lines of files.jsonl */
	uint64_t	 not_collected;	/* records with a failure status */
	uint64_t	 custody_events;
	struct cust_finding *findings;
	size_t		 nfindings;
	uint64_t	 more_findings;	/* found but not kept (over a limit) */
	/* X.509 signature (signatures/tagmanifest-sha512.txt.p7s) */
	bool		 x509_present;
	bool		 x509_verified;	/* valid, and chains to opts->ca */
	bool		 x509_revocation_checked; /* against the policy's CRLs */
	bool		 x509_refused;	/* present, and failed (see findings) */
	char		*x509_subject;	/* the signer, as the signature says */
	char		*x509_checked_at; /* when its certificate was checked */
	const char	*x509_checked_by; /* "token genTime", "present time" */
	/* RFC 3161 tokens, in the bundle and in the custody log */
	struct cust_stamp *stamps;
	size_t		 nstamps;
	/* Notes that are not failures (large clock offsets, untrusted
	 * custody events, ...), each "subject: message". */
	char		**warnings;
	size_t		 nwarnings;
	/* The custody log (BUNDLE.custody) */
	char		*log_name;	/* NULL: no log was read */
	uint64_t	 log_events;
	char		 log_head[65];	/* SHA-256 of its last line */
	uint64_t	 log_trusted;	/* events signed by a key you trust */
	uint64_t	 log_unverified; /* events signed by other keys */
};

/*
 * Verify the bundle read from opts->fd in one streaming pass, extracting
 * nothing (custody(1) lists the checks and their order).  On CUST_OK
 * *reportp holds the result, whatever the verdict; CUST_FATAL only when
 * out of memory.  Free the report with cust_report_free().
 */
int	cust_verify(struct cust_ctx *, const struct cust_verify_opts *,
	    struct cust_report **reportp);
void	cust_report_free(struct cust_report *);
/* The report as one JSON document (owned by the caller), or NULL. */
char	*cust_report_json(const struct cust_report *);

/* --------------------------------------------------------------- scan */

/* Called with a member name and a text: the whole of acquisition.json, or
 * one line of files.jsonl (without its newline).  Non-zero stops. */
typedef int cust_scan_fn(void *arg, const char *member, const char *text,
    size_t len);

/*
 * Read the records of the bundle on FD without verifying anything: for
 * display only.  Returns CUST_OK, what FN returned, CUST_FAILED for a
 * damaged or hostile archive, or CUST_FATAL when it could not be read.
 */
int	cust_scan(struct cust_ctx *, int fd, const char *name,
	    cust_scan_fn *fn, void *arg);
/*
 * The same for the members whose names start with PREFIX ("data/live/"):
 * each line of a .jsonl member, and the whole of a .json member (at most
 * 16 MiB), to FN; lines are bounded by length only (1 MiB).
 */
int	cust_scan_under(struct cust_ctx *, int fd, const char *name,
	    const char *prefix, cust_scan_fn *fn, void *arg);
/*
 * As cust_scan, for readers of a bundle cust_verify accepted: FN also gets
 * each line of metadata/custody.jsonl, a zstd stream may expand RATIO
 * times (0: the default), and the bytes read must be the bytes verified
 * (SHA-256 VERIFIED, hex, or NULL), else CUST_FAILED at the end.
 */
int	cust_scan_verified(struct cust_ctx *, int fd, const char *name,
	    uint64_t ratio, const char *verified, cust_scan_fn *fn, void *arg);

/* ------------------------------------------------------------- export */

enum cust_export_format {
	CUST_EXPORT_BODYFILE, CUST_EXPORT_CSV, CUST_EXPORT_HASHDEEP,
	CUST_EXPORT_CASE,
};

struct cust_export_opts {
	int		 fd;		/* the bundle, at its start */
	const char	*name;		/* the bundle, in messages */
	uint64_t	 max_expansion;	/* as cust_extract's; 0: the default */
	enum cust_export_format format;
	const struct cust_report *report; /* what cust_verify said of it */
	int		 log_fd;	/* the custody log verified, or -1 */
	int		 tool_fd;	/* the running custody, for its SHA-256
					   in the CASE graph, or -1 */
	FILE		*out;		/* where the export is written */
};

/* The format named S ("bodyfile", "csv", "hashdeep", "case"): false when
 * there is none. */
bool	cust_export_format_of(const char *s, enum cust_export_format *);
/*
 * Write the records of the bundle cust_verify reported on (opts->report)
 * to opts->out in FORMAT (custody(1), EXPORT FORMATS).  A bundle that did
 * not verify is exported only when the caller decided so (--force), and
 * the output says it failed.  The bytes read must be the bytes verified:
 * CUST_FAILED otherwise, after what was written.  CUST_OK, CUST_FAILED for
 * a damaged bundle, CUST_FATAL when it could not be read or written.
 */
int	cust_export(struct cust_ctx *, const struct cust_export_opts *);

/* ------------------------------------------------------------ extract */

struct cust_extract_stats {
	uint64_t	 files;		/* regular files written */
	uint64_t	 dirs;		/* directories created */
	uint64_t	 bytes;		/* bytes written */
	char		 bag[256];	/* the bag directory made, or "" */
};

/*
 * Write the members of the bundle on FD (NAME in messages) under the
 * directory DIRFD, unverified: the bag's directory must not exist there
 * yet; only directories and regular files (mode 0700, 0600) are made;
 * no symbolic link is followed and no file is overwritten.  A zstd
 * stream may expand MAX_EXPANSION times past its first GiB (0: the
 * default, UINT64_MAX: no bound).  VERIFIED, when not NULL, is the
 * SHA-256 (hex) of the bytes cust_verify accepted: bytes read that differ
 * are CUST_FAILED, and the bag directory written is removed.  Returns
 * CUST_OK, CUST_FAILED for a damaged or hostile bundle (what was written
 * before it stays, and the message names the member), or CUST_FATAL when
 * it could not be read or written.  *ST counts what was written either
 * way; its bag is "" when nothing written was kept.
 */
int	cust_extract(struct cust_ctx *, int fd, const char *name, int dirfd,
	    uint64_t max_expansion, const char *verified,
	    struct cust_extract_stats *st);

/* --------------------------------------------------- X.509 and RFC 3161 */

/* An X.509 signing identity: a certificate, its chain and its key. */
struct cust_signer;

/*
 * Load CERT, PEM certificates (the signer's first, then any chain), and
 * KEY, the certificate's unencrypted PEM private key (read into memory that
 * is wiped).  Only ECDSA P-256 or P-384 and RSA of 3072 bits or more are
 * taken (Ed25519 cannot sign CMS in OpenSSL 3.0), and the certificate's key
 * usage must allow digitalSignature or nonRepudiation.  CUST_FAILED with a
 * message naming the file otherwise; *sp (owned by the caller,
 * cust_signer_free) is NULL then.
 */
int	cust_signer_load(struct cust_ctx *, const char *cert, const char *key,
	    struct cust_signer **sp);
/* Free a signer.  NULL is a no-op. */
void	cust_signer_free(struct cust_signer *);
/* The certificate's subject, one line of RFC 2253 text (borrowed). */
const char *cust_signer_subject(const struct cust_signer *);

/* CA certificates an investigator trusts, for signers or for TSAs. */
struct cust_castore;

/*
 * Read PATH, PEM certificates (at most 256).  CUST_FAILED when it cannot be
 * read or holds none; *sp is owned by the caller (cust_castore_free).
 */
int	cust_castore_load(struct cust_ctx *, const char *path,
	    struct cust_castore **sp);
/* Free a CA store.  NULL is a no-op. */
void	cust_castore_free(struct cust_castore *);

/*
 * What an X.509 signer of evidence must be beyond a chain to the CA
 * (custody(1), --x509-eku and --crl): an extended key usage the policy
 * allows (by default documentSigning, RFC 9336, or emailProtection), not
 * a CA; and, with CRLs, not revoked.
 */
struct cust_x509_policy;

int	cust_x509_policy_new(struct cust_ctx *, struct cust_x509_policy **pp);
/* Allow OID, in dotted numbers; the first call replaces the default set.
 * CUST_FAILED when OID is not one or too many are given. */
int	cust_x509_policy_eku(struct cust_ctx *, struct cust_x509_policy *,
	    const char *oid);
/* Add the CRLs of PATH (PEM, or one DER), a regular file of at most
 * 32 MiB.  CUST_FAILED when it cannot be read or holds none. */
int	cust_x509_policy_crl(struct cust_ctx *, struct cust_x509_policy *,
	    const char *path);
/* Free a policy.  NULL is a no-op. */
void	cust_x509_policy_free(struct cust_x509_policy *);

/* Seconds allowed for a TSA's connection, and again for its answer. */
#define CUST_TSA_TIMEOUT	30

/* -------------------------------------------------------- custody log */

/*
 * One event to append to a custody log (custody(1), THE CUSTODY LOG).
 * Strings are borrowed; each NULL or one line of printable UTF-8 of at
 * most 256 bytes.
 */
struct cust_event {
	const char	*type;		/* "transferred", "received", "stored",
					   "verified", "note" ("sealed",
					   "timestamped" and "untimestamped"
					   are written by the library) */
	const char	*name;		/* the actor, who signs */
	const char	*role;
	const char	*organisation;
	const char	*contact;
	const char	*location;
	const char	*purpose;	/* purpose or authority */
	const char	*from, *to;	/* transferred: both required */
	const char	*note;		/* free text (note, and others) */
	const struct cust_key *key;	/* the actor's secret key: signs */
};

/* What a custody log needs to know of its bundle. */
struct cust_bundle_ref {
	char		 bag[129];	/* the top directory */
	char		 tagmanifest_sha512[129];
	char		 sha256[65];	/* of the bundle's bytes, or "" */
	unsigned char	*sig;		/* owned: the minisign signature file */
	size_t		 siglen;
	unsigned char	*p7s;		/* owned: the CMS signature, or NULL */
	size_t		 p7slen;
};

/*
 * Read the bundle on FD (borrowed; plain or zstd tar) to the end, with
 * the verifier's hostile-input reader, for its tag manifest's SHA-512, its
 * signature files and the SHA-256 of every byte.  Nothing is verified.
 * CUST_FAILED when it is damaged or not a bundle, CUST_FATAL when it
 * cannot be read.  Release REF with cust_bundle_ref_fini (also after a
 * failure).
 */
int	cust_bundle_ref_read(struct cust_ctx *, int fd, const char *name,
	    struct cust_bundle_ref *ref);
void	cust_bundle_ref_fini(struct cust_bundle_ref *);

/*
 * Append EV, signed with ev->key, to the custody log on FD (borrowed, open
 * read-write; NAME for messages), holding an exclusive lock while it reads
 * the log, checks that its chain and sequence are whole and that the clock
 * is not before an event whose time it believes (one signed by ev->key, or
 * event 0, the seal), and writes one line.  An event of another key dated
 * after the clock cannot stop it (anyone may write one): the line is
 * written and CUST_WARN returned, naming that event.  REF binds a new
 * (empty) log to its bundle and may be NULL for a log with events; given
 * with one, it must be the log's bundle.  On CUST_OK or CUST_WARN, HEAD
 * holds the new head digest (SHA-256 of the line written).  CUST_FAILED
 * with a message when the event or the log is refused (nothing was
 * written), CUST_FATAL when the log could not be read or written.
 */
int	cust_log_append(struct cust_ctx *, int fd, const char *name,
	    const struct cust_bundle_ref *ref, const struct cust_event *ev,
	    char head[65]);
/*
 * Ask the TSA at URL (http://) for a token over each signature file of
 * REF (a SHA-256 imprint, a random nonce, certReq; TIMEOUT seconds, 0:
 * CUST_TSA_TIMEOUT), check that each was granted for that imprint and
 * nonce, then append one "timestamped" event
 * holding them, as cust_log_append does (EV gives the actor and key; its
 * type is ignored).  CUST_FAILED with "URL: reason" when a token did not
 * come: then nothing is appended.
 */
int	cust_log_timestamp(struct cust_ctx *, int fd, const char *name,
	    const struct cust_bundle_ref *ref, const char *url, int timeout,
	    const struct cust_event *ev, char head[65]);

/* A custody log read for display: what it says, nothing verified. */
struct cust_log;

/* One event as the log states it; strings borrowed, NULL when absent. */
struct cust_log_entry {
	uint64_t	 seq;
	const char	*type;
	const char	*time;		/* UTC, RFC 3339 */
	const char	*local_time;	/* with the writer's UTC offset */
	const char	*zone;
	const char	*name, *role, *organisation, *contact;
	const char	*location, *purpose;
	const char	*from, *to, *note;
	const char	*key_id;	/* of the signing key */
	const char	*bag;		/* event 0: the bundle it is bound to */
	const char	*tagmanifest_sha512;
	const char	*sha256;	/* event 0: the bundle file's (of a
					   confidential bundle, its envelope) */
	const char	*tsa;		/* timestamped, untimestamped */
	const char	*gen_time;	/* timestamped: the first token's, as
					   the event records it */
	size_t		 tokens;
	char		 hash[65];	/* SHA-256 of the line */
};

/*
 * Read and parse the custody log on FD (at most 64 MiB, lines at most
 * 1 MiB).  Each line must be {"event": TEXT, "minisig": TEXT} with TEXT
 * a JSON object of the format; chain, signatures and trust are not
 * checked (cust_verify does).  CUST_FAILED naming the line when it is
 * malformed.  The events are streamed, not held: the log keeps 128 bytes
 * an event and reads an event's line again from FD when it is asked
 * for, so FD must stay open until cust_log_free.  *logp is owned by the
 * caller (cust_log_free).
 */
int	cust_log_read(struct cust_ctx *, int fd, const char *name,
	    struct cust_log **logp);
/* Free a log read by cust_log_read.  NULL is a no-op. */
void	cust_log_free(struct cust_log *);
/* The number of events (lines) in the log. */
size_t	cust_log_count(const struct cust_log *);
/* Event I (I < count), borrowed from the log and valid until the next
 * event is asked for; NULL (the error set) when its line could not be
 * read again as it was. */
const struct cust_log_entry *cust_log_entry(const struct cust_log *,
	    size_t i);
/* The head digest: SHA-256 (hex) of the last line, "" when empty. */
const char *cust_log_head(const struct cust_log *);
/* Event I as JSON, {"event", "minisig", "sha256"} (owned by the caller),
 * or NULL (the error set). */
char	*cust_log_json_event(const struct cust_log *, size_t i);


/* ------------------------------------------------- confidential bundles */

/* The X.509 certificates a bundle is encrypted to. */
struct cust_recipients;

/*
 * Load N PEM certificates from PATHS (borrowed): each key must be RSA of
 * 3072 bits or more (used with OAEP and SHA-256) or EC on P-256 or P-384
 * (ECDH); OpenSSL 3.0's CMS cannot encrypt to X25519.  CUST_FAILED naming
 * the file otherwise.  *rsp is owned by the caller (cust_recipients_free).
 */
int	cust_recipients_load(struct cust_ctx *, const char *const *paths,
	    size_t n, struct cust_recipients **rsp);
void	cust_recipients_free(struct cust_recipients *);	/* NULL: no-op */

/* An investigator's private key, to read bundles encrypted to it. */
struct cust_identity;

/*
 * Load PATH, an unencrypted PEM private key (read into memory that is
 * wiped); its certificate is not needed: the key is tried on every
 * recipient of its type.  CUST_FAILED naming the file when it is not a
 * key.  *idp is owned by the caller (cust_identity_free).
 */
int	cust_identity_load(struct cust_ctx *, const char *path,
	    struct cust_identity **idp);
void	cust_identity_free(struct cust_identity *);	/* NULL: no-op */

/* true when the N bytes at BUF start a confidential bundle (the first 15
 * bytes decide). */
bool	cust_unseal_sniff(const void *buf, size_t n);

/* A confidential bundle being decrypted, on a thread of its own. */
struct cust_unseal;

/*
 * Read the envelope's header from FD (borrowed; NAME in messages), find
 * which of the N identities IDS (borrowed, until cust_unseal_free) it is
 * addressed to, and start decrypting the rest into a pipe.  CUST_FAILED
 * "NAME: not addressed to FILE: ..." when none is a recipient, or when the
 * envelope is not one custody writes; CUST_FATAL when FD cannot be read.
 * *up is owned by the caller (cust_unseal_free).
 */
int	cust_unseal_start(struct cust_ctx *, int fd, const char *name,
	    struct cust_identity *const *ids, size_t n,
	    struct cust_unseal **up);
/* The clear bundle's bytes, to read as any bundle is read (borrowed:
 * closed by cust_unseal_end or cust_unseal_free). */
int	cust_unseal_fd(const struct cust_unseal *);
/*
 * Once the clear bytes are read to their end: stop (closing the read end
 * of the pipe: what is unread is dropped), and give the SHA-256 (hex) and
 * size of the whole envelope.  CUST_FAILED onto CTX when the envelope is
 * not whole or its GCM tag does not verify (a byte changed): then nothing
 * read from it may be trusted.  It may be called more than once.
 */
int	cust_unseal_end(struct cust_unseal *, struct cust_ctx *ctx,
	    char sha256[65], uint64_t *bytes);
/* End if need be, and free.  NULL is a no-op. */
void	cust_unseal_free(struct cust_unseal *);

#endif /* CUSTODY_H */
