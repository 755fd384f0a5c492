/*
 * fuzz_minisign.c: minisign public keys and signatures.  The input is
 * "PUBLIC KEY TEXT \0 SIGNATURE TEXT \0 MESSAGE".  The key is parsed as
 * text and as a file, the signature is parsed and checked over the message
 * with that key (or the test key), and both are round-tripped: a key
 * printed parses back to itself, and a signature made with the trusted
 * comment just parsed parses and verifies.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static bool
same_key(const struct cust_key *a, const struct cust_key *b)
{
	char ia[CUST_KEYID_HEXLEN + 1], ib[CUST_KEYID_HEXLEN + 1];

	cust_key_id_hex(a, ia);
	cust_key_id_hex(b, ib);
	return strcmp(ia, ib) == 0 && memcmp(cust_key_public_raw(a),
	    cust_key_public_raw(b), CUST_ED25519_LEN) == 0;
}

static void
expect(int r, const char *what)
{
	if (r != CUST_OK && r != CUST_FAILED)
		fuzz_fail("%s returned %d: %s", what, r,
		    cust_ctx_error(fuzz_ctx()));
	if (r == CUST_FAILED && cust_ctx_error(fuzz_ctx())[0] == '\0')
		fuzz_fail("%s failed without a message", what);
}

/* Print KEY both ways and parse it back. */
static void
key_roundtrip(const struct cust_key *key)
{
	struct cust_key *again;
	char *text, *b64;

	if ((text = cust_key_public_text(fuzz_ctx(), key)) == NULL ||
	    (b64 = cust_key_public_b64(key)) == NULL)
		fuzz_fail("out of memory");
	if (cust_key_parse_public(fuzz_ctx(), text, strlen(text), &again) !=
	    CUST_OK || !same_key(key, again))
		fuzz_fail("public key text does not parse back");
	cust_key_free(again);
	if (cust_key_parse_public(fuzz_ctx(), b64, strlen(b64), &again) !=
	    CUST_OK || !same_key(key, again))
		fuzz_fail("public key base64 does not parse back");
	cust_key_free(again);
	free(text);
	free(b64);
}

/* The key as a file: only the two-line form, and the same key. */
static struct cust_key *
load_keys(const struct fuzz_part *pub)
{
	struct cust_key *k, *f;
	char path[32];
	int fd, r;

	r = cust_key_parse_public(fuzz_ctx(), (const char *)pub->p, pub->n,
	    &k);
	expect(r, "cust_key_parse_public");
	fd = fuzz_memfd(pub->p, pub->n);
	r = cust_key_load_public(fuzz_ctx(), fuzz_fdpath(fd, path,
	    sizeof(path)), &f);
	close(fd);
	expect(r, "cust_key_load_public");
	if (f != NULL && (k == NULL || !same_key(k, f)))
		fuzz_fail("a key file parses, its text does not");
	cust_key_free(f);
	if (k != NULL)
		key_roundtrip(k);
	return k;
}

/* Sign MSG with the test key and the comment of SIG: it must verify. */
static void
sig_roundtrip(const struct cust_sig *sig, const struct fuzz_part *msg,
    const struct cust_key *other)
{
	struct cust_sig *again;
	char *text;
	size_t len;
	int r;

	if (cust_sig_make(fuzz_ctx(), fuzz_key(), msg->p, msg->n, "fuzz",
	    cust_sig_trusted_comment(sig), &text, &len) != CUST_OK)
		fuzz_fail("cannot sign with a comment that parsed: %s",
		    cust_ctx_error(fuzz_ctx()));
	if (cust_sig_parse(fuzz_ctx(), text, len, &again) != CUST_OK ||
	    strcmp(cust_sig_trusted_comment(again),
	    cust_sig_trusted_comment(sig)) != 0)
		fuzz_fail("a signature made does not parse back");
	if (cust_sig_verify(fuzz_ctx(), again, fuzz_key(), msg->p, msg->n) !=
	    CUST_OK)
		fuzz_fail("a signature made does not verify: %s",
		    cust_ctx_error(fuzz_ctx()));
	if (other != NULL && !same_key(other, fuzz_key())) {
		r = cust_sig_verify(fuzz_ctx(), again, other, msg->p, msg->n);
		expect(r, "cust_sig_verify");
		if (r == CUST_OK)
			fuzz_fail("verified under another key");
	}
	cust_sig_free(again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[3];
	struct cust_key *key;
	struct cust_sig *sig;
	char id[CUST_KEYID_HEXLEN + 1];
	int r;

	fuzz_split(data, size, part, 3);
	key = load_keys(&part[0]);
	r = cust_sig_parse(fuzz_ctx(), part[1].p, part[1].n, &sig);
	expect(r, "cust_sig_parse");
	if (sig != NULL) {
		cust_sig_key_id_hex(sig, id);
		r = cust_sig_verify(fuzz_ctx(), sig, key != NULL ? key :
		    fuzz_key(), part[2].p, part[2].n);
		expect(r, "cust_sig_verify");
		if (r == CUST_OK && !cust_sig_key_matches(sig, key != NULL ?
		    key : fuzz_key()))
			fuzz_fail("verified under a key of another ID");
		sig_roundtrip(sig, &part[2], key);
	}
	cust_sig_free(sig);
	cust_key_free(key);
	cust_ctx_clear(fuzz_ctx());
	return 0;
}
