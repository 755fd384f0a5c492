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

#endif /* CUSTODY_BUNDLE_H */
