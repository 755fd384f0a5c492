#!/usr/bin/env bash
# matrix.sh: the tamper matrix (issue 6).  Real bundles made by the built
# binary (plain and zstd, several hash algorithms) are changed in one named
# way each; `custody verify --pubkey` must exit 1 and print the line that
# names the cause.  Zero false accepts.  A few rewrites that change nothing
# the seal covers are checked to verify, so that a failure above is the
# tampering's doing and not the rewriting's.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

KINDS=0
# The Debian python3: a shim found first in PATH may be slow to start.
make_tree tree
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
"$CUSTODY" keygen -o k2 >/dev/null 2>&1 || exit 99
c() {
	"$CUSTODY" collect --no-nice --key k.key --evidence-id B "$@" >/dev/null
}
c -o p.tar tree || exit 99
c --hash sha512,md5 -o z.tar.zst tree || exit 99
c --hash sha512,md5 -o oz.tar.zst tree || exit 99
c --hash sha1,sha512 -o s.tar tree || exit 99
D="data$T/tree"
K=$(key_id k.pub)
K2=$(key_id k2.pub)
NFC=$(printf 'r\303\251sum\303\251-\303\274.txt')
NFD=$(printf 're\314\201sume\314\201-u\314\210.txt')
RECORDS=$(tar -xOf p.tar B/metadata/files.jsonl | wc -l)
BAGINFO=$(tar -xOf p.tar B/bag-info.txt | wc -c)
SIG=signatures/tagmanifest-sha512.txt.minisig

# dg BUNDLE MEMBER ALG: the digest of a member's bytes.
dg() {
	tamper digest "$1" "$2" "$3"
}

# mk NAME IN OP [ARGS...]: the tampered copy of IN, in $B (NAME.tar or
# NAME.tar.zst, like IN).
mk() {
	NAME=$1
	B=$1.tar
	case $2 in *.zst) B=$1.tar.zst ;; esac
	tamper "$3" "$2" "$B" "${@:4}" || echo "# tamper.py $3 $2 failed"
}

# fails_match REGEX: verify $B with the trusted key exits 1, and a stderr
# line matches REGEX (for the rules of custody-bundle(5), whose messages
# give a byte offset).
fails_match() {
	run "$CUSTODY" verify --pubkey k.pub "$B"
	judge_match "$@"
}
# rule WHAT: the line of a canonical rule broken in $B (an ERE).
rule() {
	printf '^custody: %s: offset [0-9]+: %s \\(custody-bundle\\(5\\)\\)$' \
	    "${B//./\\.}" "$1"
}

# judge_match REGEX: the last run exited 1 and a stderr line matches REGEX.
judge_match() {
	KINDS=$((KINDS + 1))
	if [ "$RC" -eq 1 ] && grep -qE -- "$1" "$T/.err"; then
		ok "tamper $NAME: exit 1, $(grep -E -m1 -- "$1" "$T/.err")"
	else
		not_ok "tamper $NAME: exit $RC"
		printf '# want: %s\n# got: %s\n' "$1" "$ERR" | head -20
	fi
}

# judge LINE...: the last run exited 1 and printed every LINE on stderr.
judge() {
	local want miss=
	KINDS=$((KINDS + 1))
	for want in "$@"; do
		grep -qxF -- "$want" "$T/.err" || miss=$want
	done
	if [ "$RC" -eq 1 ] && [ -z "$miss" ]; then
		ok "tamper $NAME: exit 1, $1"
	else
		not_ok "tamper $NAME: exit $RC"
		printf '# want: %s\n# got: %s\n' "${miss:-exit 1}" "$ERR" |
		    head -20
	fi
}

# fails LINE...: verify $B with the trusted key; see judge.
fails() {
	run "$CUSTODY" verify --pubkey k.pub "$B"
	judge "$@"
}

