/*
 * test-dpkg.c: the Debian package database against the files, in a
 * Debian root crafted per test: one package whose md5sums lists its
 * executables, a library, a document and a conffile.  One modified
 * executable is exactly one finding; a diverted file, a changed document
 * and a changed conffile are none; a missing executable is one; and every
 * path resolves inside the root, through an absolute bin -> /usr/bin link
 * as on a merged-/usr image, never on this host.  An installed package
 * (var/lib/dpkg/status) with a regular file and its md5sums list deleted
 * or emptied is a finding; one of links and conffiles only, or one
 * removed, is none.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "live/sources.h"
#include "harness.h"

static struct cust_ctx *ctx;
static json_t *found;
static int rootfd;
static char md5sums[4096];
static const char status[] = "Package: tool\nStatus: install ok "
    "installed\n\n";

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	mkd("var");
	mkd("var/lib");
	mkd("var/lib/dpkg");
	mkd("var/lib/dpkg/info");
	mkd("usr");
	mkd("usr/bin");
	mkd("usr/lib");
	mkd("usr/share");
	ck_assert_int_eq(symlink("/usr/bin", path("bin")), 0);
	put("var/lib/dpkg/status", status, strlen(status));
	md5sums[0] = '\0';
	rootfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	found = NULL;
}

static void
teardown(void)
{
	json_decref(found);
	close(rootfd);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* The package ships NAME (in the root) with TEXT, mode MODE; on disk it
 * holds NOW (NULL: as shipped). */
static void
ship(const char *name, const char *text, mode_t mode, const char *now)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t n = strlen(md5sums);

	hexof(EVP_md5(), text, strlen(text), hex);
	snprintf(md5sums + n, sizeof(md5sums) - n, "%s  %s\n", hex, name);
	if (now == NULL)
		now = text;
	put(name, now, strlen(now));
	ck_assert_int_eq(chmod(path(name), mode), 0);
}

static void
check(void)
{
	put("var/lib/dpkg/info/tool.md5sums", md5sums, strlen(md5sums));
	ck_assert_msg(cust_live_dpkg_check(ctx, rootfd, &found) == CUST_OK,
	    "%s", cust_ctx_error(ctx));
}

static const char *
s(size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(found, i),
	    k));
}

/* The package's usual files, all as shipped. */
static void
usual(void)
{
	mkd("usr/lib/tool");
	mkd("usr/share/doc");
	ship("usr/bin/tool", "#!/bin/sh\necho tool\n", 0755, NULL);
	ship("usr/lib/tool/libtool.so.1", "ELF library", 0644, NULL);
	ship("usr/lib/tool/helper", "helper", 0755, NULL);
	ship("usr/lib/tool/data.txt", "data", 0644, "data, changed");
	ship("usr/share/doc/README", "read me", 0644, "edited");
}

START_TEST(an_untouched_package_is_no_finding)
{
	usual();
	check();
	ck_assert_uint_eq(json_array_size(found), 0);
}
END_TEST

START_TEST(one_modified_executable_is_exactly_one_finding)
{
	char want[2 * EVP_MAX_MD_SIZE + 1], got[2 * EVP_MAX_MD_SIZE + 1];

	usual();
	ship("usr/bin/ssh", "the real ssh", 0755, "a trojan");
	check();
	hexof(EVP_md5(), "the real ssh", 12, want);
	hexof(EVP_md5(), "a trojan", 8, got);
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "package"), "tool");
	ck_assert_str_eq(s(0, "path"), "/usr/bin/ssh");
	ck_assert_str_eq(s(0, "checked"), "/usr/bin/ssh");
	ck_assert_str_eq(s(0, "problem"), "modified");
	ck_assert_str_eq(s(0, "expected_md5"), want);
	ck_assert_str_eq(s(0, "actual_md5"), got);
}
END_TEST

