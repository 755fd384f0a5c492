/*
 * util.c: terminal helpers shared by the subcommands.  Only cmd/ writes to
 * the terminal; everything here is about saying things safely.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* --help and usage: lines of up to HELP_WIDTH columns; an option starts
 * at OPT_INDENT, a long one alone OPT_SHORT further, under the long one
 * of "-o, --output"; its text starts OPT_GAP after the widest option of
 * up to OPT_WIDTH. */
#define HELP_WIDTH	79
#define OPT_INDENT	2
#define OPT_SHORT	4
#define OPT_GAP		2
#define OPT_WIDTH	24

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

bool
endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*
 * Print S to F from column COL, wrapped at its spaces so that no line
 * passes HELP_WIDTH unless a word does; a wrapped line starts at column
 * INDENT, and a newline in S ends a line.  In a synopsis (BRACKETS), a
 * [group] is never broken.  Spaces that end up at the end of a line are
 * dropped.  Returns the column where S ended.
 */
static size_t
flow(FILE *f, const char *s, size_t col, size_t indent, bool brackets)
{
	size_t gap, len;
	int depth;

	while (*s != '\0') {
		if (*s == '\n') {
			fputc('\n', f);
			col = 0;
			s++;
			continue;
		}
		for (gap = 0; s[gap] == ' '; gap++)
			;
		s += gap;
		depth = 0;
		for (len = 0; s[len] != '\0' && s[len] != '\n' &&
		    (s[len] != ' ' || depth > 0); len++)
			if (brackets && (s[len] == '[' || s[len] == ']'))
				depth += s[len] == '[' ? 1 : -1;
		if (len == 0)
			continue;
		if (col == 0 || col + gap + len > HELP_WIDTH) {
			fprintf(f, "%s%*s", col == 0 ? "" : "\n", (int)indent,
			    "");
			col = indent;
		} else {
			fprintf(f, "%*s", (int)gap, "");
			col += gap;
		}
		fwrite(s, 1, len, f);
		col += len;
		s += len;
	}
	return col;
}

static void
synopsis(FILE *f, const struct cmd *c)
{
	int n;

	n = fprintf(f, "usage: custody %s ", c->name);
	flow(f, c->synopsis, (size_t)n, (size_t)n, true);
	fputc('\n', f);
}

int
usage(const struct cmd *c)
{
	synopsis(stderr, c);
	return EXIT_USAGE;
}

/* Where option OPT starts, in the columns after OPT_INDENT. */
static size_t
optshift(const char *opt)
{
	return opt[1] == '-' ? OPT_SHORT : 0;
}

/* The options, in two columns; an option wider than OPT_WIDTH has a line
 * (or more) of its own. */
static void
options(const struct help_row *rows)
{
	size_t w = 0, n, col, text;

	for (const struct help_row *r = rows; r->opt != NULL; r++)
		if ((n = optshift(r->opt) + strlen(r->opt)) <= OPT_WIDTH &&
		    n > w)
			w = n;
	text = OPT_INDENT + w + OPT_GAP;
	for (const struct help_row *r = rows; r->opt != NULL; r++) {
		col = flow(stdout, r->opt, 0, OPT_INDENT + optshift(r->opt),
		    false);
		if (col + OPT_GAP > text) {
			putchar('\n');
			col = 0;
		}
		printf("%*s", (int)(text - col), "");
		flow(stdout, r->text, text, text, false);
		putchar('\n');
	}
}

int
help(const struct cmd *c)
{
	synopsis(stdout, c);
	printf("\n%s\n\n", c->summary);
	if (c->about != NULL) {
		flow(stdout, c->about, 0, 0, false);
		putchar('\n');
	}
	if (c->options != NULL)
		options(c->options);
	if (c->notes != NULL) {
		putchar('\n');
		flow(stdout, c->notes, 0, 0, false);
		putchar('\n');
	}
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
