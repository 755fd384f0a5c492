/*
 * private.h: declarations shared by the objects of libcustody and its unit
 * tests, never by cmd/.
 */
#ifndef CUSTODY_PRIVATE_H
#define CUSTODY_PRIVATE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <locale.h>
#include <stdint.h>
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
/*
 * Invert cust_escape.  Returns 0 and the raw bytes (owned, NUL-terminated,
 * length in *lenp) or -1 when S is not a canonical stored name.
 */
int	cust_unescape(const char *s, size_t n, char **outp, size_t *lenp);

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

/* -------------------------------------------------------------- spool.c */

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

/* ------------------------------------------------------------- locale.c */

/* Run the calling thread under C.UTF-8 until cust_locale_leave(old). */
locale_t cust_locale_enter(void);
void	cust_locale_leave(locale_t old);

/* -------------------------------------------------------------- guard.c */

/*
 * Move the calling process (it must have one thread) into a private mount
 * namespace whose mounts are all read-only and noatime.  CUST_FAILED when
 * not allowed (not root) or not supported (a kernel before 5.12): then
 * nothing changed and the caller goes on without that protection;
 * CUST_FATAL when the namespace was made but could not be made private.
 */
int	cust_guard_mounts(struct cust_ctx *);

/* ------------------------------------------------------------- tarfmt.c */

/* The format's name and version, in acquisition.json and bag-info.txt:
 * version 2 is the canonical tar below. */
#define CUST_FORMAT		"custody-bundle/2"
/* The canonical tar of custody-bundle(5): one encoding of each member. */
#define CUST_TAR_BLOCK		512
#define CUST_TAR_FIELD_MAX	077777777777ULL	/* most an 11-digit field holds */
/* Bytes of the headers of member PATH (PLEN bytes) of SIZE bytes. */
size_t	cust_tar_header_len(const char *path, size_t plen, uint64_t size);
/* Bytes of its pax records (0: it has no 'x' header). */
size_t	cust_tar_records_len(const char *path, size_t plen, uint64_t size);
/* Write those headers (cust_tar_header_len bytes) to OUT. */
void	cust_tar_header(unsigned char *out, const char *path, size_t plen,
	    uint64_t size, uint64_t mtime);
/* Every member's mtime: the collection's start, or 0 when the ustar field
 * cannot hold it. */
uint64_t cust_tar_mtime(int64_t seconds);
/* The name of the ustar field at byte I of a header block. */
const char *cust_tar_field(size_t i);

/* --------------------------------------------------------------- sink.c */

/* The bundle's archive stream. */
struct cust_sink;

/*
 * Write the canonical tar of custody-bundle(5) to FD (borrowed), through
 * zstd at ZSTD_LEVEL when it is above 0 with THREADS worker threads (0:
 * none).  NAME names the output in messages.
 */
int	cust_sink_new(struct cust_ctx *, int fd, const char *name,
	    int zstd_level, int threads, struct cust_sink **);
void	cust_sink_free(struct cust_sink *);
/* Every member's mtime from now on: SECONDS, or 0 when the ustar field
 * cannot hold it (tarfmt.c).  0 until set. */
void	cust_sink_set_mtime(struct cust_sink *, int64_t seconds);
/* Start a regular-file member of SIZE bytes named PATH (UTF-8). */
int	cust_sink_header(struct cust_sink *, const char *path, uint64_t size);
/* Member data; the total must equal the size given to the header. */
int	cust_sink_data(struct cust_sink *, const void *, size_t);
/* End the member: what it still owes, and its last block, are zeros. */
int	cust_sink_finish(struct cust_sink *);
/* A whole member from memory. */
int	cust_sink_write_member(struct cust_sink *, const char *path,
	    const void *buf, size_t n);
/* End the archive; the SHA-256 and size of every byte written. */
int	cust_sink_close(struct cust_sink *, char sha256[65], uint64_t *bytes);
/* CUST_OK, or the output's error that the press's thread met and no call
 * here has reported yet (a full disk, say). */
int	cust_sink_pending(struct cust_sink *);
/* For an error path: what the sink holds is written, or fails, so that
 * cust_sink_pending can tell whether the output's own write failed.  The
 * sink cannot be written to after it. */
int	cust_sink_drain(struct cust_sink *);
/* Report errors to CTX (borrowed) from now on, for the thread that uses
 * the sink; the context used until now is returned. */
struct cust_ctx *cust_sink_use_ctx(struct cust_sink *, struct cust_ctx *ctx);

/* --------------------------------------------------------------- host.c */

#define CUST_TIMELEN	128	/* room for what snprintf may print */

/* "2026-11-27T21:20:21.123456789Z" */
void	cust_time_utc(const struct timespec *, char out[CUST_TIMELEN]);
/* The same instant in the host's zone: "...T22:20:21.123456789+01:00" */
void	cust_time_local(const struct timespec *, char out[CUST_TIMELEN]);
/* A new JSON object of host facts (name, kernel, os, boot id), or NULL. */
json_t	*cust_host_facts(void);
/* A new JSON object of clock facts for a collection from START to END. */
json_t	*cust_clock_facts(const struct timespec *start,
	    const struct timespec *end);

