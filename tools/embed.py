#!/usr/bin/env python3
"""embed.py SYMBOL NAME INPUT OUTPUT: write INPUT's bytes as a C array so the
binary carries its default manifest and works alone."""
import sys

symbol, name, src, dst = sys.argv[1:5]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s by tools/embed.py; do not edit */\n' % name)
    out.write('#include <stddef.h>\n\n')
    out.write('extern const char %s_name[];\n' % symbol)
    out.write('extern const unsigned char %s[];\n' % symbol)
    out.write('extern const size_t %s_len;\n\n' % symbol)
    out.write('const char %s_name[] = "%s";\n' % (symbol, name))
    out.write('const unsigned char %s[] = {\n' % symbol)
    for i in range(0, len(data), 12):
        out.write('\t' + ' '.join('0x%02x,' % b for b in data[i:i + 12]) + '\n')
    out.write('\t0x00\n};\n')
    out.write('const size_t %s_len = %d;\n' % (symbol, len(data)))
