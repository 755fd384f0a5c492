#!/usr/bin/env bash
# canonical.sh: the tar and zstd sections of issue 19's tamper matrix.  A
# real bundle (plain and zstd) gets one attack from hostile_tar.py at a
# time; verify must fail (exit 1) naming the broken canonical rule and its
# offset in the tar stream ("offset N: "), or the zstd frame.  Where the
# attack is real, GNU tar is shown to extract something else than what
# was sealed (bsdtar, being libarchive, mostly sees what verify used to).
. "$E2E_LIB"

mkdir -p tree/sub
printf 'hello\n' >tree/a.txt
printf 'other\n' >tree/b.txt
printf 'utf-8 name\n' >"tree/résumé.txt"	# a name with a pax path=
head -c 1500000 /dev/urandom >tree/sub/big.bin	# two zstd frames
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id B -o good.tar \
    tree >/dev/null || exit 99
"$CUSTODY" collect --no-nice --key k.key --evidence-id B --compress zstd \
    -o good.tar.zst tree >/dev/null || exit 99
D="data$T/tree"
for e in tar tar.zst; do
	run "$CUSTODY" verify --pubkey k.pub "good.$e"
	expect_rc "the untouched bundle verifies ($e)" 0
	mkdir -p "sealed.$e" && tar -xf "good.$e" -C "sealed.$e" || exit 99
done

pyserve hostile_tar none good.tar.zst none.tar.zst || exit 99
# Only the attack differs: the tool frames a stream as custody does.
check "hostile_tar.py frames an unchanged stream into the same bytes" \
    cmp -s good.tar.zst none.tar.zst

# gnu_x BUNDLE: what GNU tar extracts from BUNDLE, in x.BUNDLE/.
gnu_x() {
	rm -rf "x.$1" && mkdir "x.$1" && tar -xf "$1" -C "x.$1" 2>/dev/null
	return 0
}

# attack NAME ARGS...: the attack made on both bundles, each failing
# verification with the canonical rule's message.  Leaves att-NAME.tar
# and att-NAME.tar.zst for the proofs.
attack() {
	local a=$1 e
	shift
	for e in tar tar.zst; do
		if ! pyserve hostile_tar "$a" "good.$e" "att-$a.$e" "$@"; then
			not_ok "$a ($e): the attack could not be made"
			continue
		fi
		run "$CUSTODY" verify --pubkey k.pub "att-$a.$e"
		expect_rc "$a ($e): verify fails" 1
		expect_err_match "$a ($e): the rule is named at its offset" \
		    '^custody: .*offset [0-9]+: '
	done
}

# differs NAME DESCRIPTION TEST: for both bundles, TEST EXT (EXT the
# bundle's extension, GNU tar's tree in x.att-NAME.EXT) shows that the
# attack is real.
differs() {
	local e
	for e in tar tar.zst; do
		gnu_x "att-$1.$e"
		check "$1 ($e): the attack is real: $2" "$3" "$e"
	done
}

# The proofs, each given the bundle's extension.
planted() { [ -f "x.att-global-plant.$1/B/$D/planted.txt" ]; }
forged() {
	! cmp -s "x.att-global-forge.$1/B/$D/a.txt" "sealed.$1/B/$D/a.txt"
}
swapped() {
	cmp -s "x.att-longname-path.$1/B/$D/a.txt" "sealed.$1/B/$D/b.txt"
}
setuid() { [ -u "x.att-mode.$1/B/$D/a.txt" ]; }
owner() { [ "$(stat -c %u "x.att-uid.$1/B/$D/a.txt")" = 1000 ]; }
group() { [ "$(stat -c %g "x.att-gid.$1/B/$D/a.txt")" = 1000 ]; }
retimed() {
	[ "$(stat -c %Y "x.att-mtime.$1/B/$D/a.txt")" != \
	    "$(stat -c %Y "sealed.$1/B/$D/a.txt")" ]
}
paxtimed() {
	[ "$(stat -c %Y "x.att-pax-mtime.$1/B/$D/résumé.txt")" = 1234567890 ]
}

