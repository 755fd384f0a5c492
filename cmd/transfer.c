/*
 * transfer.c: `custody transfer`, a hand-over of a sealed bundle, signed
 * by the person handing it over and appended to the bundle's custody log.
 * It prints the log's new head digest, for the paper custody form and for
 * the receiver, who can later prove with `custody verify --log-head` that
 * nothing was cut from the log since.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "sidecar.h"

enum { OPT_FROM = 0x100, OPT_TO, OPT_KEY };

struct targs {
	struct cust_event ev;
	const char	*keyfile;
	const char	*log;
	const char	*bundle;
};

static int
parse(int argc, char **argv, struct targs *a)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "key", required_argument, NULL, OPT_KEY },
		ACTOR_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help(&cmd_transfer), -1;
		if (ch == OPT_FROM)
			a->ev.name = a->ev.from = optarg;
		else if (ch == OPT_TO)
			a->ev.to = optarg;
		else if (ch == OPT_KEY)
			a->keyfile = optarg;
		else if (ch == ACTOR_LOG)
			a->log = optarg;
		else if (actor_option(&a->ev, ch, optarg) != 0)
			return usage(&cmd_transfer);
	}
	if (argc - optind != 1 || a->ev.from == NULL || a->ev.to == NULL ||
	    a->keyfile == NULL) {
		if (argc - optind == 1)
			warnmsg("transfer: --from, --to and --key are "
			    "required");
		return usage(&cmd_transfer);
	}
	a->bundle = argv[optind];
	a->ev.type = "transferred";
	return EXIT_DONE;
}

/* Append the event; a new log is first bound to the bundle. */
static int
append(struct cust_ctx *ctx, struct targs *a, struct sidecar *sc,
    bool *wrote)
{
	struct cust_bundle_ref ref;
	char head[65];
	int rc, r;

	memset(&ref, 0, sizeof(ref));
	if (sc->empty && (rc = sidecar_bundle(ctx, a->bundle, &ref)) !=
	    EXIT_DONE)
		goto out;
	r = cust_log_append(ctx, sc->fd, sc->name, sc->empty ? &ref : NULL,
	    &a->ev, head);
	if (r == CUST_WARN)
		warnmsg("warning: %s", cust_ctx_error(ctx));
	else if (r != CUST_OK) {
		warnctx(ctx);
		warnmsg("%s: nothing was added", sc->name);
		rc = r == CUST_FAILED ? EXIT_BAD : EXIT_FATAL;
		goto out;
	}
	*wrote = true;
	rc = sidecar_done(ctx, sc, head);
out:
	cust_bundle_ref_fini(&ref);
	return rc;
}

static int
run(int argc, char **argv)
{
	struct cust_key *key = NULL;
	struct cust_ctx *ctx;
	struct sidecar sc = { .fd = -1 };
	struct targs a;
	bool wrote = false;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse(argc, argv, &a)) != EXIT_DONE)
		return rc < 0 ? EXIT_DONE : rc;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if (cust_key_load_secret(ctx, a.keyfile, &key) != CUST_OK) {
		warnctx(ctx);
		rc = EXIT_USAGE;
		goto out;
	}
	a.ev.key = key;
	if ((rc = sidecar_open(&sc, a.bundle, a.log)) == EXIT_DONE)
		rc = append(ctx, &a, &sc, &wrote);
out:
	sidecar_close(&sc, wrote);
	cust_key_free(key);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "--from NAME", "who hands the bundle over (and signs)" },
	{ "--to NAME", "who receives it" },
	{ "--key KEYFILE", "the giver's secret key (custody keygen)" },
	{ "--reason TEXT", "why, or under which authority" },
	{ "--location TEXT", "where" },
	{ "--role TEXT", "the giver's role" },
	{ "--organisation TEXT", "the giver's organisation" },
	{ "--contact TEXT", "how to reach the giver" },
	{ "--log FILE", "the custody log (default: BUNDLE.custody)" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_transfer = {
	.name = "transfer",
	.run = run,
	.synopsis = "--from NAME --to NAME --key KEYFILE [--reason TEXT] "
	    "[--location TEXT] [--role TEXT] [--organisation TEXT] "
	    "[--contact TEXT] [--log FILE] BUNDLE",
	.summary = "record a signed hand-over in the bundle's custody log",
	.options = options,
	.notes = "Prints the log's new head digest: write it on the paper "
	    "custody form.\nAn event of another key dated after this clock is "
	    "named in a warning and does not stop the transfer.  Exit status: "
	    "0 recorded, 1 refused (the log is damaged, bound to another "
	    "bundle, or an event of this key or the seal's is later than this "
	    "clock), 2 usage, 3 could not read or write.",
};
