/*
 * differ.c: the parser agreement property of issue 19 (see fuzz.h).  A
 * bundle that verify accepted is written to a scratch directory and
 * extracted three times, by GNU tar, by bsdtar (libarchive) and by
 * cust_extract(); each tree is read back in one canonical form (paths in
 * byte order, the kind of each entry, the bytes of each file) and must be
 * the sealed tree, byte for byte, with nothing more.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

extern char **environ;

static char scratch[64];	/* the run's directory, made once */

/* The words of the commands run (argv wants them writable). */
static char w_tar[] = "tar", w_bsdtar[] = "bsdtar", w_xf[] = "-xf",
    w_C[] = "-C", w_owner[] = "--no-same-owner",
    w_perms[] = "--no-same-permissions";

static int
unlinkone(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove the tree at PATH, in this process: a fork costs more. */
static void
rmtree(const char *path)
{
	if (nftw(path, unlinkone, 16, FTW_DEPTH | FTW_PHYS) == -1 &&
	    errno != ENOENT)
		fuzz_fail("remove %s: %s", path, strerror(errno));
}

static void
rmscratch(void)
{
	if (scratch[0] != '\0')
		rmtree(scratch);
}

static const char *
scratchdir(void)
{
	if (scratch[0] == '\0') {
		snprintf(scratch, sizeof(scratch), "/tmp/fuzz-differ.XXXXXX");
		if (mkdtemp(scratch) == NULL)
			fuzz_fail("mkdtemp: %s", strerror(errno));
		atexit(rmscratch);
	}
	return scratch;
}

static void
grow(struct fuzz_tree *t, const void *p, size_t n)
{
	unsigned char *q;

	if (t->n + n > t->cap) {
		t->cap = (t->n + n) * 2 + 4096;
		if ((q = realloc(t->p, t->cap)) == NULL)
			fuzz_fail("out of memory");
		t->p = q;
	}
	memcpy(t->p + t->n, p, n);
	t->n += n;
}

void
fuzz_tree_free(struct fuzz_tree *t)
{
	free(t->p);
	t->p = NULL;
	t->n = t->cap = 0;
}

/* Append the file at PATH's bytes, their number first. */
static void
addfile(struct fuzz_tree *t, const char *path)
{
	unsigned char buf[65536];
	uint64_t len = 0;
	size_t at;
	ssize_t r;
	int fd;

	at = t->n;
	grow(t, &len, sizeof(len));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		/* Unreadable is a difference too: say so in the tree. */
		grow(t, "?unreadable", 11);
		return;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		grow(t, buf, (size_t)r);
		len += (uint64_t)r;
	}
	close(fd);
	memcpy(t->p + at, &len, sizeof(len));
}

/* Every entry under DIR (REL its path in the tree) in byte order of
 * names, depth first: "path\0" then 'd', 'f' and the bytes, or 'o'. */
static void
walk(struct fuzz_tree *t, const char *dir, const char *rel)
{
	struct dirent **v;
	struct stat st;
	char path[4096], sub[4096];
	int n;

	/* Whatever mode the tool gave it, read it. */
	chmod(dir, 0700);
	if ((n = scandir(dir, &v, NULL, alphasort)) == -1)
		fuzz_fail("scandir %s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") != 0 &&
		    strcmp(v[i]->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    v[i]->d_name);
			snprintf(sub, sizeof(sub), "%s%s%s", rel,
			    rel[0] != '\0' ? "/" : "", v[i]->d_name);
			grow(t, sub, strlen(sub) + 1);
			if (lstat(path, &st) == -1)
				fuzz_fail("lstat %s: %s", path,
				    strerror(errno));
			if (S_ISDIR(st.st_mode)) {
				grow(t, "d", 1);
				walk(t, path, sub);
			} else if (S_ISREG(st.st_mode)) {
				grow(t, "f", 1);
				addfile(t, path);
			} else
				grow(t, "o", 1);
		}
		free(v[i]);
	}
	free(v);
}

/* Run ARGV, its output thrown away; its exit status. */
static int
spawn(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
	    0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
	    0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, 1, 2) != 0)
		fuzz_fail("posix_spawn_file_actions");
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		fuzz_fail("cannot run %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	/* libFuzzer's timer interrupts the wait. */
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fuzz_fail("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
mkfresh(const char *dir)
{
	rmtree(dir);
	if (mkdir(dir, 0700) == -1)
		fuzz_fail("mkdir %s: %s", dir, strerror(errno));
}

static void
bycustody(const char *file, const char *dir)
{
	struct cust_extract_stats st;
	int fd, dfd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fuzz_fail("open %s: %s", file, strerror(errno));
	/* A refusal leaves what was written: the tree says the rest. */
	(void)cust_extract(fuzz_ctx(), fd, "fuzz", dfd, 0, NULL, &st);
	cust_ctx_clear(fuzz_ctx());
	close(dfd);
	close(fd);
}

/* The bundle's file in the scratch directory, written anew. */
static void
putfile(const char *file, const void *p, size_t n)
{
	int fd;

	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, p, n) != (ssize_t)n)
		fuzz_fail("write %s: %s", file, strerror(errno));
	close(fd);
}

