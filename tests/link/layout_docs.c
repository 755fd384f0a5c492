/*
 * layout_docs.c: the man pages against the one table of the bundle's
 * members (lib/format/layout.c).  custody-bundle(5) must list the members
 * in the table's order, with "(optional)" exactly where the table says so;
 * custody(1) must give each bound the verifier holds a kept member to.  A
 * TAP program: MAN is the source tree's man/ directory (argv[1]).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"

static int ntest, nfail;

static void
ok(bool cond, const char *what, const char *name)
{
	ntest++;
	nfail += !cond;
	printf("%sok %d - %s: %s\n", cond ? "" : "not ", ntest, what, name);
}

/* The whole of PATH, NUL-terminated; exits when it cannot be read. */
static char *
slurp(const char *dir, const char *base)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, base);
	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("Bail out! %s: cannot read\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* custody-bundle(5), "Names and order": one .It per member, its name on
 * the first .Pa line after it, "(optional)" on a line of its own. */
static void
order(char *page)
{
	char *p = strstr(page, ".Ss Names and order");
	char *end, *line, *save = NULL;
	int part = -1;
	bool named = true;	/* the current item's name was seen */
	bool optional[CUST_NPART] = { false };

	if (p == NULL || (p = strstr(p, ".Bl -enum")) == NULL ||
	    (end = strstr(p, "\n.El")) == NULL) {
		ok(false, "custody-bundle(5) has its list of members", "");
		return;
	}
	*end = '\0';
	for (line = strtok_r(p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, ".It") == 0) {
			part++;
			named = false;
			continue;
		}
		if (part >= CUST_NPART) {
			ok(false, "custody-bundle(5) lists no extra member",
			    line);
			return;
		}
		if (strcmp(line, "(optional)") == 0 && part >= 0)
			optional[part] = true;
		if (strncmp(line, ".Pa ", 4) != 0 || named)
			continue;
		named = true;
		ok(strncmp(line + 4, cust_layout[part].name,
		    strlen(cust_layout[part].name)) == 0,
		    "custody-bundle(5) names member in order",
		    cust_layout[part].name);
	}
	ok(part == CUST_NPART - 1, "custody-bundle(5) lists every member",
	    "");
	for (int i = 0; i < CUST_NPART; i++)
		ok(optional[i] == ((cust_layout[i].flags & CUST_MF_OPTIONAL) !=
		    0), "custody-bundle(5) says optional as the table does",
		    cust_layout[i].name);
}

/* "4 KiB" for 4096: how custody(1) writes a bound. */
static void
human(uint64_t n, char *out, size_t len)
{
	if (n % (1024 * 1024) == 0)
		snprintf(out, len, "%ju MiB", (uintmax_t)(n / 1024 / 1024));
	else
		snprintf(out, len, "%ju KiB", (uintmax_t)(n / 1024));
}

/* custody(1), "Bounds": a member's bound, then ".Pq Pa NAME ..." on the
 * next line. */
static void
bounds(const char *page)
{
	const char *b = strstr(page, "Bounds (a bundle cannot");

	for (int i = 0; b != NULL && i < CUST_NPART; i++) {
		const struct cust_part_def *d = &cust_layout[i];
		const char *base = strrchr(d->name, '/');
		char want[256], size[32];
		bool found;

		if (d->max == 0)
			continue;
		base = base != NULL ? base + 1 : d->name;
		human(d->max, size, sizeof(size));
		/* bagit.txt, algorithms.txt, ...: "SIZE\n.Pq Pa NAME" with
		 * NAME among the names on that line. */
		snprintf(want, sizeof(want), "%s\n.Pq Pa ", size);
		found = false;
		for (const char *p = strstr(b, want); p != NULL && !found;
		    p = strstr(p + 1, want)) {
			const char *eol = strchr(p + strlen(want), '\n');
			const char *q = p + strlen(want);
			size_t n = strlen(base);

			/* BASE as a word of that line */
			while ((q = strstr(q, base)) != NULL && q < eol &&
			    (q[-1] != ' ' || (q[n] != ' ' && q[n] != '\n')))
				q++;
			found = q != NULL && eol != NULL && q < eol;
		}
		ok(found, "custody(1) gives the verifier's bound of", d->name);
	}
	ok(b != NULL, "custody(1) has its Bounds", "");
}

int
main(int argc, char **argv)
{
	char *bundle, *custody;

	if (argc != 2) {
		fprintf(stderr, "usage: layout-docs MANDIR\n");
		return 2;
	}
	bundle = slurp(argv[1], "custody-bundle.5");
	custody = slurp(argv[1], "custody.1");
	order(bundle);
	bounds(custody);
	printf("1..%d\n", ntest);
	free(bundle);
	free(custody);
	return nfail != 0;
}
