#!/usr/bin/env python3
"""hostile_tar.py ATTACK IN OUT [ARGS]: a copy of a real bundle with one
attack on its tar stream or its zstd frames (issue 19's tamper matrix).

IN and OUT are .tar or .tar.zst.  For a .tar.zst, the tar attacks change
the decompressed stream, which is compressed again in frames of 1 MiB by
the zstd command at level 1, one file per frame, as custody's sink frames
it (the same frame headers: content size and checksum; an unchanged
stream comes out byte for byte the same); the zstd attacks keep the
frames of IN byte for byte and change only what they name.  MEMBER names
are relative to the bag's top directory.  Every other byte is kept, and
every header changed gets a valid checksum, so that a verifier that
rejects the copy rejected that one change.

Tar attacks:
  global-plant IN OUT NAME TEXT   a pax global header ('g') with size=0,
                                  then a Solaris ACL header ('A') whose
                                  body holds a member NAME with TEXT, then
                                  a 'g' that ends the size=0, all before
                                  the first member: libarchive skips the
                                  'A' body by its size field, GNU tar
                                  (1.34) takes the 'A' for a file of the
                                  global size 0 and extracts NAME
  global-forge IN OUT MEMBER TEXT the same before the last member, with a
                                  member MEMBER holding TEXT: GNU tar
                                  overwrites the sealed MEMBER
  longname-path IN OUT MEMBER OTHER
                                  MEMBER gets a GNU long-name header ('L')
                                  with its own name and a pax path= naming
                                  OTHER, and OTHER the reverse: libarchive
                                  keeps the 'L' names, GNU tar the pax ones
  longlink IN OUT MEMBER          MEMBER gets a GNU long-link header ('K')
                                  and a pax linkpath=
  mode|uid|gid|uname|gname|mtime|devmajor|devminor|linkname IN OUT MEMBER
                                  that ustar field of MEMBER's header gets
                                  another value (mode 04755, uid and gid
                                  1000, uname and gname "attacker", mtime
                                  one day later, devmajor and devminor 7,
                                  linkname "bagit.txt")
  prefix IN OUT MEMBER            MEMBER's directories move to the prefix
                                  field (the same name, spelt otherwise)
  magic IN OUT MEMBER             GNU's magic and version "ustar  \\0"
  chksum-space IN OUT MEMBER      the checksum ends with a space, not NUL
  header-pad IN OUT MEMBER        a non-zero byte in the header's last 12
                                  bytes (after the prefix field)
  data-pad IN OUT MEMBER          a non-zero byte in the data's padding
  trail-zero IN OUT               two more zero blocks after the end
  trail-data IN OUT               a block of text after the end
  pax-mtime|pax-uid|pax-uname|pax-comment|pax-atime|pax-xattr IN OUT MEMBER
                                  MEMBER's pax header (made when it has
                                  none) gets that record too
  pax-needless IN OUT MEMBER      a pax header holding only path=, on a
                                  member whose name needs none
  none IN OUT                     no change (a .tar.zst is framed anew:
                                  the same bytes, if custody's framing is
                                  what this script believes it is)

zstd attacks (IN and OUT .tar.zst):
  zstd-skip-first|zstd-skip-middle|zstd-skip-last IN OUT
                                  a skippable frame (magic 0x184D2A5?)
                                  before the first frame, after the first
                                  (IN needs two frames), after the last
  zstd-dict IN OUT                the first frame compressed again with a
                                  dictionary (its ID in the frame header)
  zstd-nocheck IN OUT             the first frame compressed again without
                                  its checksum
  zstd-trailing IN OUT            bytes that are no frame after the last

list                              print the tar attacks, then the zstd ones
"""

import os
import subprocess
import sys
import tempfile

BLOCK = 512
PIECE = 1024 * 1024     # tar bytes in one frame (zstd_writer.c)

# ustar fields: offset, length
F_NAME = (0, 100)
F_MODE = (100, 8)
F_UID = (108, 8)
F_GID = (116, 8)
F_SIZE = (124, 12)
F_MTIME = (136, 12)
F_CHKSUM = (148, 8)
F_TYPE = (156, 1)
F_LINK = (157, 100)
F_MAGIC = (257, 8)
F_UNAME = (265, 32)
F_GNAME = (297, 32)
F_MAJOR = (329, 8)
F_MINOR = (337, 8)
F_PREFIX = (345, 155)

