"""bench/uac.py: custody against UAC and find (issue 23), for bench/run.

bench/run --only uac --uac DIR WORKDIR
    DIR is an unpacked UAC release (v3.3.0 is the one compared; it is not
    part of custody and is never copied into it).  From its ir_triage
    profile this takes every file, find, hash and stat artefact that UAC
    runs on Linux, and leaves out every `command` artefact, the find
    artefacts that run a command on each match (getcap, lsattr), the
    live_response files (the live state: UAC skips them on a mount point),
    and the is_file_list artefacts that read a command's output from UAC's
    temporary directory: the result is WORKDIR/uac-set/, one artefact file
    for each of the profile's files that keeps any, in the profile's
    order.  Both tools then collect exactly those files from the same tree
    (--uac-root, default WORKDIR/uac-root: the bench triage corpus,
    shaped like a root file system, hard-linked, with a passwd of the
    users whose homes it holds; see small_root()), hashing with SHA-256 and writing to WORKDIR:

      custody collect --no-nice --no-live --root TREE -m F... -o U.tar
      uac -s linux --mount-point TREE -a F,... -H -f none -c SHA256.conf
          --temp-dir WORKDIR/uac-tmp -o uac-out WORKDIR

    (-H hashes what UAC collected, with the hash_algorithm of a copy of
    UAC's config/uac.conf that asks for sha256 alone; -f none leaves UAC's
    output as copied files, uncompressed like custody's .tar: UAC's tar
    format is gzipped whenever gzip exists.)  Skipped, with a message, when
    --uac is not given or DIR holds no `uac`.

bench/run --only timeline WORKDIR
    A stat timeline of the whole root file system: custody's bodyfile of
    every inode, against GNU find printing the same fields:

      custody collect --no-nice --no-live --one-file-system
          -m WORKDIR/timeline.yaml -o - > /dev/null
      find ROOT -xdev -printf '0|%p|%i|%M|%U|%G|%s|%A@|%T@|%C@|%B@\\n'
          > /dev/null

    (timeline.yaml holds one artefact: collector stat, path ROOT;
    --timeline-root, default /.)

Each case runs its two commands in pairs, A B then B A (--uac-rounds pairs,
default 1, for uac: one UAC run takes some 40 minutes on the shared 2-core
VM; --rounds for the timeline), first with a warm page cache (an untimed
pass beforehand: the tree and UAC read and custody run once, or one find),
then cold:
sync(2) and `echo 3 > /proc/sys/vm/drop_caches` before every command
(root only; the cold half is skipped with a message otherwise).  Every
command starts after the last one's output is removed and a sync, both
untimed.  It prints per command the median wall time and CPU time (user +
system of all its processes), and per case the ratio
peer time / custody time of each pair: its median, minimum and maximum.
A ratio above 1 means custody was faster.  Benchmarks are not tests:
nothing here asserts a figure.
"""
import glob
import os
import re
import shutil
import statistics
import subprocess
import time

# The collectors custody and UAC both run; `command` is UAC's alone.
KEPT = ("file", "find", "hash", "stat")
FIND_FIELDS = "0|%p|%i|%M|%U|%G|%s|%A@|%T@|%C@|%B@\\n"


def profile_files(uac):
    """The artefact files of UAC's ir_triage profile, in its order."""
    arts = os.path.join(uac, "artifacts")
    files = []
    for line in open(os.path.join(uac, "profiles", "ir_triage.yaml")):
        m = re.match(r"\s*-\s+(\S+)\s*$", line)
        if not m:
            continue
        pattern = m.group(1)
        drop = pattern.startswith("!")
        hits = sorted(os.path.relpath(p, arts) for p in
                      glob.glob(os.path.join(arts, pattern.lstrip("!"))))
        for h in hits:
            if drop and h in files:
                files.remove(h)
            elif not drop and h not in files:
                files.append(h)
    return files


def split_items(text):
    """A UAC artefact file as (head, [item, ...]): every item starts at a
    line '  -' alone, as in all of UAC's own files."""
    parts = re.split(r"(?m)^(?=  -[ \t]*$)", text)
    return parts[0], parts[1:]


def field(item, name):
    m = re.search(r"(?m)^    %s:\s*(.*?)\s*$" % name, item)
    return m.group(1) if m else ""


