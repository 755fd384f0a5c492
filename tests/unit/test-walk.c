/*
 * test-walk.c: the traversal.  Trees are built at run time in a temporary
 * directory that stands in for "/" (the walker's rootfd): symbolic links
 * inside and out, FIFOs, dotfiles, odd names, and a tree deeper than the
 * walker's descriptor budget.  Every visit is recorded and checked against
 * the tree as made, and every entry's dirfd must name the entry.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "collect/collect.h"
#include "harness.h"

#define MAXSEEN	4096

struct seen {
	char		*path;
	char		*name;
	int		 depth;
	int		 err;
	const char	*what;
	mode_t		 mode;
	bool		 dirfd_ok;	/* fstatat(dirfd, name) is the entry */
	bool		 shape_ok;	/* pathlen, name = last component */
};

static struct cust_ctx *ctx;
static int rootfd = -1;
static int fds_before;
static struct cust_rule rule;
static struct seen seen[MAXSEEN];
static size_t nseen;
/* Visitor hooks: stop with CUST_FATAL at visit number STOP_AT (1-based),
 * or run HOOK before recording. */
static size_t stop_at;
static void (*hook)(const struct cust_entry *);
/* Stats ahead through this ring when set (the walk's statq). */
static struct cust_statq *statq;
/* Directories read ahead by these threads when set (the walk's dirq). */
static struct cust_dirq *dirq;
/* Regular files by their directory entry (cust_walk_opts.lazy_files). */
static bool lazy_files;

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own descriptor */
}

static void
setup(void)
{
	fds_before = count_fds();
	ck_assert_int_eq(cust_ctx_new(&ctx), CUST_OK);
	scratch_make();
	rootfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	memset(&rule, 0, sizeof(rule));
	rule.max_depth = -1;
	rule.min_size = -1;
	rule.max_size = -1;
	nseen = 0;
	stop_at = 0;
	hook = NULL;
	statq = NULL;
	dirq = NULL;
	lazy_files = false;
}

static void
forget_seen(void)
{
	for (size_t i = 0; i < nseen; i++) {
		free(seen[i].path);
		free(seen[i].name);
	}
	nseen = 0;
}

static void
teardown(void)
{
	cust_statq_free(statq);
	statq = NULL;
	cust_dirq_free(dirq);
	dirq = NULL;
	forget_seen();
	cust_strv_free(&rule.name_patterns);
	cust_strv_free(&rule.path_patterns);
	cust_strv_free(&rule.exclude_path_patterns);
	cust_strv_free(&rule.exclude_name_patterns);
	if (rootfd >= 0)
		close(rootfd);
	rootfd = -1;
	scratch_remove();
	cust_ctx_free(ctx);
	/* The walker leaves no descriptor open behind it. */
	ck_assert_int_eq(count_fds(), fds_before);
}

static void
mkf(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

static void
mkl(const char *name, const char *target)
{
	ck_assert_int_eq(symlink(target, path(name)), 0);
}

static void
mkp(const char *name)
{
	ck_assert_int_eq(mkfifo(path(name), 0600), 0);
}

static void
add(struct cust_strv *v, const char *s)
{
	char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));

	ck_assert_ptr_nonnull(nv);
	v->v = nv;
	ck_assert_ptr_nonnull(v->v[v->n] = strdup(s));
	v->n++;
}

static int
visitor(void *arg, const struct cust_entry *e)
{
	struct seen *s;
	struct stat st;
	const char *last;

	ck_assert_ptr_eq(arg, &rule);
	if (hook != NULL)
		hook(e);
	ck_assert_uint_lt(nseen, MAXSEEN);
	s = &seen[nseen++];
	s->path = strndup(e->path, e->pathlen);
	s->name = strdup(e->name);
	ck_assert_ptr_nonnull(s->path);
	ck_assert_ptr_nonnull(s->name);
	s->depth = e->depth;
	s->err = e->err;
	s->what = e->what;
	s->mode = e->st.st_mode;
	s->dirfd_ok = e->dirfd >= 0 &&
	    fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_ino == e->st.st_ino && st.st_dev == e->st.st_dev &&
	    st.st_mode == e->st.st_mode && st.st_size == e->st.st_size;
	last = strrchr(s->path, '/');
	s->shape_ok = strlen(e->path) == e->pathlen && last != NULL &&
	    (strcmp(last + 1, e->name) == 0 ||
	    (strcmp(s->path, "/") == 0 && strcmp(e->name, ".") == 0));
	if (stop_at != 0 && nseen == stop_at)
		return CUST_FATAL;
	return CUST_OK;
}

static int
walk_at(int fd, const char *start)
{
	struct cust_walk_opts o = {
		.rootfd = fd, .rule = &rule, .visit = visitor, .arg = &rule,
		.statq = statq, .dirq = dirq, .lazy_files = lazy_files,
	};

	return cust_walk(ctx, &o, start);
}

/* Walk START and expect CUST_OK. */
static void
walk(const char *start)
{
	ck_assert_int_eq(walk_at(rootfd, start), CUST_OK);
}

/* The visited paths, separated by single spaces (borrowed). */
static const char *
paths(void)
{
	static char buf[65536];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nseen; i++) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? " " : "", seen[i].path);
		ck_assert_uint_lt(n, sizeof(buf));
	}
	return buf;
}

