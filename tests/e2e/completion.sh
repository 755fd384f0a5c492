#!/usr/bin/env bash
# completion.sh: the bash and zsh completions (completions/) load without
# an error and complete commands, options and their values from the
# built binary's --help, found as `custody` in PATH.  zsh is driven
# through a pseudo-terminal (zpty), each answer awaited by a pattern, not
# a delay; `timeout` ends a completion that never comes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

DIR=$SOURCE_ROOT/completions
mkdir bin
ln -s "$CUSTODY" bin/custody
export PATH=$T/bin:$PATH

# ------------------------------------------------------------------ bash
# comp WORDS...: what bash completes for the last word.
comp() {
	bash --norc --noprofile -c '
	    . "$1" || exit 9
	    shift
	    COMP_WORDS=("$@")
	    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	    COMPREPLY=()
	    _custody
	    printf "%s\n" "${COMPREPLY[@]}"' bash "$DIR/custody.bash" "$@"
}

run bash --norc --noprofile -c '. "$1" && complete -p custody' bash \
    "$DIR/custody.bash"
expect_rc "bash: the script loads" 0
check "without a message" test -z "$ERR"
expect_out_match "and registers _custody for custody" \
    '^complete -o filenames -F _custody custody$'
run comp custody col
check "bash: custody col<TAB> is collect" test "$OUT" = collect
run comp custody ''
check "bash: every command of custody --help" test "$(echo "$OUT" | sort)" = \
    "$("$CUSTODY" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | sort)"
run comp custody collect --ha
check "bash: custody collect --ha<TAB> is --hash" test "$OUT" = --hash
run comp custody collect --hash sha5
check "bash: and its value sha5<TAB> is sha512" test "$OUT" = sha512
run comp custody collect --no-
check "bash: --[no-]nice gives --no-nice, once" test "$OUT" = --no-nice
run comp custody verify --pubk
check "bash: verify's --pubk<TAB> is --pubkey" test "$OUT" = --pubkey
run comp custody collect -m linux-t
check "bash: -m completes a manifest's name" test "$OUT" = linux-triage
run comp custody extract --di
check "bash: extract's options are extract's" test "$OUT" = --directory

# ------------------------------------------------------------------- zsh
if ! command -v zsh >/dev/null; then
	ok "zsh # SKIP zsh is not installed"
	done_testing
fi
run zsh -n "$DIR/_custody"
expect_rc "zsh: _custody parses" 0

# zcomp TYPED PATTERN: type TYPED and a TAB at an interactive zsh whose
# fpath holds _custody; succeeds when its output comes to match PATTERN.
zcomp() {
	timeout 30 zsh -f -c '
	    zmodload zsh/zpty || exit 9
	    zpty z "zsh -f -i"
	    zpty -w z "PS1=\"> \"; fpath=($1 \$fpath);" \
	        "autoload -Uz compinit; compinit -u -D; echo READY-\$((6*7))"
	    zpty -r z out "*READY-42*" || exit 8
	    zpty -w -n z "$2"$'"'"'\t'"'"'
	    zpty -r z out "$3"' zsh "$DIR" "$1" "$2" 2>&1
}
run zcomp "custody col" '*collect*'
expect_rc "zsh: custody col<TAB> is collect" 0
run zcomp "custody collect --ha" '*--hash*'
expect_rc "zsh: custody collect --ha<TAB> is --hash" 0
run zcomp "custody verify --pubk" '*--pubkey*'
expect_rc "zsh: verify's --pubk<TAB> is --pubkey" 0
run zcomp "custody collect --compress zs" '*zstd*'
expect_rc "zsh: --compress zs<TAB> is zstd" 0
run zcomp "custody collect -m linux-t" '*linux-triage*'
expect_rc "zsh: -m completes a manifest's name" 0
done_testing
