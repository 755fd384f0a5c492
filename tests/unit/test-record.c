/*
 * test-record.c: an artefact's files.jsonl object and its bodyfile line.
 * JSON fields are read back with jansson; base64 is checked against
 * coreutils base64(1) and RFC 4648; times against well-known instants;
 * bodyfile lines against the Sleuth Kit body file format (MD5|name|inode|
 * mode_as_string|UID|GID|size|atime|mtime|ctime|crtime) by running them
 * through mactime(1), with permission strings compared to stat(1) on real
 * files.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "format/format.h"
#include "harness.h"

#define MD5HEX	"900150983cd24fb0d6963f7d28e17f72"
#define SHA1HEX	"a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA256HEX \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static struct cust_ctx *ctx;
static struct cust_spool *sp;
static struct cust_record rec;
static struct stat st, after;
static json_t *jo;

static void
setup(void)
{
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	ck_assert_int_eq(cust_spool_new(ctx, -1, "body", &sp), CUST_OK);
	scratch_make();
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_size = 5;
	st.st_uid = 1000;
	st.st_gid = 100;
	st.st_nlink = 1;
	st.st_dev = 2049;
	st.st_ino = 12;
	st.st_atim.tv_sec = 1700000000;
	st.st_atim.tv_nsec = 123456789;
	st.st_mtim.tv_sec = 0;
	st.st_mtim.tv_nsec = 0;
	st.st_ctim.tv_sec = 1000000000;
	st.st_ctim.tv_nsec = 1;
	after = st;
	memset(&rec, 0, sizeof(rec));
	rec.path = "/etc/passwd";
	rec.pathlen = strlen(rec.path);
	rec.st = &st;
	rec.btime.tv_sec = -1;
	rec.status = CUST_ST_OK;
	rec.bytes = -1;
	jo = NULL;
}

static void
teardown(void)
{
	json_decref(jo);
	cust_spool_free(sp);
	scratch_remove();
	cust_ctx_free(ctx);
}

/* --------------------------------------------------------------- JSON */

/* Make the JSON object of rec into jo; it must serialise. */
static void
tojson(void)
{
	char *text;

	json_decref(jo);
	jo = cust_record_json(&rec);
	ck_assert_ptr_nonnull(jo);
	ck_assert(json_is_object(jo));
	text = json_dumps(jo, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strchr(text, '\n'));
	free(text);
}

static const char *
str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

static json_int_t
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static void
absent(const json_t *o, const char *key)
{
	ck_assert_msg(json_object_get(o, key) == NULL, "\"%s\" is present",
	    key);
}

/* RFC 3339 UTC with nanoseconds. */
static void
is_time(const char *s)
{
	regex_t re;

	ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, s, 0, NULL, 0) == 0, "bad time \"%s\"", s);
	regfree(&re);
}

