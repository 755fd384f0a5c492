/*
 * log.c: `custody log`, a bundle's custody log printed as a custody form:
 * who held the bundle, when, where and why.  It says what the log says and
 * checks only its form: the chain, the signatures and whom to trust are
 * custody verify's work, and the form says so.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "sidecar.h"

static void
row(const char *label, const char *value)
{
	if (value == NULL)
		return;
	printf("    %-13s", label);
	safe_fputs(value, stdout);
	putchar('\n');
}

static void
who(const struct cust_log_entry *e)
{
	printf("    %-13s", "by");
	safe_fputs(e->name != NULL ? e->name : "(no name)", stdout);
	if (e->role != NULL) {
		fputs(", ", stdout);
		safe_fputs(e->role, stdout);
	}
	if (e->organisation != NULL) {
		fputs(", ", stdout);
		safe_fputs(e->organisation, stdout);
	}
	putchar('\n');
}

static void
entry(const struct cust_log_entry *e)
{
	printf("#%-3ju %-14s", (uintmax_t)e->seq, e->type);
	safe_fputs(e->time, stdout);
	if (e->local_time != NULL) {
		fputs("  (local ", stdout);
		safe_fputs(e->local_time, stdout);
		if (e->zone != NULL) {
			putchar(' ');
			safe_fputs(e->zone, stdout);
		}
		putchar(')');
	}
	putchar('\n');
	who(e);
	row("contact", e->contact);
	row("from", e->from);
	row("to", e->to);
	row("location", e->location);
	row("purpose", e->purpose);
	row("note", e->note);
	row("tsa", e->tsa);
	row("genTime", e->gen_time);
	row("key", e->key_id);
	row("bag", e->bag);
	row("tag manifest", e->tagmanifest_sha512);
	row("line sha256", e->hash);
}

static int
form(const struct sidecar *sc, const struct cust_log *log)
{
	const struct cust_log_entry *e;

	fputs("custody log: ", stdout);
	safe_fputs(sc->name, stdout);
	printf("\nevents:      %zu\nhead:        %s\n", cust_log_count(log),
	    cust_log_head(log)[0] ? cust_log_head(log) : "(none)");
	puts("NOT VERIFIED: this is what the log says.  custody verify checks "
	    "its chain,\nits signatures, its bundle and whom you trust.\n");
	for (size_t i = 0; i < cust_log_count(log); i++) {
		if ((e = cust_log_entry(log, i)) == NULL)
			return -1;
		entry(e);
	}
	return 0;
}

/* The events as one JSON document, {"log", "count", "head", "events"},
 * printed one event at a time: a large log is never held whole.  -2 when
 * out of memory, -1 when an event could not be read again. */
static int
json(const struct sidecar *sc, const struct cust_log *log)
{
	json_t *o = json_pack("{s:s, s:I, s:s}", "log", sc->name, "count",
	    (json_int_t)cust_log_count(log), "head", cust_log_head(log));
	char *s = o != NULL ? json_dumps(o, JSON_INDENT(2)) : NULL, *end;

	json_decref(o);
	if (s == NULL || (end = strrchr(s, '}')) == NULL) {
		free(s);
		return -2;
	}
	/* The object up to its closing brace, then the events. */
	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	printf("%.*s,\n  \"events\": [", (int)(end - s), s);
	free(s);
	for (size_t i = 0; i < cust_log_count(log); i++) {
		if ((s = cust_log_json_event(log, i)) == NULL)
			return -1;
		printf("%s\n%s", i ? "," : "", s);
		free(s);
	}
	puts("\n  ]\n}");
	return 0;
}

static int
show(struct cust_ctx *ctx, const struct sidecar *sc, bool asjson)
{
	struct cust_log *log;
	int rc = EXIT_DONE, k;

	if (cust_log_read(ctx, sc->fd, sc->name, &log) != CUST_OK) {
		warnctx(ctx);
		return cust_ctx_errno(ctx) != 0 ? EXIT_FATAL : EXIT_BAD;
	}
	if ((k = asjson ? json(sc, log) : form(sc, log)) != 0) {
		if (k == -2 || cust_ctx_errno(ctx) != 0)
			warnmsg("%s: %s", sc->name, k == -2 ? "out of memory" :
			    cust_ctx_error(ctx));
		else
			warnctx(ctx);
		rc = k == -2 || cust_ctx_errno(ctx) != 0 ? EXIT_FATAL :
		    EXIT_BAD;
	}
	cust_log_free(log);
	if (fflush(stdout) != 0 || ferror(stdout))
		return warnmsg("standard output: %s", strerror(errno)),
		    EXIT_FATAL;
	return rc;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sidecar sc = { .fd = -1 };
	struct cust_ctx *ctx;
	struct stat st;
	const char *log = NULL;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help(&cmd_log);
		if (ch == 'j')
			json = true;
		else if (ch == 'l')
			log = optarg;
		else
			return usage(&cmd_log);
	}
	if (argc - optind != 1)
		return usage(&cmd_log);
	if ((sc.name = sidecar_name(argv[optind], log)) == NULL)
		return warnmsg("-: give the custody log with --log"),
		    EXIT_USAGE;
	if ((ctx = ctx_or_die()) == NULL) {
		free(sc.name);
		return EXIT_FATAL;
	}
	sc.fd = open(sc.name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (sc.fd < 0 || fstat(sc.fd, &st) != 0) {
		warnmsg("%s: %s", sc.name, strerror(errno));
		rc = EXIT_FATAL;
	} else if (!S_ISREG(st.st_mode)) {
		/* As sidecar_open() refuses it for timestamp and transfer. */
		warnmsg("%s: not a regular file", sc.name);
		rc = EXIT_FATAL;
	} else
		rc = show(ctx, &sc, json);
	sidecar_close(&sc, true);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "--json", "print the events as JSON" },
	{ "--log FILE", "the custody log (default: BUNDLE.custody)" },
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_log = {
	.name = "log",
	.run = run,
	.synopsis = "[--json] [--log FILE] BUNDLE",
	.summary = "print the bundle's custody log as a custody form "
	    "(unverified)",
	.options = options,
	.notes = "Nothing is verified here: custody verify checks the log's "
	    "chain, signatures and bundle.  Exit status: 0 shown, 1 "
	    "malformed, 2 usage, 3 could not read.",
};
