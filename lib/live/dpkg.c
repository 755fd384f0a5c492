/*
 * dpkg.c: Debian's package database against the files on disk, read
 * without dpkg: each package's var/lib/dpkg/info/PKG.md5sums gives the MD5
 * of every file it shipped, and every executable and library whose bytes
 * no longer match is a finding (a trojaned /usr/bin/ssh, a patched
 * libpam).  Conffiles are meant to change and are left out; a file that
 * another package diverts (dpkg-divert) is checked where the diversion
 * put it.  Everything is opened under ROOTFD by the kernel's own
 * resolution (inroot.c), so a mounted image's links stay in the image.
 *
 * Deleting a package's md5sums list (or emptying it) would hide its
 * files from that check, so var/lib/dpkg/status is read too: an
 * installed package whose list of files (info/PKG.list) holds a regular
 * file that is not a conffile, and that has no md5sums list with
 * anything in it, is a finding.  No package legitimately lacks one:
 * dh_md5sums lists every regular file but the conffiles, and dpkg itself
 * writes the list when it unpacks a .deb that ships none (third-party
 * packages built without debhelper), from the checksums it computed while
 * unpacking.  What has no list is a package with nothing to list: one of
 * directories and symbolic links only (a metapackage whose doc directory
 * is a link to another's), or of conffiles only.  A host whose packages
 * were unpacked by a dpkg too old to write the list would show them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "live/sources.h"
#include "live/util.h"

#define LIST_MAX	(64u * 1024 * 1024)	/* one md5sums, diversions */
#define CHUNK		(256 * 1024)
#define MAXTHREADS	4

/* One diversion: FROM is checked at TO for every package but BY. */
struct divert {
	const char	*from, *to, *by;	/* borrowed from text */
};

/* What looking at a file found. */
enum result {
	R_SKIP,			/* as shipped, or not an executable */
	R_MISSING, R_NOTREG, R_MODIFIED, R_UNREADABLE, R_NOMEM,
};

/* One packaged file to look at. */
struct item {
	char		*pkg, *path;	/* owned */
	const char	*at;		/* PATH or a diversion's (borrowed) */
	int		 kind;		/* of kind() */
	char		 want[33], got[33];
	enum result	 res;
	int		 err;		/* R_UNREADABLE: errno */
};

struct check {
	struct cust_ctx	*ctx;		/* borrowed */
	int		 rootfd;
	json_t		*out;		/* borrowed */
	struct divert	*div;		/* owned */
	size_t		 ndiv;
	char		*divtext;	/* owned */
	struct item	*item;		/* owned */
	size_t		 nitem, cap;
	atomic_size_t	 next;		/* the next item to look at */
};

/* A hashing thread, with its own digest, buffer and context. */
struct worker {
	struct check	*c;		/* borrowed */
	pthread_t	 t;
	struct cust_ctx	*ctx;		/* owned */
	struct cust_digest *md5;	/* owned */
	unsigned char	*buf;		/* owned, CHUNK bytes */
};

static int
cmpdiv(const void *a, const void *b)
{
	return strcmp(((const struct divert *)a)->from,
	    ((const struct divert *)b)->from);
}

/* var/lib/dpkg/diversions: three lines each, from, to, package (":" for
 * a local diversion, which applies to every package). */
static int
diversions(struct check *c, int dpkgfd)
{
	char *p, *line[3];
	size_t n, cap = 0;
	int r;

	r = cust_read_file_at(c->ctx, dpkgfd, "diversions",
	    "var/lib/dpkg/diversions", CUST_READ_NOFOLLOW |
	    CUST_READ_OPTIONAL, LIST_MAX, &c->divtext, &n);
	if (r != CUST_OK || c->divtext == NULL)
		return r;
	for (p = c->divtext; *p != '\0';) {
		for (int i = 0; i < 3; i++) {
			line[i] = p;
			p += strcspn(p, "\n");
			if (*p != '\0')
				*p++ = '\0';
		}
		if (c->ndiv == cap) {
			struct divert *v;

			cap = cap ? cap * 2 : 64;
			if ((v = realloc(c->div, cap * sizeof(*v))) == NULL)
				return cust_set_error(c->ctx, errno,
				    CUST_FATAL, "diversions");
			c->div = v;
		}
		c->div[c->ndiv++] = (struct divert){ line[0], line[1],
		    line[2] };
	}
	if (c->ndiv > 0)	/* c->div is NULL with none */
		qsort(c->div, c->ndiv, sizeof(*c->div), cmpdiv);
	return CUST_OK;
}