TAR_ATTACKS = ['global-plant', 'global-forge', 'longname-path', 'longlink',
               'mode', 'uid', 'gid', 'uname', 'gname', 'mtime', 'devmajor',
               'devminor', 'linkname', 'prefix', 'magic', 'chksum-space',
               'header-pad', 'data-pad', 'trail-zero', 'trail-data',
               'pax-mtime', 'pax-uid', 'pax-uname', 'pax-comment',
               'pax-atime', 'pax-xattr', 'pax-needless']
ZSTD_ATTACKS = ['zstd-skip-first', 'zstd-skip-middle', 'zstd-skip-last',
                'zstd-dict', 'zstd-nocheck', 'zstd-trailing']


def die(msg):
    sys.stderr.write('hostile_tar: %s\n' % msg)
    sys.exit(2)


def pad(b):
    return b + b'\0' * (-len(b) % BLOCK)


def padded(n):
    return n + (-n % BLOCK)


def field(h, f):
    return bytes(h[f[0]:f[0] + f[1]])


def setfield(h, f, value):
    if len(value) > f[1]:
        die('%r does not fit a field of %d bytes' % (value, f[1]))
    h[f[0]:f[0] + f[1]] = value + b'\0' * (f[1] - len(value))


def octal(v, width):
    """A numeric field as custody writes it: digits, then NUL."""
    return b'%0*o\0' % (width - 1, v)


def number(b):
    s = b.strip(b'\0 ')
    return int(s, 8) if s else 0


def checksum(h, style=b'%06o\0 '):
    """Give header H (a bytearray) a valid checksum written in STYLE."""
    h[148:156] = b' ' * 8
    h[148:156] = style % sum(h)


def record(key, value):
    """One pax record: its length counts its own digits."""
    body = b' ' + key + b'=' + value + b'\n'
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n += 1
    return str(n).encode() + body


def header(template, name, size, typ):
    """A header like TEMPLATE (a real one), for NAME of SIZE bytes."""
    h = bytearray(template)
    setfield(h, F_NAME, name[:100])
    setfield(h, F_SIZE, octal(size, 12))
    setfield(h, F_TYPE, typ)
    setfield(h, F_LINK, b'')
    setfield(h, F_PREFIX, b'')
    checksum(h)
    return bytes(h)


def paxheader(template, records, typ=b'x', name=b'PaxHeader'):
    body = b''.join(records)
    return header(template, name, len(body), typ) + pad(body)


def xheader(tar, ms, m, records):
    """A pax 'x' header for member M holding RECORDS, its fields copied
    from the bundle's own first 'x' header when it has one, so that only
    the records differ from what the writer makes."""
    for other in ms:
        for typ, off, _ in other.ext:
            if typ == b'x':
                body = b''.join(records)
                h = bytearray(tar[off:off + BLOCK])
                setfield(h, F_SIZE, octal(len(body), 12))
                checksum(h)
                return bytes(h) + pad(body)
    return paxheader(tar[m.hdr:m.hdr + BLOCK], records)


# ------------------------------------------------------------ tar stream

class Member:
    """A member: its extended headers from START, its header at HDR, its
    data to END (padding included)."""

    def __init__(self, start, hdr, size, name, ext):
        self.start = start
        self.hdr = hdr
        self.size = size
        self.end = hdr + BLOCK + padded(size)
        self.name = name
        self.ext = ext          # [(typeflag, offset, body size)]


def members(tar):
    """The members of TAR and the offset of its end-of-archive marker."""
    out = []
    off = 0
    ext = []
    start = None
    while off + BLOCK <= len(tar):
        h = tar[off:off + BLOCK]
        if h == b'\0' * BLOCK:
            return out, off
        typ = field(h, F_TYPE)
        size = number(field(h, F_SIZE))
        if typ in (b'x', b'g', b'L', b'K'):
            if start is None:
                start = off
            ext.append((typ, off, size))
            off += BLOCK + padded(size)
            continue
        name = paxpath(tar, ext) or fullname(h)
        out.append(Member(off if start is None else start, off, size, name,
                          ext))
        off = out[-1].end
        ext = []
        start = None
    die('no end-of-archive marker')


