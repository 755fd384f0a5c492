/*
 * collect.h: the collection: manifests, the walk, reading each file once,
 * facts about the host, and what is added after the seal.  It may use
 * every other layer of lib/ except verify/ and bundle/; the output
 * pipeline it drives is collect/pipeline/.
 */
#ifndef CUSTODY_COLLECT_H
#define CUSTODY_COLLECT_H

#include "format/format.h"
#include "trust/trust.h"
#include "custodylog/custodylog.h"
#include "collect/pipeline/pipeline.h"
#include "live/live.h"

/* -------------------------------------------------------------- guard.c */

/*
 * Move the calling process (it must have one thread) into a private mount
 * namespace whose mounts are all read-only and noatime.  CUST_FAILED when
 * not allowed (not root) or not supported (a kernel before 5.12): then
 * nothing changed and the caller goes on without that protection;
 * CUST_FATAL when the namespace was made but could not be made private.
 */
int	cust_guard_mounts(struct cust_ctx *);

/* --------------------------------------------------------------- host.c */
/* A new JSON object of host facts (name, kernel, os, boot id), or NULL. */
json_t	*cust_host_facts(void);
/* A new JSON object of clock facts for a collection from START to END. */
json_t	*cust_clock_facts(const struct timespec *start,
	    const struct timespec *end);
/* Add to host facts O: FQDN, DMI identity, network interfaces; O, or NULL
 * (O then is the caller's to free). */
json_t	*cust_host_more(json_t *o);
/* Add to clock facts O: each clock now, the RTC, adjtimex; nonzero when
 * out of memory. */
int	cust_clock_more(json_t *o);
/* {"source": FILE, "entries": [...]}: PID 1's mount table (ours when
 * PID 1's cannot be read), JSON null when none, NULL out of memory. */
json_t	*cust_host_mounts(void);
/* Who runs the collection: ids, the name of the real uid in ROOTFD's
 * etc/passwd, SUDO_USER and the controlling TTY as the caller found them,
 * the audit login uid.  NULL out of memory. */
json_t	*cust_operator_facts(struct cust_ctx *, int rootfd,
	    const char *sudo_user, const char *tty);

/* --------------------------------------------------------------- tool.c */
/* The running collector: name, version, SHA-256 of /proc/self/exe, build
 * id, compiler, library versions at run time; NULL out of memory. */
json_t	*cust_tool_facts(void);

/* --------------------------------------------------------------- meta.c */

/* Extended attributes kept in one record; the rest are only counted
 * (xattrs_omitted), so that a record stays within CUST_RECORD_VALUES. */
#define CUST_XATTR_MAX	24

/*
 * The extended attributes, ACLs, capabilities, security labels and inode
 * flags of one object, as the JSON members of its record (custody-bundle(5))
 * in *TEXTP (owned; NULL when there are none).  FD is the regular file
 * open for reading, or -1: then NAME under DIRFD, whose lstat is ST, is
 * opened O_PATH (never followed, never opened for reading unless it is a
 * regular file or a directory).  ORDINARY: the caller knows FD's file
 * system to be none of the pseudo ones (cust_acquire_pseudo()), so it is
 * not asked again.  CUST_FATAL only out of memory.
 */
int	cust_meta_read(int fd, int dirfd, const char *name,
	    const struct stat *st, bool ordinary, char **textp);

/* ------------------------------------------------------------- mounts.c */

/* Filesystem types by mount, as /proc/self/mountinfo gives them. */
struct cust_mounts;

int	cust_mounts_load(struct cust_ctx *, struct cust_mounts **);
void	cust_mounts_free(struct cust_mounts *);
/* The type of the filesystem FD is on ("ext4", "nfs4"), or NULL. */
const char *cust_mounts_type(const struct cust_mounts *, int fd);

/* ------------------------------------------------------------- atimes.c */

/* The atime of each inode when the collector first met it, for those it
 * may meet again after moving it (directories, files with other links),
 * when nothing keeps it from moving atimes (no guard.c mounts). */
struct cust_atimes;

int	cust_atimes_new(struct cust_ctx *, struct cust_atimes **);
void	cust_atimes_free(struct cust_atimes *);	/* NULL is a no-op */
/* Keep ST's atime as its inode's first, unless one is kept already:
 * before the collector does what may move it.  A NULL table keeps
 * nothing.  CUST_FATAL when out of memory. */
int	cust_atimes_note(struct cust_atimes *, const struct stat *st);
/* Put in ST the atime its inode had when first met, if one is kept; a
 * directory or an inode with other links met for the first time is kept
 * from ST now.  CUST_FATAL when out of memory. */