/* Every visit so far was a clean one with a usable dirfd. */
static void
all_clean(void)
{
	for (size_t i = 0; i < nseen; i++) {
		ck_assert_msg(seen[i].err == 0 && seen[i].what == NULL,
		    "%s: %s %d", seen[i].path, seen[i].what, seen[i].err);
		ck_assert_msg(seen[i].dirfd_ok, "%s: bad dirfd", seen[i].path);
		ck_assert_msg(seen[i].shape_ok, "%s: bad name %s",
		    seen[i].path, seen[i].name);
	}
}

static const struct seen *
find(const char *p)
{
	for (size_t i = 0; i < nseen; i++)
		if (strcmp(seen[i].path, p) == 0)
			return &seen[i];
	return NULL;
}

/* ------------------------------------------------------------ order */

START_TEST(walk_visits_children_in_byte_order)
{
	static const char *const names[] = { "b", "é", "a.b", "B", "_", "a-b",
	    "a", "Z1", "10", "9", "~" };

	mkd("t");
	for (size_t i = 0; i < NELEM(names); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "t/%s", names[i]);
		mkf(rel, names[i]);
	}
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/10 /t/9 /t/B /t/Z1 /t/_ /t/a /t/a-b "
	    "/t/a.b /t/b /t/~ /t/é");
	all_clean();
}
END_TEST

START_TEST(walk_visits_directory_before_its_children)
{
	mkd("t");
	mkd("t/a");
	mkf("t/a/z", "");
	mkd("t/a/y");
	mkf("t/a/y/x", "");
	mkf("t/a-b", "");
	mkf("t/0", "");
	walk("/t");
	/* Depth first, each directory's names sorted: "a/..." comes before
	 * "a-b" although '/' sorts after '-'. */
	ck_assert_str_eq(paths(), "/t /t/0 /t/a /t/a/y /t/a/y/x /t/a/z /t/a-b");
	ck_assert_int_eq(find("/t")->depth, 0);
	ck_assert_int_eq(find("/t/a")->depth, 1);
	ck_assert_int_eq(find("/t/a/y/x")->depth, 3);
	ck_assert_int_eq(find("/t/a-b")->depth, 1);
	ck_assert(S_ISDIR(find("/t/a/y")->mode));
	ck_assert(S_ISREG(find("/t/a/y/x")->mode));
	all_clean();
}
END_TEST

START_TEST(walk_of_root_visits_it_as_dot)
{
	mkd("etc");
	mkf("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	mkf("z", "");
	walk("/");
	ck_assert_str_eq(paths(), "/ /etc /etc/passwd /z");
	ck_assert_str_eq(seen[0].name, ".");
	ck_assert_int_eq(seen[0].depth, 0);
	all_clean();
}
END_TEST

START_TEST(walk_of_file_visits_only_it)
{
	mkd("t");
	mkf("t/f", "12345");
	mkf("t/g", "");
	walk("/t/f");
	ck_assert_str_eq(paths(), "/t/f");
	ck_assert_str_eq(seen[0].name, "f");
	ck_assert_int_eq(seen[0].depth, 0);
	all_clean();
	forget_seen();
	/* Redundant slashes and "." components name the same file. */
	walk("//t/./f");
	ck_assert_str_eq(paths(), "/t/f");
	forget_seen();
	walk("t/f/");
	ck_assert_str_eq(paths(), "/t/f");
}
END_TEST

START_TEST(walk_keeps_odd_names_raw)
{
	mkd("t");
	mkf("t/new\nline", "");
	mkf("t/sp ace", "");
	mkf("t/\xff\xfe", "");
	mkf("t/-rf", "");
	mkf("t/%41", "");
	walk("/t");
	ck_assert_uint_eq(nseen, 6);
	ck_assert_str_eq(seen[1].path, "/t/%41");
	ck_assert_str_eq(seen[2].path, "/t/-rf");
	ck_assert_str_eq(seen[3].path, "/t/new\nline");
	ck_assert_str_eq(seen[4].path, "/t/sp ace");
	ck_assert_str_eq(seen[5].path, "/t/\xff\xfe");
	all_clean();
}
END_TEST

/* ------------------------------------------------------------ links */

START_TEST(walk_does_not_descend_symlinked_dir)
{
	mkd("t");
	mkd("t/real");
	mkf("t/real/f", "");
	mkd("outside");
	mkf("outside/secret", "");
	mkl("t/in", "real");
	mkl("t/out", "../outside");
	mkl("t/abs", "/outside");
	mkl("t/self", ".");
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/abs /t/in /t/out /t/real /t/real/f "
	    "/t/self");
	ck_assert(S_ISLNK(find("/t/in")->mode));
	ck_assert(S_ISLNK(find("/t/abs")->mode));
	ck_assert(S_ISLNK(find("/t/self")->mode));
	ck_assert_ptr_null(find("/t/in/f"));
	ck_assert_ptr_null(find("/outside/secret"));
	all_clean();
}
END_TEST

START_TEST(walk_does_not_follow_symlink_as_last_start_component)
{
	mkd("t");
	mkd("t/real");
	mkf("t/real/f", "");
	mkl("t/link", "real");
	walk("/t/link");
	ck_assert_str_eq(paths(), "/t/link");
	ck_assert(S_ISLNK(seen[0].mode));
	all_clean();
}
END_TEST

