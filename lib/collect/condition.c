/*
 * condition.c: UAC's `condition` field, decided without a shell.  UAC runs
 * the condition with sh and collects when it exits 0.  custody runs
 * nothing: it reads the few forms UAC's own artefacts use that can be
 * decided by looking at the collection root, and calls every other one
 * "not evaluated" (the artefact is then skipped, and the record says so).
 *
 * Decided: `true`, `false`, `command_exists "NAME"` (an executable NAME
 * in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin or /bin
 * of the root), `if [ [!] -d|-e|-f|-s "PATH" ]; then true; else false; fi`
 * for a literal absolute PATH inside the root, the same on a path in
 * UAC's own output directory (%artifacts_output_directory%: custody has
 * none, so such a file never exists), `[ "%mount_point%" == "/" ]`, and
 * `!`, `&&` and `||` between them, evaluated as sh does, left to right.
 * Anything else (a pipe, a variable, a command substitution, another
 * command) is not evaluated.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collect/collect.h"

#define MAX_WORDS	64
#define MAX_WORD	1024

/* Three values: sh's true and false, and "cannot say without a shell". */
enum { NO = 0, YES = 1, UNKNOWN = -1, ABORT = -2 };

struct words {
	char	 w[MAX_WORDS][MAX_WORD];
	bool	 quoted[MAX_WORDS];
	size_t	 n, i;
};

/*
 * Split S into sh words: blanks separate, quotes group, ';' '&&' '||' '!'
 * '|' stand alone.  -1 for what we do not read: an unterminated quote, a
 * '$' or '`' outside single quotes, a backslash, too many or long words.
 */
static int
split(const char *s, struct words *v)
{
	char q = 0, *o = NULL, *end = NULL;

	v->n = v->i = 0;
	for (; *s != '\0'; s++) {
		if (q == 0 && (*s == ' ' || *s == '\t' || *s == '\n')) {
			o = NULL;
			continue;
		}
		if (*s == '\\' || (q != '\'' && (*s == '$' || *s == '`')))
			return -1;
		if (q == 0 && strchr(";&|!", *s) != NULL) {
			if (v->n == MAX_WORDS)
				return -1;
			o = v->w[v->n];
			v->quoted[v->n++] = false;
			*o++ = *s;
			if ((*s == '&' || *s == '|') && s[1] == *s)
				*o++ = *++s;
			*o = '\0';
			o = NULL;
			continue;
		}
		if (o == NULL) {
			if (v->n == MAX_WORDS)
				return -1;
			v->quoted[v->n] = false;
			o = v->w[v->n++];
			end = o + MAX_WORD - 1;
			*o = '\0';
		}
		if (q == 0 && (*s == '"' || *s == '\'')) {
			q = *s;
			v->quoted[v->n - 1] = true;
		} else if (q != 0 && *s == q)
			q = 0;
		else if (o == end)
			return -1;
		else {
			*o++ = *s;
			*o = '\0';
		}
	}
	return q != 0 ? -1 : 0;
}

static const char *
peek(const struct words *v)
{
	return v->i < v->n ? v->w[v->i] : "";
}

/* Take the word WANT (unquoted) if it is next. */
static bool
take(struct words *v, const char *want)
{
	if (v->i < v->n && !v->quoted[v->i] && strcmp(v->w[v->i], want) == 0) {
		v->i++;
		return true;
	}
	return false;
}

/* Open PATH (absolute) inside the root, as the root's own programs would
 * see it: links resolve inside it. */
static int
stat_in(int rootfd, const char *path, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd, r;

	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0)
		return -1;
	r = fstat(fd, st);
	close(fd);
	return r;
}

