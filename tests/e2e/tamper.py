#!/usr/bin/env python3
"""tamper.py OP IN OUT [ARGS]: make a tampered copy of a real bundle.

The copy keeps every other member, its order and its bytes; only the named
change is made, so that a verifier that notices it noticed that change.

  flip IN OUT MEMBER [OFFSET]     flip the bits of one byte of MEMBER
  remove IN OUT MEMBER            drop MEMBER
  add IN OUT NAME TEXT [BEFORE]   add a member NAME (relative to the bag
                                  unless it starts with '/' or '..'), before
                                  member BEFORE or at the end
  replace IN OUT MEMBER FILE      MEMBER gets FILE's bytes
  swap IN OUT MEMBER OTHER        MEMBER gets the bytes of the same member
                                  of bundle OTHER
  forge IN OUT MEMBER TEXT        MEMBER (under data/) gets TEXT, and every
                                  manifest and the tag manifest are
                                  recomputed to match; only the signature
                                  is left as it was
  edit IN OUT MEMBER OLD NEW      replace bytes OLD by NEW inside MEMBER
"""
import hashlib
import io
import sys
import tarfile


def load(path):
    with tarfile.open(path, 'r:*') as t:
        return [(m, t.extractfile(m).read() if m.isfile() else b'')
                for m in t.getmembers()]


def bag(members):
    return members[0][0].name.split('/')[0]


def save(path, members):
    mode = 'w:zst' if path.endswith('.zst') else 'w'
    if mode == 'w:zst':
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode='w', format=tarfile.PAX_FORMAT) as t:
            for m, data in members:
                t.addfile(m, io.BytesIO(data))
        import subprocess
        out = subprocess.run(['zstd', '-q', '-c'], input=raw.getvalue(),
                             stdout=subprocess.PIPE, check=True).stdout
        open(path, 'wb').write(out)
        return
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data))


def find(members, rel):
    name = bag(members) + '/' + rel
    for i, (m, _) in enumerate(members):
        if m.name == name:
            return i
    sys.exit('tamper.py: no member ' + name)


def setdata(members, i, data):
    m = members[i][0]
    m.size = len(data)
    members[i] = (m, data)


def rehash(members, rel):
    """Recompute the lines naming REL in every payload or tag manifest."""
    data = members[find(members, rel)][1]
    for i, (m, body) in enumerate(members):
        short = m.name.split('/', 1)[1]
        if short.startswith('manifest-') or short.startswith('tagmanifest-'):
            alg = short.split('-', 1)[1].rsplit('.', 1)[0]
            lines = []
            for line in body.decode().splitlines():
                digest, path = line.split('  ', 1)
                if path == rel:
                    digest = hashlib.new(alg, data).hexdigest()
                lines.append(digest + '  ' + path)
            setdata(members, i, ('\n'.join(lines) + '\n').encode())


def main():
    op, src, dst = sys.argv[1:4]
    args = sys.argv[4:]
    members = load(src)
    if op == 'flip':
        i = find(members, args[0])
        data = bytearray(members[i][1])
        off = int(args[1]) if len(args) > 1 else len(data) // 2
        data[off] ^= 0xff
        setdata(members, i, bytes(data))
    elif op == 'remove':
        del members[find(members, args[0])]
    elif op == 'add':
        name = args[0]
        if not (name.startswith('/') or name.startswith('..')):
            name = bag(members) + '/' + name
        m = tarfile.TarInfo(name)
        m.size = len(args[1].encode())
        m.mtime = members[0][0].mtime
        at = find(members, args[2]) if len(args) > 2 else len(members)
        members.insert(at, (m, args[1].encode()))
    elif op == 'replace':
        setdata(members, find(members, args[0]), open(args[1], 'rb').read())
    elif op == 'swap':
        other = load(args[1])
        setdata(members, find(members, args[0]),
                other[find(other, args[0])][1])
    elif op == 'forge':
        setdata(members, find(members, args[0]), args[1].encode())
        manifests = [m.name.split('/', 1)[1] for m, _ in members
                     if m.name.split('/', 1)[1].startswith('manifest-')]
        rehash(members, args[0])
        for man in manifests:
            rehash(members, man)
    elif op == 'edit':
        i = find(members, args[0])
        data = members[i][1]
        if args[1].encode() not in data:
            sys.exit('tamper.py: %r not in %s' % (args[1], args[0]))
        setdata(members, i, data.replace(args[1].encode(), args[2].encode(), 1))
    else:
        sys.exit(__doc__)
    save(dst, members)


main()