/* Where PKG's file PATH ("/usr/bin/x") is: its diverted name when
 * another package (or the admin) diverted it. */
static const char *
where(const struct check *c, const char *pkg, const char *path)
{
	struct divert k = { path, NULL, NULL }, *d;
	size_t n = strcspn(pkg, ":");	/* "libc6:amd64" diverts as "libc6" */

	if (c->ndiv == 0)	/* no diversions file: c->div is NULL */
		return path;
	d = bsearch(&k, c->div, c->ndiv, sizeof(*c->div), cmpdiv);
	if (d == NULL || (strncmp(d->by, pkg, n) == 0 && d->by[n] == '\0'))
		return path;
	return d->to;
}

/*
 * Is PATH ("/usr/bin/x") an executable or a library?  2: by its place or
 * name alone; 1: if its mode has an execute bit; 0: no.
 */
static int
kind(const char *path)
{
	static const char *const bins[] = {
		"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/",
	};
	const char *base = strrchr(path, '/'), *so;

	for (size_t i = 0; i < NELEM(bins); i++)
		if (strncmp(path, bins[i], strlen(bins[i])) == 0)
			return 2;
	for (so = base; so != NULL && (so = strstr(so, ".so")) != NULL; so++)
		if (so[3] == '\0' || (so[3] == '.' && so[4] >= '0' &&
		    so[4] <= '9'))	/* libx.so.1, not ld.so.conf */
			return 2;
	if (strncmp(path, "/lib", 4) == 0 || strncmp(path, "/usr/lib", 8) == 0)
		return 1;
	return 0;
}

static int
report(struct check *c, const struct item *it, const char *problem)
{
	struct cust_row w;

	cust_row_begin(&w);
	cust_row_set(&w, "package", cust_json_raw(it->pkg, strlen(it->pkg)));
	cust_row_set(&w, "path", cust_json_raw(it->path, strlen(it->path)));
	cust_row_set(&w, "checked", cust_json_raw(it->at, strlen(it->at)));
	cust_row_set(&w, "problem", json_string(problem));
	cust_row_set(&w, "expected_md5", it->want[0] != '\0' ?
	    json_string(it->want) : json_null());
	cust_row_set(&w, "actual_md5", it->got[0] != '\0' ?
	    json_string(it->got) : json_null());
	return cust_row_done(c->ctx, &w, c->out);
}

/* The MD5 of FD into HEX; an errno value when it cannot be read. */
static int
hash(struct worker *wk, int fd, char hex[33])
{
	ssize_t k;

	if (cust_digest_reset(wk->md5) != CUST_OK)
		return ENOMEM;
	while ((k = read(fd, wk->buf, CHUNK)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		if (cust_digest_update(wk->md5, wk->buf, (size_t)k) != CUST_OK)
			return ENOMEM;
	}
	if (cust_digest_final(wk->md5) != CUST_OK)
		return ENOMEM;
	memcpy(hex, cust_digest_hex(wk->md5, CUST_ALG_MD5), 33);
	return 0;
}

static int
openfile(int rootfd, const char *path)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK, fd;

	while (*path == '/')
		path++;
	/* the access times are evidence too; O_NOATIME needs the owner */
	fd = cust_open_in_root(rootfd, path, flags | O_NOATIME, false);
	if (fd < 0 && errno == EPERM)
		fd = cust_open_in_root(rootfd, path, flags, false);
	return fd;
}

