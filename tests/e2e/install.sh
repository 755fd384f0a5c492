#!/usr/bin/env bash
# install.sh: the version every bundle records comes from git describe
# (tools/version.py), and `meson install` puts the binary, every man page and
# every shipped manifest where the installed binary finds them.  The install
# is a build of its own with a prefix under $T: the manifest directory is
# compiled in, so the tested build (and a --destdir install of it) would
# look in its own prefix, not in $T.  -Dtests=false and no optimisation keep
# it to about 20 s on two busy cores.
. "$E2E_LIB"

VERSION_PY=$SOURCE_ROOT/tools/version.py
PROJECT=$(sed -n "s/^  version : '\\(.*\\)',\$/\\1/p" "$SOURCE_ROOT/meson.build")
check "meson.build states the project's version" test -n "$PROJECT"

# same DESCRIPTION GOT WANT: one test, passing when GOT is WANT.
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '# got:  %s\n# want: %s\n' "$2" "$3"
	fi
}

# ------------------------------------------------- the version, from git
g() { git -C repo -c user.name=t -c user.email=t@example.org "$@"; }
version() { python3 "$VERSION_PY" "$1" 0.1.0; }

if command -v git >/dev/null; then
	git init -q repo && echo a >repo/a && g add a && g commit -qm a
	h=$(g rev-parse HEAD)
	run version "$T/repo"
	same "no tag: the project's version and the commit" \
	    "$OUT" "0.1.0-g${h:0:12}"
	echo b >repo/a
	run version "$T/repo"
	same "a changed tracked file: -dirty" \
	    "$OUT" "0.1.0-g${h:0:12}-dirty"
	echo u >repo/untracked
	g checkout -q a
	run version "$T/repo"
	same "an untracked file is not a change to the build's sources" \
	    "$OUT" "0.1.0-g${h:0:12}"
	g tag marker
	run version "$T/repo"
	same "a tag that names no version is not a version" \
	    "$OUT" "0.1.0-g${h:0:12}"
	g tag -a -m release v0.2.0
	run version "$T/repo"
	same "at an annotated version tag: the tag" "$OUT" v0.2.0
	g commit -q --allow-empty -m b
	g tag 0.3
	run version "$T/repo"
	same "a lightweight version tag counts too" "$OUT" 0.3
	g commit -q --allow-empty -m c
	h=$(g rev-parse HEAD)
	run version "$T/repo"
	same "past the tag: the commits since and the commit" \
	    "$OUT" "0.3-1-g${h:0:12}"
	g tag 'v9"x'
	run version "$T/repo"
	same "a tag that cannot go into a C string is not used" \
	    "$OUT" "0.1.0-g${h:0:12}"
	mkdir repo/sub
	run version "$T/repo/sub"
	check "not the top of a checkout (a tarball in another repository): exit 1, so meson uses the project's version" \
	    test "$RC" -eq 1 -a -z "$OUT"
fi
mkdir plain
run version "$T/plain"
check "not a checkout: exit 1" test "$RC" -eq 1 -a -z "$OUT"

# What the tested build says: what version.py says of its sources now.
run python3 "$VERSION_PY" "$SOURCE_ROOT" "$PROJECT"
want=${OUT:-$PROJECT}
run "$CUSTODY" --version
same "custody --version: custody $want" "${OUT%%$'\n'*}" "custody $want"
expect_out_match "--version says how it is linked" '^linked: dynamic$'
expect_out_match "and the SHA-256 of the binary" \
    "^sha256: $(sha256sum <"$CUSTODY" | cut -c1-64) /proc/self/exe\$"
if [ "$want" != "$PROJECT" ]; then
	hash=${want%-dirty}
	hash=${hash##*-g}
	check "the version's commit is HEAD's" \
	    test "$(git -C "$SOURCE_ROOT" rev-parse HEAD | cut -c1-${#hash})" \
	    = "$hash"
fi

# ----------------------------------------------------------- the install
# A build of its own, plain and without tests: the sanitizer build's run
# would only build and install the same thing again.
if [ -n "$ASAN" ]; then
	ok "# SKIP the install is checked by the plain build's run"
	done_testing
	exit
fi
P=$T/prefix
MDIR=$P/share/custody/manifests
if meson setup --prefix="$P" -Dtests=false -Dbuildtype=plain \
    "$T/build" "$SOURCE_ROOT" >build.log 2>&1 &&
    meson compile -C "$T/build" >>build.log 2>&1 &&
    meson install -C "$T/build" >>build.log 2>&1; then
	ok "a build with --prefix=\$T/prefix installs"
else
	not_ok "a build with --prefix=\$T/prefix installs"
	sed 's/^/# /' build.log | tail -20
	done_testing
	exit
fi
check "the binary is installed" test -x "$P/bin/custody"
for page in "$SOURCE_ROOT"/man/*.[1-8]; do
	base=${page##*/}
	check "man page $base is installed" \
	    cmp -s "$page" "$P/share/man/man${base##*.}/$base"
