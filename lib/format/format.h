/*
 * format.h: the bundle format of custody-bundle(5): its members, the
 * canonical tar that holds them, the records of files.jsonl and the
 * bodyfile, custody-log events and the closing statement.  It may use
 * base/ only: the writer (collect/) and the verifier (verify/) both
 * stand on it.  findings.c is the verifier's report and its JSON form.
 */
#ifndef CUSTODY_FORMAT_H
#define CUSTODY_FORMAT_H

#include "base/base.h"

/* ------------------------------------------------------ canonical_tar.c */

/* The format's name and version, in acquisition.json and bag-info.txt:
 * version 2 is the canonical tar below. */
#define CUST_FORMAT		"custody-bundle/2"
/* A .tar.zst is zstd frames of this many bytes of tar each, the last one
 * shorter (custody-bundle(5)). */
#define CUST_PRESS_PIECE	(1024 * 1024)

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
/*
 * A sparse member (custody-bundle(5)): its data area holds the map, then
 * the data regions' bytes; SIZE is that area's length, REALSIZE the file's.
 * The sparse form is used only when the holes total at least
 * CUST_SPARSE_MIN_HOLES bytes, and for at most CUST_SPARSE_REGIONS data
 * regions.
 */
#define CUST_SPARSE_MIN_HOLES	(1024 * 1024)
#define CUST_SPARSE_REGIONS	16384
struct cust_region {
	uint64_t	 off;		/* where the data starts */
	uint64_t	 len;		/* bytes of data, > 0 */
};
size_t	cust_tar_sparse_header_len(const char *path, size_t plen,
	    uint64_t size, uint64_t realsize);
void	cust_tar_sparse_header(unsigned char *out, const char *path,
	    size_t plen, uint64_t size, uint64_t realsize, uint64_t mtime);
/* The map of the N data regions V of a file of REALSIZE bytes, padded to
 * whole blocks: its length, and its bytes at OUT unless NULL. */
size_t	cust_tar_sparse_map(const struct cust_region *v, size_t n,
	    uint64_t realsize, unsigned char *out);
/* Why regions V cannot be a sparse member's map (out of order, touching,
 * empty, beyond REALSIZE, holes too small), or NULL. */
const char *cust_tar_sparse_check(const struct cust_region *v, size_t n,
	    uint64_t realsize);
/* Every member's mtime: the collection's start, or 0 when the ustar field
 * cannot hold it. */
uint64_t cust_tar_mtime(int64_t seconds);
/* The name of the ustar field at byte I of a header block. */
const char *cust_tar_field(size_t i);

/* ------------------------------------------------------------- layout.c */

/*
 * The members of a bundle, in the order they come (custody-bundle(5)).
 * The table cust_layout gives each its name, its bound and what vouches
 * for it; the writer (bag_writer.c), the verifier (verify.c), show and
 * the tests of the man pages read it, and nothing else spells the layout.
 */
enum cust_part {
	CUST_M_BAGIT, CUST_M_ALGS, CUST_M_DATA, CUST_M_ACQ, CUST_M_LISTING,
	CUST_M_FILES,
	CUST_M_BODY, CUST_M_CUSTODY, CUST_M_MANIFEST, CUST_M_BAGINFO,
	CUST_M_TAGMAN, CUST_M_SIG, CUST_M_P7S, CUST_M_TSR, CUST_M_P7STSR,
	CUST_M_CLOSING, CUST_M_CLOSESIG,
	CUST_NPART
};

#define CUST_MF_MANY		0x1	/* any number; NAME is a prefix */
#define CUST_MF_OPTIONAL	0x2	/* may be absent */
#define CUST_MF_STREAMED	0x4	/* read as a stream, never kept whole */

struct cust_part_def {
	const char	*name;		/* under the bag's directory */
	uint64_t	 max;		/* bytes kept in memory; 0: streamed */
	unsigned	 flags;		/* CUST_MF_* */
	enum cust_part	 vouched_by;	/* the member that holds its digest
					   or signs it; CUST_NPART: the key */
};

extern const struct cust_part_def cust_layout[CUST_NPART];

/*
 * The listings of find artefacts (custody-bundle(5), "Listings"): each
 * CUST_LISTING_DIR NAME ".txt", NAME 1 to CUST_LISTING_NAME_MAX of
 * A-Z a-z 0-9 . _ - not starting with a dot; acquisition.json's
 * "listings" names them, in their order in the bag.
 */
