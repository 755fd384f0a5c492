#!/usr/bin/env python3
"""tools/magic-gate.py MAGIC OUTPUT: write, as C, the bytes custody.magic's
top-level tests can start with, offset by offset (cust_magic_gates).

A buffer whose byte at each listed offset is outside that offset's set can
match no entry of the database, so filetype.c skips libmagic's walk through
it for that buffer.  Only the first byte of each test is used, which makes
the gate a necessary condition and never a sufficient one: a buffer that
passes still goes through the whole database.  A test this script cannot
read (an indirect offset, a relation, a string flag it does not know)
stops the build rather than let the gate be wrong."""
import re
import sys

ESCAPES = {'n': 0x0a, 'r': 0x0d, 't': 0x09, 'b': 0x08, 'f': 0x0c,
           'v': 0x0b, 'a': 0x07}
WIDTH = {'byte': 1, 'short': 2, 'long': 4, 'quad': 8}


def fail(line_no, why):
    sys.exit('%s:%d: %s' % (sys.argv[1], line_no, why))


def first_byte(text, line_no):
    """The first byte a magic(5) string value stands for."""
    if not text:
        fail(line_no, 'empty string value')
    if text[0] != '\\':
        return ord(text[0])
    if len(text) < 2:
        fail(line_no, 'string value ends in a backslash')
    c = text[1]
    if c in '01234567':
        return int(re.match(r'[0-7]{1,3}', text[1:]).group(0), 8) & 0xff
    if c == 'x':
        digits = re.match(r'[0-9a-fA-F]{1,2}', text[2:])
        if digits is None:
            fail(line_no, 'bad \\x escape')
        return int(digits.group(0), 16)
    return ESCAPES.get(c, ord(c))


def number(text, line_no):
    try:
        return int(text, 0) if not re.fullmatch(r'0[0-7]+', text) \
            else int(text, 8)
    except ValueError:
        fail(line_no, 'cannot read the number %r' % text)


def equal_to(value, line_no):
    """The value of an equality test; any other relation stops the build."""
    if value[:1] in ('<', '>', '!', '&', '^', '~') or value == 'x':
        fail(line_no, 'a relation (%s) at top level' % value)
    return value[1:] if value[:1] == '=' else value


def string_bytes(kind, value, line_no):
    """Bytes a string test's value may start with."""
    flags = kind.partition('/')[2]
    b = first_byte(equal_to(value, line_no), line_no)
    if b == 0:
        # libmagic compares a string beyond the buffer's end with zeros.
        fail(line_no, 'a string starting with NUL at top level')
    out = {b}
    for f in flags:
        if f == 'c' and ord('a') <= b <= ord('z'):
            out.add(b - 32)
        elif f == 'C' and ord('A') <= b <= ord('Z'):
            out.add(b + 32)
        elif f not in 'cC':
            fail(line_no, 'string flag /%s is not handled' % f)
    return out


def numeric_bytes(kind, value, line_no):
    """Bytes an equality test of a number may start with."""
    m = re.fullmatch(r'u?(be|le)?(byte|short|long|quad)(?:&(\S+))?', kind)
    if m is None:
        fail(line_no, 'type %r is not handled' % kind)
    order, width, mask = m.group(1), WIDTH[m.group(2)], m.group(3)
    if width > 1 and order is None:
        fail(line_no, 'native byte order is not handled')
    v = number(equal_to(value, line_no), line_no)
    k = number(mask, line_no) if mask else (1 << 8 * width) - 1
    shift = 8 * (width - 1) if order == 'be' else 0
    want, keep = (v >> shift) & 0xff, (k >> shift) & 0xff
    if want & ~keep:
        return set()			# this test can never match
    return {b for b in range(256) if b & keep == want}


def text_test(kind):
    """Would libmagic run this line in its text pass (TEXTTEST)?"""
    base, _, flags = kind.partition('/')
    return base in ('search', 'regex') or 't' in flags


def gates(path):
    sets = {}
    for line_no, line in enumerate(open(path, encoding='ascii'), 1):
        line = line.rstrip('\n')
        if not line or line[0] == '#' or line.startswith('!:'):
            continue
        # Fields are split at whitespace not escaped by a backslash.
        fields = re.findall(r'(?:\\.|\S)+', line.lstrip('>'))
        if len(fields) >= 2 and text_test(fields[1]):
            # The gate stands in for the binary pass only.
            fail(line_no, 'a text test (%s) is not handled' % fields[1])
        if line[0] == '>':
            continue
        if len(fields) < 3:
            fail(line_no, 'fewer than three fields')
        offset, kind, value = fields[:3]
        if not re.fullmatch(r'0x[0-9a-fA-F]+|\d+', offset):
            fail(line_no, 'offset %r is not handled' % offset)
        off = int(offset, 0)
        if kind.startswith('string'):
            got = string_bytes(kind, value, line_no)
        else:
            got = numeric_bytes(kind, value, line_no)
        sets.setdefault(off, set()).update(got)
    return sets


def main():
    src, dst = sys.argv[1:3]
    sets = gates(src)
    with open(dst, 'w') as out:
        out.write('/* generated from custody.magic by tools/magic-gate.py; '
                  'do not edit */\n')
        out.write('#include "collect/collect.h"\n\n')
        out.write('const struct cust_magic_gate cust_magic_gates[] = {\n')
        for off in sorted(sets):
            bits = [0] * 32
            for b in sets[off]:
                bits[b >> 3] |= 1 << (b & 7)
            out.write('\t{ %d, {\n' % off)
            for i in range(0, 32, 8):
                out.write('\t\t' + ' '.join('0x%02x,' % x
                                            for x in bits[i:i + 8]) + '\n')
            out.write('\t} },\n')
        out.write('};\n')
        out.write('const size_t cust_magic_ngates = %d;\n' % len(sets))


main()