START_TEST(walk_resolves_relative_start_link_inside_root)
{
	mkd("var");
	mkd("run");
	mkf("run/fake.pid", "1\n");
	mkl("var/run", "../run");
	walk("/var/run");
	ck_assert_str_eq(paths(), "/var/run");
	ck_assert(S_ISLNK(seen[0].mode));
	forget_seen();
	/* A link met before the last component is followed, in the root. */
	walk("/var/run/fake.pid");
	ck_assert_str_eq(paths(), "/run/fake.pid");
	all_clean();
	forget_seen();
	walk("/var/run/*");
	ck_assert_str_eq(paths(), "/run/fake.pid");
	all_clean();
}
END_TEST

START_TEST(walk_resolves_absolute_start_link_inside_root)
{
	mkd("var");
	mkd("run");
	mkf("run/only-in-fake-root", "");
	mkl("var/run", "/run");
	mkl("var/lock", "/run/../run/./");
	walk("/var/run/*");
	/* The temporary root's /run, never the host's. */
	ck_assert_str_eq(paths(), "/run/only-in-fake-root");
	all_clean();
	forget_seen();
	walk("/var/lock/only-in-fake-root");
	ck_assert_str_eq(paths(), "/run/only-in-fake-root");
	all_clean();
}
END_TEST

START_TEST(walk_clamps_dotdot_at_root)
{
	mkd("etc");
	mkf("etc/shadow", "fake\n");
	mkd("a");
	mkl("a/up", "../../../../../../etc");
	walk("/../../../etc/shadow");
	ck_assert_str_eq(paths(), "/etc/shadow");
	all_clean();
	forget_seen();
	walk("/a/up/shadow");
	ck_assert_str_eq(paths(), "/etc/shadow");
	all_clean();
	forget_seen();
	walk("/a/../etc");
	ck_assert_str_eq(paths(), "/etc /etc/shadow");
	all_clean();
}
END_TEST

START_TEST(walk_reports_start_link_loop)
{
	mkl("a", "b");
	mkl("b", "a");
	walk("/a/x");
	ck_assert_uint_eq(nseen, 1);
	ck_assert_int_eq(seen[0].err, ELOOP);
	ck_assert_str_eq(seen[0].what, "resolve");
}
END_TEST

START_TEST(walk_ignores_dangling_or_file_start_link)
{
	mkf("file", "x");
	mkl("dangling", "nowhere");
	mkl("tofile", "file");
	walk("/dangling/x");
	walk("/tofile/x");
	walk("/tofile/x/y");
	ck_assert_uint_eq(nseen, 0);
	ck_assert_str_eq(cust_ctx_error(ctx), "");
}
END_TEST

/* ------------------------------------------------------------ globs */

START_TEST(walk_expands_glob_in_last_component)
{
	mkd("a");
	mkf("a/y.log", "");
	mkf("a/x.log", "");
	mkf("a/x.txt", "");
	mkf("a/.hidden.log", "");
	mkd("a/d.log");
	mkf("a/d.log/inner", "");
	walk("/a/*.log");
	ck_assert_str_eq(paths(), "/a/d.log /a/d.log/inner /a/x.log /a/y.log");
	all_clean();
	ck_assert_int_eq(find("/a/x.log")->depth, 0);
	ck_assert_int_eq(find("/a/d.log/inner")->depth, 1);
}
END_TEST

START_TEST(walk_glob_star_skips_dotfiles)
{
	mkd("a");
	mkf("a/.hidden", "");
	mkf("a/shown", "");
	walk("/a/*");
	ck_assert_str_eq(paths(), "/a/shown");
	forget_seen();
	walk("/a/?hidden");
	ck_assert_str_eq(paths(), "");
	forget_seen();
	walk("/a/[.]hidden");
	ck_assert_str_eq(paths(), "");
	forget_seen();
	walk("/a/.*");
	ck_assert_str_eq(paths(), "/a/.hidden");
	all_clean();
}
END_TEST

START_TEST(walk_expands_glob_in_middle_component)
{
	mkd("home");
	mkd("home/ann");
	mkd("home/bob");
	mkd("home/.skel");
	mkf("home/ann/.bash_history", "ls\n");
	mkf("home/bob/.bash_history", "id\n");
	mkf("home/.skel/.bash_history", "");
	mkf("home/zed", "");
	walk("/home/*/.bash_history");
	ck_assert_str_eq(paths(), "/home/ann/.bash_history "
	    "/home/bob/.bash_history");
	all_clean();
}
END_TEST

/*
 * A link among the matches of a middle glob is followed (the component is
 * not the last), and what lies beyond it is recorded under the path it
 * resolves to.  The matches after it keep their own paths: the walker
 * once left the link's target in its path buffer, so that "alice" came
 * out as /srv/x/deco/alice/... ("/srv/x/deco" being the first bytes of
 * "/srv/x/decoy" where "/srv/x/home" stood), or with a NUL byte in it.
 */
static void
homes_with_link(const char *target)
{
	mkd("srv");
	mkd("srv/x");
	mkd("srv/x/home");
	mkd("srv/x/home/alice");
	mkd("srv/x/home/bob");
	mkd("srv/x/decoy");
	mkd("srv/x/deco");
	mkd("srv/x/deco/alice");
	mkf("srv/x/home/alice/.bash_history", "alice\n");
	mkf("srv/x/home/bob/.bash_history", "bob\n");
	mkf("srv/x/decoy/.bash_history", "decoy\n");
	mkf("srv/x/deco/alice/.bash_history", "the real one\n");
	mkl("srv/x/home/aaa", target);
}

