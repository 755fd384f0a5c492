/*
 * verify.h: the verifier's state, shared by the files of verify/: the
 * streaming pass (verify.c), the checks made once the stream has ended
 * (checks.c), timestamps and the X.509 signature (timestamps.c) and the
 * closing statement (closing_check.c).  verify/ may use base/, format/,
 * trust/ and custodylog/, never collect/: the test verify-only-link fails
 * if it does.
 */
#ifndef CUSTODY_VERIFY_H
#define CUSTODY_VERIFY_H

#include <errno.h>

#include <openssl/evp.h>

#include "format/format.h"
#include "trust/trust.h"
#include "custodylog/custodylog.h"

/* Checks in the order of custody(1); a finding names its check. */
#define C_ARCHIVE	"archive"
#define C_STRUCTURE	"structure"
#define C_SIGNATURE	"signature"
#define C_TIMESTAMP	"timestamp"
#define C_TAGMAN	"tag manifest"
#define C_COMPLETE	"completeness"
#define C_VALID		"validity"
#define C_META		"metadata"
#define C_LOG		"custody log"

#define F_FILES		0x10	/* item flag: claimed by a files.jsonl line */
#define F_BAD		0x20	/* item flag: a digest mismatched */

/*
 * A payload file, in 48 bytes whatever its name's length: the name is known
 * by its SHA-256, and kept only in the name store (verify.c), in the order
 * of the items, to be read back for a finding that names it.
 */
struct item {
	unsigned char	 key[32];	/* SHA-256 of its name */
	uint64_t	 size;
	uint16_t	 namelen;	/* bytes of its name in the store */
	uint8_t		 flags;		/* bit i: listed in manifest i; F_* */
};

struct held {
	char		*p;		/* owned */
	size_t		 n;
};

struct tagsum {
	const char	*name;		/* static member name */
	char		 sha512[129];
	bool		 listed;
};

/* A listing named by acquisition.json, in the bag's order. */
struct vlisting {
	char		*member;	/* owned */
	uint64_t	 lines;		/* as acquisition.json says */
};

/* A path some listing holds: a keyed hash of its raw bytes, and where it
 * was first listed, to name it when files.jsonl has no record of it. */
struct listed {
	uint64_t	 key;		/* 0: an empty slot */
	uint32_t	 list;		/* index into lists; bit 31: found */
	uint32_t	 line;		/* from 1 */
};

#define LISTED_FOUND	0x80000000u

struct ver {
	struct cust_ctx	*ctx;			/* borrowed */
	const struct cust_verify_opts *o;	/* borrowed */
	struct cust_report *rep;		/* borrowed */
	struct cust_reader *rd;			/* owned */
	enum cust_part	 stage;
	bool		 stop;			/* a structural failure */
	/* algorithms of the payload manifests, in order */
	unsigned	 alg[CUST_NALG];
	size_t		 nalg, curalg, dsize;
	struct cust_digest *dig;		/* owned */
	EVP_MD_CTX	*tagmd;			/* owned: SHA-512 of tags */
	/* payload files, their digests, and an index by name */
	struct item	*items;			/* owned */
	unsigned char	*digs;			/* owned: dsize per item */
	size_t		 nitems, itemcap;
	uint32_t	*slots;			/* owned: index + 1 */
	size_t		 slotcap;
	uint64_t	 k0, k1;
	/* the name store: the items' names, one after the other; the first
	   ones in an unnamed scratch file once they outgrow the buffer */
	char		*names;			/* owned: namescap bytes */
	size_t		 namescap;		/* at most NAMES_BUF */
	size_t		 nameslen;		/* bytes used in names */
	uint64_t	 spilled;		/* bytes of names in the file */
	int		 scratch;		/* owned: the file, or -1 */
	/* tag files */
	struct tagsum	*tags;			/* owned */
	size_t		 ntags, tagcap;
	/* the listings of find artefacts, and the paths they hold */
	struct vlisting	*lists;			/* owned */
	size_t		 nlists, curlist;
	struct listed	*listed;		/* owned: open addressing */
	size_t		 nlisted, listedcap;
	struct held	 bagit, algs, acq, custody, baginfo, tagman, sig;
	/* line-by-line members */
	char		*line;			/* owned: linecap bytes */
	size_t		 linelen, linemax, linecap;
	uint64_t	 lineno;
	size_t		 lastidx;		/* 1 + item of the last manifest
						   line found; 0: none yet */
	bool		 order_reported;
	/* signatures and timestamps after the minisign signature */
	struct held	 p7s, tsr, p7stsr;
	struct held	 closing, closesig;	/* the closing statement */
	struct cust_log	*log;			/* owned: the custody log */
	char		*seal_pub;		/* owned: base64 of the key that
						   made the signature */
	bool		 p7s_stamped;		/* a verified token covers the
						   .p7s, at p7s_time */
	time_t		 p7s_time;
	long		 p7s_accuracy;		/* of that token, seconds */
};

