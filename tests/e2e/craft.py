#!/usr/bin/env python3
"""craft.py: hostile bundles that are built, not tampered with.

  bomb OUT CLAIM ZEROS [--small] [--window LOG]
      a zstd bundle: bagit.txt, metadata/algorithms.txt, then a payload
      member whose header claims CLAIM bytes, followed by ZEROS zero bytes
      as zstd RLE blocks (4 bytes of stream for 128 KiB: the densest zstd
      allows, 32768:1).  With --small the tar prefix is compressed by zstd
      in a frame of its own, to fit a bomb in 1 KiB.  --window declares a
      window of 2^LOG bytes (default 17) in the frame of zeros.
  members N
      write to standard output a plain tar: bagit.txt, algorithms.txt, then
      N empty payload members with names of 2,013 bytes (canonical stored
      names, as long as the collector writes them), and the end marker.
  name LEN
      write to standard output a plain tar: bagit.txt, algorithms.txt, and
      one empty payload member named data/ and LEN bytes of 'n'.
"""
import io
import struct
import subprocess
import sys
import tarfile

BAG = 'H'
BLOCK = 128 * 1024


def member(name, data=b'', size=None):
    i = tarfile.TarInfo(BAG + '/' + name)
    i.size = len(data) if size is None else size
    i.mtime = 1700000000
    i.mode = 0o644
    head = i.tobuf(tarfile.PAX_FORMAT, 'utf-8', 'surrogateescape')
    pad = b'\0' * (-len(data) % 512) if size is None else b''
    return head + data + pad


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


def bomb(out, claim, zeros, small, wlog):
    head = prefix() + member('data/zeros.img', size=claim)
    if small or wlog != 17:
        z = subprocess.run(['zstd', '-q', '-19', '-c'], input=head,
                           stdout=subprocess.PIPE, check=True).stdout
        stream = z + raw_frame(b'', zeros, wlog)
    else:
        stream = raw_frame(head, zeros)
    with open(out, 'wb') as f:
        f.write(stream)


def members(n):
    w = sys.stdout.buffer
    w.write(prefix())
    tail = '/' + '/'.join(['z' * 250] * 7)
    for i in range(n):
        w.write(member('data/%08d' % i + 'y' * 242 + tail))
    w.write(bytes(1024))


def main():
    if sys.argv[1] == 'bomb':
        wlog = 17
        if '--window' in sys.argv:
            wlog = int(sys.argv[sys.argv.index('--window') + 1])
        bomb(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             '--small' in sys.argv, wlog)
    elif sys.argv[1] == 'members':
        members(int(sys.argv[2]))
    elif sys.argv[1] == 'name':
        sys.stdout.buffer.write(prefix() + member(
            'data/' + 'n' * int(sys.argv[2])) + bytes(1024))
    else:
        sys.exit(__doc__)


main()