START_TEST(walk_glob_match_through_absolute_link_restores_path)
{
	homes_with_link("/srv/x/decoy");
	walk("/srv/x/home/*/.bash_history");
	ck_assert_str_eq(paths(), "/srv/x/decoy/.bash_history "
	    "/srv/x/home/alice/.bash_history /srv/x/home/bob/.bash_history");
	all_clean();
}
END_TEST

START_TEST(walk_glob_match_through_relative_link_restores_path)
{
	homes_with_link("../decoy");
	walk("/srv/x/home/*/.bash_history");
	ck_assert_str_eq(paths(), "/srv/x/decoy/.bash_history "
	    "/srv/x/home/alice/.bash_history /srv/x/home/bob/.bash_history");
	all_clean();
}
END_TEST

START_TEST(walk_glob_match_through_dangling_link_restores_path)
{
	homes_with_link("/q");
	walk("/srv/x/home/*/.bash_history");
	ck_assert_str_eq(paths(), "/srv/x/home/alice/.bash_history "
	    "/srv/x/home/bob/.bash_history");
	all_clean();
}
END_TEST

/* Links inside links, under two globs: each level gets its prefix back. */
START_TEST(walk_nested_globs_through_links_restore_path)
{
	homes_with_link("/srv/x/decoy");
	mkd("srv/y");
	mkd("srv/y/home");
	mkd("srv/y/home/carl");
	mkf("srv/y/home/carl/.bash_history", "carl\n");
	mkl("srv/w", "./x");
	walk("/srv/*/home/*/.bash_history");
	ck_assert_str_eq(paths(), "/srv/x/decoy/.bash_history "
	    "/srv/x/home/alice/.bash_history /srv/x/home/bob/.bash_history "
	    "/srv/x/decoy/.bash_history "
	    "/srv/x/home/alice/.bash_history /srv/x/home/bob/.bash_history "
	    "/srv/y/home/carl/.bash_history");
	all_clean();
}
END_TEST

/* ".." past a glob's directory rewrites the path from further up too. */
START_TEST(walk_glob_then_dotdot_restores_path)
{
	mkd("srv");
	mkd("srv/x");
	mkd("srv/x/home");
	mkd("srv/x/home/a");
	mkd("srv/x/home/b");
	mkd("srv/x/y");
	mkd("srv/x/y/z");
	mkd("srv/x/y/z/y");
	mkd("srv/x/y/z/y/z");
	mkf("srv/x/y/z/f", "");
	mkf("srv/x/y/z/y/z/f", "");
	walk("/srv/x/home/*/../../y/z/f");
	ck_assert_str_eq(paths(), "/srv/x/y/z/f /srv/x/y/z/f");
	all_clean();
}
END_TEST

START_TEST(walk_glob_without_match_visits_nothing)
{
	mkd("a");
	mkf("a/x.txt", "");
	walk("/a/*.log");
	walk("/nope/*.log");
	walk("/a/x.txt/*");
	ck_assert_uint_eq(nseen, 0);
	ck_assert_str_eq(cust_ctx_error(ctx), "");
}
END_TEST

/* ---------------------------------------------------------- filters */

START_TEST(walk_name_pattern_matches_dotfiles_like_find)
{
	mkd("etc");
	mkd("etc/x.conf.d");
	mkf("etc/a.conf", "");
	mkf("etc/.b.conf", "");
	mkf("etc/c.txt", "");
	mkf("etc/x.conf.d/deep.conf", "");
	mkf("etc/x.conf.d/deep.txt", "");
	add(&rule.name_patterns, "*.conf");
	walk("/etc");
	/* The start does not match and is not visited, but is descended;
	 * "*" matches a leading dot (find -name, not the shell). */
	ck_assert_str_eq(paths(), "/etc/.b.conf /etc/a.conf "
	    "/etc/x.conf.d/deep.conf");
	all_clean();
}
END_TEST

START_TEST(walk_name_pattern_any_of_several)
{
	mkd("t");
	mkf("t/a.log", "");
	mkf("t/b.gz", "");
	mkf("t/c.txt", "");
	mkd("t/log");
	add(&rule.name_patterns, "*.log");
	add(&rule.name_patterns, "*.gz");
	add(&rule.name_patterns, "log");
	walk("/t");
	ck_assert_str_eq(paths(), "/t/a.log /t/b.gz /t/log");
}
END_TEST

START_TEST(walk_path_pattern_matches_whole_path)
{
	mkd("var");
	mkd("var/log");
	mkd("var/log/apt");
	mkf("var/log/syslog", "");
	mkf("var/log/apt/history.log", "");
	mkf("var/syslog", "");
	add(&rule.path_patterns, "/var/log/*");
	walk("/var");
	/* fnmatch without FNM_PATHNAME: '*' crosses '/'. */
	ck_assert_str_eq(paths(), "/var/log/apt /var/log/apt/history.log "
	    "/var/log/syslog");
	forget_seen();
	cust_strv_free(&rule.path_patterns);
	add(&rule.path_patterns, "log/*");
	walk("/var");
	ck_assert_str_eq(paths(), "");
}
END_TEST

START_TEST(walk_exclude_path_pattern_prunes_subtree)
{
	mkd("t");
	mkd("t/keep");
	mkd("t/skip");
	mkd("t/skip/sub");
	mkf("t/keep/f", "");
	mkf("t/skip/f", "");
	mkf("t/skip/sub/f", "");
	mkf("t/skipper", "");
	add(&rule.exclude_path_patterns, "/t/skip");
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/keep /t/keep/f /t/skipper");
	forget_seen();
	/* Pruned even when the name would be wanted by name_pattern. */
	add(&rule.name_patterns, "f");
	walk("/t");
	ck_assert_str_eq(paths(), "/t/keep/f");
	forget_seen();
	/* An excluded start gives nothing. */
	walk("/t/skip");
	ck_assert_str_eq(paths(), "");
}
END_TEST

