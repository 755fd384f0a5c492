#!/usr/bin/env bash
# root.sh: --root on a tree laid out like a mounted image (hostile host
# issue, acceptance 9), and the filters: date range, --one-file-system,
# exclude_file_system.
. "$E2E_LIB"

records() {
	tar -xOf "$1" --wildcards '*/metadata/files.jsonl'
}

# An image with its own users, and a link that points "outside" (/run).
mkdir -p img/etc img/home/alice img/home/bob img/root img/run img/var \
    img/srv/svc
cat >img/etc/passwd <<'PW'
root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000:Alice:/home/alice:/bin/bash
bob:x:1001:1001:Bob:/home/bob/:/bin/zsh
svc:x:998:998:service:/srv/svc:/usr/sbin/nologin
PW
printf 'alice was here\n' >img/home/alice/.bash_history
printf 'bob was here\n' >img/home/bob/.bash_history
printf 'image root\n' >img/root/.bash_history
printf 'service\n' >img/srv/svc/.bash_history
printf 'image utmp\n' >img/run/utmp
ln -s /run img/var/run
cat >r.yaml <<'YAML'
version: 1
artifacts:
  -
    description: histories of every user of the image
    supported_os: [linux]
    collector: file
    path: %user_home%/.bash_history
  -
    description: histories of login users only
    supported_os: [linux]
    collector: hash
    path: %user_home%/.bash_history
    exclude_nologin_users: true
  -
    description: through an absolute link
    supported_os: [linux]
    collector: file
    path: /var/run/utmp
YAML
run "$CUSTODY" collect --root img -m r.yaml -o r.tar
expect_rc "collect a mounted image with --root" 0
records r.tar >r.jsonl
check "%user_home% comes from the image's own passwd" python3 -c '
import json
recs = {r["path"]: r for r in map(json.loads, open("r.jsonl"))}
for p in ["/home/alice/.bash_history", "/home/bob/.bash_history",
          "/root/.bash_history", "/srv/svc/.bash_history"]:
    assert recs[p]["status"] == "ok" and recs[p]["stored"] == "data" + p, p'
mkdir xr && tar -xf r.tar -C xr
check "the content is the image's, not the host's" \
    test "$(cat xr/r/data/root/.bash_history)" = "image root"
check "an absolute link resolves inside the image" \
    test "$(cat xr/r/data/run/utmp)" = "image utmp"
check "paths are recorded relative to the image" \
    bash -c "! grep -q '$T' r.jsonl"
check "acquisition.json records the root" bash -c \
    "grep -q '\"root\": \"img\"' xr/r/metadata/acquisition.json"
run "$CUSTODY" verify r.tar
expect_rc "the image's bundle verifies" 4

# Date range: mtime or ctime by default, atime on request.
mkdir -p d
printf 'old\n' >d/old && touch -m -d '2020-01-01 00:00:00' d/old
printf 'new\n' >d/new && touch -m -d '2024-06-01 12:00:00' d/new
cat >d.yaml <<YAML
version: 1
artifacts:
  -
    description: dated
    supported_os: [linux]
    collector: file
    path: $T/d
  -
    description: undated
    supported_os: [linux]
    collector: hash
    path: $T/d
    ignore_date_range: true
YAML
run "$CUSTODY" collect --no-live -m d.yaml --start-date 2024-01-01 --end-date 2024-12-31 \
    --date-fields mtime -o d.tar
expect_rc "collect with a date range" 0
records d.tar >d.jsonl
check "a file modified in the range is stored" \
    grep -q "\"path\":\"$T/d/new\",\"stored\"" d.jsonl
check "a file modified before it is not stored" \
    bash -c "! grep -q '\"path\":\"$T/d/old\",\"stored\"' d.jsonl"
check "but ignore_date_range still takes it" \
    grep -q "\"path\":\"$T/d/old\",\"type\":\"file\",\"status\":\"hashed\"" d.jsonl