START_TEST(a_modified_library_is_a_finding_whatever_its_mode)
{
	usual();
	ship("usr/lib/tool/libevil.so", "good", 0644, "evil");
	check();
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "path"), "/usr/lib/tool/libevil.so");
}
END_TEST

/* Another package diverted /usr/bin/tool2 to /usr/bin/tool2.distrib
 * and put its own in its place: the original is checked where it went. */
START_TEST(a_diverted_file_is_checked_at_its_diverted_name)
{
	const char *div = "/usr/bin/tool2\n/usr/bin/tool2.distrib\nother\n";

	usual();
	ship("usr/bin/tool2", "tool2 as shipped", 0755, "other's tool2");
	put("usr/bin/tool2.distrib", "tool2 as shipped", 16);
	put("var/lib/dpkg/diversions", div, strlen(div));
	check();
	ck_assert_uint_eq(json_array_size(found), 0);
}
END_TEST

START_TEST(a_changed_diverted_original_is_named_by_both_paths)
{
	const char *div = "/usr/bin/tool2\n/usr/bin/tool2.distrib\n:\n";

	usual();
	ship("usr/bin/tool2", "tool2 as shipped", 0755, "local tool2");
	put("usr/bin/tool2.distrib", "changed", 7);
	put("var/lib/dpkg/diversions", div, strlen(div));
	check();
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "path"), "/usr/bin/tool2");
	ck_assert_str_eq(s(0, "checked"), "/usr/bin/tool2.distrib");
}
END_TEST

START_TEST(a_conffile_is_left_out)
{
	const char *conf = "/usr/lib/tool/hook\n";

	usual();
	ship("usr/lib/tool/hook", "#!/bin/sh\n", 0755, "#!/bin/sh\nlocal\n");
	put("var/lib/dpkg/info/tool.conffiles", conf, strlen(conf));
	check();
	ck_assert_uint_eq(json_array_size(found), 0);
}
END_TEST

START_TEST(a_missing_executable_is_a_finding)
{
	usual();
	ship("usr/bin/gone", "gone", 0755, NULL);
	ck_assert_int_eq(unlink(path("usr/bin/gone")), 0);
	check();
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "problem"), "missing");
	ck_assert(json_is_null(json_object_get(json_array_get(found, 0),
	    "actual_md5")));
}
END_TEST

/* "bin/tool" goes through the root's absolute link bin -> /usr/bin to
 * the root's own usr/bin/tool, not to this host's /usr/bin. */
START_TEST(paths_resolve_inside_the_root)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t n;

	usual();
	hexof(EVP_md5(), "bin tool", 8, hex);
	put("usr/bin/bintool", "bin tool", 8);
	n = strlen(md5sums);
	snprintf(md5sums + n, sizeof(md5sums) - n, "%s  bin/bintool\n", hex);
	/* a link planted as a packaged executable is not followed */
	hexof(EVP_md5(), "x", 1, hex);
	n = strlen(md5sums);
	snprintf(md5sums + n, sizeof(md5sums) - n, "%s  usr/bin/sh\n", hex);
	ck_assert_int_eq(symlink("/bin/sh", path("usr/bin/sh")), 0);
	check();
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "path"), "/usr/bin/sh");
	ck_assert_str_eq(s(0, "problem"), "not a regular file");
}
END_TEST

/* Package NAME, in STATUS's state, whose .list is LIST; its md5sums and
 * conffiles lists are MD5SUMS and CONF (NULL: none). */
