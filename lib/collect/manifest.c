/*
 * manifest.c: collection manifests.  A manifest is a UAC artifact file: a
 * YAML mapping with `version` and `artifacts`, each artefact a mapping of
 * UAC's fields.  libyaml's event parser reads the bytes and this file turns
 * the events into struct cust_rule values for the walker.  Manifests come
 * from anyone, so sizes are bounded, aliases are refused, and every shape
 * the format does not have is an error that names the file and the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "collect/collect.h"

#define MAX_BYTES	(1024 * 1024)	/* bytes in one manifest */
#define MAX_RULES	10000		/* artefacts in one manifest */
#define MAX_ITEMS	1000		/* paths or patterns in one field */
#define MAX_SCALAR	(64 * 1024)	/* bytes in one scalar */
#define MAX_DEPTH	4		/* top, artifacts, artefact, list */

/* What '%' becomes while libyaml reads the text: U+E000, see prepare(). */
static const char pua[] = "\xee\x80\x80";
#define PUALEN		3

struct cust_manifest {
	char		*name;		/* owned */
	char		 sha256[65];
	struct cust_rule *rules;	/* owned: n used of cap */
	size_t		 n, cap;
};

/* One artefact while it is read: its rule, and what decides `skip`. */
struct art {
	struct cust_rule r;		/* owned until finish() moves it */
	uint64_t	 seen;		/* bit F_*: that field was given */
	bool		 linux_os;	/* supported_os names all or linux */
	bool		 modifier;
	bool		 shell;		/* a path needs shell expansion */
	bool		 relative;	/* a path word is not absolute */
	bool		 other;		/* sink for fields we only check */
};

/* The state of one load. */
struct load {
	struct cust_ctx	*ctx;		/* borrowed */
	struct cust_manifest *m;	/* borrowed: the one being filled */
	const unsigned char *text;	/* borrowed: what libyaml reads */
	yaml_parser_t	 parser;
	yaml_event_t	 ev;		/* valid while have is set */
	bool		 have;
	int		 depth;
	char		*condition;	/* owned: top-level condition */
	bool		 modifier;	/* top-level field */
	bool		 rejected;	/* libyaml refused the text */
};

static const char *const collectors[] = {
	[CUST_COLLECTOR_FILE] = "file",
	[CUST_COLLECTOR_HASH] = "hash",
	[CUST_COLLECTOR_STAT] = "stat",
	[CUST_COLLECTOR_FIND] = "find",
	[CUST_COLLECTOR_COMMAND] = "command",
};

/* ------------------------------------------------------------ errors */

static int __attribute__((format(printf, 3, 0)))
vfailat(struct load *l, size_t line, const char *fmt, va_list ap)
{
	char reason[512];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	return cust_set_error(l->ctx, 0, CUST_FAILED, "%s:%zu: %s",
	    l->m->name, line, reason);
}

static int __attribute__((format(printf, 3, 4)))
failat(struct load *l, size_t line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfailat(l, line, fmt, ap);
	va_end(ap);
	return r;
}

/* Fail at the line of the current event. */
static int __attribute__((format(printf, 2, 3)))
fail(struct load *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfailat(l, l->ev.start_mark.line + 1, fmt, ap);
	va_end(ap);
	return r;
}

static int
nomem(struct load *l)
{
	return cust_set_error(l->ctx, ENOMEM, CUST_FATAL, "%s", l->m->name);
}

/* The 1-based line of byte OFF of BUF. */
static size_t
lineof(const unsigned char *buf, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n' ||
		    (buf[i] == '\r' && (i + 1 == off || buf[i + 1] != '\n')))
			line++;
	return line;
}

/* Report libyaml's error, "NAME:LINE: problem (context at line N)". */
static int
yamlerr(struct load *l)
{
	const yaml_parser_t *p = &l->parser;
	size_t line;

	if (p->error == YAML_MEMORY_ERROR)
		return nomem(l);
	l->rejected = true;
	if (p->error == YAML_READER_ERROR)
		line = lineof(l->text, p->problem_offset);
	else
		line = p->problem_mark.line + 1;
	if (p->problem == NULL)
		return failat(l, line, "malformed yaml");
	if (p->context == NULL)
		return failat(l, line, "%s", p->problem);
	return failat(l, line, "%s (%s at line %zu)", p->problem, p->context,
	    p->context_mark.line + 1);
}

/* ------------------------------------------------------- the % quirk */

/* Whether BUF[I] ends a line break as libyaml counts them. */
static bool
breaks(const unsigned char *buf, size_t i)
{
	if (buf[i] == '\n' || buf[i] == '\r')
		return true;
	if (i >= 1 && buf[i - 1] == 0xc2 && buf[i] == 0x85)	/* NEL */
		return true;
	return i >= 2 && buf[i - 2] == 0xe2 && buf[i - 1] == 0x80 &&
	    (buf[i] == 0xa8 || buf[i] == 0xa9);		/* LS, PS */
}

/*
 * UAC writes plain scalars that begin with '%' ("path: %user_home%/.ssh"),
 * which YAML keeps for directives, so libyaml refuses them.  Every '%'
 * that is not at the start of a line (where it would be a directive) is
 * mapped to U+E000, a private-use character YAML allows anywhere, and
 * every scalar we keep maps it back (unpua()).  The map is invertible
 * only if the input holds no U+E000 of its own, so such input is refused.
 * Line breaks are untouched, so libyaml's line numbers are the file's.
 */