static int
command_exists(int rootfd, const char *name)
{
	static const char *const dirs[] = { "/usr/local/sbin",
	    "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	char path[MAX_WORD + 32];
	struct stat st;

	if (*name == '\0' || strchr(name, '/') != NULL)
		return UNKNOWN;
	for (size_t i = 0; i < NELEM(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (stat_in(rootfd, path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111) != 0)
			return YES;
	}
	return NO;
}

/* test(1)'s -d -e -f -s on PATH, in the root. */
static int
filetest(const struct cust_cond_env *env, char op, const char *path)
{
	static const char out[] = "/%artifacts_output_directory%/";
	static const char mnt[] = "%mount_point%";
	struct stat st;

	if (strncmp(path, out, sizeof(out) - 1) == 0)
		return NO;		/* custody writes no UAC output */
	if (strncmp(path, mnt, sizeof(mnt) - 1) == 0)
		path += sizeof(mnt) - 1;
	if (path[0] != '/' || strchr(path, '%') != NULL)
		return UNKNOWN;
	if (stat_in(env->rootfd, path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? NO : UNKNOWN;
	switch (op) {
	case 'd': return S_ISDIR(st.st_mode) ? YES : NO;
	case 'f': return S_ISREG(st.st_mode) ? YES : NO;
	case 's': return st.st_size > 0 ? YES : NO;
	default: return YES;
	}
}

/* "[ [!] -X PATH ]" or "[ "%mount_point%" == "/" ]", the '[' taken. */
static int
bracket(const struct cust_cond_env *env, struct words *v)
{
	bool neg = take(v, "!");
	const char *a, *op;
	int r = UNKNOWN;

	if (v->i + 2 >= v->n)
		return UNKNOWN;
	op = v->w[v->i];
	if (op[0] == '-' && strchr("defs", op[1]) != NULL && op[2] == '\0') {
		r = filetest(env, op[1], v->w[v->i + 1]);
		v->i += 2;
	} else if (v->i + 3 < v->n && (strcmp(v->w[v->i + 1], "==") == 0 ||
	    strcmp(v->w[v->i + 1], "=") == 0)) {
		a = v->w[v->i];
		if (strcmp(a, "%mount_point%") == 0 &&
		    strcmp(v->w[v->i + 2], "/") == 0)
			r = env->live ? YES : NO;
		v->i += 3;
	}
	if (!take(v, "]"))
		return UNKNOWN;
	return r == UNKNOWN || !neg ? r : !r;
}

/* "if [ ... ]; then true|false; else true|false; fi", the 'if' taken. */
static int
ifthen(const struct cust_cond_env *env, struct words *v)
{
	int c, t, e;

	if (!take(v, "["))
		return UNKNOWN;
	c = bracket(env, v);
	if (!take(v, ";") || !take(v, "then"))
		return UNKNOWN;
	t = take(v, "true") ? YES : take(v, "false") ? NO : UNKNOWN;
	if (!take(v, ";"))
		return UNKNOWN;
	e = YES;		/* no else: if's status is 0 */
	if (take(v, "else")) {
		e = take(v, "true") ? YES : take(v, "false") ? NO : UNKNOWN;
		if (!take(v, ";"))
			return UNKNOWN;
	}
	if (!take(v, "fi") || t == UNKNOWN)
		return UNKNOWN;
	return c == UNKNOWN ? (t == e ? t : UNKNOWN) : c ? t : e;
}

/*
 * Past a command we do not read, to the next '&&' or '||' (a pipeline
 * binds tighter); ABORT when a ';' or an 'if' shows a structure we cannot
 * skip safely.
 */
static int
skip(struct words *v)
{
	for (; v->i < v->n; v->i++) {
		if (v->quoted[v->i])
			continue;
		if (strcmp(v->w[v->i], "&&") == 0 ||
		    strcmp(v->w[v->i], "||") == 0)
			break;
		if (strcmp(v->w[v->i], ";") == 0 ||
		    strcmp(v->w[v->i], "if") == 0)
			return ABORT;
	}
	return UNKNOWN;
}

/* One command, maybe negated by '!'. */
static int
command(const struct cust_cond_env *env, struct words *v)
{
	bool neg = take(v, "!");
	int r = UNKNOWN;
	size_t at = v->i;

	if (take(v, "true"))
		r = YES;
	else if (take(v, "false"))
		r = NO;
	else if (take(v, "command_exists") && v->i < v->n &&
	    strchr(";&|", peek(v)[0]) == NULL)
		r = command_exists(env->rootfd, v->w[v->i++]);
	else if (take(v, "if")) {
		if ((r = ifthen(env, v)) == UNKNOWN)
			return ABORT;
	} else
		return skip(v);
	/* A pipe or more arguments: not the form we read. */
	if (v->i < v->n && strcmp(peek(v), "&&") != 0 &&
	    strcmp(peek(v), "||") != 0) {
		v->i = at;
		return skip(v);
	}
	return r == UNKNOWN || !neg ? r : !r;
}

int
cust_condition_eval(const struct cust_cond_env *env, const char *cond)
{
	struct words *v;
	int r, b;
	bool and;

	if ((v = malloc(sizeof(*v))) == NULL)
		return UNKNOWN;
	if (split(cond, v) != 0 || v->n == 0) {
		free(v);
		return UNKNOWN;
	}
	r = command(env, v);
	while (r != ABORT && v->i < v->n) {
		and = strcmp(peek(v), "&&") == 0;
		if (!and && strcmp(peek(v), "||") != 0) {
			r = UNKNOWN;
			break;
		}
		v->i++;
		if ((b = command(env, v)) == ABORT) {
			r = ABORT;
			break;
		}
		/* Kleene's logic is sh's when a side cannot be decided. */
		if (and)
			r = r == NO || b == NO ? NO : r == YES && b == YES ?
			    YES : UNKNOWN;
		else
			r = r == YES || b == YES ? YES : r == NO && b == NO ?
			    NO : UNKNOWN;
	}
	free(v);
	return r == ABORT ? UNKNOWN : r;
}
