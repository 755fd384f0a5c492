/*
 * tool.c: what the running collector is, for the acquisition record: the
 * SHA-256 of the executable the kernel runs (/proc/self/exe, not a path
 * that may since have been replaced), its version, its GNU build id as
 * the loader mapped it, the compiler that built it, and the versions of
 * the libraries it runs with (which may differ from those it was built
 * against).
 */
#include <sys/stat.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <yaml.h>
#include <zstd.h>

#include "collect/collect.h"

#define EXE_MAX		(512 * 1024 * 1024)	/* bytes hashed at most */

/* The SHA-256 of the running executable, or NULL. */
static json_t *
exe_sha256(void)
{
	struct cust_digest *d = NULL;
	struct cust_ctx *ctx = NULL;
	char buf[65536];
	struct stat st;
	json_t *out = NULL;
	uint64_t total = 0;
	ssize_t k = 0;
	int fd;

	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    cust_ctx_new(&ctx) != CUST_OK ||
	    cust_digest_new(ctx, CUST_ALG_SHA256, &d) != CUST_OK)
		goto out;
	while (total <= EXE_MAX && (k = read(fd, buf, sizeof(buf))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || cust_digest_update(d, buf, (size_t)k) != CUST_OK)
			goto out;
		total += (uint64_t)k;
	}
	if (k == 0 && cust_digest_final(d) == CUST_OK)
		out = json_string(cust_digest_hex(d, CUST_ALG_SHA256));
out:
	cust_digest_free(d);
	cust_ctx_free(ctx);
	close(fd);
	return out;
}

/* The GNU build id note of one loaded object's PT_NOTE segment. */
static bool
note_id(const unsigned char *p, size_t n, char *hex, size_t hexlen)
{
	const ElfW(Nhdr) *h;
	size_t at = 0, name, desc;

	while (at + sizeof(*h) <= n) {
		h = (const ElfW(Nhdr) *)(const void *)(p + at);
		name = (h->n_namesz + 3u) & ~3u;
		desc = (h->n_descsz + 3u) & ~3u;
		at += sizeof(*h);
		if (name > n - at || desc > n - at - name)
			return false;
		if (h->n_type == NT_GNU_BUILD_ID && h->n_namesz == 4 &&
		    memcmp(p + at, "GNU", 4) == 0 && h->n_descsz > 0 &&
		    2 * h->n_descsz < hexlen) {
			cust_hex(p + at + name, h->n_descsz, hex);
			return true;
		}
		at += name + desc;
	}
	return false;
}

/* dl_iterate_phdr: the main program comes first; stop after it. */
static int
phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *hex = arg;

	(void)size;
	/* The loader gives the notes' place as a number:
	 * NOLINTBEGIN(performance-no-int-to-ptr) */
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_NOTE &&
		    note_id((const unsigned char *)(info->dlpi_addr +
		    info->dlpi_phdr[i].p_vaddr), info->dlpi_phdr[i].p_memsz,
		    hex, 129))
			break;
	/* NOLINTEND(performance-no-int-to-ptr) */
	return 1;
}

static json_t *
build_id(void)
{
	char hex[129] = "";

	dl_iterate_phdr(phdr, hex);
	return hex[0] != '\0' ? json_string(hex) : json_null();
}

static json_t *
compiler(void)
{
#if defined(__clang__)
	return json_string("clang " __clang_version__);
#elif defined(__GNUC__)
	return json_string("gcc " __VERSION__);
#else
	return json_null();
#endif
}

static json_t *
libraries(void)
{
	char magic[32];
	int v = magic_version();

	snprintf(magic, sizeof(magic), "%d.%02d", v / 100, v % 100);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "openssl", OpenSSL_version(OPENSSL_VERSION),
	    "libmagic", magic,
	    "jansson", jansson_version_str(),
	    "libyaml", yaml_get_version_string(),
	    "zstd", ZSTD_versionString());
}

json_t *
cust_tool_facts(void)
{
	return json_pack("{s:s, s:s, s:o*, s:o, s:o, s:o*}",
	    "name", "custody", "version", cust_version,
	    "sha256", exe_sha256(), "build_id", build_id(),
	    "compiler", compiler(), "libraries", libraries());
}
