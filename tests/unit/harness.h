/*
 * harness.h: what the unit tests share.  Each tests/unit/test-<object>.c
 * defines unit_suite(), which builds its Check suite; harness.c holds the
 * one main() that runs it, TAP on stdout, and the helpers that several
 * tests need: a scratch directory per test and files in it, a tar read
 * back member by member with libarchive (the independent reader), and
 * digests computed with OpenSSL.  A helper that fails aborts the running
 * test through Check's assertions; none returns an error.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <locale.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <archive.h>
#include <check.h>
#include <openssl/evp.h>

/*
 * Check's assertions note their file and line each time they pass, and
 * noting is a write(2) to Check's message file: a system call per
 * assertion, which gave test-escape 1.9 million writes and made loops of
 * assertions most of the unit tests' time.  Ours note nothing when they
 * pass; a failure still names its file and line (a crash names the
 * test's last mark_point()).  Every ck_assert_* macro goes through this.
 */
#undef ck_assert_msg
#define ck_assert_msg(expr, ...) \
	((expr) ? (void)0 : _ck_assert_failed(__FILE__, __LINE__, \
	    "Assertion '" #expr "' failed", __VA_ARGS__))

/* Defined by each test file: its suite, cases and fixtures. */
Suite	*unit_suite(void);

/* The running test's scratch directory, /tmp/<program>.XXXXXX: made by
 * scratch_make() in a fixture's setup, removed with all it holds by
 * scratch_remove() in the teardown. */
extern char scratch[64];
void	scratch_make(void);
void	scratch_remove(void);

/* scratch/NAME, in one of four static buffers that take turns, so that a
 * call may name two or three paths at once. */
const char *path(const char *name);
/* Create scratch/NAME holding N bytes of BUF; a directory scratch/NAME. */
void	put(const char *name, const void *buf, size_t n);
void	mkd(const char *name);
/* The whole of scratch/NAME, NUL-terminated (not counted in *NP); the
 * caller frees it. */
unsigned char *slurp(const char *name, size_t *np);
/* Run CMD with sh in the scratch directory: its exit status, or -1 if it
 * did not exit. */
int	sh(const char *cmd);

/* The digest of N bytes of BUF with MD, in lowercase hex, into OUT
 * (2 * EVP_MAX_MD_SIZE + 1 bytes). */
void	hexof(const EVP_MD *md, const void *buf, size_t n, char *out);

/* The C.UTF-8 locale for this thread only, so that libarchive gives names
 * as UTF-8; utf8_end() takes back the locale utf8_begin() returned. */
locale_t utf8_begin(void);
void	utf8_end(locale_t old);

/* A tar read back: mem[0..nmem) in the order of the archive. */
struct member {
	char		*name;		/* owned, UTF-8 */
	char		*data;		/* owned, NUL-terminated */
	size_t		 size;
	mode_t		 type, perm;
	time_t		 mtime;
	long		 mtime_ns;
};
extern struct member mem[64];
extern size_t nmem;

/* Read every member of A (opened, any filter) into mem[], then free A;
 * readback() does so for the tar scratch/NAME.  Members read before are
 * forgotten first. */
void	readback_archive(struct archive *a);
void	readback(const char *name);
/* The member NAME, or NULL; must() aborts the test without it. */
const struct member *member(const char *name);
const struct member *must(const char *name);
/* Every member is a regular file, as a bundle's are. */
void	all_regular(void);
void	forget(void);

#endif