int	cust_atimes_first(struct cust_atimes *, struct stat *st);

/* --------------------------------------------------------------- walk.c */

/* One name met by the walker. */
struct cust_entry {
	const char	*path;		/* in-root path "/a/b", raw bytes */
	size_t		 pathlen;
	const char	*name;		/* last component ("." for a start dir) */
	int		 dirfd;		/* its open parent (borrowed); -1 if
					   err is set and no parent is open */
	uint64_t	 dirid;		/* nonzero: the same for every entry
					   while dirfd is the same open
					   directory, never again after */
	struct stat	 st;		/* lstat; zero when it failed */
	struct timespec	 btime;		/* birth time; tv_sec -1: unknown */
	int		 depth;		/* 0 for a start point */
	enum cust_rec_status status;	/* ok; or why it was not walked */
	int		 err;		/* errno when it could not be examined,
					   opened or listed, else 0 */
	const char	*what;		/* what failed ("lstat", "open",
					   "list", "directory loop",
					   "replaced"), or NULL */
	const char	*not_walked;	/* a directory the walk did not
					   enter on purpose: why, or NULL */
	bool		 lazy;		/* a regular file by its directory
					   entry alone (lazy_files): st holds
					   S_IFREG, the entry's inode number
					   and the directory's device */
	uint64_t	 matched;	/* bit K: rule K of the walk selects
					   it (a failure: those looking) */
};

/* What the filters left out, for acquisition.json. */
struct cust_walk_counts {
	uint64_t	 by_date;	/* outside --start-date/--end-date */
	uint64_t	 by_size;	/* under min_file_size */
	uint64_t	 by_fs;		/* directories not entered: another
					   or an excluded file system, /dev */
};

struct cust_walk_opts {
	int		 rootfd;	/* the collection root, open dir */
	const struct cust_rule *rule;	/* the artefact's tests, or: */
	/* Up to 64 artefacts over the same start path, walked at once
	 * (one traversal, each directory read once); 0: RULE alone. */
	const struct cust_rule *const *rules;
	size_t		 nrules;
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
	/* Where to keep the atimes of directories listed and links read
	 * (borrowed; NULL when nothing the walk does can move them). */
	struct cust_atimes *atimes;
	/* Known IDs for the rule's no_user and no_group tests (borrowed). */
	const struct cust_ids *users, *groups;
	/* A path that is not there is a failure to record (a PATH operand),
	 * not a file this host does not have (a manifest's path). */
	bool		 must_exist;
	struct cust_walk_counts *counts; /* borrowed, may be NULL */
	/* Where to stat a directory's names ahead of the walk (borrowed;
	 * NULL: one statx at a time, when each is looked at). */
	struct cust_statq *statq;
	/* Rules that start below the walk's path (docs/design.md, "One
	 * walk"): rule K looks only at and below the paths of anchors[K],
	 * normalised and from the root (the walk's own path among them
	 * when K starts there too); n == 0, or ANCHORS NULL: rule K starts
	 * at the walk's path alone.  Borrowed; at most CUST_ANCHORS_MAX
	 * paths a rule. */
	const struct cust_strv *anchors;
	/* Where to read directories ahead of the walk (borrowed; NULL:
	 * each is read when the walk enters it). */
	struct cust_dirq *dirq;
	/* Called for every matching entry and every failure; a return of
	 * CUST_FATAL stops the walk. */
	int		(*visit)(void *arg, const struct cust_entry *);
	void		*arg;
};

#define CUST_ANCHORS_MAX	64

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
/* A statx's answer as a struct stat and a birth time (tv_sec -1:
 * unknown). */
void	cust_stat_from(const struct statx *, struct stat *,
	    struct timespec *btime);
/* Open directory NAME under DIRFD, not following links, without atime. */
int	cust_open_dir(int dirfd, const char *name);
/* Every name in directory FD, sorted, in *VP (owned: free it with
 * cust_free_names), *BYTESP of listing; *ERRP set when the listing failed
 * part way; its time told to DIRQ (may be NULL).  -1 when out of
 * memory. */
struct cust_dirq;
int	cust_read_names(int fd, char ***vp, size_t *np, size_t *bytesp,
	    int *errp, struct cust_dirq *dirq);
void	cust_free_names(char **v, size_t n);
/* A name of a listing, its inode number and its index: sorted by inode
 * (cust_by_ino), the order of the inode tables on the disk, in which
 * stats of a cold directory are taken. */
