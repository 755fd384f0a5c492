/*
 * timestamp.c: `custody timestamp`, an RFC 3161 token obtained after the
 * collection (collection hosts are often offline) over the signature files
 * of a sealed bundle, kept in a "timestamped" event of its custody log.
 * The bundle itself is only read, never rewritten.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "sidecar.h"

enum { OPT_TSA = 0x100, OPT_TIMEOUT, OPT_KEY, OPT_NAME };

struct sargs {
	struct cust_event ev;
	const char	*tsa;
	int		 timeout;
	const char	*keyfile;
	const char	*log;
	const char	*bundle;
};

static int
seconds(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > 3600)
		return -1;
	return (int)n;
}

static int
option(struct sargs *a, int ch, const char *arg)
{
	switch (ch) {
	case OPT_TSA:
		a->tsa = arg;
		return 0;
	case OPT_TIMEOUT:
		if ((a->timeout = seconds(arg)) > 0)
			return 0;
		warnmsg("--tsa-timeout: %s: not 1 to 3600 seconds", arg);
		return -1;
	case OPT_KEY:
		a->keyfile = arg;
		return 0;
	case OPT_NAME:
		a->ev.name = arg;
		return 0;
	case ACTOR_LOG:
		a->log = arg;
		return 0;
	default:
		return actor_option(&a->ev, ch, arg);
	}
}

static int
parse(int argc, char **argv, struct sargs *a)
{
	static const struct option opts[] = {
		{ "tsa", required_argument, NULL, OPT_TSA },
		{ "tsa-timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "name", required_argument, NULL, OPT_NAME },
		ACTOR_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help(&cmd_timestamp), -1;
		if (option(a, ch, optarg) != 0)
			return usage(&cmd_timestamp);
	}
	if (argc - optind != 1 || a->tsa == NULL) {
		if (argc - optind == 1)
			warnmsg("timestamp: --tsa URL is required");
		return usage(&cmd_timestamp);
	}
	a->bundle = argv[optind];
	a->ev.type = "timestamped";
	return EXIT_DONE;
}

/* The actor's key, or a one-time key: the token proves itself. */
static int
signing_key(struct cust_ctx *ctx, const char *keyfile, struct cust_key **kp)
{
	int r;

	r = keyfile != NULL ? cust_key_load_secret(ctx, keyfile, kp) :
	    cust_key_generate(ctx, kp);
	if (r == CUST_OK)
		return EXIT_DONE;
	warnctx(ctx);
	return keyfile != NULL && r == CUST_FAILED ? EXIT_USAGE : EXIT_FATAL;
}

static int
stamp(struct cust_ctx *ctx, struct sargs *a, struct sidecar *sc,
    const struct cust_bundle_ref *ref, bool *wrote)
{
	char head[65];
	int r;

	r = cust_log_timestamp(ctx, sc->fd, sc->name, ref, a->tsa, a->timeout,
	    &a->ev, head);
	if (r == CUST_WARN)
		warnmsg("warning: %s", cust_ctx_error(ctx));
	else if (r != CUST_OK) {
		warnctx(ctx);
		warnmsg("%s: nothing was added", sc->name);
		return r == CUST_FAILED ? EXIT_BAD : EXIT_FATAL;
	}
	*wrote = true;
	return sidecar_done(ctx, sc, head);
}

static int
run(int argc, char **argv)
{
	struct cust_bundle_ref ref;
	struct cust_key *key = NULL;
	struct cust_ctx *ctx;
	struct sidecar sc = { .fd = -1 };
	struct sargs a;
	bool wrote = false;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&ref, 0, sizeof(ref));
	if ((rc = parse(argc, argv, &a)) != EXIT_DONE)
		return rc < 0 ? EXIT_DONE : rc;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if ((rc = signing_key(ctx, a.keyfile, &key)) != EXIT_DONE ||
	    (rc = sidecar_bundle(ctx, a.bundle, &ref)) != EXIT_DONE ||
	    (rc = sidecar_open(&sc, a.bundle, a.log)) != EXIT_DONE)
		goto out;
	a.ev.key = key;
	rc = stamp(ctx, &a, &sc, &ref, &wrote);
out:
	sidecar_close(&sc, wrote);
	cust_bundle_ref_fini(&ref);
	cust_key_free(key);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "--tsa URL", "the RFC 3161 time-stamp authority (http://)" },
	{ "--tsa-timeout S", "seconds to wait for it (default 30)" },
	{ "--key KEYFILE", "sign the event with this secret key (custody "
	    "keygen); default: a one-time key, which nobody trusts: its "
	    "tokens count (each proves itself), nothing else weighs" },
	{ "--name NAME", "who asks" },
	{ "--role TEXT", "their role" },
	{ "--organisation TEXT", "their organisation" },
	{ "--contact TEXT", "how to reach them" },
	{ "--location TEXT", "where" },
	{ "--reason TEXT", "why, or under which authority" },
	{ "--log FILE", "the custody log (default: BUNDLE.custody)" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_timestamp = {
	.name = "timestamp",
	.run = run,
	.synopsis = "--tsa URL [--tsa-timeout S] [--key KEYFILE] "
	    "[--name NAME] [--role TEXT] [--organisation TEXT] "
	    "[--contact TEXT] [--location TEXT] [--reason TEXT] [--log FILE] "
	    "BUNDLE",
	.summary = "add a trusted timestamp to the bundle's custody log",
	.options = options,
	.notes = "The bundle is read, never rewritten.  Exit status: 0 "
	    "recorded, 1 no token (nothing was added) or a damaged bundle or "
	    "log, 2 usage, 3 could not read or write.",
};
