#!/usr/bin/env python3
"""analyze.py [--gcc] [BUILD_DIR] [FILE...]: static analysis of lib/.

Runs clang-tidy, with the checks listed in .clang-tidy at the top of the
tree, over every lib/*.c of libcustody (or the FILEs named), each with the
flags BUILD_DIR (default: build) compiles it with, from its
compile_commands.json.  With --gcc, GCC's -fanalyzer runs over them too.
Prints what they say and exits 1 when anything was said, 0 when lib/ is
clean.  A false positive is silenced where it stands, with a comment
saying why (see HACKING.md, Static analysis).  GCC 12's analyzer still
reports leaks of blocks stored into arrays grown by realloc, so lib/ is
held clean by clang-tidy; read what --gcc says.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(SRC, 'lib')
# Flags that only make sense for the real build, with their argument count.
DROP = {'-o': 1, '-MD': 0, '-MQ': 1, '-MF': 1, '-Werror': 0,
        '-fdiagnostics-color=always': 0}


def commands(build):
    """lib/**/*.c -> (directory, argument list) from compile_commands.json."""
    with open(os.path.join(build, 'compile_commands.json')) as f:
        entries = json.load(f)
    out = {}
    for e in entries:
        path = os.path.normpath(os.path.join(e['directory'], e['file']))
        if not path.startswith(LIB + os.sep) or not path.endswith('.c'):
            continue
        if 'libcustody' not in e['command']:
            continue        # generated sources and build tools
        out[path] = (e['directory'], shlex.split(e['command']))
    return out


def gcc_args(args):
    kept, skip = [], 0
    for a in args[1:]:
        if skip:
            skip -= 1
        elif a in DROP:
            skip = DROP[a]
        elif a.startswith('-fsanitize'):
            pass
        else:
            kept.append(a)
    return ['gcc', '-fanalyzer', '-fdiagnostics-plain-output', '-o',
            os.devnull] + kept


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


def analyzer(cmds, files):
    said = 0
    for path in files:
        cwd, args = cmds[path]
        rc, text = run(gcc_args(args), cwd)
        if text or rc != 0:
            said += 1
            print(text or '%s: gcc exited %d' % (path, rc))
    return said


def tidy(build, files):
    exe = shutil.which('clang-tidy') or shutil.which('clang-tidy-14')
    if exe is None:
        print('analyze: no clang-tidy', file=sys.stderr)
        return 1
    rc, text = run([exe, '-p', build, '--quiet'] + files, SRC)
    # clang-tidy counts the warnings it suppressed on stderr: not findings.
    lines = [l for l in text.splitlines()
             if 'warnings generated' not in l and
             not l.startswith('Suppressed ') and
             not l.startswith('Use -header-filter') and
             not l.startswith('Use -system-headers')]
    if lines:
        print('\n'.join(lines))
    return 1 if lines or rc != 0 else 0


def main():
    args = sys.argv[1:]
    gcc = '--gcc' in args
    args = [a for a in args if a != '--gcc']
    build = os.path.abspath(args[0] if args else os.path.join(SRC, 'build'))
    cmds = commands(build)
    files = [os.path.abspath(f) for f in args[1:]] or sorted(cmds)
    missing = [f for f in files if f not in cmds]
    if missing:
        sys.exit('analyze: not built in %s: %s' % (build, ' '.join(missing)))
    print('analyze: clang-tidy (.clang-tidy) on %d files' % len(files))
    bad = tidy(build, files)
    if gcc:
        print('analyze: gcc -fanalyzer on %d files' % len(files))
        bad += analyzer(cmds, files)
    print('analyze: %s' % ('findings above' if bad else 'lib/ is clean'))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
