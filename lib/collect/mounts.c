/*
 * mounts.c: the filesystem type of each mount, from /proc/self/mountinfo,
 * so that UAC's exclude_file_system can name types ("nfs", "fuse.sshfs")
 * the way mount(8) shows them.  Looked up by the mount ID statx(2) gives.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

struct mnt {
	uint64_t	 id;
	char		*type;		/* owned */
};

struct cust_mounts {
	struct mnt	*m;		/* owned */
	size_t		 n;
};

void
cust_mounts_free(struct cust_mounts *ms)
{
	if (ms == NULL)
		return;
	for (size_t i = 0; i < ms->n; i++)
		free(ms->m[i].type);
	free(ms->m);
	free(ms);
}

/* "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER" */
static int
parse(struct cust_mounts *ms, char *line)
{
	unsigned long long id;
	char *sep, type[256];
	struct mnt *m;

	/* Any number will do as an ID:
	 * NOLINTNEXTLINE(cert-err34-c) */
	if (sscanf(line, "%llu", &id) != 1 ||
	    (sep = strstr(line, " - ")) == NULL ||
	    sscanf(sep + 3, "%255s", type) != 1)
		return 0;	/* not a line we understand: skip it */
	if ((m = realloc(ms->m, (ms->n + 1) * sizeof(*m))) == NULL)
		return -1;
	ms->m = m;
	m += ms->n;
	m->id = id;
	if ((m->type = strdup(type)) == NULL)
		return -1;
	ms->n++;
	return 0;
}

int
cust_mounts_load(struct cust_ctx *ctx, struct cust_mounts **msp)
{
	struct cust_mounts *ms;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = CUST_OK;

	*msp = NULL;
	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return cust_set_error(ctx, errno, CUST_FATAL, "mounts");
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL) {
		*msp = ms;	/* no /proc: no types known */
		return CUST_OK;
	}
	while (r == CUST_OK && getline(&line, &cap, f) > 0)
		if (parse(ms, line) != 0)
			r = cust_set_error(ctx, ENOMEM, CUST_FATAL, "mounts");
	free(line);
	fclose(f);
	if (r != CUST_OK) {
		cust_mounts_free(ms);
		return r;
	}
	*msp = ms;
	return CUST_OK;
}

const char *
cust_mounts_type(const struct cust_mounts *ms, int fd)
{
	struct statx sx;

	if (ms == NULL || statx(fd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT,
	    STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID))
		return NULL;
	for (size_t i = 0; i < ms->n; i++)
		if (ms->m[i].id == sx.stx_mnt_id)
			return ms->m[i].type;
	return NULL;
}
