/*
 * harness.c: the one main() of the unit tests and the helpers they share
 * (see harness.h).  main() runs the suite the test file builds and writes
 * TAP to stdout for meson; CK_RUN_CASE, CK_RUN_SUITE and CK_EXCLUDE_TAGS
 * select as usual.  The tests run in this one process unless CK_FORK=yes
 * says otherwise: a child for each test cost more than most tests, and
 * under ASan each child's exit ran the leak check again (a test file of
 * cheap tests took 15 times its CPU).  Leaks are still found, at this
 * process's exit; a test that needs a process of its own forks it.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <openssl/evp.h>

#include "harness.h"

#define NMEMBERS	(sizeof(mem) / sizeof(mem[0]))

char scratch[64];
struct member mem[64];
size_t nmem;

int
main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	if (getenv("CK_FORK") == NULL)
		srunner_set_fork_status(sr, CK_NOFORK);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void
scratch_make(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/%s.XXXXXX",
	    program_invocation_short_name);
	ck_assert_ptr_nonnull(mkdtemp(scratch));
}

void
scratch_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	ck_assert_int_eq(system(cmd), 0);
}

const char *
path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", scratch, name);
	return buf[i];
}

void
put(const char *name, const void *buf, size_t n)
{
	FILE *f = fopen(path(name), "wb");

	ck_assert_ptr_nonnull(f);
	/* fwrite's buffer may not be NULL, even for nothing (an empty
	 * output's buffer is) */
	if (n > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

void
mkd(const char *name)
{
	ck_assert_int_eq(mkdir(path(name), 0755), 0);
}

unsigned char *
slurp(const char *name, size_t *np)
{
	struct stat st;
	unsigned char *p;
	FILE *f = fopen(path(name), "rb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	ck_assert_ptr_nonnull(p = malloc((size_t)st.st_size + 1));
	ck_assert_uint_eq(fread(p, 1, (size_t)st.st_size, f),
	    (size_t)st.st_size);
	p[st.st_size] = '\0';
	fclose(f);
	*np = (size_t)st.st_size;
	return p;
}

int
sh(const char *cmd)
{
	char buf[1024];
	int st;

	snprintf(buf, sizeof(buf), "cd '%s' && %s", scratch, cmd);
	st = system(buf);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
hexof(const EVP_MD *md, const void *buf, size_t n, char *out)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned len;

	ck_assert_int_eq(EVP_Digest(buf, n, raw, &len, md, NULL), 1);
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	out[2 * len] = '\0';
}

locale_t
utf8_begin(void)
{
	locale_t u = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	ck_assert_ptr_nonnull(u);
	return uselocale(u);
}

void
utf8_end(locale_t old)
{
	freelocale(uselocale(old));
}

/* One member's header and data into M. */
static void
take(struct archive *a, struct archive_entry *e, struct member *m)
{
	la_ssize_t k;
	size_t got = 0;

	ck_assert_ptr_nonnull(m->name = strdup(archive_entry_pathname_utf8(e)));
	m->type = archive_entry_filetype(e);
	m->perm = archive_entry_perm(e);
	m->size = (size_t)archive_entry_size(e);
	m->mtime = archive_entry_mtime(e);
	m->mtime_ns = archive_entry_mtime_nsec(e);
	ck_assert_ptr_nonnull(m->data = malloc(m->size + 1));
	while ((k = archive_read_data(a, m->data + got, m->size + 1 - got)) > 0)
		got += (size_t)k;
	ck_assert_int_eq(k, 0);
	ck_assert_uint_eq(got, m->size);
	m->data[m->size] = '\0';
}

void
readback_archive(struct archive *a)
{
	locale_t old = utf8_begin();
	struct archive_entry *e;
	int r;

	forget();
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		ck_assert_uint_lt(nmem, NMEMBERS);
		take(a, e, &mem[nmem++]);
	}
	ck_assert_msg(r == ARCHIVE_EOF, "%s", archive_error_string(a));
	ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
	utf8_end(old);
}

void
readback(const char *name)
{
	struct archive *a = archive_read_new();

	ck_assert_ptr_nonnull(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, path(name), 10240),
	    ARCHIVE_OK);
	readback_archive(a);
}

const struct member *
member(const char *name)
{
	for (size_t i = 0; i < nmem; i++)
		if (strcmp(mem[i].name, name) == 0)
			return &mem[i];
	return NULL;
}

const struct member *
must(const char *name)
{
	const struct member *m = member(name);

	ck_assert_msg(m != NULL, "no member %s", name);
	return m;
}

void
all_regular(void)
{
	for (size_t i = 0; i < nmem; i++)
		ck_assert_msg(mem[i].type == AE_IFREG, "%s: not a regular file",
		    mem[i].name);
}

void
forget(void)
{
	for (size_t i = 0; i < nmem; i++) {
		free(mem[i].name);
		free(mem[i].data);
	}
	nmem = 0;
}