START_TEST(walk_exclude_name_pattern_prunes_subtree)
{
	mkd("t");
	mkd("t/.cache");
	mkf("t/.cache/big", "");
	mkd("t/a");
	mkd("t/a/.cache");
	mkf("t/a/.cache/big", "");
	mkf("t/a/small", "");
	mkf("t/x.tmp", "");
	add(&rule.exclude_name_patterns, ".cache");
	add(&rule.exclude_name_patterns, "*.tmp");
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/a /t/a/small");
	all_clean();
}
END_TEST

START_TEST(walk_max_depth_zero_visits_only_start)
{
	mkd("t");
	mkd("t/d");
	mkf("t/d/f", "");
	mkf("t/f", "");
	rule.max_depth = 0;
	walk("/t");
	ck_assert_str_eq(paths(), "/t");
	forget_seen();
	walk("/t/*");
	ck_assert_str_eq(paths(), "/t/d /t/f");
}
END_TEST

START_TEST(walk_max_depth_one_stops_below_children)
{
	mkd("t");
	mkd("t/d");
	mkd("t/d/e");
	mkf("t/d/f", "");
	mkf("t/f", "");
	rule.max_depth = 1;
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/d /t/f");
	forget_seen();
	rule.max_depth = 2;
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/d /t/d/e /t/d/f /t/f");
}
END_TEST

START_TEST(walk_file_type_selects_kinds)
{
	mkd("t");
	mkd("t/d");
	mkf("t/d/f", "");
	mkf("t/f", "");
	mkl("t/l", "f");
	mkp("t/p");
	rule.file_types = CUST_FT_FILE;
	walk("/t");
	ck_assert_str_eq(paths(), "/t/d/f /t/f");
	forget_seen();
	rule.file_types = CUST_FT_DIR;
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/d");
	forget_seen();
	rule.file_types = CUST_FT_LINK | CUST_FT_FIFO;
	walk("/t");
	ck_assert_str_eq(paths(), "/t/l /t/p");
	forget_seen();
	rule.file_types = CUST_FT_SOCK | CUST_FT_BLOCK;
	walk("/t");
	ck_assert_str_eq(paths(), "");
}
END_TEST

START_TEST(walk_min_size_skips_small_files_only)
{
	mkd("t");
	mkd("t/d");
	mkf("t/small", "1234");
	mkf("t/exact", "12345");
	mkf("t/big", "123456");
	mkl("t/l", "a-long-target-name");
	rule.min_size = 5;
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/big /t/d /t/exact /t/l");
}
END_TEST

/* ----------------------------------------------------------- errors */

START_TEST(walk_missing_start_visits_nothing)
{
	mkd("a");
	mkf("a/file", "");
	walk("/nope/deeper");
	walk("/a/file/below");
	walk("/a/nope/*");
	ck_assert_msg(nseen == 0, "visited: %s", paths());
	/* The last component missing is no different: not on this host. */
	walk("/nope");
	walk("/a/nope");
	ck_assert_msg(nseen == 0, "visited: %s (%s: %s)", paths(),
	    nseen ? seen[0].what : "", nseen ? strerror(seen[0].err) : "");
	ck_assert_str_eq(cust_ctx_error(ctx), "");
}
END_TEST

START_TEST(walk_glob_with_missing_last_component_visits_nothing)
{
	mkd("home");
	mkd("home/ann");
	mkd("home/cy");
	mkf("home/ann/.bash_history", "ls\n");
	walk("/home/*/.bash_history");
	/* cy has no history: that is not a failure to record. */
	ck_assert_str_eq(paths(), "/home/ann/.bash_history");
	all_clean();
}
END_TEST

/* Remove t/b when t/a is visited: b was listed, so it is then missing. */
static void
unlink_b(const struct cust_entry *e)
{
	if (strcmp(e->path, "/t/a") == 0)
		ck_assert_int_eq(unlinkat(e->dirfd, "b", 0), 0);
}

START_TEST(walk_reports_entry_vanished_after_listing)
{
	mkd("t");
	mkf("t/a", "");
	mkf("t/b", "");
	mkf("t/c", "");
	hook = unlink_b;
	walk("/t");
	ck_assert_str_eq(paths(), "/t /t/a /t/b /t/c");
	ck_assert_int_eq(find("/t/b")->err, ENOENT);
	ck_assert_str_eq(find("/t/b")->what, "lstat");
	ck_assert_uint_eq(find("/t/b")->mode, 0);
	ck_assert_int_eq(find("/t/c")->err, 0);
	ck_assert_ptr_null(find("/t/c")->what);
}
END_TEST

/* Replace the directory t/d when t/c is visited. */
static void
swap_d(const struct cust_entry *e)
{
	if (strcmp(e->path, "/t/c") == 0) {
		ck_assert_int_eq(renameat(e->dirfd, "d", e->dirfd, "d.old"), 0);
		ck_assert_int_eq(mkdirat(e->dirfd, "d", 0755), 0);
		ck_assert_int_eq(close(openat(e->dirfd, "d/new", O_CREAT |
		    O_WRONLY, 0644)), 0);
	}
}

