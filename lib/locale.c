/*
 * locale.c: libarchive converts member names through the current locale,
 * and in the "C" locale it cannot convert UTF-8 names at all.  The library
 * must not depend on the caller's locale, so archive calls that touch names
 * run under a C.UTF-8 locale set for the calling thread only.
 */
#include <locale.h>
#include <pthread.h>

#include "private.h"

static locale_t utf8;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
make(void)
{
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t
cust_locale_enter(void)
{
	pthread_once(&once, make);
	if (utf8 == (locale_t)0)
		return (locale_t)0;
	return uselocale(utf8);
}

void
cust_locale_leave(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}
