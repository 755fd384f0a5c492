/*
 * custodylog.h: the custody log, the sidecar BUNDLE.custody: its reading
 * and appending (chainlog.c) and what the verifier trusts of it
 * (logcheck.c).  It may use base/, format/ and trust/.
 */
#ifndef CUSTODY_CUSTODYLOG_H
#define CUSTODY_CUSTODYLOG_H

#include "format/format.h"
#include "trust/trust.h"

#define CUST_LOG_MAX		(64 * 1024 * 1024)	/* bytes in a log */
#define CUST_LOG_LINE_MAX	(1024 * 1024)		/* bytes in a line */

/*
 * What the log keeps of each event once read: enough to chain and order
 * it and to find its line again.  The event itself is parsed again when
 * asked for (cust_log_load), so that a log costs 128 bytes an event and
 * one parsed line, not a parsed copy of the whole log.
 */
struct cust_log_ev {
	uint64_t	 seq;
	struct timespec	 when;		/* "time" */
	off_t		 off;		/* the line in the file */
	size_t		 len;		/* without its newline */
	bool		 linked;	/* "prev" is the line before's hash */
	char		 key_id[CUST_KEYID_HEXLEN + 1];
	char		 hash[65];	/* SHA-256 of the line */
};

/* One event, parsed. */
struct cust_log_slot {
	struct cust_log_entry e;	/* strings borrowed from obj */
	json_t		*obj;		/* owned: the event object */
	char		*text;		/* owned: the signed event text */
	size_t		 len;
	char		*minisig;	/* owned: its signature file */
	char		 key_id[CUST_KEYID_HEXLEN + 1];	/* e.key_id: the
					   own ID of its "public_key" */
	struct timespec	 when;		/* "time" */
	size_t		 i;		/* which event */
};

struct cust_log {
	char		*name;		/* owned */
	struct cust_ctx	*ctx;		/* borrowed */
	int		 fd;		/* borrowed: read again on demand */
	struct cust_log_ev *v;		/* owned */
	size_t		 n, cap;
	size_t		 size;		/* bytes read */
	struct cust_log_slot *cur;	/* owned: the event last loaded */
};

/* How far ahead of this machine's clock an event may be dated before it is
 * named as implausible. */
#define CUST_LOG_AHEAD		3600

/*
 * Event I of LOG, parsed from its line, read again from the log's file
 * (its SHA-256 must not have changed since cust_log_read).  Borrowed from
 * the log, valid until the next load of another event; NULL with the
 * error set in the log's context.
 */
const struct cust_log_slot *cust_log_load(const struct cust_log *, size_t i);
/*
 * Does event I verify, by the key it names, over its exact text?  NULL
 * when it does, else why not (borrowed; valid until the context's next
 * error).  CUST_FATAL in *rp when out of memory.
 */
const char *cust_log_signed(const struct cust_log *, size_t i, int *rp);
/* Is event A's time before event B's? */
bool	cust_log_before(const struct cust_log *, size_t a, size_t b);

/* Is TYPE one of the event types of custody(1)? */
bool	cust_log_known_type(const char *type);
/* Is S exactly N lowercase hex digits? */
bool	cust_log_hex(const char *s, size_t n);
/* Parse a "time" ("YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"); 0, or -1. */
int	cust_log_time(const char *s, struct timespec *ts);
/*
 * Why event I does not follow event I-1 (its sequence number, its "prev"),
 * in BUF; NULL when it does.  Time is not a link: whose clock to believe
 * is a question of trust (logcheck.c, and the appender's own key).
 */
const char *cust_log_link(const struct cust_log *, size_t i, char *buf,
	    size_t n);
/* Every event follows the one before: CUST_OK, or CUST_FAILED naming the
 * first that does not. */
int	cust_log_links(struct cust_ctx *, const struct cust_log *);
/*
 * Make the signed line (no newline; room is left for one) of event EV,
 * number SEQ, chained to PREV (the previous line's SHA-256; NULL for the
 * first), at time NOW, with the type-specific fields of EXTRA (borrowed;
 * may be NULL) and, for SEQ 0, REF's binding.  *linep is owned by the
 * caller.
 */
int	cust_log_line(struct cust_ctx *, uint64_t seq, const char *prev,
	    const struct timespec *now, const struct cust_bundle_ref *ref,
	    const struct cust_event *ev, json_t *extra, char **linep);
/*
 * Append event EV with the type-specific fields of EXTRA (borrowed; may
 * be NULL) to the log on FD, as cust_log_append() describes.
 */
int	cust_log_write(struct cust_ctx *, int fd, const char *name,
	    const struct cust_bundle_ref *ref, const struct cust_event *ev,
	    json_t *extra, char head[65]);

/* ----------------------------------------------------------- logcheck.c */

/* What the verifier knows and trusts, for cust_log_check(). */
struct cust_log_policy {
	const char	*bag;		/* this bundle's top directory */
	const char	*tagmanifest_sha512;	/* of this bundle */
	const char	*sha256;	/* of the bytes read, or NULL */
	/* What follows this bundle's seal, for the "sealed" event's record */
	bool		 x509;		/* a .p7s */
	const char	*x509_subject;	/* its signer, when known, or NULL */
	size_t		 tokens;	/* .tsr members */
	const struct cust_key *const *keys; /* the investigator trusts */
	size_t		 nkeys;
	const char	*seal_key;	/* the bundle's seal key (base64), or
					   NULL; trusted when origin_trusted */
	bool		 origin_trusted;
	const char	*head;		/* the log must end here, or NULL */
};

/*
 * Check LOG against POL: each line whole and signed by the key it names,
 * the chain and sequence unbroken, event 0 bound to this bundle (its bag
 * and tag manifest; and, when its key is trusted, the file's SHA-256 and,
 * for a "sealed" event, the X.509 signature and tokens its "seal"
 * records), times in order among the events of keys trusted, and the end
 * at POL->head.  Failures become findings of the "custody log" check in
 * REP, naming the event (seq and type); events signed by keys not
 * trusted, their times, what they record of the bundle, and events dated
 * more than CUST_LOG_AHEAD seconds after this machine's clock become
 * warnings.  REP's log counts are set.  CUST_OK, or CUST_FATAL when out
 * of memory.
 */
int	cust_log_check(struct cust_ctx *, const struct cust_log *log,
	    const struct cust_log_policy *pol, struct cust_report *rep);
/*
 * Is event I signed by a key POL trusts (by its public key line, not yet
 * by its signature)?  1 yes, 0 no, 2 a key that takes the ID of a key
 * trusted but is another, -1 out of memory (or the event unreadable).
 */
int	cust_log_trusted(const struct cust_log *, size_t i,
	    const struct cust_log_policy *pol);
/*
 * Token J of event I (a "timestamped" event): the member it covers
 * (borrowed) and its DER bytes (owned by the caller, free()).  CUST_FAILED
 * when it is not canonical base64 of at most CUST_TSR_MAX bytes.
 */
int	cust_log_token(struct cust_ctx *, const struct cust_log *, size_t i,
	    size_t j, const char **over, unsigned char **derp, size_t *lenp);

#endif