START_TEST(walk_sees_directory_swapped_before_its_turn)
{
	mkd("t");
	mkf("t/c", "");
	mkd("t/d");
	mkf("t/d/old", "");
	hook = swap_d;
	walk("/t");
	/* Names are looked up when their turn comes: the new d is walked. */
	ck_assert_str_eq(paths(), "/t /t/c /t/d /t/d/new");
	all_clean();
}
END_TEST

START_TEST(walk_stops_when_visitor_returns_fatal)
{
	mkd("t");
	mkf("t/a", "");
	mkf("t/b", "");
	mkf("t/c", "");
	stop_at = 2;
	ck_assert_int_eq(walk_at(rootfd, "/t"), CUST_FATAL);
	ck_assert_str_eq(paths(), "/t /t/a");
}
END_TEST

START_TEST(walk_stops_when_visitor_refuses_a_directory)
{
	mkd("t");
	mkd("t/a");
	mkd("t/a/b");
	mkf("t/a/b/f", "");
	mkf("t/z", "");
	stop_at = 3;
	ck_assert_int_eq(walk_at(rootfd, "/t"), CUST_FATAL);
	ck_assert_str_eq(paths(), "/t /t/a /t/a/b");
	forget_seen();
	/* Across glob matches too. */
	stop_at = 1;
	ck_assert_int_eq(walk_at(rootfd, "/t/*"), CUST_FATAL);
	ck_assert_str_eq(paths(), "/t/a");
}
END_TEST

/* ------------------------------------------------------------- deep */

#define DEEP	400

/* TOP/d/d/.../d, LEVELS below TOP, each holding a file "z" after "d". */
static void
mkdeep_n(const char *top, int levels)
{
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY), next;

	ck_assert_int_eq(mkdirat(fd, top, 0755), 0);
	next = openat(fd, top, O_RDONLY | O_DIRECTORY);
	close(fd);
	fd = next;
	for (int i = 0; i < levels; i++) {
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(mkdirat(fd, "d", 0755), 0);
		ck_assert_int_eq(close(openat(fd, "z", O_CREAT | O_WRONLY,
		    0644)), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	ck_assert_int_eq(close(openat(fd, "leaf", O_CREAT | O_WRONLY, 0644)),
	    0);
	close(fd);
}

static void
mkdeep(const char *top)
{
	mkdeep_n(top, DEEP);
}

START_TEST(walk_deep_tree_beyond_fd_budget)
{
	int maxdepth = 0, files = 0, dirs = 0;

	mkdeep("t");
	walk("/t");
	/* t, DEEP dirs, DEEP "z" files and the leaf. */
	ck_assert_uint_eq(nseen, 1 + 2 * DEEP + 1);
	all_clean();
	for (size_t i = 0; i < nseen; i++) {
		if (seen[i].depth > maxdepth)
			maxdepth = seen[i].depth;
		files += S_ISREG(seen[i].mode);
		dirs += S_ISDIR(seen[i].mode);
	}
	ck_assert_int_eq(maxdepth, DEEP + 1);
	ck_assert_int_eq(files, DEEP + 1);
	ck_assert_int_eq(dirs, DEEP + 1);
	/* Pre-order: all the directories first, then the leaf, then the
	 * "z" files from the deepest up to t's own. */
	ck_assert_int_eq(seen[DEEP + 1].depth, DEEP + 1);
	ck_assert_str_eq(seen[DEEP + 1].name, "leaf");
	ck_assert_str_eq(seen[nseen - 1].path, "/t/z");
	ck_assert_int_eq(seen[nseen - 1].depth, 1);
}
END_TEST

/* At the leaf, move the top of the deep tree away and put another
 * directory in its place. */
static void
swap_top(const struct cust_entry *e)
{
	if (strcmp(e->name, "leaf") == 0) {
		ck_assert_int_eq(renameat(rootfd, "t/d", rootfd, "moved"), 0);
		ck_assert_int_eq(mkdirat(rootfd, "t/d", 0755), 0);
	}
}

START_TEST(walk_deep_tree_reports_replaced_ancestor)
{
	size_t reopen = 0, z = 0;

	mkdeep("t");
	hook = swap_top;
	walk("/t");
	for (size_t i = 0; i < nseen; i++) {
		if (seen[i].what != NULL) {
			ck_assert_str_eq(seen[i].what, "reopen");
			ck_assert_int_eq(seen[i].err, ESTALE);
			reopen++;
		} else if (strcmp(seen[i].name, "z") == 0)
			z++;
	}
	/* Directories whose descriptor was given up for the budget cannot
	 * be reopened through the new t/d: each says so once, and its
	 * remaining names are not visited under a path that is now
	 * another directory. */
	ck_assert_uint_gt(reopen, 0);
	ck_assert_uint_eq(reopen + z, DEEP);
	/* t itself was never replaced: its own "z" is still visited. */
	ck_assert_ptr_nonnull(find("/t/z"));
}
END_TEST

/* ------------------------------------------------------------ ahead */

/* Every visit of the walk of START, one line each: path, mode, depth,
 * error; then forget them (owned by the caller). */
static char *
visits(const char *start, int expect)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	buf[0] = '\0';
	ck_assert_int_eq(walk_at(rootfd, start), expect);
	for (size_t i = 0; i < nseen; i++) {
		n += (size_t)snprintf(buf + n, cap - n, "%s %o %d %d %s\n",
		    seen[i].path, (unsigned)seen[i].mode, seen[i].depth,
		    seen[i].err, seen[i].what != NULL ? seen[i].what : "-");
		ck_assert_uint_lt(n, cap);
	}
	/* (A lazy file's entry holds its type and inode alone.) */
	if (expect == CUST_OK && !lazy_files)
		all_clean();
	forget_seen();
	return buf;
}

