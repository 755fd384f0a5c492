/*
 * fuzz_scan.c: cust_scan(), what `custody show` reads, on arbitrary bytes.
 * The callback reads every byte it is handed, so that a text shorter than
 * its length or without its terminating NUL is seen by the sanitizers,
 * and checks that only the two record members are passed on.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static int
seen(void *arg, const char *member, const char *text, size_t len)
{
	unsigned *sum = arg;

	if (strcmp(member, "metadata/acquisition.json") != 0 &&
	    strcmp(member, "metadata/files.jsonl") != 0)
		fuzz_fail("scan passed member %s", member);
	for (size_t i = 0; i < len; i++)
		*sum += (unsigned char)text[i];
	if (text[len] != '\0')
		fuzz_fail("scan text is not NUL-terminated");
	if (strcmp(member, "metadata/files.jsonl") == 0 &&
	    memchr(text, '\n', len) != NULL)
		fuzz_fail("a files.jsonl line holds a newline");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sum = 0;
	int fd, r;

	fd = fuzz_memfd(data, size);
	r = cust_scan(fuzz_ctx(), fd, "fuzz", seen, &sum);
	close(fd);
	if (r != CUST_OK && r != CUST_FAILED)
		fuzz_fail("cust_scan returned %d: %s", r,
		    cust_ctx_error(fuzz_ctx()));
	if (r == CUST_FAILED && cust_ctx_error(fuzz_ctx())[0] == '\0')
		fuzz_fail("cust_scan failed without a message");
	cust_ctx_clear(fuzz_ctx());
	return 0;
}
