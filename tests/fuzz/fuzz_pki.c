/*
 * fuzz_pki.c: the DER parsers and checkers of RFC 3161 and CMS, on
 * arbitrary bytes.  Built twice:
 *
 *   FUZZ_TSA  the input is a TimeStampResp over the template's signature
 *             file, as timestamps/...minisig.tsr holds it (cust_tsa_check)
 *   FUZZ_CMS  the input is a detached CMS SignedData over the template's
 *             tag manifest, as signatures/...p7s holds it (cust_cms_check)
 *
 * Each is checked without a CA, then against the test CA that issued the
 * seeds' certificates, so that the chain and signature paths run too.
 */
#include <string.h>

#include "fuzz.h"

static void
expect(int r, const char *what)
{
	if (r != CUST_OK && r != CUST_FAILED)
		fuzz_fail("%s returned %d: %s", what, r,
		    cust_ctx_error(fuzz_ctx()));
	if (r == CUST_FAILED && cust_ctx_error(fuzz_ctx())[0] == '\0')
		fuzz_fail("%s failed without a message", what);
	cust_ctx_clear(fuzz_ctx());
}

#ifdef FUZZ_TSA
#define COVERS	"signatures/tagmanifest-sha512.txt.minisig"

static void
check(const uint8_t *data, size_t size, const struct cust_castore *ca)
{
	const struct fuzz_member *m = fuzz_template_find(COVERS);
	struct cust_tsa_token t;
	int r;

	r = cust_tsa_check(fuzz_ctx(), "fuzz.tsr", data, size, m->p, m->n,
	    ca, &t);
	expect(r, "cust_tsa_check");
	if (t.verified && (ca == NULL || r != CUST_OK))
		fuzz_fail("a token verified without a CA or with an error");
	if (r == CUST_OK && strlen(t.gen_time_text) == 0)
		fuzz_fail("a token without its time");
	cust_tsa_token_fini(&t);
}
#elif defined(FUZZ_CMS)
#define COVERS	"tagmanifest-sha512.txt"

static void
check(const uint8_t *data, size_t size, const struct cust_castore *ca)
{
	const struct fuzz_member *m = fuzz_template_find(COVERS);
	struct cust_cms_trust t = { .ca = ca, .start = -1 };
	struct cust_cms_result res;
	int r;

	r = cust_cms_check(fuzz_ctx(), "fuzz.p7s", data, size, m->p, m->n, &t,
	    &res);
	expect(r, "cust_cms_check");
	if (res.verified && (ca == NULL || r != CUST_OK))
		fuzz_fail("a signature verified without a CA or with an "
		    "error");
	if (r == CUST_OK && res.subject == NULL)
		fuzz_fail("a signature without its signer");
	cust_cms_result_fini(&res);
}
#else
#error "define FUZZ_TSA or FUZZ_CMS"
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, NULL);
	check(data, size, fuzz_ca());
	return 0;
}