/* Deeper than the walker's descriptor budget (64), not by much. */
#define SHALLOW	80

/* A directory of more names than the ring holds (files, links, FIFOs,
 * subdirectories), beside a tree deeper than the descriptor budget. */
static void
mkwide(void)
{
	char name[64];

	mkd("t");
	mkd("t/w");
	for (int i = 0; i < 3 * CUST_STATQ_DEPTH + 5; i++) {
		snprintf(name, sizeof(name), "t/w/%03d", i);
		if (i % 7 == 0)
			mkd(name);
		else if (i % 11 == 0)
			mkl(name, "nowhere");
		else if (i % 13 == 0)
			mkp(name);
		else
			mkf(name, "x");
		if (i % 7 == 0) {
			snprintf(name, sizeof(name), "t/w/%03d/in", i);
			mkf(name, "y");
		}
	}
	mkdeep_n("t/deep", SHALLOW);
}

/* The same visits, in the same order, with and without stats ahead. */
static void
same_ahead(const char *start, int expect)
{
	char *one, *ahead;

	one = visits(start, expect);
	ck_assert_int_eq(cust_statq_new(ctx, &statq), CUST_OK);
	ahead = visits(start, expect);
	ck_assert_str_eq(ahead, one);
	free(one);
	free(ahead);
}

START_TEST(walk_ahead_visits_as_one_at_a_time)
{
	mkwide();
	same_ahead("/t", CUST_OK);
	/* Files by their entries, the rest stat'ed ahead. */
	lazy_files = true;
	cust_statq_free(statq);
	statq = NULL;
	same_ahead("/t", CUST_OK);
}
END_TEST

START_TEST(walk_ahead_stops_with_nothing_in_flight)
{
	mkwide();
	/* Stopped deep down, then in the middle of the wide directory
	 * (after /t, its 2 * SHALLOW + 2 deep entries and /t/w): the teardown
	 * finds no descriptor left open, and the ring's results land in
	 * memory that is still the walk's (ASan). */
	stop_at = CUST_STATQ_DEPTH;
	same_ahead("/t", CUST_FATAL);
	cust_statq_free(statq);
	statq = NULL;
	stop_at = 2 * SHALLOW + 4 + CUST_STATQ_DEPTH + 6;
	same_ahead("/t", CUST_FATAL);
}
END_TEST

/* The same visits, in the same order, with and without directories
 * read ahead (and the stats ahead as they are). */
static void
same_read_ahead(const char *start, int expect)
{
	char *one, *ahead;

	cust_dirq_free(dirq);
	dirq = NULL;
	one = visits(start, expect);
	ck_assert_int_eq(cust_dirq_new(ctx, &dirq), CUST_OK);
	cust_dirq_assume_cold(dirq);
	ahead = visits(start, expect);
	ck_assert_str_eq(ahead, one);
	free(one);
	free(ahead);
}

START_TEST(walk_read_ahead_visits_as_alone)
{
	/* More subdirectories in /t/w than the read-ahead holds, and a
	 * chain deeper than the descriptor budget, which closes the fds
	 * that jobs not started name. */
	mkwide();
	same_read_ahead("/t", CUST_OK);
	ck_assert_int_eq(cust_statq_new(ctx, &statq), CUST_OK);
	same_read_ahead("/t", CUST_OK);
	lazy_files = true;
	same_read_ahead("/t", CUST_OK);
}
END_TEST

START_TEST(walk_read_ahead_prunes_and_stops_with_nothing_held)
{
	mkwide();
	/* A pruned directory is not posted; a wrong guess is dropped. */
	add(&rule.exclude_path_patterns, "/t/w/0[0-4]*");
	same_read_ahead("/t", CUST_OK);
	/* Stopped deep down, then in /t/w with its directories read ahead
	 * and not entered: the teardown finds no descriptor left open, and
	 * ASan no listing left behind. */
	stop_at = 40;
	same_read_ahead("/t", CUST_FATAL);
	stop_at = 2 * SHALLOW + 4 + 30;
	same_read_ahead("/t", CUST_FATAL);
}
END_TEST

/* ----------------------------------------------------------- pseudo */

START_TEST(walk_does_not_descend_into_proc_below_start)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat a, b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(stat("/", &a), 0);
	ck_assert_int_eq(stat("/proc", &b), 0);
	if (a.st_dev == b.st_dev) {
		close(fd);
		return;		/* no separate /proc here */
	}
	/* Everything under "/" but /proc itself is pruned. */
	add(&rule.exclude_path_patterns, "/[!p]*");
	add(&rule.exclude_path_patterns, "/p[!r]*");
	add(&rule.exclude_path_patterns, "/pr[!o]*");
	add(&rule.exclude_path_patterns, "/pro[!c]*");
	add(&rule.exclude_path_patterns, "/proc[!/]*");
	add(&rule.exclude_path_patterns, "/p");
	add(&rule.exclude_path_patterns, "/pr");
	add(&rule.exclude_path_patterns, "/pro");
	ck_assert_int_eq(walk_at(fd, "/"), CUST_OK);
	ck_assert_str_eq(paths(), "/ /proc");
	close(fd);
}
END_TEST