# passes DESCRIPTION: verify $B with the trusted key exits 0.
passes() {
	run "$CUSTODY" verify --pubkey k.pub "$B"
	expect_rc "control: $1 verifies" 0
}

for b in p.tar z.tar.zst oz.tar.zst s.tar; do
	B=$b
	passes "the untouched bundle $b"
done
mk identity p.tar identity
passes "p.tar rewritten by tamper.py without a change"
mk identity z.tar.zst identity
passes "z.tar.zst rewritten by tamper.py without a change"
mk resigned p.tar identity --sign k.key k.pub
passes "p.tar re-signed by tamper.py with the trusted key"
mk identity-zstd-level z.tar.zst identity
passes "z.tar.zst compressed again by another zstd at another level"

# --- payload and tag bytes
mk payload-first-byte-flipped p.tar flip "$D/a.txt" 0
fails "custody: $D/a.txt: content sha256 is $(dg "$B" "$D/a.txt" sha256); manifest-sha256.txt says $(dg p.tar "$D/a.txt" sha256)"
mk payload-middle-byte-flipped-zstd z.tar.zst flip "$D/sub/random.bin"
fails "custody: $D/sub/random.bin: content sha512 is $(dg "$B" "$D/sub/random.bin" sha512); manifest-sha512.txt says $(dg z.tar.zst "$D/sub/random.bin" sha512)"
mk payload-last-byte-flipped s.tar flip "$D/sub/random.bin" -1
fails "custody: $D/sub/random.bin: content sha1 is $(dg "$B" "$D/sub/random.bin" sha1); manifest-sha1.txt says $(dg s.tar "$D/sub/random.bin" sha1)"
mk tag-file-byte-flipped p.tar flip metadata/acquisition.json 10
fails "custody: metadata/acquisition.json: sha512 differs from tagmanifest-sha512.txt: the file was altered"
mk payload-manifest-byte-flipped z.tar.zst flip manifest-md5.txt 0
fails 'custody: manifest-md5.txt: line 1 is not "<md5>  data/<name>"'

# --- truncation at every structural boundary, plain and zstd
for b in p.tar z.tar.zst; do
	for w in head data mid pad end endmid; do
		case $w in
		head | data | mid | pad) at=$w:$D/sub/random.bin ;;
		*) at=$w ;;
		esac
		mk "cut-$w-${b%%.*}" "$b" cut "$at"
		case $w-$b in
		data-p.tar | mid-p.tar)
			fails "custody: $B: B/$D/sub/random.bin: member claims 100000 bytes, more than the whole bundle holds"
			continue ;;
		head-*) want="the archive is cut short in a header" ;;
		data-* | mid-*) want="the archive is cut short in a member.s data" ;;
		pad-*) want="the archive is cut short in a member.s padding" ;;
		end-*) want="the archive ends without its end-of-archive marker: it was cut short" ;;
		*) want="the archive is cut short in its end-of-archive marker" ;;
		esac
		fails_match "$(rule "$want")"
	done
done
mk zstd-frame-cut z.tar.zst rawcut $(($(stat -c %s z.tar.zst) / 2))
fails_match "^custody: $B: zstd frame [0-9]+, offset [0-9]+: the zstd stream is (cut short|damaged: .*)$"

# --- members removed, added, renamed, duplicated, reordered
mk payload-removed z.tar.zst remove "$D/a.txt"
fails "custody: $D/a.txt: listed in manifest-sha256.txt but not in the bundle"
mk tag-file-removed p.tar remove metadata/bodyfile.txt
fails "custody: metadata/custody.jsonl: unexpected member where metadata/bodyfile.txt should be"
mk signature-removed p.tar remove $SIG
fails "custody: signatures/closing.txt: unexpected member where $SIG should be"
mk payload-added z.tar.zst add "$D/planted.txt" planted metadata/acquisition.json
fails "custody: $D/planted.txt: in the bundle but not listed in manifest-sha256.txt"
mk tag-file-added p.tar add metadata/notes.txt notes bag-info.txt
fails "custody: metadata/notes.txt: unexpected member where bag-info.txt should be"
mk fetch-added p.tar add fetch.txt "http://x/y 1 data/y" bag-info.txt
fails "custody: fetch.txt: unexpected member where bag-info.txt should be"
mk payload-renamed p.tar rename "$D/a.txt" "$D/b.txt"
fails "custody: $D/a.txt: listed in manifest-sha256.txt but not in the bundle" \
    "custody: $D/b.txt: in the bundle but not listed in manifest-sha256.txt"
