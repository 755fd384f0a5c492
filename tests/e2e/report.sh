#!/usr/bin/env bash
# report.sh: custody verify --report writes a report to attach, text or
# HTML: the same bytes for the same bundle and options (whatever the
# clock says), HTML escaped, the custody log as a table, and stock
# commands that, run as written, redo each check.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
mkdir -p tree && printf 'hello\n' >tree/a.txt && printf 'x\n' >'tree/b c.txt' ||
    exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id REP -o b.tar tree \
    >/dev/null 2>&1 || exit 99
"$CUSTODY" transfer --from 'Ann <script>alert(1)</script>' --to 'Bob' \
    --key k.key --location "Lab's \"2\" & co" b.tar >/dev/null 2>&1 || exit 99

run "$CUSTODY" verify --pubkey k.pub --report r1.txt b.tar
expect_rc "verify --report FILE.txt: verified" 0
check "the usual report is still on standard output" \
    grep -q '^verdict: *VERIFIED' "$T/.out"
# Another clock, if faketime is here, for the second run (its preload
# cannot come before a sanitizer's runtime).
FT=()
if [ -z "$ASAN" ] && command -v faketime >/dev/null; then
	FT=(faketime '2031-02-03 04:05:06')
fi
"${FT[@]}" "$CUSTODY" verify --pubkey k.pub --report r2.txt b.tar \
    >/dev/null 2>&1
check "two runs give the same bytes (text)" cmp r1.txt r2.txt
"$CUSTODY" verify --pubkey k.pub --report r1.html b.tar >/dev/null 2>&1
"${FT[@]}" "$CUSTODY" verify --pubkey k.pub --report r2.html b.tar \
    >/dev/null 2>&1
check "two runs give the same bytes (HTML)" cmp r1.html r2.html
K=$(key_id k.pub)
check "names the seal key and the key file trusted" \
    grep -qx "seal key ID (derived from the key): $K" r1.txt
check "the custody log as a table, a row per event" \
    test "$(grep -cE '^[0-9]+ \| (sealed|transferred) \|' r1.txt)" = 2
check "HTML: the log's text escaped, no markup of its own" \
    python3 - r1.html <<'EOF'
import sys
from html.parser import HTMLParser
t = open(sys.argv[1]).read()
assert "<script" not in t and "&lt;script&gt;alert(1)&lt;/script&gt;" in t
assert "Lab&#39;s &quot;2&quot; &amp; co" in t
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, tag, a):
        if tag not in ("meta",): self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()
p = P(); p.feed(t); p.close()
assert p.stack == [], p.stack
EOF

# The stock commands, as the report writes them, in an empty directory.
sed -n 's/^\$ //p' r1.txt >cmds.sh
check "the report gives the stock commands (sha256sum, sha512sum, minisign)" \
    test "$(grep -cE '^(echo .*sha256sum|sha256sum|sha512sum|minisign|tar|diff)' cmds.sh)" -ge 7
mkdir redo
check "each one succeeds on the bundle verified" \
    bash -c "cd redo && bash -e ../cmds.sh >/dev/null 2>&1"
# Another bundle in its place: the commands must notice.
"$CUSTODY" collect --no-nice --key k.key --evidence-id REP -o other.tar tree \
    >/dev/null 2>&1 || exit 99
cp other.tar b.tar
mkdir redo2
check "and fail on another bundle put in its place" \
    bash -c "cd redo2 && ! bash -e ../cmds.sh >/dev/null 2>&1"

run "$CUSTODY" verify --pubkey k.pub --report /nonexistent/r.txt other.tar
expect_rc "a report that cannot be written" 3

done_testing