def kept(item):
    """Whether both tools would run ITEM on Linux and neither needs a
    command for it."""
    os_ = field(item, "supported_os")
    if "all" not in os_ and "linux" not in os_:
        return False
    if field(item, "collector") not in KEPT:
        return False
    # find artefacts that run a command on each match (getcap, lsattr)
    if field(item, "command"):
        return False
    # is_file_list items that read what a (dropped) command wrote
    return "%temp_directory%" not in field(item, "path")


def artefact_set(uac, work):
    """Write WORKDIR/uac-set/; return its files and the count per
    collector."""
    out = os.path.join(work, "uac-set")
    shutil.rmtree(out, ignore_errors=True)
    paths, count = [], {}
    for rel in profile_files(uac):
        if rel.startswith("live_response/"):
            continue    # the live state, not the file system
        head, items = split_items(open(os.path.join(uac, "artifacts", rel)).read())
        keep = [i for i in items if kept(i)]
        if not keep:
            continue
        for i in keep:
            c = field(i, "collector")
            count[c] = count.get(c, 0) + 1
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w") as f:
            f.write(head + "".join(keep))
        paths.append(dst)
    return paths, count


def small_root(work):
    """WORKDIR/uac-root: the triage corpus, hard-linked, with an
    /etc/passwd of root and the users whose home directory it holds.  The
    corpus's own passwd lists 60 users without a home in it, and UAC runs
    each %user_home% artefact once per user: some 60 artefacts times 60
    users, hours on a busy machine."""
    root = os.path.join(work, "uac-root")
    if not os.path.isdir(root):
        subprocess.run(["cp", "-al", os.path.join(work, "triage"), root],
                       check=True)
        passwd = os.path.join(root, "etc", "passwd")
        os.unlink(passwd)       # a new file: the corpus's stays as it is
        with open(passwd, "w") as f:
            f.write("root:x:0:0:root:/root:/bin/bash\n")
            homes = sorted(os.listdir(os.path.join(root, "home")))
            for uid, name in enumerate(homes, 1000):
                f.write("%s:x:%d:%d::/home/%s:/bin/bash\n" % (name, uid, uid, name))
    return root


