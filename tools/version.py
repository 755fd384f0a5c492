#!/usr/bin/env python3
"""version.py SOURCE_ROOT PROJECT_VERSION: print the version of a build from
the git checkout SOURCE_ROOT, for meson's vcs_tag (lib/version.c.in).

Past a tag that names a version (v1.2 or 1.2, annotated or not), git
describe's TAG[-N-gHASH]; with no such tag, PROJECT_VERSION-gHASH.  Either
ends in -dirty when a tracked file differs from HEAD.  Exit 1, so that
vcs_tag falls back to the project's version, when git is missing or
SOURCE_ROOT is not the top of a checkout: a release tarball, perhaps
unpacked inside someone else's repository, must not take that one's.
"""
import os
import re
import subprocess
import sys

# The version ends up in a C string and in every bundle: no quotes, no
# backslashes, no spaces.
SAFE = re.compile(r'[0-9A-Za-z][0-9A-Za-z._+-]*\Z')
DESCRIBE = ['describe', '--dirty', '--abbrev=12']


def git(root, *args):
    return subprocess.run(['git', '-C', root, *args], check=True,
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True).stdout.strip()


def tagged(root):
    try:
        v = git(root, *DESCRIBE, '--tags', '--match', 'v[0-9]*',
                '--match', '[0-9]*')
    except subprocess.CalledProcessError:
        return None                     # no such tag: the common case
    return v if SAFE.match(v) else None


def version(root, project):
    top = git(root, 'rev-parse', '--show-toplevel')
    if not os.path.samefile(top, root):
        return None
    v = tagged(root)
    if v is None:
        v = project + '-g' + git(root, *DESCRIBE, '--always',
                                 '--exclude', '*')
    return v if SAFE.match(v) else None


def main():
    root, project = sys.argv[1:3]
    try:
        v = version(root, project)
    except (OSError, subprocess.CalledProcessError):
        v = None
    if v is None:
        return 1
    print(v)
    return 0


if __name__ == '__main__':
    sys.exit(main())
