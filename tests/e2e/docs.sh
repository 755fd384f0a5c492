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
	check "exit status $code is in the README" \
	    grep -q "^| $code |" "$SOURCE_ROOT/README.md"
done

done_testing
