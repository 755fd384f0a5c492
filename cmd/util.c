/*
 * util.c: terminal helpers shared by the subcommands.  Only cmd/ writes to
 * the terminal; everything here is about saying things safely.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

bool
caller_ignores(int sig)
{
	struct sigaction was;

	return sigaction(sig, NULL, &was) == 0 && was.sa_handler == SIG_IGN;
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("custody: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
warnctx(const struct cust_ctx *ctx)
{
	const char *m = cust_ctx_error(ctx);

	fflush(stdout);
	fputs("custody: ", stderr);
	safe_fputs(*m != '\0' ? m : "unknown error", stderr);
	fputc('\n', stderr);
}

int
usage(const struct cmd *c)
{
	fprintf(stderr, "usage: custody %s %s\n", c->name, c->synopsis);
	return EXIT_USAGE;
}

int
help(const struct cmd *c)
{
	printf("usage: custody %s %s\n\n%s\n", c->name, c->synopsis,
	    c->summary);
	if (c->help != NULL && *c->help != '\0')
		printf("\n%s", c->help);
	return EXIT_DONE;
}

/* Length of the valid UTF-8 sequence at S (1-4), or 0 when invalid. */
static size_t
utf8len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls and bidi overrides can reorder or hide text. */
	if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

void
safe_fputs(const char *str, FILE *f)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	while (*s != '\0') {
		n = utf8len(s);
		if (n == 1 && (*s < 0x20 || *s == 0x7f || *s == '\\'))
			n = 0;
		if (n == 0) {
			fprintf(f, "\\x%02X", *s);
			s++;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
}

struct cust_ctx *
ctx_or_die(void)
{
	struct cust_ctx *ctx;

	if (cust_ctx_new(&ctx) != CUST_OK)
		warnmsg("out of memory");
	return ctx;
}

/* --max-expansion RATIO: a whole number; 0 lifts the bound. */
bool
expansion_ratio(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v == 0 ? UINT64_MAX : (uint64_t)v;
	return true;
}

/* The library's last error about bundle NAME, which it names once. */
void
warnbundle(const struct cust_ctx *ctx, const char *name)
{
	const char *msg = cust_ctx_error(ctx);
	size_t n = strlen(name);

	if (*msg == '\0')
		return;
	if (strncmp(msg, name, n) == 0 && msg[n] == ':')
		warnctx(ctx);
	else
		warnmsg("%s: %s", name, msg);
}
