/*
 * tools/magic-compile.c: a build tool.  Compiles a magic(5) source file with
 * the libmagic the program will run with, so that the database built into
 * custody always matches its library.  Usage: magic-compile SRC OUT.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>

int
main(int argc, char **argv)
{
	char *src, *dir, *out, made[4096];
	magic_t m;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: magic-compile SRC OUT\n");
		return 2;
	}
	if ((src = realpath(argv[1], NULL)) == NULL ||
	    (out = strdup(argv[2])) == NULL) {
		fprintf(stderr, "magic-compile: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	/* libmagic writes BASENAME(SRC).mgc into the current directory. */
	dir = dirname(out);
	if (chdir(dir) != 0 || (m = magic_open(MAGIC_CHECK)) == NULL) {
		fprintf(stderr, "magic-compile: %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	rc = 0;
	if (magic_compile(m, src) != 0) {
		fprintf(stderr, "magic-compile: %s: %s\n", src,
		    magic_error(m) ? magic_error(m) : "cannot compile");
		rc = 1;
	}
	snprintf(made, sizeof(made), "%s.mgc", basename(src));
	if (rc == 0 && rename(made, basename(argv[2])) != 0) {
		fprintf(stderr, "magic-compile: %s: %s\n", made,
		    strerror(errno));
		rc = 1;
	}
	magic_close(m);
	free(src);
	free(out);
	return rc;
}
