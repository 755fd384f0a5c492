#!/usr/bin/env bash
# uacfind.sh: every `find` artefact of UAC 3.3.0, run by custody on a small
# fixture tree with --root, lists exactly what GNU find selects with the
# expression UAC itself builds (uacfind.py derives it independently), on a
# tree with planted setuid, setgid, world- and group-writable, unowned,
# hidden and temporary-directory executables.
. "$E2E_LIB"

UAC="$TEST_DATA/uac/artifacts"
F="$T/fix"
mkdir -p "$F"/etc "$F"/usr/bin "$F"/usr/sbin "$F"/tmp/.hdir "$F"/tmp/wwdir \
    "$F"/var/tmp "$F"/var/log "$F"/var/run "$F"/home/alice/.cache \
    "$F"/root/.hid "$F"/var/svc "$F"/opt/gw
cat >"$F"/etc/passwd <<'P'
root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000::/home/alice:/bin/bash
svc:x:999:999::/var/svc:/usr/sbin/nologin
P
printf 'root:x:0:\nalice:x:1000:\nsvc:x:999:\n' >"$F"/etc/group
for f in usr/bin/ls usr/bin/passwd usr/bin/wall usr/bin/zcat usr/bin/last \
    usr/bin/lastb usr/bin/utmpdump usr/bin/dpkg tmp/evil \
    tmp/.hidden_exec var/tmp/dropper home/alice/.bashrc tmp/ww tmp/gw \
    var/log/wtmp var/log/wtmp.1.gz var/run/utmp var/log/btmp \
    root/.hid/x home/alice/.hidden var/svc/.svc; do
	printf 'x\n' >"$F/$f"
done
chmod 0755 "$F"/usr/bin/ls "$F"/usr/bin/zcat "$F"/tmp/evil "$F"/usr/bin/last \
    "$F"/usr/bin/lastb "$F"/usr/bin/utmpdump "$F"/usr/bin/dpkg \
    "$F"/tmp/.hidden_exec "$F"/var/tmp/dropper
chmod 4755 "$F"/usr/bin/passwd
chmod 2755 "$F"/usr/bin/wall
chmod 0666 "$F"/tmp/ww
chmod 0664 "$F"/tmp/gw
chmod 0777 "$F"/tmp/wwdir
chmod 0775 "$F"/opt/gw
chmod 1777 "$F"/tmp "$F"/var/tmp
ln -s /usr/bin/ls "$F"/tmp/.hidden_link
UNOWNED=no
if [ "$(id -u)" -eq 0 ]; then
	printf 'y\n' >"$F"/home/alice/orphan
	mkdir "$F"/tmp/orphandir
	chown 4242:4343 "$F"/home/alice/orphan "$F"/tmp/orphandir
	printf 'y\n' >"$F"/usr/bin/nogrp
	chown 0:4343 "$F"/usr/bin/nogrp
	UNOWNED=yes
fi

FILES=$(cd "$UAC" && grep -rl "collector: find" . | sed 's|^\./||' | sort)
python3 "$HERE/uacfind.py" "$F" "$UAC" $FILES >want.txt ||
	echo "Bail out! uacfind.py failed"
: >got.txt
: >listed.txt
: >members.txt
for rel in $FILES; do
	"$CUSTODY" collect --no-nice --root "$F" -m "$UAC/$rel" -o "out.tar" \
	    >/dev/null 2>&1
	if [ -f out.tar ]; then
		tar -xOf out.tar --wildcards '*/metadata/files.jsonl' |
		    python3 -c 'import json,sys
for l in sys.stdin:
    print(sys.argv[1] + "\t" + json.loads(l)["path"])' "$rel" >>got.txt
		# Each find artefact's listing (the fixture's names need no
		# escape); a file's artefacts may list a path twice.
		tar -xOf out.tar --wildcards '*/metadata/listings/*' |
		    sort -u | sed "s|^|$rel	|" >>listed.txt
		tar -tf out.tar | grep '/metadata/listings/' |
		    sed "s|^|$rel	|" >>members.txt
	fi
	rm -f out.tar out.tar.*
done
sort -o want.txt want.txt
sort -o got.txt got.txt
sort -o listed.txt listed.txt
for rel in $FILES; do
	w=$(grep -F "$rel	" want.txt | cut -f2 | tr '\n' ' ')
	g=$(grep -F "$rel	" got.txt | cut -f2 | tr '\n' ' ')
	l=$(grep -F "$rel	" listed.txt | cut -f2 | tr '\n' ' ')
	if [ "$w" = "$g" ]; then
		ok "$rel records what GNU find selects (${w:-nothing})"
	else
		not_ok "$rel: custody records '$g', GNU find '$w'"
	fi
	if [ "$w" = "$l" ]; then
		ok "$rel's listing holds what GNU find selects"
	else
		not_ok "$rel: custody's listing holds '$l', GNU find '$w'"
	fi
done
# A listing is named after UAC's output_file.
check "suid.yaml's listing is metadata/listings/suid.txt" grep -qxF \
    "system/suid.yaml	out/metadata/listings/suid.txt" members.txt
# The sets are not trivially empty: the plants are found.
check "suid.yaml finds the setuid binary" grep -qxF \
    "system/suid.yaml	/usr/bin/passwd" want.txt
check "sgid.yaml finds the setgid binary" grep -qxF \
    "system/sgid.yaml	/usr/bin/wall" want.txt
check "world_writable_files.yaml finds /tmp/ww" grep -qxF \
    "system/world_writable_files.yaml	/tmp/ww" want.txt
check "hidden_files.yaml finds the hidden temp executable" grep -qxF \
    "system/hidden_files.yaml	/tmp/.hidden_exec" want.txt
if [ "$UNOWNED" = yes ]; then
	check "user_name_unknown_files.yaml finds the unowned file" grep -qxF \
	    "system/user_name_unknown_files.yaml	/home/alice/orphan" want.txt
	check "group_name_unknown_directories.yaml finds the unowned dir" \
	    grep -qxF \
	    "system/group_name_unknown_directories.yaml	/tmp/orphandir" want.txt
else
	ok "# SKIP unowned files need root to chown"
	ok "# SKIP unowned directories need root to chown"
fi
done_testing
