/*
 * version.c: `custody --version`.  The first line is the version every
 * bundle records; the rest say how this binary was linked, which library
 * versions it runs with, and its own SHA-256, so that a responder can
 * check the copy on a suspect host against the one on the kit.
 */
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <unistd.h>

#include <jansson.h>
#include <magic.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml.h>
#include <zstd.h>

#include "cmd.h"

#ifdef CUST_STATIC
#define LINKED	"static (no shared library, no NSS, no OpenSSL " \
		"configuration: nothing of the host is loaded)"
#else
#define LINKED	"dynamic"
#endif

/* The SHA-256 of the running binary, in HEX; 0, or -1 with errno set. */
static int
self_sha256(char hex[65])
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = NULL;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			goto out;
	if (n == 0 && EVP_DigestFinal_ex(c, md, &mdlen) == 1) {
		for (unsigned int i = 0; i < mdlen && i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		rc = 0;
	}
out:
	EVP_MD_CTX_free(c);
	close(fd);
	return rc;
}

int
print_version(void)
{
	char hex[65];
	int mv = magic_version();

	printf("custody %s\n", cust_version);
	printf("linked: %s\n", LINKED);
	printf("libc: glibc %s\n", gnu_get_libc_version());
	printf("libcrypto: %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libmagic: %d.%02d\n", mv / 100, mv % 100);
	printf("libyaml: %s\n", yaml_get_version_string());
	printf("jansson: %s\n", jansson_version_str());
	printf("zstd: %s\n", ZSTD_versionString());
	if (self_sha256(hex) == 0)
		printf("sha256: %s /proc/self/exe\n", hex);
	else
		printf("sha256: unknown (/proc/self/exe cannot be read)\n");
	return EXIT_DONE;
}
