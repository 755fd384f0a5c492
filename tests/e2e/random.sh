#!/usr/bin/env bash
# random.sh: zero false rejects (issue 6).  200 small random trees
# (gen-tree.py, seeded: the same trees every run) are collected, plain and
# zstd in turn, with one, two or four hash algorithms, and each bundle must
# verify with exit 0 and no finding; some are verified from a pipe.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"

# Under a sanitizer 40 trees: they take every combination of format,
# hashes and pipe the 200 take (a period of 30), and the sanitizer looks
# for memory errors in code paths, which more trees of the same kind do
# not add; the plain build's 200 look for false rejects.
N=${RANDOM_TREES:-200}
[ -n "$ASAN" ] && N=${RANDOM_TREES:-40}
"$CUSTODY" keygen -o k >/dev/null 2>&1 || exit 99
hashes=("" "--hash=sha512,md5" "" "--hash=sha1" "" "--hash=sha512,sha1,md5")
bad=0
# The trees are made 25 at a time (one python run), t1 from seed 6001...
entries=()
for i in $(seq 1 "$N"); do
	if [ $(((i - 1) % 25)) -eq 0 ]; then
		n=$((N - i + 1 < 25 ? N - i + 1 : 25))
		mapfile -t entries < <(python3 "$HERE/gen-tree.py" \
		    $((6000 + i - 1)) "b$i-" "$n") || exit 99
		[ "${#entries[@]}" -eq "$n" ] || exit 99
		for j in $(seq 1 "$n"); do
			mv "b$i-$j" "t$((i + j - 1))"
		done
	fi
	seed=$((6000 + i))
	ext=tar
	[ $((i % 2)) -eq 0 ] && ext=tar.zst
	h=${hashes[$((i % ${#hashes[@]}))]}
	desc="tree $i (seed $seed, ${entries[$(((i - 1) % 25))]} entries"
	desc="$desc, $ext${h:+, ${h#--hash=}})"
	run "$CUSTODY" collect --no-nice --key k.key --evidence-id "R$i" \
	    -o "r$i.$ext" ${h:+"$h"} "t$i"
	if [ "$RC" -ne 0 ]; then
		not_ok "$desc: collect (exit $RC)"
		printf '# %s\n' "$ERR" | head -5
		bad=$((bad + 1))
		continue
	fi
	if [ $((i % 5)) -eq 0 ]; then
		desc="$desc, from a pipe"
		run bash -c "cat r$i.$ext |
		    \"\$CUSTODY\" verify --pubkey k.pub -"
	else
		run "$CUSTODY" verify --pubkey k.pub "r$i.$ext"
	fi
	if [ "$RC" -eq 0 ] && [ -z "$ERR" ]; then
		ok "$desc: verified"
		rm -rf "t$i" "r$i.$ext" "r$i.$ext".*
	else
		not_ok "$desc: verify exit $RC"
		printf '# %s\n' "$ERR" | head -10
		bad=$((bad + 1))
	fi
done
check "no false rejects in $N bundles ($bad)" test "$bad" -eq 0
done_testing
