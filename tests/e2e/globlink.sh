#!/usr/bin/env bash
# globlink.sh: a symbolic link among the matches of a glob in a middle
# component of a manifest path (issue 28, item 1).  The link is followed, as
# a shell would, and what lies beyond it is recorded under the path it
# resolves to; the matches after it keep their own paths.  It once left its
# target's path in the walker's buffer, so every later match was recorded
# under a corrupted path (holding a NUL byte, with a short target), and the
# real file at that path was dropped as already taken.
. "$E2E_LIB"

# layout BASE LINK: BASE/srv/x/home/{aaa -> LINK, alice, bob} with a
# history each, the link's target BASE/srv/x/decoy, and BASE/srv/x/deco,
# whose name is the first bytes of "decoy" where "home" stood.
layout() {
	mkdir -p "$1/srv/x/home/alice" "$1/srv/x/home/bob" \
	    "$1/srv/x/decoy" "$1/srv/x/deco/alice" &&
	printf 'alice history\n' >"$1/srv/x/home/alice/.bash_history" &&
	printf 'bob history\n' >"$1/srv/x/home/bob/.bash_history" &&
	printf 'decoy history\n' >"$1/srv/x/decoy/.bash_history" &&
	printf 'the real deco/alice\n' >"$1/srv/x/deco/alice/.bash_history" &&
	ln -s "$2" "$1/srv/x/home/aaa"
}

# manifest FILE PREFIX: the glob, and a second artefact over the colliding
# path, both under PREFIX.
manifest() {
	cat >"$1" <<YAML
version: 1
artifacts:
  -
    description: every home's history, through a glob
    supported_os: [linux]
    collector: file
    path: $2/srv/x/home/*/.bash_history
  -
    description: the directory a corrupted path would name
    supported_os: [linux]
    collector: file
    path: $2/srv/x/deco
YAML
}

# same BUNDLE SOURCE PREFIX WANT...: every record of BUNDLE has a path of
# WANT (all of them, each once, none other); every stored member's content
# is the source file's, read at SOURCE + its path less PREFIX.
same() {
	local tar=$1 src=$2 prefix=$3 x
	shift 3
	x=$(mktemp -d "$T/x.XXXXXX") && tar -xf "$tar" -C "$x" &&
	    python3 - "$x" "$src" "$prefix" "$@" <<'PY'
import json, os, sys

x, src, prefix, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
bag = os.path.join(x, os.listdir(x)[0])
recs = [json.loads(l) for l in open(os.path.join(bag, "metadata/files.jsonl"))]
bad = [r for r in recs if "path" not in r]
assert not bad, "paths not printable: %r" % bad
got = sorted(r["path"] for r in recs)
assert got == sorted(want), "records %r, want %r" % (got, sorted(want))
stored = set()
for r in recs:
    assert r["status"] == "ok", r
    if r["type"] != "file":
        continue
    assert r["stored"] == "data" + r["path"], r
    stored.add(r["stored"])
members = set()
for d, _, names in os.walk(os.path.join(bag, "data")):
    for n in names:
        members.add(os.path.relpath(os.path.join(d, n), bag))
assert members == stored, "members %r, records %r" % (members, stored)
for m in sorted(members):
    p = m[len("data"):]
    assert p.startswith(prefix), p
    real = os.path.join(src, p[len(prefix):].lstrip("/"))
    a, b = open(os.path.join(bag, m), "rb").read(), open(real, "rb").read()
    assert a == b, "%s holds %r, the file %r" % (m, a, b)
PY
}

# The live system: an absolute link.
layout live "$T/live/srv/x/decoy"
manifest live.yaml "$T/live"
run "$CUSTODY" collect --no-nice --no-live -m live.yaml -o live.tar
expect_rc "a link among a middle glob's matches" 0
expect_out_match "takes the four histories" '^collected: +4 files'
L=$T/live/srv/x
check "every path and every stored file is the true one" same live.tar \
    "$T/live" "$T/live" "$L/decoy/.bash_history" \
    "$L/home/alice/.bash_history" "$L/home/bob/.bash_history" \
    "$L/deco" "$L/deco/alice" "$L/deco/alice/.bash_history"
run "$CUSTODY" verify live.tar
expect_rc "the bundle verifies (origin unverified)" 4

# An image under --root: a relative link, resolved inside the image.
layout img ../decoy
manifest img.yaml ""
run "$CUSTODY" collect --no-nice --root img -m img.yaml -o img.tar
expect_rc "--root: a relative link among the matches" 0
expect_out_match "takes the four histories" '^collected: +4 files'
check "every path and every stored file is the true one" same img.tar \
    "$T/img" "" /srv/x/decoy/.bash_history \
    /srv/x/home/alice/.bash_history /srv/x/home/bob/.bash_history \
    /srv/x/deco /srv/x/deco/alice /srv/x/deco/alice/.bash_history

# A dangling link with a short absolute target ("/q"): the path once kept
# "/q", then a NUL byte, then the rest of the old path.
layout short /q
manifest short.yaml ""
run "$CUSTODY" collect --no-nice --root short -m short.yaml -o short.tar
expect_rc "--root: a dangling link among the matches" 0
expect_out_match "takes the three histories" '^collected: +3 files'
check "every path and every stored file is the true one" same short.tar \
    "$T/short" "" /srv/x/home/alice/.bash_history \
    /srv/x/home/bob/.bash_history \
    /srv/x/deco /srv/x/deco/alice /srv/x/deco/alice/.bash_history
run "$CUSTODY" verify short.tar
expect_rc "the bundle verifies (origin unverified)" 4

done_testing
