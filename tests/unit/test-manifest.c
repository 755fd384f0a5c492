/*
 * test-manifest.c: the collection-manifest loader.  Every UAC artifact file
 * in tests/data/uac loads unchanged; the built-in manifest loads and is
 * bounded; every malformed input fails with the exact "name:line: reason".
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

#define UAC	TEST_DATA "/uac/artifacts/files"

/* Lines 1-5; an artefact's fields start on line 6. */
#define HEAD	"version: 1.0\n" \
		"artifacts:\n" \
		"  -\n" \
		"    description: test\n" \
		"    supported_os: [linux]\n"
#define FILE6	HEAD "    collector: file\n"		/* path on line 7 */
#define ETC7	FILE6 "    path: /etc\n"		/* next on line 8 */

static struct cust_ctx *ctx;
static struct cust_manifest *m;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	m = NULL;
}

static void
teardown(void)
{
	cust_manifest_free(m);
	cust_ctx_free(ctx);
}

/* Load TEXT as "t.yaml" and expect success. */
static void
load(const char *text)
{
	int r = cust_manifest_load_buffer(ctx, "t.yaml", text, strlen(text),
	    &m);

	ck_assert_msg(r == CUST_OK, "load: %s", cust_ctx_error(ctx));
	ck_assert_ptr_nonnull(m);
}

/* Load TEXT as "t.yaml" and expect exactly the message WANT. */
static void
fails(const char *text, size_t len, const char *want)
{
	int r = cust_manifest_load_buffer(ctx, "t.yaml", text, len, &m);

	ck_assert_int_eq(r, CUST_FAILED);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
}

#define FAILS(text, want)	fails((text), strlen(text), (want))

static void
load_file(const char *rel)
{
	char path[512];
	int r;

	snprintf(path, sizeof(path), "%s/%s", UAC, rel);
	r = cust_manifest_load_file(ctx, path, &m);
	ck_assert_msg(r == CUST_OK, "%s: %s", path, cust_ctx_error(ctx));
}

static void
strv_is(const struct cust_strv *sv, const char *const *want, size_t n)
{
	ck_assert_uint_eq(sv->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(sv->v[i], want[i]);
}

/* ------------------------------------------------------- UAC's files */

static int nfiles;

static int
one_uac_file(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	struct cust_manifest *mf;
	const struct cust_rule *r;
	size_t n;

	(void)st;
	(void)ftw;
	n = strlen(path);
	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".yaml") != 0)
		return 0;
	nfiles++;
	ck_assert_msg(cust_manifest_load_file(ctx, path, &mf) == CUST_OK,
	    "%s", cust_ctx_error(ctx));
	ck_assert_str_eq(cust_manifest_name(mf), path);
	ck_assert_uint_gt(cust_manifest_count(mf), 0);
	for (size_t i = 0; i < cust_manifest_count(mf); i++) {
		r = cust_manifest_rule(mf, i);
		ck_assert_ptr_eq(r->manifest, mf);
		ck_assert_ptr_nonnull(r->description);
		if (r->collector == CUST_COLLECTOR_COMMAND)
			ck_assert_pstr_eq(r->skip,
			    "collector command is never run");
		else
			ck_assert_uint_gt(r->paths.n, 0);
	}
	cust_manifest_free(mf);
	return 0;
}

START_TEST(uac_files_all_load)
{
	nfiles = 0;
	ck_assert_int_eq(nftw(TEST_DATA "/uac/artifacts", one_uac_file, 16,
	    FTW_PHYS), 0);
	ck_assert_int_eq(nfiles, 57);
}
END_TEST

