#!/usr/bin/env bash
# docs.sh: every option of every command is in its --help and in
# custody(1), and every exit code and status is documented.
. "$E2E_LIB"

MAN="$SOURCE_ROOT/man/custody.1"
sed 's/\\//g' "$MAN" >man.txt	# mdoc escapes hyphens: \-
# Every command the binary lists, so that a new one cannot go undocumented.
cmds=$("$CUSTODY" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
check "custody --help lists the commands" test "$(echo $cmds | wc -w)" -ge 9
for c in $cmds; do
	check "custody $c has its section in custody(1)" \
	    grep -qx "\.Ss custody $c" "$MAN"
	run "$CUSTODY" "$c" --help
	expect_rc "custody $c --help" 0
	check "custody $c --help: no line over 79 columns" \
	    awk 'length > 79 { bad = 1 } END { exit bad }' "$T/.out"
	for opt in $(grep -oE -- '--[a-z][a-z-]+' "$T/.out" | sort -u); do
		check "custody $c $opt is in custody(1)" \
		    grep -qF -- "Fl ${opt#-}" man.txt
	done
done
for s in ok changed vanished denied error too_large hashed listed loop; do
	check "status $s is in custody(1)" grep -q "^\.It Li $s\$" "$MAN"
	check "status $s is in the README" \
	    grep -q "^| \`$s\` |" "$SOURCE_ROOT/README.md"
done
for code in 0 1 2 3 4; do
	check "exit status $code is in custody(1)" grep -q "^\.It $code\$" "$MAN"
done

# The README's exit-code table and custody(1)'s EXIT STATUS agree: the
# same codes, and each command the man page names under a code is named
# in that code's row.  "C CODE" and "M CODE COMMAND" lines from the man
# page; ".It 128+ Ns Ar n" is the README's "128+n".
README="$SOURCE_ROOT/README.md"
awk '/^\.Sh EXIT STATUS/ { on = 1; next } /^\.Sh / { on = 0 }
    on && /^\.It / { sub(/^\.It /, ""); gsub(/ Ns Ar /, ""); c = $0
	print "C " c; next }
    on && /^\.Cm / { print "M " c " " $2 }' "$MAN" >man-codes
awk '/^## / { on = ($0 == "## Exit codes") }
    on && /^\| [0-9]/ { print $2 }' "$README" >readme-codes
check "custody(1) and the README list the same exit codes" \
    diff <(sed -n 's/^C //p' man-codes) readme-codes
while read -r kind code cmd; do
	row=$(awk -v c="| $code |" '/^## / { on = ($0 == "## Exit codes") }
	    on && index($0, c) == 1' "$README")
	if [ "$kind" = C ]; then
		check "exit status $code has a row in the README" test -n "$row"
	else
		check "the README's exit status $code names $cmd, as custody(1) does" \
		    grep -qF "\`$cmd\`" <<<"$row"
	fi
done <man-codes
check "the README is under 500 lines ($(wc -l <"$README"))" \
    test "$(wc -l <"$README")" -lt 500

done_testing
