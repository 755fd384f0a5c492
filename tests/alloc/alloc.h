/*
 * alloc.h: allocation failure injection for the sweep (sweep.c).  The test
 * program is linked with -Wl,--wrap for malloc, calloc, realloc,
 * reallocarray, free, strdup, strndup, asprintf and vasprintf, so every
 * such call in libcustody (a static library) and in the test lands in
 * wrap.c; jansson's allocations are tracked there too (but never failed).
 * Calls made inside other shared libraries (libarchive, OpenSSL, libyaml)
 * are not: OpenSSL, for one, keeps blocks of its own after a failed
 * allocation, which would pass for leaks.
 */
#ifndef CUSTODY_ALLOC_H
#define CUSTODY_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * From now on, count the allocations made by the calling thread and fail
 * the Nth one (1-based) with ENOMEM; N = 0 fails none.  Allocations of
 * other threads are counted as live blocks but never failed, so that the
 * count stays the same from run to run.
 */
void	alloc_fail_at(unsigned long n);
/* Allocations the calling thread made since alloc_fail_at. */
unsigned long alloc_count(void);
/* Whether the failure was injected since alloc_fail_at. */
bool	alloc_injected(void);
/* Blocks allocated through the wrappers and not yet freed, all threads. */
size_t	alloc_live(void);
/* Track jansson's blocks with the others (never failing them). */
void	alloc_hook_jansson(void);

#endif
