/*
 * keygen.c: `custody keygen`, which makes an Ed25519 key pair: a PKCS#8 PEM
 * secret key for custody and a public key that minisign(1) reads too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int	run(int, char **);

static const struct help_row options[] = {
	{ "-o, --output PREFIX", "write the secret key to PREFIX.key (PKCS#8 "
	    "PEM, mode 0600) and the public key to PREFIX.pub (minisign "
	    "format); neither may exist already" },
	{ "-h, --help", "print this help and exit" },
	{ NULL, NULL },
};

const struct cmd cmd_keygen = {
	.name = "keygen", .run = run,
	.synopsis = "-o PREFIX",
	.summary = "make an Ed25519 signing key pair",
	.about = "options:",
	.options = options,
};

/* Report a bad command line: the reason, then the synopsis. */
static int __attribute__((format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("custody: keygen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return usage(&cmd_keygen);
}

static int
report(const struct cust_key *key, const char *prefix)
{
	char id[CUST_KEYID_HEXLEN + 1];

	cust_key_id_hex(key, id);
	printf("key ID: %s\nsecret key: ", id);
	safe_fputs(prefix, stdout);
	fputs(".key\npublic key: ", stdout);
	safe_fputs(prefix, stdout);
	fputs(".pub\n", stdout);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warnmsg("stdout: %s", strerror(errno));
		return EXIT_FATAL;
	}
	return EXIT_DONE;
}

static int
keygen(const char *prefix)
{
	struct cust_ctx *ctx;
	struct cust_key *key = NULL;
	int rc = EXIT_FATAL;

	if ((ctx = ctx_or_die()) == NULL)
		return EXIT_FATAL;
	if (cust_key_generate(ctx, &key) != CUST_OK ||
	    cust_key_save(ctx, key, prefix) != CUST_OK)
		warnctx(ctx);
	else
		rc = report(key, prefix);
	cust_key_free(key);
	cust_ctx_free(ctx);
	return rc;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = NULL;
	char opt[3] = "-?";
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(&cmd_keygen);
		case 'o':
			prefix = optarg;
			break;
		case ':':
			return bad("option %s needs an argument",
			    argv[optind - 1]);
		default:
			opt[1] = (char)optopt;
			return bad("unknown option %s",
			    optopt != 0 ? opt : argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument %s", argv[optind]);
	if (prefix == NULL)
		return bad("missing -o PREFIX");
	if (*prefix == '\0')
		return bad("empty PREFIX");
	return keygen(prefix);
}