mk tag-file-renamed p.tar rename metadata/bodyfile.txt metadata/bodyfile.text
fails "custody: metadata/bodyfile.text: unexpected member where metadata/bodyfile.txt should be"
mk payload-duplicated p.tar dup "$D/a.txt"
fails "custody: $D/a.txt: duplicate member"
mk tag-file-duplicated z.tar.zst dup metadata/files.jsonl
fails "custody: metadata/files.jsonl: unexpected member where metadata/bodyfile.txt should be"
mk payloads-swapped p.tar exchange "$D/a.txt" "$D/sub/random.bin"
fails "custody: $D/empty: members are not in the order of manifest-sha256.txt"
mk tag-file-moved p.tar move bag-info.txt manifest-sha256.txt
fails "custody: bag-info.txt: unexpected member where manifest-sha256.txt should be"
mk payload-moved-among-tags p.tar move "$D/a.txt" metadata/files.jsonl
fails "custody: $D/a.txt: unexpected member where metadata/files.jsonl should be"

# --- a payload member replaced by something that is not a regular file:
# the bytes of another tar's header (owner, mode) differ before its type
for kind in symlink hardlink chr blk fifo dir; do
	mk "payload-replaced-by-$kind" p.tar special "$D/a.txt" $kind
	fails_match "$(rule '(header type .* is not allowed|header field [a-z]+ is not canonical|the member.s headers are not canonical).*')"
done

# --- hostile and look-alike names
mk absolute-name p.tar add /etc/cron.d/x x metadata/acquisition.json
fails "custody: $B: /etc/cron.d/x: member is not inside one safe top directory"
mk dotdot-name z.tar.zst add data/../../etc/x x metadata/acquisition.json
fails "custody: $B: B/data/../../etc/x: unsafe member name"
mk dot-component p.tar add data/./x x metadata/acquisition.json
fails "custody: $B: B/data/./x: unsafe member name"
mk empty-component p.tar add data//x x metadata/acquisition.json
fails "custody: $B: B/data//x: unsafe member name"
mk other-top-directory p.tar add =C/data/x x metadata/acquisition.json
fails "custody: $B: C/data/x: member outside the bundle's top directory"
mk renamed-to-nfd p.tar rename "$D/$NFC" "$D/$NFD"
fails "custody: $D/$NFC: listed in manifest-sha256.txt but not in the bundle" \
    "custody: $D/$NFD: in the bundle but not listed in manifest-sha256.txt"
mk nfd-twin-added p.tar add "$D/$NFD" twin metadata/acquisition.json
fails "custody: $D/$NFD: in the bundle but not listed in manifest-sha256.txt"
mk renamed-to-upper-case p.tar rename "$D/a.txt" "$D/A.txt"
fails "custody: $D/a.txt: listed in manifest-sha256.txt but not in the bundle" \
    "custody: $D/A.txt: in the bundle but not listed in manifest-sha256.txt"
mk case-twin-added p.tar add "$D/A.TXT" twin metadata/acquisition.json
fails "custody: $D/A.TXT: in the bundle but not listed in manifest-sha256.txt"
mk non-canonical-escape p.tar add 'data/x^41' x metadata/acquisition.json
fails "custody: data/x^41: not a canonical stored name"

