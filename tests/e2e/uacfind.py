#!/usr/bin/env python3
"""uacfind.py FIX ARTIFACTS FILE...: for each UAC artifact FILE (relative to
ARTIFACTS), print one line per file its Linux `find` artefacts select in the
tree FIX, as "FILE<TAB>PATH" (PATH inside FIX).

The selection is derived independently of custody: each artefact becomes
the GNU find(1) expression UAC 3.3.0's lib/build_find_command.sh builds
from it (-maxdepth, -path -prune, -path, -name -prune, -name, -type,
-size +Nc / -Nc, -perm, -nogroup, -nouser), run by GNU find on FIX, with
start points and absolute patterns moved under FIX; -nouser and -nogroup
are evaluated against FIX's own etc/passwd and etc/group, which is what
custody --root reads, by find on a copy of the listed paths' owners
(find's own NSS lookups see the host's users, so they are replaced by
-uid/-gid tests over the IDs the fixture does not name).  Two custody
policies are part of the expression, as custody(1) documents them: a walk
does not enter /dev below a start point.  Conditions are decided as UAC
would on FIX: "output not yet there" holds, command_exists looks in FIX's
bin directories, %mount_point% is FIX, not "/"; any other condition, a
`command` or a non-Linux artefact selects nothing.
"""
import glob
import os
import re
import subprocess
import sys

import yaml

BINS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
        "/sbin", "/bin"]


def ids(fix, name):
    out = set()
    try:
        with open(os.path.join(fix, "etc", name)) as f:
            for line in f:
                p = line.split(":")
                if len(p) > 2 and p[2].isdigit():
                    out.add(int(p[2]))
    except FileNotFoundError:
        pass
    return out


def homes(fix, nologin_too):
    out = []
    with open(os.path.join(fix, "etc/passwd")) as f:
        for line in f:
            p = line.rstrip("\n").split(":")
            if len(p) < 7:
                continue
            if not nologin_too and (p[6].endswith("nologin") or
                                    p[6].endswith("false")):
                continue
            if p[5].startswith("/") and p[5] not in out:
                out.append(p[5].rstrip("/") or "/")
    return out


def condition(fix, cond):
    if cond is None:
        return True
    c = cond.strip()
    if " || " in c and "|" not in c.replace(" || ", ""):
        rs = [condition(fix, x) for x in c.split(" || ")]
        return True if True in rs else None if None in rs else False
    if c.startswith("NOT "):
        r = condition(fix, c[4:])
        return None if r is None else not r
    if c.startswith('if [ ! -f "/%artifacts_output_directory%/'):
        return True
    if c.startswith("command_exists ") and "&&" not in c and "|" not in c:
        name = c.split('"')[1]
        return any(os.access(fix + d + "/" + name, os.X_OK) for d in BINS)
    if c.startswith('if [ "%mount_point%" == "/" ]'):
        return False
    return None


def expression(fix, a):
    e = []
    if a.get("max_depth"):
        e += ["-maxdepth", str(a["max_depth"])]
    ex = [fix + p if p.startswith("/") else p
          for p in a.get("exclude_path_pattern", [])]
    ex.append(fix + "/dev")             # custody never walks into /dev
    e += ["("]
    for i, p in enumerate(ex):
        e += (["-o"] if i else []) + ["-path", p]
    e += [")", "-prune", "-o"]
    if a.get("path_pattern"):
        e += ["("]
        for i, p in enumerate(a["path_pattern"]):
            e += (["-o"] if i else []) + ["-path",
                                          fix + p if p.startswith("/") else p]
        e += [")"]
    if a.get("exclude_name_pattern"):
        e += ["("]
        for i, p in enumerate(a["exclude_name_pattern"]):
            e += (["-o"] if i else []) + ["-name", p]
        e += [")", "-prune", "-o"]
    if a.get("name_pattern"):
        e += ["("]
        for i, p in enumerate(a["name_pattern"]):
            e += (["-o"] if i else []) + ["-name", p]
        e += [")"]
    if a.get("file_type"):
        e += ["("]
        for i, t in enumerate(a["file_type"]):
            e += (["-o"] if i else []) + ["-type", t]
        e += [")"]
    if a.get("min_file_size") is not None:
        e += ["-size", "+%dc" % a["min_file_size"]]
    if a.get("max_file_size") is not None:
        e += ["-size", "-%dc" % a["max_file_size"]]
    if a.get("permissions"):
        e += ["("]
        for i, p in enumerate(a["permissions"]):
            e += (["-o"] if i else []) + ["-perm", str(p)]
        e += [")"]
    if a.get("no_group"):
        e += ["!", "("] + or_ids("-gid", ids(fix, "group")) + [")"]
    if a.get("no_user"):
        e += ["!", "("] + or_ids("-uid", ids(fix, "passwd")) + [")"]
    return e + ["-print"]


def or_ids(test, known):
    e = []
    for i, n in enumerate(sorted(known) or [-1]):
        e += (["-o"] if i else []) + [test, str(n)]
    return e


def starts(fix, a):
    out = []
    for word in str(a["path"]).split():
        if "USERHOME" in word:
            hs = homes(fix, not a.get("exclude_nologin_users"))
            words = [word.replace("USERHOME", "" if h == "/" else h)
                     for h in hs]
        else:
            words = [word]
        for w in words:
            out += sorted(glob.glob(fix + w)) if any(
                c in w for c in "*?[") else [fix + w]
    return [p for p in out if os.path.lexists(p)]


def selected(fix, art):
    if art.get("collector") != "find" or "command" in art:
        return set()
    osl = art.get("supported_os", ["all"])
    if "linux" not in osl and "all" not in osl:
        return set()
    if condition(fix, art.get("condition")) is not True:
        return set()
    paths = starts(fix, art)
    if not paths:
        return set()
    r = subprocess.run(["find"] + paths + expression(fix, art),
                       capture_output=True, text=True, check=False)
    return {p[len(fix):] or "/" for p in r.stdout.splitlines()}


def main():
    fix, arts = sys.argv[1].rstrip("/"), sys.argv[2]
    for rel in sys.argv[3:]:
        with open(os.path.join(arts, rel)) as f:
            text = f.read().replace("%user_home%", "USERHOME")
        text = text.replace(": ! ", ": NOT ")
        # find -perm takes the digits as written ("-0040" is octal to
        # find); YAML would make them numbers.
        text = re.sub(r"^(\s*permissions: )\[(.*)\]$",
                      lambda m: m.group(1) + "[" + ", ".join(
                          '"%s"' % x.strip() for x in m.group(2).split(","))
                      + "]", text, flags=re.M)
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            # UAC reads a value as the rest of its line (package_owns_file
            # has ": " inside a command): quote such lines as UAC reads them.
            text = re.sub(r"^(\s*command: )(.*)$",
                          lambda m: m.group(1) + "'" +
                          m.group(2).replace("'", "''") + "'",
                          text, flags=re.M)
            doc = yaml.safe_load(text)
        top = condition(fix, doc.get("condition"))
        got = set()
        if top is True:
            for art in doc["artifacts"]:
                got |= selected(fix, art)
        for p in sorted(got):
            print("%s\t%s" % (rel, p))


main()
