/*
 * fuzz_manifest.c: the collection manifest loader (UAC-compatible YAML,
 * through libyaml) on arbitrary bytes.  A manifest that loads is read back
 * through every accessor and must hold what finish() promises; one that
 * does not must say why, as "NAME:LINE: reason".
 */
#include <string.h>

#include "fuzz.h"

static void
walk(const struct cust_manifest *m)
{
	size_t n = cust_manifest_count(m), np;
	const char *c;

	if (strlen(cust_manifest_sha256(m)) != 64 ||
	    strcmp(cust_manifest_name(m), "fuzz") != 0)
		fuzz_fail("manifest name or sha256");
	for (size_t i = 0; i < n; i++) {
		if (cust_manifest_description(m, i) == NULL ||
		    cust_manifest_line(m, i) == 0 ||
		    (c = cust_manifest_collector(m, i)) == NULL)
			fuzz_fail("artefact %zu: no description, line or "
			    "collector", i);
		np = cust_manifest_npaths(m, i);
		if (np == 0 && strcmp(c, "command") != 0)
			fuzz_fail("artefact %zu: collector %s without a path",
			    i, c);
		for (size_t j = 0; j < np; j++)
			if (cust_manifest_path(m, i, j) == NULL)
				fuzz_fail("artefact %zu: path %zu", i, j);
		if ((c = cust_manifest_skip(m, i)) != NULL && c[0] == '\0')
			fuzz_fail("artefact %zu: empty skip reason", i);
	}
	if (cust_manifest_description(m, n) != NULL ||
	    cust_manifest_path(m, n, 0) != NULL)
		fuzz_fail("accessor out of range");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cust_ctx *ctx = fuzz_ctx();
	struct cust_manifest *m;
	int r;

	r = cust_manifest_load_buffer(ctx, "fuzz", data, size, &m);
	if (r == CUST_OK)
		walk(m);
	else if (r != CUST_FAILED || m != NULL)
		fuzz_fail("load returned %d: %s", r, cust_ctx_error(ctx));
	else if (strncmp(cust_ctx_error(ctx), "fuzz", 4) != 0)
		fuzz_fail("message does not name the manifest: %s",
		    cust_ctx_error(ctx));
	cust_manifest_free(m);
	cust_ctx_clear(ctx);
	return 0;
}
