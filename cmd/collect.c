/*
 * collect.c: `custody collect`.  Turns the command line into collection
 * options, runs the collection into the output file (output.c), and tells
 * the responder what was taken, what was not and how to verify the
 * result.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "collect.h"
#include "sources.h"
#include "progress.h"

#define MAX_RECIPIENTS	16
#define ZSTD_WORKERS_MAX	4	/* zstd threads, whatever the cores */

/* What notify() needs: the progress line to erase, and --verbose. */
struct noted {
	struct progress	 prog;
	bool		 verbose;
};

static void
notify(void *arg, const char *path, size_t len, const char *status,
    const char *reason)
{
	struct noted *n = arg;
	char *p;

	/* An artefact a manifest skips (another system's) is no failure:
	 * said with --verbose only. */
	if (strcmp(status, CUST_NOT_RUN) == 0 && !n->verbose)
		return;
	p = strndup(path, len);
	progress_clear(&n->prog);
	fflush(stdout);
	fputs("custody: ", stderr);
	safe_fputs(p != NULL ? p : "?", stderr);
	fprintf(stderr, ": %s", status);
	if (strcmp(reason, status) != 0) {
		fputs(": ", stderr);
		safe_fputs(reason, stderr);
	}
	fputc('\n', stderr);
	free(p);
}

/* The X.509 signature, the timestamps and the custody log. */
static void
seals(FILE *f, const struct out *o, const struct cust_collect_result *res)
{
	if (res->x509)
		fprintf(f, "x509:       "
		    "signatures/tagmanifest-sha512.txt.p7s\n");
	if (res->timestamps > 0 && !res->untimestamped)
		fprintf(f, "timestamp:  %u token%s from the TSA in "
		    "timestamps/\n", res->timestamps,
		    res->timestamps > 1 ? "s" : "");
	else if (res->untimestamped) {
		fprintf(f, "timestamp:  UNTIMESTAMPED%s (", res->timestamps ?
		    " in part" : "");
		safe_fputs(res->tsa_error, f);
		fprintf(f, "); add one later: custody timestamp\n");
	}
	if (o->logged) {
		fprintf(f, "custody:    ");
		safe_fputs(o->logname, f);
		fprintf(f, " (%ju event%s, head %s)\n",
		    (uintmax_t)res->log_events, res->log_events > 1 ? "s" : "",
		    res->log_head);
	}
}

/* The live snapshot and what its cross-views found. */
static void
live_summary(FILE *f, const struct cust_collect_result *res)
{
	if (!res->live)
		return;
	fprintf(f, "live:       %ju processes (%ju gone while read), %ju "
	    "executables and held files, %ju modules; %ju tables in "
	    "data/live/ in %.2f s", (uintmax_t)res->live_processes,
	    (uintmax_t)res->live_gone, (uintmax_t)res->live_blobs,
	    (uintmax_t)res->live_modules, (uintmax_t)res->live_tables,
	    res->live_seconds);
	if (res->live_failed_tables > 0)
		fprintf(f, ", %ju could not be read",
		    (uintmax_t)res->live_failed_tables);
	/* taken after the volatile state, and timed apart */
	fprintf(f, "; package check: %.2f s", res->live_at_rest_seconds);
	fprintf(f, "\nfindings:   %ju (%s)\n", (uintmax_t)res->live_findings,
	    res->live_views);
}