START_TEST(advanced_log_search_fields_are_read)
{
	static const char *const names[] = { "*.[Ll][Oo][Gg]",
	    "*.[Ll][Oo][Gg].*", "[Ll][Oo][Gg]", "[Ll][Oo][Gg][Ss]" };
	static const char *const excl[] = { "/dev", "/proc", "/run", "/sys" };
	static const char *const root[] = { "/" };
	const struct cust_rule *r;

	load_file("logs/advanced_log_search.yaml");
	ck_assert_uint_eq(cust_manifest_count(m), 1);
	r = cust_manifest_rule(m, 0);
	ck_assert_uint_eq(r->line, 4);
	ck_assert_str_eq(r->description,
	    "Collect all log files and directories.");
	ck_assert_int_eq(r->collector, CUST_COLLECTOR_FILE);
	strv_is(&r->paths, root, 1);
	strv_is(&r->name_patterns, names, 4);
	strv_is(&r->exclude_path_patterns, excl, 4);
	ck_assert_uint_eq(r->path_patterns.n, 0);
	ck_assert_uint_eq(r->file_types, CUST_FT_FILE | CUST_FT_LINK);
	ck_assert_int_eq(r->max_size, 1073741824);
	ck_assert_int_eq(r->min_size, -1);
	ck_assert_int_eq(r->max_depth, -1);
	ck_assert_ptr_null(r->skip);
}
END_TEST

START_TEST(var_log_size_and_types_are_read)
{
	static const char *const path[] = { "/var/log" };
	const struct cust_rule *r;

	load_file("logs/var_log.yaml");
	ck_assert_uint_eq(cust_manifest_count(m), 2);
	r = cust_manifest_rule(m, 0);
	strv_is(&r->paths, path, 1);
	ck_assert_int_eq(r->max_size, 1073741824);
	ck_assert_uint_eq(r->file_types, CUST_FT_FILE | CUST_FT_LINK);
	ck_assert_ptr_null(r->skip);
	r = cust_manifest_rule(m, 1);
	ck_assert_uint_eq(r->line, 11);
	ck_assert_pstr_eq(r->skip, "not for linux");
}
END_TEST

START_TEST(bash_user_home_paths_load_unchanged)
{
	static const char *const paths[] = { "%user_home%/.bash_history",
	    "%user_home%/.bash_history~", "%user_home%/.bash_history.*" };
	const struct cust_rule *r;

	load_file("shell/bash.yaml");
	ck_assert_uint_eq(cust_manifest_count(m), 7);
	r = cust_manifest_rule(m, 0);
	strv_is(&r->paths, paths, 3);
	ck_assert_ptr_null(r->skip);
	r = cust_manifest_rule(m, 5);
	ck_assert_int_eq(r->collector, CUST_COLLECTOR_COMMAND);
	ck_assert_uint_eq(r->paths.n, 0);
	ck_assert_pstr_eq(r->skip, "collector command is never run");
	r = cust_manifest_rule(m, 6);
	ck_assert_uint_eq(r->line, 36);
	ck_assert_str_eq(r->paths.v[0],
	    "/%temp_directory%/files/shell/bash_histfile.txt");
	ck_assert(r->file_list);
	ck_assert_pstr_eq(r->skip, "is_file_list names the output of a "
	    "command, which is never run");
}
END_TEST

START_TEST(tomcat_condition_is_skipped)
{
	load_file("logs/tomcat.yaml");
	ck_assert_uint_eq(cust_manifest_count(m), 3);
	ck_assert_ptr_null(cust_manifest_skip(m, 0));
	ck_assert_pstr_eq(cust_manifest_skip(m, 1),
	    "path needs shell expansion");
	ck_assert_pstr_eq(cust_manifest_rule(m, 1)->condition,
	    "if [ -d \"${CATALINA_BASE:-}\" ]; then true; else false; fi");
	ck_assert_str_eq(cust_manifest_path(m, 1, 0),
	    "/${CATALINA_BASE}/logs");
}
END_TEST

START_TEST(file_sha256_is_of_its_bytes)
{
	load_file("ssh/rc.yaml");
	ck_assert_str_eq(cust_manifest_sha256(m), "632aa897160253533dea1744"
	    "bf526a104779648322ae4a5897dc20cb1e64a9ae");
}
END_TEST

/* -------------------------------------------------- default manifest */

