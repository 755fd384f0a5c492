#!/usr/bin/env bash
# deb.sh: the Debian package (issue 25, item 3).  `dpkg-buildpackage -us
# -uc -b` over a copy of the sources builds a .deb holding the binary, every
# man page and every shipped manifest; installed, its custody reports the
# package's version and makes a bundle that verifies (with itself and with
# the tested build); removed, it leaves nothing.  As root only, and never
# over a custody package the host has installed already.  The build is a
# compile of its own, kept cheap: nocheck (the tests are this suite's),
# noddebs, noopt (-O0: a third less CPU; the package's contents are what is
# tested here, the optimised code is the plain build's), two jobs.
. "$E2E_LIB"

if [ -n "$ASAN" ]; then
	ok "# SKIP the package is built by the plain build's run"
	done_testing
fi
if [ "$(id -u)" != 0 ] || ! command -v dpkg-buildpackage >/dev/null ||
    ! command -v dh >/dev/null; then
	ok "# SKIP needs root, dpkg-dev and debhelper"
	done_testing
fi
if dpkg-query -W -f='${Status}' custody 2>/dev/null |
    grep -q 'ok installed'; then
	ok "# SKIP a custody package is installed on this host: left alone"
	done_testing
fi

# The sources as a release would have them: no build directory, no git.
mkdir -p pkg/src
if git -C "$SOURCE_ROOT" rev-parse --show-toplevel >/dev/null 2>&1; then
	git -C "$SOURCE_ROOT" ls-files -co --exclude-standard -z |
	    tar -C "$SOURCE_ROOT" --null -T - -cf - | tar -C pkg/src -xf -
else
	tar -C "$SOURCE_ROOT" --exclude='./build*' --exclude='./obj-*' \
	    -cf - . | tar -C pkg/src -xf -
fi
rm -rf pkg/src/build pkg/src/build-*
VERSION=$(cd pkg/src && dpkg-parsechangelog -S Version)
if (cd pkg/src && DEB_BUILD_OPTIONS="nocheck noddebs noopt parallel=2" \
    dpkg-buildpackage -us -uc -b) >build.log 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds"
else
	not_ok "dpkg-buildpackage -us -uc -b builds"
	tail -30 build.log | sed 's/^/# /'
	done_testing
fi
DEB=$(ls pkg/custody_"$VERSION"_*.deb)
check "a .deb of version $VERSION" test -f "$DEB"
dpkg-deb -c "$DEB" | awk '{print $6}' >contents
check "it holds the binary" grep -qx './usr/bin/custody' contents
for page in "$SOURCE_ROOT"/man/*.[1-8]; do
	base=${page##*/}
	check "and the man page $base" \
	    grep -qx "./usr/share/man/man${base##*.}/$base.gz" contents
