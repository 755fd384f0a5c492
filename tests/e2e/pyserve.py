#!/usr/bin/env python3
"""pyserve.py: the test helpers tamper.py and hostile_tar.py served by one
Python process for the whole of a test (pyserve() in lib.sh starts it).  A
test asks for a hundred tampered bundles; the interpreter's start and
imports cost more CPU than most of the operations, twice per CI run.

Request, on fd 0: the number of fields, then the working directory, the
helper's name and the arguments of one call, each field ended by a NUL.
Reply, on fd 1: "RC LEN\\n" and the LEN bytes the call printed.  Messages
go to fd 2, as the helpers' own do.  A helper's reset(), if it has one,
runs before each call: state kept between calls must not leak into the
next.
"""
import io
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_tar  # noqa: E402
import tamper  # noqa: E402

HELPERS = {'tamper': tamper, 'hostile_tar': hostile_tar}


def requests(f):
    """Each request as a list of str (bytes as sys.argv decodes them)."""
    buf = b''
    fields = []
    while True:
        chunk = os.read(f, 65536)
        if not chunk:
            return
        buf += chunk
        *done, buf = buf.split(b'\0')
        fields += done
        while fields and len(fields) > int(fields[0]):
            n = int(fields[0])
            yield [os.fsdecode(a) for a in fields[1:n + 1]]
            fields = fields[n + 1:]


def call(name, argv):
    """NAME's main() on ARGV: (exit status, what it printed)."""
    helper = HELPERS[name]
    if hasattr(helper, 'reset'):
        helper.reset()
    sys.argv = [name + '.py'] + argv
    out, saved = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        helper.main()
        rc = 0
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        rc = e.code if isinstance(e.code, int) else 1
    except Exception:  # the test sees the failure, the server lives on
        traceback.print_exc()
        rc = 1
    finally:
        sys.stdout = saved
    sys.stderr.flush()
    return rc, out.getvalue().encode('utf-8', 'surrogateescape')


def main():
    # The protocol's descriptors are kept apart from 0 and 1, which the
    # programs the helpers run (zstd, openssl) inherit: /dev/null and 2.
    rq, rp = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    reply = os.fdopen(rp, 'wb')
    for req in requests(rq):
        os.chdir(req[0])
        rc, out = call(req[1], req[2:])
        reply.write(b'%d %d\n' % (rc, len(out)) + out)
        reply.flush()


if __name__ == '__main__':
    main()