START_TEST(walk_descends_proc_when_named)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char want[64];
	const struct seen *s;

	ck_assert_int_ge(fd, 0);
	rule.max_depth = 1;
	ck_assert_int_eq(walk_at(fd, "/proc/self/fdinfo"), CUST_OK);
	/* "self" is a leading link: resolved, relative to /proc. */
	snprintf(want, sizeof(want), "/proc/%d/fdinfo", (int)getpid());
	ck_assert_uint_gt(nseen, 1);
	ck_assert_str_eq(seen[0].path, want);
	snprintf(want, sizeof(want), "/proc/%d/fdinfo/%d", (int)getpid(), fd);
	ck_assert_ptr_nonnull(s = find(want));
	ck_assert(S_ISREG(s->mode));
	close(fd);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("walk");
	TCase *order = tcase_create("order");
	TCase *links = tcase_create("links");
	TCase *globs = tcase_create("globs");
	TCase *filters = tcase_create("filters");
	TCase *errors = tcase_create("errors");
	TCase *deep = tcase_create("deep");
	TCase *ahead;
	TCase *pseudo = tcase_create("pseudo");

	tcase_add_checked_fixture(order, setup, teardown);
	tcase_add_test(order, walk_visits_children_in_byte_order);
	tcase_add_test(order, walk_visits_directory_before_its_children);
	tcase_add_test(order, walk_of_root_visits_it_as_dot);
	tcase_add_test(order, walk_of_file_visits_only_it);
	tcase_add_test(order, walk_keeps_odd_names_raw);
	suite_add_tcase(s, order);

	tcase_add_checked_fixture(links, setup, teardown);
	tcase_add_test(links, walk_does_not_descend_symlinked_dir);
	tcase_add_test(links,
	    walk_does_not_follow_symlink_as_last_start_component);
	tcase_add_test(links, walk_resolves_relative_start_link_inside_root);
	tcase_add_test(links, walk_resolves_absolute_start_link_inside_root);
	tcase_add_test(links, walk_clamps_dotdot_at_root);
	tcase_add_test(links, walk_reports_start_link_loop);
	tcase_add_test(links, walk_ignores_dangling_or_file_start_link);
	suite_add_tcase(s, links);

	tcase_add_checked_fixture(globs, setup, teardown);
	tcase_add_test(globs, walk_expands_glob_in_last_component);
	tcase_add_test(globs, walk_glob_star_skips_dotfiles);
	tcase_add_test(globs, walk_expands_glob_in_middle_component);
	tcase_add_test(globs, walk_glob_without_match_visits_nothing);
	tcase_add_test(globs,
	    walk_glob_match_through_absolute_link_restores_path);
	tcase_add_test(globs,
	    walk_glob_match_through_relative_link_restores_path);
	tcase_add_test(globs,
	    walk_glob_match_through_dangling_link_restores_path);
	tcase_add_test(globs, walk_nested_globs_through_links_restore_path);
	tcase_add_test(globs, walk_glob_then_dotdot_restores_path);
	suite_add_tcase(s, globs);

	tcase_add_checked_fixture(filters, setup, teardown);
	tcase_add_test(filters, walk_name_pattern_matches_dotfiles_like_find);
	tcase_add_test(filters, walk_name_pattern_any_of_several);
	tcase_add_test(filters, walk_path_pattern_matches_whole_path);
	tcase_add_test(filters, walk_exclude_path_pattern_prunes_subtree);
	tcase_add_test(filters, walk_exclude_name_pattern_prunes_subtree);
	tcase_add_test(filters, walk_max_depth_zero_visits_only_start);
	tcase_add_test(filters, walk_max_depth_one_stops_below_children);
	tcase_add_test(filters, walk_file_type_selects_kinds);
	tcase_add_test(filters, walk_min_size_skips_small_files_only);
	suite_add_tcase(s, filters);

	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(errors, walk_missing_start_visits_nothing);
	tcase_add_test(errors,
	    walk_glob_with_missing_last_component_visits_nothing);
	tcase_add_test(errors, walk_reports_entry_vanished_after_listing);
	tcase_add_test(errors, walk_sees_directory_swapped_before_its_turn);
	tcase_add_test(errors, walk_stops_when_visitor_returns_fatal);
	tcase_add_test(errors, walk_stops_when_visitor_refuses_a_directory);
	suite_add_tcase(s, errors);

	tcase_add_checked_fixture(deep, setup, teardown);
	tcase_set_timeout(deep, 60);
	tcase_add_test(deep, walk_deep_tree_beyond_fd_budget);
	tcase_add_test(deep, walk_deep_tree_reports_replaced_ancestor);
	suite_add_tcase(s, deep);
	ahead = tcase_create("ahead");
	tcase_add_checked_fixture(ahead, setup, teardown);
	tcase_add_test(ahead, walk_ahead_visits_as_one_at_a_time);
	tcase_add_test(ahead, walk_ahead_stops_with_nothing_in_flight);
	tcase_add_test(ahead, walk_read_ahead_visits_as_alone);
	tcase_add_test(ahead,
	    walk_read_ahead_prunes_and_stops_with_nothing_held);
	suite_add_tcase(s, ahead);

	tcase_add_checked_fixture(pseudo, setup, teardown);
	tcase_set_timeout(pseudo, 60);
	tcase_add_test(pseudo, walk_does_not_descend_into_proc_below_start);
	tcase_add_test(pseudo, walk_descends_proc_when_named);
	suite_add_tcase(s, pseudo);
	return s;
}