# --- manifests and signatures
mk manifest-line-forged z.tar.zst forge "$D/a.txt" forged
fails "custody: $SIG: signature: invalid signature over the data"
mk resigned-by-other-key p.tar forge "$D/a.txt" forged --sign k2.key k2.pub
fails "custody: $SIG: claims key ID $K2, which is not a trusted key ($K), and no key recorded in the bundle made it"
mk resigned-by-other-key-recorded p.tar forge "$D/a.txt" forged \
    --sign k2.key k2.pub --acq
fails "custody: $SIG: made by key $K2, which is not a trusted key ($K)"
NAME=resigned-by-other-key-recorded-vs-key-id
run "$CUSTODY" verify --trusted-key-id "$K" "$B"
judge "custody: $SIG: made by key $K2, which is not a trusted key ID ($K)"
mk signature-of-other-bundle z.tar.zst swap $SIG oz.tar.zst
fails "custody: $SIG: signature: invalid signature over the data"

# --- honest identities: every key ID the bundle states is its key's own
# lie.pub: key 2's public key carrying key 1's ID, as a forger would
# dress his key to pass for the responder's.
python3 - k.pub k2.pub >lie.pub <<'PY' || exit 99
import base64, sys
a, b = (base64.b64decode(open(f).read().splitlines()[1]) for f in sys.argv[1:])
print("untrusted comment: key 2 with key 1's ID")
print(base64.b64encode(b"Ed" + a[2:10] + b[10:]).decode())
PY
KB64=$(sed -n 2p k.pub)
K2B64=$(sed -n 2p k2.pub)
# every ID it states is a lie, and the show too
for b in p.tar z.tar.zst; do
	mk "forged-as-trusted-key-$b" "$b" forge "$D/a.txt" forged \
	    --sign k2.key lie.pub --acq
	LIE="custody: metadata/acquisition.json: seal public key: claims key ID $K but its key is $K2"
	fails "$LIE"
	run "$CUSTODY" verify "$B"
	NAME="$NAME (no trusted key)" judge "$LIE"
	run "$CUSTODY" verify --trusted-key-id "$K" "$B"
	NAME="$NAME (--trusted-key-id)" judge "$LIE"
	run "$CUSTODY" show "$B"
	NAME="$NAME (show)" judge "$LIE"
	expect_out_match "show prints the key's own ID, not the claimed one" \
	    "^seal key: +$K2 \(derived from the public key below\)\$"
	# the key recorded honestly, its key_id still the responder's
	tamper edit "$b" "a1-$b" metadata/acquisition.json "$KB64" "$K2B64" ||
	    exit 99
	mk "acquisition-key-id-lies-$b" "a1-$b" identity --sign k2.key k2.pub
	run "$CUSTODY" verify "$B"
	judge "custody: metadata/acquisition.json: seal key_id: claims key ID $K but its key is $K2"
	run "$CUSTODY" show "$B"
	NAME="$NAME (show)" judge "custody: metadata/acquisition.json: seal key_id: claims key ID $K but its key is $K2"
	# the signature names the responder's key; the bundle's key is key 2
	mk "signature-claims-trusted-id-$b" "a1-$b" edit \
	    metadata/acquisition.json "\"key_id\": \"$K\"" \
	    "\"key_id\": \"$K2\"" --sign k2.key lie.pub
	run "$CUSTODY" verify "$B"
	judge "custody: $SIG: signature: claims key ID $K but its key is $K2 (checked with the key recorded in the bundle)"
	# re-signed with key 2 recorded: bag-info.txt and custody.jsonl lie
	mk "bag-info-key-id-lies-$b" "$b" identity --sign k2.key k2.pub --acq
	run "$CUSTODY" verify "$B"
	judge "custody: bag-info.txt: Custody-Key-ID: claims key ID $K but its key is $K2"
	tamper edit "$b" "a2-$b" bag-info.txt "Custody-Key-ID: $K" \
	    "Custody-Key-ID: $K2" || exit 99
	mk "custody-events-key-id-lies-$b" "a2-$b" identity \
	    --sign k2.key k2.pub --acq
	run "$CUSTODY" verify "$B"
	judge "custody: metadata/custody.jsonl: event 1: claims key ID $K but its key is $K2"
	# all of it made honest: intact, origin unverified, key 2 named
	tamper edit "a2-$b" "a3-$b" metadata/custody.jsonl "\"key_id\":\"$K\"" \
	    "\"key_id\":\"$K2\"" || exit 99
	mk "honest-key-2-$b" "a3-$b" identity --sign k2.key k2.pub --acq
	run "$CUSTODY" verify "$B"
	expect_rc "control: the same bundle honest about key 2" 4
	expect_out_match "names key 2" "^seal key: +$K2, signature valid"