static void
package(const char *name, const char *state, const char *list,
    const char *md5s, const char *conf)
{
	char stanza[256], file[128];
	FILE *f = fopen(path("var/lib/dpkg/status"), "a");

	ck_assert_ptr_nonnull(f);
	snprintf(stanza, sizeof(stanza), "Package: %s\nStatus: install ok "
	    "%s\nArchitecture: amd64\nDescription: test\n x\n\n", name, state);
	fputs(stanza, f);
	fclose(f);
	snprintf(file, sizeof(file), "var/lib/dpkg/info/%s.list", name);
	put(file, list, strlen(list));
	snprintf(file, sizeof(file), "var/lib/dpkg/info/%s.md5sums", name);
	if (md5s != NULL)
		put(file, md5s, strlen(md5s));
	snprintf(file, sizeof(file), "var/lib/dpkg/info/%s.conffiles", name);
	if (conf != NULL)
		put(file, conf, strlen(conf));
}

START_TEST(a_package_without_md5sums_is_a_finding)
{
	usual();
	mkd("usr/share/doc/other");
	put("usr/share/doc/other/copyright", "c", 1);
	put("usr/bin/other", "x", 1);
	package("other", "installed", "/.\n/usr\n/usr/share/doc/other\n"
	    "/usr/share/doc/other/copyright\n/usr/bin/other\n", NULL, NULL);
	check();
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "package"), "other");
	ck_assert_str_eq(s(0, "path"), "/usr/share/doc/other/copyright");
	ck_assert_str_eq(s(0, "problem"), "no md5sums");
	ck_assert(json_is_null(json_object_get(json_array_get(found, 0),
	    "expected_md5")));
}
END_TEST

START_TEST(an_emptied_md5sums_is_a_finding)
{
	usual();
	put("usr/bin/other", "x", 1);
	package("other", "triggers-pending", "/usr/bin/other\n", "", NULL);
	check();
	ck_assert_uint_eq(json_array_size(found), 1);
	ck_assert_str_eq(s(0, "path"), "/usr/bin/other");
	ck_assert_str_eq(s(0, "problem"), "empty md5sums");
}
END_TEST

/* What legitimately has no md5sums: links and directories only, or
 * conffiles only; and a package removed but for its conffiles. */
START_TEST(packages_with_nothing_to_list_are_no_finding)
{
	usual();
	mkd("etc");
	put("etc/conf", "c", 1);
	put("usr/bin/old", "x", 1);
	ck_assert_int_eq(symlink("tool", path("usr/share/doc/meta")), 0);
	package("meta", "installed", "/.\n/usr\n/usr/share/doc/meta\n",
	    NULL, NULL);
	package("conf", "installed", "/.\n/etc\n/etc/conf\n", NULL,
	    "/etc/conf\n");
	package("old", "config-files", "/usr/bin/old\n", NULL, NULL);
	check();
	ck_assert_uint_eq(json_array_size(found), 0);
}
END_TEST

START_TEST(a_root_without_dpkg_fails_with_enoent)
{
	int fd = open(path("usr"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_eq(cust_live_dpkg_check(ctx, fd, &found), CUST_FAILED);
	ck_assert_int_eq(cust_ctx_errno(ctx), ENOENT);
	ck_assert_ptr_null(found);
	close(fd);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *su = suite_create("dpkg");
	TCase *tc = tcase_create("md5sums");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, an_untouched_package_is_no_finding);
	tcase_add_test(tc, one_modified_executable_is_exactly_one_finding);
	tcase_add_test(tc, a_modified_library_is_a_finding_whatever_its_mode);
	tcase_add_test(tc, a_diverted_file_is_checked_at_its_diverted_name);
	tcase_add_test(tc, a_changed_diverted_original_is_named_by_both_paths);
	tcase_add_test(tc, a_conffile_is_left_out);
	tcase_add_test(tc, a_missing_executable_is_a_finding);
	tcase_add_test(tc, paths_resolve_inside_the_root);
	tcase_add_test(tc, a_root_without_dpkg_fails_with_enoent);
	tcase_add_test(tc, a_package_without_md5sums_is_a_finding);
	tcase_add_test(tc, an_emptied_md5sums_is_a_finding);
	tcase_add_test(tc, packages_with_nothing_to_list_are_no_finding);
	suite_add_tcase(su, tc);
	return su;
}
