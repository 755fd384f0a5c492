#!/usr/bin/env bash
# collectjson.sh: custody collect --json prints its summary as one JSON
# object that validates against docs/collect-summary.schema.json and
# agrees with the bundle written; refused with -o -, where standard output
# is the bundle.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

SCHEMA="$SOURCE_ROOT/docs/collect-summary.schema.json"
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
mkdir -p tree && printf 'hello\n' >tree/a.txt && printf 'x\n' >tree/b.txt ||
    exit 99

run "$CUSTODY" collect --no-nice --key k.key --json -o b.tar tree
expect_rc "collect --json" 0
printf '%s\n' "$OUT" >summary.json
check "standard output is one JSON object, valid under the schema, that agrees with the bundle" \
    python3 - summary.json "$SCHEMA" b.tar <<'EOF2'
import hashlib, json, os, sys
s = json.load(open(sys.argv[1]))
schema = json.load(open(sys.argv[2]))
try:
    import jsonschema
except ImportError:
    jsonschema = None
if jsonschema is not None:
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(s, schema, cls=jsonschema.Draft202012Validator)
else:  # a hand check of the required members and their types
    for k in schema["required"]:
        assert k in s, k
    assert s["schema"] == "custody-collect-summary/1"
assert s["sha256"] == hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
assert s["bytes"] == os.path.getsize(sys.argv[3])
assert s["counts"]["files"] == 2 and s["counts"]["payload_bytes"] == 8
assert s["custody_log"]["path"] == sys.argv[3] + ".custody"
assert s["exit_status"] == 0
EOF2
check "the schema refuses what it must (a summary without sha256)" \
    python3 - summary.json "$SCHEMA" <<'EOF2'
import json, sys
try:
    import jsonschema
except ImportError:
    sys.exit(0)
s = json.load(open(sys.argv[1]))
del s["sha256"]
try:
    jsonschema.validate(s, json.load(open(sys.argv[2])),
                        cls=jsonschema.Draft202012Validator)
except jsonschema.ValidationError:
    sys.exit(0)
sys.exit(1)
EOF2
check "nothing else on standard output" test "$(head -c1 "$T/.out")" = "{"
run "$CUSTODY" collect --no-nice --key k.key --json -o - tree
expect_rc "--json with -o - (the bundle on standard output) is refused" 2
expect_err_match "and says why" "^custody: --json: the bundle goes to standard output"

done_testing
