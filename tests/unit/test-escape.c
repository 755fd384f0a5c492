/*
 * test-escape.c: stored names and UTF-8 validation.  Known cases first,
 * then properties over many seeded random byte strings, checked against a
 * validator written here from the Unicode standard's table of well-formed
 * byte sequences (Table 3-7) and against an escaper written in Python on top
 * of Python's own strict UTF-8 decoder.  cust_unescape must take back only
 * the canonical spelling of each name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "base/base.h"
#include "harness.h"

#define S(lit)	(lit), sizeof(lit) - 1		/* bytes, length */


static void
setup(void)
{
	scratch_make();
}

static void
teardown(void)
{
	scratch_remove();
}

/* ----------------------------------------------------- reference code */

/*
 * Length of the well-formed sequence at S per Unicode Table 3-7, or 0.
 * Each lead byte gives the length and the range of the second byte; all
 * later bytes are 80..BF.
 */
static size_t
refseq(const unsigned char *s, size_t n)
{
	static const struct {
		unsigned char lo, hi, len, lo2, hi2;
	} t[] = {
		{ 0x00, 0x7f, 1, 0, 0 },
		{ 0xc2, 0xdf, 2, 0x80, 0xbf },
		{ 0xe0, 0xe0, 3, 0xa0, 0xbf },
		{ 0xe1, 0xec, 3, 0x80, 0xbf },
		{ 0xed, 0xed, 3, 0x80, 0x9f },
		{ 0xee, 0xef, 3, 0x80, 0xbf },
		{ 0xf0, 0xf0, 4, 0x90, 0xbf },
		{ 0xf1, 0xf3, 4, 0x80, 0xbf },
		{ 0xf4, 0xf4, 4, 0x80, 0x8f },
	};

	for (size_t i = 0; i < NELEM(t); i++) {
		if (s[0] < t[i].lo || s[0] > t[i].hi)
			continue;
		if (t[i].len > n)
			return 0;
		if (t[i].len == 1)
			return 1;
		if (s[1] < t[i].lo2 || s[1] > t[i].hi2)
			return 0;
		for (size_t j = 2; j < t[i].len; j++)
			if (s[j] < 0x80 || s[j] > 0xbf)
				return 0;
		return t[i].len;
	}
	return 0;
}

static bool
refvalid(const unsigned char *s, size_t n)
{
	size_t k;

	for (; n > 0; s += k, n -= k)
		if ((k = refseq(s, n)) == 0)
			return false;
	return true;
}

/* No byte that a stored name must escape: C0, DEL, '%', '^'. */
static bool
refplain(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '%' || s[i] == '^')
			return false;
	return true;
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