enum tool { GNUTAR, BSDTAR, CUSTODY };
static const char *const toolname[] = { "GNU tar", "bsdtar",
    "custody extract" };

static void
extract(enum tool k, char *file, char *dir, struct fuzz_tree *t)
{
	char *gnu[] = { w_tar, w_xf, file, w_C, dir, w_owner, w_perms, NULL };
	char *bsd[] = { w_bsdtar, w_xf, file, w_C, dir, w_owner, w_perms,
	    NULL };

	mkfresh(dir);
	if (k == GNUTAR)
		spawn(gnu);
	else if (k == BSDTAR)
		spawn(bsd);
	else
		bycustody(file, dir);
	walk(t, dir, "");
}

static void
bundlefile(bool zst, char *buf, size_t len)
{
	snprintf(buf, len, "%s/bundle.tar%s", scratchdir(), zst ? ".zst" :
	    "");
}

void
fuzz_tree_of(const void *p, size_t n, bool zst, struct fuzz_tree *t)
{
	char file[128], dir[128];

	bundlefile(zst, file, sizeof(file));
	snprintf(dir, sizeof(dir), "%s/want", scratchdir());
	putfile(file, p, n);
	t->n = 0;
	extract(CUSTODY, file, dir, t);
}

/* One entry of a tree read back: its path, kind and bytes. */
struct entry {
	const char	*path;
	char		 kind;
	const unsigned char *p;
	uint64_t	 n;
};

/* The entry of T at *OFF, moving *OFF past it; false at the end. */
static bool
entry(const struct fuzz_tree *t, size_t *off, struct entry *e)
{
	size_t len;

	if (*off >= t->n)
		return false;
	e->path = (const char *)t->p + *off;
	len = strlen(e->path) + 1;
	e->kind = (char)t->p[*off + len];
	*off += len + 1;
	e->p = NULL;
	e->n = 0;
	if (e->kind == 'f') {
		memcpy(&e->n, t->p + *off, sizeof(e->n));
		e->p = t->p + *off + sizeof(e->n);
		*off += sizeof(e->n) + e->n;
	}
	return true;
}

/* Fail, naming the first entry where GOT parts from WANT. */
static void
differs(const char *tool, const struct fuzz_tree *got,
    const struct fuzz_tree *want, const char *dir)
{
	struct entry g, w;
	size_t go = 0, wo = 0;
	bool hg, hw;

	for (;;) {
		hg = entry(got, &go, &g);
		hw = entry(want, &wo, &w);
		if (!hg || !hw)
			break;
		if (strcmp(g.path, w.path) != 0 || g.kind != w.kind ||
		    g.n != w.n || (g.n > 0 && memcmp(g.p, w.p, g.n) != 0))
			break;
	}
	if (hg && hw && strcmp(g.path, w.path) == 0)
		fuzz_fail("%s (in %s): %s: %s", tool, dir, g.path,
		    g.kind != w.kind ? "another kind of file" :
		    "other bytes than sealed");
	if (hg && (!hw || strcmp(g.path, w.path) < 0))
		fuzz_fail("%s (in %s): %s: extracted, never sealed", tool,
		    dir, g.path);
	fuzz_fail("%s (in %s): %s: sealed, not extracted", tool, dir,
	    hw ? w.path : "?");
}

void
fuzz_differ(const void *p, size_t n, bool zst, const struct fuzz_tree *want)
{
	struct fuzz_tree got = { NULL, 0, 0 };
	char file[128], dir[128];

	bundlefile(zst, file, sizeof(file));
	putfile(file, p, n);
	for (int k = GNUTAR; k <= CUSTODY; k++) {
		snprintf(dir, sizeof(dir), "%s/%d", scratchdir(), k);
		got.n = 0;
		extract((enum tool)k, file, dir, &got);
		/* abort() keeps the scratch directory for a look. */
		if (got.n != want->n || memcmp(got.p, want->p, got.n) != 0)
			differs(toolname[k], &got, want, dir);
	}
	fuzz_tree_free(&got);
}