static void
summary(const struct out *o, const struct cust_collect_result *res,
    const char *keyfile)
{
	FILE *f = o->tty;
	const char *name = o->path != NULL ? o->path : "(standard output)";

	fprintf(f, "bundle:     ");
	safe_fputs(name, f);
	fprintf(f, "\nsha256:     %s\n", res->sha256);
	fprintf(f, "size:       %ju bytes\n", (uintmax_t)res->bundle_bytes);
	fprintf(f, "seal key:   %s%s\n", res->key_id, res->one_time_key ?
	    " (one-time key: write this ID on the custody form)" : "");
	fprintf(f, "collected:  %ju files, %ju bytes; %ju other entries "
	    "recorded\n", (uintmax_t)res->files,
	    (uintmax_t)res->payload_bytes, (uintmax_t)res->recorded);
	fprintf(f, "changed:    %ju (collected, but changed while read)\n",
	    (uintmax_t)res->changed);
	fprintf(f, "skipped:    %ju (over a size limit)\n",
	    (uintmax_t)res->skipped);
	fprintf(f, "failed:     %ju (could not be taken; see files.jsonl)\n",
	    (uintmax_t)res->failed);
	fprintf(f, "artefacts:  %zu run, %zu not run (see acquisition.json)\n",
	    res->artefacts_run, res->artefacts_skipped);
	live_summary(f, res);
	if (res->guarded)
		fprintf(f, "protection: mounts read-only and noatime for this "
		    "collection\n");
	else {
		fprintf(f, "protection: NONE (");
		safe_fputs(res->guard_reason, f);
		fprintf(f, "): atimes may have moved where files.jsonl says "
		    "atime_updated\n");
	}
	seals(f, o, res);
	fprintf(f, "verify:     custody verify ");
	if (res->x509)
		fputs("--ca ISSUER-CA.pem ", f);
	else if (res->one_time_key)
		fprintf(f, "--trusted-key-id %s ", res->key_id);
	else {
		fputs("--pubkey ", f);
		safe_fputs(keyfile, f);
		fputs(".pub ", f);
	}
	if (res->timestamps > 0)
		fputs("--tsa-ca TSA-CA.pem ", f);
	safe_fputs(o->path != NULL ? o->path : "BUNDLE", f);
	fputc('\n', f);
}

