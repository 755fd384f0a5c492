#!/usr/bin/env python3
"""uac-coverage.py UAC_DIR [PROFILE] [MANIFEST]: for every Linux artefact of
a UAC profile (default ir_triage) that is not a command, print which
artefact of custody's manifest (default manifests/linux-triage.yaml)
covers it, one line each, then a summary.

An artefact is covered when a manifest artefact walks each of its paths
(the same path, an ancestor directory, or a glob matching it) with a
collector at least as strong: file (content) > hash > find/stat
(metadata).  The match is by path only: a covering artefact with its own
name patterns, depth or size caps is reported as "partly", with them.
"""
import fnmatch
import glob
import os
import re
import sys

import yaml

STRENGTH = {"file": 0, "hash": 1, "find": 2, "stat": 2}


def load(path):
    with open(path) as f:
        text = f.read()
    text = text.replace(": ! ", ": NOT ")
    # UAC's values may start with '%' (%user_home%): quote them for YAML.
    text = re.sub(r"^(\s*[a-z_]+: )(%.*)$",
                  lambda m: m.group(1) + "'" + m.group(2).replace("'", "''")
                  + "'", text, flags=re.M)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        text = re.sub(r"^(\s*(command|description|condition): )(.*)$",
                      lambda m: m.group(1) + "'" +
                      m.group(3).replace("'", "''") + "'", text, flags=re.M)
        return yaml.safe_load(text)


def profile(uac, prof):
    arts, out = os.path.join(uac, "artifacts"), []
    with open(prof) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line.startswith("-"):
                continue
            item = line[1:].strip()
            ex = item.startswith("!")
            item = item.lstrip("!").replace("../", "")
            hits = []
            for g in sorted(glob.glob(os.path.join(arts, item))):
                if os.path.isdir(g):
                    for d, _, fs in sorted(os.walk(g)):
                        hits += [os.path.join(d, x) for x in sorted(fs)]
                else:
                    hits.append(g)
            if ex:
                out = [x for x in out if x not in hits]
            else:
                out += [x for x in hits if x not in out]
    return [x for x in out if x.endswith(".yaml")]


def linux(a):
    osl = a.get("supported_os", ["all"])
    return "linux" in osl or "all" in osl


def under(p, q):
    if q == "/" or p == q or p.startswith(q.rstrip("/") + "/"):
        return True
    return any(c in q for c in "*?[") and fnmatch.fnmatch(p, q)


SELECT = ["name_pattern", "path_pattern", "permissions", "no_user",
          "no_group"]


def filters(d):
    keys = ["max_depth", "max_file_size", "file_type", "exclude_path_pattern",
            "exclude_name_pattern", "name_pattern"]
    return [k for k in keys if k in d]


def selects_same(a, d, p):
    """D's selective tests are A's own (or D has none); a name pattern of
    D that A has not is met when the last component of A's path P
    matches it (authorized_keys* by ["authorized_keys*", ...])."""
    for k in SELECT:
        if k not in d or d.get(k) == a.get(k):
            continue
        base = p.rstrip("/").rsplit("/", 1)[-1]
        if k == "name_pattern" and "name_pattern" not in a and \
                any(fnmatch.fnmatch(base, x) for x in d[k]):
            continue
        if k == "name_pattern" and set(a.get(k) or ["-"]) <= set(d[k]):
            continue
        # A takes the directories named N (file_type d), D the files in
        # every directory so named (path_pattern */N/*).
        if k == "path_pattern" and "path_pattern" not in a and \
                a.get("file_type") == ["d"] and a.get("name_pattern") and \
                {"*/%s/*" % n for n in a["name_pattern"]} <= set(d[k]):
            continue
        return False
    return True


def cover(a, mine):
    """Per path of A, the default artefact that covers it best (an
    unfiltered one before a filtered one), or None."""
    need = STRENGTH[a["collector"]]
    out = []
    for p in str(a["path"]).split():
        best = None
        for i, d in enumerate(mine):
            if STRENGTH.get(d["collector"], 9) > need or \
                    not selects_same(a, d, p):
                continue
            if any(under(p, q) for q in str(d["path"]).split()):
                f = filters(d)
                if best is None or (not f and best[1]):
                    best = (i, f)
        out.append((p, best))
    return out


def verdict(c, mine):
    if all(b is None for _, b in c):
        return "not covered"
    if any(b is None for _, b in c):
        return "paths partly: " + ", ".join(
            p + (" by #%d" % (b[0] + 1) if b else " missing") for p, b in c)
    if any(b[1] for _, b in c):
        return "partly (caps): " + ", ".join(
            "#%d%s" % (b[0] + 1, " [%s]" % "/".join(b[1]) if b[1] else "")
            for _, b in c)
    return "covered by " + ", ".join(sorted({"#%d (%s)" % (
        b[0] + 1, mine[b[0]]["description"]) for _, b in c}))


def main():
    uac = sys.argv[1]
    prof = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        uac, "profiles", "ir_triage.yaml")
    man = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        os.path.dirname(__file__), "..", "manifests", "linux-triage.yaml")
    mine = [d for d in load(man)["artifacts"]]
    n = {"covered": 0, "not covered": 0, "not run": 0}
    for path in profile(uac, prof):
        doc = load(path)
        if doc.get("modifier"):
            continue
        for a in doc.get("artifacts") or []:
            if a.get("collector") == "command" or not linux(a):
                continue
            rel = os.path.relpath(path, os.path.join(uac, "artifacts"))
            p = str(a.get("path", ""))
            if "%temp_directory%" in p or "$" in p or "command" in a:
                how = "not run (UAC computes it with a command)"
                n["not run"] += 1
            else:
                how = verdict(cover(a, mine), mine)
                n[how.split(" by")[0].split(":")[0].split(" (")[0]] = \
                    n.get(how.split(" by")[0].split(":")[0].split(" (")[0],
                          0) + 1
            print("%s: %s %s: %s" % (rel, a["collector"], p, how))
    print("summary: " + ", ".join("%s %d" % kv for kv in n.items()))


main()
