/*
 * live.h: the live state of the running host (issue 22), read from the
 * kernel's own interfaces and never from a host binary: processes, their
 * executables and deleted files still open, the kernel (modules, taint,
 * sysctls, mounts), and the cross-views that compare two independent
 * readings of one fact.  Each table is JSON Lines under data/live/ of the
 * bag (custody-bundle(5), "Live state"), with the raw /proc and /sys text
 * it came from.  It may use base/, format/ and collect's pipeline; it
 * hands what it stores to its caller through struct cust_live_out, so
 * that it never drives the pipeline itself.  verify/ and bundle/ must not
 * use it: show reads its tables as plain JSON Lines.
 */
#ifndef CUSTODY_LIVE_H
#define CUSTODY_LIVE_H

#include <jansson.h>

#include "base/base.h"

/* The schema of every table under data/live/ (custody-bundle(5)). */
#define CUST_LIVE_SCHEMA	1
/* Deleted files still open are stored up to this size; larger ones are
 * recorded with their size and no content. */
#define CUST_LIVE_HELD_MAX	(64LL * 1024 * 1024)
/* Raw /proc text stored per file, and what one process's table record
 * takes of environ, cmdline and maps: bounded, the rest is cut. */
#define CUST_LIVE_RAW_MAX	(1024 * 1024)

/* Where the snapshot's members go: the collector stores them as payload
 * (data/live/REL, with a files.jsonl record naming SRC as its source). */
struct cust_live_out {
	/* N bytes at BUF (borrowed). */
	int	(*buffer)(void *arg, const char *rel, const char *src,
		    const void *buf, size_t n);
	/* The regular file open on FD, which it closes. */
	int	(*file)(void *arg, const char *rel, const char *src, int fd);
	void	*arg;
};

/* What a snapshot found, for collect's summary. */
struct cust_live_counts {
	size_t	 tables;	/* tables written */
	size_t	 failed_tables;	/* tables that could not be read */
	size_t	 processes;	/* process records (gone ones included) */
	size_t	 gone;		/* processes that exited while read */
	size_t	 blobs;		/* distinct executables and held files */
	size_t	 modules;
	size_t	 findings;	/* all cross-views together */
	char	 line[256];	/* "hidden processes 0, hidden modules 0" */
	double	 seconds;	/* the volatile state: processes to views */
	double	 at_rest_seconds;	/* then the package check */
};

/*
 * Take the live state of the host whose /proc is PROCFD, /sys SYSFD and
 * root ROOTFD (borrowed, open directories), in order of volatility: processes
 * first, then the kernel and the network, then (timed apart) the package
 * files at rest, handing every member to OUT.  A table that
 * cannot be read is recorded as failed in data/live/tables.jsonl and
 * counted, not fatal.  PROCFD -1 means an image (--root): only the
 * tables read from ROOTFD's own files (logins, packages) are taken.
 * Returns CUST_OK, or CUST_FATAL when OUT failed or memory ran out.
 */
int	cust_live_snapshot(struct cust_ctx *, int procfd, int sysfd,
	    int rootfd, const struct cust_live_out *out,
	    struct cust_live_counts *);

/* ------------------------------------------------------------ procs.c */

/* The process table being read, with the socket inodes its fds hold. */
struct cust_live_procs;

/*
 * Read every process of PROCFD into ROWS (a new array), storing their
 * executables and held deleted files through OUT.  *PS keeps the
 * socket-owner map and the listing for the cross-view.
 */
int	cust_live_processes(struct cust_ctx *, int procfd,
	    const struct cust_live_out *out, struct cust_live_procs **ps,
	    json_t **rows, size_t *blobs);
/* Where each process record goes as it is read: ROW (borrowed) is handed
 * on, so that the table need not be held whole.  Returns CUST_OK, or a
 * status with the ctx's error set, which stops the reading. */
struct cust_live_sink {
	int	(*row)(void *arg, json_t *row);
	void	*arg;
};
/* The same, each record handed to SINK instead of kept. */
int	cust_live_processes_to(struct cust_ctx *, int procfd,
	    const struct cust_live_out *out, struct cust_live_procs **ps,
	    const struct cust_live_sink *sink, size_t *blobs);
void	cust_live_procs_free(struct cust_live_procs *);
/*
 * Add "pids" (an array, maybe empty) to every object of SOCKETS that has
 * an "inode": the processes whose descriptors hold that socket.
 */
int	cust_live_socket_owners(struct cust_ctx *, json_t *sockets,
	    const struct cust_live_procs *);
/*
 * Hidden processes: every pid up to pid_max probed (kill(pid, 0) and a
 * stat of /proc/PID, which works for a directory hidden from the
 * listing) against the listing.  A thread id is probed as a process but
 * never listed: it is not a finding.  One object per hidden pid.
 */
int	cust_live_hidden_processes(struct cust_ctx *, int procfd,
	    const struct cust_live_procs *, json_t **findings);
/* Raw text of PROCFD/PATH (at most CUST_LIVE_RAW_MAX bytes) into a new
 * buffer *P of *N bytes (NUL-terminated); -1 with errno when unreadable. */
int	cust_live_read(int dirfd, const char *path, char **p, size_t *n);

/* ----------------------------------------------------------- kernel.c */

/* /proc/modules parsed: one object per module. */
int	cust_live_modules(struct cust_ctx *, int procfd, json_t **rows);
/* /sys/module: one object per directory, loaded or built in. */
int	cust_live_sys_modules(struct cust_ctx *, int sysfd, json_t **rows);
/* Modules loaded (with an initstate) in one view and not the other. */
int	cust_live_modules_crossview(struct cust_ctx *, const json_t *procmods,
	    const json_t *sysmods, json_t **findings);
/* One object: version, release, cmdline, uptime, boot id, taint decoded,
 * and the chosen sysctls. */
int	cust_live_kernel(struct cust_ctx *, int procfd, int sysfd,
	    json_t **rows);
/* The mount table of pid 1 (the host's, not the collector's private
 * namespace), one object per mount. */
int	cust_live_mounts(struct cust_ctx *, int procfd, json_t **rows);
/* Taint bits as names ("P proprietary module", ...): a new array. */
json_t	*cust_live_taint_flags(unsigned long long taint);

/* -------------------------------------------------------------- json */

/* A JSON string of N raw bytes: as is when UTF-8, else escaped as stored
 * names are (custody-bundle(5)); NULL out of memory. */
json_t	*cust_live_str(const char *s, size_t n);

#endif /* CUSTODY_LIVE_H */