#define CUST_LISTING_DIR	"metadata/listings/"
#define CUST_LISTING_NAME_MAX	100
#define CUST_LISTING_MAX	4096	/* listings in one bundle */
#define CUST_LISTED_MAX		(4u * 1024 * 1024) /* their lines in all */
/* Is REL (under the bag) a name a listing may have? */
bool	cust_listing_name_valid(const char *rel);

/* Names of members also used in constant initialisers. */
#define CUST_SIG_MEMBER		"signatures/tagmanifest-sha512.txt.minisig"
#define CUST_P7S_MEMBER		"signatures/tagmanifest-sha512.txt.p7s"
#define CUST_TSR_MEMBER		"timestamps/tagmanifest-sha512.txt.minisig.tsr"
#define CUST_P7STSR_MEMBER	"timestamps/tagmanifest-sha512.txt.p7s.tsr"
#define CUST_SIG_MAX	8192		/* largest signature file accepted */
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

/* ------------------------------------------------------------- record.c */

/* The status of a record (custody(1), files.jsonl's "status"). */
enum cust_rec_status {
	CUST_ST_OK,		/* taken */
	CUST_ST_HASHED,		/* read and hashed, not stored */
	CUST_ST_LISTED,		/* metadata only */
	CUST_ST_CHANGED,	/* stored, but it changed while read */
	CUST_ST_TOO_LARGE,	/* over the artefact's max_file_size */
	CUST_ST_LOOP,		/* a directory that is its own ancestor */
	CUST_ST_VANISHED,	/* gone when opened */
	CUST_ST_MISSING,	/* a PATH operand that is not there */
	CUST_ST_DENIED,		/* permission denied */
	CUST_ST_ERROR,		/* another error */
	CUST_NSTATUS
};

/* The status's word in files.jsonl. */
const char *cust_rec_status_name(enum cust_rec_status);
/* The status whose word is NAME, or -1. */
int	cust_rec_status_parse(const char *name);
/* An artefact the collector failed to take (counted as failed). */
bool	cust_rec_status_failed(enum cust_rec_status);
/* A status the collector does not report as it goes (ok, hashed, listed). */
bool	cust_rec_status_quiet(enum cust_rec_status);
/* What an errno from looking at or opening a file means. */
enum cust_rec_status cust_rec_status_of_errno(int err);

/* Everything recorded about one artefact. */
struct cust_record {
	const char	*path;		/* raw in-root path (borrowed) */
	size_t		 pathlen;
	const char	*stored;	/* "data/..." when stored, else NULL */
	const char	*link_of;	/* stored name of the same inode */
	const struct stat *st;		/* metadata (borrowed); st_mode 0:
					   unknown */
	struct timespec	 btime;		/* tv_sec -1: unknown */
	enum cust_rec_status status;
	const char	*reason;	/* "what: strerror" for non-ok, or NULL */
	const char	*artefact;	/* "manifest:line" that chose it */
	int64_t		 bytes;		/* bytes read and hashed; -1: none */
	const char	*target;	/* symlink target (raw), or NULL */
	size_t		 targetlen;
	const char	*hex[CUST_NALG];/* digests by algorithm bit index */
	const char	*magic;		/* libmagic's description, or NULL */
	const struct stat *after;	/* stat after reading, when changed */
	bool		 atime_updated;	/* reading it moved its atime */
	const char	*not_walked;	/* a directory whose contents were
					   deliberately not walked: why */
	const char	*meta;		/* JSON members of its extended
					   attributes, ACLs, capabilities,
					   labels and inode flags, or NULL */
	bool		 pseudo;	/* procfs, sysfs...: read to its end */
	bool		 padded;	/* reading stopped short: of BYTES, the
					   last BYTES - BYTES_READ are zeros */
	int64_t		 bytes_read;	/* if padded: where the padding starts */
	bool		 sparse;	/* stored in the sparse form: */
	size_t		 regions;	/* its data regions */
	uint64_t	 data;		/* and their bytes */
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

/* --------------------------------------------------------- log_events.c */

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

/* ----------------------------------------------------- canonical_read.c */

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

/* ----------------------------------------------------------- findings.c */

/* Add a finding to REP (kept up to a bound, counted beyond it). */
int	cust_report_add(struct cust_report *, const char *check,
	    const char *subject, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Add a warning, "SUBJECT: message", to REP (bounded like findings). */
int	cust_report_warn(struct cust_report *, const char *subject,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Add a token met (its strings are copied); CUST_FATAL out of memory. */
int	cust_report_stamp(struct cust_report *, const struct cust_stamp *);

#endif /* CUSTODY_FORMAT_H */
