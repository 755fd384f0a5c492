/*
 * collect.c: the collection.  Manifests give rules, the walker finds what
 * each rule names, the acquirer reads each regular file once into the
 * digests and the archive, and every artefact met (taken, refused, vanished)
 * becomes a record.  At the end the bag is sealed: acquisition record,
 * custody events, manifests, tag manifest, signature.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collect.h"

#define LABEL_MAX	256	/* case id, evidence id, examiner */
/* Bytes read, not yet hashed and written: four of the largest reads,
 * enough that reading seldom waits for hashing; a larger ring only took
 * more memory. */
#define RING_BYTES	(4 * 1024 * 1024)

/* Stored files with more than one link, by inode: their stored name. */
struct link {
	dev_t		 dev;
	ino_t		 ino;
	char		*stored;	/* owned */
};

struct links {
	struct link	*v;		/* owned */
	size_t		 n, cap;
};

struct run {
	struct cust_ctx	*ctx;			/* borrowed */
	const struct cust_collect_opts *o;	/* borrowed */
	struct cust_collect_result *res;	/* borrowed */
	int		 rootfd;		/* owned */
	struct cust_sink *sink;			/* owned */
	struct cust_bag	*bag;			/* owned */
	struct cust_filetype *ft;		/* owned */
	struct cust_acquirer *acq;		/* owned */
	struct cust_relay *relay;		/* owned: reader to hasher */
	struct cust_relay *forward;		/* owned: hasher to writer */
	struct cust_ledger *ledger;		/* owned: the hashing thread */
	struct cust_writer *writer;		/* owned: the archive's */
	struct cust_pathset *seen;		/* owned */
	struct cust_mounts *mounts;		/* owned */
	struct links	 links;			/* hard links stored */
	struct cust_key	*onetime;		/* owned, when no key given */
	const struct cust_key *key;		/* borrowed */
	json_t		*skipped;		/* owned: artefacts not run */
	struct cust_strv homes[2];		/* owned: all, login users */
	bool		 have_homes[2];
	const struct cust_rule *rule;		/* borrowed: current */
	char		 artefact[512];		/* current rule's label */
	struct timespec	 start, end;
};

/*
 * Record REC: tell the caller about everything that is not plainly ok, and
 * hand a copy to the hashing thread, which writes it once the file's
 * digests (DIGEST: its bytes were relayed) are final and, for a stored
 * file (PAYLOAD), lists it in the payload manifests.
 */
static int
record(struct run *run, struct cust_record *rec, bool digest, bool payload)
{
	const struct cust_collect_opts *o = run->o;
	struct cust_slip *slip;

	if (cust_rec_status_failed(rec->status))
		run->res->failed++;
	else if (rec->status == CUST_ST_CHANGED)
		run->res->changed++;
	if (o->notify != NULL && !cust_rec_status_quiet(rec->status))
		o->notify(o->notify_arg, rec->path, rec->pathlen,
		    cust_rec_status_name(rec->status), rec->reason != NULL ?
		    rec->reason : cust_rec_status_name(rec->status));
	if (o->progress != NULL)
		o->progress(o->progress_arg, run->res->files,
		    run->res->payload_bytes, run->artefact);
	if ((slip = cust_slip_new(rec, digest, payload)) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "record");
	if (!cust_relay_record(run->relay, slip))
		return cust_set_error(run->ctx, 0, CUST_FATAL,
		    "hashing thread stopped");
	return CUST_OK;
}

static void
because(char *buf, size_t n, const char *what, int err)
{
	if (err != 0)
		snprintf(buf, n, "%s: %s", what, strerror(err));
	else
		snprintf(buf, n, "%s", what != NULL ? what : "unknown");
}

static int
take_failed(struct run *run, const struct cust_entry *e,
    struct cust_record *rec)
{
	char reason[256];

