/*
 * collect.c: `custody collect`.  Turns the command line into collection
 * options, owns the output file (created exclusively, removed if the
 * collection cannot finish), and tells the responder what was taken, what
 * was not and how to verify the result.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define MAX_MANIFESTS	64
#define ZSTD_WORKERS_MAX	4	/* zstd threads, whatever the cores */

struct out {
	char		*path;		/* NULL for stdout */
	char		*sidecar;	/* PATH.sha256 */
	char		*logname;	/* PATH.custody: the custody log */
	const char	*base;		/* PATH's last component */
	int		 fd;
	int		 dirfd;
	bool		 created;	/* we made PATH: ours to remove */
	bool		 logged;	/* PATH.custody was written */
	bool		 zstd;
	FILE		*tty;		/* where the summary goes */
};

/*
 * The partial output to remove if a signal ends the collection.  It is
 * removed through its directory's descriptor: once the collection has made
 * the mounts read-only for this process, only descriptors opened before
 * can still change the output's directory.
 */
static volatile sig_atomic_t partial_set;
static int partial_dirfd = -1;
static char partial[4096];

static void
onsignal(int sig)
{
	static const char msg[] = "custody: interrupted: partial bundle "
	    "removed, nothing was sealed\n";

	if (partial_set)
		unlinkat(partial_dirfd, partial, 0);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

/* Lowest CPU priority and idle I/O class, in a scheduling group of its
 * own (session.c): a fragile production host comes first.  Failures are
 * not fatal; the summary would be wrong to claim what did not happen, so
 * report them. */
static void
be_nice(struct cust_collect_opts *co)
{
	enum { WHO_PROCESS = 1, CLASS_IDLE = 3, CLASS_SHIFT = 13 };

	co->autogroup = own_session();
	if (setpriority(PRIO_PROCESS, 0, 19) == 0)
		co->niced = true;
	else
		warnmsg("setpriority: %s", strerror(errno));
	if (syscall(SYS_ioprio_set, WHO_PROCESS, 0,
	    CLASS_IDLE << CLASS_SHIFT) == 0)
		co->io_idle = true;
	else
		warnmsg("ioprio_set: %s", strerror(errno));
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigfillset(&sa.sa_mask);
	/* SIGINT is caught even where the shell ignores it (a background
	 * job), so that a caller can still interrupt; a hang-up that the
	 * caller ignores (nohup) is ignored, and the collection outlives the
	 * terminal, as asked. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!caller_ignores(SIGHUP))
		sigaction(SIGHUP, &sa, NULL);
	/* Over a file size limit, write(2) must fail (EFBIG) so that the
	 * partial bundle is removed, not kill us and leave it behind. */
	signal(SIGXFSZ, SIG_IGN);
}

static bool
endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* "<hostname>-<UTC time>.tar" */
static char *
default_name(void)
{
	char host[256], when[32], *s;
	time_t t = time(NULL);
	struct tm tm;

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_", *p))
			*p = '_';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&s, "%s-%s.tar", host, when) < 0)
		return NULL;
	return s;
}

