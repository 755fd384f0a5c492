"""canon.py: the canonical tar and zstd framing of custody-bundle(5), written
from the man page for the test tools (tamper.py, craft.py), so that a
tampered or crafted bundle differs from a genuine one only where a test
means it to.  Python's tarfile writes other bytes (its own pax records,
owner names, record padding), which verify now refuses for that alone.
"""
import io
import os
import subprocess
import tempfile

BLOCK = 512
FIELD_MAX = 0o77777777777
PIECE = 1024 * 1024


def _octal(v, n):
    return b'%0*o\0' % (n - 1, v)


def _record(key, value):
    body = len(key) + len(value) + 3
    n = body + 1
    while body + len(str(n)) != n:
        n = body + len(str(n))
    return b'%d ' % n + key + b'=' + value + b'\n'


def _block(name, size, mtime, kind):
    b = bytearray(BLOCK)
    b[0:len(name)] = name
    b[100:108] = _octal(0o644, 8)
    b[108:116] = _octal(0, 8)
    b[116:124] = _octal(0, 8)
    b[124:136] = _octal(size, 12)
    b[136:148] = _octal(mtime, 12)
    b[148:156] = b' ' * 8
    b[156:157] = kind
    b[257:265] = b'ustar\x0000'
    b[329:337] = _octal(0, 8)
    b[337:345] = _octal(0, 8)
    b[148:156] = b'%06o\0 ' % sum(b)
    return bytes(b)


def _plain(name):
    return 0 < len(name) <= 99 and all(0x20 <= c <= 0x7e for c in name)


def pad(n):
    return b'\0' * (-n % BLOCK)


def header(name, size, mtime):
    """The headers of member NAME (bytes) of SIZE bytes."""
    rec = b''
    if not _plain(name):
        rec += _record(b'hdrcharset', b'BINARY') + _record(b'path', name)
    if size > FIELD_MAX:
        rec += _record(b'size', b'%d' % size)
    small = 0 if size > FIELD_MAX else size
    if not rec:
        return _block(name, size, mtime, b'0')
    return (_block(b'@PaxHeader', len(rec), mtime, b'x') + rec + pad(len(rec))
            + _block(name if _plain(name) else b'@PaxPath', small, mtime,
                     b'0'))


def member(name, data, mtime):
    return header(name, len(data), mtime) + data + pad(len(data))


def end():
    return b'\0' * (2 * BLOCK)


class Frames:
    """A writer of the zstd frames of custody-bundle(5) to the binary file
    OUT: every frame but the last holds PIECE bytes, with its content size
    and checksum, as collect's press writes them.  The tar is taken a
    piece at a time, so a stream larger than memory can be written."""

    def __init__(self, out, level=1, batch=64):
        self.out, self.level, self.batch = out, level, batch
        self.buf, self.pieces = bytearray(), []
        self.dir = tempfile.TemporaryDirectory()

    def write(self, b):
        self.buf += b
        while len(self.buf) >= PIECE:
            self.pieces.append(bytes(self.buf[:PIECE]))
            del self.buf[:PIECE]
            if len(self.pieces) == self.batch:
                self._flush()

    def _flush(self):
        names = []
        for k, piece in enumerate(self.pieces):
            names.append(os.path.join(self.dir.name, '%08d' % k))
            with open(names[-1], 'wb') as f:
                f.write(piece)
        self.pieces = []
        if not names:
            return
        # A window of one piece: each frame is then one segment.
        subprocess.run(['zstd', '-q', '-f', '--no-progress',
                        '-%d' % self.level, '--zstd=wlog=20'] + names,
                       check=True)
        for n in names:
            with open(n + '.zst', 'rb') as f:
                self.out.write(f.read())
            os.unlink(n)
            os.unlink(n + '.zst')

    def close(self):
        if self.buf:
            self.pieces.append(bytes(self.buf))
            self.buf = bytearray()
        self._flush()
        self.dir.cleanup()


def frames(raw, level=1):
    """RAW in zstd frames of PIECE bytes (the last shorter), each with its
    content size and checksum, as collect's press writes them."""
    out = io.BytesIO()
    w = Frames(out, level, batch=max(1, -(-len(raw) // PIECE)))
    w.write(raw)
    w.close()
    return out.getvalue()