static int
prepare(struct load *l, const unsigned char *buf, size_t len,
    unsigned char **outp, size_t *outlen)
{
	const unsigned char *hit;
	unsigned char *out;
	size_t n = len, o = 0;
	bool bol = true;

	if ((hit = memmem(buf, len, pua, PUALEN)) != NULL)
		return failat(l, lineof(buf, hit - buf),
		    "character U+E000 is reserved");
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '%')
			n += PUALEN - 1;
	if ((out = malloc(n + 1)) == NULL)
		return nomem(l);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '%' && !bol) {
			memcpy(out + o, pua, PUALEN);
			o += PUALEN;
		} else
			out[o++] = buf[i];
		/* libyaml skips a byte order mark without counting it. */
		bol = breaks(buf, i) || (i == 2 && memcmp(buf, "\xef\xbb\xbf",
		    3) == 0);
	}
	out[o] = '\0';
	*outp = out;
	*outlen = o;
	return CUST_OK;
}

/* Map U+E000 back to '%' in the current scalar, in place. */
static void
unpua(yaml_event_t *ev)
{
	unsigned char *s = ev->data.scalar.value, *d;
	size_t n = ev->data.scalar.length;
	const unsigned char *p = s, *end = s + n;

	for (d = s; p < end;) {
		if ((size_t)(end - p) >= PUALEN &&
		    memcmp(p, pua, PUALEN) == 0) {
			*d++ = '%';
			p += PUALEN;
		} else
			*d++ = *p++;
	}
	*d = '\0';
	ev->data.scalar.length = d - s;
}

/*
 * UAC also writes multi-line values between lines of triple quotes
 * ('command: """' ... '"""'), which its own reader accepts and YAML
 * rejects.  When libyaml has rejected a text that has them, parse() reads it
 * again with each such value made a literal block scalar: the opening
 * quotes become '|' and the closing ones blanks, so no line moves.  Only
 * command, condition and foreach use the form, and custody never runs them.
 */
static bool
opener(const unsigned char *p, const unsigned char *end, size_t *at)
{
	const unsigned char *s = p;

	while (p < end && *p == ' ')
		p++;
	if (p + 1 < end && p[0] == '-' && p[1] == ' ')
		for (p++; p < end && *p == ' '; p++)
			;
	if (p == end || !(*p == '_' || (*p >= 'a' && *p <= 'z')))
		return false;
	while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
		p++;
	if (end - p < 5 || p[0] != ':' || p[1] != ' ')
		return false;
	for (p++; p < end && *p == ' '; p++)
		;
	*at = p - s;
	if (end - p < 3 || memcmp(p, "\"\"\"", 3) != 0)
		return false;
	for (p += 3; p < end && (*p == ' ' || *p == '\r'); p++)
		;
	return p == end;
}

static bool
closer(const unsigned char *p, const unsigned char *end, size_t *at)
{
	const unsigned char *s = p;

	while (p < end && *p == ' ')
		p++;
	*at = p - s;
	if (end - p < 3 || memcmp(p, "\"\"\"", 3) != 0)
		return false;
	for (p += 3; p < end && (*p == ' ' || *p == '\r'); p++)
		;
	return p == end;
}

/* The end of the line that starts at P (the '\n' or END). */
static unsigned char *
eol(unsigned char *p, unsigned char *end)
{
	unsigned char *nl = memchr(p, '\n', end - p);

	return nl != NULL ? nl : end;
}

static bool
triplequotes(unsigned char *text, size_t len)
{
	unsigned char *p = text, *end = text + len, *q, *e;
	size_t at, cat;
	bool changed = false;

	for (; p < end; p = eol(p, end) + 1) {
		if (!opener(p, eol(p, end), &at))
			continue;
		for (q = eol(p, end) + 1; q < end; q = e + 1) {
			e = eol(q, end);
			if (closer(q, e, &cat))
				break;
		}
		if (q >= end)
			break;
		memcpy(p + at, "|  ", 3);
		memset(q + cat, ' ', 3);
		changed = true;
		p = q;
	}
	return changed;
}

/*
 * UAC reads an artefact file line by line: a value is the rest of the line
 * after "key: ", whatever it holds.  Some valid UAC lines are not YAML: a
 * command with ": " inside it, a description that opens with a quoted
 * word and goes on ('top'-like utility ...).  When libyaml has rejected a
 * text, parse() reads it again with each such value single-quoted, as UAC
 * reads it (quotes and all); no line moves.  Values that are YAML already
 * (sequences, block scalars, whole quoted scalars) are left alone.
 */
static bool
uacvalue(const unsigned char *v, const unsigned char *end)
{
	const unsigned char *p;

	if (v == end || *v == '[' || *v == '{' || *v == '|' || *v == '>')
		return false;
	if (*v == '\'' || *v == '"') {
		for (p = v + 1; p < end && *p != *v; p++)
			if (*v == '"' && *p == '\\' && p + 1 < end)
				p++;
		return p + 1 < end;		/* text after the close */
	}
	if (strchr("`@*&", *v) != NULL)
		return true;			/* YAML's reserved starts */
	for (p = v; p + 1 < end; p++)
		if (p[0] == ':' && p[1] == ' ')
			return true;
	return false;
}