	rec->status = e->status;
	because(reason, sizeof(reason), e->what, e->err);
	rec->reason = reason;
	if (rec->status == CUST_ST_LOOP)
		run->res->recorded++;
	/* on_entry() returns at once, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return record(run, rec, false, false);
}

static int
take_link(struct run *run, const struct cust_entry *e, struct cust_record *rec)
{
	char target[4096], reason[256];
	struct timespec bt;
	struct stat st;
	ssize_t k;

	/* readlink(2) moves a link's atime; only read-only, noatime mounts
	 * (guard.c) prevent it, so say when it happened. */
	k = readlinkat(e->dirfd, e->name, target, sizeof(target));
	if (k >= 0 && !run->res->guarded &&
	    cust_stat_at(e->dirfd, e->name, AT_SYMLINK_NOFOLLOW, &st, &bt) == 0)
		rec->atime_updated = st.st_atim.tv_sec != e->st.st_atim.tv_sec ||
		    st.st_atim.tv_nsec != e->st.st_atim.tv_nsec;
	if (k < 0) {
		rec->status = cust_rec_status_of_errno(errno);
		because(reason, sizeof(reason), "readlink", errno);
		rec->reason = reason;
		/* on_entry() returns at once, and REC with it:
		 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
		return record(run, rec, false, false);
	}
	rec->target = target;
	rec->targetlen = (size_t)k;
	run->res->recorded++;
	/* on_entry() returns at once, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return record(run, rec, false, false);
}

/* Keep the stored name of a file with other links to it. */
static int
remember(struct run *run, const struct cust_taken *t, const char *stored)
{
	struct links *l = &run->links;
	struct link *v;

	if (t->st.st_nlink < 2)
		return CUST_OK;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return cust_set_error(run->ctx, ENOMEM, CUST_FATAL,
			    "links");
		l->v = v;
	}
	v = &l->v[l->n];
	v->dev = t->st.st_dev;
	v->ino = t->st.st_ino;
	if ((v->stored = strdup(stored)) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "links");
	l->n++;
	return CUST_OK;
}

static const char *
stored_as(const struct run *run, const struct stat *st)
{
	for (size_t i = 0; st->st_nlink > 1 && i < run->links.n; i++)
		if (run->links.v[i].ino == st->st_ino &&
		    run->links.v[i].dev == st->st_dev)
			return run->links.v[i].stored;
	return NULL;
}

static void
fill_taken(struct cust_record *rec, const struct cust_taken *t)
{
	if (t->read) {
		rec->st = &t->st;
		rec->btime = t->btime;
		rec->bytes = t->bytes;
	}
	if (t->moved)
		rec->after = &t->after;
	rec->atime_updated = t->atime_moved;
	rec->status = t->status;
}

/*
 * Read a regular file; store it unless the rule only asks for a hash.  FD
 * and T come from cust_acquire_open(): the file, or -1 and why not.
 */
static int
take_file(struct run *run, const struct cust_entry *e, struct cust_record *rec,
    int fd, struct cust_taken *t)
{
	const struct cust_rule *rule = run->rule;
	bool store = rule->collector == CUST_COLLECTOR_FILE;
	char reason[256], *stored = NULL;
	const char *member = NULL;
	int r = CUST_OK;

	if (store && ((stored = cust_stored_name(e->path, e->pathlen)) ==
	    NULL || (member = cust_bag_member(run->bag, stored)) == NULL)) {
		r = stored == NULL ? cust_set_error(run->ctx, ENOMEM,
		    CUST_FATAL, "record") : CUST_FATAL;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (fd >= 0 && (r = cust_acquire_fd(run->acq, e, fd, member, t)) !=
	    CUST_OK)
		goto out;
	fill_taken(rec, t);
	if (t->what != NULL || t->err != 0) {
		because(reason, sizeof(reason), t->what, t->err);
		rec->reason = reason;
	}
	if (t->read && store) {
		rec->stored = stored;
		run->res->files++;
		run->res->payload_bytes += (uint64_t)t->bytes;
		if ((r = remember(run, t, stored)) != CUST_OK)
			goto out;
	} else if (t->read && t->status == CUST_ST_OK)
		rec->status = CUST_ST_HASHED;
	if (t->capped)
		rec->reason = "size 0 but readable: first 16 MiB taken";
	r = record(run, rec, t->read, t->read && store);
out:
	free(stored);
	/* on_entry() returns at once, and REC with it:
	 * NOLINTNEXTLINE(clang-analyzer-core.StackAddressEscape) */
	return r;
}

/* The bundle being written, never collected. */
static bool
ours(const struct run *run, const struct stat *st)
{
	return run->o->out_ino != 0 && st->st_ino == run->o->out_ino &&
	    st->st_dev == run->o->out_dev;
}

static void
begin_record(const struct run *run, const struct cust_entry *e,
    struct cust_record *rec)
{
	const struct cust_rule *rule = run->rule;

	memset(rec, 0, sizeof(*rec));
	rec->path = e->path;
	rec->pathlen = e->pathlen;
	rec->st = &e->st;
	rec->btime = e->btime;
	rec->bytes = -1;
	rec->artefact = run->artefact;
	rec->status = rule->collector == CUST_COLLECTOR_FILE ||
	    rule->collector == CUST_COLLECTOR_HASH ? CUST_ST_OK : CUST_ST_LISTED;
}

/* An entry, stat'ed, that is not the bundle and was not met before. */
static int
judge(struct run *run, const struct cust_entry *e)
{
	const struct cust_rule *rule = run->rule;
	struct cust_record rec;
	struct cust_taken t;
	char reason[128];

	begin_record(run, e, &rec);
	if (e->err != 0 || e->what != NULL)
		return take_failed(run, e, &rec);
	if (S_ISLNK(e->st.st_mode))
		return take_link(run, e, &rec);
	if (!S_ISREG(e->st.st_mode) || rec.status == CUST_ST_LISTED) {
		run->res->recorded++;
		return record(run, &rec, false, false);
	}
	/* Another name of an inode already stored: its content once. */
	if (rule->collector == CUST_COLLECTOR_FILE &&
	    (rec.link_of = stored_as(run, &e->st)) != NULL) {
		run->res->recorded++;
		return record(run, &rec, false, false);
	}
	if (rule->max_size >= 0 && e->st.st_size > rule->max_size) {
		snprintf(reason, sizeof(reason), "size %jd exceeds "
		    "max_file_size %jd", (intmax_t)e->st.st_size,
		    (intmax_t)rule->max_size);
		rec.status = CUST_ST_TOO_LARGE;
		rec.reason = reason;
		run->res->skipped++;
		return record(run, &rec, false, false);
	}
	return take_file(run, e, &rec, cust_acquire_open(e, &t), &t);
}

/* Nothing about the file opened for lazy entry E needs a closer look. */
static bool
plain(const struct run *run, const struct cust_entry *e, const struct stat *st)
{
	const struct cust_rule *rule = run->rule;

	return S_ISREG(st->st_mode) && st->st_ino == e->st.st_ino &&
	    st->st_dev == e->st.st_dev && !ours(run, st) &&
	    (st->st_nlink < 2 || rule->collector != CUST_COLLECTOR_FILE) &&
	    (rule->max_size < 0 || st->st_size <= rule->max_size);
}

/*
 * A regular file the walker did not stat (most files): open it, and take
 * it at once when it is the file the directory listed and nothing about it
 * needs a closer look (other links, a size cap, the bundle itself).
 * Otherwise, or when it cannot be opened, stat it by name and judge it as
 * the walker would have.
 */
static int
take_lazy(struct run *run, const struct cust_entry *e)
{
	struct cust_entry again;
	struct cust_record rec;
	struct cust_taken t;
	int fd;

	if ((fd = cust_acquire_open(e, &t)) >= 0) {
		if (plain(run, e, &t.st)) {
			begin_record(run, e, &rec);
			return take_file(run, e, &rec, fd, &t);
		}
		close(fd);
	}
	again = *e;
	again.lazy = false;
	if (cust_stat_at(e->dirfd, e->name, AT_SYMLINK_NOFOLLOW, &again.st,
	    &again.btime) != 0) {
		memset(&again.st, 0, sizeof(again.st));
		again.err = errno;
		again.status = cust_rec_status_of_errno(again.err);
		again.what = "lstat";
	} else if (ours(run, &again.st))
		return CUST_OK;
	return judge(run, &again);
}

static int
on_entry(void *arg, const struct cust_entry *e)
{
	struct run *run = arg;

	if (e->err == 0 && !e->lazy && ours(run, &e->st))
		return CUST_OK;
	switch (cust_pathset_add(run->seen, e->path, e->pathlen)) {
	case -1:
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "walk");
	case 0:
		return CUST_OK;		/* recorded already */
	}
	return e->lazy ? take_lazy(run, e) : judge(run, e);
}

static int
walk_one(struct run *run, const char *path)
{
	const struct cust_collect_opts *o = run->o;
	struct cust_walk_opts wo = {
		.rootfd = run->rootfd, .rule = run->rule,
		.mounts = run->mounts, .one_file_system = o->one_file_system,
		.date_fields = o->date_fields, .since = o->since,
		.until = o->until, .visit = on_entry, .arg = run,
		/* Files read anyway are stat'ed once, when opened. */
		.lazy_files = run->rule->collector == CUST_COLLECTOR_FILE ||
		    run->rule->collector == CUST_COLLECTOR_HASH,
		.must_exist = run->rule->manifest == NULL,	/* PATHs */
	};

	return cust_walk(run->ctx, &wo, path);
}

/* PATH with every %user_home% replaced by HOME ("/" counts as ""). */
static char *
subst(const char *path, const char *home)
{
	static const char var[] = "%user_home%";
	size_t hl = strcmp(home, "/") == 0 ? 0 : strlen(home), n = 0;
	const char *p, *q;
	char *out;

	for (p = path; (q = strstr(p, var)) != NULL; p = q + sizeof(var) - 1)
		n++;
	if ((out = malloc(strlen(path) + n * hl + 1)) == NULL)
		return NULL;
	out[0] = '\0';
	for (p = path; (q = strstr(p, var)) != NULL; p = q + sizeof(var) - 1) {
		strncat(out, p, (size_t)(q - p));
		strncat(out, home, hl);
	}
	/* OUT was sized for all of it above:
	 * NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy) */
	strcat(out, p);
	return out;
}

static int
walk_homes(struct run *run, const char *path)
{
	int k = run->rule->exclude_nologin_users ? 1 : 0, r = CUST_OK;
	char *p;

	if (!run->have_homes[k]) {
		if ((r = cust_user_homes(run->ctx, run->rootfd, k == 1,
		    &run->homes[k])) == CUST_FATAL)
			return r;
		run->have_homes[k] = true;	/* unreadable: no homes */
	}
	for (size_t i = 0; r != CUST_FATAL && i < run->homes[k].n; i++) {
		if ((p = subst(path, run->homes[k].v[i])) == NULL)
			return cust_set_error(run->ctx, ENOMEM, CUST_FATAL,
			    "walk");
		r = walk_one(run, p);
		free(p);
	}
	return r;
}

static int
run_rule(struct run *run, const struct cust_rule *rule, const char *label)
{
	int r = CUST_OK;

	run->rule = rule;
	snprintf(run->artefact, sizeof(run->artefact), "%s", label);
	for (size_t i = 0; r != CUST_FATAL && i < rule->paths.n; i++)
		r = strstr(rule->paths.v[i], "%user_home%") != NULL ?
		    walk_homes(run, rule->paths.v[i]) :
		    walk_one(run, rule->paths.v[i]);
	return r == CUST_FATAL ? r : CUST_OK;
}

static int
skip_rule(struct run *run, const struct cust_rule *rule, const char *label)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "artefact", label,
	    "description", rule->description ? rule->description : "",
	    "reason", rule->skip);

	run->res->artefacts_skipped++;
	if (o == NULL || json_array_append_new(run->skipped, o) != 0)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "skip");
	if (run->o->notify != NULL)
		run->o->notify(run->o->notify_arg, label, strlen(label),
		    CUST_NOT_RUN, rule->skip);
	return CUST_OK;
}