done
for m in "$SOURCE_ROOT"/manifests/*.yaml; do
	check "and the manifest ${m##*/}" \
	    grep -qx "./usr/share/custody/manifests/${m##*/}" contents
done
check "and the bash completion" \
    grep -qx './usr/share/bash-completion/completions/custody' contents
check "and the zsh completion" \
    grep -qx './usr/share/zsh/vendor-completions/_custody' contents
dpkg-deb -f "$DEB" Depends >depends
check "it depends on the shared libraries it links" \
    grep -q 'libssl3.*libzstd1\|libzstd1.*libssl3' depends

# Installed: always removed again, whatever fails.  man-db's trigger
# would rebuild the host's whole manual index at each dpkg -i and -r (a
# fifth of this test's CPU): its own switch, debconf's man-db/auto-update,
# is off meanwhile, and back on after.  The page is checked as a file.
AU=/var/lib/man-db/auto-update
[ ! -e "$AU" ] || mv "$AU" "$T/auto-update" || exit 99
trap 'rm -f /usr/share/custody/manifests/ssh.yaml \
    /usr/share/custody/manifests/fifo.yaml; dpkg -r custody >/dev/null 2>&1
    [ ! -e "$T/auto-update" ] || mv "$T/auto-update" "$AU"
    chmod -R u+rwx "$T"; rm -rf "$T"' EXIT
run dpkg -i "$DEB"
expect_rc "dpkg -i installs it" 0
run /usr/bin/custody --version
expect_rc "the installed custody --version" 0
check "says the package's version" test "${OUT%%$'\n'*}" = "custody $VERSION"
expect_out_match "and that it is linked dynamically" '^linked: dynamic$'
run /usr/bin/custody manifests
expect_out_match "it finds the installed manifests" \
    '^linux-triage \(installed: /usr/share/custody/manifests/linux-triage\.yaml\)'
check "man finds its page" test -f /usr/share/man/man1/custody.1.gz

# `custody manifests` lists the installed ones by the name -m takes.
MDIR=/usr/share/custody/manifests
run /usr/bin/custody manifests
expect_rc "custody manifests" 0
builtin_sha=$(sed -n '2s/^  sha256 //p' "$T/.out")
expect_out_match "lists the built-in manifest" \
    '^linux-triage\.yaml \(built in\): [0-9]+ artefacts$'
expect_out_match "and the installed one, by name and path" \
    "^linux-triage \\(installed: $MDIR/linux-triage\\.yaml\\): [0-9]+ artefacts\$"
check "which is the built-in manifest's copy" \
    test "$(sed -n '/^linux-triage (installed/{n;s/^  sha256 //p;}' "$T/.out")" = "$builtin_sha" \
    -a "$builtin_sha" = "$(sha256sum <"$MDIR/linux-triage.yaml" | cut -c1-64)"
run /usr/bin/custody manifests --help
expect_out_match "--help names the directory" "^ *$MDIR\$"
run /usr/bin/custody manifests linux-triage
expect_rc "custody manifests NAME checks the installed manifest" 0
expect_out_match "by its path" "^$MDIR/linux-triage\\.yaml: [0-9]+ artefacts\$"

# Collect with -m naming the installed manifest, from a small image, and
# verify.  A file of the same name in the current directory does not count.
mkdir -p img/etc/ssh img/home
printf 'root:x:0:0:root:/root:/bin/sh\n' >img/etc/passwd
printf 'Port 22\n' >img/etc/ssh/sshd_config
printf 'version: 1\nartifacts:\n  -\n    description: x\n    collector: file\n    path: /etc/ssh\n' >linux-triage
run /usr/bin/custody collect --no-nice --root img -m linux-triage -o m.tar
check "collect -m linux-triage (the installed one) completes" \
    test "$RC" -eq 0 -o "$RC" -eq 1
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
run /usr/bin/custody verify --trusted-key-id "$ID" m.tar
expect_rc "and verifies" 0
tar -xOf m.tar --wildcards '*/metadata/acquisition.json' >acq.json
check "acquisition.json names the installed manifest by its path" \
    grep -qF "\"name\": \"$MDIR/linux-triage.yaml\"" acq.json
check "with its SHA-256" grep -qF "\"sha256\": \"$builtin_sha\"" acq.json
check "and the installed binary's version" \
    grep -qF "\"version\": \"$VERSION\"" acq.json
tar -xOf m.tar --wildcards '*/metadata/files.jsonl' >files.jsonl
check "the image's /etc/passwd was collected" \
    grep -q '"path":"/etc/passwd"' files.jsonl
run /usr/bin/custody collect --no-nice --root img -m ./linux-triage \
    -o local.tar
expect_rc "collect -m ./linux-triage reads the file here" 0
check "and only what it names" \
    bash -c "tar -xOf local.tar --wildcards '*/metadata/files.jsonl' |
    grep -q '\"path\":\"/etc/ssh/sshd_config\"' &&
    ! tar -xOf local.tar --wildcards '*/metadata/files.jsonl' |
    grep -q '\"path\":\"/etc/passwd\"'"

# A manifest added to the directory is found by name; a FIFO there is
# refused, never waited on.  Both are removed before the package is.
cp linux-triage "$MDIR/ssh.yaml"
mkfifo "$MDIR/fifo.yaml"
run timeout 20 /usr/bin/custody manifests
expect_rc "a FIFO among the installed manifests: exit 1" 1
expect_err "named" "custody: $MDIR/fifo.yaml: not a regular file"
expect_out_match "a manifest added there is listed" \
    "^ssh \\(installed: $MDIR/ssh\\.yaml\\): 1 artefact\$"
run timeout 20 /usr/bin/custody collect --no-nice --root img -m fifo \
    -o fifo.tar
expect_rc "collect -m FIFO-NAME is a path, and there is none here" 2
expect_err "named" "custody: fifo: No such file or directory"
rm -f "$MDIR/ssh.yaml" "$MDIR/fifo.yaml"

mkdir tree
make_tree tree
run /usr/bin/custody collect --no-nice --case DEB-1 -o b.tar tree
expect_rc "a collection with the installed binary completes" 0
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
run /usr/bin/custody verify --trusted-key-id "$ID" b.tar
expect_rc "and its bundle verifies with the installed binary" 0
run "$CUSTODY" verify --trusted-key-id "$ID" b.tar
expect_rc "and with the tested build" 0

run dpkg -r custody
expect_rc "dpkg -r removes it" 0
check "and the binary is gone" test ! -e /usr/bin/custody
check "and the manifests" test ! -e /usr/share/custody
done_testing