# --- pax global header: members that only GNU tar reads
attack global-plant "$D/planted.txt" "planted by an attacker"
differs global-plant "GNU tar extracts a file that was never sealed" planted
attack global-forge "$D/a.txt" "forged"
differs global-forge "GNU tar overwrites a sealed file" forged

# --- GNU long names and links beside a pax path
attack longname-path "$D/a.txt" "$D/b.txt"
differs longname-path "GNU tar swaps two evidence files" swapped
attack longlink "$D/a.txt"

# --- each ustar field of a sealed member, with a valid checksum
for f in mode uid gid uname gname mtime devmajor devminor linkname prefix \
    magic chksum-space header-pad data-pad; do
	attack "$f" "$D/a.txt"
done
differs mtime "GNU tar extracts another modification time" retimed
if [ "$(id -u)" = 0 ]; then
	differs mode "GNU tar, as root, extracts a sealed file setuid" setuid
	differs uid "GNU tar, as root, gives a sealed file to uid 1000" owner
	differs gid "GNU tar, as root, gives a sealed file to gid 1000" group
fi

# --- after the end of the archive
attack trail-zero
attack trail-data

# --- pax records nothing needs
for r in mtime uid uname comment atime xattr; do
	attack "pax-$r" "$D/résumé.txt"
done
attack pax-needless "$D/a.txt"
differs pax-mtime "GNU tar extracts the pax header's time" paxtimed

# --- zstd framing
zattack() {
	pyserve hostile_tar "$1" good.tar.zst "att-$1.tar.zst" ||
	    { not_ok "$1: the attack could not be made"; return; }
	run "$CUSTODY" verify --pubkey k.pub "att-$1.tar.zst"
	expect_rc "$1: verify fails" 1
	expect_err_match "$1: the frame is named" '^custody: .*[Ff]rame'
}
frames() {
	[ "$(zstd -lv "$1" 2>/dev/null |
	    sed -n 's/^# Zstandard Frames: //p')" = "$2" ]
}
# same_tar Z: zstd reads from Z the tar stream that was sealed.
same_tar() {
	zstd -dcq "$1" | cmp -s - <(zstd -dcq good.tar.zst)
}
check "the sealed zstd bundle has two frames (for a frame in the middle)" \
    frames good.tar.zst 2
for z in zstd-skip-first zstd-skip-middle zstd-skip-last zstd-nocheck; do
	zattack "$z"
	check "$z: the attack is real: zstd decodes the same tar" \
	    same_tar "att-$z.tar.zst"
done
zattack zstd-dict
zattack zstd-trailing

# --- an honest bundle: every reader extracts the same tree.  Names that
# differ only in Unicode normal form (NFC and NFD, as macOS writes), a
# long name, a name with a space: GNU tar, bsdtar and custody extract must
# each give back exactly the sealed files (bsdtar turned NFD into NFC, and
# the twins into one file, before hdrcharset=BINARY).
mkdir uni
printf 'NFC\n' >"uni/$(printf 'na\303\257ve')"
printf 'NFD\n' >"uni/$(printf 'nai\314\210ve')"
printf 'long\n' >"uni/$(printf 'x%.0s' $(seq 200))"
printf 'space\n' >"uni/a b"
for ext in tar tar.zst; do
	"$CUSTODY" collect --no-nice --key k.key --evidence-id U -o "uni.$ext" \
	    uni >/dev/null 2>&1 || exit 99
	run "$CUSTODY" verify --pubkey k.pub "uni.$ext"
	expect_rc "uni.$ext: verifies" 0
	rm -rf gx bx cx && mkdir gx bx cx
	case $ext in
	tar) tar -xf "uni.$ext" -C gx 2>/dev/null ;;
	*) tar --zstd -xf "uni.$ext" -C gx 2>/dev/null ;;
	esac
	bsdtar -xf "uni.$ext" -C bx
	"$CUSTODY" extract --pubkey k.pub -C cx "uni.$ext" >/dev/null 2>&1
	check "uni.$ext: GNU tar and bsdtar extract the same tree" \
	    diff -r gx bx
	check "uni.$ext: and custody extract the same" diff -r gx cx
	check "uni.$ext: both twins are there, byte for byte" \
	    diff -r uni "gx/U/data$T/uni"
done

done_testing
