#!/usr/bin/env python3
"""tamper.py OP IN OUT [ARGS] [--sign KEY PUB [--acq]]: make a tampered copy
of a real bundle.

The copy keeps every other member, its order and its bytes; only the named
change is made, so that a verifier that notices it noticed that change.  A
name ending in .zst is read and written through zstd.  MEMBER names are
relative to the bag's top directory.

Member operations (the archive is rewritten as a pax tar):
  flip IN OUT MEMBER [OFFSET]     flip the bits of one byte of MEMBER
                                  (OFFSET may be negative: from the end)
  remove IN OUT MEMBER            drop MEMBER
  add IN OUT NAME TEXT [BEFORE]   add a member NAME (relative to the bag
                                  unless it starts with '/' or '..'; taken
                                  as it is after a leading '='), before
                                  member BEFORE or at the end
  replace IN OUT MEMBER FILE      MEMBER gets FILE's bytes
  append IN OUT MEMBER FILE       FILE's bytes are added at MEMBER's end
  swap IN OUT MEMBER OTHER        MEMBER gets the bytes of the same member
                                  of bundle OTHER
  forge IN OUT MEMBER TEXT        MEMBER (under data/) gets TEXT, and every
                                  manifest and the tag manifest are
                                  recomputed to match; only the signature
                                  is left as it was
  edit IN OUT MEMBER OLD NEW      replace bytes OLD by NEW inside MEMBER
                                  (\\xNN escapes allowed)
  rename IN OUT MEMBER NAME       MEMBER is renamed NAME (as for add)
  dup IN OUT MEMBER               a second copy of MEMBER right after it
  move IN OUT MEMBER BEFORE       MEMBER moves to just before BEFORE
  exchange IN OUT MEMBER OTHER    MEMBER and OTHER change places
  special IN OUT MEMBER KIND      MEMBER becomes a symlink, hardlink (to
                                  bagit.txt), chr, blk, fifo or dir
  size IN OUT MEMBER N            MEMBER's header claims N bytes, in the
                                  canonical form (its data is unchanged)
  pax IN OUT MEMBER KEY=VALUE...  MEMBER's pax header gets these records
                                  (VALUE may hold \\xNN escapes)
  identity IN OUT                 rewrite without any change
  digest IN MEMBER ALG            print the hex digest of MEMBER's bytes

Byte operations (the tar stream's own bytes are kept; for .zst, the
decompressed stream is changed and compressed again):
  cut IN OUT WHERE                cut the tar stream at WHERE: head:MEMBER
                                  (inside its header), data:MEMBER (right
                                  after its header), mid:MEMBER (inside its
                                  data), pad:MEMBER (inside its padding),
                                  end (before the end-of-archive marker),
                                  endmid (inside it)
  trail IN OUT TEXT               TEXT after the end of the archive
  concat IN OUT OTHER             the tar stream of OTHER after this one's
  rawcat IN OUT FILE              FILE's bytes after IN's bytes, as they
                                  are (after the zstd frame for .zst)
  rawcut IN OUT N                 keep the first N bytes of IN as it is

zstd frame operations (a compressed bundle is a series of whole frames,
each of which decodes alone; the frames are kept byte for byte):
  frames IN                       print how many frames IN has
  framedrop IN OUT K              leave out frame K (from 0)
  frameswap IN OUT K              frames K and K+1 change places

--sign KEY PUB recomputes the tag manifest of the result and signs it with
KEY (a custody secret key) in minisign's format, naming PUB's key ID, and
writes and signs the closing statement again over the members as they are;
with --acq, acquisition.json first records PUB as the seal key.  --rehash
recomputes every payload manifest and Payload-Oxum before that.
"""
import base64
import copy
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon  # noqa: E402

ENC = dict(encoding='utf-8', errors='surrogateescape')
# Members given pax records by the pax operation: written by tarfile.
RAW_PAX = set()
# Members whose header claims another size (the size operation).
CLAIM = {}


def unz(raw):
    if raw[:4] != b'\x28\xb5\x2f\xfd':
        return raw
    return subprocess.run(['zstd', '-q', '-d', '-c'], input=raw,
                          stdout=subprocess.PIPE, check=True).stdout


def z(raw):
    return canon.frames(raw)


def readraw(path):
    with open(path, 'rb') as f:
        return f.read()


def writeraw(path, raw, compress=None):
    if compress is None:
        compress = path.endswith('.zst')
    with open(path, 'wb') as f:
        f.write(z(raw) if compress else raw)