done
run "$CUSTODY" verify --pubkey lie.pub p.tar
expect_rc "a --pubkey file whose ID is not its key's" 2
expect_err "is refused, naming both IDs" \
    "custody: lie.pub: claims key ID $K but its key is $K2"

# --- well-formedness, even when signed by the trusted key itself
python3 -c 'print("[" * 100000 + "]" * 100000)' >deep.json
mk deep-json-in-files-jsonl p.tar append metadata/files.jsonl deep.json \
    --sign k.key k.pub
# refused by its shape before it is parsed (custody(1), the bounds of verify)
fails "custody: metadata/files.jsonl: line $((RECORDS + 1)): nested deeper than a record (at most 256 values, 3 levels)"
mk deep-json-acquisition p.tar replace metadata/acquisition.json deep.json \
    --sign k.key k.pub
fails "custody: metadata/acquisition.json: not a JSON object"
printf '{"path":"\377","status":"ok"}\n' >bad.jsonl
mk invalid-utf8-in-files-jsonl p.tar append metadata/files.jsonl bad.jsonl \
    --sign k.key k.pub
fails "custody: metadata/files.jsonl: line $((RECORDS + 1)): unable to decode byte 0xff near '\"'"
mk invalid-utf8-in-bag-info p.tar edit bag-info.txt Custody-Format \
    'Custody-\xffFormat' --sign k.key k.pub
fails "custody: bag-info.txt: not UTF-8"
mk invalid-utf8-in-bodyfile p.tar edit metadata/bodyfile.txt '|' '|\xff' \
    --sign k.key k.pub
fails "custody: metadata/bodyfile.txt: line 1 is not UTF-8"
mk invalid-utf8-in-custody-jsonl p.tar edit metadata/custody.jsonl '"seq"' \
    '"\xffseq"'
fails "custody: metadata/custody.jsonl: sha512 differs from tagmanifest-sha512.txt: the file was altered"
mk payload-oxum-edited p.tar edit bag-info.txt 'Payload-Oxum: ' \
    'Payload-Oxum: 1' --sign k.key k.pub
fails "custody: bag-info.txt: Payload-Oxum says 1$(sed -n 's/^Payload-Oxum: //p' <(tar -xOf p.tar B/bag-info.txt)) (bytes.files); the bundle holds $(sed -n 's/^Payload-Oxum: //p' <(tar -xOf p.tar B/bag-info.txt))"
h=$(dg p.tar "$D/a.txt" sha256)
mk files-jsonl-digest-edited p.tar edit metadata/files.jsonl "\"sha256\":\"$h\"" \
    "\"sha256\":\"${h//[0-9]/0}\"" --sign k.key k.pub
fails "custody: $D/a.txt: files.jsonl gives sha256 ${h//[0-9]/0}, the content is $h"