START_TEST(default_manifest_loads_bounded)
{
	const struct cust_rule *r;
	size_t sweeps = 0, stats = 0;

	ck_assert_int_eq(cust_manifest_load_buffer(ctx,
	    cust_default_manifest_name, cust_default_manifest,
	    cust_default_manifest_len, &m), CUST_OK);
	ck_assert_str_eq(cust_manifest_name(m), "linux-triage.yaml");
	ck_assert_uint_ge(cust_manifest_count(m), 10);
	for (size_t i = 0; i < cust_manifest_count(m); i++) {
		r = cust_manifest_rule(m, i);
		ck_assert_ptr_null(r->skip);
		ck_assert_str_ne(r->description, "");
		/* The sweeps of /: one walk, each path just "/". */
		for (size_t j = 0; j < r->paths.n; j++)
			if (strcmp(r->paths.v[j], "/") == 0) {
				ck_assert_uint_eq(r->paths.n, 1);
				sweeps++;
			}
		if (r->collector == CUST_COLLECTOR_STAT ||
		    r->collector == CUST_COLLECTOR_FIND) {
			stats += r->collector == CUST_COLLECTOR_STAT;
			ck_assert_str_eq(r->paths.v[0], "/");
			continue;
		}
		/* Hashes, not copies: executables only, never stored. */
		ck_assert_int_gt(r->max_size, 0);
		if (r->collector == CUST_COLLECTOR_HASH) {
			ck_assert_uint_gt(r->nperms, 0);
			ck_assert_uint_eq(r->file_types, CUST_FT_FILE);
			ck_assert_int_le(r->max_size, 256 * 1024 * 1024);
			continue;
		}
		ck_assert_int_eq(r->collector, CUST_COLLECTOR_FILE);
		ck_assert_int_le(r->max_size, 128 * 1024 * 1024);
		/* Stored from /: small files of a name or path only. */
		if (strcmp(r->paths.v[0], "/") == 0) {
			ck_assert_uint_gt(r->name_patterns.n +
			    r->path_patterns.n, 0);
			ck_assert_int_le(r->max_size, 10 * 1024 * 1024);
			continue;
		}
		ck_assert_int_ge(r->max_depth, 0);
		ck_assert_int_le(r->max_depth, 6);
	}
	/* The timeline, 7 finds, logs, git hooks and executables. */
	ck_assert_uint_eq(stats, 1);
	ck_assert_uint_eq(sweeps, 11);
}
END_TEST

/* ------------------------------------------------------------ values */

START_TEST(buffer_sha256_is_known)
{
	load("version: 1\nartifacts: []\n");
	ck_assert_uint_eq(cust_manifest_count(m), 0);
	ck_assert_str_eq(cust_manifest_sha256(m), "4dd92b8ed52ba1450c6d9f0f"
	    "ad05cf6d8ea757be6cefb2f58112ff086ea4a773");
}
END_TEST

START_TEST(quoted_percent_survives)
{
	static const char *const paths[] = { "/x/%user_home%/a%b",
	    "/x/100% y", "/a b" };
	static const char *const names[] = { "%x", "%y%", "50%" };
	const struct cust_rule *r;

	load(FILE6 "    path: /x/\"%user_home%/a%b\" '/x/100% y' /a\\ b\n"
	    "    name_pattern: [\"%x\", '%y%', 50%]\n"
	    "    exclude_name_pattern: \"%\"\n");
	r = cust_manifest_rule(m, 0);
	strv_is(&r->paths, paths, 3);
	strv_is(&r->name_patterns, names, 3);
	ck_assert_str_eq(r->exclude_name_patterns.v[0], "%");
	ck_assert_ptr_null(r->skip);
}
END_TEST

START_TEST(directive_in_column_zero_still_works)
{
	load("%YAML 1.1\n---\nversion: 1\nartifacts:\n"
	    "  - collector: file\n    path: %user_home%/.x\n");
	ck_assert_str_eq(cust_manifest_path(m, 0, 0), "%user_home%/.x");
	ck_assert_str_eq(cust_manifest_description(m, 0), "");
}
END_TEST

START_TEST(scalar_is_a_one_item_list)
{
	const struct cust_rule *r;

	load(ETC7 "    file_type: d\n    name_pattern: \"*.conf\"\n"
	    "    exclude_file_system: nfs\n");
	r = cust_manifest_rule(m, 0);
	ck_assert_uint_eq(r->file_types, CUST_FT_DIR);
	ck_assert_str_eq(r->name_patterns.v[0], "*.conf");
	ck_assert_str_eq(r->exclude_file_systems.v[0], "nfs");
}
END_TEST

