#!/usr/bin/env bash
# resolve.sh: a manifest path whose links lead back into themselves
# ("../a/../a/..." 40 links deep) is cut short and recorded as failed, never
# dropped without a word for want of descriptors (found by clang-tidy's
# misc-no-recursion on lib/collect/walk.c).
. "$E2E_LIB"

# chain ROOT LINKS REPEATS: ROOT/d/a/l1 -> ../a/../a/.../l2 -> ... -> l99,
# a directory holding the file x.
chain() {
	local root=$1 links=$2 reps=$3 i next up
	mkdir -p "$root/d/a/l99" && printf 'found\n' >"$root/d/a/l99/x"
	up=$(printf '../a/%.0s' $(seq "$reps"))
	for i in $(seq "$links"); do
		next=l$((i + 1))
		[ "$i" -eq "$links" ] && next=l99
		ln -s "$up$next" "$root/d/a/l$i"
	done
}

printf 'version: 1.0\nartifacts:\n  -\n    description: linked\n' >m.yaml
printf '    collector: file\n    path: /d/a/l1/x\n' >>m.yaml

chain short 3 5
run "$CUSTODY" collect --no-nice --root "$T/short" -m m.yaml -o short.tar
expect_rc "a path through a few links" 0
expect_out_match "takes the file at its end" '^collected: +1 files'

chain deep 40 800
run bash -c "ulimit -n 1024; exec '$CUSTODY' collect --no-nice \
    --root '$T/deep' -m m.yaml -o deep.tar"
expect_rc "a path that links back into itself 40 times" 1
expect_err_match "is cut short and said" \
    '^custody: /d/a[^:]*: error: resolve: Too many levels of symbolic links$'
check "and recorded in files.jsonl" \
    bash -c "tar -xOf deep.tar --wildcards '*/metadata/files.jsonl' |
    grep -q '\"reason\":\"resolve: Too many levels of symbolic links\"'"

chain narrow 1 150
run bash -c "ulimit -n 128; exec '$CUSTODY' collect --no-nice \
    --root '$T/narrow' -m m.yaml -o narrow.tar"
expect_rc "too few descriptors for the path" 1
expect_err_match "is said, not dropped" \
    '^custody: /d[^:]*: error: open: Too many open files$'

done_testing
