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
#include "sealed.h"

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

/* A line for each find artefact's listing: its member, lines, artefact. */
static void
listings(json_t *v)
{
	json_t *o;
	char buf[1024];

	for (size_t i = 0; i < json_array_size(v); i++) {
		o = json_array_get(v, i);
		snprintf(buf, sizeof(buf), "%s: %lld lines, %s", str(o,
		    "member", NULL), json_integer_value(json_object_get(o,
		    "lines")), str(o, "artefact", NULL));
		line(i == 0 ? "listings:" : "", buf);
	}
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
	listings(json_object_get(a, "listings"));
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

/* ------------------------------------------------- show --live */

/* The live tables (custody-bundle(5), "Live state"), printed offline as
 * ps, lsmod and ss would, and the cross-views' findings. */
struct live_view {
	char		 member[256];	/* the table being printed */
};

static void
text(json_t *o, const char *k, int width)
{
	const char *s = json_string_value(json_object_get(o, k));
	char buf[512];

	snprintf(buf, sizeof(buf), "%-*s", width, s != NULL ? s : "-");
	safe_fputs(buf, stdout);
}

static long long
num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void
joined(json_t *a, const char *sep)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (i > 0)
			fputs(sep, stdout);
		if (json_is_string(v))
			safe_fputs(json_string_value(v), stdout);
		else if (json_is_integer(v))
			printf("%lld", json_integer_value(v));
	}
}

static void
ps_row(json_t *o)
{
	json_t *exe = json_object_get(o, "exe"), *cmd;
	const char *sha = json_string_value(json_object_get(exe, "sha256"));

	printf("%7lld %7lld %6lld ", num(o, "pid"), num(o, "ppid"),
	    json_integer_value(json_array_get(json_object_get(o, "uid"), 1)));
	text(o, "state", 2);
	fputc(' ', stdout);
	text(o, "start_utc", 31);
	printf(" %-16.16s ", sha != NULL ? sha : "-");
	if (json_is_true(json_object_get(o, "gone")))
		fputs("(gone) ", stdout);
	if (json_is_string(json_object_get(exe, "path")))
		text(exe, "path", 0);
	else {
		fputc('[', stdout);
		text(o, "comm", 0);
		fputc(']', stdout);
	}
	if (json_is_true(json_object_get(exe, "memfd")))
		fputs(" MEMFD", stdout);
	else if (json_is_true(json_object_get(exe, "deleted")))
		fputs(" DELETED", stdout);
	if (sha != NULL)
		printf(" sha256:%s", sha);
	cmd = json_object_get(o, "cmdline");
	if (json_array_size(cmd) > 0) {
		fputs("  ", stdout);
		joined(cmd, " ");
	}
	putchar('\n');
}

static void
module_row(json_t *o)
{
	text(o, "name", 24);
	printf(" %8lld %3lld ", num(o, "size"), num(o, "refcount"));
	joined(json_object_get(o, "used_by"), ",");
	putchar('\n');
}

/* A socket's end as ss prints it: ADDRESS:PORT ([ADDRESS]:PORT for
 * IPv6), or PATH's value (a unix socket's); "-" when it has none. */
static void
endpoint(json_t *o, const char *addr, const char *port, const char *path)
{
	const char *a = json_string_value(json_object_get(o, addr));
	const char *p = path != NULL ?
	    json_string_value(json_object_get(o, path)) : NULL;
	long long n = num(o, port);
	char buf[160];

	if (a != NULL)
		snprintf(buf, sizeof(buf), strchr(a, ':') != NULL ? "[%s]:%lld" :
		    "%s:%lld", a, n);
	else
		snprintf(buf, sizeof(buf), "%s", p != NULL && *p != '\0' ? p : "-");
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%*s",
	    strlen(buf) < 30 ? (int)(30 - strlen(buf)) : 0, "");
	safe_fputs(buf, stdout);
	fputc(' ', stdout);
}

static void
socket_row(json_t *o)
{
	text(o, "protocol", 7);
	fputc(' ', stdout);
	text(o, "state", 11);
	fputc(' ', stdout);
	endpoint(o, "local_address", "local_port", "path");
	endpoint(o, "remote_address", "remote_port", NULL);
	printf("%10lld ", num(o, "inode"));
	joined(json_object_get(o, "pids"), ",");
	putchar('\n');
}

/* A finding: its view, then every other field as KEY=VALUE. */
static void
finding_row(json_t *o)
{
	const char *k;
	json_t *v;

	fputs("FINDING ", stdout);
	text(o, "view", 0);
	json_object_foreach(o, k, v) {
		if (strcmp(k, "view") == 0)
			continue;
		printf(" %s=", k);
		if (json_is_string(v))
			safe_fputs(json_string_value(v), stdout);
		else if (json_is_integer(v))
			printf("%lld", json_integer_value(v));
	}
	putchar('\n');
}

