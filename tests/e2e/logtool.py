#!/usr/bin/env python3
"""logtool.py OP LOG [ARGS]: read or damage a custody log (BUNDLE.custody)
without custody's code, from its documented format alone (custody(1), THE
CUSTODY LOG).  Events are numbered from 0, as their "seq".

  chain LOG                  check the hash chain and the sequence as an
                             independent verifier would; print the head
  event LOG N                the signed bytes of event N (the "event" text)
  minisig LOG N              event N's minisign signature file
  pub LOG N                  a minisign public key file for event N's key
  field LOG N KEY            the value of KEY in event N
  token LOG N J              token J of event N, as DER bytes
  edit LOG N OLD NEW         replace OLD by NEW in event N's text, keeping
                             the line valid JSON (the signature now fails)
  drop LOG N                 remove line N
  swap LOG N M               exchange lines N and M
  resign LOG N KEY PUB [ID] [FIELD=JSON...]
                             set FIELDs of event N (JSON values), make it
                             event N of key PUB and sign it again with KEY
                             (a custody secret key, PEM): a valid event that
                             says what the test wants (for the last line:
                             the next line's "prev" would no longer chain).
                             With ID (16 hex digits, as printed), the event
                             names key ID ID instead of PUB's own in its
                             "key_id", its "public_key" blob and its
                             signature: a key dressed as another
"""
import base64
import hashlib
import json
import subprocess
import sys
import tempfile


def lines(path):
    with open(path, 'rb') as f:
        data = f.read()
    assert data.endswith(b'\n'), 'the log does not end with a newline'
    return data[:-1].split(b'\n')


def parsed(line):
    outer = json.loads(line)
    assert sorted(outer) == ['event', 'minisig'], sorted(outer)
    return outer, json.loads(outer['event'])


def chain(path):
    prev = '0' * 64
    for i, line in enumerate(lines(path)):
        _, ev = parsed(line)
        assert ev['seq'] == i, 'event %d: seq %r' % (i, ev['seq'])
        assert ev['prev'] == prev, 'event %d: prev does not chain' % i
        prev = hashlib.sha256(line).hexdigest()
    print(prev)


def out(data):
    sys.stdout.buffer.write(data if isinstance(data, bytes)
                            else data.encode())


def write(path, ls):
    with open(path, 'wb') as f:
        f.write(b'\n'.join(ls) + b'\n')


def ed25519(key, data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', key,
                               '-rawin', '-in', f.name],
                              stdout=subprocess.PIPE, check=True).stdout


def resign(ev, key, pub, args):
    """The line of event EV with the FIELD=JSON settings of ARGS, signed by
    KEY as PUB's key, or, when ARGS starts with a key ID, as that ID's."""
    publine = open(pub).read().splitlines()[1]
    raw = base64.b64decode(publine)
    keyid = raw[2:10]
    if args and '=' not in args[0]:
        keyid = bytes.fromhex(args.pop(0))[::-1]
    for s in args:
        k, v = s.split('=', 1)
        ev[k] = json.loads(v)
    ev['key_id'] = keyid[::-1].hex().upper()
    ev['public_key'] = base64.b64encode(raw[:2] + keyid + raw[10:]).decode()
    text = json.dumps(ev, separators=(',', ':'), ensure_ascii=False)
    comment = 'custody event seq:%d type:%s time:%s' % (
        ev['seq'], ev['type'], ev['time'])
    sig = ed25519(key, hashlib.blake2b(text.encode(), digest_size=64).digest())
    glob = ed25519(key, sig + comment.encode())
    minisig = ('untrusted comment: custody event signature\n' +
               base64.b64encode(b'ED' + keyid + sig).decode() + '\n' +
               'trusted comment: ' + comment + '\n' +
               base64.b64encode(glob).decode() + '\n')
    return json.dumps({'event': text, 'minisig': minisig},
                      separators=(',', ':'), ensure_ascii=False).encode()


def main():
    op, path = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    if op == 'chain':
        return chain(path)
    ls = lines(path)
    n = int(args[0])
    outer, ev = parsed(ls[n])
    if op == 'event':
        out(outer['event'])
    elif op == 'minisig':
        out(outer['minisig'])
    elif op == 'pub':
        out('untrusted comment: key of event %d\n%s\n' %
            (n, ev['public_key']))
    elif op == 'field':
        v = ev[args[1]]
        out(v if isinstance(v, str) else json.dumps(v))
    elif op == 'token':
        out(base64.b64decode(ev['tokens'][int(args[1])]['token']))
    elif op == 'edit':
        assert args[1] in outer['event'], 'no such text in the event'
        outer['event'] = outer['event'].replace(args[1], args[2], 1)
        ls[n] = json.dumps(outer, separators=(',', ':'),
                           ensure_ascii=False).encode()
        write(path, ls)
    elif op == 'resign':
        ls[n] = resign(ev, args[1], args[2], args[3:])
        write(path, ls)
    elif op == 'drop':
        del ls[n]
        write(path, ls)
    elif op == 'swap':
        m = int(args[1])
        ls[n], ls[m] = ls[m], ls[n]
        write(path, ls)
    else:
        sys.exit('logtool.py: unknown operation ' + op)


if __name__ == '__main__':
    main()
