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
  many IN OUT N KEY PUB [--unlisted K...]
      the genuine bundle IN with N more payload members, empty, with names
      of 1,800 bytes, each listed in every payload manifest, Payload-Oxum,
      files.jsonl and bodyfile.txt as collect lists a file; the tag
      manifest and the closing statement are made again and signed with
      KEY (PUB's), so OUT is a validly signed bundle (zstd if OUT ends
      with .zst).  The payload is never held: OUT is written as a stream.
      --unlisted K: the K-th new member (from 0) is in no manifest and
      has no record, signed all the same.
"""
import hashlib
import itertools
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon  # noqa: E402
import tamper  # noqa: E402

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


def many_names(n):
    """N canonical stored names of 1,800 bytes, in the order written."""
    tail = '/' + '/'.join(['z' * 250] * 6) + '/' + 'z' * 31
    for i in range(n):
        yield 'data/many/%08d' % i + 'y' * 242 + tail


def many_lines(members, n, unlisted):
    """{tag file: a function giving the lines it gains, in pieces} for N
    more payload files, each listed as collect lists a file."""
    stored = next(json.loads(line) for line in
                  members[tamper.find(members, 'metadata/files.jsonl')][1]
                  .decode().splitlines() if '"stored"' in line)
    empty = {}

    # One record made by json, the others by putting in the name and
    # inode: a name is letters, digits and slashes, never escaped.
    rec = json.dumps(dict(stored, path='/@N@', stored='data/@N@', size=0,
                          bytes=0, ino=999999999, magic='empty',
                          sha256=hashlib.sha256(b'').hexdigest()),
                     separators=(',', ':'))
    rec = rec.replace('%', '%%').replace('@N@', '%s').replace(
        '999999999', '%d') + '\n'

    def records(names):
        for k, name in names:
            yield rec % (name[5:], name[5:], k + 1000)

    def body(names):
        for k, name in names:
            yield '0|/%s|%d|r/rrw-r--r--|0|0|0|0|0|0|0\n' % (name[5:], k + 1000)

    def manifest(alg):
        empty[alg] = hashlib.new(alg, b'').hexdigest() + '  '
        return lambda names: (empty[alg] + name + '\n' for _, name in names)

    out = {'metadata/files.jsonl': records, 'metadata/bodyfile.txt': body}
    for m, _ in members:
        if tamper.rel(m).startswith('manifest-'):
            alg = tamper.rel(m).split('-', 1)[1].rsplit('.', 1)[0]
            out[tamper.rel(m)] = manifest(alg)

    def pieces(fn):
        names = ((k, name) for k, name in zip(range(n), many_names(n))
                 if k not in unlisted)
        while True:
            chunk = list(itertools.islice(names, 1000))
            if not chunk:
                return
            yield ''.join(fn(chunk)).encode()
    return {k: (lambda fn=fn: pieces(fn)) for k, fn in out.items()}


def many(src, dst, n, key, pub, unlisted):
    """Write SRC with N more payload files as DST, a stream: each tag file
    that grows is made twice, once for its size and SHA-512, once to be
    written, and never held."""
    members = tamper.load(src)
    grow = many_lines(members, n, unlisted)
    sums, sizes = {}, {}
    for m, data in members:
        name = tamper.rel(m)
        h, size = hashlib.sha512(data), len(data)
        for piece in grow[name]() if name in grow else ():
            h.update(piece)
            size += len(piece)
        sums[name], sizes[name] = h.hexdigest(), size
    i = tamper.find(members, 'bag-info.txt')
    info = members[i][1].decode().splitlines()
    for j, line in enumerate(info):
        if line.startswith('Payload-Oxum: '):
            size, count = line.split(': ')[1].split('.')
            info[j] = 'Payload-Oxum: %s.%d' % (size, int(count) + n)
    tamper.setdata(members, i, ('\n'.join(info) + '\n').encode())
    sums['bag-info.txt'] = hashlib.sha512(members[i][1]).hexdigest()
    sizes['bag-info.txt'] = len(members[i][1])
    text = ''.join(sums[tamper.rel(m)] + '  ' + tamper.rel(m) + '\n'
                   for m, _ in members if m.isfile() and
                   not tamper.rel(m).startswith(
                       ('data/', 'signatures/', 'timestamps/',
                        'tagmanifest-'))).encode('utf-8', 'surrogateescape')
    kid, _ = tamper.pubkey(pub)
    tamper.setdata(members, tamper.find(members, 'tagmanifest-sha512.txt'),
                   text)
    tamper.resign(members, 'signatures/tagmanifest-sha512.txt.minisig',
                  text, key, kid)
    tamper.close(members, key, kid)
    write_many(members, dst, n, grow, sizes)


def write_many(members, dst, n, grow, sizes):
    mtime = int(members[0][0].mtime)
    top = tamper.bag(members) + '/'
    with open(dst, 'wb') as f:
        w = canon.Frames(f) if dst.endswith('.zst') else f
        for m, data in members:
            name = tamper.rel(m)
            if name == 'metadata/acquisition.json':
                # Only the number differs: one header, the number put in.
                first = canon.member((top + next(many_names(1))).encode(),
                                     b'', mtime)
                for k in range(n):
                    w.write(first.replace(b'many/00000000',
                                          b'many/%08d' % k, 1))
            if name not in grow:
                w.write(canon.member(m.name.encode(**tamper.ENC), data,
                                     mtime))
                continue
            w.write(canon.header(m.name.encode(**tamper.ENC), sizes[name],
                                 mtime) + data)
            for piece in grow[name]():
                w.write(piece)
            w.write(canon.pad(sizes[name]))
        w.write(canon.end())
        if w is not f:
            w.close()


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
    elif sys.argv[1] == 'many':
        unlisted = set(int(k) for k in sys.argv[8::2])
        many(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5],
             sys.argv[6], unlisted)
    else:
        sys.exit(__doc__)


main()
