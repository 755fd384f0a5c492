/*
 * replay.c: the main() of a fuzz target built without libFuzzer.  It feeds
 * every file named, or every file of every directory named (in byte order
 * of their names, dot files skipped), to LLVMFuzzerTestOneInput() once, in
 * a buffer of exactly the file's size, and prints one TAP line per input.
 * A crash or a broken property aborts the run, so `meson test` replays the
 * seeds and every crash the fuzzers ever found with any compiler.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* Defined by the targets that need it. */
#pragma weak LLVMFuzzerInitialize

static unsigned ntests;

static unsigned char *
slurp(const char *path, size_t *lenp)
{
	unsigned char *buf;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	/* At least one byte, so that an empty input is not a NULL pointer. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		exit(1);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		exit(1);
	}
	*lenp = len;
	return buf;
}

static void
replay_file(const char *path)
{
	unsigned char *buf, *exact;
	size_t len;

	buf = slurp(path, &len);
	/* A copy of exactly LEN bytes lets ASan see a read past the end. */
	if ((exact = malloc(len > 0 ? len : 1)) == NULL)
		exit(1);
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	printf("ok %u - %s\n", ++ntests, path);
	fflush(stdout);
}

static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
replay_dir(const char *dir)
{
	struct dirent **v;
	char path[4096];
	int n;

	if ((n = scandir(dir, &v, visible, alphasort)) == -1) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v[i]->d_name);
		replay_file(path);
		free(v[i]);
	}
	free(v);
}

int
main(int argc, char **argv)
{
	struct stat st;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			replay_dir(argv[i]);
		else
			replay_file(argv[i]);
	}
	printf("1..%u\n", ntests);
	return 0;
}
