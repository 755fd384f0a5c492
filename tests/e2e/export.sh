#!/usr/bin/env bash
# export.sh: custody export verifies first and writes a bundle's records
# for the investigator's tools: Sleuth Kit's bodyfile (read by mactime),
# CSV, a hashdeep known-file list (audited by hashdeep on the extracted
# data/) and a CASE/UCO JSON-LD graph (only the ontology names shipped in
# tests/data/case-uco-names.txt); a bundle that fails is refused, or
# exported with --force and said so.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
mkdir -p tree/sub || exit 99
printf 'hello\n' >tree/a.txt
printf 'bar\n' >'tree/sub/p|q.txt'
printf 'comma\n' >'tree/sub/c,"quoted".txt'
printf 'old\n' >tree/old.txt
printf 'nano\n' >tree/nano.txt
ln -s a.txt tree/ln
# A link whose target a spreadsheet would run as a formula.
ln -s '=HYPERLINK("http://example.invalid/","x")' tree/formula
printf 'raw\n' >"tree/$(printf 'not\377utf8')"
# Before 1970, and a time with nanoseconds.
touch -m -d '1965-03-04 05:06:07.250 UTC' tree/old.txt || exit 99
touch -m -d '2001-02-03 04:05:06.999999999 UTC' tree/nano.txt || exit 99
"$CUSTODY" collect --no-nice --key k.key --hash md5 --case CASE-7 \
    --examiner 'Ann Example' --evidence-id EXP -o b.tar tree \
    >/dev/null 2>&1 || exit 99
"$CUSTODY" transfer --from 'Ann Example' --to 'Bob Lab' --key k.key \
    --location 'Lab 2' --reason 'to the lab' b.tar >/dev/null 2>&1 ||
    exit 99
tar -xf b.tar EXP/metadata/files.jsonl EXP/metadata/bodyfile.txt || exit 99
mkdir x && "$CUSTODY" extract -C x --pubkey k.pub b.tar >/dev/null ||
    exit 99

# --- bodyfile, through mactime
run "$CUSTODY" export --format bodyfile -o body.txt --pubkey k.pub b.tar
expect_rc "bodyfile from a verified bundle" 0
check "says it was verified, on a line mactime skips" \
    grep -qE '^# custody export of bundle sha256 [0-9a-f]{64}: verified: authentic$' body.txt
check "mactime lists every record with the times of its record (seconds, floored; none before 1970)" \
    python3 - EXP/metadata/files.jsonl body.txt "$HERE" <<'EOF'
import calendar, json, subprocess, sys
sys.path.insert(0, sys.argv[3]); from exportname import path
recs = [json.loads(l) for l in open(sys.argv[1])]
out = subprocess.run(["mactime", "-b", sys.argv[2], "-d", "-y", "-z", "UTC"],
                     capture_output=True, text=True, check=True).stdout
seen = {}
for line in out.splitlines()[1:]:
    f = line.split(",", 7)
    name = f[7][1:-1].replace('""', '"')  # mactime's CSV quoting
    seen.setdefault(name, set()).add((f[0], f[2]))
def secs(t):
    return calendar.timegm(__import__("time").strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
def name(r):
    n = path(r).replace("|", "^7C")
    return n + (" -> " + r["target"] if "target" in r else "")
for r in recs:
    events = seen.get(name(r))
    assert events, "not listed: " + name(r)
    for key, letter in (("mtime", "m"), ("atime", "a"), ("ctime", "c"),
                        ("btime", "b")):
        if key not in r or secs(r[key]) < 0:
            continue
        when = __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ",
                                           __import__("time").gmtime(secs(r[key])))
        assert any(d == when and letter in t for d, t in events), (name(r), key, when, events)
EOF
check "the same lines as the bundle's own bodyfile.txt (names not UTF-8 too)" \
    cmp <(grep -v '^#' body.txt) EXP/metadata/bodyfile.txt
check "a time before 1970 is written as its (negative) seconds" \
    grep -qE '\|/[^|]*/tree/old.txt\|[0-9]+\|r/rrw-r--r--\|[0-9]+\|[0-9]+\|4\|[0-9]+\|-152391233\|' body.txt
check "nanoseconds are dropped, not rounded up" \
    grep -qE '/tree/nano.txt\|.*\|981173106\|' body.txt
check "the MD5 column is md5sum's for every stored file" \
    python3 - EXP/metadata/files.jsonl body.txt x/EXP "$HERE" <<'EOF'
import hashlib, json, sys
sys.path.insert(0, sys.argv[4]); from exportname import path
body = {}
for l in open(sys.argv[2]):
    if not l.startswith("#"):
        f = l.split("|")
        body[f[1].replace("^7C", "|")] = f[0]
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if "stored" in r:
        want = hashlib.md5(open(sys.argv[3] + "/" + r["stored"], "rb").read()).hexdigest()
        assert body[path(r)] == want, (path(r), body[path(r)], want)
        n += 1
assert n == 6, n
EOF

# --- hashdeep
run "$CUSTODY" export --format hashdeep -o known.txt --pubkey k.pub b.tar
expect_rc "hashdeep list from a verified bundle" 0
check "hashdeep -a -k passes on the extracted data/" \
    bash -c "cd x/EXP/data && hashdeep -r -l -a -k $T/known.txt . | grep -qx 'hashdeep: Audit passed'"
printf 'x' >>x/EXP/data/"$T"/tree/a.txt
check "and fails when one extracted file is changed" \
    bash -c "cd x/EXP/data && ! hashdeep -r -l -a -k $T/known.txt . >/dev/null"

# --- csv
run "$CUSTODY" export --format csv --pubkey k.pub b.tar
expect_rc "csv to standard output" 0
"$CUSTODY" export -f csv --pubkey k.pub b.tar >rows.csv 2>/dev/null
check "one RFC 4180 row per record, names with , \" and | intact" \
    python3 - EXP/metadata/files.jsonl rows.csv "$HERE" <<'EOF'
