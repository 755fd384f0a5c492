/*
 * closing_check.c: the verifier's check of the closing statement
 * (signatures/closing.txt, see closing.c).  It runs once the seal has
 * verified, with the key that verified it: the statement must be signed by
 * that key, and must account for exactly the members that follow the tag
 * manifest, byte for byte.  A member it lists that the bundle lacks was
 * stripped; one the bundle holds that it calls "none" was added; one whose
 * SHA-512 differs was replaced.  Each finding names the member, under the
 * check that member belongs to: the tokens under "timestamp", the
 * signatures under "signature".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "verify/verify.h"

/* The bytes of cust_closed[I] as the bundle holds them (p NULL: absent). */
static const struct held *
member_of(const struct ver *v, size_t i)
{
	const struct held *h[CUST_NCLOSED] = { &v->sig, &v->p7s, &v->tsr,
	    &v->p7stsr };

	return h[i];
}

/* The closing statement's signature, by the key that made the seal. */
static int
signed_by_seal(struct ver *v, bool *ok)
{
	struct cust_key *k = NULL;
	struct cust_sig *sig = NULL;
	int r;

	*ok = false;
	r = cust_key_parse_public(v->ctx, v->seal_pub, strlen(v->seal_pub),
	    &k);
	if (r == CUST_OK)
		r = cust_sig_parse(v->ctx, v->closesig.p, v->closesig.n, &sig);
	if (r == CUST_OK)
		r = cust_sig_verify(v->ctx, sig, k, v->closing.p,
		    v->closing.n);
	if (r == CUST_OK && !ver_untrusted_is(v->closesig.p, v->closesig.n,
	    CUST_CLOSE_UNTRUSTED))
		r = cust_set_error(v->ctx, 0, CUST_FAILED, "the untrusted "
		    "comment is not \"%s\" (custody-bundle(5)): minisign "
		    "signs nothing of that line", CUST_CLOSE_UNTRUSTED);
	if (r == CUST_FAILED)
		r = FIND(v, C_SIGNATURE, CUST_CLOSESIG_MEMBER, "%s (the "
		    "closing statement must be signed by the seal's key)",
		    cust_ctx_error(v->ctx));
	else
		*ok = r == CUST_OK;
	cust_sig_free(sig);
	cust_key_free(k);
	return r;
}

/* Member I against the statement's line for it. */
static int
compare(struct ver *v, size_t i, const char *listed)
{
	const struct held *h = member_of(v, i);
	const char *check = i >= 2 ? C_TIMESTAMP : C_SIGNATURE;
	unsigned char md[64];
	char got[129];

	if (h->p == NULL)
		return listed[0] == '\0' ? CUST_OK : FIND(v, check,
		    cust_closed[i], "listed in " CUST_CLOSING_MEMBER ", but "
		    "not in the bundle: stripped after the bundle was closed");
	if (listed[0] == '\0')
		return FIND(v, check, cust_closed[i], "in the bundle, but "
		    CUST_CLOSING_MEMBER " says none: added after the bundle "
		    "was closed");
	if (EVP_Digest(h->p, h->n, md, NULL, EVP_sha512(), NULL) != 1)
		return cust_set_ssl_error(v->ctx, CUST_FATAL, "sha512");
	cust_hex(md, sizeof(md), got);
	if (strcmp(got, listed) == 0)
		return CUST_OK;
	/* The seal verified: a closing statement of another bundle. */
	if (i == 0)
		return FIND(v, C_SIGNATURE, CUST_CLOSING_MEMBER, "lists "
		    "another %s (sha512 %.16s...): the closing statement of "
		    "another bundle", cust_closed[0], listed);
	return FIND(v, check, cust_closed[i], "sha512 %s differs from %.16s... "
	    "in " CUST_CLOSING_MEMBER ": replaced after the bundle was "
	    "closed", got, listed);
}

int
ver_closing(struct ver *v)
{
	char sums[CUST_NCLOSED][129];
	bool ok;
	int r;

	if (v->seal_pub == NULL)
		return CUST_OK;
	if ((r = signed_by_seal(v, &ok)) != CUST_OK || !ok)
		return r;
	if ((r = cust_closing_parse(v->ctx, v->closing.p, v->closing.n,
	    sums)) != CUST_OK)
		return r == CUST_FATAL ? r : FIND(v, C_SIGNATURE,
		    CUST_CLOSING_MEMBER, "%s", cust_ctx_error(v->ctx));
	for (size_t i = 0; r == CUST_OK && i < CUST_NCLOSED; i++)
		r = compare(v, i, sums[i]);
	return r;
}