# --- after the end of the archive
mk trailing-garbage p.tar trail garbage
fails_match "$(rule 'data after the end-of-archive marker')"
mk trailing-garbage-in-zstd-stream z.tar.zst trail garbage
fails_match "$(rule 'data after the end-of-archive marker')"
# Not even zeros may follow the end marker (tar(1) pads to a record).
mk zero-padding-after-the-end p.tar trail '\x00'
fails_match "$(rule 'data after the end-of-archive marker')"
mk second-archive p.tar concat p.tar
fails_match "$(rule 'data after the end-of-archive marker')"
mk second-archive-in-zstd-frame z.tar.zst concat oz.tar.zst
fails_match "$(rule 'data after the end-of-archive marker')"
mk second-zstd-frame z.tar.zst rawcat oz.tar.zst
fails_match "^custody: $B: zstd frame 1, offset [0-9]+: frame 0 holds [0-9]+ bytes; only the last may hold fewer than 1048576$"
printf 'garbage' >garbage
mk garbage-after-zstd-frame z.tar.zst rawcat garbage
fails_match "^custody: $B: zstd frame 1, offset [0-9]+: not a zstd frame: data after the last frame$"

# --- sizes: refused by the bound, before anything is read
mk files-jsonl-claims-10GiB p.tar size metadata/files.jsonl 10737418240
fails "custody: $B: B/metadata/files.jsonl: member claims 10737418240 bytes, more than the whole bundle holds"
mk files-jsonl-claims-10GiB-zstd z.tar.zst size metadata/files.jsonl \
    10737418240
fails "custody: $B: B/metadata/files.jsonl: member claims 10737418240 bytes, more than the bundle may expand to (see --max-expansion)"
NAME=files-jsonl-claims-10GiB-through-a-pipe
run bash -c "cat files-jsonl-claims-10GiB.tar |
    \"\$CUSTODY\" verify --pubkey k.pub -"
judge_match '^custody: standard input: offset [0-9]+: the archive is cut short in a member.s data \(custody-bundle\(5\)\)$'
head -c 2000000 /dev/zero | tr '\0' x >big.txt
mk bag-info-over-1MiB p.tar append bag-info.txt big.txt
fails "custody: bag-info.txt: $((BAGINFO + 2000000)) bytes, more than the 1048576 this member may have"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' x >long.txt
echo >>long.txt
mk files-jsonl-line-over-1MiB p.tar append metadata/files.jsonl long.txt
fails "custody: metadata/files.jsonl: line $((RECORDS + 1)) is longer than 1048576 bytes"

# --- pax headers with hostile keywords
# Every pax record but path and size is refused by name; those two only
# where the name or size needs them, in canonical form.
mk pax-linkpath p.tar pax "$D/a.txt" linkpath=/etc/shadow
fails_match "$(rule "pax record 'linkpath' is not allowed")"
mk pax-hdrcharset-binary-name p.tar pax "$D/a.txt" hdrcharset=BINARY \
    'path=B/data/x\xff'
fails_match "$(rule "(header field name is not canonical|the pax records are not canonical)")"
mk pax-binary-name p.tar rename "$D/a.txt" $'=B/data/x\xff'
fails "custody: $B: B/data/x^FF: member name is not UTF-8"
mk pax-path-escapes p.tar rename "$D/a.txt" '=../../x'
fails "custody: $B: ../../x: member is not inside one safe top directory"
mk pax-path-unneeded p.tar pax "$D/a.txt" path=B/data/x
fails_match "$(rule "the member.s headers are not canonical \\(a pax header where none is due, or none where one is\\)")"
mk pax-linkpath-on-hard-link p.tar special "$D/a.txt" hardlink
tamper pax "$B" pax-linkpath.tar "$D/a.txt" linkpath=/etc/shadow
B=pax-linkpath.tar
fails_match "$(rule "(pax record 'linkpath' is not allowed|header type '1' is not allowed.*|header field [a-z]+ is not canonical)")"
mk pax-size-smaller p.tar pax "$D/sub/random.bin" size=10
fails_match "$(rule "(the member.s headers are not canonical.*|the pax records are not canonical)")"
mk pax-size-larger p.tar pax "$D/a.txt" size=600
fails_match "$(rule "(the member.s headers are not canonical.*|the pax records are not canonical)")"
mk pax-gnu-sparse p.tar pax "$D/sub/random.bin" GNU.sparse.size=200000 \
    GNU.sparse.numblocks=1 GNU.sparse.offset=0 GNU.sparse.numbytes=100000
