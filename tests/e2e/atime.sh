#!/usr/bin/env bash
# atime.sh: collection never moves a file's access time (core issue,
# acceptance 6): atime set older than mtime, which relatime would update.
. "$E2E_LIB"

make_tree tree
for i in $(seq 1 50); do printf 'file %d\n' "$i" >"tree/sub/f$i"; done
# The names first: listing a directory is reading it, and would move its
# atime.  Then every atime goes back to 2020, and the snapshots stat the
# names without reading a directory again.  So the directories too keep
# an atime older than their mtime through the collection, which a read
# would move; and nothing the test itself does moves one.  (Before, the
# snapshots were taken by find, whose reads moved each directory's atime
# to the time of the first: when the clock's coarse tick had not moved
# since the touch, under load, atime equalled ctime, and the second
# find's read moved it again.)
find tree -print0 >names
xargs -0 touch -h -a -d '2020-01-02 03:04:05' <names
snapshot() {
	xargs -0 stat -c '%n %X %F' <names | sort
}
snapshot >before
check "atime is older than mtime before, for files and directories" \
    bash -c 'test "$(stat -c %X tree/a.txt)" -lt "$(stat -c %Y tree/a.txt)" &&
    test "$(stat -c %X tree/sub)" -lt "$(stat -c %Y tree/sub)"'

run "$CUSTODY" collect -o b.tar tree
expect_rc "collect" 0
snapshot >after
guarded=$(tar -xOf b.tar --wildcards '*/metadata/acquisition.json' |
    python3 -c 'import json, sys
print(json.load(sys.stdin)["read_only_mounts"]["active"])')
if [ "$guarded" = True ]; then
	check "every file's, directory's and link's atime is unchanged" \
	    cmp -s before after
	# what moved, to tell who moved it
	diff before after | sed 's/^/# /'
else
	# No read-only, noatime mounts here (not root, a kernel before 5.12,
	# or valgrind, which lacks mount_setattr): O_NOATIME still keeps
	# every file's and directory's atime, but readlink(2) moves a
	# link's, and the bundle must say so for each link it moved.
	check "every file's and directory's atime is unchanged (unguarded)" \
	    cmp -s <(grep -v ' symbolic link$' before) \
	    <(grep -v ' symbolic link$' after)
	for l in $(diff before after | sed -n 's/^> \(.*\) [0-9]* symbolic link$/\1/p'); do
		check "the moved atime of link $l is recorded" bash -c \
		    "tar -xOf b.tar --wildcards '*/metadata/files.jsonl' |
		    grep -F '{\"path\":\"$T/$l\",' | grep -q '\"atime_updated\":true'"
	done
fi

# The same as a user who does not own the files (no O_NOATIME for it).
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod -R a+rX tree && chmod a+rwx "$T"
	find tree -exec touch -h -a -d '2020-01-02 03:04:05' {} +
	find tree -type f -exec stat -c '%n %X' {} + | sort >before2
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CUSTODY" collect -o nobody.tar tree >/dev/null 2>&1
	find tree -type f -exec stat -c '%n %X' {} + | sort >after2
	if cmp -s before2 after2; then
		ok "atime unchanged when collected by a non-owner"
	else
		# Without ownership the kernel refuses O_NOATIME; the
		# bundle must then say which files had their atime moved.
		check "moved atimes are recorded when collected by a non-owner" \
		    bash -c "tar -xOf nobody.tar --wildcards '*/metadata/files.jsonl' |
		    grep -q atime_updated"
	fi
fi

done_testing
