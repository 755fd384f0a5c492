/*
 * mapped.c: large work buffers (the collector's ring, the zstd writer's
 * pieces) as anonymous mappings rather than malloc'ed blocks.  Their pages
 * cost nothing until bytes reach them: a small collection touches a few
 * of its megabytes, where a malloc'ed buffer is written whole by
 * MALLOC_PERTURB_ (which meson sets for every test: it had doubled a small
 * collection's CPU).  A guard page on each side makes an overrun fault at
 * once, in every build, not only under AddressSanitizer.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "base/base.h"

static size_t
pages(size_t size, size_t *page)
{
	*page = (size_t)sysconf(_SC_PAGESIZE);
	return (size + *page - 1) / *page * *page;
}

void *
cust_map_buffer(size_t size)
{
	size_t page, n = pages(size, &page);
	unsigned char *p;

	p = mmap(NULL, n + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + page, n, PROT_READ | PROT_WRITE) != 0) {
		munmap(p, n + 2 * page);
		return NULL;
	}
	return p + page;
}

void
cust_unmap_buffer(void *buf, size_t size)
{
	size_t page, n = pages(size, &page);

	if (buf != NULL)
		munmap((unsigned char *)buf - page, n + 2 * page);
}