/* Look at one file: its outcome into IT. */
static void
look(struct worker *wk, struct item *it)
{
	struct stat st;
	int fd;

	if ((fd = openfile(wk->c->rootfd, it->at)) < 0) {
		it->err = errno;
		it->res = errno == ENOENT ? (it->kind == 2 ? R_MISSING :
		    R_SKIP) : errno == ELOOP ? R_NOTREG : R_UNREADABLE;
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		it->res = R_NOTREG;
	else if (it->kind == 1 && (st.st_mode & 0111) == 0)
		it->res = R_SKIP;
	else if ((it->err = hash(wk, fd, it->got)) != 0)
		it->res = it->err == ENOMEM ? R_NOMEM : R_UNREADABLE;
	else
		it->res = strcmp(it->got, it->want) == 0 ? R_SKIP :
		    R_MODIFIED;
	if (it->res != R_MODIFIED)
		it->got[0] = '\0';
	close(fd);
}

static void *
work(void *arg)
{
	struct worker *wk = arg;
	size_t i;

	while ((i = atomic_fetch_add(&wk->c->next, 1)) < wk->c->nitem)
		look(wk, &wk->c->item[i]);
	return NULL;
}

/* Every item looked at, by as many threads as there are processors (at
 * most MAXTHREADS): MD5 is bound by the CPU once the files are cached. */
static int
lookall(struct check *c)
{
	struct worker wk[MAXTHREADS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = ncpu < 1 ? 1 : ncpu > MAXTHREADS ? MAXTHREADS :
	    (size_t)ncpu, made = 0, started = 0;
	int r = CUST_OK;

	memset(wk, 0, sizeof(wk));
	for (; r == CUST_OK && made < n; made++) {
		wk[made].c = c;
		r = cust_ctx_new(&wk[made].ctx);
		if (r == CUST_OK)
			r = cust_digest_new(wk[made].ctx, CUST_ALG_MD5,
			    &wk[made].md5);
		if (r == CUST_OK && (wk[made].buf = malloc(CHUNK)) == NULL)
			r = CUST_FATAL;
	}
	if (r != CUST_OK)
		r = cust_set_error(c->ctx, ENOMEM, CUST_FATAL, "dpkg check");
	for (; r == CUST_OK && started < n; started++)
		if (pthread_create(&wk[started].t, NULL, work,
		    &wk[started]) != 0)
			break;
	if (r == CUST_OK && started == 0)
		work(&wk[0]);		/* no thread: this one does it */
	for (size_t i = 0; i < started; i++)
		pthread_join(wk[i].t, NULL);
	for (size_t i = 0; i < made; i++) {
		free(wk[i].buf);
		cust_digest_free(wk[i].md5);
		cust_ctx_free(wk[i].ctx);
	}
	return r;
}

/* The findings, in the order of the items. */
static int
results(struct check *c)
{
	char why[160];
	int r = CUST_OK;

	for (size_t i = 0; r == CUST_OK && i < c->nitem; i++) {
		const struct item *it = &c->item[i];

		switch (it->res) {
		case R_SKIP:
			break;
		case R_MISSING:
			r = report(c, it, "missing");
			break;
		case R_NOTREG:
			r = report(c, it, "not a regular file");
			break;
		case R_MODIFIED:
			r = report(c, it, "modified");
			break;
		case R_UNREADABLE:
			snprintf(why, sizeof(why), "unreadable: %s",
			    strerror(it->err));
			r = report(c, it, why);
			break;
		case R_NOMEM:
			r = cust_set_error(c->ctx, ENOMEM, CUST_FATAL, "%s",
			    it->at);
			break;
		}
	}
	return r;
}

/* PKG's file PATH ("/usr/bin/x"), shipped with MD5 WANT, to be looked
 * at if it may be an executable or a library. */
static int
add(struct check *c, const char *pkg, const char *path, const char *want)
{
	struct item *it;
	int k = kind(path);

	if (k == 0)
		return CUST_OK;
	if (c->nitem == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;

		if ((it = realloc(c->item, cap * sizeof(*it))) == NULL)
			return cust_set_error(c->ctx, errno, CUST_FATAL,
			    "dpkg check");
		c->item = it;
		c->cap = cap;
	}
	it = &c->item[c->nitem];
	memset(it, 0, sizeof(*it));
	if ((it->pkg = strdup(pkg)) == NULL ||
	    (it->path = strdup(path)) == NULL) {
		free(it->pkg);
		return cust_set_error(c->ctx, errno, CUST_FATAL, "dpkg check");
	}
	c->nitem++;
	it->at = where(c, pkg, it->path);
	it->kind = k;
	memcpy(it->want, want, 33);
	return CUST_OK;
}

static bool
ismd5(const char *s)
{
	for (int i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[32] == ' ';
}

/* Is "/PATH" (without its slash at P) a line of CONFFILES? */
static bool
conffile(const char *conffiles, const char *p)
{
	size_t n = strlen(p);
	const char *s;

	for (s = conffiles; s != NULL && (s = strstr(s, p)) != NULL; s++)
		if (s > conffiles && s[-1] == '/' && (s - 1 == conffiles ||
		    s[-2] == '\n') && (s[n] == '\n' || s[n] == '\0'))
			return true;
	return false;
}

/* The lines "MD5  path" of PKG's md5sums TEXT. */
static int
package(struct check *c, const char *pkg, char *text, const char *conf)
{
	char *line, *nl, *p, path[4096];
	int r = CUST_OK;

	for (line = text; r == CUST_OK && *line != '\0'; line = nl) {
		nl = line + strcspn(line, "\n");
		if (*nl != '\0')
			*nl++ = '\0';
		if (strlen(line) < 35 || !ismd5(line))
			continue;
		line[32] = '\0';
		for (p = line + 33; *p == ' '; p++)
			;
		if (*p == '/')
			p++;
		if (*p == '\0' || conffile(conf, p) ||
		    strlen(p) + 2 > sizeof(path))
			continue;
		path[0] = '/';
		memcpy(path + 1, p, strlen(p) + 1);
		r = add(c, pkg, path, line);
	}
	return r;
}

/* info/NAME, a PKG.md5sums. */
static int
md5sums(struct check *c, int infofd, const char *name)
{
	size_t n = strlen(name) - strlen(".md5sums");
	char *text = NULL, *conf = NULL, pkg[256], cname[300];
	size_t len;
	int r;

	if (n == 0 || n >= sizeof(pkg))
		return CUST_OK;
	memcpy(pkg, name, n);
	pkg[n] = '\0';
	snprintf(cname, sizeof(cname), "%s.conffiles", pkg);
	r = cust_read_file_at(c->ctx, infofd, name, NULL, CUST_READ_NOFOLLOW,
	    LIST_MAX, &text, &len);
	if (r == CUST_OK)
		r = cust_read_file_at(c->ctx, infofd, cname, NULL,
		    CUST_READ_NOFOLLOW | CUST_READ_OPTIONAL, LIST_MAX, &conf,
		    &len);
	if (r == CUST_OK)
		r = package(c, pkg, text, conf);
	free(conf);
	free(text);
	return r;
}

static bool
suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && strcmp(s + n - k, suf) == 0;
}

static int
packages(struct check *c, int infofd)
{
	struct dirent *e;
	DIR *d;
	int fd, r = CUST_OK;

	if ((fd = dup(infofd)) < 0 || (d = fdopendir(fd)) == NULL) {
		r = cust_set_error(c->ctx, errno, CUST_FAILED,
		    "var/lib/dpkg/info");
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r == CUST_OK && (errno = 0, e = readdir(d)) != NULL)
		if (suffix(e->d_name, ".md5sums"))
			r = md5sums(c, infofd, e->d_name);
	if (r == CUST_OK && e == NULL && errno != 0)
		r = cust_set_error(c->ctx, errno, CUST_FAILED,
		    "var/lib/dpkg/info");
	closedir(d);
	return r;
}

/* ---------------------------------------------- packages without md5sums */

/* Does STATE (the third word of a Status: field) leave the package's
 * files on disk, its md5sums list written?  Not "half-installed" (an
 * unpack that failed before the list was written), "config-files" nor
 * "not-installed". */
static bool
unpacked(const char *status)
{
	static const char *const states[] = { "installed", "unpacked",
	    "half-configured", "triggers-awaited", "triggers-pending" };
	const char *st = strrchr(status, ' ');

	st = st != NULL ? st + 1 : status;
	for (size_t i = 0; i < NELEM(states); i++)
		if (strcmp(st, states[i]) == 0)
			return true;
	return false;
}

/* One package's stanza of the status file: the fields used here
 * (borrowed from the text; NULL when absent). */
struct stanza {
	const char	*pkg, *status, *arch, *multiarch;
};

/* The name of INFO's files for ST ("libc6:amd64" for a Multi-Arch: same
 * package, else "libc6"; dpkg took one or the other over time): the one
 * whose .list exists, into NAME; false when neither does. */
static bool
infoname(int infofd, const struct stanza *st, char *name, size_t cap)
{
	char list[320];
	struct stat sb;
	bool same = st->multiarch != NULL && strcmp(st->multiarch, "same") == 0;

	for (int k = 0; k < 2; k++) {
		if ((k == 0) == same && st->arch != NULL)
			snprintf(name, cap, "%s:%s", st->pkg, st->arch);
		else
			snprintf(name, cap, "%s", st->pkg);
		snprintf(list, sizeof(list), "%s.list", name);
		if (fstatat(infofd, list, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode))
			return true;
	}
	return false;
}

/* Is PATH ("/usr/bin/x") under ROOTFD a regular file?  Its directory is
 * opened, and it is looked at there without being opened: a device or a
 * FIFO a package ships is never opened. */
static bool
regular(int rootfd, const char *path)
{
	const char *base = strrchr(path, '/');
	char dir[4096];
	struct stat sb;
	int fd;
	bool r;

	if ((size_t)(base - path) >= sizeof(dir) || base[1] == '\0')
		return false;
	memcpy(dir, path, (size_t)(base - path));
	dir[base - path] = '\0';
	fd = cust_open_in_root(rootfd, dir[0] != '\0' ? dir + 1 : ".",
	    O_RDONLY | O_DIRECTORY, false);
	if (fd < 0)
		return false;
	r = fstatat(fd, base + 1, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(sb.st_mode);
	close(fd);
	return r;
}

/* The first path of LIST (PKG's, diverted where another package diverted
 * it) that is a regular file and not one of CONF, into IT->at and
 * IT->path; false when there is none. */
static bool
first_regular(struct check *c, struct item *it, char *list, const char *conf)
{
	char *line, *nl;

	for (line = list; *line != '\0'; line = nl) {
		nl = line + strcspn(line, "\n");
		if (*nl != '\0')
			*nl++ = '\0';
		if (line[0] != '/' || line[1] == '\0' ||
		    strcmp(line, "/.") == 0 || conffile(conf, line + 1))
			continue;
		it->path = line;
		it->at = where(c, it->pkg, line);
		if (regular(c->rootfd, it->at))
			return true;
	}
	return false;
}

/* Package ST: a finding when it has a regular file to check and no
 * md5sums list to check it with. */
static int
stanza_check(struct check *c, int infofd, const struct stanza *st)
{
	char name[300], file[320], *list = NULL, *conf = NULL;
	struct item it;
	struct stat sb;
	bool empty;
	size_t len;
	int r;

	if (st->pkg == NULL || st->status == NULL || !unpacked(st->status) ||
	    strchr(st->pkg, '/') != NULL || st->pkg[0] == '.' ||
	    !infoname(infofd, st, name, sizeof(name)))
		return CUST_OK;
	snprintf(file, sizeof(file), "%s.md5sums", name);
	empty = fstatat(infofd, file, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	if (empty && (!S_ISREG(sb.st_mode) || sb.st_size > 0))
		return CUST_OK;		/* checked, or said, by md5sums() */
	memset(&it, 0, sizeof(it));
	it.pkg = name;
	snprintf(file, sizeof(file), "%s.list", name);
	r = cust_read_file_at(c->ctx, infofd, file, NULL, CUST_READ_NOFOLLOW,
	    LIST_MAX, &list, &len);
	snprintf(file, sizeof(file), "%s.conffiles", name);
	if (r == CUST_OK)
		r = cust_read_file_at(c->ctx, infofd, file, NULL,
		    CUST_READ_NOFOLLOW | CUST_READ_OPTIONAL, LIST_MAX, &conf,
		    &len);
	if (r == CUST_OK && first_regular(c, &it, list, conf))
		r = report(c, &it, empty ? "empty md5sums" : "no md5sums");
	free(conf);
	free(list);
	if (r == CUST_FAILED)	/* the .list went, or is unreadable */
		cust_ctx_clear(c->ctx);
	return r == CUST_FATAL ? r : CUST_OK;
}

static void
field(struct stanza *st, const char *k, const char *v)
{
	if (strcasecmp(k, "Package") == 0)
		st->pkg = v;
	else if (strcasecmp(k, "Status") == 0)
		st->status = v;
	else if (strcasecmp(k, "Architecture") == 0)
		st->arch = v;
	else if (strcasecmp(k, "Multi-Arch") == 0)
		st->multiarch = v;
}

/* Every package of var/lib/dpkg/status, stanza by stanza.  No status
 * file: nothing to do (the md5sums are checked without it). */
static int
unlisted(struct check *c, int dpkgfd, int infofd)
{
	struct stanza st = { NULL, NULL, NULL, NULL };
	char *text = NULL, *line, *nl, *v;
	size_t n;
	int r;

	r = cust_read_file_at(c->ctx, dpkgfd, "status", "var/lib/dpkg/status",
	    CUST_READ_NOFOLLOW | CUST_READ_OPTIONAL, LIST_MAX, &text, &n);
	if (r != CUST_OK || text == NULL)
		return r;
	for (line = text; r == CUST_OK && line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (*line == '\0') {
			r = stanza_check(c, infofd, &st);
			st = (struct stanza){ NULL, NULL, NULL, NULL };
		} else if (*line != ' ' && *line != '\t' &&
		    (v = strchr(line, ':')) != NULL) {
			*v++ = '\0';
			field(&st, line, v + strspn(v, " \t"));
		}
	}
	if (r == CUST_OK)	/* the last stanza, without a blank line */
		r = stanza_check(c, infofd, &st);
	free(text);
	return r;
}

static int
run(struct check *c)
{
	int dpkgfd, infofd = -1, r;

	dpkgfd = cust_open_in_root(c->rootfd, "var/lib/dpkg",
	    O_RDONLY | O_DIRECTORY, false);
	if (dpkgfd >= 0)
		infofd = cust_open_in_root(dpkgfd, "info",
		    O_RDONLY | O_DIRECTORY, true);
	if (infofd < 0) {
		r = cust_set_error(c->ctx, errno, CUST_FAILED,
		    "var/lib/dpkg/info");
		goto out;
	}
	r = diversions(c, dpkgfd);
	if (r == CUST_OK)
		r = packages(c, infofd);
	if (r == CUST_OK)
		r = lookall(c);
	if (r == CUST_OK)
		r = results(c);
	/* an unreadable status: the findings so far, and why not more */
	if (r == CUST_OK && (r = unlisted(c, dpkgfd, infofd)) == CUST_FAILED)
		r = CUST_WARN;
out:
	if (infofd >= 0)
		close(infofd);
	if (dpkgfd >= 0)
		close(dpkgfd);
	return r;
}

int
cust_live_dpkg_check(struct cust_ctx *ctx, int rootfd, json_t **findings)
{
	struct check c = { .ctx = ctx, .rootfd = rootfd };
	int r;

	*findings = NULL;
	if ((c.out = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "dpkg check");
	r = run(&c);
	for (size_t i = 0; i < c.nitem; i++) {
		free(c.item[i].pkg);
		free(c.item[i].path);
	}
	free(c.item);
	free(c.div);
	free(c.divtext);
	if (r != CUST_OK && r != CUST_WARN) {
		json_decref(c.out);
		return r;
	}
	*findings = c.out;
	return r;
}