static void
heading(const char *member)
{
	const char *t = member + strlen("data/live/");

	printf("\n== %s\n", t);
	if (strcmp(t, "processes.jsonl") == 0)
		printf("%7s %7s %6s %-2s %-31s %-16s %s\n", "PID", "PPID",
		    "EUID", "S", "STARTED (UTC)", "EXE SHA256", "EXE / CMD");
	else if (strcmp(t, "modules.jsonl") == 0)
		printf("%-24s %8s %3s %s\n", "Module", "Size", "Ref",
		    "Used by");
	else if (strcmp(t, "sockets.jsonl") == 0)
		printf("%-7s %-11s %-30s %-30s %10s %s\n", "Proto", "State",
		    "Local", "Remote", "Inode", "PIDs");
}

static int
live_each(void *arg, const char *member, const char *s, size_t len)
{
	struct live_view *lv = arg;
	json_error_t err;
	json_t *o;

	if (strcmp(member, lv->member) != 0) {
		snprintf(lv->member, sizeof(lv->member), "%s", member);
		heading(member);
	}
	if ((o = json_loadb(s, len, 0, &err)) == NULL)
		return warnmsg("%s: %s", member, err.text), CUST_FAILED;
	if (strcmp(member, "data/live/processes.jsonl") == 0)
		ps_row(o);
	else if (strcmp(member, "data/live/modules.jsonl") == 0)
		module_row(o);
	else if (strcmp(member, "data/live/sockets.jsonl") == 0)
		socket_row(o);
	else if (strncmp(member, "data/live/findings/", 19) == 0 &&
	    json_is_object(json_object_get(o, "findings")))
		printf("%s\n", s);
	else if (strncmp(member, "data/live/findings/", 19) == 0)
		finding_row(o);
	else
		printf("(%zu bytes: a table without a view here)\n", len);
	json_decref(o);
	return CUST_OK;
}

/* Only the tables worth a view are printed; the others are counted. */
static int
live_filter(void *arg, const char *member, const char *s, size_t len)
{
	static const char *const shown[] = { "data/live/processes.jsonl",
	    "data/live/modules.jsonl", "data/live/sockets.jsonl" };

	if (strncmp(member, "data/live/findings/", 19) == 0)
		return live_each(arg, member, s, len);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (strcmp(member, shown[i]) == 0)
			return live_each(arg, member, s, len);
	return CUST_OK;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "live", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct shown sh = { .lies = false };
	struct live_view lv = { .member = "" };
	bool live = false;
	struct sealed sd = { .nids = 0 };
	struct cust_ctx *ctx;
	const char *name;
	int ch, fd = -1, in, r, rc;

	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'L') {
			live = true;
			continue;
		}
		if (ch == 'i' && (rc = sealed_identity(ctx, &sd, optarg)) ==
		    EXIT_DONE)
			continue;
		rc = ch == 'h' ? help(&cmd_show) : ch == 'i' ? rc :
		    usage(&cmd_show);
		goto out;
	}
	rc = EXIT_FATAL;
	if (argc - optind != 1) {
		rc = usage(&cmd_show);
		goto out;
	}
	name = argv[optind];
	fd = strcmp(name, "-") == 0 ? STDIN_FILENO :
	    open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnmsg("%s: %s", name, strerror(errno));
		goto out;
	}
	in = fd;
	if ((rc = sealed_open(ctx, &sd, &in, name)) != EXIT_DONE)
		goto out;
	if (sd.is_sealed && sd.u == NULL) {
		warnmsg("%s: encrypted: give --identity KEY.pem to show it",
		    name);
		rc = EXIT_BAD;
		goto out;
	}
	sh.ctx = ctx;
	if (live) {
		printf("(live state as recorded in the bundle; run custody "
		    "verify to prove it)\n");
		r = cust_scan_under(ctx, in, name, "data/live/", live_filter,
		    &lv);
	} else
		r = cust_scan(ctx, in, name, each, &sh);
	if (r == CUST_FATAL || r == CUST_FAILED) {
		warnbundle(ctx, strcmp(name, "-") == 0 ? "standard input" :
		    name);
		rc = r == CUST_FATAL ? EXIT_FATAL : EXIT_BAD;
	} else
		rc = sh.lies ? EXIT_BAD : EXIT_DONE;
	if (fflush(stdout) != 0)
		rc = EXIT_FATAL;
out:
	sealed_close(&sd);
	if (fd > STDIN_FILENO)
		close(fd);
	cust_ctx_free(ctx);
	return rc;
}

static const struct help_row options[] = {
	{ "--identity KEY.pem", "decrypt a confidential bundle (.p7m) with "
	    "this private key (repeatable)" },
	{ "-h, --help", "show this help" },
	{ "--live", "print the live state instead: processes (ps), modules "
	    "(lsmod), sockets (ss) and the cross-views' findings" },
	{ NULL, NULL },
};

const struct cmd cmd_show = {
	.name = "show",
	.run = run,
	.synopsis = "[--live] [--identity KEY.pem]... BUNDLE",
	.summary = "print a bundle's acquisition record and file list "
	    "(not verified)",
	.options = options,
	.notes = "BUNDLE is a .tar or .tar.zst file, a confidential .p7m, "
	    "or - for standard input."
	    "\nNothing is extracted or verified: use custody verify for that."
	    "\nExit status: 0 shown, 1 damaged bundle, 2 usage, 3 could not "
	    "read.",
};
