# wrapper.sh: sourced by the end-to-end scripts once CUSTODY is set.  When
# CUSTODY_WRAPPER is set (tests/valgrind.sh sets it to a valgrind command
# line), CUSTODY becomes a script that runs the binary under that command,
# so that every run of the binary in the tests is checked.  The script is
# left in TMPDIR, which the caller owns.
if [ -n "${CUSTODY_WRAPPER:-}" ]; then
	CUSTODY_WRAPPED=$(mktemp "${TMPDIR:-/tmp}/custody-wrapped.XXXXXX") ||
	    exit 99
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$CUSTODY_WRAPPER" \
	    "$CUSTODY" >"$CUSTODY_WRAPPED"
	chmod 755 "$CUSTODY_WRAPPED"
	CUSTODY=$CUSTODY_WRAPPED
fi