fails_match "$(rule "pax record 'GNU.sparse.[a-z]+' is not allowed")"

# --- bundles with an RFC 3161 token and a custody log (issue 4): a test
# TSA on loopback, as tsa.sh runs it
if "$CUSTODY" collect --help | grep -q -- --tsa && [ -f "$HERE/pki.sh" ]; then
	# shellcheck source=pki.sh
	. "$HERE/pki.sh"
	make_ca ca "/CN=Custody Test Root" || exit 99
	make_tsa tsa ca || exit 99
	start_tsa tsa || exit 99
	for b in t.tar t.tar.zst ot.tar.zst; do
		c --tsa "$TSA_URL" -o $b tree || exit 99
	done
	TSR=timestamps/tagmanifest-sha512.txt.minisig.tsr
	# stamped NAME [ARGS...]: verify $B with the trusted key and TSA CA.
	stamped() {
		NAME=$1
		shift
		run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem "$@" "$B"
	}
	for b in t.tar t.tar.zst; do
		B=$b
		run "$CUSTODY" verify --pubkey k.pub --tsa-ca ca.pem \
		    --require-timestamp "$B"
		expect_rc "control: $b, with a token and a custody log, verifies" 0
	done
	mk stamped-payload-flipped t.tar.zst flip "$D/a.txt" 0
	cp t.tar.zst.custody "$B.custody"
	stamped "$NAME"
	judge "custody: $D/a.txt: content sha256 is $(dg "$B" "$D/a.txt" sha256); manifest-sha256.txt says $(dg t.tar.zst "$D/a.txt" sha256)"
	mk token-of-other-bundle t.tar.zst swap $TSR ot.tar.zst
	stamped "$NAME"
	judge "custody: $TSR: token: the imprint is not the SHA-256 of this signature file: the token covers other data"
	mk token-signature-byte-flipped t.tar flip $TSR -1
	stamped "$NAME"
	judge_match "^custody: $TSR: token: the TSA's signature does not verify"
	mk token-removed t.tar remove $TSR
	stamped "$NAME" --require-timestamp
	judge "custody: $B: no token verified against --tsa-ca, in the bundle or its custody log (--require-timestamp)"
	mk token-moved-before-signature t.tar move $TSR $SIG
	stamped "$NAME"
	judge "custody: $TSR: unexpected member where $SIG should be"
	B=log-of-other-bundle.tar
	cp t.tar $B && cp ot.tar.zst.custody $B.custody
	stamped log-of-other-bundle
	judge_match "^custody: $B\.custody: event 0 \(sealed\): bound to another bundle "
	B=log-event-edited.tar
	cp t.tar $B && sed 's/collector/Collector/' t.tar.custody >$B.custody
	stamped log-event-edited
	judge "custody: $B.custody: event 0 (sealed): its signature does not verify: the event was altered after it was signed"
	B=log-cut-short.tar
	cp t.tar $B && cp t.tar.custody $B.custody
	head=$("$CUSTODY" transfer --from "A. Responder" --to "B. Lab" \
	    --key k.key $B | sed -n 's/^head: *//p')
	sed -i '$d' $B.custody
	stamped log-cut-short --log-head "$head"
	judge_match "^custody: $B\.custody: the log ends at event 0 \(sealed\) .*: events were removed from its end, or it was altered\$"
else
	ok "tokens and custody logs # SKIP collect has no --tsa (issue 4 absent)"
fi

# Optional members stripped, added or replaced, and a custody log that
# disagrees with its bundle: closing.sh (e2e-closing).
check "at least 30 distinct tamperings ($KINDS)" test "$KINDS" -ge 30
done_testing