done
for m in "$SOURCE_ROOT"/manifests/*.yaml; do
	check "manifest ${m##*/} is installed" cmp -s "$m" "$MDIR/${m##*/}"
done
run "$P/bin/custody" --version
same "the installed binary's version is the tested build's" \
    "${OUT%%$'\n'*}" "custody $want"

# `custody manifests` lists the installed ones by the name -m takes.
run "$P/bin/custody" manifests
expect_rc "custody manifests" 0
builtin_sha=$(sed -n '2s/^  sha256 //p' "$T/.out")
expect_out_match "lists the built-in manifest" \
    '^linux-triage\.yaml \(built in\): [0-9]+ artefacts$'
expect_out_match "and the installed one, by name and path" \
    "^linux-triage \\(installed: $MDIR/linux-triage\\.yaml\\): [0-9]+ artefacts\$"
check "which is the built-in manifest's copy" \
    test "$(sed -n '/^linux-triage (installed/{n;s/^  sha256 //p;}' "$T/.out")" = "$builtin_sha" \
    -a "$builtin_sha" = "$(sha256sum <"$MDIR/linux-triage.yaml" | cut -c1-64)"
run "$P/bin/custody" manifests --help
expect_out_match "--help names the directory" "^ *$MDIR\$"
run "$P/bin/custody" manifests linux-triage
expect_rc "custody manifests NAME checks the installed manifest" 0
expect_out_match "by its path" "^$MDIR/linux-triage\\.yaml: [0-9]+ artefacts\$"

# Collect with -m naming the installed manifest, from a small image, and
# verify.  A file of the same name in the current directory does not count.
mkdir -p img/etc/ssh img/home
printf 'root:x:0:0:root:/root:/bin/sh\n' >img/etc/passwd
printf 'Port 22\n' >img/etc/ssh/sshd_config
printf 'version: 1\nartifacts:\n  -\n    description: x\n    collector: file\n    path: /etc/ssh\n' >linux-triage
run "$P/bin/custody" collect --no-nice --root img -m linux-triage -o b.tar
check "collect -m linux-triage (the installed one) completes" \
    test "$RC" -eq 0 -o "$RC" -eq 1
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
run "$P/bin/custody" verify --trusted-key-id "$ID" b.tar
expect_rc "and verifies" 0
tar -xOf b.tar --wildcards '*/metadata/acquisition.json' >acq.json
check "acquisition.json names the installed manifest by its path" \
    grep -qF "\"name\": \"$MDIR/linux-triage.yaml\"" acq.json
check "with its SHA-256" grep -qF "\"sha256\": \"$builtin_sha\"" acq.json
check "and the installed binary's version" \
    grep -qF "\"version\": \"$want\"" acq.json
tar -xOf b.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "the image's /etc/passwd was collected" \
    grep -q '"path":"/etc/passwd"' files.jsonl
run "$P/bin/custody" collect --no-nice --root img -m ./linux-triage \
    -o local.tar
expect_rc "collect -m ./linux-triage reads the file here" 0
check "and only what it names" \
    bash -c "tar -xOf local.tar --wildcards '*/metadata/files.jsonl' |
    grep -q '\"path\":\"/etc/ssh/sshd_config\"' &&
    ! tar -xOf local.tar --wildcards '*/metadata/files.jsonl' |
    grep -q '\"path\":\"/etc/passwd\"'"

# A manifest added to the directory is found by name; a FIFO there is
# refused, never waited on.
cp linux-triage "$MDIR/ssh.yaml"
mkfifo "$MDIR/fifo.yaml"
run timeout 20 "$P/bin/custody" manifests
expect_rc "a FIFO among the installed manifests: exit 1" 1
expect_err "named" "custody: $MDIR/fifo.yaml: not a regular file"
expect_out_match "a manifest added there is listed" \
    "^ssh \\(installed: $MDIR/ssh\\.yaml\\): 1 artefact\$"
run timeout 20 "$P/bin/custody" collect --no-nice --root img -m fifo \
    -o fifo.tar
expect_rc "collect -m FIFO-NAME is a path, and there is none here" 2
expect_err "named" "custody: fifo: No such file or directory"

done_testing