def uac_config(uac, work):
    """A copy of UAC's config that hashes with SHA-256 alone, as custody."""
    conf = open(os.path.join(uac, "config", "uac.conf")).read()
    conf = re.sub(r"(?m)^hash_algorithm:.*$", "hash_algorithm: [sha256]", conf)
    path = os.path.join(work, "uac-sha256.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def run(cmd, cwd):
    """Run CMD (a shell line); return (wall s, CPU s).  (No peak RSS: the
    child's count starts with this Python's, from before its exec.)"""
    start = time.monotonic()
    p = subprocess.Popen(["sh", "-c", cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    # 1 is custody's "partial" and find's "some file vanished": a live
    # file system changes under a walk of it.
    if p.returncode not in (0, 1):
        # kept, and said: a failed UAC run at the end of forty minutes
        # should not take the other runs' figures with it
        print("bench/run: %s: exit %d\n%s" % (cmd[:200], p.returncode,
                                             err.decode()[-2000:]), flush=True)
    return wall, ru.ru_utime + ru.ru_stime


def can_drop_caches():
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def clean(work, names):
    for n in names:
        p = os.path.join(work, n)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.unlink(p)


def paired(work, cmds, rounds, cold, warm):
    """Run the two (name, leftovers, command) of CMDS in ROUNDS pairs,
    after the shell line WARM when the cache is to be warm; return
    {name: [(wall, cpu, rss), ...]}."""
    res = {n: [] for n, _, _ in cmds}
    for _, old, _ in cmds:
        clean(work, old)
    if not cold:
        run(warm, work)
    for i in range(rounds):
        # A B, then B A (as bench/run pairs): whatever running first or
        # second gains (the cache as the other left it) falls on both.
        for name, old, cmd in cmds if i % 2 == 0 else cmds[::-1]:
            clean(work, old)
            os.sync()
            if cold:
                drop_caches()
            res[name].append(run(cmd, work))
    for _, old, _ in cmds:
        clean(work, old)
    return res


def report(title, cmds, res, load):
    (a, _, _), (b, _, _) = cmds
    print("\n## %s\n" % title)
    print("load average before and after: %s\n" % load)
    print("| command | wall s (median) | wall min-max | CPU s |")
    print("|---|---:|---:|---:|")
    for name, _, _ in cmds:
        w = [r[0] for r in res[name]]
        print("| %s | %.2f | %.2f-%.2f | %.2f |" % (
            name, statistics.median(w), min(w), max(w),
            statistics.median(r[1] for r in res[name])))
    per = [rb[0] / ra[0] for ra, rb in zip(res[a], res[b])]
    print("\n| ratio %s / %s, pair by pair | median | min-max | pairs |" % (b, a))
    print("|---|---:|---:|---|")
    print("| %s | %.2fx | %.2f-%.2f | %s |" % (
        "custody faster when > 1", statistics.median(per), min(per), max(per),
        " ".join("%.2f" % x for x in per)))
    return statistics.median(per), min(per), max(per)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def both_caches(work, title, cmds, rounds, warm):
    out = []
    for cold in (False, True):
        label = "%s, %s cache, %d pairs" % (title, "cold" if cold else "warm", rounds)
        if cold and not can_drop_caches():
            print("\n## %s: skipped (cannot write /proc/sys/vm/drop_caches: "
                  "run as root)" % label)
            continue
        before = loadavg()
        res = paired(work, cmds, rounds, cold, warm)
        out.append((label, report(label, cmds, res, before + " / " + loadavg())))
    return out


def bench_uac(custody, work, uac, root, rounds):
    """custody against UAC on the file/find/hash/stat artefacts of
    ir_triage."""
    if not uac or not os.access(os.path.join(uac, "uac"), os.X_OK):
        print("\n## uac: skipped (give --uac DIR, an unpacked UAC release "
              "with its uac script; %s)" % (uac or "no --uac"))
        return []
    uac = os.path.abspath(uac)
    root = os.path.abspath(root) if root else small_root(work)
    paths, count = artefact_set(uac, work)
    conf = uac_config(uac, work)
    version = subprocess.run([os.path.join(uac, "uac"), "--version"], cwd=uac,
                             capture_output=True, text=True).stdout.strip()
    print("\n# UAC: %s, %s" % (version, uac))
    print("artefact set: %d files of ir_triage, %s artefacts; tree %s" % (
        len(paths), ", ".join("%d %s" % (count[c], c) for c in KEPT if c in count),
        root))
    tmp = os.path.join(work, "uac-tmp")
    cmds = [
        ("custody", ("U.tar", "U.tar.sha256", "U.tar.custody"),
         "%s collect --no-nice --no-live --root %s %s -o U.tar" % (
             custody, root, " ".join("-m " + p for p in paths))),
        ("uac", ("uac-out", "uac-tmp"),
         # UAC runs only from its own directory
         "mkdir -p %s && cd %s && ./uac -s linux --mount-point %s -a %s -H "
         "-f none -c %s --temp-dir %s -o uac-out %s" % (
             tmp, uac, root, ",".join(paths), conf, tmp, work)),
    ]
    # The warm cache: the tree and UAC's scripts read, custody run once.
    warm = "find %s %s -type f -print0 | xargs -0 cat > /dev/null; %s" % (
        root, uac, cmds[0][2])
    return both_caches(work, "uac: UAC %s ir_triage file, find, hash, stat"
                       % version.split()[-1], cmds, rounds, warm)


def bench_timeline(custody, work, root, rounds):
    """custody's whole-file-system stat timeline against find -printf."""
    yaml = os.path.join(work, "timeline.yaml")
    with open(yaml, "w") as f:
        f.write("version: 1.0\nartifacts:\n  -\n"
                "    description: Record the metadata of every inode.\n"
                "    supported_os: [linux]\n    collector: stat\n"
                "    path: %s\n" % root)
    cmds = [
        ("custody", (), "%s collect --no-nice --no-live --one-file-system "
         "-m %s -o - > /dev/null" % (custody, yaml)),
        ("find", (), "find %s -xdev -printf '%s' > /dev/null" % (
            root, FIND_FIELDS)),
    ]
    # The warm cache: find's walk brings every inode in.
    return both_caches(work, "timeline: custody stat of %s / find -xdev -printf"
                       % root, cmds, rounds, cmds[1][2])


def summary(results):
    print("\n## Summary: peer time / custody time, pair by pair\n")
    print("| case | median | min-max |")
    print("|---|---:|---:|")
    for label, (med, lo, hi) in results:
        print("| %s | %.2fx | %.2f-%.2f |" % (label, med, lo, hi))
