/*
 * bundle.h: the readers of a finished bundle that the commands after a
 * collection use: show (scan.c), extract (extract.c, which verifies
 * first through cust_verify) and the bag name and tag files that
 * timestamp and transfer need (bundleref.c).  Like verify/, they may use
 * base/, format/, trust/ and custodylog/ only (tests/link/ checks it).
 */
#ifndef CUSTODY_BUNDLE_H
#define CUSTODY_BUNDLE_H

#include "format/format.h"
#include "trust/trust.h"
#include "custodylog/custodylog.h"

#include <jansson.h>

/* One export under way (export.c), and the CASE/UCO graph's part of it
 * (export_case.c). */
struct cust_export {
	struct cust_ctx	*ctx;
	const struct cust_export_opts *o;
	FILE		*out;		/* borrowed: o->out */
	json_t		*acq;		/* owned: acquisition.json, or NULL */
	json_t		*events;	/* owned: custody.jsonl's events */
	const char	*status;	/* what verification said, in words */
	bool		 forced;	/* it failed: exported with --force */
	bool		 has_md5;	/* the bundle has an md5 manifest */
	uint64_t	 n;		/* records written */
};

/* CASE: the graph's head (after acquisition.json), one File node per
 * record, and its actions and tail at the end. */
int	cust_case_head(struct cust_export *);
int	cust_case_record(struct cust_export *, json_t *rec);
int	cust_case_tail(struct cust_export *);
/* A node of the graph on its own line, after a comma unless FIRST; the
 * node is consumed. */
int	cust_case_node(struct cust_export *, json_t *node, bool first);
/* KEY of REC (or KEY_b64, a name that is not UTF-8) in its stored-name
 * escape: owned, or NULL when absent or out of memory. */
char	*cust_export_name(json_t *rec, const char *key);
/* The seconds of an RFC 3339 UTC time ("...Z"), floored: false when S is
 * not one. */
bool	cust_export_secs(const char *s, long long *out);

#endif /* CUSTODY_BUNDLE_H */
