/*
 * inroot.c: open a path of a (possibly mounted, possibly hostile) root
 * without leaving it.  The kernel resolves the path (openat2), so a
 * symbolic link planted in an image (usr/bin -> /etc/../../host) resolves
 * inside the image, never on the collecting host.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "live/util.h"

int
cust_open_in_root(int rootfd, const char *path, int flags, bool nofollow)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	if (nofollow)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}
