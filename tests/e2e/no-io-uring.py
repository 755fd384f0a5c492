#!/usr/bin/env python3
"""no-io-uring.py ERRNO COMMAND...: run COMMAND with io_uring_setup(2)
refused with ERRNO (a name: EPERM, ENOSYS) by a seccomp filter, as a
container's policy refuses it.  Exits 77 where it cannot (another
architecture, no seccomp)."""
import ctypes
import errno
import os
import struct
import sys

IO_URING_SETUP = 425            # the same on every architecture
ARCHES = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
ALLOW, ERRNO = 0x7FFF0000, 0x00050000


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def main():
    arch = ARCHES.get(os.uname().machine)
    if arch is None or len(sys.argv) < 3:
        sys.exit(77)
    err = getattr(errno, sys.argv[1])
    prog = b"".join([
        insn(LD_W_ABS, 0, 0, 4),                # seccomp_data.arch
        insn(JEQ_K, 0, 3, arch),
        insn(LD_W_ABS, 0, 0, 0),                # seccomp_data.nr
        insn(JEQ_K, 0, 1, IO_URING_SETUP),
        insn(RET_K, 0, 0, ERRNO | err),
        insn(RET_K, 0, 0, ALLOW),
    ])
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                       ctypes.addressof(fbuf), 0, 0) != 0:
        sys.exit(77)
    os.execvp(sys.argv[2], sys.argv[2:])


main()
