/*
 * fuzz.h: what the fuzz targets share.  Each target is one file that
 * defines LLVMFuzzerTestOneInput(); it is linked either with libFuzzer
 * (clang, -Dfuzz=true) or with replay.c, which feeds it the files of its
 * seed and regression directories under `meson test`.  A broken property
 * ends the run through fuzz_fail(), which libFuzzer and meson both see as
 * a crash.
 */
#ifndef CUSTODY_FUZZ_H
#define CUSTODY_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/collect.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* A context for the whole run (never freed). */
struct cust_ctx *fuzz_ctx(void);
/* Report a broken property and abort. */
void	fuzz_fail(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* A memfd holding the N bytes at P, its offset at 0.  Owned by the caller
 * (close()). */
int	fuzz_memfd(const void *p, size_t n);
/* "/proc/self/fd/FD" in BUF (at least 32 bytes), to open FD by name. */
const char *fuzz_fdpath(int fd, char *buf, size_t len);
/* The committed test key tests/fuzz/fuzz.key, which signed the seeds
 * (secret part included), and its key ID in hex.  Borrowed. */
const struct cust_key *fuzz_key(void);
const char *fuzz_key_id(void);

/* A byte string cut from the input (borrowed). */
struct fuzz_part {
	const uint8_t	*p;
	size_t		 n;
	bool		 given;		/* false: the input had fewer parts */
};

/*
 * Split the input at NUL bytes into at most MAX parts; the last part keeps
 * any NUL bytes that follow.  An empty input has no part; an input with K
 * NUL bytes (K < MAX) has K + 1 parts, and the others are not given.
 */
void	fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *v,
	    size_t max);
/* A NUL-terminated copy of a part (owned; aborts when out of memory). */
char	*fuzz_strdup(const struct fuzz_part *);

/* A member of the template bundle (tests/fuzz/template.tar). */
struct fuzz_member {
	char		*name;		/* inside the bag ("bagit.txt") */
	unsigned char	*p;		/* its bytes, NUL-terminated */
	size_t		 n;
};

/* The template's members in their order, their number in *np, and its top
 * directory; loaded once, never freed. */
const struct fuzz_member *fuzz_template_members(size_t *np);
const char *fuzz_template_bag(void);
int64_t	fuzz_template_mtime(void);
/* The template's member NAME, or NULL. */
const struct fuzz_member *fuzz_template_find(const char *name);
/* The template bundle's bytes. */
extern const unsigned char fuzz_template[];
extern const size_t fuzz_template_len;

/* The test CA (tests/fuzz/pki/ca.pem), which issued the seeds' X.509
 * signer and TSA certificates.  Borrowed. */
const struct cust_castore *fuzz_ca(void);

/*
 * Verify the bundle of N bytes at P trusting the test key by its public
 * key, then by its key ID (so that the key recorded in the bundle is
 * parsed), then, when it holds an X.509 signature or a token, trusting the
 * test CA.  Checks what every report must satisfy and returns the verdict
 * of the first run.
 */
enum cust_verdict fuzz_verify(const void *p, size_t n);
/* Print the findings of a verification by the test key, to say why. */
void	fuzz_explain(const void *p, size_t n);
/* fuzz_verify(), with the custody log of LOGN bytes at LOG read too. */
enum cust_verdict fuzz_verify_log(const void *p, size_t n, const void *log,
	    size_t logn);

/*
 * The parser agreement property (differ.c): a tree of files read back in
 * one canonical form, its paths in byte order with the kind of each entry
 * and the bytes of each file.
 */
struct fuzz_tree {
	unsigned char	*p;		/* owned */
	size_t		 n, cap;
};

/* The tree cust_extract() makes of the bundle of N bytes at P (ZST: it is
 * zstd), in *T (its buffer reused). */
void	fuzz_tree_of(const void *p, size_t n, bool zst, struct fuzz_tree *t);
void	fuzz_tree_free(struct fuzz_tree *);
/*
 * Extract the bundle of N bytes at P with GNU tar, bsdtar and
 * cust_extract() in a scratch directory, and fail unless every tree is
 * WANT, the sealed tree: the same names, the same bytes, nothing more.
 */
void	fuzz_differ(const void *p, size_t n, bool zst,
	    const struct fuzz_tree *want);

#endif
