/*
 * wrap.c: the allocator wrappers behind alloc.h.  Each wrapped call counts
 * (on the controlling thread), fails when its number comes up, and keeps
 * the blocks it hands out in a set, so that the sweep can tell a block
 * leaked on an error path from one freed.  Blocks that other code
 * allocated pass through free() and realloc() untracked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	 __real_free(void *);

void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
void	*__wrap_reallocarray(void *, size_t, size_t);
void	 __wrap_free(void *);
char	*__wrap_strdup(const char *);
char	*__wrap_strndup(const char *, size_t);
int	 __wrap_vasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
int	 __wrap_asprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t controller;
static unsigned long fail_at, count;
static bool injected;

/* The live set: open addressing, linear probing, NULL is empty. */
static void **slots;
static size_t cap, used;

static size_t
slot(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15u;

	return (size_t)(h >> 20) & (cap - 1);
}

static void
grow(void)
{
	void **old = slots;
	size_t oldcap = cap;

	cap = cap ? cap * 2 : 4096;
	if ((slots = __real_calloc(cap, sizeof(*slots))) == NULL)
		abort();
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] != NULL) {
			size_t k = slot(old[i]);

			while (slots[k] != NULL)
				k = (k + 1) & (cap - 1);
			slots[k] = old[i];
		}
	__real_free(old);
}

static void
track(void *p)
{
	size_t k;

	if (p == NULL)
		return;
	pthread_mutex_lock(&mu);
	if ((used + 1) * 2 > cap)
		grow();
	for (k = slot(p); slots[k] != NULL; k = (k + 1) & (cap - 1))
		;
	slots[k] = p;
	used++;
	pthread_mutex_unlock(&mu);
}

/* Remove P from the set (backward-shift deletion); false if absent. */
static bool
untrack(void *p)
{
	size_t i, j, k;

	if (p == NULL || cap == 0)
		return false;
	pthread_mutex_lock(&mu);
	for (i = slot(p); slots[i] != NULL && slots[i] != p;
	    i = (i + 1) & (cap - 1))
		;
	if (slots[i] == NULL) {
		pthread_mutex_unlock(&mu);
		return false;
	}
	slots[i] = NULL;
	for (j = (i + 1) & (cap - 1); slots[j] != NULL;
	    j = (j + 1) & (cap - 1)) {
		k = slot(slots[j]);
		/* Move j back to i unless its home k is cyclically in
		 * (i, j]. */
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			slots[i] = slots[j];
			slots[j] = NULL;
			i = j;
		}
	}
	used--;
	pthread_mutex_unlock(&mu);
	return true;
}

/* Count an allocation; true when this one must fail. */
static bool
fails(void)
{
	bool f;

	if (fail_at == 0 || !pthread_equal(pthread_self(), controller))
		return false;
	pthread_mutex_lock(&mu);
	f = ++count == fail_at;
	injected |= f;
	pthread_mutex_unlock(&mu);
	if (f)
		errno = ENOMEM;
	return f;
}

void
alloc_fail_at(unsigned long n)
{
	pthread_mutex_lock(&mu);
	controller = pthread_self();
	fail_at = n;
	count = 0;
	injected = false;
	pthread_mutex_unlock(&mu);
}

unsigned long
alloc_count(void)
{
	return count;
}

bool
alloc_injected(void)
{
	return injected;
}

size_t
alloc_live(void)
{
	return used;
}

void *
__wrap_malloc(size_t n)
{
	void *p;

	if (fails())
		return NULL;
	track(p = __real_malloc(n));
	return p;
}

void *
__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (fails())
		return NULL;
	track(p = __real_calloc(n, size));
	return p;
}

void *
__wrap_realloc(void *old, size_t n)
{
	bool mine;
	void *p;

	if (fails())
		return NULL;
	mine = old == NULL || untrack(old);
	if ((p = __real_realloc(old, n)) == NULL) {
		if (mine)
			track(old);
		return NULL;
	}
	if (mine)
		track(p);
	return p;
}

void *
__wrap_reallocarray(void *old, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return __wrap_realloc(old, n * size);
}

void
__wrap_free(void *p)
{
	untrack(p);
	__real_free(p);
}

char *
__wrap_strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p;

	if ((p = __wrap_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
__wrap_strdup(const char *s)
{
	return __wrap_strndup(s, SIZE_MAX);
}

int
__wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0 || (*out = __wrap_malloc((size_t)n + 1)) == NULL)
		return -1;
	return vsnprintf(*out, (size_t)n + 1, fmt, ap);
}

int
__wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __wrap_vasprintf(out, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * jansson's blocks are tracked, so that a json_t our code forgets to
 * release is a leak, but never failed: jansson 2.14's lexer does not
 * survive a failed allocation itself (akheron/jansson#362; here, a bad
 * free in json_loadb), and its bugs are not ours to find.
 */
static void *
json_malloc(size_t n)
{
	void *p = __real_malloc(n);

	track(p);
	return p;
}

void
alloc_hook_jansson(void)
{
	json_set_alloc_funcs(json_malloc, __wrap_free);
}

