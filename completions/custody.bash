# bash completion for custody(1).
#
# The commands and each command's options are read from the binary's own
# --help, so that this file cannot fall behind it; the values it knows
# are those custody(1) lists for an option.  Manifest names come from
# `custody manifests`.

# The commands: the indented first words under "commands:" in --help.
_custody_commands()
{
	"$1" --help 2>/dev/null |
	    sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'
}

# The long and short options that COMMAND's --help names.
_custody_options()
{
	local help
	help=$("$1" "$2" --help 2>/dev/null)
	{
		grep -oE -- '(^|[[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' <<<"$help" |
		    sed 's/^[[ ,]*//'
		# "--[no-]nice" names two options
		grep -q -- '--\[no-\]nice' <<<"$help" &&
		    printf '%s\n' --nice --no-nice
	} | sort -u
}

# The manifests -m takes by name: "NAME.yaml (...)" lines.
_custody_manifests()
{
	"$1" manifests 2>/dev/null | sed -n 's/^\([^ ]*\)\.yaml .*/\1/p'
}

_custody()
{
	local cur prev bin cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	bin=${COMP_WORDS[0]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		case $cur in
		-*) mapfile -t COMPREPLY < <(compgen -W \
		    '-h --help -V --version' -- "$cur") ;;
		*) mapfile -t COMPREPLY < <(compgen -W \
		    "$(_custody_commands "$bin")" -- "$cur") ;;
		esac
		return
	fi
	case $prev in
	-m|--manifest)
		mapfile -t COMPREPLY < <(compgen -W \
		    "$(_custody_manifests "$bin")" -- "$cur")
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--hash)
		mapfile -t COMPREPLY < <(compgen -W 'sha256 sha512 sha1 md5' \
		    -- "$cur")
		return ;;
	--compress)
		mapfile -t COMPREPLY < <(compgen -W 'zstd none' -- "$cur")
		return ;;
	--date-fields)
		mapfile -t COMPREPLY < <(compgen -W 'mtime atime ctime' \
		    -- "$cur")
		return ;;
	--root|-d|--directory)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	--case|--evidence-id|--examiner|--tsa|--tsa-timeout|--max-rate|\
	--start-date|--end-date|--trusted-key-id|--x509-eku|--log-head|\
	--max-expansion)
		return ;;
	esac
	case $cur in
	-*) mapfile -t COMPREPLY < <(compgen -W \
	    "$(_custody_options "$bin" "$cmd")" -- "$cur") ;;
	*) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	esac
}
complete -o filenames -F _custody custody