START_TEST(every_field_is_read)
{
	const struct cust_rule *r;

	load(HEAD "    collector: stat\n    path: /a /b\n"
	    "    path_pattern: [\"*/x/*\"]\n    name_pattern: [a]\n"
	    "    exclude_path_pattern: [/a/c]\n"
	    "    exclude_name_pattern: [d, e]\n"
	    "    exclude_file_system: [proc, nfs]\n    max_depth: 0\n"
	    "    file_type: [f, d, l, p, s, b, c]\n    min_file_size: 1\n"
	    "    max_file_size: 9223372036854775807\n"
	    "    ignore_date_range: true\n    exclude_nologin_users: true\n"
	    "    output_directory: /out\n    output_file: o.txt\n");
	r = cust_manifest_rule(m, 0);
	ck_assert_int_eq(r->collector, CUST_COLLECTOR_STAT);
	ck_assert_uint_eq(r->paths.n, 2);
	ck_assert_str_eq(r->path_patterns.v[0], "*/x/*");
	ck_assert_uint_eq(r->exclude_name_patterns.n, 2);
	ck_assert_uint_eq(r->exclude_file_systems.n, 2);
	ck_assert_int_eq(r->max_depth, 0);
	ck_assert_uint_eq(r->file_types, 0x7f);
	ck_assert_int_eq(r->min_size, 1);
	ck_assert_int_eq(r->max_size, INT64_MAX);
	ck_assert(r->ignore_date_range);
	ck_assert(r->exclude_nologin_users);
	ck_assert_ptr_null(r->skip);
	ck_assert_str_eq(cust_manifest_collector(m, 0), "stat");
}
END_TEST

START_TEST(accessors_describe_each_artefact)
{
	load(ETC7 "  - collector: hash\n    path: /a '/b c'\n"
	    "    supported_os: [macos]\n");
	ck_assert_uint_eq(cust_manifest_count(m), 2);
	ck_assert_uint_eq(cust_manifest_line(m, 0), 4);
	ck_assert_str_eq(cust_manifest_description(m, 0), "test");
	ck_assert_str_eq(cust_manifest_collector(m, 1), "hash");
	ck_assert_uint_eq(cust_manifest_line(m, 1), 8);
	ck_assert_uint_eq(cust_manifest_npaths(m, 1), 2);
	ck_assert_str_eq(cust_manifest_path(m, 1, 1), "/b c");
	ck_assert_ptr_null(cust_manifest_path(m, 1, 2));
	ck_assert_pstr_eq(cust_manifest_skip(m, 1), "not for linux");
	ck_assert_uint_eq(cust_manifest_line(m, 2), 0);
	ck_assert_ptr_null(cust_manifest_collector(m, 2));
	ck_assert_ptr_null(cust_manifest_description(m, 2));
	ck_assert_ptr_null(cust_manifest_rule(m, 2));
}
END_TEST

START_TEST(shell_paths_are_skipped)
{
	load(FILE6 "    path: /a/%user%/b\n"
	    "  - collector: file\n    path: /%temp_directory%/x\n"
	    "  - collector: file\n    path: /a/`id`\n"
	    "  - collector: find\n    path: /x/%user_home%/y /z/50%/q\n");
	ck_assert_pstr_eq(cust_manifest_skip(m, 0),
	    "path needs shell expansion");
	ck_assert_pstr_eq(cust_manifest_skip(m, 1),
	    "path needs shell expansion");
	ck_assert_pstr_eq(cust_manifest_skip(m, 2),
	    "path needs shell expansion");
	ck_assert_ptr_null(cust_manifest_skip(m, 3));
}
END_TEST