/* Where the value of the "key: value" line [P, END) starts, or NULL. */
static const unsigned char *
valueat(const unsigned char *p, const unsigned char *end)
{
	while (p < end && *p == ' ')
		p++;
	if (p + 1 < end && p[0] == '-' && p[1] == ' ')
		while (p < end && (*p == ' ' || *p == '-'))
			p++;
	if (p == end || !(*p >= 'a' && *p <= 'z'))
		return NULL;
	while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
		p++;
	if (end - p < 2 || p[0] != ':' || p[1] != ' ')
		return NULL;
	for (p++; p < end && *p == ' '; p++)
		;
	return p;
}

/* TEXT with UAC's values quoted (owned, in *OUTP), or NULL if none. */
static int
uaclines(struct load *l, const unsigned char *text, size_t len,
    unsigned char **outp, size_t *outlen)
{
	const unsigned char *p, *e, *v, *end = text + len, *ve;
	unsigned char *out, *o;

	*outp = NULL;
	/* At worst every byte is a quote, doubled, plus two per line. */
	if ((out = malloc(3 * len + 1)) == NULL)
		return nomem(l);
	o = out;
	for (p = text; p < end; p = e + (e < end)) {
		e = memchr(p, '\n', (size_t)(end - p));
		e = e != NULL ? e : end;
		for (ve = e; ve > p && (ve[-1] == ' ' || ve[-1] == '\r'); ve--)
			;
		if ((v = valueat(p, ve)) == NULL || !uacvalue(v, ve)) {
			memcpy(o, p, (size_t)(e - p) + (e < end));
			o += (e - p) + (e < end);
			continue;
		}
		memcpy(o, p, (size_t)(v - p));
		o += v - p;
		*o++ = '\'';
		for (; v < ve; v++)
			if ((*o++ = *v) == '\'')
				*o++ = '\'';
		*o++ = '\'';
		memcpy(o, ve, (size_t)(e - ve) + (e < end));
		o += (e - ve) + (e < end);
	}
	*o = '\0';
	*outp = out;
	*outlen = (size_t)(o - out);
	return CUST_OK;
}

/* ------------------------------------------------------------ events */

/* Move to the next event, refusing what the format never needs. */
static int
next(struct load *l)
{
	if (l->have)
		yaml_event_delete(&l->ev);
	l->have = false;
	if (!yaml_parser_parse(&l->parser, &l->ev))
		return yamlerr(l);
	l->have = true;
	switch (l->ev.type) {
	case YAML_ALIAS_EVENT:
		return fail(l, "aliases are not supported");
	case YAML_SCALAR_EVENT:
		unpua(&l->ev);
		if (l->ev.data.scalar.length > MAX_SCALAR)
			return fail(l, "scalar longer than %d bytes",
			    MAX_SCALAR);
		if (strlen((char *)l->ev.data.scalar.value) !=
		    l->ev.data.scalar.length)
			return fail(l, "scalar holds a NUL character");
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++l->depth > MAX_DEPTH)
			return fail(l, "nested deeper than %d levels",
			    MAX_DEPTH);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		l->depth--;
		break;
	default:
		break;
	}
	return CUST_OK;
}

static const char *
str(const struct load *l)
{
	return (const char *)l->ev.data.scalar.value;
}

static bool
is(const struct load *l, yaml_event_type_t type)
{
	return l->ev.type == type;
}

/* Read the value of WHAT, which must be a scalar. */
static int
scalar(struct load *l, const char *what)
{
	int r;

	if ((r = next(l)) != CUST_OK)
		return r;
	if (!is(l, YAML_SCALAR_EVENT))
		return fail(l, "%s: expected a scalar", what);
	return CUST_OK;
}

/* Read the value of WHAT, which must be true or false. */
static int
flag(struct load *l, const char *what, bool *out)
{
	int r;

	if ((r = scalar(l, what)) != CUST_OK)
		return r;
	if (strcmp(str(l), "true") == 0)
		*out = true;
	else if (strcmp(str(l), "false") == 0)
		*out = false;
	else
		return fail(l, "%s: '%.64s' is not true or false", what,
		    str(l));
	return CUST_OK;
}

/* Parse S as a decimal integer from 0 to MAX. */
static int
number(struct load *l, const char *what, const char *s, int64_t max,
    int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0')
		return fail(l, "%s: '' is not a non-negative integer", what);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return fail(l, "%s: '%.64s' is not a non-negative "
			    "integer", what, s);
		if (v > (max - (*p - '0')) / 10)
			return fail(l, "%s: '%.64s' is too large", what, s);
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return CUST_OK;
}

static int
push(struct load *l, struct cust_strv *sv, const char *s, size_t len)
{
	char **v;

	if ((v = realloc(sv->v, (sv->n + 1) * sizeof(*v))) == NULL)
		return nomem(l);
	sv->v = v;
	if ((v[sv->n] = strndup(s, len)) == NULL)
		return nomem(l);
	sv->n++;
	return CUST_OK;
}