def load(path):
    with tarfile.open(fileobj=io.BytesIO(unz(readraw(path))), mode='r:',
                      **ENC) as t:
        return [(m, t.extractfile(m).read() if m.isfile() else b'')
                for m in t.getmembers()]


def bag(members):
    return members[0][0].name.split('/')[0]


def save(path, members):
    """Write MEMBERS as collect would (custody-bundle(5)), each with the
    first member's mtime; a member that is not a plain file, or carries
    pax records of its own, is written by tarfile as it is."""
    out = []
    mtime = int(members[0][0].mtime) if members else 0
    for m, data in members:
        if m.isfile() and id(m) in CLAIM:
            out.append(canon.header(m.name.encode(**ENC), CLAIM[id(m)], mtime)
                       + data + canon.pad(len(data)))
        elif m.isfile() and id(m) not in RAW_PAX:
            out.append(canon.member(m.name.encode(**ENC), data, mtime))
        else:
            out.append(m.tobuf(tarfile.PAX_FORMAT, **ENC))
            out.append(data + canon.pad(len(data)) if m.isfile() else b'')
    out.append(canon.end())
    writeraw(path, b''.join(out))


def find(members, rel):
    name = bag(members) + '/' + rel
    for i, (m, _) in enumerate(members):
        if m.name == name:
            return i
    sys.exit('tamper.py: no member ' + name)


def fullname(members, name):
    if name.startswith('='):
        return name[1:]
    if name.startswith('/') or name.startswith('..'):
        return name
    return bag(members) + '/' + name


def unescape(s):
    return s.encode('utf-8', 'surrogateescape').decode(
        'unicode_escape').encode('latin-1')


def setdata(members, i, data):
    m = members[i][0]
    m.size = len(data)
    members[i] = (m, data)


def rel(m):
    return m.name.split('/', 1)[1] if '/' in m.name else m.name


def rehash(members, name):
    """Recompute the lines naming NAME in every payload or tag manifest."""
    data = members[find(members, name)][1]
    for i, (m, body) in enumerate(members):
        short = rel(m)
        if short.startswith('manifest-') or short.startswith('tagmanifest-'):
            alg = short.split('-', 1)[1].rsplit('.', 1)[0]
            lines = []
            for line in body.decode().splitlines():
                digest, path = line.split('  ', 1)
                if path == name:
                    digest = hashlib.new(alg, data).hexdigest()
                lines.append(digest + '  ' + path)
            setdata(members, i, ('\n'.join(lines) + '\n').encode())


def manifests(members):
    """Rewrite every payload manifest and Payload-Oxum from the payload."""
    payload = [(rel(m), d) for m, d in members
               if m.isfile() and rel(m).startswith('data/')]
    for i, (m, _) in enumerate(members):
        short = rel(m)
        if short.startswith('manifest-'):
            alg = short.split('-', 1)[1].rsplit('.', 1)[0]
            text = ''.join(hashlib.new(alg, d).hexdigest() + '  ' + n + '\n'
                           for n, d in payload)
            setdata(members, i, text.encode('utf-8', 'surrogateescape'))
    i = find(members, 'bag-info.txt')
    oxum = '%d.%d' % (sum(len(d) for _, d in payload), len(payload))
    lines = [('Payload-Oxum: ' + oxum) if line.startswith('Payload-Oxum: ')
             else line for line in members[i][1].decode().splitlines()]
    setdata(members, i, ('\n'.join(lines) + '\n').encode())


def pubkey(pub):
    """(key ID as custody prints it, base64 line) of a minisign key file."""
    line = open(pub).read().splitlines()[1]
    return base64.b64decode(line)[2:10][::-1].hex().upper(), line


def ed25519(key, data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', key,
                               '-rawin', '-in', f.name],
                              stdout=subprocess.PIPE, check=True).stdout


def sign(members, key, pub, acq):
    kid, line = pubkey(pub)
    if acq:
        i = find(members, 'metadata/acquisition.json')
        doc = json.loads(members[i][1])
        doc['seal']['key_id'] = kid
        doc['seal']['public_key'] = line
        setdata(members, i, json.dumps(doc, indent=2).encode())
    tags = [(rel(m), d) for m, d in members if m.isfile() and
            not rel(m).startswith(('data/', 'signatures/', 'timestamps/',
                                   'tagmanifest-'))]
    text = ''.join(hashlib.sha512(d).hexdigest() + '  ' + n + '\n'
                   for n, d in tags).encode('utf-8', 'surrogateescape')
    setdata(members, find(members, 'tagmanifest-sha512.txt'), text)
    resign(members, 'signatures/tagmanifest-sha512.txt.minisig', text, key,
           kid)
    close(members, key, kid)