/* ------------------------------------------------------------- mounts.c */

/* Filesystem types by mount, as /proc/self/mountinfo gives them. */
struct cust_mounts;

int	cust_mounts_load(struct cust_ctx *, struct cust_mounts **);
void	cust_mounts_free(struct cust_mounts *);
/* The type of the filesystem FD is on ("ext4", "nfs4"), or NULL. */
const char *cust_mounts_type(const struct cust_mounts *, int fd);

/* --------------------------------------------------------------- walk.c */

/* One name met by the walker. */
struct cust_entry {
	const char	*path;		/* in-root path "/a/b", raw bytes */
	size_t		 pathlen;
	const char	*name;		/* last component ("." for a start dir) */
	int		 dirfd;		/* its open parent (borrowed); -1 if
					   err is set and no parent is open */
	struct stat	 st;		/* lstat; zero when it failed */
	struct timespec	 btime;		/* birth time; tv_sec -1: unknown */
	int		 depth;		/* 0 for a start point */
	int		 err;		/* errno when it could not be examined,
					   opened or listed, else 0 */
	const char	*what;		/* what failed ("lstat", "open",
					   "list", "directory loop",
					   "replaced"), or NULL */
	bool		 lazy;		/* a regular file by its directory
					   entry alone (lazy_files): st holds
					   S_IFREG, the entry's inode number
					   and the directory's device */
};

struct cust_walk_opts {
	int		 rootfd;	/* the collection root, open dir */
	const struct cust_rule *rule;	/* the artefact's tests */
	const struct cust_mounts *mounts; /* for exclude_file_system */
	bool		 one_file_system; /* stay on the start's filesystem */
	/* A date range (UAC): a file matches when one of the times in
	 * date_fields lies in [since, until]; unused when date_fields is 0
	 * or the rule says ignore_date_range. tv_sec -1: open end. */
	unsigned	 date_fields;
	struct timespec	 since, until;
	/* Regular files may come lazy, unstat'ed (a visitor that opens
	 * them stats them itself), when the rule's tests need no stat. */
	bool		 lazy_files;
	/* Called for every matching entry and every failure; a return of
	 * CUST_FATAL stops the walk. */
	int		(*visit)(void *arg, const struct cust_entry *);
	void		*arg;
};

/*
 * Walk PATH (may hold globs; leading links resolve inside the root) under
 * the rule's tests, in byte order.  Returns CUST_OK, or CUST_FATAL when the
 * visitor or memory says stop.
 */
int	cust_walk(struct cust_ctx *, const struct cust_walk_opts *,
	    const char *path);
/* statx at DIRFD/NAME into a struct stat and a birth time. */
int	cust_stat_at(int dirfd, const char *name, int flags, struct stat *,
	    struct timespec *btime);
/* Open directory NAME under DIRFD, not following links, without atime. */
int	cust_open_dir(int dirfd, const char *name);

/* ----------------------------------------------------------- filetype.c */

/*
 * Bytes from the start of a file handed to libmagic: enough for the
 * deepest test of lib/custody.magic (the ext2/3/4 superblock magic at
 * 1080), and no more, since libmagic's text checks cost time in
 * proportion to the bytes they are given.
 */
#define CUST_PROBE_BYTES	1088

/* libmagic's built-in tests we skip: they cost time, or the database does
 * better.  The encoding test only feeds MIME output, which we do not ask
 * for: text is still named by the text test (0 of 13,711 files on a
 * Debian host typed differently without it), and it saves a tenth of the
 * probe's time. */
#define CUST_MAGIC_FLAGS	(MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR | \
			 MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_CSV | \
			 MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_APPTYPE | \
			 MAGIC_NO_CHECK_TOKENS | MAGIC_NO_CHECK_ENCODING | \
			 MAGIC_ERROR)

/* The built-in database, compiled from custody.magic (manifests/embed.py). */
extern const unsigned char cust_magic_db[];
extern const size_t cust_magic_db_len;

/* A byte at OFF that some top-level test of the database can start with,
 * when SET has its bit (lib/magic-gate.py makes them from custody.magic).
 * A buffer none of them lets through matches no entry of the database. */
struct cust_magic_gate {
	size_t		off;
	unsigned char	set[32];
};
extern const struct cust_magic_gate cust_magic_gates[];
extern const size_t cust_magic_ngates;

struct cust_filetype;

/* Load the magic database; its absence is not an error (see below). */
int	cust_filetype_new(struct cust_ctx *, struct cust_filetype **);
void	cust_filetype_free(struct cust_filetype *);
/* Why no types can be given, or NULL when the database loaded. */
const char *cust_filetype_unavailable(const struct cust_filetype *);
/* The type of the first N bytes (borrowed until the next call), or NULL. */
const char *cust_filetype_probe(struct cust_filetype *, const void *,
	    size_t n);

/* ---------------------------------------------------------------- fmt.c */

/* Room for any intmax_t in decimal, with its sign (no NUL). */
#define CUST_INTLEN	(3 * sizeof(uintmax_t) + 2)

/* V in decimal at OUT (CUST_INTLEN bytes), as "%ju" and "%jd" print it
 * but not NUL-terminated; the length. */
