/*
 * status.c: the status of a record in files.jsonl, one word each
 * (custody(1) lists them).  The collector decides a status from facts (an
 * errno, a change it saw), never from message text, and the verifier reads
 * the word back through the same table.
 */
#include <errno.h>
#include <string.h>

#include "format/format.h"

static const char *const names[CUST_NSTATUS] = {
	[CUST_ST_OK] = "ok",
	[CUST_ST_HASHED] = "hashed",
	[CUST_ST_LISTED] = "listed",
	[CUST_ST_CHANGED] = "changed",
	[CUST_ST_TOO_LARGE] = "too_large",
	[CUST_ST_LOOP] = "loop",
	[CUST_ST_VANISHED] = "vanished",
	[CUST_ST_MISSING] = "missing",
	[CUST_ST_DENIED] = "denied",
	[CUST_ST_ERROR] = "error",
};

const char *
cust_rec_status_name(enum cust_rec_status s)
{
	return (unsigned)s < CUST_NSTATUS ? names[s] : "error";
}

int
cust_rec_status_parse(const char *name)
{
	for (int i = 0; i < CUST_NSTATUS; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

bool
cust_rec_status_failed(enum cust_rec_status s)
{
	return s == CUST_ST_VANISHED || s == CUST_ST_MISSING ||
	    s == CUST_ST_DENIED || s == CUST_ST_ERROR;
}

bool
cust_rec_status_quiet(enum cust_rec_status s)
{
	return s == CUST_ST_OK || s == CUST_ST_HASHED || s == CUST_ST_LISTED;
}

enum cust_rec_status
cust_rec_status_of_errno(int err)
{
	switch (err) {
	case ENOENT:
		return CUST_ST_VANISHED;
	case EACCES:
	case EPERM:
		return CUST_ST_DENIED;
	default:
		return CUST_ST_ERROR;
	}
}