def resign(members, name, text, key, kid):
    """Member NAME becomes a minisign signature of TEXT by KEY, keeping
    its untrusted comment (custody-bundle(5) fixes it) and its trusted
    comment but for the key ID."""
    i = find(members, name)
    old = members[i][1].decode().splitlines()
    comment = old[2].split(': ', 1)[1]
    comment = ' '.join('key:' + kid if w.startswith('key:') else w
                       for w in comment.split(' '))
    keyid = bytes.fromhex(kid)[::-1]
    sig = ed25519(key, hashlib.blake2b(text, digest_size=64).digest())
    glob = ed25519(key, sig + comment.encode())
    out = (old[0] + '\n' +
           base64.b64encode(b'ED' + keyid + sig).decode() + '\n' +
           'trusted comment: ' + comment + '\n' +
           base64.b64encode(glob).decode() + '\n')
    setdata(members, i, out.encode())


CLOSED = ['signatures/tagmanifest-sha512.txt.minisig',
          'signatures/tagmanifest-sha512.txt.p7s',
          'timestamps/tagmanifest-sha512.txt.minisig.tsr',
          'timestamps/tagmanifest-sha512.txt.p7s.tsr']


def close(members, key, kid):
    """Write the closing statement again over the members as they are
    now (lib/format/closing.c), and sign it with KEY."""
    held = {rel(m): d for m, d in members}
    text = ('# custody-closing/1: each member after tagmanifest-sha512.txt '
            'and before this statement\n')
    for n in CLOSED:
        text += (hashlib.sha512(held[n]).hexdigest() + '  ' + n if n in held
                 else '# none: ' + n) + '\n'
    setdata(members, find(members, 'signatures/closing.txt'), text.encode())
    resign(members, 'signatures/closing.txt.minisig', text.encode(), key,
           kid)


def special(members, i, kind):
    m = members[i][0]
    n = tarfile.TarInfo(m.name)
    n.mtime = m.mtime
    n.mode = 0o644
    n.type = {'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
              'chr': tarfile.CHRTYPE, 'blk': tarfile.BLKTYPE,
              'fifo': tarfile.FIFOTYPE, 'dir': tarfile.DIRTYPE}[kind]
    if kind == 'symlink':
        n.linkname = '/etc/passwd'
    elif kind == 'hardlink':
        n.linkname = bag(members) + '/bagit.txt'
    elif kind in ('chr', 'blk'):
        n.devmajor, n.devminor = 1, 3
    elif kind == 'dir':
        n.mode = 0o755
    members[i] = (n, b'')


def boundaries(tar):
    """Offsets of each member: (name, header, data, size)."""
    with tarfile.open(fileobj=io.BytesIO(tar), mode='r:', **ENC) as t:
        return [(m.name, m.offset, m.offset_data, m.size)
                for m in t.getmembers()]


def cut_at(tar, where):
    spots = boundaries(tar)
    last = spots[-1]
    end = last[2] + (last[3] + 511) // 512 * 512
    if where == 'end':
        return end
    if where == 'endmid':
        return end + 512
    kind, member = where.split(':', 1)
    for name, head, data, size in spots:
        if name.split('/', 1)[1] == member:
            if kind == 'pad' and size % 512 == 0:
                sys.exit('tamper.py: %s has no padding' % member)
            return {'head': head + 100, 'data': data,
                    'mid': data + size // 2, 'pad': data + size + 1}[kind]
    sys.exit('tamper.py: no member ' + member)


def frames(raw):
    """The (start, end) of every zstd frame of RAW (RFC 8878, 3.1.1)."""
    spans, i = [], 0
    while i < len(raw):
        if raw[i:i + 4] != b'\x28\xb5\x2f\xfd':
            sys.exit('tamper.py: no zstd frame at byte %d' % i)
        fhd = raw[i + 4]
        single = fhd >> 5 & 1
        j = i + 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3]
        j += (single, 2, 4, 8)[fhd >> 6]
        last = 0
        while not last:
            head = int.from_bytes(raw[j:j + 3], 'little')
            last, kind, size = head & 1, head >> 1 & 3, head >> 3
            j += 3 + (1 if kind == 1 else size)
        j += 4 if fhd >> 2 & 1 else 0
        spans.append((i, j))
        i = j
    return spans


def frameop(op, src, dst, args):
    raw = readraw(src)
    spans = frames(raw)
    if op == 'frames':
        print(len(spans))
        return
    parts = [raw[a:b] for a, b in spans]
    k = int(args[0])
    if op == 'framedrop':
        del parts[k]
    elif op == 'frameswap':
        parts[k], parts[k + 1] = parts[k + 1], parts[k]
    writeraw(dst, b''.join(parts), False)


