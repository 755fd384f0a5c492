#!/usr/bin/env bash
# extract.sh: custody extract verifies first and copies the bag out only
# when verify would accept it (or with --force, said aloud), so that stock
# tools can check it; and a hostile bundle cannot make it write anywhere
# else: no "..", absolute or foreign names, no links or devices made, no
# link followed, nothing overwritten.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
make_tree tree
"$CUSTODY" collect --no-nice --key k.key --evidence-id EXT -o b.tar.zst tree \
    >/dev/null 2>&1 || exit 99

# --- a real bundle, checked with stock tools after extraction
K=$(key_id k.pub)
mkdir out
run "$CUSTODY" extract -C out --pubkey k.pub b.tar.zst
expect_rc "extract a sealed .tar.zst bundle, verified with its key" 0
expect_out_match "says what it wrote, and that it was verified" \
    "^extracted out/EXT: [0-9]+ files, [0-9]+ directories, [0-9]+ bytes \\(verified: sealed by trusted key $K\\)\$"
check "sha256sum -c passes in the extracted bag" \
    bash -c "cd out/EXT && sha256sum --strict --quiet -c manifest-sha256.txt"
check "sha512sum -c passes on the tag manifest" \
    bash -c "cd out/EXT && sha512sum --strict --quiet -c tagmanifest-sha512.txt"
check "minisign verifies the seal" bash -c "cd out/EXT && minisign -q -Vm \
    tagmanifest-sha512.txt -x signatures/tagmanifest-sha512.txt.minisig \
    -p $T/k.pub"
check "the same bytes as tar -x" bash -c "mkdir tx && zstd -dcq b.tar.zst |
    tar -xf - -C tx && diff -r tx/EXT out/EXT"
check "files are 0600 and directories 0700" test \
    "$(find out/EXT -type f ! -perm 600 -o -type d ! -perm 700 | wc -l)" = 0
check "no link was made (the bundle's symlinks are records, not members)" \
    test "$(find out -type l | wc -l)" = 0
run "$CUSTODY" extract -C out b.tar.zst
expect_rc "the bag directory already there (and no key trusted)" 3
expect_err "is refused" "custody: b.tar.zst: EXT: the bag directory cannot be created (it must not exist yet): File exists"
run "$CUSTODY" extract -C out - <b.tar.zst
expect_rc "from standard input, likewise" 3
rm -rf out
mkdir out
run "$CUSTODY" extract -C out b.tar.zst
expect_rc "without a trusted key: extracted, as verify's exit 4" 4
expect_out_match "and says the origin is unverified" \
    "^extracted out/EXT: .* \\(intact, origin unverified: key $K is not one you trust"
rm -rf out
mkdir out
run bash -c 'cat b.tar.zst | "$1" extract -C out --pubkey k.pub -' _ "$CUSTODY"
expect_rc "from a pipe: copied aside, verified, extracted" 0
check "the same tree" bash -c "mkdir tp && zstd -dcq b.tar.zst |
    tar -xf - -C tp && diff -r tp/EXT out/EXT"
check "and nothing else left in out/" test "$(ls -A out)" = EXT
rm -rf out tp

# --- what verify refuses, extract refuses, and writes nothing
python3 "$HERE/tamper.py" flip b.tar.zst flipped.tar.zst "data$T/tree/a.txt" 0 ||
    exit 99
mkdir out
run "$CUSTODY" extract -C out --pubkey k.pub flipped.tar.zst
expect_rc "a payload byte flipped: refused" 1
expect_err "names the cause, as verify does" \
    "custody: data$T/tree/a.txt: content sha256 is $(python3 "$HERE/tamper.py" digest flipped.tar.zst "data$T/tree/a.txt" sha256); manifest-sha256.txt says $(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
expect_err "says nothing was written" \
    "custody: flipped.tar.zst: not extracted: it failed verification (validity check); nothing was written (--force extracts it anyway)"
check "and wrote nothing" test -z "$(ls -A out)"
run "$CUSTODY" extract -C out flipped.tar.zst
expect_rc "refused without a trusted key too" 1
check "still nothing" test -z "$(ls -A out)"
run bash -c 'cat flipped.tar.zst | "$1" extract -C out --pubkey k.pub -' _ \
    "$CUSTODY"
expect_rc "refused from a pipe" 1
check "nothing left, not even the copy of the pipe" test -z "$(ls -A out)"
run "$CUSTODY" extract -C out --force --pubkey k.pub flipped.tar.zst
expect_rc "--force extracts it, and still exits 1" 1
expect_err "with a warning on stderr" \
    "custody: warning: --force: extracting flipped.tar.zst, which FAILED verification (validity check)"
expect_out_match "and in the summary" \
    '^extracted out/EXT: [0-9]+ files, [0-9]+ directories, [0-9]+ bytes \(FORCED \(--force\): the bundle FAILED verification, validity check\)$'