def fullname(h):
    name = field(h, F_NAME).split(b'\0')[0]
    prefix = field(h, F_PREFIX).split(b'\0')[0]
    return prefix + b'/' + name if prefix else name


def paxpath(tar, ext):
    for typ, off, size in ext:
        if typ != b'x':
            continue
        for key, value in records(tar[off + BLOCK:off + BLOCK + size]):
            if key == b'path':
                return value
    return None


def records(body):
    out = []
    while body:
        n = int(body.split(b' ', 1)[0])
        key, value = body[:n].split(b' ', 1)[1][:-1].split(b'=', 1)
        out.append((key, value))
        body = body[n:]
    return out


def bag(ms):
    return ms[0].name.split(b'/')[0]


def find(ms, rel):
    want = bag(ms) + b'/' + rel.encode('utf-8', 'surrogateescape')
    for i, m in enumerate(ms):
        if m.name == want:
            return i
    die('no member %s' % rel)


def hdrblock(tar, m):
    return bytearray(tar[m.hdr:m.hdr + BLOCK])


def replace_header(tar, m, h):
    return tar[:m.hdr] + bytes(h) + tar[m.hdr + BLOCK:]


# ------------------------------------------------------------ tar attacks

# Solaris ACL text that libarchive parses: type, then the entries.
ACL = b'01000000\0user::rw-,group::r--,other::r--'


def plant(tar, ms, at, name, text):
    """Insert at offset AT what only GNU tar reads: a member NAME."""
    tpl = tar[ms[0].hdr:ms[0].hdr + BLOCK]
    # The 'A' body's first block is, for GNU tar, the hidden member's pax
    # header; for libarchive its name field is the ACL text.
    hidden = paxheader(tpl, [record(b'path', name),
                             record(b'size', str(len(text)).encode())],
                       name=ACL)
    hidden += header(tpl, name, len(text), b'0') + pad(text)
    hidden += paxheader(tpl, [record(b'comment', b'end')], b'g')
    carrier = header(tpl, name, len(hidden), b'A') + hidden
    return tar[:at] + paxheader(tpl, [record(b'size', b'0')], b'g') + \
        carrier + tar[at:]


def a_global_plant(tar, args):
    ms, _ = members(tar)
    name = bag(ms) + b'/' + args[0].encode('utf-8', 'surrogateescape')
    return plant(tar, ms, ms[0].start, name, args[1].encode())