/* Out of memory in the verifier: say so on the context. */
static inline int
ver_oom(struct ver *v)
{
	return cust_set_error(v->ctx, ENOMEM, CUST_FATAL, "verify");
}

/* The status of adding a finding: out of memory is said on the context. */
static inline int
ver_found(struct ver *v, int r)
{
	return r == CUST_FATAL ? ver_oom(v) : r;
}

/* Record a finding; CUST_FATAL (with a message) when out of memory. */
#define FIND(v, check, subj, ...) \
	ver_found((v), cust_report_add((v)->rep, (check), (subj), __VA_ARGS__))

/* The item named REL, or NULL. */
struct item *ver_lookup(struct ver *, const char *rel, size_t n);
/* The name of item IT, which begins at OFF in the name store, in BUF
 * (CUST_STORED_MAX + 1 bytes): CUST_OK, or CUST_FATAL with the message
 * set when the scratch file cannot be read. */
int	ver_name(struct ver *, const struct item *it, uint64_t off, char *buf);
/* The digest of item I for the manifest at position K. */
const unsigned char *ver_digest(const struct ver *, size_t i, size_t k);
/* The member expected now (after the signature, the next optional one),
 * or NULL past the last member a bag may have (the closing signature). */
const char *ver_wanted(const struct ver *);
/* json_loadb() of a text from the bundle, refused (NULL, ERR's text says
 * why) when it holds more than 262,144 values: jansson's tree for one costs
 * up to about 120 bytes a value. */
json_t	*ver_json(const char *p, size_t n, json_error_t *err);
/* The closing statement against the members it lists, signed with the
 * seal key (closing_check.c); nothing to do when the seal did not verify. */
int	ver_closing(struct ver *);
/* An integer member of O in [0, MAX], or -1 (verify.c). */
json_int_t ver_bounded(json_t *o, const char *key, uint64_t max);
/* The listings acquisition.json names, after it is held (listings.c). */
int	ver_listings_parse(struct ver *);
/* Line LINE (N bytes) of listing K: an escaped path (listings.c). */
int	ver_listing_line(struct ver *, size_t k, char *line, size_t n);
/* A files.jsonl record O: its path, if listed, has its record. */
void	ver_record_listed(struct ver *, json_t *o);
/* Every path a listing holds has a record in files.jsonl (listings.c). */
int	ver_listed(struct ver *);
/* Checks made after the stream ended (checks.c). */
int	ver_finish(struct ver *);
/* Every RFC 3161 token, in the bundle and the custody log (timestamps.c). */
int	ver_stamps(struct ver *, json_t *acq);
/* The X.509 signature, if any, and what --ca requires (timestamps.c). */
int	ver_x509(struct ver *, json_t *acq);
/* Read the custody log, if any (timestamps.c). */
int	ver_log_read(struct ver *);
/* The custody log against this bundle and the trusted keys (timestamps.c). */
int	ver_log(struct ver *);

/* Whether the minisign text P (N bytes) begins with the untrusted
 * comment WANT (checks.c). */
bool	ver_untrusted_is(const char *p, size_t n, const char *want);

#endif