static void
strv_free(struct cust_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static void
rule_fini(struct cust_rule *r)
{
	free(r->description);
	free(r->output_file);
	strv_free(&r->paths);
	strv_free(&r->name_patterns);
	strv_free(&r->path_patterns);
	strv_free(&r->exclude_path_patterns);
	strv_free(&r->exclude_name_patterns);
	strv_free(&r->exclude_file_systems);
	free(r->skip);
	free(r->perms);
	free(r->condition);
	free(r->top_condition);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ fields */

/* The artefact fields, in UAC's terms; the index is the bit in art.seen. */
enum {
	F_DESCRIPTION, F_SUPPORTED_OS, F_COLLECTOR, F_PATH, F_PATH_PATTERN,
	F_NAME_PATTERN, F_EXCLUDE_PATH_PATTERN, F_EXCLUDE_NAME_PATTERN,
	F_EXCLUDE_FILE_SYSTEM, F_MAX_DEPTH, F_FILE_TYPE, F_MIN_FILE_SIZE,
	F_MAX_FILE_SIZE, F_IGNORE_DATE_RANGE, F_EXCLUDE_NOLOGIN_USERS,
	F_PERMISSIONS, F_NO_USER, F_NO_GROUP, F_COMMAND, F_CONDITION,
	F_FOREACH, F_LOOP_COMMAND, F_IS_FILE_LIST, F_OUTPUT_DIRECTORY,
	F_OUTPUT_FILE, F_COMPRESS_OUTPUT_FILE, F_REDIRECT_STDERR_TO_STDOUT,
	F_MODIFIER, NFIELDS
};

struct field {
	const char	*name;
	int		(*parse)(struct load *, struct art *,
			    const struct field *);
	size_t		 off;	/* of what parse fills, in struct art */
};

#define AT(a, f, type)	((type *)((char *)(a) + (f)->off))

/* Call FN on the value: one scalar, or each scalar of a sequence. */
static int
items(struct load *l, struct art *a, const struct field *f,
    int (*fn)(struct load *, struct art *, const struct field *))
{
	size_t n = 0;
	int r;

	if ((r = next(l)) != CUST_OK)
		return r;
	if (is(l, YAML_SCALAR_EVENT))
		return fn(l, a, f);
	if (!is(l, YAML_SEQUENCE_START_EVENT))
		return fail(l, "%s: expected a scalar or a sequence", f->name);
	for (;;) {
		if ((r = next(l)) != CUST_OK)
			return r;
		if (is(l, YAML_SEQUENCE_END_EVENT))
			return CUST_OK;
		if (!is(l, YAML_SCALAR_EVENT))
			return fail(l, "%s: expected a sequence of scalars",
			    f->name);
		if (++n > MAX_ITEMS)
			return fail(l, "%s: more than %d items", f->name,
			    MAX_ITEMS);
		if ((r = fn(l, a, f)) != CUST_OK)
			return r;
	}
}

static int
one_pattern(struct load *l, struct art *a, const struct field *f)
{
	if (l->ev.data.scalar.length == 0)
		return fail(l, "%s: empty item", f->name);
	return push(l, AT(a, f, struct cust_strv), str(l),
	    l->ev.data.scalar.length);
}

static int
f_list(struct load *l, struct art *a, const struct field *f)
{
	return items(l, a, f, one_pattern);
}

static int
one_type(struct load *l, struct art *a, const struct field *f)
{
	static const char letters[] = "fdlpsbc";
	const char *s = str(l), *p;

	if (s[0] == '\0' || s[1] != '\0' || (p = strchr(letters, s[0])) ==
	    NULL)
		return fail(l, "%s: '%.64s' is not one of f, d, l, p, s, b, c",
		    f->name, s);
	/* The CUST_FT_* bits follow the order of letters[]. */
	a->r.file_types |= 1u << (p - letters);
	return CUST_OK;
}

static int
f_types(struct load *l, struct art *a, const struct field *f)
{
	return items(l, a, f, one_type);
}

static int
one_os(struct load *l, struct art *a, const struct field *f)
{
	if (l->ev.data.scalar.length == 0)
		return fail(l, "%s: empty item", f->name);
	if (strcmp(str(l), "all") == 0 || strcmp(str(l), "linux") == 0)
		a->linux_os = true;
	return CUST_OK;
}

static int
f_os(struct load *l, struct art *a, const struct field *f)
{
	return items(l, a, f, one_os);
}

/*
 * UAC's find -perm values: an integer from -7777 to 7777, read as octal
 * modes by find(1): "-4000" all of these bits, "755" exactly these; GNU
 * find's "/4000" (any of these bits) is taken too.
 */
static int
one_perm(struct load *l, struct art *a, const struct field *f)
{
	const char *s = str(l), *d = s + (*s == '-' || *s == '/');
	size_t n = strspn(d, "01234567");
	struct cust_perm *v;
	unsigned long bits;

	/* NOLINTNEXTLINE(cert-err34-c): one to four octal digits, checked */
	if (n == 0 || n > 4 || d[n] != '\0')
		return fail(l, "%s: '%.64s' is not an integer from -7777 to "
		    "7777", f->name, s);
	bits = strtoul(d, NULL, 8);
	if ((v = realloc(a->r.perms, (a->r.nperms + 1) * sizeof(*v))) == NULL)
		return nomem(l);
	a->r.perms = v;
	v[a->r.nperms].bits = (mode_t)bits;
	v[a->r.nperms].how = *s == '-' || *s == '/' ? *s : '=';
	a->r.nperms++;
	return CUST_OK;
}

static int
f_perm(struct load *l, struct art *a, const struct field *f)
{
	return items(l, a, f, one_perm);
}

static int
f_text(struct load *l, struct art *a, const struct field *f)
{
	int r;

	if ((r = scalar(l, f->name)) != CUST_OK)
		return r;
	if ((*AT(a, f, char *) = strdup(str(l))) == NULL)
		return nomem(l);
	return CUST_OK;
}

/*
 * A condition, kept whole: "! command_exists x" is read by YAML as the
 * tag "!" on "command_exists x", and the "!" is put back.
 */
static char *
condtext(const struct load *l)
{
	const char *tag = (const char *)l->ev.data.scalar.tag;
	char *s;

	if (tag == NULL || strcmp(tag, "!") != 0)
		return strdup(str(l));
	if (asprintf(&s, "! %s", str(l)) < 0)
		return NULL;
	return s;
}

static int
f_cond(struct load *l, struct art *a, const struct field *f)
{
	int r;

	if ((r = scalar(l, f->name)) != CUST_OK)
		return r;
	if ((*AT(a, f, char *) = condtext(l)) == NULL)
		return nomem(l);
	return CUST_OK;
}

/* A scalar we only note the presence of. */
static int
f_present(struct load *l, struct art *a, const struct field *f)
{
	int r;

	if ((r = scalar(l, f->name)) != CUST_OK)
		return r;
	*AT(a, f, bool) = true;
	return CUST_OK;
}

static int
f_flag(struct load *l, struct art *a, const struct field *f)
{
	return flag(l, f->name, AT(a, f, bool));
}

static int
f_depth(struct load *l, struct art *a, const struct field *f)
{
	int64_t v = 0;
	int r;

	if ((r = scalar(l, f->name)) != CUST_OK ||
	    (r = number(l, f->name, str(l), INT_MAX, &v)) != CUST_OK)
		return r;
	*AT(a, f, int) = (int)v;
	return CUST_OK;
}

static int
f_size(struct load *l, struct art *a, const struct field *f)
{
	int r;

	if ((r = scalar(l, f->name)) != CUST_OK)
		return r;
	return number(l, f->name, str(l), INT64_MAX, AT(a, f, int64_t));
}

static int
f_collector(struct load *l, struct art *a, const struct field *f)
{
	int r;

	if ((r = scalar(l, f->name)) != CUST_OK)
		return r;
	for (size_t i = 0; i < NELEM(collectors); i++)
		if (strcmp(str(l), collectors[i]) == 0) {
			a->r.collector = (enum cust_collector)i;
			return CUST_OK;
		}
	return fail(l, "%s: '%.64s' is not file, find, hash, stat or command",
	    f->name, str(l));
}

/*
 * Whether path value S needs a shell: a parameter or command substitution,
 * or a UAC variable other than %user_home% (%temp_directory%, %user%, ...),
 * which only UAC's own run can give a value.
 */
static bool
needs_shell(const char *s)
{
	const char *p, *q;

	if (strpbrk(s, "$`") != NULL)
		return true;
	for (p = strchr(s, '%'); p != NULL; p = strchr(q, '%')) {
		q = p + 1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (*q != '%')
			continue;		/* a literal '%' */
		if (q == p + 1 || (q - p - 1 == 9 &&
		    memcmp(p + 1, "user_home", 9) == 0)) {
			q++;
			continue;
		}
		return true;
	}
	return false;
}

/*
 * Copy the word at *SP into W as sh(1) would read it, without expansion:
 * blanks end it, quotes group and are removed, and a backslash takes the
 * next character literally (within double quotes, only $ ` " and \).
 * Returns the length, or -1 for an unterminated quote.
 */
static ssize_t
word(const char **sp, char *w)
{
	const char *s = *sp;
	char *o = w, q = 0;

	for (; *s != '\0' && (q != 0 || (*s != ' ' && *s != '\t')); s++) {
		if (q == 0 && (*s == '\'' || *s == '"'))
			q = *s;
		else if (q != 0 && *s == q)
			q = 0;
		else if (*s == '\\' && s[1] != '\0' && (q == 0 ||
		    (q == '"' && strchr("$`\"\\", s[1]) != NULL)))
			*o++ = *++s;
		else
			*o++ = *s;
	}
	*sp = s;
	return q != 0 ? -1 : o - w;
}

static bool
absolute(const char *w)
{
	return w[0] == '/' || strncmp(w, "%user_home%", 11) == 0;
}

static int
f_path(struct load *l, struct art *a, const struct field *f)
{
	const char *s;
	char *w;
	ssize_t n;
	int r = CUST_OK;

	if ((r = scalar(l, f->name)) != CUST_OK)
		return r;
	s = str(l);
	a->shell = needs_shell(s);
	if ((w = malloc(l->ev.data.scalar.length + 1)) == NULL)
		return nomem(l);
	for (s += strspn(s, " \t"); *s != '\0'; s += strspn(s, " \t")) {
		if ((n = word(&s, w)) < 0) {
			r = fail(l, "%s: unterminated quote", f->name);
			break;
		}
		w[n] = '\0';
		if (a->r.paths.n == MAX_ITEMS)
			r = fail(l, "%s: more than %d paths", f->name,
			    MAX_ITEMS);
		else {
			/* UAC hands a relative word to find(1), which
			 * searches its own working directory: loaded, and
			 * skipped with that reason. */
			if (!a->shell && !absolute(w))
				a->relative = true;
			r = push(l, &a->r.paths, w, n);
		}
		if (r != CUST_OK)
			break;
	}
	free(w);
	if (r == CUST_OK && a->r.paths.n == 0)
		r = fail(l, "%s: no path given", f->name);
	return r;
}

/* UAC's names are the enum's, in lower case. */
#define FIELD(id, name, fn, member) \
	[F_##id] = { name, fn, offsetof(struct art, member) }

static const struct field fields[NFIELDS] = {
	FIELD(DESCRIPTION, "description", f_text, r.description),
	FIELD(SUPPORTED_OS, "supported_os", f_os, linux_os),
	FIELD(COLLECTOR, "collector", f_collector, r.collector),
	FIELD(PATH, "path", f_path, r.paths),
	FIELD(PATH_PATTERN, "path_pattern", f_list, r.path_patterns),
	FIELD(NAME_PATTERN, "name_pattern", f_list, r.name_patterns),
	FIELD(EXCLUDE_PATH_PATTERN, "exclude_path_pattern",
	    f_list, r.exclude_path_patterns),
	FIELD(EXCLUDE_NAME_PATTERN, "exclude_name_pattern",
	    f_list, r.exclude_name_patterns),
	FIELD(EXCLUDE_FILE_SYSTEM, "exclude_file_system",
	    f_list, r.exclude_file_systems),
	FIELD(MAX_DEPTH, "max_depth", f_depth, r.max_depth),
	FIELD(FILE_TYPE, "file_type", f_types, r.file_types),
	FIELD(MIN_FILE_SIZE, "min_file_size", f_size, r.min_size),
	FIELD(MAX_FILE_SIZE, "max_file_size", f_size, r.max_size),
	FIELD(IGNORE_DATE_RANGE, "ignore_date_range",
	    f_flag, r.ignore_date_range),
	FIELD(EXCLUDE_NOLOGIN_USERS, "exclude_nologin_users",
	    f_flag, r.exclude_nologin_users),
	FIELD(PERMISSIONS, "permissions", f_perm, other),
	FIELD(NO_USER, "no_user", f_flag, r.no_user),
	FIELD(NO_GROUP, "no_group", f_flag, r.no_group),
	FIELD(COMMAND, "command", f_present, other),
	FIELD(CONDITION, "condition", f_cond, r.condition),
	FIELD(FOREACH, "foreach", f_present, other),
	FIELD(LOOP_COMMAND, "loop_command", f_present, other),
	FIELD(IS_FILE_LIST, "is_file_list", f_flag, r.file_list),
	FIELD(OUTPUT_DIRECTORY, "output_directory", f_present, other),
	FIELD(OUTPUT_FILE, "output_file", f_text, r.output_file),
	FIELD(COMPRESS_OUTPUT_FILE, "compress_output_file", f_flag, other),
	FIELD(REDIRECT_STDERR_TO_STDOUT, "redirect_stderr_to_stdout",
	    f_flag, other),
	FIELD(MODIFIER, "modifier", f_flag, modifier),
};

#define BIT(f)		((uint64_t)1 << (f))

/* ---------------------------------------------------------- artefacts */

/* Why collect will not run A, or NULL when it will. */
static const char *
skipwhy(const struct art *a)
{
	if (a->r.collector == CUST_COLLECTOR_COMMAND)
		return "collector command is never run";
	if ((a->seen & BIT(F_SUPPORTED_OS)) && !a->linux_os)
		return "not for linux";
	if (a->modifier)
		return "modifier is never run";
	if (a->seen & (BIT(F_FOREACH) | BIT(F_LOOP_COMMAND)))
		return "foreach is never run";
	if (a->seen & BIT(F_COMMAND))
		return "its command, run on each match, is never run";
	if (a->r.file_list && a->shell)
		return "is_file_list names the output of a command, which is "
		    "never run";
	if (a->shell)
		return "path needs shell expansion";
	if (a->relative)
		return "a path is relative (UAC's find would search its own "
		    "working directory)";
	return NULL;
}

/* Check what A lacks, then move its rule into the manifest. */
static int
finish(struct load *l, struct art *a)
{
	struct cust_manifest *m = l->m;
	struct cust_rule *v;
	const char *why;

	if (!(a->seen & BIT(F_COLLECTOR)))
		return failat(l, a->r.line, "missing field 'collector'");
	if (a->r.collector != CUST_COLLECTOR_COMMAND &&
	    !(a->seen & BIT(F_PATH)))
		return failat(l, a->r.line, "missing field 'path'");
	if (a->r.description == NULL &&
	    (a->r.description = strdup("")) == NULL)
		return nomem(l);
	if ((why = skipwhy(a)) != NULL && (a->r.skip = strdup(why)) == NULL)
		return nomem(l);
	if (m->n == m->cap) {
		if ((v = reallocarray(m->rules, m->cap ? 2 * m->cap : 16,
		    sizeof(*v))) == NULL)
			return nomem(l);
		m->rules = v;
		m->cap = m->cap ? 2 * m->cap : 16;
	}
	a->r.manifest = m;
	m->rules[m->n++] = a->r;
	memset(&a->r, 0, sizeof(a->r));
	return CUST_OK;
}

/* Find the field named by the current key; refuse unknown and repeated. */
static int
lookup(struct load *l, struct art *a, const struct field **fp)
{
	if (!is(l, YAML_SCALAR_EVENT))
		return fail(l, "expected a scalar key");
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(str(l), fields[i].name) != 0)
			continue;
		if (a->seen & BIT(i))
			return fail(l, "duplicate field '%s'", fields[i].name);
		a->seen |= BIT(i);
		*fp = &fields[i];
		return CUST_OK;
	}
	return fail(l, "unknown field '%.64s'", str(l));
}

/* Read one artefact; the current event starts its mapping. */
static int
artefact(struct load *l)
{
	const struct field *f = NULL;
	struct art a;
	int r;

	memset(&a, 0, sizeof(a));
	a.r.line = l->ev.start_mark.line + 1;
	a.r.max_depth = -1;
	a.r.min_size = a.r.max_size = -1;
	for (;;) {
		if ((r = next(l)) != CUST_OK)
			goto out;
		if (is(l, YAML_MAPPING_END_EVENT))
			break;
		/* lookup() sets F when it returns CUST_OK:
		 * NOLINTBEGIN(clang-analyzer-core.NullDereference) */
		if ((r = lookup(l, &a, &f)) != CUST_OK ||
		    (r = f->parse(l, &a, f)) != CUST_OK)
			goto out;
		/* NOLINTEND(clang-analyzer-core.NullDereference) */
	}
	r = finish(l, &a);
out:
	rule_fini(&a.r);
	return r;
}

static int
artifacts(struct load *l)
{
	int r;

	if ((r = next(l)) != CUST_OK)
		return r;
	if (!is(l, YAML_SEQUENCE_START_EVENT))
		return fail(l, "artifacts: expected a sequence");
	for (;;) {
		if ((r = next(l)) != CUST_OK)
			return r;
		if (is(l, YAML_SEQUENCE_END_EVENT))
			return CUST_OK;
		if (!is(l, YAML_MAPPING_START_EVENT))
			return fail(l, "artifacts: expected a mapping");
		if (l->m->n == MAX_RULES)
			return fail(l, "artifacts: more than %d artefacts",
			    MAX_RULES);
		if ((r = artefact(l)) != CUST_OK)
			return r;
	}
}

/* ---------------------------------------------------------- top level */

enum { T_VERSION, T_DESCRIPTION, T_ARTIFACTS, T_OUTPUT_DIRECTORY,
	T_CONDITION, T_MODIFIER, NTOP };

static const char *const topfields[NTOP] = {
	[T_VERSION] = "version",
	[T_DESCRIPTION] = "description",
	[T_ARTIFACTS] = "artifacts",
	[T_OUTPUT_DIRECTORY] = "output_directory",
	[T_CONDITION] = "condition",
	[T_MODIFIER] = "modifier",
};

static int
topfield(struct load *l, int t)
{
	int r;

	switch (t) {
	case T_ARTIFACTS:
		return artifacts(l);
	case T_MODIFIER:
		return flag(l, topfields[t], &l->modifier);
	case T_CONDITION:
		if ((r = scalar(l, topfields[t])) != CUST_OK)
			return r;
		if ((l->condition = condtext(l)) == NULL)
			return nomem(l);
		return CUST_OK;
	default:
		return scalar(l, topfields[t]);
	}
}

/* A top-level condition or modifier holds for every artefact. */
static int
globals(struct load *l)
{
	struct cust_rule *r;

	for (size_t i = 0; i < l->m->n; i++) {
		r = &l->m->rules[i];
		if (l->modifier && r->skip == NULL &&
		    (r->skip = strdup("modifier is never run")) == NULL)
			return nomem(l);
		if (l->condition != NULL &&
		    (r->top_condition = strdup(l->condition)) == NULL)
			return nomem(l);
	}
	return CUST_OK;
}

/* Read the top-level mapping; the current event starts it. */
static int
top(struct load *l)
{
	size_t line = l->ev.start_mark.line + 1;
	unsigned seen = 0;
	int r, t;

	for (;;) {
		if ((r = next(l)) != CUST_OK)
			return r;
		if (is(l, YAML_MAPPING_END_EVENT))
			break;
		if (!is(l, YAML_SCALAR_EVENT))
			return fail(l, "expected a scalar key");
		for (t = 0; t < NTOP && strcmp(str(l), topfields[t]) != 0; t++)
			;
		if (t == NTOP)
			return fail(l, "unknown field '%.64s'", str(l));
		if (seen & 1u << t)
			return fail(l, "duplicate field '%s'", topfields[t]);
		seen |= 1u << t;
		if ((r = topfield(l, t)) != CUST_OK)
			return r;
	}
	if (!(seen & 1u << T_ARTIFACTS))
		return failat(l, line, "missing field 'artifacts'");
	return globals(l);
}

/* One stream holding one document whose top level is a mapping. */
static int
document(struct load *l)
{
	int r;

	/* Two events in turn: NOLINTNEXTLINE(misc-redundant-expression) */
	if ((r = next(l)) != CUST_OK || (r = next(l)) != CUST_OK)
		return r;		/* stream start, then document start */
	if (is(l, YAML_STREAM_END_EVENT))
		return failat(l, 1, "empty manifest");
	if ((r = next(l)) != CUST_OK)
		return r;
	if (!is(l, YAML_MAPPING_START_EVENT))
		return fail(l, "top level: expected a mapping");
	if ((r = top(l)) != CUST_OK)
		return r;
	/* Two events in turn: NOLINTNEXTLINE(misc-redundant-expression) */
	if ((r = next(l)) != CUST_OK || (r = next(l)) != CUST_OK)
		return r;		/* document end, then what follows */
	if (!is(l, YAML_STREAM_END_EVENT))
		return fail(l, "more than one document");
	return CUST_OK;
}

/* Read TEXT into the manifest, from a clean state. */
static int
parse_text(struct load *l, const unsigned char *text, size_t n)
{
	int r;

	for (size_t i = 0; i < l->m->n; i++)
		rule_fini(&l->m->rules[i]);
	l->m->n = 0;
	free(l->condition);
	l->condition = NULL;
	l->have = l->modifier = l->rejected = false;
	l->depth = 0;
	l->text = text;
	if (!yaml_parser_initialize(&l->parser))
		return nomem(l);
	yaml_parser_set_encoding(&l->parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&l->parser, text, n);
	r = document(l);
	if (l->have)
		yaml_event_delete(&l->ev);
	l->have = false;
	yaml_parser_delete(&l->parser);
	return r;
}

static int
parse(struct load *l, const unsigned char *buf, size_t len)
{
	unsigned char *text = NULL, *uac = NULL;
	size_t n = 0, un = 0;
	int r;

	if ((r = prepare(l, buf, len, &text, &n)) != CUST_OK)
		return r;
	r = parse_text(l, text, n);
	/* Valid YAML is read as YAML; only text it refuses is read as UAC
	 * reads it: triple quotes, then values as whole lines. */
	if (r == CUST_FAILED && l->rejected) {
		(void)triplequotes(text, n);
		if ((r = uaclines(l, text, n, &uac, &un)) == CUST_OK)
			r = parse_text(l, uac, un);
	}
	free(uac);
	free(text);
	free(l->condition);
	l->condition = NULL;
	return r;
}

/* ------------------------------------------------------------- public */

void
cust_manifest_free(struct cust_manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		rule_fini(&m->rules[i]);
	free(m->rules);
	free(m->name);
	free(m);
}

int
cust_manifest_load_buffer(struct cust_ctx *ctx, const char *name,
    const void *buf, size_t len, struct cust_manifest **mp)
{
	struct cust_manifest *m;
	struct load l;
	int r;

	*mp = NULL;
	if (buf == NULL)
		buf = "";
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->name = strdup(name)) == NULL) {
		free(m);
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "%s", name);
	}
	if (len > MAX_BYTES) {
		r = cust_set_error(ctx, 0, CUST_FAILED,
		    "%s: larger than 1 MiB", name);
		goto fail;
	}
	if ((r = cust_sha256_hex(ctx, buf, len, m->sha256)) != CUST_OK)
		goto fail;
	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	l.m = m;
	if ((r = parse(&l, buf, len)) != CUST_OK)
		goto fail;
	*mp = m;
	return CUST_OK;