struct cust_byino {
	uint64_t	 ino;
	size_t		 at;
};
int	cust_by_ino(const void *, const void *);
/* The inode number of a name cust_read_names gave. */
uint64_t cust_name_ino(const char *name);

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

/* ------------------------------------------------------------ acquire.c */

/* Reads regular files into digests, the type probe and the archive. */
struct cust_acquirer;

/* What happened to one file. */
struct cust_taken {
	enum cust_rec_status status;	/* ok, changed, vanished, denied,
					   error */
	const char	*what;		/* what failed or changed, or NULL */
	int		 err;		/* errno, or 0 */
	bool		 read;		/* opened and read (a digest exists) */
	bool		 stored;	/* a member was written */
	bool		 moved;		/* stat differs after the read */
	bool		 pseudo;	/* st_size meant nothing: read to EOF */
	bool		 capped;	/* a pseudo file hit the cap */
	bool		 padded;	/* read stopped short: zeros follow */
	int64_t		 got;		/* if padded: bytes really read, where
					   the padding starts */
	bool		 sparse;	/* stored in the sparse form: */
	size_t		 regions;	/* its data regions */
	uint64_t	 data;		/* and their bytes */
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
/* N bytes at BUF (borrowed), made by the collector (the live tables),
 * stored as MEMBER with mtime T->st.st_mtim, which the caller sets. */
int	cust_acquire_buffer(struct cust_acquirer *, const void *buf, size_t n,
	    const char *member, struct cust_taken *t);

/* N bytes at BUF (borrowed) read already from FD, the regular file of E
 * that cust_acquire_small() allowed: relayed as cust_acquire_fd() would
 * relay what it reads (the rest read from FD if the file grew short
 * reads), T->after taken from AFTER unless AERR.  FD stays open. */
int	cust_acquire_read(struct cust_acquirer *, const struct cust_entry *e,
	    int fd, const char *member, struct cust_taken *t, const void *buf,
	    ssize_t got, const struct stat *after, int aerr);
/* Whether the file open at FD, whose statx is in T, may be read whole
 * by one read of at most CUST_URING_SMALL bytes: a regular file, still
 * E's, of a size in (0, CUST_URING_SMALL], on a file system whose sizes
 * mean something, with no --max-rate to keep. */
bool	cust_acquire_small(struct cust_acquirer *, const struct cust_entry *e,
	    int fd, const struct cust_taken *t);
/* Whether FD, E's file on device DEV, lies on a pseudo file system (proc,
 * sysfs, cgroup...), asked once for the files of one open directory. */
bool	cust_acquire_pseudo(struct cust_acquirer *, const struct cust_entry *e,
	    int fd, dev_t dev);

/* -------------------------------------------------------------- uring.c */

/* Files taken together, and the largest read in one go. */
#define CUST_URING_BATCH	32
#define CUST_URING_SMALL	(32 * 1024)

/* Batched system calls through io_uring. */
struct cust_uring;

/* One file of a batch. */
struct cust_uring_file {
	int		 dirfd;		/* in: its directory (borrowed) */
	const char	*name;		/* in: borrowed */
	int		 fd;		/* out: open, or -1 and err */
	int		 err;		/* open's errno */
	int		 serr;		/* the statx's errno (fd open) */
	struct cust_taken t;		/* out: st, btime, atime_risk */
	void		*buf;		/* in: read WANT bytes here */
	size_t		 want;		/* (borrowed); 0: no read */
	ssize_t		 got;		/* out: bytes read, or -errno */
	struct stat	 after;		/* out: statx after the read */
	struct timespec	 abtime;
	int		 aerr;		/* its errno, or 0 */
};

/* A ring: CUST_FAILED, and why in WHY, when io_uring is unavailable or
 * refused (ENOSYS, EPERM) or lacks an operation; CUST_FATAL out of
 * memory. */
int	cust_uring_new(struct cust_ctx *, struct cust_uring **, char *why,
	    size_t n);
void	cust_uring_free(struct cust_uring *);	/* NULL is a no-op */
/* Open N <= CUST_URING_BATCH files as acquire.c opens them, then statx
 * each descriptor into its t.st.  CUST_FATAL only when the ring fails. */
int	cust_uring_open(struct cust_uring *, struct cust_uring_file *,
	    size_t n);
/* Read WANT bytes from each file that has a WANT, then statx it. */
int	cust_uring_read(struct cust_uring *, struct cust_uring_file *,
	    size_t n);
/* Close FD, with the next round. */
int	cust_uring_close(struct cust_uring *, int fd);
/* Submit what waits and reap it (NULL is a no-op). */
int	cust_uring_flush(struct cust_uring *);

/* Stats of a walk, submitted ahead of it: at most CUST_STATQ_DEPTH in
 * flight, each filling its statx and then its result (0 or -errno) in
 * place of CUST_STATQ_PENDING. */
#define CUST_STATQ_DEPTH	64
#define CUST_STATQ_PENDING	1
struct cust_statq;

/* CUST_FAILED when io_uring is unavailable; CUST_FATAL out of memory. */
int	cust_statq_new(struct cust_ctx *, struct cust_statq **);
void	cust_statq_free(struct cust_statq *);	/* NULL is a no-op */
/* Queue an lstat of DIRFD/NAME, as cust_stat_at does it, into SX and RES
 * (borrowed until its result is in; DIRFD must stay open until then). */
int	cust_statq_add(struct cust_statq *, int dirfd, const char *name,
	    struct statx *sx, int *res);
/* Submit what is queued, take what is done, and wait until *RES is. */
int	cust_statq_wait(struct cust_statq *, const int *res);
/* Wait until nothing is in flight (NULL is a no-op). */
int	cust_statq_settle(struct cust_statq *);

/* ----------------------------------------------------------- dirahead.c */

/*
 * Directories read ahead of a walk (cust_walk_opts.dirq): CUST_DIRQ_THREADS
 * threads open and list the directories the walker posts, at most
 * CUST_DIRQ_SLOTS posted or held at once (so as many fds), CUST_DIRQ_FRAME
 * of them a frame's, and start no listing while those held take
 * CUST_DIRQ_BYTES or more.
 */
#define CUST_DIRQ_THREADS	4
#define CUST_DIRQ_SLOTS		32
#define CUST_DIRQ_FRAME		8
#define CUST_DIRQ_BYTES		(16u << 20)
#define CUST_DIRQ_STATS		4096	/* names a directory's stats go up to */
struct cust_dirq;

/* A name's lstat taken ahead: its statx when RES is 0, else -errno. */
struct cust_pre {
	struct statx	 sx;
	int		 res;
};

/* A directory read ahead, handed over: FD -1 when it could not be opened
 * without moving its atime (the walker opens it); else ST its fstat, and
 * NAMES (NULL: not listed, the walker lists it) as cust_read_names gives
 * them, ERR set when the listing failed part way. */
struct cust_dir_ahead {
	int		 fd;		/* owned */
	struct stat	 st;
	char		**names;	/* owned */
	size_t		 n;
	int		 err;
	struct cust_pre	*pre;		/* owned: the names' lstats, or NULL */
};

/* CUST_FAILED, and no error set, when no thread could be started (the
 * walk reads alone); CUST_FATAL out of memory. */
int	cust_dirq_new(struct cust_ctx *, struct cust_dirq **);
void	cust_dirq_free(struct cust_dirq *);	/* NULL is a no-op */
/* A listing of LEN bytes begun at T0 (CLOCK_MONOTONIC) is done: whether
 * listings wait on the disk tells whether reading ahead is worth its
 * cost (cust_dirq_cold). */
void	cust_dirq_timed(struct cust_dirq *, const struct timespec *t0,
	    size_t len);
/* Were enough of the last listings slow (the cache cold) to read ahead? */
bool	cust_dirq_cold(struct cust_dirq *);
/* As if the last listings had all been slow (a queue starts warm): for
 * the tests, which read ahead in trees that are all in the cache. */
void	cust_dirq_assume_cold(struct cust_dirq *);
/* A key for a frame's jobs, never given before. */
uint64_t cust_dirq_key(struct cust_dirq *);
/* Post a read of directory NAME (index IDX) of frame KEY, at DEPTH, open
 * at DIRFD on device DEV, and with STATS the lstats of its names (in the
 * order of their inode numbers) when it holds at most CUST_DIRQ_STATS;
 * NAME and DIRFD are borrowed until the job is claimed or dropped.
 * CUST_FAILED when the slots (or the frame's) are taken. */
int	cust_dirq_post(struct cust_dirq *, uint64_t key, int depth, int dirfd,
	    dev_t dev, const char *name, size_t idx, bool stats);
/* Take the job (KEY, IDX), waiting while it is read: true and *OUT when
 * it was read ahead; false when it was never posted or not started (and
 * is not any more). */
bool	cust_dirq_claim(struct cust_dirq *, uint64_t key, size_t idx,
	    struct cust_dir_ahead *out);
/* Drop frame KEY's jobs not started, and ALL: those read too; wait for
 * those being read (they use its fd). */
void	cust_dirq_drop(struct cust_dirq *, uint64_t key, bool all);

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

/* A find -perm test: '-' all of BITS, '/' any of them, '=' exactly. */
struct cust_perm {
	mode_t		 bits;
	char		 how;
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
	char		*output_file;	/* owned: UAC's, or NULL; names a
					   find's listing */
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
	struct cust_perm *perms;	/* owned: any of them matches */
	size_t		 nperms;
	bool		 no_user, no_group;	/* find -nouser, -nogroup */
	bool		 file_list;	/* paths are files listing paths */
	char		*condition;	/* owned: the artefact's, or NULL */
	char		*top_condition;	/* owned: its file's, or NULL */
	char		*skip;		/* owned: why it is not run, or NULL */
};

/* Artefact I of M (I < cust_manifest_count(M)). */
const struct cust_rule *cust_manifest_rule(const struct cust_manifest *,
	    size_t i);

/* ---------------------------------------------------------- condition.c */

/* What a condition is decided against. */
struct cust_cond_env {
	int		 rootfd;	/* the collection root */
	bool		 live;		/* it is the running system's "/" */
};

/* UAC's condition COND on ENV, without a shell: 1 it holds, 0 it does
 * not, -1 not evaluated (a form condition.c does not decide). */
int	cust_condition_eval(const struct cust_cond_env *, const char *cond);

/* ------------------------------------------------------------ listing.c */

/* The listings of a collection's find artefacts, each in a spool. */
struct cust_listings;

int	cust_listings_new(struct cust_ctx *, int spooldir,
	    struct cust_listings **);
void	cust_listings_free(struct cust_listings *);	/* NULL is a no-op */
/* A listing for RULE, artefact J (from 0) of the manifest named MNAME,
 * labelled LABEL; named as custody-bundle(5) says. */
int	cust_listings_add(struct cust_listings *, const struct cust_rule *,
	    const char *mname, size_t j, const char *label);
/* The index of RULE's listing, or -1 when it has none. */
int	cust_listings_find(const struct cust_listings *,
	    const struct cust_rule *);
/* Append raw PATH (N bytes), escaped, as a line of listing I. */
int	cust_listings_line(struct cust_listings *, int i, const char *path,
	    size_t n);
size_t	cust_listings_count(const struct cust_listings *);
/* Listing I's member name and spool (borrowed). */
const char *cust_listings_member(const struct cust_listings *, size_t i);
struct cust_spool *cust_listings_spool(const struct cust_listings *,
	    size_t i);
/* acquisition.json's "listings": member, artefact, collector, lines. */
json_t	*cust_listings_json(const struct cust_listings *);

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
/* Whether PATH is in the set, adding nothing (nothing hashed when the
 * set is empty). */
bool	cust_pathset_has(const struct cust_pathset *, const char *path,
	    size_t n);
/* How many paths the set holds. */
size_t	cust_pathset_count(const struct cust_pathset *);

/* -------------------------------------------------------------- users.c */

/*
 * The distinct home directories named in ROOTFD's etc/passwd, skipping
 * users whose shell is nologin or false when SKIP_NOLOGIN.  A missing
 * passwd file gives an empty list.  Free with cust_strv_free.
 */
int	cust_user_homes(struct cust_ctx *, int rootfd, bool skip_nologin,
	    struct cust_strv *);
void	cust_strv_free(struct cust_strv *);
/* Does S match one of V's fnmatch(3) patterns (FLAGS)? (walk.c) */
bool	cust_strv_any(const struct cust_strv *v, const char *s, int flags);
/* The name of UID in ROOTFD's etc/passwd (no NSS) in *NAMEP (owned; NULL
 * when not there); CUST_FATAL out of memory. */
int	cust_user_name(struct cust_ctx *, int rootfd, uid_t uid, char **namep);

/* The user (or group) IDs that ROOTFD's etc/passwd (etc/group) names,
 * for find's -nouser and -nogroup; none when the file is missing. */
struct cust_ids {
	unsigned	*v;		/* owned, sorted */
	size_t		 n;
};
int	cust_ids_load(struct cust_ctx *, int rootfd, bool groups,
	    struct cust_ids *);
bool	cust_ids_has(const struct cust_ids *, unsigned id);
void	cust_ids_free(struct cust_ids *);

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

#endif /* CUSTODY_COLLECT_H */