/* A JSON string of S, or null when S is NULL or not UTF-8. */
static json_t *
jstr(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

/*
 * The summary as one JSON object on standard output, schema
 * "custody-collect-summary/1" (docs/collect-summary.schema.json).
 */
static int
json_summary(const struct out *o, const struct cust_collect_result *res,
    int rc)
{
	json_t *j;
	int r;

	j = json_pack("{s:s,s:o,s:s,s:I,s:{s:s,s:b,s:b,s:i,s:b,s:o},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:{s:b,s:o},s:o,s:i}",
	    "schema", "custody-collect-summary/1",
	    "bundle", jstr(o->path),
	    "sha256", res->sha256,
	    "bytes", (json_int_t)res->bundle_bytes,
	    "seal",
	    "key_id", res->key_id,
	    "one_time_key", res->one_time_key,
	    "x509", res->x509,
	    "timestamps", (int)res->timestamps,
	    "untimestamped", res->untimestamped,
	    "tsa_error", jstr(res->untimestamped ? res->tsa_error : NULL),
	    "counts",
	    "files", (json_int_t)res->files,
	    "payload_bytes", (json_int_t)res->payload_bytes,
	    "recorded", (json_int_t)res->recorded,
	    "changed", (json_int_t)res->changed,
	    "skipped", (json_int_t)res->skipped,
	    "failed", (json_int_t)res->failed,
	    "artefacts_run", (json_int_t)res->artefacts_run,
	    "artefacts_not_run", (json_int_t)res->artefacts_skipped,
	    "protection",
	    "read_only_mounts", res->guarded,
	    "reason", jstr(res->guarded ? NULL : res->guard_reason),
	    "custody_log", o->logged ? json_pack("{s:o,s:I,s:s}", "path",
	    jstr(o->logname), "events", (json_int_t)res->log_events, "head",
	    res->log_head) : json_null(),
	    "exit_status", rc);
	if (j == NULL)
		return warnmsg("out of memory"), -1;
	r = json_dumpf(j, stdout, JSON_INDENT(2));
	json_decref(j);
	putchar('\n');
	return r;
}

struct args {
	/* -m and --profile values in the order given: 'm' or 'p' in
	 * srckind[i] for srcs[i]; both arrays owned, argc long. */
	const char	**srcs;
	char		*srckind;
	size_t		 nsrcs;
	const char	*output;
	const char	*key;
	const char	*root;
	const char	*hash;
	const char	*cert;		/* X.509: --key is its key */
	const char	*tsa;
	const char	*recipients[MAX_RECIPIENTS];	/* --recipient */
	size_t		 nrecipients;
	bool		 zstd;
	bool		 no_nice;
	bool		 live, no_live;	/* --live, --no-live */
	bool		 json;		/* --json: the summary as JSON */
	bool		 quiet;		/* --quiet: no progress line */
	bool		 verbose;	/* --verbose: artefacts not run too */
	char		**argv;		/* owned: argv, in getopt's order */
	char		**paths;	/* borrowed: in ARGV */
	size_t		 npaths;
};

enum { OPT_KEY = 256, OPT_CASE, OPT_EVIDENCE, OPT_EXAMINER, OPT_HASH,
    OPT_ROOT, OPT_COMPRESS, OPT_ONEFS, OPT_RATE, OPT_NICE, OPT_NONICE,
    OPT_START, OPT_END, OPT_FIELDS, OPT_CERT, OPT_TSA, OPT_TSA_TIMEOUT,
    OPT_LIVE, OPT_NOLIVE, OPT_PROFILE, OPT_RECIPIENT,
    OPT_LOCATION, OPT_AUTHORITY, OPT_JSON, OPT_QUIET, OPT_VERBOSE };

/*
 * The live state is taken first by default when collecting the running
 * host itself (no --root) by manifest; a collection of named PATHs, or
 * of an image, takes it only with --live.  -1 after a message for
 * options that conflict.
 */
static int
live_mode(const struct args *a, struct cust_collect_opts *co)
{
	bool only = false;

	/* --profile live: the live state alone (sources.c adds nothing) */
	for (size_t i = 0; i < a->nsrcs; i++)
		only |= a->srckind[i] == 'p' && strcmp(a->srcs[i], "live") == 0;
	if (a->live && a->no_live)
		return warnmsg("--live: conflicts with --no-live"), -1;
	if (only) {
		if (a->no_live || a->root != NULL || a->nsrcs > 1 ||
		    a->npaths > 0)
			return warnmsg("--profile live: takes the live state "
			    "alone: no --no-live, --root, other -m or "
			    "--profile, or PATH"), -1;
		co->live = CUST_LIVE_ONLY;
		return 0;
	}
	/* An image (--root) has no running state; --live takes the tables
	 * its own files tell (logins, the package cross-view). */
	if (a->root != NULL)
		co->live = a->live ? CUST_LIVE_IMAGE : CUST_LIVE_OFF;
	else
		co->live = a->no_live || (a->npaths > 0 && !a->live) ?
		    CUST_LIVE_OFF : CUST_LIVE_FIRST;
	return 0;
}

/* "YYYY-MM-DD" (START: its first instant; else its last) or a UTC time
 * "YYYY-MM-DDTHH:MM:SSZ". */
static int
parse_date(const char *s, bool start, struct timespec *ts)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) != NULL &&
	    *end == '\0') {
		ts->tv_sec = timegm(&tm);
		ts->tv_nsec = start ? 0 : 999999999;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return -1;
	ts->tv_sec = timegm(&tm) + (start ? 0 : 86399);
	ts->tv_nsec = start ? 0 : 999999999;
	return 0;
}

static int
parse_fields(const char *s, unsigned *fields)
{
	char *dup = strdup(s), *tok, *save;
	int r = 0;

	*fields = 0;
	for (tok = dup ? strtok_r(dup, ",", &save) : NULL; tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "mtime") == 0)
			*fields |= CUST_DATE_MTIME;
		else if (strcmp(tok, "atime") == 0)
			*fields |= CUST_DATE_ATIME;
		else if (strcmp(tok, "ctime") == 0)
			*fields |= CUST_DATE_CTIME;
		else
			r = -1;
	}
	free(dup);
	return r == 0 && *fields != 0 ? 0 : -1;
}

/* Options that take a value to check. */
static int
parse_value(int ch, const char *arg, struct cust_collect_opts *co)
{
	char *end;
	double mb;

	switch (ch) {
	case OPT_RATE:
		mb = strtod(arg, &end);
		if (end == arg || *end != '\0' || !(mb > 0) || mb > 1e6)
			return warnmsg("--max-rate: %s: not a rate in MB/s",
			    arg), -1;
		co->max_rate = (uint64_t)(mb * 1e6);
		return 0;
	case OPT_START:
	case OPT_END:
		if (parse_date(arg, ch == OPT_START, ch == OPT_START ?
		    &co->since : &co->until) != 0)
			return warnmsg("%s: %s: not YYYY-MM-DD or "
			    "YYYY-MM-DDTHH:MM:SSZ", ch == OPT_START ?
			    "--start-date" : "--end-date", arg), -1;
		return 0;
	default:
		if (parse_fields(arg, &co->date_fields) != 0)
			return warnmsg("--date-fields: %s: use mtime, atime "
			    "and ctime, comma-separated", arg), -1;
		return 0;
	}
}

