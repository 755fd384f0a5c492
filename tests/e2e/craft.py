#!/usr/bin/env python3
"""craft.py: hostile bundles that are built, not tampered with.

  bomb OUT CLAIM ZEROS [--window LOG]
      a zstd bundle: bagit.txt, metadata/algorithms.txt, then a payload
      member whose header claims CLAIM bytes, followed by ZEROS zero bytes,
      in the canonical frames of custody-bundle(5): every frame but the
      last holds 1 MiB, and a frame of 1 MiB of zeros takes 53 bytes (about
      20,000:1).  --window LOG makes the second frame one that is not
      canonical: a frame of zeros whose header declares a window of 2^LOG
      bytes instead of its content size.
  members N
      write to standard output a plain tar: bagit.txt, algorithms.txt, then
      N empty payload members with names of 2,013 bytes (canonical stored
      names, as long as the collector writes them), and the end marker.
  name LEN
      write to standard output a plain tar: bagit.txt, algorithms.txt, and
      one empty payload member named data/ and LEN bytes of 'n'.
"""
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon  # noqa: E402

BAG = 'H'
BLOCK = 128 * 1024


def member(name, data=b'', size=None):
    name = (BAG + '/' + name).encode('utf-8', 'surrogateescape')
    if size is not None:
        return canon.header(name, size, 1700000000)
    return canon.member(name, data, 1700000000)


def prefix():
    return (member('bagit.txt', b'BagIt-Version: 1.0\n'
                   b'Tag-File-Character-Encoding: UTF-8\n') +
            member('metadata/algorithms.txt', b'sha256\n'))


def block(kind, size, last, body):
    return struct.pack('<I', last | kind << 1 | size << 3)[:3] + body


def raw_frame(data, rle_zeros, wlog=17):
    """One zstd frame: DATA as raw blocks, then RLE_ZEROS zero bytes."""
    out = [b'\x28\xb5\x2f\xfd', b'\x00', bytes([(wlog - 10) << 3])]
    chunks = [data[i:i + BLOCK] for i in range(0, len(data), BLOCK)]
    runs = [BLOCK] * (rle_zeros // BLOCK)
    if rle_zeros % BLOCK:
        runs.append(rle_zeros % BLOCK)
    total = len(chunks) + len(runs)
    k = 0
    for c in chunks:
        k += 1
        out.append(block(0, len(c), k == total, c))
    one = block(1, BLOCK, 0, b'\0')
    for n in runs:
        k += 1
        out.append(one if n == BLOCK and k < total else
                   block(1, n, k == total, b'\0'))
    if total == 0:
        out.append(block(0, 0, 1, b''))
    return b''.join(out)


def bomb(out, claim, zeros, wlog):
    head = prefix() + member('data/zeros.img', size=claim)
    piece = canon.PIECE
    first = min(piece, len(head) + zeros)
    stream = [canon.frames(head + bytes(first - len(head)), 19)]
    left = len(head) + zeros - first
    whole = canon.frames(bytes(piece), 19) if left >= piece else b''
    if wlog is not None and left >= piece:
        stream.append(raw_frame(b'', piece, wlog))
        left -= piece
    stream.append(whole * (left // piece))
    stream.append(canon.frames(bytes(left % piece), 19))
    with open(out, 'wb') as f:
        f.write(b''.join(stream))


def members(n):
    w = sys.stdout.buffer
    w.write(prefix())
    tail = '/' + '/'.join(['z' * 250] * 7)
    for i in range(n):
        w.write(member('data/%08d' % i + 'y' * 242 + tail))
    w.write(canon.end())


def main():
    if sys.argv[1] == 'bomb':
        wlog = None
        if '--window' in sys.argv:
            wlog = int(sys.argv[sys.argv.index('--window') + 1])
        bomb(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), wlog)
    elif sys.argv[1] == 'members':
        members(int(sys.argv[2]))
    elif sys.argv[1] == 'name':
        sys.stdout.buffer.write(prefix() + member(
            'data/' + 'n' * int(sys.argv[2])) + canon.end())
    else:
        sys.exit(__doc__)


main()