/* The bag's top directory: the evidence id, or the output's base name. */
static char *
bag_name(const char *evidence, const char *path)
{
	char *s, *base;

	if (evidence != NULL)
		s = strdup(evidence);
	else if (path == NULL) {
		if ((s = default_name()) != NULL)
			s[strlen(s) - 4] = '\0';
	} else {
		base = strrchr(path, '/');
		s = strdup(base != NULL ? base + 1 : path);
		if (s != NULL && endswith(s, ".tar.zst"))
			s[strlen(s) - 8] = '\0';
		else if (s != NULL && endswith(s, ".tar"))
			s[strlen(s) - 4] = '\0';
	}
	if (s == NULL)
		return NULL;
	for (char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_", *p))
			*p = '_';
	if (s[0] == '.' || s[0] == '\0') {
		free(s);
		return strdup("bundle");
	}
	return s;
}

static int
open_output(struct out *o, const char *arg, bool zstd)
{
	char *dir;

	o->fd = o->dirfd = -1;
	o->tty = stdout;
	o->zstd = zstd;
	if (arg != NULL && strcmp(arg, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			warnmsg("-: refusing to write a bundle to a terminal");
			return EXIT_USAGE;
		}
		o->fd = STDOUT_FILENO;
		o->tty = stderr;
		return EXIT_DONE;
	}
	o->path = arg != NULL ? strdup(arg) : default_name();
	if (o->path == NULL || asprintf(&o->sidecar, "%s.sha256", o->path) < 0
	    || asprintf(&o->logname, "%s.custody", o->path) < 0)
		return warnmsg("out of memory"), EXIT_FATAL;
	o->zstd = zstd || endswith(o->path, ".zst");
	if (access(o->sidecar, F_OK) == 0) {
		warnmsg("%s: %s", o->sidecar, strerror(EEXIST));
		return EXIT_FATAL;
	}
	o->fd = open(o->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (o->fd < 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		return EXIT_FATAL;
	}
	o->created = true;
	o->base = strrchr(o->path, '/') != NULL ? strrchr(o->path, '/') + 1 :
	    o->path;
	if ((dir = strdup(o->path)) == NULL || (o->dirfd = open(dirname(dir),
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		free(dir);
		return EXIT_FATAL;
	}
	free(dir);
	if (access(o->logname, F_OK) == 0) {
		warnmsg("%s: %s", o->logname, strerror(EEXIST));
		return EXIT_FATAL;
	}
	snprintf(partial, sizeof(partial), "%s", o->base);
	partial_dirfd = o->dirfd;
	partial_set = strlen(o->base) < sizeof(partial);
	return EXIT_DONE;
}

static void
close_output(struct out *o, bool keep)
{
	if (o->created && !keep) {
		partial_set = 0;
		unlinkat(o->dirfd, o->base, 0);
	}
	free(o->logname);
	if (o->fd > STDOUT_FILENO)
		close(o->fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->path);
	free(o->sidecar);
}

/*
 * The custody log's first events beside the bundle, made through the
 * directory opened before the collection (the mounts are read-only now).
 * A bundle is whole without it: a failure is reported, not fatal.
 */
static int
write_log(struct out *o, const struct cust_collect_result *res)
{
	const char *base = strrchr(o->logname, '/') != NULL ?
	    strrchr(o->logname, '/') + 1 : o->logname;
	size_t n = res->log_text != NULL ? strlen(res->log_text) : 0;
	ssize_t k = 0;
	int fd;

	if (n == 0)
		return EXIT_DONE;
	fd = openat(o->dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	for (size_t off = 0; fd >= 0 && off < n; off += (size_t)k)
		if ((k = write(fd, res->log_text + off, n - off)) < 0 &&
		    errno != EINTR)
			break;
		else if (k < 0)
			k = 0;
	if (fd < 0 || k < 0 || fsync(fd) != 0) {
		warnmsg("%s: %s: the custody log was not written", o->logname,
		    strerror(errno));
		if (fd >= 0)
			unlinkat(o->dirfd, base, 0);
	} else
		o->logged = true;
	if (fd >= 0)
		close(fd);
	return EXIT_DONE;
}

/* Make the bundle durable and write its checksum beside it. */
static int
finish_output(struct out *o, const struct cust_collect_result *res)
{
	const char *side = strrchr(o->sidecar, '/') != NULL ?
	    strrchr(o->sidecar, '/') + 1 : o->sidecar;
	FILE *f;
	int fd;

	if (fsync(o->fd) != 0) {
		warnmsg("%s: %s", o->path, strerror(errno));
		return EXIT_FATAL;
	}
	fd = openat(o->dirfd, side, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		warnmsg("%s: %s", o->sidecar, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FATAL;
	}
	fprintf(f, "%s  %s\n", res->sha256, o->base);
	if (fflush(f) != 0 || fsync(fd) != 0 || fclose(f) != 0) {
		warnmsg("%s: %s", o->sidecar, strerror(errno));
		unlinkat(o->dirfd, side, 0);
		return EXIT_FATAL;
	}
	return write_log(o, res);
}

static void
notify(void *arg, const char *path, size_t len, const char *status,
    const char *reason)
{
	char *p = strndup(path, len);

	(void)arg;
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

struct args {
	const char	*manifests[MAX_MANIFESTS];
	size_t		 nmanifests;
	const char	*output;
	const char	*key;
	const char	*root;
	const char	*hash;
	const char	*cert;		/* X.509: --key is its key */
	const char	*tsa;
	bool		 zstd;
	bool		 no_nice;
	char		**paths;
	size_t		 npaths;
};

enum { OPT_KEY = 256, OPT_CASE, OPT_EVIDENCE, OPT_EXAMINER, OPT_HASH,
    OPT_ROOT, OPT_COMPRESS, OPT_ONEFS, OPT_RATE, OPT_NICE, OPT_NONICE,
    OPT_START, OPT_END, OPT_FIELDS, OPT_CERT, OPT_TSA, OPT_TSA_TIMEOUT };

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
		{ "output", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "case", required_argument, NULL, OPT_CASE },
		{ "evidence-id", required_argument, NULL, OPT_EVIDENCE },
		{ "examiner", required_argument, NULL, OPT_EXAMINER },
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned fields = CUST_DATE_MTIME | CUST_DATE_CTIME;
	bool dates = false;
	int ch;

	co->since.tv_sec = co->until.tv_sec = -1;
	co->date_fields = 0;
	while ((ch = getopt_long(argc, argv, "hm:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (a->nmanifests == MAX_MANIFESTS) {
				warnmsg("-m: at most %d manifests",
				    MAX_MANIFESTS);
				return usage(&cmd_collect);
			}
			a->manifests[a->nmanifests++] = optarg;
			break;
		case 'o': a->output = optarg; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_CERT: a->cert = optarg; break;
		case OPT_TSA: a->tsa = co->tsa_url = optarg; break;
		case OPT_CASE: co->case_id = optarg; break;
		case OPT_EVIDENCE: co->evidence_id = optarg; break;
		case OPT_EXAMINER: co->examiner = optarg; break;
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
	return EXIT_DONE;
}

/* A PATH that is not there is no failure to take it, but say so. */
static void
check_paths(const struct args *a)
{
	struct stat st;
	char *full;

	for (size_t i = 0; i < a->npaths; i++) {
		full = NULL;
		if (a->root != NULL && asprintf(&full, "%s/%s", a->root,
		    a->paths[i]) < 0)
			continue;
		if (lstat(full != NULL ? full : a->paths[i], &st) != 0) {
			fflush(stdout);
			fputs("custody: ", stderr);
			safe_fputs(a->paths[i], stderr);
			fprintf(stderr, ": %s\n", strerror(errno));
		}
		free(full);
	}
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

/* -m ARG: an installed manifest's name or a path (installed.c). */
static int
load_manifest(struct cust_ctx *ctx, const char *arg, struct cust_manifest **m)
{
	const char *file;
	char *owned;
	int r;

	if ((file = manifest_file(arg, &owned)) == NULL) {
		warnmsg("%s: %s", arg, strerror(errno));
		return EXIT_FATAL;
	}
	r = cust_manifest_load_file(ctx, file, m);
	free(owned);
	if (r != CUST_OK)
		return warnctx(ctx), EXIT_USAGE;
	return EXIT_DONE;
}

static int
load_manifests(struct cust_ctx *ctx, const struct args *a,
    struct cust_manifest **m, size_t *n)
{
	int rc;

	*n = 0;
	if (a->nmanifests == 0 && a->npaths == 0) {
		if (cust_manifest_load_buffer(ctx, cust_default_manifest_name,
		    cust_default_manifest, cust_default_manifest_len, &m[0])
		    != CUST_OK)
			return warnctx(ctx), EXIT_FATAL;
		*n = 1;
	}
	for (size_t i = 0; i < a->nmanifests; i++) {
		if ((rc = load_manifest(ctx, a->manifests[i], &m[*n])) !=
		    EXIT_DONE)
			return rc;
		(*n)++;
	}
	return EXIT_DONE;
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
	struct stat st;
	char *stem;
	int r, rc;

	if (o->fd != STDOUT_FILENO && fstat(o->fd, &st) == 0) {
		co->out_dev = st.st_dev;
		co->out_ino = st.st_ino;
	}
	co->out_fd = o->fd;
	co->out_name = o->path != NULL ? o->path : "standard output";
	co->spool_dirfd = o->dirfd;
	/* zstd level 1 on every core, as fast as the reading or nearly, up
	 * to four: more would only take memory (1.4 MiB a worker) from a
	 * host we must not crowd. */
	co->zstd_level = o->zstd ? 1 : 0;
	co->zstd_threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (co->zstd_threads > ZSTD_WORKERS_MAX)
		co->zstd_threads = ZSTD_WORKERS_MAX;
	co->notify = notify;
	co->custody_log = o->path != NULL;
	r = cust_collect(ctx, co, &res);
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
	if (res.untimestamped)
		warn2("untimestamped: ", res.tsa_error);
	if (o->path != NULL && finish_output(o, &res) != EXIT_DONE)
		rc = EXIT_FATAL;
	else {
		stem = a->key != NULL ? key_stem(a->key) : NULL;
		summary(o, &res, stem);
		free(stem);
	}
	cust_collect_result_fini(&res);
	return rc;
}

static int
run(int argc, char **argv)
{
	struct cust_manifest *m[MAX_MANIFESTS + 1] = { NULL };
	struct cust_collect_opts co;
	struct cust_key *key = NULL;
	struct cust_signer *signer = NULL;
	struct cust_ctx *ctx;
	struct args a;
	struct out o;
	char **paths = NULL, *bag = NULL;
	size_t nm = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&co, 0, sizeof(co));
	memset(&o, 0, sizeof(o));
	o.fd = o.dirfd = -1;
	if ((rc = parse(argc, argv, &a, &co)) != EXIT_DONE)
		return rc < 0 ? EXIT_DONE : rc;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if (a.hash != NULL && cust_alg_parse(ctx, a.hash, &co.algs) != 0) {
		warnctx(ctx);
		rc = usage(&cmd_collect);
		goto out;
	}
	if ((rc = load_manifests(ctx, &a, m, &nm)) != EXIT_DONE)
		goto out;
	if ((rc = load_keys(ctx, &a, &key, &signer)) != EXIT_DONE)
		goto out;
	check_paths(&a);
	if ((paths = absolute_paths(&a)) == NULL) {
		warnmsg("out of memory");
		rc = EXIT_FATAL;
		goto out;
	}
	co.manifests = (const struct cust_manifest *const *)m;
	co.nmanifests = nm;
	co.paths = (const char *const *)paths;
	co.npaths = a.npaths;
	co.root = a.root;
	co.key = key;
	co.signer = signer;
	co.argc = argc;
	co.argv = argv;
	if ((rc = open_output(&o, a.output, a.zstd)) != EXIT_DONE)
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
	close_output(&o, rc == EXIT_DONE || rc == EXIT_PARTIAL);
	free(bag);
	for (size_t i = 0; paths != NULL && i < a.npaths; i++)
		free(paths[i]);
	free(paths);
	for (size_t i = 0; i < nm; i++)
		cust_manifest_free(m[i]);
	cust_key_free(key);
	cust_signer_free(signer);
	cust_ctx_free(ctx);
	return rc;
}

const struct cmd cmd_collect = {
	.name = "collect",
	.run = run,
	.synopsis = "[-m MANIFEST]... [-o OUTPUT] [--key KEYFILE] [--case ID] "
	    "[--evidence-id ID]\n               [--examiner NAME] "
	    "[--hash ALG[,ALG...]] [--root DIR] [--compress zstd|none]\n"
	    "               [--one-file-system] [--start-date DATE] "
	    "[--end-date DATE]\n"
	    "               [--date-fields F] [--max-rate MB] "
	    "[--[no-]nice]\n"
	    "               [--cert CERT.pem --key KEY.pem] [--tsa URL "
	    "[--tsa-timeout S]] [PATH...]",
	.summary = "collect artefacts into a sealed, signed evidence bundle",
	.help =
	    "  -m, --manifest FILE   collect what this manifest names "
	    "(repeatable): a path,\n"
	    "                        or the NAME of an installed one "
	    "(custody manifests);\n"
	    "                        without -m and PATH: the built-in "
	    "linux-triage manifest\n"
	    "  -o, --output FILE     write the bundle here: FILE.tar, "
	    "FILE.tar.zst, or - for\n"
	    "                        standard output (default: "
	    "HOSTNAME-UTCTIME.tar)\n"
	    "      --key KEYFILE     seal with this secret key (custody "
	    "keygen); default: a\n"
	    "                        one-time key whose ID is printed\n"
	    "      --cert CERT.pem   also sign with this X.509 certificate "
	    "(and chain); --key is\n"
	    "                        then its private key (ECDSA P-256/P-384 "
	    "or RSA >= 3072),\n"
	    "                        and a one-time key makes the minisign "
	    "signature\n"
	    "      --tsa URL         ask this RFC 3161 time-stamp authority "
	    "(http://) for a\n"
	    "                        token over each signature; if it fails, "
	    "the bundle is\n"
	    "                        still sealed, and untimestamped\n"
	    "      --tsa-timeout S   seconds to wait for the TSA (default "
	    "30)\n"
	    "      --case ID         case identifier, recorded and signed\n"
	    "      --evidence-id ID  evidence item identifier; also names "
	    "the bag directory\n"
	    "      --examiner NAME   who collected, recorded and signed\n"
	    "      --hash ALG,...    more payload manifests besides sha256: "
	    "sha512, sha1, md5\n"
	    "      --root DIR        collect from the image mounted at DIR "
	    "(paths resolve in it)\n"
	    "      --compress ALG    zstd or none (default: zstd for *.zst "
	    "names)\n"
	    "      --one-file-system never cross into another mounted "
	    "filesystem\n"
	    "      --start-date DATE collect only files with a time in the "
	    "range (YYYY-MM-DD\n"
	    "      --end-date DATE   or YYYY-MM-DDTHH:MM:SSZ, UTC; artefacts "
	    "with\n"
	    "                        ignore_date_range are not filtered)\n"
	    "      --date-fields F   which times count: mtime, atime, ctime "
	    "(default mtime,ctime)\n"
	    "      --max-rate MB     read at most MB megabytes (10^6 bytes) a "
	    "second\n"
	    "      --nice            lowest CPU and idle I/O priority (the "
	    "default)\n"
	    "      --no-nice         keep the caller's priorities\n"
	    "  -h, --help            show this help\n"
	    "\nExit status: 0 complete, 1 partial (some artefacts could not "
	    "be taken),\n2 usage, 3 fatal (no bundle was sealed).\n",
};
