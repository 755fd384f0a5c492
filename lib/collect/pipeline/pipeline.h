/*
 * pipeline.h: the output pipeline of a collection, one thread a stage:
 * the reading thread hands jobs through a queue (queue.c) to the hashing
 * thread (hasher.c), which hands them to the archive thread (archiver.c);
 * it writes the canonical tar (tar_writer.c), compressed by zstd workers
 * (zstd_writer.c) and made durable as it grows (syncer.c).  bag_writer.c
 * lays out the BagIt bag on top.  It may use base/, format/ and trust/.
 */
#ifndef CUSTODY_PIPELINE_H
#define CUSTODY_PIPELINE_H

#include "format/format.h"
#include "trust/trust.h"

/* The type probe of collect/filetype.c, which the hashing thread runs. */
struct cust_filetype;

/* --------------------------------------------------------- tar_writer.c */

/* The bundle's archive stream. */
struct cust_sink;

/*
 * Write the canonical tar of custody-bundle(5) to FD (borrowed), through
 * zstd at ZSTD_LEVEL when it is above 0 with THREADS worker threads (0:
 * none), and encrypted to RS (borrowed) when it is not NULL.  NAME names
 * the output in messages.  The SHA-256 and size are of what FD gets.
 */
int	cust_sink_new(struct cust_ctx *, int fd, const char *name,
	    int zstd_level, int threads, const struct cust_recipients *rs,
	    struct cust_sink **);
void	cust_sink_free(struct cust_sink *);
/* Every member's mtime from now on: SECONDS, or 0 when the ustar field
 * cannot hold it (tarfmt.c).  0 until set. */
void	cust_sink_set_mtime(struct cust_sink *, int64_t seconds);
/* Start a regular-file member of SIZE bytes named PATH (UTF-8). */
int	cust_sink_header(struct cust_sink *, const char *path, uint64_t size);
/* Start a sparse member of REALSIZE bytes whose data area (the map, then
 * the data regions) is SIZE bytes. */
int	cust_sink_sparse_header(struct cust_sink *, const char *path,
	    uint64_t size, uint64_t realsize);
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

/* --------------------------------------------------------------- slip.c */

/*
 * A record handed from the reader to the hasher: a deep copy of a
 * struct cust_record in one allocation.
 */
struct cust_slip {
	struct cust_record r;		/* pointers into this allocation */
	struct stat	 st, after;	/* what r.st and r.after point to */
	bool		 digest;	/* finish the running digest into r.hex */
	bool		 payload;	/* list r.stored in the payload manifests */
	bool		 pooled;	/* of the pool's size: recycled */
	struct cust_slip *next;		/* in a pool's list */
};

/*
 * The slips of one reading and one hashing thread, recycled between
 * them: the hasher gives back the slips it has written, a batch at a
 * time, and the reader takes them again, so that the steady state
 * allocates nothing.  A record too large for a pooled slip gets one of
 * its own, freed when done.  Every slip can also be given to free().
 */
struct cust_slips;

int	cust_slips_new(struct cust_ctx *, struct cust_slips **);
/* Free the slips held; those still in a queue are the queue's to free.
 * Once neither thread uses it.  NULL is a no-op. */
void	cust_slips_free(struct cust_slips *);
/* Slips of the pool's size allocated so far: at most as many as were
 * ever in flight at once. */
size_t	cust_slips_made(const struct cust_slips *);
/* Reader: copy R (borrowed) into a slip of P (NULL: a slip of its own,
 * to free()); NULL when out of memory. */
struct cust_slip *cust_slip_new(struct cust_slips *p,
	    const struct cust_record *r, bool digest, bool payload);
/* Hasher: S is written; it is kept for the next give-back (or freed). */
void	cust_slip_done(struct cust_slips *p, struct cust_slip *s);
/* Hasher: hand the slips done with to the reader, with one lock. */
void	cust_slips_give_back(struct cust_slips *p);

/* ------------------------------------------------------------- syncer.c */

/* fdatasync(2) of a growing file, on a thread of its own, when asked. */
struct cust_flusher;

/* FD is borrowed, and must stay open until cust_flusher_end. */
int	cust_flusher_new(struct cust_ctx *, int fd, struct cust_flusher **);
/* Ask for an fdatasync of what is written so far, without waiting.
 * Returns the errno of an earlier fdatasync that failed, or 0. */
int	cust_flusher_kick(struct cust_flusher *);
/* Ask for writeback to start (sync_file_range) on the flusher's thread,
 * without waiting.  Returns as cust_flusher_kick. */
int	cust_flusher_push(struct cust_flusher *);
/* Wait for a flush under way, and stop the thread.  Returns the errno of
 * the first fdatasync that failed, or 0; the caller's fsync comes after. */
int	cust_flusher_end(struct cust_flusher *);
/* End if need be, and free.  NULL is a no-op. */
void	cust_flusher_free(struct cust_flusher *);

/* -------------------------------------------------------- zstd_writer.c */

/* Takes N bytes at BUF, in order: 0, or an errno that stops the press. */
typedef int (*cust_drain_fn)(void *arg, const void *buf, size_t n);

#define CUST_PRESS_WORKERS_MAX	4

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

/* ------------------------------------------------------------- hasher.c */

/* The hashing thread: digests, payload manifests, records. */
struct cust_ledger;
struct cust_bag;

/*
 * Start the thread taking jobs from RELAY (borrowed) into BAG (borrowed:
 * until cust_ledger_finish, the thread alone writes the bag's spools); it
 * types each file's first chunk with FT (borrowed: it alone uses it) and
 * passes headers and chunks on to NEXT (borrowed), the writer's relay,
 * which it closes when it stops.  The slips of the records it writes go
 * back to SLIPS (borrowed; NULL: they are freed).
 */
int	cust_ledger_start(struct cust_ctx *, struct cust_relay *relay,
	    struct cust_relay *next, struct cust_bag *bag,
	    struct cust_filetype *ft, struct cust_slips *slips, unsigned algs,
	    struct cust_ledger **);
/* Close the relay, wait for the thread; its error, if any, goes to CTX. */
int	cust_ledger_finish(struct cust_ledger *, struct cust_ctx *ctx);
/* Stop the thread if it runs and free.  NULL is a no-op. */
void	cust_ledger_free(struct cust_ledger *);

/* ----------------------------------------------------------- archiver.c */

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

/* --------------------------------------------------------- bag_writer.c */

/* The bundle's BagIt layout on top of a sink. */
struct cust_bag;

/* What the collector hands over to seal the bag. */
struct cust_bag_seal {
	const char	*acquisition;	/* metadata/acquisition.json text */
	const char	*custody;	/* metadata/custody.jsonl text */
	/* the find artefacts' listings, in their order: member names under
	   CUST_LISTING_DIR and their spools (borrowed) */
	const char *const *listing_names;
	struct cust_spool *const *listing_spools;
	size_t		 nlistings;
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

#endif /* CUSTODY_PIPELINE_H */
