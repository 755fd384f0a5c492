/*
 * layout.c: the one table of a bundle's members (custody-bundle(5), "Names
 * and order"): their order, names, the bounds the verifier holds them to,
 * and what vouches for each.  The writer refuses to write a member larger
 * than its bound, so that it never seals a bundle its verifier refuses.
 */
#include <string.h>

#include "format/format.h"

#define KiB	(1024u)
#define MiB	(1024u * 1024)

const struct cust_part_def cust_layout[CUST_NPART] = {
	[CUST_M_BAGIT] = { "bagit.txt", 4 * KiB, 0, CUST_M_TAGMAN },
	[CUST_M_ALGS] = { "metadata/algorithms.txt", 1 * KiB, 0,
	    CUST_M_TAGMAN },
	[CUST_M_DATA] = { "data/", 0, CUST_MF_MANY | CUST_MF_STREAMED,
	    CUST_M_MANIFEST },
	[CUST_M_ACQ] = { "metadata/acquisition.json", 16 * MiB, 0,
	    CUST_M_TAGMAN },
	/* Any number, in acquisition.json's order ("listings"). */
	[CUST_M_LISTING] = { CUST_LISTING_DIR, 0, CUST_MF_MANY |
	    CUST_MF_OPTIONAL | CUST_MF_STREAMED, CUST_M_TAGMAN },
	[CUST_M_FILES] = { "metadata/files.jsonl", 0, CUST_MF_STREAMED,
	    CUST_M_TAGMAN },
	[CUST_M_BODY] = { "metadata/bodyfile.txt", 0, CUST_MF_STREAMED,
	    CUST_M_TAGMAN },
	[CUST_M_CUSTODY] = { "metadata/custody.jsonl", 16 * MiB, 0,
	    CUST_M_TAGMAN },
	/* One per algorithm of algorithms.txt, in its order. */
	[CUST_M_MANIFEST] = { "manifest-", 0, CUST_MF_MANY | CUST_MF_STREAMED,
	    CUST_M_TAGMAN },
	[CUST_M_BAGINFO] = { "bag-info.txt", 1 * MiB, 0, CUST_M_TAGMAN },
	[CUST_M_TAGMAN] = { "tagmanifest-sha512.txt", 1 * MiB, 0,
	    CUST_M_SIG },
	[CUST_M_SIG] = { CUST_SIG_MEMBER, CUST_SIG_MAX, 0, CUST_M_CLOSING },
	[CUST_M_P7S] = { CUST_P7S_MEMBER, CUST_P7S_MAX, CUST_MF_OPTIONAL,
	    CUST_M_CLOSING },
	[CUST_M_TSR] = { CUST_TSR_MEMBER, CUST_TSR_MAX, CUST_MF_OPTIONAL,
	    CUST_M_CLOSING },
	[CUST_M_P7STSR] = { CUST_P7STSR_MEMBER, CUST_TSR_MAX,
	    CUST_MF_OPTIONAL, CUST_M_CLOSING },
	[CUST_M_CLOSING] = { CUST_CLOSING_MEMBER, CUST_CLOSING_MAX, 0,
	    CUST_M_CLOSESIG },
	[CUST_M_CLOSESIG] = { CUST_CLOSESIG_MEMBER, CUST_SIG_MAX, 0,
	    CUST_NPART },
};

bool
cust_listing_name_valid(const char *rel)
{
	size_t d = sizeof(CUST_LISTING_DIR) - 1, n;

	if (strncmp(rel, CUST_LISTING_DIR, d) != 0)
		return false;
	rel += d;
	n = strlen(rel);
	if (n < 5 || n - 4 > CUST_LISTING_NAME_MAX || rel[0] == '.' ||
	    strcmp(rel + n - 4, ".txt") != 0)
		return false;
	return strspn(rel, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}