run "$CUSTODY" collect --no-live -m d.yaml --start-date 2025-01-01 -o d2.tar
records d2.tar >d2.jsonl
check "mtime,ctime by default: a file just created is in any recent range" \
    grep -q "\"path\":\"$T/d/old\",\"stored\"" d2.jsonl
run "$CUSTODY" collect --start-date 2024-13-01 -o bad.tar d
expect_rc "a bad date is a usage error" 2
expect_err "and is named" \
    "custody: --start-date: 2024-13-01: not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
run "$CUSTODY" collect --date-fields btime --start-date 2024-01-01 -o bad.tar d
expect_rc "a bad date field is a usage error" 2

# Mount points: --one-file-system and exclude_file_system.
mkdir -p m/mnt
printf 'top\n' >m/top
if mount -t tmpfs -o size=1m tmpfs m/mnt 2>/dev/null; then
	trap 'umount "$T/m/mnt" 2>/dev/null; rm -rf "$T"' EXIT
	printf 'below\n' >m/mnt/below
	run "$CUSTODY" collect -o m1.tar m
	check "a mount inside the tree is walked by default" \
	    bash -c "tar -tf m1.tar | grep -q '/data$T/m/mnt/below$'"
	run "$CUSTODY" collect --one-file-system -o m2.tar m
	expect_rc "collect --one-file-system" 0
	check "--one-file-system does not cross into it" \
	    bash -c "! tar -tf m2.tar | grep -q '/mnt/below$' &&
	    tar -tf m2.tar | grep -q '/data$T/m/top$'"
	cat >fs.yaml <<YAML
version: 1
artifacts:
  -
    description: no tmpfs
    supported_os: [linux]
    collector: file
    path: $T/m
    exclude_file_system: [tmpfs]
YAML
	run "$CUSTODY" collect --no-live -m fs.yaml -o m3.tar
	# Its mount point is recorded, with why it was not walked (issue
	# 21, item 7), and nothing below it.
	check "exclude_file_system leaves the tmpfs out" \
	    bash -c "! tar -tf m3.tar | grep -q '/mnt/below$' &&
	    ! tar -xOf m3.tar --wildcards '*/files.jsonl' | grep -q '/mnt/below'"
	check "and says so on its mount point" \
	    bash -c "tar -xOf m3.tar --wildcards '*/files.jsonl' |
	    grep -F '\"path\":\"$T/m/mnt\"' | grep -qF \
	    '\"not_walked\":\"file system tmpfs excluded by the artefact\"'"
	umount m/mnt
fi

# A 16 MiB passwd (the most read) of distinct homes, one of which exists,
# with duplicates: deduplicated in O(n log n) (it was quadratic: 9.5 min).
mkdir -p big/etc big/home/zz1 big/home/u0000001
python3 -c '
import sys
out, n, i = open("big/etc/passwd", "w"), 0, 0
while True:
    home = "/home/u%07d" % (i - 1 if i % 10 == 9 else i)
    line = "u%d:x:%d:1::%s/:/bin/sh\n" % (i, i, home)
    if n + len(line) > 16 * 1024 * 1024 - 64:
        break
    out.write(line)
    n, i = n + len(line), i + 1
    if i == 200000:
        out.write("zz1:x:1:1::/home/zz1:/bin/sh\n")
        n += 30
'
printf 'zz1\n' >big/home/zz1/.bash_history
printf 'u1\n' >big/home/u0000001/.bash_history
cat >h.yaml <<'YAML'
version: 1
artifacts:
  -
    description: every user's history
    supported_os: [linux]
    collector: file
    path: %user_home%/.bash_history
YAML
run timeout 600 "$CUSTODY" collect --no-nice --no-live --root big -m h.yaml \
    -o big.tar
expect_rc "a 16 MiB passwd of distinct homes" 0
records big.tar >big.jsonl
check "finds the homes that exist, each once" python3 -c '
import json
recs = [r for r in map(json.loads, open("big.jsonl"))]
assert sorted(r["path"] for r in recs) == [
    "/home/u0000001/.bash_history", "/home/zz1/.bash_history"], recs'
rm -rf big big.tar big.jsonl

done_testing