/* A whole number of seconds, 1 to 3600; -1 after a message. */
static int
seconds(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > 3600) {
		warnmsg("--tsa-timeout: %s: not 1 to 3600 seconds", s);
		return -1;
	}
	return (int)n;
}

static int
parse(int argc, char **argv, struct args *a, struct cust_collect_opts *co)
{
	static const struct option opts[] = {
		{ "manifest", required_argument, NULL, 'm' },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "output", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "case", required_argument, NULL, OPT_CASE },
		{ "evidence-id", required_argument, NULL, OPT_EVIDENCE },
		{ "examiner", required_argument, NULL, OPT_EXAMINER },
		{ "location", required_argument, NULL, OPT_LOCATION },
		{ "authority", required_argument, NULL, OPT_AUTHORITY },
		{ "hash", required_argument, NULL, OPT_HASH },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "one-file-system", no_argument, NULL, OPT_ONEFS },
		{ "max-rate", required_argument, NULL, OPT_RATE },
		{ "nice", no_argument, NULL, OPT_NICE },
		{ "no-nice", no_argument, NULL, OPT_NONICE },
		{ "start-date", required_argument, NULL, OPT_START },
		{ "end-date", required_argument, NULL, OPT_END },
		{ "date-fields", required_argument, NULL, OPT_FIELDS },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "tsa", required_argument, NULL, OPT_TSA },
		{ "tsa-timeout", required_argument, NULL, OPT_TSA_TIMEOUT },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "no-live", no_argument, NULL, OPT_NOLIVE },
		{ "recipient", required_argument, NULL, OPT_RECIPIENT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned fields = CUST_DATE_MTIME | CUST_DATE_CTIME;
	bool dates = false;
	int ch;

	co->since.tv_sec = co->until.tv_sec = -1;
	co->date_fields = 0;
	/* getopt moves the PATHs after the options: the acquisition
	 * record keeps the command line as it was typed. */
	if ((a->argv = calloc((size_t)argc + 1, sizeof(*a->argv))) == NULL ||
	    (a->srcs = calloc((size_t)argc + 1, sizeof(*a->srcs))) == NULL ||
	    (a->srckind = calloc((size_t)argc + 1, 1)) == NULL)
		return warnmsg("out of memory"), EXIT_FATAL;
	memcpy(a->argv, argv, (size_t)argc * sizeof(*argv));
	argv = a->argv;
	while ((ch = getopt_long(argc, argv, "hm:o:qv", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
		case OPT_PROFILE:
			a->srckind[a->nsrcs] = ch == 'm' ? 'm' : 'p';
			a->srcs[a->nsrcs++] = optarg;
			break;
		case 'o': a->output = optarg; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_CERT: a->cert = optarg; break;
		case OPT_RECIPIENT:
			if (a->nrecipients == MAX_RECIPIENTS) {
				warnmsg("--recipient: at most %d",
				    MAX_RECIPIENTS);
				return usage(&cmd_collect);
			}
			a->recipients[a->nrecipients++] = optarg;
			break;
		case OPT_TSA: a->tsa = co->tsa_url = optarg; break;
		case OPT_CASE: co->case_id = optarg; break;
		case OPT_EVIDENCE: co->evidence_id = optarg; break;
		case OPT_EXAMINER: co->examiner = optarg; break;
		case OPT_LOCATION: co->location = optarg; break;
		case OPT_AUTHORITY: co->authority = optarg; break;
		case OPT_HASH: a->hash = optarg; break;
		case OPT_ROOT: a->root = optarg; break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "zstd") != 0 &&
			    strcmp(optarg, "none") != 0) {
				warnmsg("--compress: %s: use zstd or none",
				    optarg);
				return usage(&cmd_collect);
			}
			a->zstd = strcmp(optarg, "zstd") == 0;
			break;
		case OPT_ONEFS: co->one_file_system = true; break;
		case OPT_LIVE: a->live = true; break;
		case OPT_NOLIVE: a->no_live = true; break;
		case OPT_JSON: a->json = true; break;
		case 'q':
		case OPT_QUIET: a->quiet = true; break;
		case 'v':
		case OPT_VERBOSE: a->verbose = true; break;
		case OPT_NICE: a->no_nice = false; break;
		case OPT_NONICE: a->no_nice = true; break;
		case OPT_START:
		case OPT_END:
			dates = true;
			/* FALLTHROUGH */
		case OPT_RATE:
			if (parse_value(ch, optarg, co) != 0)
				return usage(&cmd_collect);
			break;
		case OPT_FIELDS:
			if (parse_value(ch, optarg, co) != 0)
				return usage(&cmd_collect);
			fields = co->date_fields;
			break;
		case OPT_TSA_TIMEOUT:
			if ((co->tsa_timeout = seconds(optarg)) < 0)
				return usage(&cmd_collect);
			break;
		case 'h':
			return help(&cmd_collect), -1;
		default:
			return usage(&cmd_collect);
		}
	}
	co->date_fields = dates ? fields : 0;
	if (a->cert != NULL && a->key == NULL) {
		warnmsg("--cert: needs --key, the certificate's private key");
		return usage(&cmd_collect);
	}
	/* With -o -, standard output is the bundle's: no room for JSON. */
	if (a->json && a->output != NULL && strcmp(a->output, "-") == 0) {
		warnmsg("--json: the bundle goes to standard output (-o -); "
		    "write it to a file to have the summary as JSON");
		return usage(&cmd_collect);
	}
	if (co->tsa_timeout != 0 && a->tsa == NULL) {
		warnmsg("--tsa-timeout: needs --tsa");
		return usage(&cmd_collect);
	}
	if (dates && co->since.tv_sec >= 0 && co->until.tv_sec >= 0 &&
	    co->since.tv_sec > co->until.tv_sec) {
		warnmsg("--start-date: after --end-date");
		return usage(&cmd_collect);
	}
	a->paths = argv + optind;
	a->npaths = (size_t)(argc - optind);
	if (live_mode(a, co) != 0)
		return usage(&cmd_collect);
	return EXIT_DONE;
}

