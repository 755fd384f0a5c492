/*
 * show.c: `custody show`.  Prints what a bundle says about itself, its
 * acquisition record and its file list, without extracting or verifying
 * anything; the output says so, since only `custody verify` proves it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"

#define SHOW_LIES	1	/* acquisition(): shown, but a key ID lies */

static const char *
str(json_t *o, const char *a, const char *b)
{
	json_t *j = json_object_get(o, a);
	const char *s;

	if (b != NULL)
		j = json_object_get(j, b);
	s = json_string_value(j);
	return s != NULL ? s : "(not recorded)";
}

static void
line(const char *label, const char *value)
{
	printf("%-14s", label);
	safe_fputs(value, stdout);
	putchar('\n');
}

/*
 * The seal key's ID, derived from the public key recorded, into BUF: never
 * the ID the record claims.  false (said on stderr) when the record's
 * key_id, or the ID its key blob carries, is not that key's own.
 */
static bool
seal_key(struct cust_ctx *ctx, json_t *a, char *buf, size_t n)
{
	const char *pub = str(a, "seal", "public_key");
	const char *claimed = json_string_value(json_object_get(
	    json_object_get(a, "seal"), "key_id"));
	char id[CUST_KEYID_HEXLEN + 1];
	struct cust_key *key;
	bool ok = true;

	if (cust_key_parse_public(ctx, pub, strlen(pub), &key) != CUST_OK) {
		/* A claim with no key to derive from is not printed. */
		snprintf(buf, n, "(no readable public key recorded)");
		return true;
	}
	cust_key_id_hex(key, id);
	snprintf(buf, n, "%s (derived from the public key below)", id);
	if (cust_key_check_own_id(ctx, key, "seal public key") != CUST_OK ||
	    cust_key_check_claim(ctx, key, "seal key_id", claimed) !=
	    CUST_OK) {
		warnbundle(ctx, "metadata/acquisition.json");
		ok = false;
	}
	cust_key_free(key);
	return ok;
}

static int
acquisition(struct cust_ctx *ctx, const char *text, size_t len)
{
	json_error_t err;
	json_t *a = json_loadb(text, len, 0, &err), *c;
	char buf[256];
	int r = CUST_OK;

	if (a == NULL)
		return warnmsg("metadata/acquisition.json: %s", err.text),
		    CUST_FAILED;
	printf("(as recorded in the bundle; run custody verify to prove it)"
	    "\n");
	line("bag:", str(a, "bag", NULL));
	line("case:", str(a, "case_id", NULL));
	line("evidence:", str(a, "evidence_id", NULL));
	line("examiner:", str(a, "examiner", NULL));
	line("location:", str(a, "location", NULL));
	line("authority:", str(a, "authority", NULL));
	line("host:", str(a, "host", "hostname"));
	line("os:", str(a, "host", "os"));
	line("started:", str(a, "clock", "start_utc"));
	line("ended:", str(a, "clock", "end_utc"));
	line("time zone:", str(a, "clock", "time_zone"));
	line("tool:", str(a, "tool", "version"));
	if (!seal_key(ctx, a, buf, sizeof(buf)))
		r = SHOW_LIES;
	line("seal key:", buf);
	line("public key:", str(a, "seal", "public_key"));
	c = json_object_get(a, "counts");
	snprintf(buf, sizeof(buf), "%lld files, %lld bytes, %lld other "
	    "entries, %lld changed, %lld skipped, %lld failed",
	    json_integer_value(json_object_get(c, "files")),
	    json_integer_value(json_object_get(c, "payload_bytes")),
	    json_integer_value(json_object_get(c, "recorded")),
	    json_integer_value(json_object_get(c, "changed")),
	    json_integer_value(json_object_get(c, "skipped")),
	    json_integer_value(json_object_get(c, "failed")));
	line("counts:", buf);
	printf("\n%-10s %14s %-64s %s\n", "STATUS", "SIZE", "SHA256", "PATH");
	json_decref(a);
	return r;
}

static int
record(const char *text, size_t len)
{
	json_error_t err;
	json_t *o = json_loadb(text, len, 0, &err);
	const char *path, *sha;
	json_t *size;

	if (o == NULL)
		return warnmsg("metadata/files.jsonl: %s", err.text),
		    CUST_FAILED;
	path = json_string_value(json_object_get(o, "path"));
	sha = json_string_value(json_object_get(o, "sha256"));
	size = json_object_get(o, "size");
	printf("%-10s ", str(o, "status", NULL));
	if (json_is_integer(size))
		printf("%14lld ", json_integer_value(size));
	else
		printf("%14s ", "-");
	printf("%-64s ", sha != NULL ? sha : "-");
	if (path != NULL)
		safe_fputs(path, stdout);
	else {
		fputs("(base64) ", stdout);
		safe_fputs(str(o, "path_b64", NULL), stdout);
	}
	printf("  [%s]\n", str(o, "type", NULL));
	json_decref(o);
	return CUST_OK;
}

struct shown {
	struct cust_ctx	*ctx;		/* borrowed */
	bool		 lies;		/* a key ID claimed is not the key's */
};

static int
each(void *arg, const char *member, const char *text, size_t len)
{
	struct shown *sh = arg;
	int r;

	if (strcmp(member, "metadata/acquisition.json") != 0)
		return record(text, len);
	/* Go on to list the files: the damage is said, and exits 1. */
	if ((r = acquisition(sh->ctx, text, len)) == SHOW_LIES)
		sh->lies = true;
	return r == SHOW_LIES ? CUST_OK : r;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shown sh = { .lies = false };
	struct cust_ctx *ctx;
	const char *name;
	int ch, fd, r, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help(&cmd_show);
		return usage(&cmd_show);
	}
	if (argc - optind != 1)
		return usage(&cmd_show);
	name = argv[optind];
	fd = strcmp(name, "-") == 0 ? STDIN_FILENO :
	    open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return warnmsg("%s: %s", name, strerror(errno)), EXIT_FATAL;
	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	sh.ctx = ctx;
	r = cust_scan(ctx, fd, name, each, &sh);
	if (r == CUST_FATAL || r == CUST_FAILED) {
		warnbundle(ctx, strcmp(name, "-") == 0 ? "standard input" :
		    name);
		rc = r == CUST_FATAL ? EXIT_FATAL : EXIT_BAD;
	} else
		rc = sh.lies ? EXIT_BAD : EXIT_DONE;
	if (fflush(stdout) != 0)
		rc = EXIT_FATAL;
	if (fd > STDIN_FILENO)
		close(fd);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "-h, --help", "show this help" },
	{ NULL, NULL },
};

const struct cmd cmd_show = {
	.name = "show",
	.run = run,
	.synopsis = "BUNDLE",
	.summary = "print a bundle's acquisition record and file list "
	    "(not verified)",
	.options = options,
	.notes = "BUNDLE is a .tar or .tar.zst file, or - for standard input."
	    "\nNothing is extracted or verified: use custody verify for that."
	    "\nExit status: 0 shown, 1 damaged bundle, 2 usage, 3 could not "
	    "read.",
};
