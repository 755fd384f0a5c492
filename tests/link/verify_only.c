/*
 * verify_only.c: the layering rule of lib/, checked by the linker.  This
 * program is linked with every object of libcustody-verify (base/,
 * format/, trust/, custodylog/, verify/, bundle/) and nothing of
 * collect/.  If any of them comes to need the collector, it stops
 * linking.  It only has to link; run, it asks for nothing and exits 0.
 */
#include <stdio.h>

#include "custody.h"

int
main(int argc, char **argv)
{
	/* Never called (argc is at least 1): the references are the point. */
	if (argc < 0) {
		struct cust_ctx *ctx = NULL;

		(void)cust_ctx_new(&ctx);
		(void)cust_verify(ctx, NULL, NULL);
		(void)cust_scan(ctx, -1, argv[0], NULL, NULL);
		(void)cust_extract(ctx, -1, argv[0], -1, 0, NULL, NULL);
		(void)cust_bundle_ref_read(ctx, -1, argv[0], NULL);
		(void)cust_log_read(ctx, -1, argv[0], NULL);
		(void)cust_log_append(ctx, -1, argv[0], NULL, NULL, NULL);
		(void)cust_key_load_public(ctx, argv[0], NULL);
		cust_ctx_free(ctx);
	}
	puts("1..1\nok 1 - linked without the collector");
	return 0;
}