/* Which pass takes a collector: stored files first, so that a path named
 * by both a `file` and a `stat` artefact is stored. */
static int
pass_of(enum cust_collector c)
{
	return c == CUST_COLLECTOR_FILE ? 0 : c == CUST_COLLECTOR_HASH ? 1 : 2;
}

static int
run_manifests(struct run *run)
{
	const struct cust_manifest *m;
	const struct cust_rule *rule;
	char label[512];
	int r = CUST_OK;

	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < run->o->nmanifests; i++) {
			m = run->o->manifests[i];
			for (size_t j = 0; r == CUST_OK &&
			    j < cust_manifest_count(m); j++) {
				rule = cust_manifest_rule(m, j);
				snprintf(label, sizeof(label), "%s:%u",
				    cust_manifest_name(m), rule->line);
				if (rule->skip != NULL)
					r = pass == 0 ? skip_rule(run, rule,
					    label) : CUST_OK;
				else if (pass_of(rule->collector) == pass) {
					run->res->artefacts_run++;
					r = run_rule(run, rule, label);
				}
			}
		}
	return r;
}

static int
run_paths(struct run *run)
{
	static char desc[] = "named on the command line";
	struct cust_rule rule;
	size_t n = run->o->npaths;
	int r;

	if (n == 0)
		return CUST_OK;
	memset(&rule, 0, sizeof(rule));
	rule.description = desc;
	rule.collector = CUST_COLLECTOR_FILE;
	rule.max_depth = -1;
	rule.min_size = rule.max_size = -1;
	/* The rule only reads its paths; copy the pointers, not the text. */
	if ((rule.paths.v = calloc(n, sizeof(char *))) == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "paths");
	memcpy(rule.paths.v, run->o->paths, n * sizeof(char *));
	rule.paths.n = n;
	run->res->artefacts_run++;
	r = run_rule(run, &rule, "command line");
	free(rule.paths.v);
	return r;
}