START_TEST(unrunnable_fields_are_skipped)
{
	load(ETC7 "    foreach: ls /proc\n"
	    "  - collector: file\n    path: /a\n    modifier: true\n"
	    "  - collector: file\n    path: /a\n    is_file_list: false\n"
	    "  - collector: find\n    path: /\n    permissions: -4000\n"
	    "  - collector: find\n    path: /bin\n    no_user: true\n"
	    "  - collector: command\n    command: ps\n"
	    "    compress_output_file: true\n"
	    "    redirect_stderr_to_stdout: false\n"
	    "  - collector: command\n    loop_command: ls\n");
	ck_assert_pstr_eq(cust_manifest_skip(m, 0), "foreach is never run");
	ck_assert_pstr_eq(cust_manifest_skip(m, 1), "modifier is never run");
	ck_assert_ptr_null(cust_manifest_skip(m, 2));
	/* find's -perm, -nouser and -nogroup are custody's own tests. */
	ck_assert_ptr_null(cust_manifest_skip(m, 3));
	ck_assert_uint_eq(cust_manifest_rule(m, 3)->nperms, 1);
	ck_assert_uint_eq(cust_manifest_rule(m, 3)->perms[0].bits, 04000);
	ck_assert_int_eq(cust_manifest_rule(m, 3)->perms[0].how, '-');
	ck_assert_ptr_null(cust_manifest_skip(m, 4));
	ck_assert(cust_manifest_rule(m, 4)->no_user);
	ck_assert_pstr_eq(cust_manifest_skip(m, 5),
	    "collector command is never run");
	ck_assert_pstr_eq(cust_manifest_skip(m, 6),
	    "collector command is never run");
}
END_TEST

START_TEST(top_level_condition_skips_all)
{
	load("version: 1\noutput_directory: /o\nartifacts:\n"
	    "  - collector: file\n    path: /a\n"
	    "  - collector: command\n    command: ls\n"
	    "condition: ls /proc/$$\n");
	/* Kept for collect to decide; this one cannot be, without sh. */
	ck_assert_ptr_null(cust_manifest_skip(m, 0));
	ck_assert_pstr_eq(cust_manifest_rule(m, 0)->top_condition,
	    "ls /proc/$$");
	ck_assert_pstr_eq(cust_manifest_skip(m, 1),
	    "collector command is never run");
}
END_TEST

START_TEST(top_level_modifier_skips_all)
{
	load("modifier: true\nversion: 1\nartifacts:\n"
	    "  - collector: file\n    path: /a\n");
	ck_assert_pstr_eq(cust_manifest_skip(m, 0), "modifier is never run");
}
END_TEST

START_TEST(triple_quoted_command_loads)
{
	load(HEAD "    collector: command\n    command: \"\"\"\n"
	    "      for x in a b; do\n        echo $x: 100%\n      done\n"
	    "      \"\"\"\n    output_file: x.txt\n"
	    "  - collector: file\n    path: /y\n    condition: \"\"\"\n"
	    "      test -d /y\n    \"\"\"\n");
	ck_assert_uint_eq(cust_manifest_count(m), 2);
	ck_assert_pstr_eq(cust_manifest_skip(m, 0),
	    "collector command is never run");
	ck_assert_uint_eq(cust_manifest_line(m, 1), 13);
	ck_assert_int_eq(strncmp(cust_manifest_rule(m, 1)->condition,
	    "test -d /y", 10), 0);
}
END_TEST

START_TEST(valid_yaml_is_never_rewritten)
{
	load(HEAD "    collector: file\n    path: /a\n"
	    "    output_file: 'x\n      command: \"\"\"\n      \"\"\"\n      y'\n"
	    "  - collector: file\n    path: /a/\"b\\\"c\\d\"\n");
	ck_assert_uint_eq(cust_manifest_count(m), 2);
	ck_assert_str_eq(cust_manifest_path(m, 1, 0), "/a/b\"c\\d");
}
END_TEST

