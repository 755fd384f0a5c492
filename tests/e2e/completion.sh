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
run comp custody collect --no-n
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

# One interactive zsh, whose fpath holds _custody, in a pseudo-terminal:
# for each TYPED|PATTERN it types TYPED and a TAB, awaits PATTERN in what
# zsh shows, prints "done TYPED" and clears the line.  compinit runs once
# (it takes seconds on a busy machine).  A completion that never comes
# leaves that line and the ones after it unprinted when `timeout` ends
# the run.
cases=("custody col|*collect*" "custody collect --ha|*--hash*"
    "custody verify --pubk|*--pubkey*" "custody collect --compress zs|*zstd*"
    "custody collect -m linux-t|*linux-triage*")
run timeout 60 zsh -f -c '
    zmodload zsh/zpty || exit 9
    zpty z "zsh -f -i"
    zpty -w z "PS1=\"> \"; fpath=($1 \$fpath);" \
        "autoload -Uz compinit; compinit -u -D; echo READY-\$((6*7))"
    zpty -r z out "*READY-42*" || exit 8
    shift
    for c in "$@"; do
        zpty -w -n z "${c%%|*}"$'"'"'\t'"'"'
        zpty -r z out "${c#*|}" || exit 7
        print -r -- "done ${c%%|*}"
        zpty -w -n z $'"'"'\C-u'"'"'
    done' zsh "$DIR" "${cases[@]}"
for c in "${cases[@]}"; do
	check "zsh: ${c%%|*}<TAB> gives ${c#*|}" \
	    grep -qxF "done ${c%%|*}" <<<"$OUT"
done
done_testing