size_t	cust_fmt_uint(char *out, uintmax_t v);
size_t	cust_fmt_int(char *out, intmax_t v);

/* -------------------------------------------------------------- jsonw.c */

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

/* ------------------------------------------------------------- record.c */

/* Everything recorded about one artefact. */
struct cust_record {
	const char	*path;		/* raw in-root path (borrowed) */
	size_t		 pathlen;
	const char	*stored;	/* "data/..." when stored, else NULL */
	const char	*link_of;	/* stored name of the same inode */
	const struct stat *st;		/* metadata (borrowed); st_mode 0:
					   unknown */
	struct timespec	 btime;		/* tv_sec -1: unknown */
	const char	*status;	/* "ok", "changed", ... (custody(1)) */
	const char	*reason;	/* "what: strerror" for non-ok, or NULL */
	const char	*artefact;	/* "manifest:line" that chose it */
	int64_t		 bytes;		/* bytes read and hashed; -1: none */
	const char	*target;	/* symlink target (raw), or NULL */
	size_t		 targetlen;
	const char	*hex[CUST_NALG];/* digests by algorithm bit index */
	const char	*magic;		/* libmagic's description, or NULL */
	const struct stat *after;	/* stat after reading, when changed */
	bool		 atime_updated;	/* reading it moved its atime */
};

/* "file", "dir", "symlink", "fifo", "socket", "block", "char", "unknown" */
const char *cust_type_name(mode_t);
/* R's files.jsonl line (no newline) into W; CUST_FATAL out of memory. */
int	cust_record_write(const struct cust_record *r, struct cust_jw *w);
/* The same as a JSON object (new reference), or NULL out of memory. */
json_t	*cust_record_json(const struct cust_record *r);
/* The most JSON values (members, keys, items) and the deepest nesting of a
 * files.jsonl record: three times and one level more than custody
 * writes. */
#define CUST_RECORD_VALUES	256
#define CUST_RECORD_DEPTH	3
/* Why the files.jsonl line P of N bytes cannot be a record (more values
 * or deeper nesting than the bounds above), or NULL; a cheap scan. */
const char *cust_record_absurd(const char *p, size_t n);
/* json_loadb, rejecting duplicate keys and texts of more than MAX values. */
json_t	*cust_json_bounded(const char *p, size_t n, size_t max,
	    json_error_t *err);
/* Append R's bodyfile line (Sleuth Kit 3.x format) to SP. */
int	cust_record_bodyfile(const struct cust_record *r, struct cust_spool *);

/* -------------------------------------------------------------- relay.c */

/*
 * A record handed from the reader to the hasher: a deep copy of a
 * struct cust_record in one allocation (free() it).
 */
struct cust_slip {
	struct cust_record r;		/* pointers into this allocation */
	struct stat	 st, after;	/* what r.st and r.after point to */
	bool		 digest;	/* finish the running digest into r.hex */
	bool		 payload;	/* list r.stored in the payload manifests */
};

/* Copy R (borrowed) into a new slip; NULL when out of memory. */
struct cust_slip *cust_slip_new(const struct cust_record *r, bool digest,
	    bool payload);

enum cust_job_kind {
	CUST_JOB_START,		/* a file's bytes follow: reset the digest */
	CUST_JOB_HEADER,	/* an archive member begins */
	CUST_JOB_CHUNK,		/* bytes of the current file */
	CUST_JOB_FINISH,	/* the archive member ends */
	CUST_JOB_RECORD,	/* a record to write */
};