/* Absolute, in-root spellings of the PATH arguments. */
static char **
absolute_paths(const struct args *a)
{
	char **v, cwd[4096];

	if ((v = calloc(a->npaths + 1, sizeof(*v))) == NULL)
		return NULL;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, "/");
	for (size_t i = 0; i < a->npaths; i++) {
		if (a->paths[i][0] == '/' || a->root != NULL)
			v[i] = strdup(a->paths[i]);
		else if (asprintf(&v[i], "%s/%s", cwd, a->paths[i]) < 0)
			v[i] = NULL;
		if (v[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* The manifests of -m and --profile, in order; the built-in one when
 * neither they nor a PATH is given. */
static int
load_manifests(struct cust_ctx *ctx, const struct args *a,
    struct sources *src)
{
	int rc = EXIT_DONE;

	if (a->nsrcs == 0 && a->npaths == 0)
		return sources_add_profile(ctx, src, "default");
	for (size_t i = 0; rc == EXIT_DONE && i < a->nsrcs; i++)
		rc = a->srckind[i] == 'm' ?
		    sources_add_manifest(ctx, src, a->srcs[i]) :
		    sources_add_profile(ctx, src, a->srcs[i]);
	return rc;
}

/* The public key file that goes with a secret key file "X.key": "X". */
static char *
key_stem(const char *keyfile)
{
	char *s = strdup(keyfile);

	if (s != NULL && endswith(s, ".key"))
		s[strlen(s) - 4] = '\0';
	return s;
}

/* "custody: WHAT" and a message from the library, printed safely. */
static void
warn2(const char *what, const char *msg)
{
	fflush(stdout);
	fputs("custody: ", stderr);
	fputs(what, stderr);
	safe_fputs(msg, stderr);
	fputc('\n', stderr);
}

/* --recipient: the certificates the bundle is encrypted to. */
static int
load_recipients(struct cust_ctx *ctx, const struct args *a,
    struct cust_recipients **rs)
{
	int r;

	if (a->nrecipients == 0)
		return EXIT_DONE;
	if ((r = cust_recipients_load(ctx, a->recipients, a->nrecipients,
	    rs)) == CUST_OK)
		return EXIT_DONE;
	warnctx(ctx);
	return r == CUST_FATAL ? EXIT_FATAL : EXIT_USAGE;
}

/* The sealing keys: --key alone, or --cert with --key as its key. */
static int
load_keys(struct cust_ctx *ctx, const struct args *a, struct cust_key **key,
    struct cust_signer **signer)
{
	int r;

	if (a->cert != NULL)
		r = cust_signer_load(ctx, a->cert, a->key, signer);
	else if (a->key != NULL)
		r = cust_key_load_secret(ctx, a->key, key);
	else
		return EXIT_DONE;
	if (r == CUST_OK)
		return EXIT_DONE;
	warnctx(ctx);
	return r == CUST_FATAL ? EXIT_FATAL : EXIT_USAGE;
}

static int
collect(struct cust_ctx *ctx, struct args *a, struct cust_collect_opts *co,
    struct out *o)
{
	struct cust_collect_result res;
	struct noted n = { .verbose = a->verbose };
	struct stat st;
	char *stem;
	int r, rc;

	if (o->fd != STDOUT_FILENO && fstat(o->fd, &st) == 0) {
		co->out_dev = st.st_dev;
		co->out_ino = st.st_ino;
	}
	co->out_fd = o->fd;
	co->out_name = o->path != NULL ? o->path : "standard output";
	/* The spools hold paths and digests in clear: for a confidential
	 * bundle they stay in memory, never in a file. */
	co->spool_dirfd = co->recipients != NULL ? -1 : o->dirfd;
	/* zstd level 1 on every core, as fast as the reading or nearly, up
	 * to four: more would only take memory (1.4 MiB a worker) from a
	 * host we must not crowd. */
	co->zstd_level = o->zstd ? 1 : 0;
	co->zstd_threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (co->zstd_threads > ZSTD_WORKERS_MAX)
		co->zstd_threads = ZSTD_WORKERS_MAX;
	progress_start(&n.prog, a->quiet, "files");
	co->notify = notify;
	co->notify_arg = &n;
	co->progress = progress_update;
	co->progress_arg = &n.prog;
	co->custody_log = o->path != NULL;
	r = cust_collect(ctx, co, &res);
	progress_clear(&n.prog);
	if (r == CUST_FAILED || r == CUST_FATAL) {
		warnctx(ctx);
		if (o->path != NULL)
			warnmsg("%s: removed: the bundle was not sealed",
			    o->path);
		else
			warnmsg("standard output: the bundle stream is "
			    "incomplete and will not verify");
		return r == CUST_FAILED ? EXIT_USAGE : EXIT_FATAL;
	}
	rc = r == CUST_WARN ? EXIT_PARTIAL : EXIT_DONE;
	if (res.artefacts_run == 0 && co->live != CUST_LIVE_ONLY)
		warnmsg("no artefact was run: all %zu were skipped (see "
		    "acquisition.json), so nothing was collected",
		    res.artefacts_skipped);
	if (res.untimestamped)
		warn2("untimestamped: ", res.tsa_error);
	if (finish_output(o, &res) != EXIT_DONE)
		rc = EXIT_FATAL;
	else {
		stem = a->key != NULL ? key_stem(a->key) : NULL;
		if (!a->json)
			summary(o, &res, stem);
		else if (json_summary(o, &res, rc) != 0)
			rc = EXIT_FATAL;
		free(stem);
	}
	cust_collect_result_fini(&res);
	return rc;
}

static void
args_free(struct args *a)
{
	free(a->argv);
	free(a->srcs);
	free(a->srckind);
}

/* CUSTODY_IO_URING=auto|on|off: for tests and benchmarks, which path
 * reads small files (custody(1), ENVIRONMENT). */
static int
io_uring_mode(struct cust_collect_opts *co)
{
	const char *v = getenv("CUSTODY_IO_URING");

	if (v == NULL || *v == '\0' || strcmp(v, "auto") == 0)
		co->io_uring = CUST_IO_URING_AUTO;
	else if (strcmp(v, "on") == 0)
		co->io_uring = CUST_IO_URING_ON;
	else if (strcmp(v, "off") == 0)
		co->io_uring = CUST_IO_URING_OFF;
	else {
		warnmsg("CUSTODY_IO_URING: '%s' is not auto, on or off", v);
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

static int
run(int argc, char **argv)
{
	struct sources src = { 0 };
	struct cust_collect_opts co;
	struct cust_key *key = NULL;
	struct cust_signer *signer = NULL;
	struct cust_recipients *rs = NULL;
	struct cust_ctx *ctx;
	struct args a;
	struct out o;
	char **paths = NULL, *bag = NULL, *tty = NULL, cwd[4096];
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&co, 0, sizeof(co));
	memset(&o, 0, sizeof(o));
	o.fd = o.dirfd = -1;
	if ((rc = parse(argc, argv, &a, &co)) != EXIT_DONE) {
		args_free(&a);
		return rc < 0 ? EXIT_DONE : rc;
	}
	if ((ctx = ctx_or_die()) == NULL) {
		args_free(&a);
		return EXIT_FATAL;
	}
	if (a.hash != NULL && cust_alg_parse(ctx, a.hash, &co.algs) != 0) {
		warnctx(ctx);
		rc = usage(&cmd_collect);
		goto out;
	}
	if ((rc = io_uring_mode(&co)) != EXIT_DONE ||
	    (rc = load_manifests(ctx, &a, &src)) != EXIT_DONE)
		goto out;
	if ((rc = load_keys(ctx, &a, &key, &signer)) != EXIT_DONE ||
	    (rc = load_recipients(ctx, &a, &rs)) != EXIT_DONE)
		goto out;
	if ((paths = absolute_paths(&a)) == NULL) {
		warnmsg("out of memory");
		rc = EXIT_FATAL;
		goto out;
	}
	co.manifests = (const struct cust_manifest *const *)src.m;
	co.nmanifests = src.n;
	co.paths = (const char *const *)paths;
	co.npaths = a.npaths;
	co.root = a.root;
	co.key = key;
	co.signer = signer;
	co.recipients = rs;
	co.argc = argc;
	co.argv = argv;
	/* What lib/ may not read itself: the environment, and the terminal
	 * before --nice moves the collection into a session of its own. */
	co.cwd = getcwd(cwd, sizeof(cwd));
	co.sudo_user = getenv("SUDO_USER");
	co.tty = tty = cust_controlling_tty();
	if ((rc = open_output(&o, a.output, a.zstd, rs != NULL)) !=
	    EXIT_DONE)
		goto out;
	if ((bag = bag_name(co.evidence_id, o.path)) == NULL) {
		rc = EXIT_FATAL;
		goto out;
	}
	co.bag_name = bag;
	catch_signals();
	if (!a.no_nice)
		be_nice(&co);
	rc = collect(ctx, &a, &co, &o);
out:
	close_output(&o);
	if (signal_deferred() != 0) {
		warnmsg("interrupted once the bundle was sealed: %s kept",
		    o.published ? "it and what was written beside it are" :
		    "what was sent is whole, and");
		rc = 128 + signal_deferred();
	}
	free(tty);
	free(bag);
	for (size_t i = 0; paths != NULL && i < a.npaths; i++)
		free(paths[i]);
	free(paths);
	sources_free(&src);
	cust_key_free(key);
	cust_signer_free(signer);
	cust_recipients_free(rs);
	cust_ctx_free(ctx);
	args_free(&a);
	return rc;
}

static const struct help_row options[] = {
	{ "-m, --manifest FILE", "collect what this manifest names "
	    "(repeatable, no limit): a path, a directory (every *.yaml below "
	    "it), or the NAME of an installed one (custody manifests); "
	    "without -m, --profile and PATH: the built-in linux-triage "
	    "manifest" },
	{ "--profile NAME|FILE", "collect what a profile names "
	    "(repeatable): a built-in one (default, or triage, the same; "
	    "live: the live state alone), a UAC profile installed "
	    "in " CUSTODY_MANIFEST_DIR "/uac/profiles by its name, or a UAC "
	    "profile file, whose entries are read in the artifacts directory "
	    "beside its own" },
	{ "-o, --output FILE", "write the bundle here: FILE.tar, "
	    "FILE.tar.zst, or - for standard output (default: "
	    "HOSTNAME-UTCTIME.tar)" },
	{ "--key KEYFILE", "seal with this secret key (custody keygen); "
	    "default: a one-time key whose ID is printed" },
	{ "--cert CERT.pem", "also sign with this X.509 certificate (and "
	    "chain); --key is then its private key (ECDSA P-256/P-384 or RSA "
	    ">= 3072), and a one-time key makes the minisign signature" },
	{ "--tsa URL", "ask this RFC 3161 time-stamp authority (http://) for "
	    "a token over each signature; if it fails, the bundle is still "
	    "sealed, and untimestamped" },
	{ "--tsa-timeout S", "seconds to wait for the TSA (default 30)" },
	{ "--no-live", "leave out the live state (processes, executables, "
	    "kernel), taken first by default when collecting this host by "
	    "manifest" },
	{ "--live", "take the live state also with PATH operands; with "
	    "--root, the tables the image's own files tell (logins, "
	    "installed packages against their checksums)" },
	{ "--recipient CERT.pem", "encrypt the sealed bundle, as it is "
	    "written, to this X.509 certificate's key (repeatable; RSA >= "
	    "3072 or EC P-256/P-384): OUTPUT.p7m, a CMS AuthEnvelopedData "
	    "(AES-256-GCM) that custody verify --identity or openssl cms "
	    "-decrypt reads" },
	{ "--case ID", "case identifier, recorded and signed" },
	{ "--evidence-id ID", "evidence item identifier; also names the bag "
	    "directory" },
	{ "--examiner NAME", "who collected, recorded and signed" },
	{ "--location TEXT", "where the collection took place, recorded and "
	    "signed" },
	{ "--authority TEXT", "the legal basis and scope of the collection "
	    "(a warrant reference), recorded and signed" },
	{ "--hash ALG,...", "more payload manifests besides sha256: sha512, "
	    "sha1, md5" },
	{ "--root DIR", "collect from the image mounted at DIR (paths "
	    "resolve in it)" },
	{ "--compress ALG", "zstd or none (default: zstd for *.zst names)" },
	{ "--one-file-system", "never cross into another mounted "
	    "filesystem" },
	{ "--start-date DATE, --end-date DATE", "collect only files with a "
	    "time in the range (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC; "
	    "artefacts with ignore_date_range are not filtered)" },
	{ "--date-fields F", "which times count: mtime, atime, ctime "
	    "(default mtime,ctime)" },
	{ "--max-rate MB", "read at most MB megabytes (10^6 bytes) a "
	    "second" },
	{ "--nice", "lowest CPU and idle I/O priority (the default)" },
	{ "--no-nice", "keep the caller's priorities" },
	{ "-q, --quiet", "no progress line on standard error (there is "
	    "one only when it is a terminal)" },
	{ "-v, --verbose", "also list each artefact a manifest did not run, "
	    "with its reason (failed and skipped files are always listed)" },
	{ "--json", "print the summary as JSON (schema "
	    "custody-collect-summary/1); not with -o -" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_collect = {
	.name = "collect",
	.run = run,
	.synopsis = "[-m MANIFEST]... [--profile NAME|FILE]... [-o OUTPUT] "
	    "[--key KEYFILE] [--case ID] [--evidence-id ID] [--examiner NAME] "
	    "[--location TEXT] [--authority TEXT] [--hash ALG[,ALG...]] "
	    "[--root DIR] [--compress zstd|none] [--one-file-system] "
	    "[--start-date DATE] [--end-date DATE] [--date-fields F] "
	    "[--max-rate MB] [--[no-]nice] [--cert CERT.pem --key KEY.pem] "
	    "[--tsa URL [--tsa-timeout S]] [--recipient CERT.pem]... "
	    "[--json] [--quiet] [--verbose] "
	    "[PATH...]",
	.summary = "collect artefacts into a sealed, signed evidence bundle",
	.options = options,
	.notes = "Exit status: 0 complete, 1 partial (some artefacts could "
	    "not be taken), 2 usage, 3 fatal (no bundle was sealed).",
};
