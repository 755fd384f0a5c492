#!/usr/bin/env bash
# install.sh: the version every bundle records comes from git describe
# (tools/version.py), and `meson install` puts the binary, every man page and
# every shipped manifest where the installed binary finds them.
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
# The tested build's own `meson install`, into a staging directory: where
# each file goes, and that the binary looks for its manifests where they
# go.  How an installed binary then behaves (`custody manifests`, -m NAME,
# a FIFO among the manifests) is tests/e2e/deb.sh's, on the package
# installed: a build with a prefix of its own here would compile custody a
# fourth time in CI for the same checks.
if [ -n "$ASAN" ]; then
	ok "# SKIP the install is checked by the plain build's run"
	done_testing
	exit
fi
D=$T/dest
if meson install -C "$BUILD_ROOT" --no-rebuild --destdir "$D" \
    >install.log 2>&1; then
	ok "meson install --destdir installs the tested build"
else
	not_ok "meson install --destdir installs the tested build"
	sed 's/^/# /' install.log | tail -20
	done_testing
	exit
fi
run "$CUSTODY" manifests --help
MDIR=$(sed -n 's/^ *\(\/.*\/custody\/manifests\)$/\1/p' "$T/.out")
check "custody manifests --help names the directory it reads" \
    test -n "$MDIR"
BIN=$(find "$D" -path '*/bin/custody' -type f)
check "the binary is installed, under a bin directory" test -n "$BIN"
check "and is the tested build's" cmp -s "$CUSTODY" "$BIN"
check "beside the directory of the manifests, under the same prefix" \
    test "${BIN%/bin/custody}" = "$D${MDIR%/share/custody/manifests}"
for m in "$SOURCE_ROOT"/manifests/*.yaml; do
	check "manifest ${m##*/} is installed where the binary looks" \
	    cmp -s "$m" "$D$MDIR/${m##*/}"
done
P=${BIN%/bin/custody}
for page in "$SOURCE_ROOT"/man/*.[1-8]; do
	base=${page##*/}
	check "man page $base is installed" \
	    cmp -s "$page" "$P/share/man/man${base##*.}/$base"
done
check "the bash completion is installed" test -n \
    "$(find "$D" -path '*/bash-completion/completions/custody' -type f)"
check "and zsh's" test -f "$P/share/zsh/vendor-completions/_custody"

done_testing