def byteop(op, src, dst, args):
    raw = readraw(src)
    tar = unz(raw)
    if op == 'cut':
        writeraw(dst, tar[:cut_at(tar, args[0])], raw is not tar)
    elif op == 'trail':
        writeraw(dst, tar + unescape(args[0]), raw is not tar)
    elif op == 'concat':
        writeraw(dst, tar + unz(readraw(args[0])), raw is not tar)
    elif op == 'rawcat':
        writeraw(dst, raw + readraw(args[0]), False)
    elif op == 'rawcut':
        writeraw(dst, raw[:int(args[0])], False)


def memberop(op, members, args):
    if op == 'flip':
        i = find(members, args[0])
        data = bytearray(members[i][1])
        off = int(args[1]) if len(args) > 1 else len(data) // 2
        data[off] ^= 0xff
        setdata(members, i, bytes(data))
    elif op == 'remove':
        del members[find(members, args[0])]
    elif op == 'add':
        m = tarfile.TarInfo(fullname(members, args[0]))
        m.size = len(args[1].encode())
        m.mtime = members[0][0].mtime
        at = find(members, args[2]) if len(args) > 2 else len(members)
        members.insert(at, (m, args[1].encode()))
    elif op == 'replace':
        setdata(members, find(members, args[0]), readraw(args[1]))
    elif op == 'append':
        i = find(members, args[0])
        setdata(members, i, members[i][1] + readraw(args[1]))
    elif op == 'swap':
        other = load(args[1])
        setdata(members, find(members, args[0]),
                other[find(other, args[0])][1])
    elif op == 'forge':
        setdata(members, find(members, args[0]), args[1].encode())
        mans = [rel(m) for m, _ in members if rel(m).startswith('manifest-')]
        rehash(members, args[0])
        for man in mans:
            rehash(members, man)
    elif op == 'edit':
        i = find(members, args[0])
        old, new = unescape(args[1]), unescape(args[2])
        if old not in members[i][1]:
            sys.exit('tamper.py: %r not in %s' % (old, args[0]))
        setdata(members, i, members[i][1].replace(old, new, 1))
    elif op == 'rename':
        m = members[find(members, args[0])][0]
        m.pax_headers.pop('path', None)
        m.name = fullname(members, args[1])
    elif op == 'dup':
        i = find(members, args[0])
        members.insert(i + 1, (copy.copy(members[i][0]), members[i][1]))
    elif op == 'move':
        item = members.pop(find(members, args[0]))
        members.insert(find(members, args[1]), item)
    elif op == 'exchange':
        i, j = find(members, args[0]), find(members, args[1])
        members[i], members[j] = members[j], members[i]
    elif op == 'special':
        special(members, find(members, args[0]), args[1])
    elif op == 'size':
        CLAIM[id(members[find(members, args[0])][0])] = int(args[1])
    elif op == 'pax':
        m = members[find(members, args[0])][0]
        for kv in args[1:]:
            k, v = kv.split('=', 1)
            m.pax_headers[k] = unescape(v).decode('utf-8', 'surrogateescape')
        RAW_PAX.add(id(m))
    elif op != 'identity':
        sys.exit(__doc__)


def reset():
    """Forget the claims and raw pax headers of a call (pyserve.py)."""
    RAW_PAX.clear()
    CLAIM.clear()


def main():
    argv = sys.argv[1:]
    signing = None
    if '--sign' in argv:
        at = argv.index('--sign')
        signing = argv[at + 1:at + 3]
        del argv[at:at + 3]
    acq = '--acq' in argv
    redo = '--rehash' in argv
    argv = [a for a in argv if a not in ('--acq', '--rehash')]
    if len(argv) == 2 and argv[0] == 'frames':
        frameop('frames', argv[1], None, [])
        return
    if len(argv) < 3:
        sys.exit(__doc__)
    if argv[0] == 'digest':
        members = load(argv[1])
        print(hashlib.new(argv[3], members[find(members, argv[2])][1])
              .hexdigest())
        return
    op, src, dst = argv[:3]
    args = argv[3:]
    if op in ('framedrop', 'frameswap'):
        frameop(op, src, dst, args)
        return
    if op in ('cut', 'trail', 'concat', 'rawcat', 'rawcut'):
        byteop(op, src, dst, args)
        return
    members = load(src)
    memberop(op, members, args)
    if redo:
        manifests(members)
    if signing:
        sign(members, signing[0], signing[1], acq)
    save(dst, members)


if __name__ == '__main__':
    main()
