/*
 * nohost.c: in the static build only (-Dstatic=true), the functions through
 * which a statically linked glibc would still load code or read files of
 * the host: dlopen(3), which OpenSSL's DSO layer calls to load engines and
 * providers, and the name service (getaddrinfo, getnameinfo,
 * gethostbyname), which
 * loads NSS modules and reads nsswitch.conf, resolv.conf and gai.conf.
 * Defined here, they keep glibc's out of the binary, so that no code path
 * can reach them: they fail, and say so.  custody itself calls none of them
 * (the TSA is given by its address in this build: lib/trust/tsa.c).
 */
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

#include <dlfcn.h>

static const char refused[] = "this static custody loads no shared object";

void *
dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

void *
dlsym(void *restrict handle, const char *restrict name)
{
	(void)handle;
	(void)name;
	return NULL;
}

int
dlclose(void *handle)
{
	(void)handle;
	return -1;
}

char *
dlerror(void)
{
	return (char *)(uintptr_t)refused;
}

int
dladdr(const void *addr, Dl_info *info)
{
	(void)addr;
	(void)info;
	return 0;
}

int
getaddrinfo(const char *restrict node, const char *restrict service,
    const struct addrinfo *restrict hints, struct addrinfo **restrict res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	return EAI_NONAME;
}

void
freeaddrinfo(struct addrinfo *res)
{
	(void)res;
}

struct hostent *
gethostbyname(const char *name)
{
	(void)name;
	h_errno = HOST_NOT_FOUND;
	return NULL;
}

int
getnameinfo(const struct sockaddr *restrict addr, socklen_t addrlen,
    char *restrict host, socklen_t hostlen, char *restrict serv,
    socklen_t servlen, int flags)
{
	(void)addr;
	(void)addrlen;
	(void)host;
	(void)hostlen;
	(void)serv;
	(void)servlen;
	(void)flags;
	return EAI_NONAME;
}
