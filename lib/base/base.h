/*
 * base.h: the layer every other one stands on: errors, digests, stored
 * names, decimal and JSON text, UTC time, a scratch file, a hashing
 * thread.  It uses libc, OpenSSL and jansson, and nothing else of custody.
 */
#ifndef CUSTODY_BASE_H
#define CUSTODY_BASE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "custody.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------- error.c */

/*
 * Record "<fmt>: strerror(err)" (or just "<fmt>" when err is 0) on the
 * context and return status, so that failure sites can `return` it.
 */
int	cust_set_error(struct cust_ctx *, int err, int status,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * Record "<fmt>: <OpenSSL reason>" from the OpenSSL error queue and empty the
 * queue.
 */
int	cust_set_ssl_error(struct cust_ctx *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * For clang's static analyzer only (clang-tidy, tests/analyze.py): both
 * return STATUS, which it cannot see from another file; without this,
 * every error path looks as if it might return CUST_OK and go on.
 */
#ifdef __clang_analyzer__
#define cust_set_error(ctx, err, status, ...) \
	((void)(cust_set_error)((ctx), (err), (status), __VA_ARGS__), (status))
#define cust_set_ssl_error(ctx, status, ...) \
	((void)(cust_set_ssl_error)((ctx), (status), __VA_ARGS__), (status))
#endif
/* Another thread's error, as it stands, onto TO; returns STATUS. */
int	cust_ctx_pass(struct cust_ctx *to, const struct cust_ctx *from,
	    int status);
/* Wipe N bytes in a way the compiler may not drop. */
void	cust_wipe(void *, size_t n);

/* ---------------------------------------------------------------- io.c */

/* How cust_read_file_at() opens. */
#define CUST_READ_NOFOLLOW	0x1	/* a symbolic link fails (ELOOP) */
#define CUST_READ_NOATIME	0x2	/* keep the access time where allowed */
#define CUST_READ_OPTIONAL	0x4	/* absent: CUST_OK with *bufp NULL */

/*
 * Read PATH, under DIRFD, whole into *BUFP (owned by the caller; a NUL
 * follows the *LENP bytes).  It must be a regular file of at most MAX
 * bytes: a FIFO, device or directory is refused at once, never waited on
 * ("NAME: not a regular file", "NAME: too large (limit N bytes)"; NAME
 * is PATH when NULL).  What was read is wiped when it fails.
 */
int	cust_read_file_at(struct cust_ctx *, int dirfd, const char *path,
	    const char *name, unsigned flags, size_t max, char **bufp,
	    size_t *lenp);
/* The same for PATH from the working directory, with no flags. */
int	cust_read_file(struct cust_ctx *, const char *path, size_t max,
	    char **bufp, size_t *lenp);
/* Write all N bytes at BUF to FD, through EINTR and short writes: 0, or an
 * errno value (errno is set too). */
int	cust_write_all(int fd, const void *buf, size_t n);

/* ------------------------------------------------------------- digest.c */

#define CUST_MAX_DIGEST	64	/* SHA-512 */

size_t	cust_alg_size(unsigned alg);
/* The algorithm bit named NAME ("sha256"), or 0. */
unsigned cust_alg_lookup(const char *name);

/* Several hash algorithms over one stream. */
struct cust_digest;

int	cust_digest_new(struct cust_ctx *, unsigned mask, struct cust_digest **);
void	cust_digest_free(struct cust_digest *);
/* Start again with empty state (after cust_digest_final). */
int	cust_digest_reset(struct cust_digest *);
int	cust_digest_update(struct cust_digest *, const void *, size_t);
/* Finish; afterwards cust_digest_hex() gives each algorithm's result. */
int	cust_digest_final(struct cust_digest *);
/* Lowercase hex of the final digest of ALG, or NULL when not computed. */
const char *cust_digest_hex(const struct cust_digest *, unsigned alg);
/* Raw bytes of the final digest of ALG, or NULL. */
const unsigned char *cust_digest_raw(const struct cust_digest *, unsigned alg);

/* One-shot helpers. */
void	cust_hex(const unsigned char *, size_t, char *out);	/* 2n+1 */
int	cust_sha256_hex(struct cust_ctx *, const void *, size_t,
	    char out[65]);

/* ------------------------------------------------------------- escape.c */

/*
 * Eight bytes of text at a time, for the scans of every path of a record
 * (UTF-8, JSON escapes, stored names): the 8 bytes at P as one word, and
 * whether any byte of V is below N (N at most 128) or is C.  The carry of
 * the subtraction can flag a byte wrongly only above one rightly flagged,
 * so the answer is exact.
 */
#define CUST_ONES8	0x0101010101010101ULL
#define CUST_HIGHS8	0x8080808080808080ULL

static inline uint64_t
cust_word8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool
cust_any_below8(uint64_t v, unsigned n)
{
	return ((v - CUST_ONES8 * n) & ~v & CUST_HIGHS8) != 0;
}

static inline bool
cust_any_is8(uint64_t v, unsigned char c)
{
	return cust_any_below8(v ^ (CUST_ONES8 * c), 1);
}

/* Length of the valid UTF-8 sequence at S (1-4), or 0 if invalid. */
size_t	cust_utf8_seq(const unsigned char *s, size_t n);
bool	cust_utf8_valid(const char *, size_t);
/* NULL, or a label: one line of printable UTF-8 of 1 to MAX bytes;
 * CUST_FAILED with a message naming WHAT otherwise. */
int	cust_check_label(struct cust_ctx *, const char *what, const char *s,
	    size_t max);
/*
 * The stored name of raw path bytes: '%', '^', C0 controls, DEL and bytes
 * of invalid UTF-8 become "^XX".  Returns a NUL-terminated string owned by
 * the caller and its length in *lenp (may be NULL); NULL when out of memory.
 */
char	*cust_escape(const char *raw, size_t n, size_t *lenp);
/* Whether cust_escape would give RAW back unchanged. */
bool	cust_escape_none(const char *raw, size_t n);
/*
 * Invert cust_escape.  Returns 0 and the raw bytes (owned, NUL-terminated,
 * length in *lenp) or -1 when S is not a canonical stored name.
 */
int	cust_unescape(const char *s, size_t n, char **outp, size_t *lenp);
/*
 * The bytes of base64 text S (a record's NAME_b64, for a name that is not
 * UTF-8): owned, NUL-terminated, their count in *NP; NULL when S is no
 * whole number of base64 quanta or out of memory.  Not a canonical check.
 */
char	*cust_b64_decode(const char *s, size_t *np);

/* Longest stored name, "data/..." included, that tools can extract. */
#define CUST_STORED_MAX	2048

/*
 * The stored name ("data/...") of the file at raw path P, owned by the
 * caller; NULL when out of memory.  Too long a name becomes
 * "data/^00/<SHA-256 of P>".
 */
char	*cust_stored_name(const char *p, size_t n);
/* Is REL a name cust_stored_name can give? */
bool	cust_stored_valid(const char *rel);

/* ------------------------------------------------------------ scratch.c */

/* An unnamed, append-then-read scratch file. */
struct cust_spool;

/*
 * Make a spool in directory DIRFD (an O_TMPFILE) or, when DIRFD is -1 or
 * the filesystem cannot, in memory.  NAME is for messages.
 */
int	cust_spool_new(struct cust_ctx *, int dirfd, const char *name,
	    struct cust_spool **);
void	cust_spool_free(struct cust_spool *);
int	cust_spool_write(struct cust_spool *, const void *, size_t);
int	cust_spool_puts(struct cust_spool *, const char *);
uint64_t cust_spool_size(const struct cust_spool *);
/* Stop writing and go back to the start for reading. */
int	cust_spool_rewind(struct cust_spool *);
/* Read up to N bytes: the count, 0 at the end, or a negative status. */
ssize_t	cust_spool_read(struct cust_spool *, void *, size_t n);
/* The SHA-512 of all that was written; NULL until rewound. */
const unsigned char *cust_spool_sha512(const struct cust_spool *);

/* ---------------------------------------------------------------- fmt.c */

/* Room for any intmax_t in decimal, with its sign (no NUL). */
#define CUST_INTLEN	(3 * sizeof(uintmax_t) + 2)

/* V in decimal at OUT (CUST_INTLEN bytes), as "%ju" and "%jd" print it
 * but not NUL-terminated; the length. */
size_t	cust_fmt_uint(char *out, uintmax_t v);
size_t	cust_fmt_int(char *out, intmax_t v);

/* --------------------------------------------------------- json_write.c */

/* A JSON text being written; zero-initialise, cust_jw_free() at the end. */
struct cust_jw {
	char		*p;		/* owned; NUL-terminated */
	size_t		 n, cap;
	bool		 first;		/* no member yet in this object */
	bool		 oom;		/* an allocation failed: p is short */
};

void	cust_jw_reset(struct cust_jw *);
void	cust_jw_free(struct cust_jw *);
void	cust_jw_open(struct cust_jw *);		/* "{" */
void	cust_jw_close(struct cust_jw *);		/* "}" */
/* A member name; then exactly one value must follow. */
void	cust_jw_key(struct cust_jw *, const char *key);
/* A string value of N bytes of valid UTF-8. */
void	cust_jw_strn(struct cust_jw *, const char *s, size_t n);
void	cust_jw_str(struct cust_jw *, const char *key, const char *s);
void	cust_jw_int(struct cust_jw *, const char *key, intmax_t v);
void	cust_jw_bool(struct cust_jw *, const char *key, bool v);
/* TS in UTC, as cust_time_utc spells it. */
void	cust_jw_time(struct cust_jw *, const char *key,
	    const struct timespec *ts);
/* Members already written as JSON text ("\"a\":1,\"b\":[]"), or nothing
 * when TEXT is NULL or empty; the caller vouches for the text. */
void	cust_jw_members(struct cust_jw *, const char *text);

/* --------------------------------------------------------------- time.c */

#define CUST_TIMELEN	128	/* room for what snprintf may print */

/* "2026-11-27T21:20:21.123456789Z" */
void	cust_time_utc(const struct timespec *, char out[CUST_TIMELEN]);
/* The same instant in the host's zone: "...T22:20:21.123456789+01:00" */
void	cust_time_local(const struct timespec *, char out[CUST_TIMELEN]);

/* ------------------------------------------------------------- mapped.c */

/* SIZE bytes of zeroes, mapped, between two guard pages; NULL (errno set)
 * when the mapping fails.  Unmap with the same SIZE.  NULL is a no-op. */
void	*cust_map_buffer(size_t size);
void	 cust_unmap_buffer(void *, size_t size);

/* -------------------------------------------------------------- queue.c */

/* A record on its way to the hashing thread (collect/pipeline): the queue
 * only frees it. */
struct cust_slip;

enum cust_job_kind {
	CUST_JOB_START,		/* a file's bytes follow: reset the digest */
	CUST_JOB_HEADER,	/* an archive member begins */
	CUST_JOB_CHUNK,		/* bytes of the current file */
	CUST_JOB_HOLE,		/* SIZE zero bytes of a sparse file's hole:
				   hashed, not stored */
	CUST_JOB_FINISH,	/* the archive member ends */
	CUST_JOB_RECORD,	/* a record to write */
};

struct cust_job {
	enum cust_job_kind kind;
	const void	*data;		/* CHUNK: bytes, HEADER: the member's
					   name with its NUL; in the ring */
	size_t		 len;
	uint64_t	 size;		/* HEADER: the member's size (its data
					   area); HOLE: the hole's bytes */
	uint64_t	 realsize;	/* HEADER: a sparse member's content
					   size, 0 for others */
	size_t		 maplen;	/* HEADER: its map, after the name */
	struct timespec	 mtime;		/* HEADER: and its time */
	struct cust_slip *slip;		/* RECORD: owned by the job */
};

/*
 * The queue from the reading thread to the hashing thread (with a ring for
 * the bytes), and from the hashing thread to the archive writer (RING_BYTES
 * 0: it carries jobs whose bytes stay in the first relay's ring).
 */
struct cust_relay;

int	cust_relay_new(struct cust_ctx *, size_t ring_bytes,
	    struct cust_relay **);
/* Free the relay and any slip still queued. */
void	cust_relay_free(struct cust_relay *);
/* The largest chunk that may be reserved at once. */
size_t	cust_relay_max(const struct cust_relay *);
/*
 * Reader side.  Reserve N bytes of ring (waits for room); publish them as
 * a chunk, or announce a file, or hand over a record (the relay owns S
 * from then on).  Each returns false (reserve: NULL) once the hasher has
 * aborted: the reader must stop.
 */
void	*cust_relay_reserve(struct cust_relay *, size_t n);
bool	cust_relay_chunk(struct cust_relay *, const void *p, size_t n);
/* Give back the last N bytes of the latest reservation, unused. */
void	cust_relay_unreserve(struct cust_relay *, size_t n);
bool	cust_relay_start(struct cust_relay *);
/* An archive member named MEMBER (copied into the ring) of SIZE bytes
 * begins; its chunks follow, then cust_relay_finish. */
bool	cust_relay_header(struct cust_relay *, const char *member,
	    uint64_t size, const struct timespec *mtime);
/* The same for a sparse member (custody-bundle(5)) of REALSIZE bytes,
 * whose data area of SIZE bytes starts with the MAPLEN bytes of MAP. */
bool	cust_relay_sparse_header(struct cust_relay *, const char *member,
	    uint64_t size, uint64_t realsize, const void *map, size_t maplen,
	    const struct timespec *mtime);
/* SIZE zero bytes of a hole: the hashing thread digests them. */
bool	cust_relay_hole(struct cust_relay *, uint64_t size);
bool	cust_relay_finish(struct cust_relay *);
bool	cust_relay_record(struct cust_relay *, struct cust_slip *s);
/* Pass on N jobs taken from another relay, as they are. */
bool	cust_relay_push(struct cust_relay *, const struct cust_job *v,
	    size_t n);
/* No more jobs will come. */
void	cust_relay_close(struct cust_relay *);
/* Wake the consumer for whatever is queued, however little. */
void	cust_relay_flush(struct cust_relay *);
/* No job is queued (the consumer's next call would wait). */
bool	cust_relay_empty(struct cust_relay *);
/*
 * Consumer side.  The next job, in order (waits for one); false when the
 * producer closed the relay and every job was taken, or when the relay was
 * aborted.  Chunks and headers must be released, in order, once used, to
 * the relay whose ring holds them; abort wakes and stops both sides.
 */
bool	cust_relay_next(struct cust_relay *, struct cust_job *);
/* Up to MAX jobs at once, into V (waits for one); 0 when next would be
 * false.  One lock for many jobs. */
size_t	cust_relay_take(struct cust_relay *, struct cust_job *v, size_t max);
void	cust_relay_release(struct cust_relay *, const void *p, size_t n);
/* Release the bytes of the chunks and headers among N jobs, in order. */
void	cust_relay_release_jobs(struct cust_relay *, const struct cust_job *v,
	    size_t n);
void	cust_relay_abort(struct cust_relay *);
bool	cust_relay_aborted(struct cust_relay *);

/* -------------------------------------------------------- hash_thread.c */

/* The SHA-256 of a byte stream, computed on a thread of its own (in line
 * when EXPECT, its known length, is below the ring: 0 is unknown). */
struct cust_tap;

int	cust_tap_new(struct cust_ctx *, uint64_t expect, struct cust_tap **);
/* Stop the thread if it runs and free.  NULL is a no-op. */
void	cust_tap_free(struct cust_tap *);
/* The next N bytes of the stream (copied): 0, or -1 when it failed. */
int	cust_tap_write(struct cust_tap *, const void *, size_t n);
/* Wait for the thread; the digest and the byte count (may be NULL).
 * Call once, at the end. */
int	cust_tap_final(struct cust_tap *, char sha256[65], uint64_t *bytes);
/* ------------------------------------------------------------ siphash.c */

/* SipHash-2-4 of IN (N bytes) under key K0, K1, with a 128-bit output. */
void	cust_siphash128(uint64_t k0, uint64_t k1, const unsigned char *in,
	    size_t n, uint64_t out[2]);

#endif /* CUSTODY_BASE_H */