fail:
	cust_manifest_free(m);
	return r;
}

int
cust_manifest_load_file(struct cust_ctx *ctx, const char *path,
    struct cust_manifest **mp)
{
	char *buf;
	size_t len;
	int r;

	*mp = NULL;
	if ((r = cust_read_file(ctx, path, MAX_BYTES, &buf, &len)) != CUST_OK)
		return r;
	r = cust_manifest_load_buffer(ctx, path, buf, len, mp);
	free(buf);
	return r;
}

const char *
cust_manifest_name(const struct cust_manifest *m)
{
	return m->name;
}

const char *
cust_manifest_sha256(const struct cust_manifest *m)
{
	return m->sha256;
}

size_t
cust_manifest_count(const struct cust_manifest *m)
{
	return m->n;
}

const struct cust_rule *
cust_manifest_rule(const struct cust_manifest *m, size_t i)
{
	return i < m->n ? &m->rules[i] : NULL;
}

const char *
cust_manifest_description(const struct cust_manifest *m, size_t i)
{
	return i < m->n ? m->rules[i].description : NULL;
}

unsigned
cust_manifest_line(const struct cust_manifest *m, size_t i)
{
	return i < m->n ? m->rules[i].line : 0;
}

const char *
cust_manifest_collector(const struct cust_manifest *m, size_t i)
{
	return i < m->n ? collectors[m->rules[i].collector] : NULL;
}

size_t
cust_manifest_npaths(const struct cust_manifest *m, size_t i)
{
	return i < m->n ? m->rules[i].paths.n : 0;
}

const char *
cust_manifest_path(const struct cust_manifest *m, size_t i, size_t j)
{
	return i < m->n && j < m->rules[i].paths.n ?
	    m->rules[i].paths.v[j] : NULL;
}

const char *
cust_manifest_skip(const struct cust_manifest *m, size_t i)
{
	return i < m->n ? m->rules[i].skip : NULL;
}

int
cust_manifest_condition(const struct cust_manifest *m, size_t i, int rootfd,
    bool live, const char **cond)
{
	const struct cust_cond_env env = { .rootfd = rootfd, .live = live };
	const char *c[2];
	int r;

	*cond = NULL;
	if (i >= m->n)
		return 1;
	c[0] = m->rules[i].top_condition;
	c[1] = m->rules[i].condition;
	for (size_t k = 0; k < 2; k++) {
		if (c[k] == NULL)
			continue;
		*cond = c[k];
		if ((r = cust_condition_eval(&env, c[k])) != 1)
			return r;
	}
	return 1;
}