check "the flipped file is there" test "$(head -c 1 "out/EXT/data$T/tree/a.txt")" != h
rm -rf out
# a bundle re-signed by another key that claims the trusted key's ID
"$CUSTODY" keygen -o k2 >/dev/null 2>&1 || exit 99
python3 - k.pub k2.pub >lie.pub <<'PY' || exit 99
import base64, sys
a, b = (base64.b64decode(open(f).read().splitlines()[1]) for f in sys.argv[1:])
print("untrusted comment: key 2 with key 1's ID")
print(base64.b64encode(b"Ed" + a[2:10] + b[10:]).decode())
PY
python3 "$HERE/tamper.py" forge b.tar.zst lying.tar.zst "data$T/tree/a.txt" \
    forged --sign k2.key lie.pub --acq || exit 99
mkdir out
run "$CUSTODY" extract -C out lying.tar.zst
expect_rc "a key dressed as the trusted one: refused" 1
expect_err "naming both IDs" \
    "custody: metadata/acquisition.json: seal public key: claims key ID $K but its key is $(key_id k2.pub)"
check "nothing written" test -z "$(ls -A out)"
rm -rf out
mkdir out elsewhere
ln -s "$T/elsewhere" out/EXT
run "$CUSTODY" extract -C out b.tar.zst
expect_rc "a symlink planted where the bag goes" 3
check "is not followed" test -z "$(ls elsewhere)"
rm -rf out tx

# --- hostile bundles: each refused, nothing written outside out/
# hostile NAME: a tar whose members python3 lays out below.
hostile() {
	python3 - "$1" "$HERE" <<'PY'
import io, os, sys, tarfile
sys.path.insert(0, sys.argv[2])
import canon
kind = sys.argv[1]
# Regular members in the canonical form (custody-bundle(5)), so that what
# is refused is the hostile name or type, not another tar's header.
def reg(t, name, data=b"x\n"):
    t.fileobj.write(canon.member(name.encode(), data, 1700000000))
    t.offset += len(canon.member(name.encode(), data, 1700000000))
def special(t, name, typ, target=""):
    i = tarfile.TarInfo(name)
    i.type = typ
    i.linkname = target
    t.addfile(i)
with tarfile.open(kind + ".tar", "w", format=tarfile.PAX_FORMAT) as t:
    reg(t, "H/bagit.txt")
    if kind == "dotdot":
        reg(t, "H/../escaped")
    elif kind == "absolute":
        reg(t, "/tmp/escaped-absolute")
    elif kind == "foreign":
        reg(t, "G/escaped")
    elif kind == "symlink-then-file":
        special(t, "H/data", tarfile.SYMTYPE, "../../elsewhere")
        reg(t, "H/data/escaped")
    elif kind == "hardlink":
        special(t, "H/data", tarfile.LNKTYPE, "H/bagit.txt")
    elif kind == "device":
        special(t, "H/data", tarfile.CHRTYPE)
    elif kind == "fifo":
        special(t, "H/data", tarfile.FIFOTYPE)
    elif kind == "directory":
        special(t, "H/data", tarfile.DIRTYPE)
    elif kind == "twice":
        reg(t, "H/bagit.txt", b"second\n")
    elif kind == "file-then-dir":
        reg(t, "H/bagit.txt/escaped")
    elif kind == "control":
        reg(t, "H/data/a\nb")
PY
}
for kind in dotdot absolute foreign symlink-then-file hardlink device fifo \
    directory twice file-then-dir control; do
	hostile "$kind" || exit 99
	mkdir out
	run "$CUSTODY" extract -C out "$kind.tar"
	expect_rc "hostile bundle: $kind, refused" 1
	check "nothing written ($kind)" test -z "$(ls -A out)"
	run "$CUSTODY" extract -C out --force "$kind.tar"
	expect_rc "hostile bundle: $kind, with --force" 1
	expect_err_match "names the bundle and the member" "^custody: $kind\\.tar: "
	check "nothing outside out/ ($kind)" test \
	    "$(ls | sort | tr '\n' ' ')" = "$(printf '%s\n' "$kind.tar" b.tar.zst \
	    b.tar.zst.custody b.tar.zst.sha256 elsewhere k.key k.pub out tree \
	    flipped.tar.zst k2.key k2.pub lie.pub lying.tar.zst |
	    sort | tr '\n' ' ')"
	check "elsewhere/ and /tmp untouched ($kind)" bash -c \
	    "test -z \"\$(ls elsewhere)\" && ! test -e /tmp/escaped-absolute"
	check "no link or device made ($kind)" test \
	    "$(find out ! -type f ! -type d | wc -l)" = 0
	if [ "$kind" = twice ]; then
		check "the first of a member named twice is kept, not overwritten" \
		    test "$(cat out/H/bagit.txt)" = x
	fi
	rm -rf out "$kind.tar"
done

# --- the expansion bound is the verifier's
run "$CUSTODY" extract --max-expansion 2x b.tar.zst
expect_rc "--max-expansion takes a whole number" 2
run "$CUSTODY" extract
expect_rc "no bundle is a usage error" 2
run "$CUSTODY" extract -C missing-dir b.tar.zst
expect_rc "a missing target directory" 3
expect_err "is named" "custody: missing-dir: No such file or directory"

done_testing
