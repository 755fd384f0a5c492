#!/usr/bin/env python3
"""gen-tree.py SEED DIR [COUNT]: make a small random tree under DIR (which
must not exist), the same for the same SEED; with COUNT, make COUNT trees,
DIR1 from SEED+1, DIR2 from SEED+2, and so on.

The tree has random depth and names with spaces, UTF-8 (NFC and NFD),
bytes that are not UTF-8, control characters, '%', '^' and '|'; empty
files, files from a few bytes to a few hundred KiB (random, repetitive or
zero), symbolic links (to files, to nothing, with odd targets), hard links,
FIFOs, sockets, empty directories and, now and then, a path longer than the
stored-name limit.  It prints the number of entries made, one line a tree.
"""
import os
import random
import socket
import sys

WORDS = ['a', 'b.txt', 'log', 'x y', 'data.bin', 'README', '.hidden', '-dash',
         'résumé', 're\u0301sume\u0301', 'na\u00efve', 'nai\u0308ve',
         '日本語', 'Ελληνικά', '🚀 launch', 'tab\there', 'new\nline',
         'cr\rhere', '100%', 'caret^', 'pipe|bar', 'back\\slash', "quo'te",
         'dq"uote', 'star*', 'q?', '~tilde', 'A', 'space ', ' lead']
BAD = [b'\xff', b'\xfe\xfd', b'\xc3', b'\xe2\x82', b'\xed\xa0\x80', b'\x80',
       b'\x01', b'\x7f', b'\x1b[0m']


def name(r):
    """A file name as bytes: 1 to 255 bytes, no '/' and no NUL."""
    k = r.random()
    if k < 0.55:
        n = r.choice(WORDS).encode()
    elif k < 0.75:
        n = (r.choice(WORDS) + r.choice(['', '.', '-', ' ']) +
             r.choice(WORDS)).encode()
    elif k < 0.9:
        n = r.choice(WORDS).encode() + r.choice(BAD) + b'x'
    elif k < 0.97:
        n = bytes(r.choice(b'abcdefghij._- ') for _ in range(r.randint(1, 40)))
    else:
        n = (r.choice(['L', 'é', '日']) * 255).encode()[:r.randint(200, 255)]
        while True:     # do not cut a UTF-8 sequence: that is another test
            try:
                n.decode()
                break
            except UnicodeDecodeError:
                n = n[:-1]
    n = n.replace(b'/', b'_').replace(b'\0', b'_')
    return n if n not in (b'.', b'..') else b'dots'


def content(r):
    k = r.random()
    if k < 0.2:
        return b''
    size = r.choice([r.randint(1, 100), r.randint(100, 4096),
                     r.randint(4096, 65536), r.randint(65536, 300 * 1024)])
    if k < 0.6:
        return r.randbytes(size)
    if k < 0.85:
        unit = r.randbytes(r.randint(1, 64))
        return (unit * (size // len(unit) + 1))[:size]
    return bytes(size)


def fresh(r, d, taken):
    while True:
        n = name(r)
        if n not in taken:
            taken.add(n)
            return os.path.join(d, n)


def deep(r, root):
    """A path longer than 2048 bytes: the collector stores it hashed."""
    d = root
    for i in range(9):
        d = os.path.join(d, b'%d' % i + b'd' * 249)
        os.mkdir(d)
    with open(os.path.join(d, b'deep.txt'), 'wb') as f:
        f.write(r.randbytes(r.randint(0, 2000)))
    return 10


def make(r, root):
    os.mkdir(root)
    dirs, files, made = [root], [], 0
    taken = {}
    for _ in range(r.randint(1, 16)):
        d = r.choice(dirs)
        t = taken.setdefault(d, set())
        p = fresh(r, d, t)
        k = r.random()
        if k < 0.15 and len(dirs) < 8 and p.count(b'/') < 12:
            os.mkdir(p)
            dirs.append(p)
        elif k < 0.7:
            with open(p, 'wb') as f:
                f.write(content(r))
            files.append(p)
        elif k < 0.8:
            target = r.choice([b'a', b'../nowhere', b'/etc/passwd',
                               b'odd\xff\ntarget', b'.'] +
                              [os.path.basename(f) for f in files[-3:]])
            os.symlink(target, p)
        elif k < 0.87 and files:
            os.link(r.choice(files), p)
        elif k < 0.95:
            os.mkfifo(p)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            here = os.getcwd()
            os.chdir(d)     # a socket path is at most 107 bytes
            try:
                s.bind(b'sock%d' % r.randint(0, 99))
            except OSError:
                pass
            os.chdir(here)
            s.close()
        made += 1
    if r.random() < 0.05:
        made += deep(r, root)
    return made


def main():
    seed, root = int(sys.argv[1]), os.fsencode(sys.argv[2])
    if len(sys.argv) == 3:
        print(make(random.Random(seed), root))
        return
    for i in range(1, int(sys.argv[3]) + 1):
        print(make(random.Random(seed + i), root + b'%d' % i))


main()