START_TEST(crlf_lines_load)
{
	load("version: 1\r\nartifacts:\r\n  - collector: file\r\n"
	    "    path: %user_home%/x\r\n");
	ck_assert_str_eq(cust_manifest_path(m, 0, 0), "%user_home%/x");
	ck_assert_uint_eq(cust_manifest_line(m, 0), 3);
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(unknown_field_fails)
{
	FAILS(ETC7 "    bogus: 1\n", "t.yaml:8: unknown field 'bogus'");
	FAILS("version: 1\nartefacts: []\n",
	    "t.yaml:2: unknown field 'artefacts'");
}
END_TEST

START_TEST(bad_collector_fails)
{
	FAILS(HEAD "    collector: files\n    path: /etc\n",
	    "t.yaml:6: collector: 'files' is not file, find, hash, stat or "
	    "command");
}
END_TEST

START_TEST(bad_file_type_fails)
{
	FAILS(ETC7 "    file_type: [f, x]\n",
	    "t.yaml:8: file_type: 'x' is not one of f, d, l, p, s, b, c");
	FAILS(ETC7 "    file_type: [fd]\n",
	    "t.yaml:8: file_type: 'fd' is not one of f, d, l, p, s, b, c");
}
END_TEST

START_TEST(negative_size_fails)
{
	FAILS(ETC7 "    max_file_size: -1\n",
	    "t.yaml:8: max_file_size: '-1' is not a non-negative integer");
}
END_TEST

START_TEST(non_integer_size_fails)
{
	FAILS(ETC7 "    min_file_size: 10MB\n",
	    "t.yaml:8: min_file_size: '10MB' is not a non-negative integer");
	FAILS(ETC7 "    max_file_size: 1e6\n",
	    "t.yaml:8: max_file_size: '1e6' is not a non-negative integer");
	FAILS(ETC7 "    max_file_size: 9223372036854775808\n",
	    "t.yaml:8: max_file_size: '9223372036854775808' is too large");
	FAILS(ETC7 "    max_depth: 2147483648\n",
	    "t.yaml:8: max_depth: '2147483648' is too large");
	FAILS(ETC7 "    max_depth: [1]\n",
	    "t.yaml:8: max_depth: expected a scalar");
}
END_TEST

START_TEST(bad_boolean_fails)
{
	FAILS(ETC7 "    ignore_date_range: yes\n",
	    "t.yaml:8: ignore_date_range: 'yes' is not true or false");
	FAILS(ETC7 "    modifier: 1\n",
	    "t.yaml:8: modifier: '1' is not true or false");
}
END_TEST

START_TEST(bad_permissions_fail)
{
	FAILS(ETC7 "    permissions: [755, 8000]\n",
	    "t.yaml:8: permissions: '8000' is not an integer from -7777 to "
	    "7777");
	FAILS(ETC7 "    permissions: \"-\"\n",
	    "t.yaml:8: permissions: '-' is not an integer from -7777 to 7777");
}
END_TEST

START_TEST(missing_collector_fails)
{
	FAILS(HEAD "    path: /etc\n", "t.yaml:4: missing field 'collector'");
}
END_TEST

START_TEST(missing_path_fails)
{
	FAILS(HEAD "    collector: find\n", "t.yaml:4: missing field 'path'");
	FAILS(FILE6 "    path:\n", "t.yaml:7: path: no path given");
}
END_TEST

/* UAC hands a relative word to find(1) in its own working directory:
 * loaded, and skipped for that reason. */
START_TEST(relative_path_is_skipped)
{
	load(FILE6 "    path: /etc etc/passwd\n");
	ck_assert_pstr_eq(cust_manifest_skip(m, 0), "a path is relative "
	    "(UAC's find would search its own working directory)");
}
END_TEST

/* The five UAC 3.3.0 files libyaml alone refuses, read as UAC reads them. */
START_TEST(uac_lines_load_as_uac_reads_them)
{
	load("version: 1.0\ndescription: a file-level description\n"
	    "artifacts:\n  -\n"
	    "    description: 'top'-like utility for stats.\n"
	    "    supported_os: [linux]\n    collector: command\n"
	    "    command: rpm -q -f \"%line%\" | sed -e \"s|$|: %line%|\"\n"
	    "    condition: ! command_exists \"rpm\"\n"
	    "  -\n    description: x\n    collector: file\n"
	    "    path: /etc\n");
	ck_assert_uint_eq(cust_manifest_count(m), 2);
	ck_assert_str_eq(cust_manifest_description(m, 0),
	    "'top'-like utility for stats.");
	ck_assert_pstr_eq(cust_manifest_rule(m, 0)->condition,
	    "! command_exists \"rpm\"");
	ck_assert_uint_eq(cust_manifest_line(m, 1), 11);
	ck_assert_str_eq(cust_manifest_path(m, 1, 0), "/etc");
}
END_TEST

START_TEST(bad_path_fails)
{
	FAILS(FILE6 "    path: /x/\"abc\n",
	    "t.yaml:7: path: unterminated quote");
	FAILS(FILE6 "    path: {a: b}\n", "t.yaml:7: path: expected a scalar");
}
END_TEST

START_TEST(unclosed_bracket_fails)
{
	FAILS(ETC7 "    name_pattern: [a, b\n    max_depth: 2\n",
	    "t.yaml:9: did not find expected ',' or ']' (while parsing a "
	    "flow sequence at line 8)");
}
END_TEST

START_TEST(tab_indentation_fails)
{
	FAILS(FILE6 "\tpath: /etc\n",
	    "t.yaml:7: found a tab character that violates indentation "
	    "(while scanning a plain scalar at line 6)");
}
END_TEST

START_TEST(duplicate_key_fails)
{
	FAILS(ETC7 "    collector: find\n",
	    "t.yaml:8: duplicate field 'collector'");
	FAILS("version: 1\nversion: 2\nartifacts: []\n",
	    "t.yaml:2: duplicate field 'version'");
}
END_TEST

START_TEST(private_use_character_fails)
{
	FAILS(FILE6 "    path: /etc/\xee\x80\x80\n",
	    "t.yaml:7: character U+E000 is reserved");
}
END_TEST

START_TEST(top_level_not_mapping_fails)
{
	FAILS("- a\n- b\n", "t.yaml:1: top level: expected a mapping");
	FAILS("\n\nhello\n", "t.yaml:3: top level: expected a mapping");
}
END_TEST

START_TEST(artifacts_not_sequence_fails)
{
	FAILS("version: 1\nartifacts:\n  a: b\n",
	    "t.yaml:3: artifacts: expected a sequence");
	FAILS("version: 1\nartifacts:\n  - a\n",
	    "t.yaml:3: artifacts: expected a mapping");
	FAILS("version: 1\n", "t.yaml:1: missing field 'artifacts'");
}
END_TEST

START_TEST(empty_file_fails)
{
	FAILS("", "t.yaml:1: empty manifest");
	FAILS("# only\n# comments\n", "t.yaml:1: empty manifest");
	fails(NULL, 0, "t.yaml:1: empty manifest");
}
END_TEST

START_TEST(hostile_shapes_fail)
{
	FAILS(FILE6 "    path: &p /etc\n    name_pattern: *p\n",
	    "t.yaml:8: aliases are not supported");
	FAILS(ETC7 "    name_pattern: [[a]]\n",
	    "t.yaml:8: nested deeper than 4 levels");
	FAILS(ETC7 "    ? [a]\n    : b\n", "t.yaml:8: expected a scalar key");
	FAILS("version: 1\nartifacts: []\n---\nversion: 2\n",
	    "t.yaml:3: more than one document");
	FAILS(FILE6 "    path: \"/etc\\0x\"\n",
	    "t.yaml:7: scalar holds a NUL character");
	FAILS(FILE6 "    path: /etc\xff\n", "t.yaml:7: invalid leading UTF-8 "
	    "octet");
	FAILS("version: {a: 1}\nartifacts: []\n",
	    "t.yaml:1: version: expected a scalar");
}
END_TEST

/* Build TIMES copies of UNIT after HEAD in a heap buffer. */
static char *
repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * times + tl + 1), *p;

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, hl);
	for (p = s + hl; times-- > 0; p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

START_TEST(too_many_artefacts_fail)
{
	char *s = repeat("version: 1\nartifacts:\n",
	    "- {collector: file, path: /a}\n", 10001, "");

	FAILS(s, "t.yaml:10003: artifacts: more than 10000 artefacts");
	free(s);
}
END_TEST

START_TEST(too_many_items_fail)
{
	char *s = repeat(ETC7 "    name_pattern: [", "a, ", 1000, "b]\n");

	FAILS(s, "t.yaml:8: name_pattern: more than 1000 items");
	free(s);
	s = repeat(FILE6 "    path:", " /a", 1001, "\n");
	FAILS(s, "t.yaml:7: path: more than 1000 paths");
	free(s);
}
END_TEST

START_TEST(long_scalar_fails)
{
	char *s = repeat(ETC7 "    output_file: ", "x", 64 * 1024 + 1, "\n");

	FAILS(s, "t.yaml:8: scalar longer than 65536 bytes");
	free(s);
}
END_TEST

START_TEST(big_input_fails)
{
	char *s = repeat("# ", "x", 1024 * 1024, "\n");

	FAILS(s, "t.yaml: larger than 1 MiB");
	free(s);
}
END_TEST

START_TEST(big_file_fails)
{
	char path[] = "/tmp/test-manifest.XXXXXX", want[64];
	char *s = repeat("# ", "x", 1024 * 1024, "\n");
	int fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	ck_assert_int_eq(cust_manifest_load_file(ctx, path, &m), CUST_FAILED);
	unlink(path);
	ck_assert_ptr_null(m);
	snprintf(want, sizeof(want), "%s: too large (limit 1048576 bytes)",
	    path);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
	free(s);
}
END_TEST

START_TEST(missing_file_fails)
{
	char want[512];

	ck_assert_int_eq(cust_manifest_load_file(ctx, "/nonexistent/m.yaml",
	    &m), CUST_FAILED);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(cust_ctx_error(ctx),
	    "/nonexistent/m.yaml: No such file or directory");
	ck_assert_int_eq(cust_ctx_errno(ctx), ENOENT);
	ck_assert_int_eq(cust_manifest_load_file(ctx, TEST_DATA, &m),
	    CUST_FAILED);
	snprintf(want, sizeof(want), "%s: not a regular file", TEST_DATA);
	ck_assert_str_eq(cust_ctx_error(ctx), want);
}
END_TEST

static TCase *
loading_case(void)
{
	TCase *tc = tcase_create("loading");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, uac_files_all_load);
	tcase_add_test(tc, advanced_log_search_fields_are_read);
	tcase_add_test(tc, var_log_size_and_types_are_read);
	tcase_add_test(tc, bash_user_home_paths_load_unchanged);
	tcase_add_test(tc, tomcat_condition_is_skipped);
	tcase_add_test(tc, file_sha256_is_of_its_bytes);
	tcase_add_test(tc, default_manifest_loads_bounded);
	tcase_add_test(tc, buffer_sha256_is_known);
	tcase_add_test(tc, quoted_percent_survives);
	tcase_add_test(tc, directive_in_column_zero_still_works);
	tcase_add_test(tc, scalar_is_a_one_item_list);
	tcase_add_test(tc, every_field_is_read);
	tcase_add_test(tc, accessors_describe_each_artefact);
	tcase_add_test(tc, shell_paths_are_skipped);
	tcase_add_test(tc, unrunnable_fields_are_skipped);
	tcase_add_test(tc, top_level_condition_skips_all);
	tcase_add_test(tc, top_level_modifier_skips_all);
	tcase_add_test(tc, triple_quoted_command_loads);
	tcase_add_test(tc, valid_yaml_is_never_rewritten);
	tcase_add_test(tc, crlf_lines_load);
	return tc;
}