static int
setjson(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) != 0;
}

static json_t *
manifests_json(const struct cust_collect_opts *o)
{
	json_t *a = json_array(), *m;

	for (size_t i = 0; a != NULL && i < o->nmanifests; i++) {
		m = json_pack("{s:s, s:s, s:I}",
		    "name", cust_manifest_name(o->manifests[i]),
		    "sha256", cust_manifest_sha256(o->manifests[i]),
		    "artefacts", (json_int_t)cust_manifest_count(
		    o->manifests[i]));
		if (m == NULL || json_array_append_new(a, m) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
strings_json(int argc, char *const *argv)
{
	json_t *a = json_array();

	for (int i = 0; a != NULL && i < argc; i++) {
		json_t *s = cust_utf8_valid(argv[i], strlen(argv[i])) ?
		    json_string(argv[i]) : json_null();

		if (json_array_append_new(a, s) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
algs_json(unsigned algs)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < CUST_NALG; i++)
		if ((algs & (1u << i)) && json_array_append_new(a,
		    json_string(cust_alg_name(1u << i))) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
opt_string(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
seal_json(struct run *run)
{
	char id[CUST_KEYID_HEXLEN + 1], *pub;
	json_t *o;

	cust_key_id_hex(run->key, id);
	if ((pub = cust_key_public_b64(run->key)) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:b, s:o}", "algorithm",
	    "Ed25519 over BLAKE2b-512 (minisign ED)", "key_id", id,
	    "public_key", pub, "one_time", run->onetime != NULL,
	    "x509_signer", run->o->signer != NULL ?
	    json_string(cust_signer_subject(run->o->signer)) : json_null());
	free(pub);
	return o;
}

static json_t *
counts_json(const struct cust_collect_result *res)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "files", (json_int_t)res->files,
	    "payload_bytes", (json_int_t)res->payload_bytes,
	    "recorded", (json_int_t)res->recorded,
	    "changed", (json_int_t)res->changed,
	    "skipped", (json_int_t)res->skipped,
	    "failed", (json_int_t)res->failed);
}

static json_t *
filters_json(const struct cust_collect_opts *o)
{
	char since[CUST_TIMELEN] = "", until[CUST_TIMELEN] = "";

	if (o->since.tv_sec >= 0)
		cust_time_utc(&o->since, since);
	if (o->until.tv_sec >= 0)
		cust_time_utc(&o->until, until);
	return json_pack("{s:b, s:o, s:o, s:b, s:b, s:b}",
	    "one_file_system", o->one_file_system,
	    "start_date", since[0] ? json_string(since) : json_null(),
	    "end_date", until[0] ? json_string(until) : json_null(),
	    "by_mtime", (o->date_fields & CUST_DATE_MTIME) != 0,
	    "by_atime", (o->date_fields & CUST_DATE_ATIME) != 0,
	    "by_ctime", (o->date_fields & CUST_DATE_CTIME) != 0);
}

static char *
acquisition(struct run *run)
{
	const struct cust_collect_opts *o = run->o;
	const char *why = cust_filetype_unavailable(run->ft);
	json_t *a;
	char *s = NULL;
	int bad = 0;

	if ((a = json_object()) == NULL)
		return NULL;
	bad |= setjson(a, "format", json_string(CUST_FORMAT));
	bad |= setjson(a, "bag", json_string(o->bag_name));
	bad |= setjson(a, "case_id", opt_string(o->case_id));
	bad |= setjson(a, "evidence_id", opt_string(o->evidence_id));
	bad |= setjson(a, "examiner", opt_string(o->examiner));
	bad |= setjson(a, "tool", json_pack("{s:s, s:s}", "name", "custody",
	    "version", cust_version));
	bad |= setjson(a, "command_line", strings_json(o->argc, o->argv));
	bad |= setjson(a, "host", cust_host_facts());
	bad |= setjson(a, "clock", cust_clock_facts(&run->start, &run->end));
	bad |= setjson(a, "root", json_string(o->root ? o->root : "/"));
	bad |= setjson(a, "resources", json_pack("{s:b, s:b, s:b, s:I}",
	    "nice_19", o->niced, "io_idle", o->io_idle, "autogroup_nice_19",
	    o->autogroup, "max_rate_bytes_per_second",
	    (json_int_t)o->max_rate));
	bad |= setjson(a, "filters", filters_json(o));
	bad |= setjson(a, "read_only_mounts", run->res->guarded ?
	    json_pack("{s:b}", "active", 1) : json_pack("{s:b, s:s}",
	    "active", 0, "reason", run->res->guard_reason));
	bad |= setjson(a, "manifests", manifests_json(o));
	bad |= setjson(a, "hash_algorithms", algs_json(o->algs |
	    CUST_ALG_SHA256));
	bad |= setjson(a, "file_types", why != NULL ? json_pack("{s:s}",
	    "unavailable", why) : json_pack("{s:s}", "libmagic",
	    "loaded"));
	bad |= setjson(a, "seal", seal_json(run));
	bad |= setjson(a, "counts", counts_json(run->res));
	bad |= setjson(a, "artefacts_skipped", json_incref(run->skipped));
	if (bad == 0)
		s = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return s;
}

static int
events(struct run *run, struct cust_chain *c)
{
	char t0[CUST_TIMELEN], t1[CUST_TIMELEN], id[CUST_KEYID_HEXLEN + 1];
	json_t *e;
	int r;

	cust_time_utc(&run->start, t0);
	cust_time_utc(&run->end, t1);
	cust_key_id_hex(run->key, id);
	e = json_pack("{s:s, s:s, s:s+, s:o}", "type", "acquired", "time", t0,
	    "tool", "custody ", cust_version, "examiner",
	    opt_string(run->o->examiner));
	if (e == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "events");
	r = cust_chain_add(run->ctx, c, e);
	json_decref(e);
	if (r != CUST_OK)
		return r;
	e = json_pack("{s:s, s:s, s:s}", "type", "sealed", "time", t1,
	    "key_id", id);
	if (e == NULL)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "events");
	r = cust_chain_add(run->ctx, c, e);
	json_decref(e);
	return r;
}

static char *
info_lines(const struct cust_collect_opts *o, const char *keyid)
{
	char *s = NULL;
	int n;

	n = asprintf(&s, "%s%s%s%s%s%s%s%s%s"
	    "Custody-Format: " CUST_FORMAT "\nCustody-Key-ID: %s\n",
	    o->case_id ? "External-Identifier: " : "",
	    o->case_id ? o->case_id : "", o->case_id ? "\n" : "",
	    o->evidence_id ? "Internal-Sender-Identifier: " : "",
	    o->evidence_id ? o->evidence_id : "", o->evidence_id ? "\n" : "",
	    o->examiner ? "Contact-Name: " : "",
	    o->examiner ? o->examiner : "", o->examiner ? "\n" : "", keyid);
	return n < 0 ? NULL : s;
}

/* The closing statement, once the X.509 signature and tokens are in. */
static int
close_bag(struct run *run)
{
	char id[CUST_KEYID_HEXLEN + 1], when[CUST_TIMELEN], *trusted;
	struct timespec now;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	cust_key_id_hex(run->key, id);
	cust_time_utc(&now, when);
	if (asprintf(&trusted, "custody bag:%s closed:%s key:%s",
	    run->o->bag_name, when, id) < 0)
		return cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "seal");
	r = cust_bag_close(run->bag, run->key, CUST_CLOSE_UNTRUSTED,
	    trusted);
	free(trusted);
	return r;
}

static int
seal(struct run *run)
{
	struct cust_bag_seal in;
	struct cust_chain chain;
	char id[CUST_KEYID_HEXLEN + 1], when[CUST_TIMELEN];
	char *acq = NULL, *info = NULL, *trusted = NULL;
	int r;

	cust_chain_init(&chain);
	clock_gettime(CLOCK_REALTIME, &run->end);
	cust_key_id_hex(run->key, id);
	cust_time_utc(&run->end, when);
	if ((r = events(run, &chain)) != CUST_OK)
		goto out;
	if ((acq = acquisition(run)) == NULL ||
	    (info = info_lines(run->o, id)) == NULL ||
	    asprintf(&trusted, "custody bag:%s sealed:%s key:%s",
	    run->o->bag_name, when, id) < 0) {
		trusted = NULL;
		r = cust_set_error(run->ctx, ENOMEM, CUST_FATAL, "seal");
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.acquisition = acq;
	in.custody = chain.text;
	in.info = info;
	in.key = run->key;
	in.untrusted = CUST_SIG_UNTRUSTED;
	in.trusted = trusted;
	if ((r = cust_bag_seal(run->bag, &in)) == CUST_OK &&
	    (r = cust_countersign(run->ctx, run->bag, run->o, run->res)) ==
	    CUST_OK)
		r = close_bag(run);
out:
	free(trusted);
	free(info);
	free(acq);
	cust_chain_fini(&chain);
	return r;
}

static int
check_opts(struct cust_ctx *ctx, const struct cust_collect_opts *o)
{
	const char *n = o->bag_name;
	int r;

	if ((r = cust_check_label(ctx, "case id", o->case_id, LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "evidence id", o->evidence_id,
	    LABEL_MAX)) ||
	    (r = cust_check_label(ctx, "examiner", o->examiner, LABEL_MAX)))
		return r;
	if (n == NULL || *n == '\0' || strlen(n) > 128 || n[0] == '.' ||
	    strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != strlen(n))
		return cust_set_error(ctx, 0, CUST_FAILED, "%s: bag name must "
		    "be letters, digits, '.', '_' or '-'", n ? n : "(none)");
	return CUST_OK;
}

/* Read-only, noatime mounts before anything under the root is opened. */
static int
guard(struct run *run)
{
	struct cust_collect_result *res = run->res;
	int r;

	if (run->o->no_guard) {
		snprintf(res->guard_reason, sizeof(res->guard_reason),
		    "turned off by the caller");
		return CUST_OK;
	}
	r = cust_guard_mounts(run->ctx);
	if (r == CUST_FATAL)
		return r;
	res->guarded = r == CUST_OK;
	if (!res->guarded) {
		snprintf(res->guard_reason, sizeof(res->guard_reason), "%s",
		    cust_ctx_error(run->ctx));
		cust_ctx_clear(run->ctx);
	}
	return CUST_OK;
}

static int
setup(struct run *run)
{
	const struct cust_collect_opts *o = run->o;
	struct cust_ctx *ctx = run->ctx;
	int r;

	run->rootfd = open(o->root != NULL ? o->root : "/", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC);
	if (run->rootfd < 0)
		return cust_set_error(ctx, errno, CUST_FAILED, "%s",
		    o->root != NULL ? o->root : "/");
	if ((run->skipped = json_array()) == NULL)
		return cust_set_error(ctx, ENOMEM, CUST_FATAL, "collect");
	run->key = o->key;
	if (run->key == NULL) {
		if ((r = cust_key_generate(ctx, &run->onetime)) != CUST_OK)
			return r;
		run->key = run->onetime;
	}
	if ((r = cust_filetype_new(ctx, &run->ft)) != CUST_OK ||
	    (r = cust_relay_new(ctx, RING_BYTES, &run->relay)) != CUST_OK ||
	    (r = cust_relay_new(ctx, 0, &run->forward)) != CUST_OK ||
	    (r = cust_acquirer_new(ctx, run->relay, o->max_rate,
	    &run->acq)) != CUST_OK ||
	    (r = cust_pathset_new(ctx, &run->seen)) != CUST_OK ||
	    (r = cust_mounts_load(ctx, &run->mounts)) != CUST_OK ||
	    (r = cust_sink_new(ctx, o->out_fd, o->out_name, o->zstd_level,
	    o->zstd_threads, &run->sink)) != CUST_OK)
		return r;
	cust_sink_set_mtime(run->sink, run->start.tv_sec);
	if ((r = cust_bag_new(ctx, run->sink, o->bag_name, o->algs,
	    o->spool_dirfd, &run->start, &run->bag)) != CUST_OK)
		return r;
	return cust_ledger_start(ctx, run->relay, run->forward, run->bag,
	    run->ft, o->algs | CUST_ALG_SHA256, &run->ledger);
}

/*
 * Wait for the hashing and writing threads to finish what they were given.
 * When one of them failed, the reader only saw the relay stop: the
 * thread's own error, the writer's last since it is the one at the end of
 * the line, is the one to report.
 */
static int
join(struct run *run, int r)
{
	int lr, wr;

	lr = cust_ledger_finish(run->ledger, run->ctx);
	wr = run->writer != NULL ? cust_writer_finish(run->writer, run->ctx) :
	    CUST_OK;
	return wr != CUST_OK ? wr : lr != CUST_OK ? lr : r;
}

/*
 * On a full disk the bundle and the spools beside it fail alike, in an
 * order the threads decide: a spool can be flushed before the press's
 * thread has written the frames it holds.  Those are written first, and
 * the bundle's error, if they meet one, is the one to report.
 */
static int
output_first(struct run *run, int r)
{
	if (r != CUST_FATAL)
		return r;
	/* The frames still queued for the press are written (or fail)
	 * first: the spool's write may have failed before theirs did. */
	return cust_sink_drain(run->sink) != CUST_OK ? CUST_FATAL : r;
}

static void
teardown(struct run *run)
{
	cust_writer_free(run->writer);
	cust_ledger_free(run->ledger);
	cust_relay_free(run->forward);
	cust_relay_free(run->relay);
	cust_bag_free(run->bag);
	cust_sink_free(run->sink);
	cust_pathset_free(run->seen);
	cust_mounts_free(run->mounts);
	for (size_t i = 0; i < run->links.n; i++)
		free(run->links.v[i].stored);
	free(run->links.v);
	cust_acquirer_free(run->acq);
	cust_filetype_free(run->ft);
	cust_key_free(run->onetime);
	json_decref(run->skipped);
	for (int k = 0; k < 2; k++)
		cust_strv_free(&run->homes[k]);
	if (run->rootfd >= 0)
		close(run->rootfd);
}

int
cust_collect(struct cust_ctx *ctx, const struct cust_collect_opts *o,
    struct cust_collect_result *res)
{
	struct run run;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.o = o;
	run.res = res;
	run.rootfd = -1;
	clock_gettime(CLOCK_REALTIME, &run.start);
	if ((r = check_opts(ctx, o)) != CUST_OK || (r = guard(&run)) != 0 ||
	    (r = setup(&run)) != 0)
		goto out;
	if ((r = cust_bag_begin(run.bag)) != CUST_OK ||
	    (r = cust_writer_start(ctx, run.forward, run.relay, run.sink,
	    &run.writer)) != CUST_OK)
		goto out;
	if ((r = run_manifests(&run)) == CUST_OK)
		r = run_paths(&run);
	if ((r = output_first(&run, join(&run, r))) != CUST_OK ||
	    (r = output_first(&run, seal(&run))) != CUST_OK ||
	    (r = cust_sink_close(run.sink, res->sha256,
	    &res->bundle_bytes)) != CUST_OK ||
	    (r = cust_collect_log(ctx, run.bag, o, run.key,
	    run.onetime != NULL, res)) != CUST_OK)
		goto out;
	cust_key_id_hex(run.key, res->key_id);
	res->one_time_key = run.onetime != NULL;
	if ((res->public_key = cust_key_public_text(ctx, run.key)) == NULL) {
		r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "public key");
		goto out;
	}
	/* A manifest all of whose artefacts are for another system collects
	 * nothing: sealed, but not a complete collection. */
	r = res->failed > 0 || res->artefacts_run == 0 ? CUST_WARN : CUST_OK;
out:
	teardown(&run);
	return r;
}

void
cust_collect_result_fini(struct cust_collect_result *res)
{
	free(res->public_key);
	res->public_key = NULL;
	free(res->log_text);
	res->log_text = NULL;
}