import csv, json, sys
sys.path.insert(0, sys.argv[3]); from exportname import path
recs = [json.loads(l) for l in open(sys.argv[1])]
raw = open(sys.argv[2], newline="").read()
assert raw.count("\r\n") == len(recs) + 1 and "\n" not in raw.replace("\r\n", "")
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(rows) == len(recs)
for r, row in zip(recs, rows):
    assert row["path"] == path(r) and row["mtime"] == r["mtime"]
    assert row["sha256"] == r.get("sha256", "")
    assert row["verification"] == "verified: authentic"
assert any(row["path"].endswith('c,"quoted".txt') for row in rows)
EOF
check "a value a spreadsheet would run as a formula begins with an apostrophe" \
    python3 - rows.csv <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
f = [r for r in rows if r["path"].endswith("/formula")]
assert len(f) == 1 and f[0]["target"] == "'=HYPERLINK(\"http://example.invalid/\",\"x\")", f
assert not any(v and v[0] in "=+-@\t\r" for r in rows for v in r.values())
EOF

# --- CASE/UCO
run "$CUSTODY" export --format case -o case.json --pubkey k.pub b.tar
expect_rc "case from a verified bundle" 0
check "JSON-LD with only the shipped CASE/UCO names, one InvestigativeAction per custody-log event and the acquisition" \
    python3 - case.json "$TEST_DATA/case-uco-names.txt" EXP/metadata/files.jsonl b.tar.custody "$HERE" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[5]); from exportname import path
d = json.load(open(sys.argv[1]))
names = {l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")}
ctx, graph = d["@context"], d["@graph"]
assert isinstance(ctx, dict) and isinstance(graph, list) and set(d) == {"@context", "@graph"}
used = set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "@type":
                for t in v if isinstance(v, list) else [v]:
                    if not t.startswith("xsd:"):
                        used.add(t)
            elif not k.startswith("@"):
                used.add(k)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(graph)
for u in used:
    assert u.split(":")[0] in ctx, "prefix not in @context: " + u
assert used <= names, sorted(used - names)
ids = {n["@id"] for n in graph}
assert len(ids) == len(graph), "an @id twice"
acts = [n for n in graph if n["@type"] == "case-investigation:InvestigativeAction"]
log = [json.loads(json.loads(l)["event"]) for l in open(sys.argv[4])]
assert len(log) == 2, len(log)
assert [a["uco-core:name"] for a in acts] == ["acquired"] + [e["type"] for e in log]
# chained: each takes the record the one before gave
for a, b in zip(acts, acts[1:]):
    assert b["uco-action:object"] == a["uco-action:result"], (a, b)
for a in acts:
    assert a["uco-action:performer"]["@id"] in ids
    assert a["uco-action:location"]["@id"] in ids
    for r in a["uco-action:result"]:
        assert r["@id"] in ids
recs = [json.loads(l) for l in open(sys.argv[3])]
files = [n for n in graph if n["@type"] == "uco-observable:File"]
assert len(files) == len(recs) + 1  # and the bundle
byname = {}
for f in files:
    for fa in f["uco-core:hasFacet"]:
        if fa["@type"] == "uco-observable:FileFacet" and "uco-observable:filePath" in fa:
            byname[fa["uco-observable:filePath"]] = f
for r in recs:
    f = byname[path(r)]
    fa = f["uco-core:hasFacet"][0]
    assert fa["uco-observable:modifiedTime"]["@value"] == r["mtime"]
    if "sha256" in r:
        h = {x["uco-types:hashMethod"]: x["uco-types:hashValue"]["@value"]
             for x in f["uco-core:hasFacet"][1]["uco-observable:hash"]}
        assert h == {"SHA256": r["sha256"], "MD5": r["md5"]}, h
acq = acts[0]
assert acq["uco-action:instrument"]["@id"] in ids
tool = [n for n in graph if n["@type"] == "uco-tool:Tool"][0]
assert tool["uco-core:name"] == "custody" and tool["uco-tool:version"]
inv = [n for n in graph if n["@type"] == "case-investigation:Investigation"][0]
assert inv["uco-core:name"] == "CASE-7"
who = [n for n in graph if n["@id"] == acq["uco-action:performer"]["@id"]][0]
assert who["uco-core:name"] == "Ann Example"
EOF
"$CUSTODY" export -f case --pubkey k.pub b.tar >case2.json 2>/dev/null
check "the same bundle gives the same graph" cmp -s case.json case2.json

# --- refused, or forced and said
python3 "$HERE/tamper.py" flip b.tar flipped.tar "data$T/tree/a.txt" 0 ||
    exit 99
cp b.tar.custody flipped.tar.custody
run "$CUSTODY" export -f csv -o out.csv --pubkey k.pub flipped.tar
expect_rc "a payload byte flipped: refused" 1
expect_err_match "says why and that nothing was written" \
    "^custody: flipped.tar: not exported: it failed verification \\(.* check\\); nothing was written"
check "and nothing was written" test ! -e out.csv
run "$CUSTODY" export -f bodyfile -o out.txt --force --pubkey k.pub flipped.tar
expect_rc "with --force: exported, and still exit 1" 1
check "the output says it FAILED" grep -q '^# custody export .*FAILED verification; exported anyway (--force)$' out.txt
run "$CUSTODY" export -f hashdeep -o known.txt --pubkey k.pub b.tar
expect_rc "an output file that exists is not overwritten" 3
run "$CUSTODY" export -f xml b.tar
expect_rc "an unknown format" 2
run "$CUSTODY" export b.tar
expect_rc "no format" 2

done_testing
