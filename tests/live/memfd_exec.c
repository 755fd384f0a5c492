/*
 * memfd_exec.c: run a copy of a program from a memfd, as fileless
 * implants do: memfd_create, copy PROGRAM into it, fexecve with ARGS.
 * For tests/e2e/live.sh.  Usage: memfd-exec PROGRAM ARG...
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	char buf[65536];
	ssize_t k;
	int in, fd;

	if (argc < 3)
		return 2;
	if ((in = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fd = memfd_create("implant", 0)) < 0) {
		perror("memfd-exec");
		return 1;
	}
	while ((k = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)k) != k) {
			perror("memfd-exec: write");
			return 1;
		}
	close(in);
	fexecve(fd, argv + 2, environ);
	perror("memfd-exec: fexecve");
	return 1;
}