/* base64 of N bytes of P by coreutils' base64(1). */
static void
b64ref(const void *p, size_t n, char *out, size_t size)
{
	char path[128], cmd[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/b64.in", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "base64 -w0 '%s'", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(out, (int)size, f));
	ck_assert_int_eq(pclose(f), 0);
	out[strcspn(out, "\n")] = '\0';
}

START_TEST(json_regular_file_has_every_field)
{
	rec.stored = "data/etc/passwd";
	rec.artefact = "t.yaml:4";
	rec.bytes = 5;
	tojson();
	ck_assert_str_eq(str(jo, "path"), "/etc/passwd");
	absent(jo, "path_b64");
	ck_assert_str_eq(str(jo, "stored"), "data/etc/passwd");
	ck_assert_str_eq(str(jo, "type"), "file");
	ck_assert_str_eq(str(jo, "status"), "ok");
	absent(jo, "reason");
	ck_assert_str_eq(str(jo, "artefact"), "t.yaml:4");
	ck_assert_int_eq(num(jo, "size"), 5);
	ck_assert_str_eq(str(jo, "mode"), "0644");
	ck_assert_int_eq(num(jo, "uid"), 1000);
	ck_assert_int_eq(num(jo, "gid"), 100);
	ck_assert_int_eq(num(jo, "nlink"), 1);
	ck_assert_int_eq(num(jo, "dev"), 2049);
	ck_assert_int_eq(num(jo, "ino"), 12);
	ck_assert_int_eq(num(jo, "bytes"), 5);
	absent(jo, "rdev");
	absent(jo, "target");
	absent(jo, "after");
	absent(jo, "magic");
}
END_TEST

START_TEST(json_times_are_rfc3339_utc_nanoseconds)
{
	tojson();
	/* 1,700,000,000 s and 1,000,000,000 s after the epoch. */
	ck_assert_str_eq(str(jo, "atime"), "2023-11-14T22:13:20.123456789Z");
	ck_assert_str_eq(str(jo, "mtime"), "1970-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(str(jo, "ctime"), "2001-09-09T01:46:40.000000001Z");
	is_time(str(jo, "atime"));
	is_time(str(jo, "mtime"));
	is_time(str(jo, "ctime"));
}
END_TEST

START_TEST(json_btime_absent_when_unknown)
{
	tojson();
	absent(jo, "btime");
}
END_TEST

START_TEST(json_btime_present_when_known)
{
	rec.btime.tv_sec = 1300000000;
	rec.btime.tv_nsec = 5;
	tojson();
	ck_assert_str_eq(str(jo, "btime"), "2011-03-13T07:06:40.000000005Z");
	rec.btime.tv_sec = 0;
	rec.btime.tv_nsec = 0;
	tojson();
	ck_assert_str_eq(str(jo, "btime"), "1970-01-01T00:00:00.000000000Z");
}
END_TEST

START_TEST(json_time_before_epoch)
{
	st.st_mtim.tv_sec = -1;
	st.st_mtim.tv_nsec = 500000000;
	tojson();
	ck_assert_str_eq(str(jo, "mtime"), "1969-12-31T23:59:59.500000000Z");
}
END_TEST

/* Raw paths that are not UTF-8 (or hold NUL) and their base64 (RFC 4648
 * section 10 alphabet and padding). */
static const struct {
	const char	*raw;
	size_t		 n;
	const char	*b64;
} b64paths[] = {
	{ "\xff", 1, "/w==" },
	{ "\xff\xfe", 2, "//4=" },
	{ "a\0b", 3, "YQBi" },
	{ "/tmp/\xc0\xaf", 7, "L3RtcC/Arw==" },
	{ "/x/\xed\xa0\x80", 6, "L3gv7aCA" },
};

START_TEST(json_non_utf8_path_is_base64)
{
	char want[128];

	rec.path = b64paths[_i].raw;
	rec.pathlen = b64paths[_i].n;
	tojson();
	absent(jo, "path");
	b64ref(rec.path, rec.pathlen, want, sizeof(want));
	ck_assert_str_eq(str(jo, "path_b64"), want);
	ck_assert_str_eq(str(jo, "path_b64"), b64paths[_i].b64);
}
END_TEST

START_TEST(json_long_non_utf8_path_matches_coreutils_base64)
{
	char raw[1000], want[2048];

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (char)(i * 37 + 128);
	for (size_t n = 995; n <= sizeof(raw); n++) {
		rec.path = raw;
		rec.pathlen = n;
		tojson();
		b64ref(raw, n, want, sizeof(want));
		ck_assert_str_eq(str(jo, "path_b64"), want);
	}
}
END_TEST

START_TEST(json_utf8_path_is_kept_as_text)
{
	rec.path = "/home/jos\xc3\xa9/caf\xc3\xa9 \xe2\x82\xac|%^";
	rec.pathlen = strlen(rec.path);
	tojson();
	ck_assert_str_eq(str(jo, "path"), rec.path);
	absent(jo, "path_b64");
}
END_TEST

START_TEST(json_mode_is_four_octal_digits)
{
	static const struct {
		mode_t		 mode;
		const char	*want;
	} m[] = {
		{ S_IFREG | 0644, "0644" },
		{ S_IFREG | 04755, "4755" },
		{ S_IFREG | 02711, "2711" },
		{ S_IFDIR | 01777, "1777" },
		{ S_IFREG | 0, "0000" },
		{ S_IFREG | 07777, "7777" },
	};

	for (size_t i = 0; i < NELEM(m); i++) {
		st.st_mode = m[i].mode;
		tojson();
		ck_assert_str_eq(str(jo, "mode"), m[i].want);
	}
}
END_TEST

static const struct {
	mode_t		 fmt;
	const char	*name;
} types[] = {
	{ S_IFREG, "file" },
	{ S_IFDIR, "dir" },
	{ S_IFLNK, "symlink" },
	{ S_IFIFO, "fifo" },
	{ S_IFSOCK, "socket" },
	{ S_IFBLK, "block" },
	{ S_IFCHR, "char" },
};

START_TEST(type_name_for_each_file_type)
{
	ck_assert_str_eq(cust_type_name(types[_i].fmt | 0755),
	    types[_i].name);
	ck_assert_str_eq(cust_type_name(types[_i].fmt), types[_i].name);
	st.st_mode = types[_i].fmt | 0600;
	tojson();
	ck_assert_str_eq(str(jo, "type"), types[_i].name);
}
END_TEST

START_TEST(type_name_unknown_for_other_modes)
{
	ck_assert_str_eq(cust_type_name(0), "unknown");
	ck_assert_str_eq(cust_type_name(0644), "unknown");
	ck_assert_str_eq(cust_type_name(S_IFMT), "unknown");
}
END_TEST

START_TEST(json_unknown_stat_has_no_metadata)
{
	memset(&st, 0, sizeof(st));
	rec.status = CUST_ST_VANISHED;
	rec.reason = "lstat: No such file or directory";
	tojson();
	ck_assert_str_eq(str(jo, "type"), "unknown");
	ck_assert_str_eq(str(jo, "status"), "vanished");
	ck_assert_str_eq(str(jo, "reason"), "lstat: No such file or directory");
	absent(jo, "size");
	absent(jo, "mode");
	absent(jo, "mtime");
	absent(jo, "ino");
}
END_TEST

START_TEST(json_non_utf8_reason_is_base64)
{
	rec.status = CUST_ST_ERROR;
	rec.reason = "open: \xff";
	tojson();
	absent(jo, "reason");
	ck_assert_str_eq(str(jo, "reason_b64"), "b3Blbjog/w==");
}
END_TEST

START_TEST(json_devices_have_rdev)
{
	st.st_mode = S_IFCHR | 0666;
	st.st_rdev = makedev(1, 3);
	tojson();
	ck_assert_str_eq(str(jo, "rdev"), "1:3");
	st.st_mode = S_IFBLK | 0660;
	st.st_rdev = makedev(259, 65536 + 7);
	tojson();
	ck_assert_str_eq(str(jo, "rdev"), "259:65543");
}
END_TEST

START_TEST(json_symlink_target_text_or_base64)
{
	st.st_mode = S_IFLNK | 0777;
	rec.target = "../etc/passwd";
	rec.targetlen = strlen(rec.target);
	tojson();
	ck_assert_str_eq(str(jo, "target"), "../etc/passwd");
	absent(jo, "target_b64");
	rec.target = "x\xff";
	rec.targetlen = 2;
	tojson();
	absent(jo, "target");
	ck_assert_str_eq(str(jo, "target_b64"), "eP8=");
	/* The length counts, not a terminator. */
	rec.target = "abcdef";
	rec.targetlen = 3;
	tojson();
	ck_assert_str_eq(str(jo, "target"), "abc");
}
END_TEST

START_TEST(json_digests_by_algorithm_name)
{
	/* hex[] is indexed by the bit number of CUST_ALG_*. */
	rec.hex[0] = SHA256HEX;
	rec.hex[2] = SHA1HEX;
	rec.hex[3] = MD5HEX;
	tojson();
	ck_assert_uint_eq(CUST_ALG_SHA256, 1u << 0);
	ck_assert_uint_eq(CUST_ALG_SHA1, 1u << 2);
	ck_assert_uint_eq(CUST_ALG_MD5, 1u << 3);
	ck_assert_str_eq(str(jo, "sha256"), SHA256HEX);
	ck_assert_str_eq(str(jo, "sha1"), SHA1HEX);
	ck_assert_str_eq(str(jo, "md5"), MD5HEX);
	absent(jo, "sha512");
}
END_TEST

START_TEST(json_magic_only_when_utf8)
{
	rec.magic = "ASCII text";
	tojson();
	ck_assert_str_eq(str(jo, "magic"), "ASCII text");
	rec.magic = "bad \xff";
	tojson();
	absent(jo, "magic");
}
END_TEST

START_TEST(json_after_holds_second_stat)
{
	const json_t *a;

	rec.status = CUST_ST_CHANGED;
	rec.btime.tv_sec = 1300000000;
	after.st_size = 10;
	after.st_mtim.tv_sec = 1700000001;
	after.st_mtim.tv_nsec = 2;
	rec.after = &after;
	tojson();
	a = json_object_get(jo, "after");
	ck_assert(json_is_object(a));
	ck_assert_int_eq(num(a, "size"), 10);
	ck_assert_int_eq(num(jo, "size"), 5);
	ck_assert_str_eq(str(a, "mtime"), "2023-11-14T22:13:21.000000002Z");
	ck_assert_str_eq(str(a, "mode"), "0644");
	absent(a, "btime");
	absent(a, "path");
	absent(a, "status");
	ck_assert_str_eq(str(jo, "status"), "changed");
}
END_TEST

/* A short read: where the padding starts and how long it is, and not
 * a word of it for a file read whole. */
START_TEST(json_short_read_says_where_padding_starts)
{
	rec.status = CUST_ST_CHANGED;
	rec.bytes = 4096;
	tojson();
	absent(jo, "bytes_read");
	absent(jo, "padding_offset");
	absent(jo, "padding_bytes");
	absent(jo, "pseudo");
	rec.padded = true;
	rec.bytes_read = 1000;
	tojson();
	ck_assert_int_eq(num(jo, "bytes"), 4096);
	ck_assert_int_eq(num(jo, "bytes_read"), 1000);
	ck_assert_int_eq(num(jo, "padding_offset"), 1000);
	ck_assert_int_eq(num(jo, "padding_bytes"), 3096);
}
END_TEST

START_TEST(json_pseudo_file_says_so)
{
	rec.pseudo = true;
	rec.bytes = 3;
	tojson();
	ck_assert(json_is_true(json_object_get(jo, "pseudo")));
	ck_assert_int_eq(num(jo, "bytes"), 3);
}
END_TEST

/* ------------------------------------------------------------- shape */

/* The fullest record custody writes (every optional member, four digests,
 * a second stat) is well inside the shape verify and show accept. */
START_TEST(the_fullest_record_has_a_record_shape)
{
	struct cust_jw w = { 0 };

	st.st_mode = S_IFCHR | 0600;
	rec.stored = "data/etc/passwd";
	rec.link_of = "data/etc/other";
	rec.reason = "a reason, with {brackets}: [and] \"quotes\"";
	rec.artefact = "m.yaml:1";
	rec.bytes = 5;
	rec.target = "t";
	rec.targetlen = 1;
	rec.magic = "ASCII text";
	rec.atime_updated = true;
	rec.pseudo = true;
	rec.padded = true;
	rec.bytes_read = 2;
	rec.btime.tv_sec = 1;
	rec.after = &after;
	for (int i = 0; i < 4; i++)
		rec.hex[i] = MD5HEX;
	ck_assert_int_eq(cust_record_write(&rec, &w), CUST_OK);
	ck_assert_ptr_null(cust_record_absurd(w.p, w.n));
	cust_jw_free(&w);
}
END_TEST

#define DEEP3	"{\"a\":{\"b\":{\"c\":0}}}"
#define DEEP4	"{\"a\":{\"b\":{\"c\":[0]}}}"

/* A line packed with values, or nested deeper than a record, is refused
 * by the scan; commas, colons and brackets inside strings do not count. */
START_TEST(dense_or_deep_lines_are_not_records)
{
	size_t n = 3 + 2 * 299;		/* "[0" ",0" x 299 "]" */
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, "[0", 2);
	for (size_t i = 0; i < 299; i++)
		memcpy(p + 2 + 2 * i, ",0", 2);
	memcpy(p + n - 1, "]", 2);
	ck_assert_str_eq(cust_record_absurd(p, n), "more JSON values than a "
	    "record holds");
	/* The array and 255 items, 256 values, pass; one more does not. */
	ck_assert_ptr_null(cust_record_absurd(p, 2 + 2 * 254));
	ck_assert_ptr_nonnull(cust_record_absurd(p, 2 + 2 * 255));
	ck_assert_str_eq(cust_record_absurd(DEEP4, strlen(DEEP4)),
	    "nested deeper than a record");
	ck_assert_ptr_null(cust_record_absurd(DEEP3, strlen(DEEP3)));
	memset(p, ',', n);
	p[0] = '"';
	p[n - 1] = '"';
	ck_assert_ptr_null(cust_record_absurd(p, n));
	p[n / 2] = '\\';
	p[n / 2 + 1] = '"';
	ck_assert_ptr_null(cust_record_absurd(p, n));
	free(p);
}
END_TEST

/* ----------------------------------------------------------- bodyfile */

/* The spool's text, NUL-terminated, owned by the caller. */
static char *
spooltext(void)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t k;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(cust_spool_rewind(sp), CUST_OK);
	while ((k = cust_spool_read(sp, buf + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	ck_assert_int_eq(k, 0);
	buf[n] = '\0';
	return buf;
}

/* The one bodyfile line of rec, without its newline. */
static char *
bodyline(void)
{
	char *t;
	size_t n;

	ck_assert_int_eq(cust_record_bodyfile(&rec, sp), CUST_OK);
	t = spooltext();
	n = strlen(t);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(t[n - 1], '\n');
	t[n - 1] = '\0';
	ck_assert_msg(strchr(t, '\n') == NULL, "more than one line: %s", t);
	return t;
}

/* Field I (0-based) of a bodyfile LINE, in a static buffer. */
static const char *
field(const char *line, int i)
{
	static char buf[1024];
	const char *p = line, *e;
	int nf = 1;

	for (e = line; *e != '\0'; e++)
		nf += *e == '|';
	ck_assert_msg(nf == 11, "%d fields in \"%s\"", nf, line);
	while (i-- > 0)
		p = strchr(p, '|') + 1;
	e = strchr(p, '|');
	if (e == NULL)
		e = p + strlen(p);
	ck_assert_uint_lt((size_t)(e - p), sizeof(buf));
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
	return buf;
}

START_TEST(bodyfile_regular_file_line)
{
	char *l;

	rec.hex[3] = MD5HEX;
	rec.btime.tv_sec = 1300000000;
	l = bodyline();
	ck_assert_str_eq(l, MD5HEX "|/etc/passwd|12|r/rrw-r--r--|1000|100|5|"
	    "1700000000|0|1000000000|1300000000");
	free(l);
}
END_TEST

START_TEST(bodyfile_md5_is_zero_without_md5)
{
	char *l;

	rec.hex[0] = SHA256HEX;
	rec.hex[2] = SHA1HEX;
	l = bodyline();
	ck_assert_str_eq(field(l, 0), "0");
	free(l);
}
END_TEST

START_TEST(bodyfile_unknown_btime_is_zero)
{
	char *l = bodyline();

	ck_assert_str_eq(field(l, 10), "0");
	ck_assert_str_eq(field(l, 7), "1700000000");
	ck_assert_str_eq(field(l, 8), "0");
	ck_assert_str_eq(field(l, 9), "1000000000");
	free(l);
}
END_TEST

/* Raw names and their bodyfile spelling: the stored-name escape, and '|'
 * (the field separator) as ^7C. */
static const struct {
	const char	*raw;
	size_t		 n;
	const char	*want;
} bodynames[] = {
	{ "/a|b", 4, "/a^7Cb" },
	{ "/a||", 4, "/a^7C^7C" },
	{ "/a^7Cb", 6, "/a^5E7Cb" },
	{ "/new\nline", 9, "/new^0Aline" },
	{ "/cr\r", 4, "/cr^0D" },
	{ "/\xff", 2, "/^FF" },
	{ "/%", 2, "/^25" },
	{ "/caf\xc3\xa9 x", 8, "/caf\xc3\xa9 x" },
	{ "/nul\0x", 6, "/nul^00x" },
};

START_TEST(bodyfile_escapes_name)
{
	char *l;

	rec.path = bodynames[_i].raw;
	rec.pathlen = bodynames[_i].n;
	l = bodyline();
	ck_assert_str_eq(field(l, 1), bodynames[_i].want);
	ck_assert_str_eq(field(l, 2), "12");
	free(l);
}
END_TEST

START_TEST(bodyfile_symlink_shows_target)
{
	char *l;

	st.st_mode = S_IFLNK | 0777;
	rec.path = "/etc/localtime";
	rec.pathlen = strlen(rec.path);
	rec.target = "/usr/share/zoneinfo/Etc/UTC";
	rec.targetlen = strlen(rec.target);
	l = bodyline();
	ck_assert_str_eq(field(l, 1),
	    "/etc/localtime -> /usr/share/zoneinfo/Etc/UTC");
	ck_assert_str_eq(field(l, 3), "l/lrwxrwxrwx");
	free(l);
}
END_TEST

START_TEST(bodyfile_symlink_target_is_escaped)
{
	char *l;

	st.st_mode = S_IFLNK | 0777;
	rec.path = "/l";
	rec.pathlen = 2;
	rec.target = "a|b\n\xff";
	rec.targetlen = 5;
	l = bodyline();
	ck_assert_str_eq(field(l, 1), "/l -> a^7Cb^0A^FF");
	free(l);
}
END_TEST

static const struct {
	mode_t		 mode;
	const char	*want;
} tskmodes[] = {
	{ S_IFREG | 0644, "r/rrw-r--r--" },
	{ S_IFDIR | 0755, "d/drwxr-xr-x" },
	{ S_IFLNK | 0777, "l/lrwxrwxrwx" },
	{ S_IFREG | 04755, "r/rrwsr-xr-x" },
	{ S_IFREG | 04644, "r/rrwSr--r--" },
	{ S_IFREG | 02755, "r/rrwxr-sr-x" },
	{ S_IFREG | 02745, "r/rrwxr-Sr-x" },
	{ S_IFDIR | 01777, "d/drwxrwxrwt" },
	{ S_IFDIR | 01770, "d/drwxrwx--T" },
	{ S_IFREG | 0, "r/r---------" },
	{ S_IFREG | 07777, "r/rrwsrwsrwt" },
	{ S_IFIFO | 0600, "p/prw-------" },
	{ S_IFCHR | 0666, "c/crw-rw-rw-" },
	{ S_IFBLK | 0660, "b/brw-rw----" },
};

START_TEST(bodyfile_mode_strings)
{
	char *l;

	st.st_mode = tskmodes[_i].mode;
	l = bodyline();
	ck_assert_str_eq(field(l, 3), tskmodes[_i].want);
	free(l);
}
END_TEST

START_TEST(bodyfile_permissions_match_stat_on_real_files)
{
	static const mode_t perms[] = { 0644, 0755, 04755, 04644, 02755,
	    02745, 01777, 01770, 0, 07777, 0421, 06711 };
	char path[128], cmd[256], want[32], *l;
	struct stat real;
	FILE *f;

	snprintf(path, sizeof(path), "%s/f", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(fclose(f), 0);
	for (size_t i = 0; i < NELEM(perms); i++) {
		ck_assert_int_eq(chmod(path, perms[i]), 0);
		ck_assert_int_eq(lstat(path, &real), 0);
		ck_assert_uint_eq(real.st_mode & 07777, perms[i]);
		snprintf(cmd, sizeof(cmd), "stat -c %%A '%s'", path);
		ck_assert_ptr_nonnull(f = popen(cmd, "r"));
		ck_assert_ptr_nonnull(fgets(want, sizeof(want), f));
		ck_assert_int_eq(pclose(f), 0);
		want[strcspn(want, "\n")] = '\0';
		ck_assert_uint_eq(strlen(want), 10);
		rec.st = &real;
		l = bodyline();
		/* "-rwsr-xr-x" from ls/stat is "r/rrwsr-xr-x" in TSK. */
		ck_assert_str_eq(field(l, 3) + 3, want + 1);
		ck_assert_int_eq(field(l, 3)[0], 'r');
		free(l);
		cust_spool_free(sp);
		ck_assert_int_eq(cust_spool_new(ctx, -1, "body", &sp),
		    CUST_OK);
	}
}
END_TEST

START_TEST(bodyfile_lines_accumulate)
{
	char *t;

	ck_assert_int_eq(cust_record_bodyfile(&rec, sp), CUST_OK);
	rec.path = "/etc/group";
	rec.pathlen = strlen(rec.path);
	ck_assert_int_eq(cust_record_bodyfile(&rec, sp), CUST_OK);
	t = spooltext();
	ck_assert_str_eq(t,
	    "0|/etc/passwd|12|r/rrw-r--r--|1000|100|5|1700000000|0|1000000000|0\n"
	    "0|/etc/group|12|r/rrw-r--r--|1000|100|5|1700000000|0|1000000000|0\n");
	free(t);
}
END_TEST

/* Run mactime(1) on the bodyfile text T; its output, owned. */
static char *
mactime(const char *t)
{
	char path[128], cmd[256], *out = calloc(1, 8192);
	size_t n;
	FILE *f;

	ck_assert_ptr_nonnull(out);
	snprintf(path, sizeof(path), "%s/body.txt", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_ge(fputs(t, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "mactime -b '%s' -d -y -z UTC", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	n = fread(out, 1, 8191, f);
	out[n] = '\0';
	ck_assert_msg(pclose(f) == 0, "mactime failed (is sleuthkit "
	    "installed?)");
	return out;
}

START_TEST(bodyfile_is_read_by_mactime)
{
	char *t, *out;

	st.st_atim.tv_sec = 1000000000;
	st.st_mtim.tv_sec = 1100000000;
	st.st_ctim.tv_sec = 1200000000;
	rec.btime.tv_sec = 1300000000;
	rec.path = "/a b|c";
	rec.pathlen = strlen(rec.path);
	rec.hex[3] = MD5HEX;
	ck_assert_int_eq(cust_record_bodyfile(&rec, sp), CUST_OK);
	t = spooltext();
	out = mactime(t);
	ck_assert_str_eq(out,
	    "Date,Size,Type,Mode,UID,GID,Meta,File Name\n"
	    "2001-09-09T01:46:40Z,5,.a..,r/rrw-r--r--,1000,100,12,\"/a b^7Cc\"\n"
	    "2004-11-09T11:33:20Z,5,m...,r/rrw-r--r--,1000,100,12,\"/a b^7Cc\"\n"
	    "2008-01-10T21:20:00Z,5,..c.,r/rrw-r--r--,1000,100,12,\"/a b^7Cc\"\n"
	    "2011-03-13T07:06:40Z,5,...b,r/rrw-r--r--,1000,100,12,"
	    "\"/a b^7Cc\"\n");
	free(out);
	free(t);
}
END_TEST

/* A zero time means "unknown" in a body file; mactime lists it at
 * 0000-00-00, as it does for fls(1) output from ext3. */
START_TEST(bodyfile_without_btime_gives_no_dated_birth_event)
{
	char *t, *out;

	st.st_atim.tv_sec = 1000000000;
	st.st_mtim.tv_sec = 1000000000;
	st.st_ctim.tv_sec = 1200000000;
	ck_assert_int_eq(cust_record_bodyfile(&rec, sp), CUST_OK);
	t = spooltext();
	out = mactime(t);
	ck_assert_str_eq(out,
	    "Date,Size,Type,Mode,UID,GID,Meta,File Name\n"
	    "0000-00-00T00:00:00Z,5,...b,r/rrw-r--r--,1000,100,12,"
	    "\"/etc/passwd\"\n"
	    "2001-09-09T01:46:40Z,5,ma..,r/rrw-r--r--,1000,100,12,"
	    "\"/etc/passwd\"\n"
	    "2008-01-10T21:20:00Z,5,..c.,r/rrw-r--r--,1000,100,12,"
	    "\"/etc/passwd\"\n");
	free(out);
	free(t);
}
END_TEST

/* ------------------------------------------------------------- pinned */

/* Exact files.jsonl and bodyfile bytes for crafted metadata at the edges. */
struct pin {
	mode_t		 mode;
	dev_t		 rdev;
	off_t		 size;
	uid_t		 uid;
	gid_t		 gid;
	nlink_t		 nlink;
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 a, m, c, b;
	const char	*path;
	bool		 changed;	/* with an "after" stat */
	const char	*json;
	const char	*body;
};

#define NS	999999999L
#define SMAX	((time_t)INT64_MAX)
#define SMIN	((time_t)INT64_MIN)

static const struct pin pins[] = {
	/* Before the epoch, the last nanosecond, btime unknown. */
	{ S_IFREG | 0644, 0, 0, 0, 0, 1, 2049, 12, { -1, NS }, { -86400, 0 },
	    { -1, 0 }, { -1, 0 }, "/etc/passwd", false,
	    "{\"path\":\"/etc/passwd\",\"type\":\"file\",\"status\":\"ok\","
	    "\"size\":0,\"mode\":\"0644\",\"uid\":0,\"gid\":0,\"nlink\":1,"
	    "\"dev\":2049,\"ino\":12,\"atime\":\"1969-12-31T23:59:59.999999999"
	    "Z\",\"mtime\":\"1969-12-31T00:00:00.000000000Z\","
	    "\"ctime\":\"1969-12-31T23:59:59.000000000Z\",\"bytes\":0,"
	    "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
	    "900150983cd24fb0d6963f7d28e17f72|/etc/passwd|12|r/rrw-r--r--|0|0|"
	    "0|-1|-86400|-1|0" },
	/* The largest ids, size and counters; btime 0 is known. */
	{ S_IFREG | 07777, 0, INT64_MAX, UINT32_MAX, UINT32_MAX - 1,
	    UINT64_MAX, UINT64_MAX, UINT64_MAX, { 0, 0 }, { 0, 1 },
	    { 1, NS }, { 0, 0 }, "/a\"b\\c\x01\x1f\x7f \xc3\xa9|x", true,
	    "{\"path\":\"/a\\\"b\\\\c\\u0001\\u001f\177 \303\251|x\","
	    "\"type\":\"file\",\"status\":\"changed\","
	    "\"size\":9223372036854775807,\"mode\":\"7777\","
	    "\"uid\":4294967295,\"gid\":4294967294,\"nlink\":-1,\"dev\":-1,"
	    "\"ino\":-1,\"atime\":\"1970-01-01T00:00:00.000000000Z\","
	    "\"mtime\":\"1970-01-01T00:00:00.000000001Z\","
	    "\"ctime\":\"1970-01-01T00:00:01.999999999Z\","
	    "\"btime\":\"1970-01-01T00:00:00.000000000Z\","
	    "\"bytes\":9223372036854775807,\"md5\":\"900150983cd24fb0d6963f7d2"
	    "8e17f72\",\"after\":{\"size\":9223372036854775806,"
	    "\"mode\":\"7777\",\"uid\":4294967295,\"gid\":4294967294,"
	    "\"nlink\":-1,\"dev\":-1,\"ino\":-1,\"atime\":\"1970-01-01T00:00:0"
	    "0.000000000Z\",\"mtime\":\"1970-01-01T00:00:01.999999999Z\","
	    "\"ctime\":\"1970-01-01T00:00:00.000000000Z\"}}",
	    "900150983cd24fb0d6963f7d28e17f72|/a\"b\\c^01^1F^7F \303\251^7Cx|"
	    "18446744073709551615|r/rrwsrwsrwt|4294967295|4294967294|"
	    "9223372036854775807|0|0|1|0" },
	/* Devices, rdev up to the largest; leap days; 9999's last instant. */
	{ S_IFBLK | 0660, 0x10300010007, 0, 6, 6, 1, 5, 300,
	    { 1700000000, 123456789 }, { 1700000000, 0 }, { 1700000000, 5 },
	    { 1300000000, 5 }, "/dev/sda", false,
	    "{\"path\":\"/dev/sda\",\"type\":\"block\",\"status\":\"ok\","
	    "\"size\":0,\"mode\":\"0660\",\"uid\":6,\"gid\":6,\"nlink\":1,"
	    "\"dev\":5,\"ino\":300,\"rdev\":\"256:271581191\","
	    "\"atime\":\"2023-11-14T22:13:20.123456789Z\","
	    "\"mtime\":\"2023-11-14T22:13:20.000000000Z\","
	    "\"ctime\":\"2023-11-14T22:13:20.000000005Z\","
	    "\"btime\":\"2011-03-13T07:06:40.000000005Z\",\"bytes\":0,"
	    "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
	    "900150983cd24fb0d6963f7d28e17f72|/dev/sda|300|b/brw-rw----|6|6|0|"
	    "1700000000|1700000000|1700000000|1300000000" },
	{ S_IFCHR | 0666, UINT64_MAX, 0, 0, 5, 1, 5, 301, { 951782400, 0 },
	    { 951868799, NS }, { 4107542400, 0 }, { 253402300799, NS },
	    "/dev/null", true,
	    "{\"path\":\"/dev/null\",\"type\":\"char\",\"status\":\"changed\","
	    "\"size\":0,\"mode\":\"0666\",\"uid\":0,\"gid\":5,\"nlink\":1,"
	    "\"dev\":5,\"ino\":301,\"rdev\":\"4294967295:4294967295\","
	    "\"atime\":\"2000-02-29T00:00:00.000000000Z\","
	    "\"mtime\":\"2000-02-29T23:59:59.999999999Z\","
	    "\"ctime\":\"2100-03-01T00:00:00.000000000Z\","
	    "\"btime\":\"9999-12-31T23:59:59.999999999Z\",\"bytes\":0,"
	    "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\","
	    "\"after\":{\"size\":1,\"mode\":\"0666\",\"uid\":0,\"gid\":5,"
	    "\"nlink\":1,\"dev\":5,\"ino\":301,\"rdev\":\"4294967295:429496729"
	    "5\",\"atime\":\"2000-02-29T00:00:00.000000000Z\","
	    "\"mtime\":\"2100-03-01T00:00:00.000000000Z\","
	    "\"ctime\":\"2000-02-29T00:00:00.000000000Z\"}}",
	    "900150983cd24fb0d6963f7d28e17f72|/dev/null|301|c/crw-rw-rw-|0|5|"
	    "0|951782400|951868799|4107542400|253402300799" },
	/* Years 0000 and 9999, and just outside them. */
	{ S_IFDIR | 01777, 0, 4096, 0, 0, 2, 1, 2, { -62167219200, 0 },
	    { -62167219201, NS }, { 253402300800, 0 }, { -2, 0 }, "/tmp",
	    false,
	    "{\"path\":\"/tmp\",\"type\":\"dir\",\"status\":\"ok\","
	    "\"size\":4096,\"mode\":\"1777\",\"uid\":0,\"gid\":0,\"nlink\":2,"
	    "\"dev\":1,\"ino\":2,\"atime\":\"0000-01-01T00:00:00.000000000Z\","
	    "\"mtime\":\"-0001-12-31T23:59:59.999999999Z\","
	    "\"ctime\":\"+10000-01-01T00:00:00.000000000Z\",\"bytes\":4096,"
	    "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
	    "900150983cd24fb0d6963f7d28e17f72|/tmp|2|d/drwxrwxrwt|0|0|4096|"
	    "-62167219200|-62167219201|253402300800|0" },
	/* The ends of what a struct tm holds; int64 extremes. */
	{ S_IFLNK | 0777, 0, 7, 1, 1, 1, 1, 3, { SMAX, NS }, { SMIN, 0 },
	    { -67768040609740800, 0 }, { SMIN, 0 }, "/l", true,
	    "{\"path\":\"/l\",\"type\":\"symlink\",\"status\":\"changed\","
	    "\"size\":7,\"mode\":\"0777\",\"uid\":1,\"gid\":1,\"nlink\":1,"
	    "\"dev\":1,\"ino\":3,\"atime\":\"invalid\",\"mtime\":\"invalid\","
	    "\"ctime\":\"-2147481748-01-01T00:00:00.000000000Z\",\"bytes\":7,"
	    "\"target\":\"t|\\u000a\",\"md5\":\"900150983cd24fb0d6963f7d28e17f"
	    "72\",\"after\":{\"size\":6,\"mode\":\"0777\",\"uid\":1,\"gid\":1,"
	    "\"nlink\":1,\"dev\":1,\"ino\":3,\"atime\":\"invalid\","
	    "\"mtime\":\"-2147481748-01-01T00:00:00.000000000Z\","
	    "\"ctime\":\"invalid\"}}",
	    "900150983cd24fb0d6963f7d28e17f72|/l -> t^7C^0A|3|l/lrwxrwxrwx|1|"
	    "1|7|9223372036854775807|-9223372036854775808|"
	    "-67768040609740800|0" },
	{ S_IFIFO | 0600, 0, INT64_MIN, 1, 1, 0, 0, 0,
	    { 67768036191676799, 0 }, { 67768036191676800, 0 },
	    { -67768040609740801, 0 }, { 67768036191676799, 1 }, "/\xff",
	    false,
	    "{\"path_b64\":\"L/8=\",\"type\":\"fifo\",\"status\":\"ok\","
	    "\"size\":-9223372036854775808,\"mode\":\"0600\",\"uid\":1,"
	    "\"gid\":1,\"nlink\":0,\"dev\":0,\"ino\":0,"
	    "\"atime\":\"+2147485547-12-31T23:59:59.000000000Z\","
	    "\"mtime\":\"invalid\",\"ctime\":\"invalid\","
	    "\"btime\":\"+2147485547-12-31T23:59:59.000000001Z\","
	    "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
	    "900150983cd24fb0d6963f7d28e17f72|/^FF|0|p/prw-------|1|1|"
	    "-9223372036854775808|67768036191676799|67768036191676800|"
	    "-67768040609740801|67768036191676799" },
};

static void
pinned(const struct pin *p)
{
	st.st_mode = p->mode;
	st.st_rdev = p->rdev;
	st.st_size = p->size;
	st.st_uid = p->uid;
	st.st_gid = p->gid;
	st.st_nlink = p->nlink;
	st.st_dev = p->dev;
	st.st_ino = p->ino;
	st.st_atim = p->a;
	st.st_mtim = p->m;
	st.st_ctim = p->c;
	rec.btime = p->b;
	rec.path = p->path;
	rec.pathlen = strlen(p->path);
	rec.bytes = p->size < 0 ? -1 : p->size;
	if (S_ISLNK(p->mode)) {
		rec.target = "t|\n";
		rec.targetlen = 3;
	}
	if (p->changed) {
		after = st;
		after.st_size = p->size ^ 1;
		after.st_mtim = p->c;
		after.st_ctim = p->a;
		rec.after = &after;
		rec.status = CUST_ST_CHANGED;
	}
}

START_TEST(record_bytes_are_pinned)
{
	const struct pin *p = &pins[_i];
	struct cust_jw w = { 0 };
	char *l;

	pinned(p);
	rec.hex[3] = MD5HEX;
	ck_assert_int_eq(cust_record_write(&rec, &w), CUST_OK);
	l = bodyline();
	ck_assert_str_eq(w.p, p->json);
	ck_assert_uint_eq(w.n, strlen(p->json));
	ck_assert_str_eq(l, p->body);
	cust_jw_free(&w);
	free(l);
}
END_TEST

/* The writer's keys and times, written in place, against the spelling
 * of the general path: a key to escape, an invalid time, a first member
 * and the ones after it. */
START_TEST(writer_keys_and_times_in_place)
{
	struct timespec t = { 1, 5 }, bad = { INT64_MAX, 0 };
	struct cust_jw w = { 0 };

	cust_jw_open(&w);
	cust_jw_time(&w, "t", &t);
	cust_jw_int(&w, "a\"b", 7);
	cust_jw_time(&w, "x", &bad);
	cust_jw_key(&w, "o");
	cust_jw_open(&w);
	cust_jw_time(&w, "first", &t);
	cust_jw_close(&w);
	cust_jw_close(&w);
	ck_assert(!w.oom);
	ck_assert_str_eq(w.p, "{\"t\":\"1970-01-01T00:00:01.000000005Z\","
	    "\"a\\\"b\":7,\"x\":\"invalid\","
	    "\"o\":{\"first\":\"1970-01-01T00:00:01.000000005Z\"}}");
	ck_assert_uint_eq(w.n, strlen(w.p));
	cust_jw_free(&w);
}
END_TEST

/* RFC 8259's escape of one byte, as a reference for the writer. */
static size_t
ref_escape(unsigned char c, char *out)
{
	if (c == '"' || c == '\\')
		return (size_t)sprintf(out, "\\%c", c);
	if (c < 0x20)
		return (size_t)sprintf(out, "\\u%04x", c);
	out[0] = (char)c;
	return 1;
}

/* One byte to escape, or a neighbour that is not, at every place of a
 * string longer than the writer's eight-byte steps. */
START_TEST(writer_escapes_a_byte_anywhere)
{
	static const unsigned char odd[] = { '"', '\\', '\n', 0x00, 0x1f,
	    0x20, 0x21, 0x5b, 0x5d, 0x7f, 0xc3 };
	char s[21], want[4 * 21 + 8];
	struct cust_jw w = { 0 };
	size_t k;

	for (size_t at = 0; at < sizeof(s); at++)
		for (size_t j = 0; j < sizeof(odd); j++) {
			memset(s, 'a', sizeof(s));
			s[at] = (char)odd[j];
			k = 0;
			want[k++] = '"';
			for (size_t i = 0; i < sizeof(s); i++)
				k += ref_escape((unsigned char)s[i], want + k);
			want[k++] = '"';
			want[k] = '\0';
			cust_jw_reset(&w);
			cust_jw_strn(&w, s, sizeof(s));
			ck_assert_str_eq(w.p, want);
		}
	cust_jw_free(&w);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("record");
	TCase *js = tcase_create("json");
	TCase *body = tcase_create("bodyfile");
	TCase *pin = tcase_create("pinned");

	tcase_add_checked_fixture(js, setup, teardown);
	tcase_set_timeout(js, 30);
	tcase_add_test(js, json_regular_file_has_every_field);
	tcase_add_test(js, json_times_are_rfc3339_utc_nanoseconds);
	tcase_add_test(js, json_btime_absent_when_unknown);
	tcase_add_test(js, json_btime_present_when_known);
	tcase_add_test(js, json_time_before_epoch);
	tcase_add_loop_test(js, json_non_utf8_path_is_base64, 0,
	    (int)NELEM(b64paths));
	tcase_add_test(js, json_long_non_utf8_path_matches_coreutils_base64);
	tcase_add_test(js, json_utf8_path_is_kept_as_text);
	tcase_add_test(js, json_mode_is_four_octal_digits);
	tcase_add_loop_test(js, type_name_for_each_file_type, 0,
	    (int)NELEM(types));
	tcase_add_test(js, type_name_unknown_for_other_modes);
	tcase_add_test(js, json_unknown_stat_has_no_metadata);
	tcase_add_test(js, json_non_utf8_reason_is_base64);
	tcase_add_test(js, json_devices_have_rdev);
	tcase_add_test(js, json_symlink_target_text_or_base64);
	tcase_add_test(js, json_digests_by_algorithm_name);
	tcase_add_test(js, json_magic_only_when_utf8);
	tcase_add_test(js, json_after_holds_second_stat);
	tcase_add_test(js, json_short_read_says_where_padding_starts);
	tcase_add_test(js, json_pseudo_file_says_so);
	tcase_add_test(js, the_fullest_record_has_a_record_shape);
	tcase_add_test(js, writer_keys_and_times_in_place);
	tcase_add_test(js, writer_escapes_a_byte_anywhere);
	tcase_add_test(js, dense_or_deep_lines_are_not_records);
	suite_add_tcase(s, js);

	tcase_add_checked_fixture(body, setup, teardown);
	tcase_set_timeout(body, 30);
	tcase_add_test(body, bodyfile_regular_file_line);
	tcase_add_test(body, bodyfile_md5_is_zero_without_md5);
	tcase_add_test(body, bodyfile_unknown_btime_is_zero);
	tcase_add_loop_test(body, bodyfile_escapes_name, 0,
	    (int)NELEM(bodynames));
	tcase_add_test(body, bodyfile_symlink_shows_target);
	tcase_add_test(body, bodyfile_symlink_target_is_escaped);
	tcase_add_loop_test(body, bodyfile_mode_strings, 0,
	    (int)NELEM(tskmodes));
	tcase_add_test(body, bodyfile_permissions_match_stat_on_real_files);
	tcase_add_test(body, bodyfile_lines_accumulate);
	tcase_add_test(body, bodyfile_is_read_by_mactime);
	tcase_add_test(body,
	    bodyfile_without_btime_gives_no_dated_birth_event);
	suite_add_tcase(s, body);

	tcase_add_checked_fixture(pin, setup, teardown);
	tcase_add_loop_test(pin, record_bytes_are_pinned, 0, (int)NELEM(pins));
	suite_add_tcase(s, pin);
	return s;
}

