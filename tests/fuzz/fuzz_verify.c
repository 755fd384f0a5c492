/*
 * fuzz_verify.c: the whole verifier on arbitrary bytes, as `custody verify`
 * reads a bundle (plain, or zstd which libarchive recognises by itself).
 * Built a second time with FUZZ_ZSTD, the input is a tar that this target
 * compresses with zstd first, so that the fuzzer's tar mutations reach the
 * verifier through the decompressor too.  Every run checks the properties
 * of fuzz_verify(): a report always, never an authentic verdict with a
 * finding, and an authentic verdict only over every byte of the input.
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "fuzz.h"

#ifdef FUZZ_ZSTD
struct buf {
	unsigned char	*p;
	size_t		 n, cap;
};

static la_ssize_t
out(struct archive *a, void *arg, const void *p, size_t n)
{
	struct buf *b = arg;
	unsigned char *q;

	(void)a;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		if ((q = realloc(b->p, b->cap)) == NULL)
			fuzz_fail("out of memory");
		b->p = q;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return (la_ssize_t)n;
}

/* DATA as one zstd frame, as the collector's sink writes it. */
static void
compress(const uint8_t *data, size_t size, struct buf *b)
{
	struct archive *a;
	struct archive_entry *e;

	if ((a = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL)
		fuzz_fail("out of memory");
	archive_entry_set_pathname(e, "raw");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)size);
	if (archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "zstd", "compression-level",
	    "1") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, b, NULL, out, NULL) != ARCHIVE_OK ||
	    archive_write_header(a, e) != ARCHIVE_OK ||
	    (size > 0 && archive_write_data(a, data, size) !=
	    (la_ssize_t)size) || archive_write_close(a) != ARCHIVE_OK)
		fuzz_fail("zstd: %s", archive_error_string(a));
	archive_entry_free(e);
	archive_write_free(a);
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_ZSTD
	struct buf b = { NULL, 0, 0 };

	compress(data, size, &b);
	fuzz_verify(b.p, b.n);
	free(b.p);
#else
	fuzz_verify(data, size);
#endif
	return 0;
}
