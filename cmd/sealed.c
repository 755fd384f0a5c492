/*
 * sealed.c: confidential bundles (collect --recipient) for verify, extract
 * and show: --identity KEY.pem, the envelope opened in front of the
 * bundle reader, and, without a key, what can still be checked: the
 * envelope's SHA-256 against the sidecar and the custody log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmd.h"
#include "sealed.h"

int
sealed_identity(struct cust_ctx *ctx, struct sealed *s, const char *path)
{
	int r;

	if (s->nids == SEALED_MAX_IDS)
		return warnmsg("--identity: at most %d", SEALED_MAX_IDS),
		    EXIT_USAGE;
	if ((r = cust_identity_load(ctx, path, &s->ids[s->nids])) != CUST_OK)
		return warnctx(ctx), r == CUST_FATAL ? EXIT_FATAL : EXIT_USAGE;
	s->nids++;
	return EXIT_DONE;
}

/* A file starting with an envelope; standard input is taken to be one
 * when a key is given, as it cannot be looked at twice. */
static bool
sniff(const struct sealed *s, int fd)
{
	unsigned char b[16];
	ssize_t n = pread(fd, b, sizeof(b), 0);

	if (n < 0)
		return s->nids > 0;
	return cust_unseal_sniff(b, (size_t)n);
}

int
sealed_open(struct cust_ctx *ctx, struct sealed *s, int *fd,
    const char *name)
{
	int r;

	s->is_sealed = sniff(s, *fd);
	if (!s->is_sealed || s->nids == 0)
		return EXIT_DONE;
	r = cust_unseal_start(ctx, *fd, name, s->ids, s->nids, &s->u);
	if (r != CUST_OK)
		return warnctx(ctx), r == CUST_FATAL ? EXIT_FATAL : EXIT_BAD;
	*fd = cust_unseal_fd(s->u);
	return EXIT_DONE;
}

int
sealed_end(struct cust_ctx *ctx, struct sealed *s)
{
	char sha[65];
	uint64_t n;

	if (s->u == NULL)
		return EXIT_DONE;
	if (cust_unseal_end(s->u, ctx, sha, &n) != CUST_OK)
		return warnctx(ctx), EXIT_BAD;
	return EXIT_DONE;
}

void
sealed_close(struct sealed *s)
{
	cust_unseal_free(s->u);
	s->u = NULL;
	for (size_t i = 0; i < s->nids; i++)
		cust_identity_free(s->ids[i]);
	s->nids = 0;
}

/* SHA-256 (hex) of what FD holds, from its start. */
static int
hash_fd(int fd, char out[65])
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ssize_t n;
	off_t off = 0;
	int ok;

	ok = c != NULL && EVP_DigestInit_ex2(c, EVP_sha256(), NULL) == 1;
	while (ok && (n = pread(fd, buf, sizeof(buf), off)) > 0) {
		ok = EVP_DigestUpdate(c, buf, (size_t)n) == 1;
		off += n;
	}
	if (ok && n == 0 && EVP_DigestFinal_ex(c, md, NULL) == 1)
		for (size_t i = 0; i < sizeof(md); i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	else
		ok = 0;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

/* The first 64 characters of BUNDLE.sha256, or "" when there is none. */
static void
sidecar_sha(const char *bundle, char out[65])
{
	char *name;
	FILE *f;

	out[0] = '\0';
	if (asprintf(&name, "%s.sha256", bundle) < 0)
		return;
	if ((f = fopen(name, "re")) != NULL) {
		if (fread(out, 1, 64, f) == 64)
			out[64] = '\0';
		else
			out[0] = '\0';
		fclose(f);
	}
	free(name);
}

/* Event 0 of the custody log on LOGFD: the SHA-256 it records, or "". */
static void
log_sha(struct cust_ctx *ctx, int logfd, const char *logname, char out[65])
{
	const struct cust_log_entry *e;
	struct cust_log *log = NULL;

	out[0] = '\0';
	if (logfd >= 0 && cust_log_read(ctx, logfd, logname, &log) ==
	    CUST_OK && cust_log_count(log) > 0 &&
	    (e = cust_log_entry(log, 0)) != NULL && e->sha256 != NULL)
		snprintf(out, 65, "%s", e->sha256);
	cust_log_free(log);
}

static void
compare(const char *what, const char *want, const char *got, int *rc)
{
	if (want[0] == '\0')
		printf("%-12s none to compare with\n", what);
	else if (strcmp(want, got) == 0)
		printf("%-12s matches: %s\n", what, want);
	else {
		printf("%-12s DIFFERS: records %s\n", what, want);
		warnmsg("%s: records the bundle's SHA-256 as %s; the file read "
		    "is %s", what, want, got);
		*rc = EXIT_BAD;
	}
}

int
sealed_unchecked(struct cust_ctx *ctx, int fd, const char *bundle,
    int logfd, const char *logname)
{
	char got[65], side[65], logged[65];
	int rc = EXIT_UNVERIFIED;

	if (hash_fd(fd, got) != 0)
		return warnmsg("%s: %s", bundle, strerror(errno)), EXIT_FATAL;
	sidecar_sha(bundle, side);
	log_sha(ctx, logfd, logname, logged);
	printf("%-12s ", "bundle:");
	safe_fputs(bundle, stdout);
	printf(" (encrypted: a CMS AuthEnvelopedData, sha256 %s)\n", got);
	compare("sidecar:", side, got, &rc);
	compare("custody log:", logged, got, &rc);
	if (rc == EXIT_BAD)
		puts("verdict:     FAILED: the encrypted file is not the one "
		    "the collection recorded");
	else
		printf("verdict:     ENCRYPTED, CONTENT NOT CHECKED: %s; give "
		    "--identity KEY.pem to decrypt and verify the bundle "
		    "inside\n", side[0] != '\0' || logged[0] != '\0' ?
		    "the file is the one the collection recorded (the custody "
		    "log's signature is checked only with the bundle inside)" :
		    "nothing records its SHA-256 to compare with");
	if (rc != EXIT_BAD)
		warnmsg("%s: encrypted, and no --identity given: the content "
		    "was not checked", bundle);
	return rc;
}
