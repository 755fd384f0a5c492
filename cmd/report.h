/*
 * report.h: the report custody verify --report writes (report.c).
 */
#ifndef CUSTODY_REPORT_H
#define CUSTODY_REPORT_H

#include "trust.h"

struct report_in {
	const char	*bundle;	/* as given */
	const struct cust_report *r;
	const struct trust_args *trust;	/* the keys and CAs given */
	const char	*log;		/* the custody log read, or NULL */
};

/* Write the report to PATH: HTML when it ends in .html or .htm, text
 * otherwise.  EXIT_DONE, or EXIT_FATAL (said on stderr). */
int	report_write(const char *path, const struct report_in *);

#endif