static TCase *
errors_case(void)
{
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_field_fails);
	tcase_add_test(tc, bad_collector_fails);
	tcase_add_test(tc, bad_file_type_fails);
	tcase_add_test(tc, negative_size_fails);
	tcase_add_test(tc, non_integer_size_fails);
	tcase_add_test(tc, bad_boolean_fails);
	tcase_add_test(tc, bad_permissions_fail);
	tcase_add_test(tc, relative_path_is_skipped);
	tcase_add_test(tc, uac_lines_load_as_uac_reads_them);
	tcase_add_test(tc, missing_collector_fails);
	tcase_add_test(tc, missing_path_fails);
	tcase_add_test(tc, bad_path_fails);
	tcase_add_test(tc, unclosed_bracket_fails);
	tcase_add_test(tc, tab_indentation_fails);
	tcase_add_test(tc, duplicate_key_fails);
	tcase_add_test(tc, private_use_character_fails);
	tcase_add_test(tc, top_level_not_mapping_fails);
	tcase_add_test(tc, artifacts_not_sequence_fails);
	tcase_add_test(tc, empty_file_fails);
	tcase_add_test(tc, hostile_shapes_fail);
	tcase_add_test(tc, too_many_artefacts_fail);
	tcase_add_test(tc, too_many_items_fail);
	tcase_add_test(tc, long_scalar_fails);
	tcase_add_test(tc, big_input_fails);
	tcase_add_test(tc, big_file_fails);
	tcase_add_test(tc, missing_file_fails);
	return tc;
}

Suite *
unit_suite(void)
{
	Suite *s = suite_create("manifest");

	suite_add_tcase(s, loading_case());
	suite_add_tcase(s, errors_case());
	return s;
}

