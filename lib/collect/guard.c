/*
 * guard.c: make the evidence untouchable for the rest of the process.  The
 * collector moves into a private mount namespace and marks every mount in
 * it read-only and noatime.  Nothing the walker or the acquirer does can
 * then write to the evidence or move an access time, not even the kernel's
 * own atime update on readlink(2), for which O_NOATIME does not exist.
 * The host's mounts are not changed: only this process's view of them.
 * Descriptors opened before (the bundle, the spool directory) keep the
 * mounts they were opened on, so the output can still be written.
 */
#include <sys/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>

#include "collect/collect.h"

int
cust_guard_mounts(struct cust_ctx *ctx)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME,
		.attr_clr = MOUNT_ATTR__ATIME,
	};

	if (unshare(CLONE_NEWNS) != 0)
		return cust_set_error(ctx, errno, CUST_FAILED,
		    "private mount namespace");
	/* Our changes must never propagate back to the host. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
		return cust_set_error(ctx, errno, CUST_FATAL,
		    "private mount propagation");
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr,
	    sizeof(attr)) != 0)
		return cust_set_error(ctx, errno, CUST_FAILED,
		    "read-only, noatime mounts");
	return CUST_OK;
}
