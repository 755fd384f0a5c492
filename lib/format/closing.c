/*
 * closing.c: the closing statement, signatures/closing.txt, the format shared
 * by the collector (bag_writer.c writes it) and the verifier (closing_check.c
 * reads it).  The minisign signature covers only the tag manifest, and the
 * X.509 signature and the tokens come after it, so nothing would show that
 * one of them was stripped, added or replaced.  The closing statement, written
 * once they are all in place and signed with the seal key, lists each member
 * that may follow the tag manifest, in bag_writer.c's order: its SHA-512 and
 * name as sha512sum writes them, or "# none: NAME" when the bag does not hold
 * it.  sha512sum ignores lines that begin with '#', so `sha512sum --strict -c
 * signatures/closing.txt` checks it in the bag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"

#define HEADER	"# custody-closing/1: each member after " \
		"tagmanifest-sha512.txt and before this statement\n"
#define NONE	"# none: "

const char *const cust_closed[CUST_NCLOSED] = {
	CUST_SIG_MEMBER, CUST_P7S_MEMBER, CUST_TSR_MEMBER, CUST_P7STSR_MEMBER,
};

int
cust_closing_text(struct cust_ctx *ctx, char sums[CUST_NCLOSED][129],
    char **textp, size_t *lenp)
{
	size_t len = sizeof(HEADER) - 1;
	char *p;

	*textp = NULL;
	for (size_t i = 0; i < CUST_NCLOSED; i++)
		len += (sums[i][0] != '\0' ? 128 + 2 : sizeof(NONE) - 1) +
		    strlen(cust_closed[i]) + 1;
	if ((p = malloc(len + 1)) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s",
		    CUST_CLOSING_MEMBER);
	*textp = p;
	*lenp = len;
	p += sprintf(p, "%s", HEADER);
	for (size_t i = 0; i < CUST_NCLOSED; i++)
		p += sums[i][0] != '\0' ? sprintf(p, "%s  %s\n", sums[i],
		    cust_closed[i]) : sprintf(p, NONE "%s\n", cust_closed[i]);
	return CUST_OK;
}

/* Line K (from 0) of the members: "<sha512>  NAME" or "# none: NAME". */
static bool
member_line(const char *s, size_t n, size_t k, char sum[129])
{
	const char *name = cust_closed[k];
	size_t nl = strlen(name);

	sum[0] = '\0';
	if (n == sizeof(NONE) - 1 + nl && memcmp(s, NONE, sizeof(NONE) - 1) ==
	    0)
		return memcmp(s + sizeof(NONE) - 1, name, nl) == 0;
	if (n != 128 + 2 + nl || s[128] != ' ' || s[129] != ' ' ||
	    memcmp(s + 130, name, nl) != 0)
		return false;
	for (size_t i = 0; i < 128; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] >= 'a' &&
		    s[i] <= 'f'))
			return false;
	memcpy(sum, s, 128);
	sum[128] = '\0';
	return true;
}

int
cust_closing_parse(struct cust_ctx *ctx, const char *text, size_t n,
    char sums[CUST_NCLOSED][129])
{
	const char *s = text, *end = text + n, *nl;
	size_t k;

	if (n < sizeof(HEADER) - 1 ||
	    memcmp(s, HEADER, sizeof(HEADER) - 1) != 0)
		return cust_set_error(ctx, 0, CUST_FAILED, "line 1 is not the "
		    "custody-closing/1 header");
	s += sizeof(HEADER) - 1;
	for (k = 0; k < CUST_NCLOSED && s < end; k++, s = nl + 1)
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL ||
		    !member_line(s, (size_t)(nl - s), k, sums[k]))
			return cust_set_error(ctx, 0, CUST_FAILED, "line %zu is "
			    "neither \"<sha512>  %s\" nor \"" NONE "%s\"",
			    k + 2, cust_closed[k], cust_closed[k]);
	if (k < CUST_NCLOSED || sums[0][0] == '\0')
		return cust_set_error(ctx, 0, CUST_FAILED, "%s", k <
		    CUST_NCLOSED ? "ends before every member is accounted "
		    "for" : "lists no minisign signature");
	if (s != end)
		return cust_set_error(ctx, 0, CUST_FAILED, "line %zu: text "
		    "after the last member", k + 2);
	return CUST_OK;
}
