/*
 * fuzz_log.c: the custody log (BUNDLE.custody) on arbitrary bytes.  The
 * log is parsed as `custody show`-like readers do (cust_log_read and every
 * accessor, and its JSON), then read by the verifier with the template
 * bundle it belongs to, so that the chain, the signatures of each event
 * and its binding to the bundle (logcheck.c) are checked on it.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* Every string of an event is a part of the log's bytes, at most 64 MiB. */
#define LOG_BYTES_MAX	(64u * 1024 * 1024)

/* Read a string to its end, for the sanitizers to see. */
static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
walk(const struct cust_log *log)
{
	const struct cust_log_entry *e;
	json_error_t err;
	size_t sum = 0;
	json_t *j;
	char *s;

	for (size_t i = 0; i < cust_log_count(log); i++) {
		e = cust_log_entry(log, i);
		if (e == NULL || strlen(e->hash) != 64)
			fuzz_fail("log entry %zu", i);
		sum += touch(e->type) + touch(e->time) + touch(e->name) +
		    touch(e->key_id) + touch(e->bag) + touch(e->note) +
		    touch(e->gen_time) + touch(e->tagmanifest_sha512);
	}
	if (sum > LOG_BYTES_MAX)
		fuzz_fail("log strings longer than the log");
	if (strlen(cust_log_head(log)) != (cust_log_count(log) ? 64 : 0))
		fuzz_fail("log head");
	for (size_t i = 0; i < cust_log_count(log); i++) {
		if ((s = cust_log_json_event(log, i)) == NULL)
			fuzz_fail("cust_log_json_event %zu", i);
		if ((j = json_loads(s, 0, &err)) == NULL)
			fuzz_fail("event JSON does not parse: %s", err.text);
		json_decref(j);
		free(s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cust_log *log;
	int fd, r;

	fd = fuzz_memfd(data, size);
	r = cust_log_read(fuzz_ctx(), fd, "fuzz.custody", &log);
	/* The log reads its events again from FD: close it after. */
	if (r == CUST_OK)
		walk(log);
	else if (r != CUST_FAILED || cust_ctx_error(fuzz_ctx())[0] == '\0')
		fuzz_fail("cust_log_read returned %d: %s", r,
		    cust_ctx_error(fuzz_ctx()));
	cust_log_free(log);
	close(fd);
	cust_ctx_clear(fuzz_ctx());
	fuzz_verify_log(fuzz_template, fuzz_template_len, data, size);
	return 0;
}