struct cust_job {
	enum cust_job_kind kind;
	const void	*data;		/* CHUNK: bytes, HEADER: the member's
					   name with its NUL; in the ring */
	size_t		 len;
	uint64_t	 size;		/* HEADER: the member's size */
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

/* ------------------------------------------------------------ flusher.c */

/* fdatasync(2) of a growing file, on a thread of its own, when asked. */
struct cust_flusher;

/* FD is borrowed, and must stay open until cust_flusher_end. */
int	cust_flusher_new(struct cust_ctx *, int fd, struct cust_flusher **);
/* Ask for an fdatasync of what is written so far, without waiting.
 * Returns the errno of an earlier fdatasync that failed, or 0. */
int	cust_flusher_kick(struct cust_flusher *);
/* Wait for a flush under way, and stop the thread.  Returns the errno of
 * the first fdatasync that failed, or 0; the caller's fsync comes after. */
int	cust_flusher_end(struct cust_flusher *);
/* End if need be, and free.  NULL is a no-op. */
void	cust_flusher_free(struct cust_flusher *);

/* -------------------------------------------------------------- press.c */

/* Takes N bytes at BUF, in order: 0, or an errno that stops the press. */
typedef int (*cust_drain_fn)(void *arg, const void *buf, size_t n);

#define CUST_PRESS_WORKERS_MAX	4
#define CUST_PRESS_PIECE	(1024 * 1024)	/* bytes in one frame */

/* A byte stream compressed by zstd at LEVEL, one frame a piece, on WORKERS
 * threads (0: by the caller), the frames handed in order to DRAIN (called
 * with ARG) on a thread of its own.  NAME (borrowed) is for messages. */
struct cust_press;

int	cust_press_new(struct cust_ctx *, const char *name, int level,
	    int workers, cust_drain_fn drain, void *arg, struct cust_press **);
/* Take N bytes at BUF: 0, or the errno of the drain or zstd once either
 * has failed. */
int	cust_press_write(struct cust_press *, const void *buf, size_t n);
/* Compress what is left, wait until every frame is drained, and stop the
 * threads: 0, or the first errno.  Nothing can be written after. */
int	cust_press_end(struct cust_press *);
/* The first errno met so far by the drain or zstd, or 0. */
int	cust_press_error(struct cust_press *);
/* Stop without draining what is left, and free.  NULL is a no-op. */
void	cust_press_free(struct cust_press *);

/* ---------------------------------------------------------------- tap.c */

/* The SHA-256 of a byte stream, computed on a thread of its own. */
struct cust_tap;

int	cust_tap_new(struct cust_ctx *, struct cust_tap **);
/* Stop the thread if it runs and free.  NULL is a no-op. */
void	cust_tap_free(struct cust_tap *);
/* The next N bytes of the stream (copied): 0, or -1 when it failed. */
int	cust_tap_write(struct cust_tap *, const void *, size_t n);
/* Wait for the thread; the digest and the byte count (may be NULL).
 * Call once, at the end. */
int	cust_tap_final(struct cust_tap *, char sha256[65], uint64_t *bytes);

/* ------------------------------------------------------------- ledger.c */

/* The hashing thread: digests, payload manifests, records. */
struct cust_ledger;
struct cust_bag;

/*
 * Start the thread taking jobs from RELAY (borrowed) into BAG (borrowed:
 * until cust_ledger_finish, the thread alone writes the bag's spools); it
 * types each file's first chunk with FT (borrowed: it alone uses it) and
 * passes headers and chunks on to NEXT (borrowed), the writer's relay,
 * which it closes when it stops.
 */
int	cust_ledger_start(struct cust_ctx *, struct cust_relay *relay,
	    struct cust_relay *next, struct cust_bag *bag,
	    struct cust_filetype *ft, unsigned algs, struct cust_ledger **);
/* Close the relay, wait for the thread; its error, if any, goes to CTX. */
int	cust_ledger_finish(struct cust_ledger *, struct cust_ctx *ctx);
/* Stop the thread if it runs and free.  NULL is a no-op. */
void	cust_ledger_free(struct cust_ledger *);

/* ------------------------------------------------------------- writer.c */

/* The archive-writing thread. */
struct cust_writer;

/*
 * Start the thread writing the members that arrive through IN (borrowed)
 * to S (borrowed: the thread's alone until cust_writer_finish), releasing
 * their bytes to RING (borrowed), the relay whose ring holds them.
 */
int	cust_writer_start(struct cust_ctx *, struct cust_relay *in,
	    struct cust_relay *ring, struct cust_sink *s,
	    struct cust_writer **);
/* Wait for the thread to write all it was given (IN must be closed); its
 * error, if any, goes to CTX. */
int	cust_writer_finish(struct cust_writer *, struct cust_ctx *ctx);
/* Abort both relays, stop the thread if it runs and free.  NULL: no-op. */
void	cust_writer_free(struct cust_writer *);
/*
 * One job's part in the archive: a header starts a member, chunks inside
 * a member are its data, finish ends it (*IN_MEMBER tracks which).  The
 * caller releases the bytes.  The writer thread's loop, and a test's.
 */
int	cust_writer_put(struct cust_sink *, const struct cust_job *,
	    bool *in_member);

/* ------------------------------------------------------------ acquire.c */

/* Reads regular files into digests, the type probe and the archive. */
struct cust_acquirer;

/* What happened to one file. */
struct cust_taken {
	const char	*status;	/* "ok", "changed", "vanished",
					   "denied", "error" */
	const char	*what;		/* what failed or changed, or NULL */
	int		 err;		/* errno, or 0 */
	bool		 read;		/* opened and read (a digest exists) */
	bool		 stored;	/* a member was written */
	bool		 moved;		/* stat differs after the read */
	bool		 capped;	/* a size-0 pseudo file hit the cap */
	bool		 atime_risk;	/* read without O_NOATIME */
	bool		 atime_moved;	/* and its atime did move */
	int64_t		 bytes;		/* bytes hashed (and archived) */
	struct stat	 st;		/* fstat when opened */
	struct timespec	 btime;
	struct stat	 after;		/* fstat after the read */
};

/*
 * Read files into RELAY (borrowed), for the hashing thread; at most
 * MAX_RATE bytes a second (0: no limit).
 */
int	cust_acquirer_new(struct cust_ctx *, struct cust_relay *relay,
	    uint64_t max_rate, struct cust_acquirer **);
void	cust_acquirer_free(struct cust_acquirer *);
/*
 * Take the regular file of entry E: relay a START job and its bytes (the
 * hashing thread digests them) and, when MEMBER is not NULL, a header and
 * a finish around them, so that the writer stores it as MEMBER.  Returns
 * CUST_OK whatever happened to the file (see T->status; T->read says
 * whether its bytes were relayed), or CUST_FATAL when the relay was
 * aborted or memory failed.
 */
int	cust_acquire(struct cust_acquirer *, const struct cust_entry *e,
	    const char *member, struct cust_taken *t);
/* The same in two steps: open E and fstat it into T (-1: T says why it
 * failed), so that the caller may look at T->st; then take it from FD,
 * which is closed. */
int	cust_acquire_open(const struct cust_entry *e, struct cust_taken *t);
int	cust_acquire_fd(struct cust_acquirer *, const struct cust_entry *e,
	    int fd, const char *member, struct cust_taken *t);

/* ----------------------------------------------------------- manifest.c */

/* What an artefact asks for, by UAC's `collector` field. */
enum cust_collector {
	CUST_COLLECTOR_FILE,	/* record and store contents */
	CUST_COLLECTOR_HASH,	/* record and hash, do not store */
	CUST_COLLECTOR_STAT,	/* record metadata only */
	CUST_COLLECTOR_FIND,	/* record metadata only */
	CUST_COLLECTOR_COMMAND,	/* never run; reported as skipped */
};

/* UAC `file_type` letters as bits; 0 means any type. */
enum {
	CUST_FT_FILE = 1u << 0,		/* f */
	CUST_FT_DIR = 1u << 1,		/* d */
	CUST_FT_LINK = 1u << 2,		/* l */
	CUST_FT_FIFO = 1u << 3,		/* p */
	CUST_FT_SOCK = 1u << 4,		/* s */
	CUST_FT_BLOCK = 1u << 5,	/* b */
	CUST_FT_CHAR = 1u << 6,		/* c */
};

struct cust_strv {
	char	**v;		/* owned, each owned */
	size_t	  n;
};

/* One artefact of a manifest, with UAC's fields. */
struct cust_rule {
	const struct cust_manifest *manifest;	/* borrowed: the owner */
	unsigned	 line;		/* line of the artefact in the file */
	char		*description;	/* owned; "" when absent */
	enum cust_collector collector;
	struct cust_strv paths;		/* `path` split on blanks */
	struct cust_strv name_patterns;
	struct cust_strv path_patterns;
	struct cust_strv exclude_path_patterns;
	struct cust_strv exclude_name_patterns;
	struct cust_strv exclude_file_systems;
	int		 max_depth;	/* -1: unlimited */
	unsigned	 file_types;	/* CUST_FT_* bits; 0: any */
	int64_t		 min_size;	/* -1: no bound */
	int64_t		 max_size;	/* -1: no bound */
	bool		 ignore_date_range;
	bool		 exclude_nologin_users;
	char		*skip;		/* owned: why it is not run, or NULL */
};

/* Artefact I of M (I < cust_manifest_count(M)). */
const struct cust_rule *cust_manifest_rule(const struct cust_manifest *,
	    size_t i);

/* ---------------------------------------------------------------- bag.c */

/* The bundle's BagIt layout on top of a sink. */
struct cust_bag;

/* What the collector hands over to seal the bag. */
struct cust_bag_seal {
	const char	*acquisition;	/* metadata/acquisition.json text */
	const char	*custody;	/* metadata/custody.jsonl text */
	const char	*info;		/* extra bag-info.txt lines, or NULL */
	const struct cust_key *key;	/* signing key (secret) */
	const char	*untrusted;	/* signature comments, one line each */
	const char	*trusted;
};

/*
 * A bag named NAME (its top directory) written to SINK (borrowed), with a
 * payload manifest per algorithm in ALGS (SHA-256 is always added).  Its
 * spools live in directory SPOOLDIR (-1: in memory).  MTIME stamps the
 * tag members.
 */
int	cust_bag_new(struct cust_ctx *, struct cust_sink *sink,
	    const char *name, unsigned algs, int spooldir,
	    const struct timespec *mtime, struct cust_bag **);
void	cust_bag_free(struct cust_bag *);
/* "NAME/REL" (borrowed until the next call), or NULL out of memory. */
const char *cust_bag_member(struct cust_bag *, const char *rel);
/* Write bagit.txt and metadata/algorithms.txt: the first members. */
int	cust_bag_begin(struct cust_bag *);
/* List a stored payload file ("data/...") in every payload manifest. */
int	cust_bag_payload(struct cust_bag *, const char *stored, uint64_t bytes,
	    const struct cust_digest *);
/* Add a files.jsonl and a bodyfile line. */
int	cust_bag_record(struct cust_bag *, const struct cust_record *);
/* Payload-Oxum so far. */
void	cust_bag_oxum(const struct cust_bag *, uint64_t *bytes,
	    uint64_t *count);
/* Write the tag files, the tag manifest and its signature. */
int	cust_bag_seal(struct cust_bag *, const struct cust_bag_seal *);
/*
 * After cust_bag_seal: the tag manifest and its signature file, as written
 * (borrowed from the bag).
 */
int	cust_bag_sealed(const struct cust_bag *, const char **tm,
	    size_t *tmlen, const char **sig, size_t *siglen);
/*
 * Write a member that follows the signature: REL is CUST_P7S_MEMBER,
 * CUST_TSR_MEMBER or CUST_P7STSR_MEMBER, in that order, each at most once
 * (the last only after the first).  Anything else is CUST_FATAL.
 */
int	cust_bag_append(struct cust_bag *, const char *rel, const void *p,
	    size_t n);
/*
 * Write the closing statement (signatures/closing.txt, see closing.c) over
 * the signature and every member appended, and its minisign signature by
 * KEY with comments UNTRUSTED and TRUSTED: the bag's last members.  Nothing
 * may be appended after it.
 */
int	cust_bag_close(struct cust_bag *, const struct cust_key *key,
	    const char *untrusted, const char *trusted);

/* -------------------------------------------------------- custody_log.c */

/* A hash chain of custody events being written. */
struct cust_chain {
	uint64_t	 seq;		/* of the next event */
	char		 prev[65];	/* SHA-256 hex of the last line */
	char		*text;		/* owned: the lines so far */
	size_t		 len;
};

void	cust_chain_init(struct cust_chain *);
void	cust_chain_fini(struct cust_chain *);
/* Append EVENT's fields (borrowed) after "seq" and "prev". */
int	cust_chain_add(struct cust_ctx *, struct cust_chain *, json_t *event);

/* ------------------------------------------------------------- reader.c */

/* A bundle read as a stream of hostile bytes. */
struct cust_reader;

/* One member: a regular file with a safe name under the top directory. */
struct cust_member {
	const char	*path;		/* full name (borrowed) */
	const char	*rel;		/* name inside the bag */
	uint64_t	 size;
};

/*
 * Read a bundle (plain or zstd) from FD (borrowed), accepting only the
 * canonical tar and framing of custody-bundle(5).  NAME names it in
 * messages.
 */
int	cust_reader_new(struct cust_ctx *, int fd, const char *name,
	    struct cust_reader **);
void	cust_reader_free(struct cust_reader *);
/*
 * The next member in *mp (NULL at the end).  CUST_FAILED when the archive
 * is damaged or has an unsafe member (message names it), CUST_FATAL when
 * the input could not be read.
 */
int	cust_reader_next(struct cust_reader *, const struct cust_member **mp);
/* The next block of the current member: its length, 0 at its end, or a
 * negative status. */
ssize_t	cust_reader_data(struct cust_reader *, const void **bufp);
/* The top directory, once a member was read. */
const char *cust_reader_bag(const struct cust_reader *);
/* Every member's mtime (custody-bundle(5): the collection's start), once a
 * member was read. */
uint64_t cust_reader_mtime(const struct cust_reader *);
/* Refuse a zstd stream that expands more than RATIO times past its first
 * GiB (0: no bound, the default). */
void	cust_reader_bound(struct cust_reader *, uint64_t ratio);
/* SHA-256 and length of every input byte read (call once, at the end). */
void	cust_reader_digest(struct cust_reader *, char sha256[65],
	    uint64_t *bytes);
/* Input bytes read so far. */
uint64_t cust_reader_bytes(const struct cust_reader *);

/* ------------------------------------------------------------- report.c */

/* Add a finding to REP (kept up to a bound, counted beyond it). */
int	cust_report_add(struct cust_report *, const char *check,
	    const char *subject, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Add a warning, "SUBJECT: message", to REP (bounded like findings). */
int	cust_report_warn(struct cust_report *, const char *subject,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Add a token met (its strings are copied); CUST_FATAL out of memory. */
int	cust_report_stamp(struct cust_report *, const struct cust_stamp *);

/* ------------------------------------------------------------ pathset.c */

/* A set of byte strings, kept as 128-bit keyed hashes. */
struct cust_pathset;

int	cust_pathset_new(struct cust_ctx *, struct cust_pathset **);
void	cust_pathset_free(struct cust_pathset *);
/* Add PATH: 1 when it is new, 0 when already there, -1 out of memory. */
int	cust_pathset_add(struct cust_pathset *, const char *path, size_t n);
/* The same for a path already hashed to (A, B); a slot's home is A's low
 * bits, so tests can choose where entries collide. */
int	cust_pathset_add_hash(struct cust_pathset *, uint64_t a, uint64_t b);
/* SipHash-2-4-128 of N bytes under the key (K0, K1). */
void	cust_siphash128(uint64_t k0, uint64_t k1, const unsigned char *in,
	    size_t n, uint64_t out[2]);

/* -------------------------------------------------------------- users.c */

/*
 * The distinct home directories named in ROOTFD's etc/passwd, skipping
 * users whose shell is nologin or false when SKIP_NOLOGIN.  A missing
 * passwd file gives an empty list.  Free with cust_strv_free.
 */
int	cust_user_homes(struct cust_ctx *, int rootfd, bool skip_nologin,
	    struct cust_strv *);
void	cust_strv_free(struct cust_strv *);

/* --------------------------------------------------------------- seal.c */

/* A pem_password_cb that refuses: no PEM reader ever asks for a password
 * on the terminal. */
int	cust_pem_nopass(char *buf, int size, int rwflag, void *arg);

#define CUST_ED25519_LEN 32	/* bytes in an Ed25519 public key */
#define CUST_PUBKEY_MAX	4096	/* largest public key text accepted */
#define CUST_SIG_MAX	8192	/* largest signature file accepted */

/*
 * A public key from its raw parts: minisign's key ID, taken as given, and
 * the Ed25519 public key.  *keyp is owned by the caller (cust_key_free).
 */
int	cust_key_from_public_raw(struct cust_ctx *,
	    const unsigned char keyid[CUST_KEYID_LEN],
	    const unsigned char pk[CUST_ED25519_LEN], struct cust_key **keyp);
/* The raw Ed25519 public key, CUST_ED25519_LEN bytes (borrowed). */
const unsigned char *cust_key_public_raw(const struct cust_key *);
/* true when KEY can sign: made by cust_key_generate or loaded from a .key. */
bool	cust_key_has_secret(const struct cust_key *);

/* A parsed minisign signature file. */
struct cust_sig;

/*
 * Make a minisign signature file (4 lines, "\n" endings) over MSG with the
 * secret KEY: algorithm "ED" (Ed25519 over BLAKE2b-512 of MSG), the
 * untrusted comment UNTRUSTED and the trusted comment TRUSTED (each one
 * line: a "\n" or "\r" in either is CUST_FAILED; so are comments too long
 * for minisign or for cust_sig_parse).  *outp is owned by the caller
 * (free()), *lenp its length.
 */
int	cust_sig_make(struct cust_ctx *, const struct cust_key *key,
	    const void *msg, size_t len, const char *untrusted,
	    const char *trusted, char **outp, size_t *lenp);
/*
 * Parse signature file text (bounded: refuse > CUST_SIG_MAX bytes; precise
 * errors).  Accepts "\r\n" line ends and a missing final newline.  Accept
 * algorithm "ED" only; "Ed" (unhashed legacy) is refused with a clear
 * message.  *sigp is owned by the caller (cust_sig_free).
 */
int	cust_sig_parse(struct cust_ctx *, const void *text, size_t len,
	    struct cust_sig **sigp);
/* Free a signature.  NULL is a no-op. */
void	cust_sig_free(struct cust_sig *);
/* Key ID of the signing key, as 16 uppercase hex digits + NUL. */
void	cust_sig_key_id_hex(const struct cust_sig *,
	    char out[CUST_KEYID_HEXLEN + 1]);
/* The trusted comment text (borrowed). */
const char *cust_sig_trusted_comment(const struct cust_sig *);
/* true when KEY (public or secret) carries the signature's minisign key
 * ID (for custody's keys, their own ID). */
bool	cust_sig_key_matches(const struct cust_sig *, const struct cust_key *);
/*
 * Check SIG over MSG with KEY: key IDs equal, the Ed25519 signature over
 * BLAKE2b-512(MSG) valid, and the global signature over (signature bytes
 * || trusted comment) valid.  CUST_OK, or CUST_FAILED with a message that
 * says which of the three failed.
 */
int	cust_sig_verify(struct cust_ctx *, const struct cust_sig *,
	    const struct cust_key *key, const void *msg, size_t len);

/* ---------------------------------------------- x509.c, cms.c, tsa.c */

/* Members after the signature, in the order they come (bag.c). */
#define CUST_SIG_MEMBER		"signatures/tagmanifest-sha512.txt.minisig"
#define CUST_P7S_MEMBER		"signatures/tagmanifest-sha512.txt.p7s"
#define CUST_TSR_MEMBER		"timestamps/tagmanifest-sha512.txt.minisig.tsr"
#define CUST_P7STSR_MEMBER	"timestamps/tagmanifest-sha512.txt.p7s.tsr"
#define CUST_P7S_MAX	(64 * 1024)	/* largest .p7s accepted */
#define CUST_TSR_MAX	(64 * 1024)	/* largest .tsr accepted */

/* ------------------------------------------------------------ closing.c */

/* The closing statement and its signature: always the last two members. */
/* The untrusted comments of the two minisign signatures in a bundle.
 * minisign signs nothing of that line, so custody-bundle(5) fixes it:
 * no byte of a bundle may be free to carry what nobody checks. */
#define CUST_SIG_UNTRUSTED	"signature from custody key"
#define CUST_CLOSE_UNTRUSTED	"closing statement from custody key"
#define CUST_CLOSING_MEMBER	"signatures/closing.txt"
#define CUST_CLOSESIG_MEMBER	"signatures/closing.txt.minisig"
#define CUST_CLOSING_MAX	4096	/* largest closing.txt accepted */
#define CUST_NCLOSED		4

/* The members a closing statement accounts for, in their order: the
 * minisign signature, the .p7s, the .minisig.tsr, the .p7s.tsr. */
extern const char *const cust_closed[CUST_NCLOSED];
/*
 * The closing statement of a bag in which member cust_closed[i] has the
 * SHA-512 (lowercase hex) SUMS[i], or "" when the bag does not hold it.
 * *textp (owned by the caller) holds *lenp bytes and a NUL.
 */
int	cust_closing_text(struct cust_ctx *, char sums[CUST_NCLOSED][129],
	    char **textp, size_t *lenp);
/*
 * Parse closing statement TEXT (N bytes) into SUMS, as cust_closing_text
 * would have written it.  CUST_FAILED with "line N ..." when it is not
 * exactly that form.
 */
int	cust_closing_parse(struct cust_ctx *, const char *text, size_t n,
	    char sums[CUST_NCLOSED][129]);

/*
 * A detached CMS SignedData (DER) over DATA by S: SHA-256 (SHA-384 for a
 * P-384 key), the certificate and its chain, signing time and
 * signingCertificateV2.  *derp is owned by the caller (free()).
 */
int	cust_cms_sign(struct cust_ctx *, const struct cust_signer *s,
	    const void *data, size_t len, unsigned char **derp, size_t *lenp);

/* What a checked CMS signature says. */
struct cust_cms_result {
	char		*subject;	/* owned: the signer's subject */
	time_t		 signing_time;	/* claimed by the signer */
	char		 signing_time_text[CUST_TIMELEN];
	time_t		 checked_at;	/* when the certificate was checked */
	bool		 at_token;	/* at a token's genTime, not the
					   present time */
	bool		 verified;	/* chain to the CA checked */
	bool		 revocation_checked; /* and against the policy's CRLs */
};

/* What a CMS signature is checked against; every pointer is borrowed. */
struct cust_cms_trust {
	const struct cust_castore *ca;	/* NULL: the signature alone */
	const struct cust_x509_policy *policy;	/* NULL: default usages */
	const time_t	*at;		/* genTime of a verified token over
					   the signature; NULL: now */
	long		 accuracy;	/* that token's, in seconds */
	time_t		 start;		/* the acquisition's start by the
					   host clock; -1: not known */
};

/*
 * Check the CMS signature DER (N bytes, at most CUST_P7S_MAX) over DATA:
 * one signer, detached, signingCertificateV2 present and matching, a
 * signingTime neither before T->start nor after T->at, the signature
 * valid, the signer's key usage digitalSignature or nonRepudiation.  With
 * T->ca, also the chain to it at *T->at or, when NULL, at the present
 * time (never at the signing time, which the signer claims), against the
 * policy's CRLs, and the signer fit for evidence (cust_x509_fit); then
 * res->verified.  CUST_OK, or CUST_FAILED with "SUBJECT: reason".
 * Release RES with cust_cms_result_fini (also after a failure).
 */
int	cust_cms_check(struct cust_ctx *, const char *subject, const void *der,
	    size_t n, const void *data, size_t len,
	    const struct cust_cms_trust *t, struct cust_cms_result *res);
void	cust_cms_result_fini(struct cust_cms_result *);

/*
 * Ask the TSA at URL (http:// only) for a token over DATA: a SHA-256
 * imprint, a random 64-bit nonce, certReq.  TIMEOUT seconds (0:
 * CUST_TSA_TIMEOUT) for the connection and again for the exchange.  The
 * answer must be granted, for our imprint and our nonce; *derp (owned,
 * free()) is then the whole DER TimeStampResp.  CUST_FAILED with
 * "URL: reason" when the TSA cannot be reached or refuses, CUST_FATAL when
 * out of memory.
 */
int	cust_tsa_request(struct cust_ctx *, const char *url, int timeout,
	    const void *data, size_t len, unsigned char **derp, size_t *lenp);

/* What a checked token says. */
struct cust_tsa_token {
	time_t		 gen_time;
	char		 gen_time_text[CUST_TIMELEN];
	long		 accuracy;	/* seconds, rounded up; 0: none */
	char		*tsa;		/* owned: TSA certificate subject (or
					   its tsa name), or NULL */
	bool		 verified;	/* signature and chain checked */
};

/*
 * Check the DER TimeStampResp (N bytes, at most CUST_TSR_MAX, nothing
 * after it) against DATA, the file it must cover: status granted, a
 * SHA-256 imprint of DATA.  With CA, also at genTime: the TSA
 * certificate's extended key usage critical and timeStamping alone, its
 * chain to CA, the signature and ESS certificate binding; then
 * t->verified.  CUST_OK, or CUST_FAILED with "SUBJECT: reason".  Release T
 * with cust_tsa_token_fini.
 */
int	cust_tsa_check(struct cust_ctx *, const char *subject, const void *der,
	    size_t n, const void *data, size_t len,
	    const struct cust_castore *ca, struct cust_tsa_token *t);
void	cust_tsa_token_fini(struct cust_tsa_token *);

/* -------------------------------------------------------- countersign.c */

/*
 * After cust_bag_seal: the X.509 signature (opts->signer) and the tokens
 * (opts->tsa_url) as members of BAG.  A TSA that fails leaves
 * res->untimestamped and res->tsa_error set, and CUST_OK.
 */
int	cust_countersign(struct cust_ctx *, struct cust_bag *bag,
	    const struct cust_collect_opts *o,
	    struct cust_collect_result *res);
/*
 * After the bundle is closed, when opts->custody_log: the custody log's
 * first lines in res->log_text, the "sealed" event (and "untimestamped"
 * when a TSA failed), signed with KEY (the seal key, ONE_TIME or not).
 */
int	cust_collect_log(struct cust_ctx *, const struct cust_bag *bag,
	    const struct cust_collect_opts *o, const struct cust_key *key,
	    bool one_time, struct cust_collect_result *res);

#endif /* CUSTODY_PRIVATE_H */