/* Append code point CP as UTF-8. */
static size_t
utf8(unsigned cp, unsigned char *o)
{
	if (cp < 0x80)
		return o[0] = (unsigned char)cp, 1;
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A random name of up to 12 pieces in O (room for 48 bytes): plain ASCII,
 * bytes that must be escaped, valid multi-byte characters, stray high
 * bytes and sequences that are nearly UTF-8.
 */
static size_t
randname(unsigned char *o)
{
	/* sizeof counts the terminator, so NUL is one of them. */
	static const char special[] = "%^\n\r\t\x1b\x7f|\\/ ";
	static const char *const tricky[] = { "\xc0\x80", "\xc1\xbf",
	    "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
	    "\xed\x9f\xbf", "\xee\x80\x80", "\xf0\x8f\xbf\xbf",
	    "\xf4\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xf5\x80\x80\x80",
	    "\xe2\x82", "\xf0\x9f\x98", "\xc3", "\xef\xbf\xbf", "\xc2\x80" };
	size_t n = 0, pieces = rnd(13);
	unsigned r, cp;

	for (size_t i = 0; i < pieces; i++) {
		r = rnd(100);
		if (r < 30)
			o[n++] = (unsigned char)(0x20 + rnd(0x5f));
		else if (r < 40)
			o[n++] = (unsigned char)special[rnd(sizeof(special))];
		else if (r < 65) {
			do {
				cp = rnd(3) == 0 ? 0x80 + rnd(0x780) :
				    rnd(2) ? 0x800 + rnd(0xf800) :
				    0x10000 + rnd(0x100000);
			} while (cp >= 0xd800 && cp <= 0xdfff);
			n += utf8(cp, o + n);
		} else if (r < 80)
			o[n++] = (unsigned char)(0x80 + rnd(0x80));
		else if (r < 90) {
			const char *t = tricky[rnd(NELEM(tricky))];

			memcpy(o + n, t, strlen(t));
			n += strlen(t);
		} else
			o[n++] = (unsigned char)rnd(256);
	}
	return n;
}

/* Escape N bytes of RAW, checking the length out and the terminator. */
static char *
esc(const void *raw, size_t n, size_t *lenp)
{
	char *e = cust_escape(raw, n, lenp);

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(strlen(e), *lenp);
	return e;
}

/* ---------------------------------------------------------- known cases */

static const struct {
	const char	*raw;
	size_t		 n;
	const char	*want;
} escapes[] = {
	{ S("plain/path.txt"), "plain/path.txt" },
	{ S(""), "" },
	{ S("%"), "^25" },
	{ S("^"), "^5E" },
	{ S("100%^x"), "100^25^5Ex" },
	{ S("a\nb"), "a^0Ab" },
	{ S("\r\n"), "^0D^0A" },
	{ S("\t\x1b\x01\x1f"), "^09^1B^01^1F" },
	{ S("\x7f"), "^7F" },
	{ S("a\0b"), "a^00b" },
	{ S("\xff\xfe"), "^FF^FE" },
	{ S("\x80"), "^80" },
	{ S("caf\xc3\xa9"), "caf\xc3\xa9" },
	{ S("\xe2\x82\xac \xf0\x9f\x98\x80"), "\xe2\x82\xac \xf0\x9f\x98\x80" },
	{ S("\xc2\x80\xc2\x9f"), "\xc2\x80\xc2\x9f" },	/* C1: not C0 */
	{ S("\xef\xbb\xbf"), "\xef\xbb\xbf" },
	{ S("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf" },
	{ S("\xc0\x80"), "^C0^80" },
	{ S("\xc0\xaf"), "^C0^AF" },
	{ S("\xe0\x80\xaf"), "^E0^80^AF" },
	{ S("\xed\xa0\x80"), "^ED^A0^80" },
	{ S("\xf4\x90\x80\x80"), "^F4^90^80^80" },
	{ S("\xf8\x88\x80\x80\x80"), "^F8^88^80^80^80" },
	{ S("\xe2\x82"), "^E2^82" },
	{ S("\xe2\x82" "A"), "^E2^82A" },
	{ S("\xc3\xa9\xc3"), "\xc3\xa9^C3" },
	{ S("\xe2\xe2\x82\xac"), "^E2\xe2\x82\xac" },
	{ S("back\\slash|pipe ~"), "back\\slash|pipe ~" },
};

START_TEST(escape_known_cases)
{
	size_t len;
	char *e = esc(escapes[_i].raw, escapes[_i].n, &len);

	ck_assert_str_eq(e, escapes[_i].want);
	/* Nothing to escape exactly when the name comes back as it was. */
	ck_assert(cust_escape_none(escapes[_i].raw, escapes[_i].n) ==
	    (len == escapes[_i].n && memcmp(e, escapes[_i].raw, len) == 0));
	free(e);
}
END_TEST

START_TEST(escape_accepts_null_length_pointer)
{
	char *e = cust_escape("a%b", 3, NULL);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "a^25b");
	free(e);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 n;
	const char	*raw;
	size_t		 rawlen;
} unescapes[] = {
	{ S("^25"), S("%") },
	{ S("^5E"), S("^") },
	{ S("^00"), S("\0") },
	{ S("a^0Ab"), S("a\nb") },
	{ S("^FF"), S("\xff") },
	{ S("^C3"), S("\xc3") },
	{ S("^E2^82A"), S("\xe2\x82" "A") },
	{ S("caf\xc3\xa9"), S("caf\xc3\xa9") },
	{ S(""), S("") },
	{ S("back\\slash|"), S("back\\slash|") },
};

START_TEST(unescape_known_cases)
{
	char *out;
	size_t len;

	ck_assert_int_eq(cust_unescape(unescapes[_i].in, unescapes[_i].n,
	    &out, &len), 0);
	ck_assert_uint_eq(len, unescapes[_i].rawlen);
	ck_assert_mem_eq(out, unescapes[_i].raw, len);
	ck_assert_int_eq(out[len], '\0');
	free(out);
}
END_TEST

/* Not canonical: each must be refused. */
static const struct {
	const char	*in;
	size_t		 n;
} noncanon[] = {
	{ S("^0a") },			/* lowercase hex */
	{ S("^ff") },
	{ S("^4A") },			/* 'J' needs no escape */
	{ S("^20") },			/* nor does a space */
	{ S("^2F") },			/* nor '/' */
	{ S("^C3^A9") },		/* nor valid UTF-8 */
	{ S("^") },			/* lone */
	{ S("a^") },
	{ S("^4") },			/* short */
	{ S("a^2") },
	{ S("^G1") },			/* not hex */
	{ S("^1G") },
	{ S("^^5E") },
	{ S("^ 5") },
	{ S("%") },			/* raw bytes that are always escaped */
	{ S("100%") },
	{ S("a\nb") },
	{ S("\r") },
	{ S("\x01") },
	{ S("\x7f") },
	{ S("a\0b") },
	{ S("\xff") },			/* raw invalid UTF-8 */
	{ S("\xc0\x80") },		/* overlong NUL */
	{ S("\xc0\xaf") },		/* overlong '/' */
	{ S("\xe0\x80\xaf") },
	{ S("\xed\xa0\x80") },		/* surrogate */
	{ S("\xf4\x90\x80\x80") },	/* above U+10FFFF */
	{ S("\xe2\x82") },		/* truncated */
};

START_TEST(unescape_rejects_non_canonical)
{
	char *out = (char *)1;
	size_t len = 12345;

	ck_assert_msg(cust_unescape(noncanon[_i].in, noncanon[_i].n, &out,
	    &len) == -1, "case %d accepted", _i);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(unescape_reads_only_n_bytes)
{
	char *out;
	size_t len;

	/* "^2" then a '5' just past the end must not be read as "^25". */
	ck_assert_int_eq(cust_unescape("a^25", 3, &out, &len), -1);
	ck_assert_int_eq(cust_unescape("^25x", 3, &out, &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(out[0], '%');
	free(out);
}
END_TEST

/* -------------------------------------------------------------- UTF-8 */

static const struct {
	const char	*s;
	size_t		 n;
	bool		 ok;
} utf8cases[] = {
	{ S(""), true },
	{ S("ascii"), true },
	{ S("\0"), true },
	{ S("\xc3\xa9"), true },		/* U+00E9 */
	{ S("\xc2\x80"), true },		/* U+0080 */
	{ S("\xdf\xbf"), true },		/* U+07FF */
	{ S("\xe0\xa0\x80"), true },		/* U+0800 */
	{ S("\xe2\x82\xac"), true },		/* U+20AC */
	{ S("\xed\x9f\xbf"), true },		/* U+D7FF */
	{ S("\xee\x80\x80"), true },		/* U+E000 */
	{ S("\xef\xbf\xbf"), true },		/* U+FFFF */
	{ S("\xf0\x90\x80\x80"), true },	/* U+10000 */
	{ S("\xf0\x9f\x98\x80"), true },	/* U+1F600 */
	{ S("\xf4\x8f\xbf\xbf"), true },	/* U+10FFFF */
	{ S("\xc0\x80"), false },		/* overlong U+0000 */
	{ S("\xc1\xbf"), false },		/* overlong U+007F */
	{ S("\xe0\x80\x80"), false },		/* overlong */
	{ S("\xe0\x9f\xbf"), false },		/* overlong U+07FF */
	{ S("\xf0\x80\x80\x80"), false },	/* overlong */
	{ S("\xf0\x8f\xbf\xbf"), false },	/* overlong U+FFFF */
	{ S("\xed\xa0\x80"), false },		/* U+D800 */
	{ S("\xed\xbf\xbf"), false },		/* U+DFFF */
	{ S("\xf4\x90\x80\x80"), false },	/* U+110000 */
	{ S("\xf5\x80\x80\x80"), false },
	{ S("\xf8\x88\x80\x80\x80"), false },	/* 5 bytes */
	{ S("\xff"), false },
	{ S("\xfe"), false },
	{ S("\x80"), false },			/* lone continuation */
	{ S("\xbf"), false },
	{ S("\xc3"), false },			/* truncated */
	{ S("\xe2\x82"), false },
	{ S("\xf0\x9f\x98"), false },
	{ S("\xc3" "A"), false },		/* bad continuation */
	{ S("\xe2\x28\xa1"), false },
	{ S("ok\xc3\xa9then\xff"), false },
};

START_TEST(utf8_valid_known_sequences)
{
	ck_assert_msg(cust_utf8_valid(utf8cases[_i].s, utf8cases[_i].n) ==
	    utf8cases[_i].ok, "case %d", _i);
	/* The reference agrees, so the table itself is right. */
	ck_assert(refvalid((const unsigned char *)utf8cases[_i].s,
	    utf8cases[_i].n) == utf8cases[_i].ok);
}
END_TEST

START_TEST(utf8_seq_gives_sequence_length)
{
	ck_assert_uint_eq(cust_utf8_seq((const unsigned char *)"A", 1), 1);
	ck_assert_uint_eq(cust_utf8_seq((const unsigned char *)"\xc3\xa9x",
	    3), 2);
	ck_assert_uint_eq(cust_utf8_seq((const unsigned char *)
	    "\xe2\x82\xac", 3), 3);
	ck_assert_uint_eq(cust_utf8_seq((const unsigned char *)
	    "\xf0\x9f\x98\x80", 4), 4);
	/* Bytes past N do not complete a sequence. */
	ck_assert_uint_eq(cust_utf8_seq((const unsigned char *)
	    "\xe2\x82\xac", 2), 0);
	ck_assert_uint_eq(cust_utf8_seq((const unsigned char *)"x", 0), 0);
}
END_TEST

START_TEST(utf8_valid_equals_reference_on_all_short_strings)
{
	unsigned char b[3];

	/* Every string of 1 and 2 bytes, and of 3 bytes with a high lead. */
	for (unsigned i = 0; i < 256; i++) {
		b[0] = (unsigned char)i;
		ck_assert(cust_utf8_valid((char *)b, 1) == refvalid(b, 1));
		for (unsigned j = 0; j < 256; j++) {
			b[1] = (unsigned char)j;
			ck_assert_msg(cust_utf8_valid((char *)b, 2) ==
			    refvalid(b, 2), "%02x %02x", i, j);
		}
	}
	for (unsigned i = 0xe0; i < 0x100; i++)
		for (unsigned j = 0x70; j < 0xd0; j++)
			for (unsigned k = 0x70; k < 0xd0; k++) {
				b[0] = (unsigned char)i;
				b[1] = (unsigned char)j;
				b[2] = (unsigned char)k;
				ck_assert_msg(cust_utf8_valid((char *)b, 3) ==
				    refvalid(b, 3), "%02x %02x %02x", i, j, k);
			}
}
END_TEST

/* ---------------------------------------------------------- properties */

#define NRANDOM	50000

START_TEST(random_names_round_trip)
{
	unsigned char raw[64];
	char *e, *back;
	size_t n, len, blen;

	rng = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < NRANDOM; i++) {
		n = randname(raw);
		e = esc(raw, n, &len);
		ck_assert_msg(cust_unescape(e, len, &back, &blen) == 0,
		    "#%d: \"%s\" not taken back", i, e);
		ck_assert_uint_eq(blen, n);
		ck_assert_mem_eq(back, raw, n);
		free(back);
		free(e);
	}
}
END_TEST

START_TEST(random_names_escape_to_safe_utf8)
{
	unsigned char raw[64];
	const unsigned char *p;
	char *e;
	size_t n, len;
	int same = 0;

	rng = 0x0123456789abcdefULL;
	for (int i = 0; i < NRANDOM; i++) {
		n = randname(raw);
		e = esc(raw, n, &len);
		p = (const unsigned char *)e;
		ck_assert_msg(refvalid(p, len), "#%d: not UTF-8", i);
		ck_assert(cust_utf8_valid(e, len));
		for (size_t j = 0; j < len; j++) {
			ck_assert(p[j] >= 0x20 && p[j] != 0x7f && p[j] != '%');
			if (p[j] != '^')
				continue;
			ck_assert_uint_le(j + 2, len - 1);
			ck_assert(strchr("0123456789ABCDEF", p[j + 1]) &&
			    p[j + 1] != '\0');
			ck_assert(strchr("0123456789ABCDEF", p[j + 2]) &&
			    p[j + 2] != '\0');
			j += 2;
		}
		/* A name is left alone exactly when it needs nothing. */
		ck_assert((len == n && memcmp(e, raw, n) == 0) ==
		    (refvalid(raw, n) && refplain(raw, n)));
		ck_assert(cust_escape_none((const char *)raw, n) ==
		    (refvalid(raw, n) && refplain(raw, n)));
		same += len == n && memcmp(e, raw, n) == 0;
		free(e);
	}
	/* The generator makes plenty of both kinds. */
	ck_assert_int_gt(same, NRANDOM / 10);
	ck_assert_int_lt(same, NRANDOM - NRANDOM / 10);
}
END_TEST

START_TEST(random_utf8_validity_equals_reference)
{
	unsigned char raw[64];
	size_t n;

	rng = 0xfeedfacecafebeefULL;
	for (int i = 0; i < NRANDOM; i++) {
		n = randname(raw);
		ck_assert_msg(cust_utf8_valid((char *)raw, n) ==
		    refvalid(raw, n), "#%d", i);
	}
}
END_TEST

START_TEST(random_escaped_names_do_not_collide)
{
	unsigned char a[64], b[64];
	char *ea, *eb;
	size_t na, nb, la, lb;

	rng = 42;
	for (int i = 0; i < NRANDOM / 5; i++) {
		na = randname(a);
		nb = randname(b);
		ea = esc(a, na, &la);
		eb = esc(b, nb, &lb);
		if (na == nb && memcmp(a, b, na) == 0)
			ck_assert_str_eq(ea, eb);
		else
			ck_assert_str_ne(ea, eb);
		free(ea);
		free(eb);
	}
}
END_TEST

/* Python's strict UTF-8 decoder marks each undecodable byte; escape those
 * and the bytes a stored name may not hold. */
static const char pyref[] =
    "import sys\n"
    "for line in sys.stdin:\n"
    "    out = []\n"
    "    s = bytes.fromhex(line.strip()).decode('utf-8', 'surrogateescape')\n"
    "    for c in s:\n"
    "        o = ord(c)\n"
    "        if 0xdc80 <= o <= 0xdcff:\n"
    "            out.append('^%02X' % (o - 0xdc00))\n"
    "        elif o < 0x20 or o == 0x7f or c in '%^':\n"
    "            out.append('^%02X' % o)\n"
    "        else:\n"
    "            out.append(c)\n"
    "    print(''.join(out).encode('utf-8').hex())\n";

START_TEST(random_names_escape_as_python_reference)
{
	enum { N = 5000 };
	unsigned char raw[64];
	char path[256], cmd[768], line[512], hex[512], *e;
	size_t n, len;
	FILE *f, *p;

	snprintf(path, sizeof(path), "%s/ref.py", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_ge(fputs(pyref, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/in.txt", scratch);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	rng = 7;
	for (int i = 0; i < N; i++) {
		n = randname(raw);
		for (size_t j = 0; j < n; j++)
			fprintf(f, "%02x", raw[j]);
		fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "python3 '%s/ref.py' < '%s/in.txt'", scratch,
	    scratch);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	rng = 7;
	for (int i = 0; i < N; i++) {
		n = randname(raw);
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
		line[strcspn(line, "\n")] = '\0';
		e = esc(raw, n, &len);
		for (size_t j = 0; j < len; j++)
			snprintf(hex + 2 * j, 3, "%02x", (unsigned char)e[j]);
		hex[2 * len] = '\0';
		ck_assert_msg(strcmp(hex, line) == 0, "#%d: ours %s, python %s",
		    i, hex, line);
		free(e);
	}
	ck_assert_ptr_null(fgets(line, sizeof(line), p));
	ck_assert_int_eq(pclose(p), 0);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *known = tcase_create("known");
	TCase *utf = tcase_create("utf8");
	TCase *prop = tcase_create("properties");

	tcase_set_timeout(known, 30);
	tcase_add_loop_test(known, escape_known_cases, 0, (int)NELEM(escapes));
	tcase_add_test(known, escape_accepts_null_length_pointer);
	tcase_add_loop_test(known, unescape_known_cases, 0,
	    (int)NELEM(unescapes));
	tcase_add_loop_test(known, unescape_rejects_non_canonical, 0,
	    (int)NELEM(noncanon));
	tcase_add_test(known, unescape_reads_only_n_bytes);
	suite_add_tcase(s, known);

	tcase_set_timeout(utf, 30);
	tcase_add_loop_test(utf, utf8_valid_known_sequences, 0,
	    (int)NELEM(utf8cases));
	tcase_add_test(utf, utf8_seq_gives_sequence_length);
	tcase_add_test(utf, utf8_valid_equals_reference_on_all_short_strings);
	suite_add_tcase(s, utf);

	tcase_add_checked_fixture(prop, setup, teardown);
	tcase_set_timeout(prop, 60);
	tcase_add_test(prop, random_names_round_trip);
	tcase_add_test(prop, random_names_escape_to_safe_utf8);
	tcase_add_test(prop, random_utf8_validity_equals_reference);
	tcase_add_test(prop, random_escaped_names_do_not_collide);
	tcase_add_test(prop, random_names_escape_as_python_reference);
	suite_add_tcase(s, prop);
	return s;
}