def a_global_forge(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    if m is ms[-1]:
        die('the forged member must not be the last')
    return plant(tar, ms, ms[-1].start, m.name, args[1].encode())


def longname(tar, m, lname, path):
    tpl = tar[m.hdr:m.hdr + BLOCK]
    ext = header(tpl, b'././@LongLink', len(lname) + 1, b'L') + \
        pad(lname + b'\0')
    ext += paxheader(tpl, [record(b'path', path)])
    return tar[:m.start] + ext + tar[m.hdr:]


def a_longname_path(tar, args):
    ms, _ = members(tar)
    a, b = ms[find(ms, args[0])], ms[find(ms, args[1])]
    if a.ext or b.ext:
        die('longname-path wants members without extended headers')
    first, second = (a, b) if a.start < b.start else (b, a)
    # The later one first, so that the earlier offsets hold.
    tar = longname(tar, second, second.name, first.name)
    return longname(tar, first, first.name, second.name)


def a_longlink(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    tpl = tar[m.hdr:m.hdr + BLOCK]
    target = bag(ms) + b'/bagit.txt'
    ext = header(tpl, b'././@LongLink', len(target) + 1, b'K') + \
        pad(target + b'\0')
    ext += paxheader(tpl, [record(b'linkpath', target)])
    return tar[:m.hdr] + ext + tar[m.hdr:]


def set_field(f, value):
    def attack(tar, args):
        ms, _ = members(tar)
        m = ms[find(ms, args[0])]
        h = hdrblock(tar, m)
        setfield(h, f, value(field(h, f)))
        checksum(h)
        return replace_header(tar, m, h)
    return attack


def a_prefix(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    h = hdrblock(tar, m)
    if m.ext or b'/' not in field(h, F_NAME).split(b'\0')[0]:
        die('prefix wants a member named in its header, in a directory')
    d, base = m.name.rsplit(b'/', 1)
    setfield(h, F_NAME, base)
    setfield(h, F_PREFIX, d)
    checksum(h)
    return replace_header(tar, m, h)


def a_chksum_space(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    h = hdrblock(tar, m)
    checksum(h, b'%06o  ')
    return replace_header(tar, m, h)


def a_header_pad(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    h = hdrblock(tar, m)
    h[505] = ord('X')
    checksum(h)
    return replace_header(tar, m, h)


def a_data_pad(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    if m.size % BLOCK == 0:
        die('%s has no padding' % args[0])
    at = m.hdr + BLOCK + m.size
    return tar[:at] + b'X' + tar[at + 1:]


def a_trail_zero(tar, args):
    return tar + b'\0' * (2 * BLOCK)


def a_trail_data(tar, args):
    return tar + pad(b'hidden after the end of the archive\n')


def pax_add(rec):
    """MEMBER's pax header gets record REC (made when it has none)."""
    def attack(tar, args):
        ms, _ = members(tar)
        m = ms[find(ms, args[0])]
        for typ, off, size in m.ext:
            if typ == b'x':
                body = tar[off + BLOCK:off + BLOCK + size] + rec
                h = bytearray(tar[off:off + BLOCK])
                setfield(h, F_SIZE, octal(len(body), 12))
                checksum(h)
                return tar[:off] + bytes(h) + pad(body) + \
                    tar[off + BLOCK + padded(size):]
        return tar[:m.hdr] + xheader(tar, ms, m, [rec]) + tar[m.hdr:]
    return attack


def a_pax_needless(tar, args):
    ms, _ = members(tar)
    m = ms[find(ms, args[0])]
    if m.ext:
        die('%s has a pax header already' % args[0])
    return tar[:m.hdr] + xheader(tar, ms, m, [record(b'path', m.name)]) + \
        tar[m.hdr:]


TAR = {
    'none': (lambda tar, args: tar, 0),
    'global-plant': (a_global_plant, 2),
    'global-forge': (a_global_forge, 2),
    'longname-path': (a_longname_path, 2),
    'longlink': (a_longlink, 1),
    'mode': (set_field(F_MODE, lambda v: octal(0o4755, 8)), 1),
    'uid': (set_field(F_UID, lambda v: octal(1000, 8)), 1),
    'gid': (set_field(F_GID, lambda v: octal(1000, 8)), 1),
    'uname': (set_field(F_UNAME, lambda v: b'attacker'), 1),
    'gname': (set_field(F_GNAME, lambda v: b'attacker'), 1),
    'mtime': (set_field(F_MTIME, lambda v: octal(number(v) + 86400, 12)),
              1),
    'devmajor': (set_field(F_MAJOR, lambda v: octal(7, 8)), 1),
    'devminor': (set_field(F_MINOR, lambda v: octal(7, 8)), 1),
    'linkname': (set_field(F_LINK, lambda v: b'bagit.txt'), 1),
    'prefix': (a_prefix, 1),
    'magic': (set_field(F_MAGIC, lambda v: b'ustar  \0'), 1),
    'chksum-space': (a_chksum_space, 1),
    'header-pad': (a_header_pad, 1),
    'data-pad': (a_data_pad, 1),
    'trail-zero': (a_trail_zero, 0),
    'trail-data': (a_trail_data, 0),
    'pax-mtime': (pax_add(record(b'mtime', b'1234567890.5')), 1),
    'pax-uid': (pax_add(record(b'uid', b'1000')), 1),
    'pax-uname': (pax_add(record(b'uname', b'attacker')), 1),
    'pax-comment': (pax_add(record(b'comment', b'not sealed')), 1),
    'pax-atime': (pax_add(record(b'atime', b'1234567890')), 1),
    'pax-xattr': (pax_add(record(b'SCHILY.xattr.user.note', b'planted')),
                  1),
    'pax-needless': (a_pax_needless, 1),
}


# ------------------------------------------------------------ zstd

SKIP_MAGIC = 0x184D2A50
ZSTD_MAGIC = b'\x28\xb5\x2f\xfd'


def zstd(args, data):
    r = subprocess.run(['zstd', '-q'] + args, input=data,
                       stdout=subprocess.PIPE)
    if r.returncode != 0:
        die('zstd %s failed' % ' '.join(args))
    return r.stdout


def compress_piece(piece, extra=()):
    """PIECE as one frame, made from a file so that its header has the
    content size, as custody's frames do."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(piece)
        f.flush()
        # A window of one piece, as the press sets it: one segment.
        return zstd(['-c', '-1', '--zstd=wlog=20'] + list(extra) +
                    [f.name], b'')


def compress(tar):
    return b''.join(compress_piece(tar[i:i + PIECE])
                    for i in range(0, max(len(tar), 1), PIECE))


def frames(raw):
    """The frames of RAW as (offset, length), from zstd's own framing."""
    out = []
    off = 0
    while off < len(raw):
        if raw[off:off + 4] != ZSTD_MAGIC:
            die('not a zstd frame at %d' % off)
        n = frame_length(raw, off)
        out.append((off, n))
        off += n
    return out


def frame_length(raw, off):
    fhd = raw[off + 4]
    single = fhd >> 5 & 1
    p = off + 5 + (0 if single else 1)
    p += [0, 1, 2, 4][fhd & 3]
    fcs = [1 if single else 0, 2, 4, 8][fhd >> 6]
    p += fcs
    while True:
        bh = int.from_bytes(raw[p:p + 3], 'little')
        last, btype, bsize = bh & 1, bh >> 1 & 3, bh >> 3
        p += 3 + (1 if btype == 1 else bsize)
        if last:
            break
    if fhd >> 2 & 1:
        p += 4
    return p - off


def skippable(text):
    return (SKIP_MAGIC + 5).to_bytes(4, 'little') + \
        len(text).to_bytes(4, 'little') + text


def decompress_frame(raw, f):
    return zstd(['-dc'], raw[f[0]:f[0] + f[1]])


def dictionary(data):
    """A zstd dictionary trained on 1 KiB pieces of DATA."""
    with tempfile.TemporaryDirectory() as d:
        names = []
        for i in range(0, len(data), 1024):
            names.append(os.path.join(d, 's%d' % i))
            with open(names[-1], 'wb') as f:
                f.write(data[i:i + 1024])
        out = os.path.join(d, 'dict')
        r = subprocess.run(['zstd', '-q', '--train', '--maxdict=4096', '-o',
                            out] + names, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            die('zstd --train failed')
        with open(out, 'rb') as f:
            return f.read(), out


def zstd_attack(op, raw):
    fs = frames(raw)
    hidden = skippable(b'hidden in a skippable frame\n')
    if op == 'zstd-skip-first':
        return hidden + raw
    if op == 'zstd-skip-middle':
        if len(fs) < 2:
            die('zstd-skip-middle wants a bundle of two frames or more')
        at = fs[1][0]
        return raw[:at] + hidden + raw[at:]
    if op == 'zstd-skip-last':
        return raw + hidden
    if op == 'zstd-trailing':
        return raw + b'trailing garbage after the last frame\n'
    first = decompress_frame(raw, fs[0])
    rest = raw[fs[0][1]:]
    if op == 'zstd-nocheck':
        return compress_piece(first, ['--no-check']) + rest
    if op == 'zstd-dict':
        with tempfile.TemporaryDirectory() as d:
            data, _ = dictionary(first)
            path = os.path.join(d, 'dict')
            with open(path, 'wb') as f:
                f.write(data)
            framed = compress_piece(first, ['-D', path])
        if not framed[4] & 3:
            die('zstd wrote no dictionary ID')
        return framed + rest
    die('unknown attack %s' % op)


# ------------------------------------------------------------ main

def main():
    if sys.argv[1:] == ['list']:
        print(' '.join(TAR_ATTACKS))
        print(' '.join(ZSTD_ATTACKS))
        return
    if len(sys.argv) < 4:
        die('usage: hostile_tar.py ATTACK IN OUT [ARGS] | list')
    op, src, dst, args = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4:]
    with open(src, 'rb') as f:
        raw = f.read()
    if op in ZSTD_ATTACKS:
        out = zstd_attack(op, raw)
    elif op in TAR:
        fn, nargs = TAR[op]
        if len(args) != nargs:
            die('%s wants %d arguments' % (op, nargs))
        z = src.endswith('.zst')
        tar = zstd(['-dc'], raw) if z else raw
        tar = fn(tar, args)
        out = compress(tar) if z else tar
    else:
        die('unknown attack %s' % op)
    with open(dst, 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    main()
