#!/usr/bin/env bash
# metadata.sh: what a stat leaves out is in files.jsonl (issue 21, item 7):
# user.* extended attributes (text and binary), an ACL set by setfacl, a
# capability set by setcap, chattr +i, on a small loop-mounted ext4 (tmpfs
# has no inode flags); a FIFO's attributes are read without blocking; a
# mount point not walked says why.
. "$E2E_LIB"

# rec BUNDLE PATH EXPR: evaluate the Python EXPR on PATH's record r.
rec() {
	tar -xOf "$1" --wildcards '*/metadata/files.jsonl' | python3 -c '
import json, sys
want, expr = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    r = json.loads(line)
    if r.get("path") == want:
        sys.exit(0 if eval(expr) else 1)
sys.exit(2)' "$2" "$3"
}

# A plain file on the test's own file system: no attribute, no flag keys.
mkdir plain && echo plain >plain/f
run "$CUSTODY" collect --no-nice -o plain.tar plain
expect_rc "collect a plain tree" 0
check "a file without attributes has no xattrs, acl, capability" \
    rec plain.tar "$T/plain/f" \
    '"xattrs" not in r and "xattrs_b64" not in r and "acl_access" not in r and "capability" not in r'

for tool in setfattr setfacl setcap chattr mkfs.ext4; do
	command -v "$tool" >/dev/null || missing="${missing:-} $tool"
done
if [ "$(id -u)" != 0 ] || [ -n "${missing:-}" ]; then
	ok "ext4 attributes # SKIP needs root and${missing:- a loop device}"
	done_testing
fi
truncate -s 4M img && mkfs.ext4 -q -F -b 4096 -I 256 img >/dev/null 2>&1 && mkdir mnt &&
    mount -o loop img mnt 2>/dev/null
if ! mountpoint -q mnt; then
	ok "ext4 attributes # SKIP no loop mount here"
	done_testing
fi
# chattr -i before anything is removed, and the image unmounted.
trap 'chattr -i -a "$T/mnt/t/f" 2>/dev/null; umount "$T/top/m" 2>/dev/null;
    umount "$T/mnt" 2>/dev/null;
    chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT

mkdir mnt/t && echo evidence >mnt/t/f && setfacl -d -m g:50:rx mnt/t &&
    mkfifo mnt/t/p
setfattr -n user.note -v "persistence note" mnt/t/f
setfattr -n user.bin -v 0x00ff10 mnt/t/f
setcap cap_net_raw,cap_net_admin+ep mnt/t/f
setfacl -m u:1234:rw mnt/t/f
chattr +i mnt/t/f
check "the file is immutable" bash -c '! echo x 2>/dev/null >>mnt/t/f'

run "$CUSTODY" collect --no-nice -o m.tar "$T/mnt/t"
expect_rc "collect the ext4 tree" 0
f="$T/mnt/t/f"
check "user.* text attribute, as text" \
    rec m.tar "$f" 'r["xattrs"]["user.note"] == "persistence note"'
check "user.* binary attribute, as base64" \
    rec m.tar "$f" 'r["xattrs_b64"]["user.bin"] == "AP8Q"'
check "the ACL, decoded" rec m.tar "$f" \
    'r["acl_access"] == "user::rw-,user:1234:rw-,group::r--,mask::rw-,other::r--"'
check "the capability, decoded" rec m.tar "$f" \
    'r["capability"] == {"version": 2, "effective": True, "permitted": ["cap_net_admin", "cap_net_raw"], "inheritable": []}'
check "the raw capability and ACL attributes are kept too" rec m.tar "$f" \
    '"security.capability" in r["xattrs_b64"] and "system.posix_acl_access" in r["xattrs_b64"]'
check "chattr +i: immutable" rec m.tar "$f" '"immutable" in r["inode_flags"]'
check "not append-only" rec m.tar "$f" '"append_only" not in r["inode_flags"]'
check "the directory's default ACL" rec m.tar "$T/mnt/t" \
    'r["acl_default"] == "user::rwx,group::r-x,group:50:r-x,mask::r-x,other::r-x"'
check "the FIFO's inherited ACL, read without opening it" rec m.tar "$T/mnt/t/p" \
    'r["type"] == "fifo" and r["acl_access"].startswith("user::rw-,group::r-x,group:50:r-x")'
check "its content is still the evidence" rec m.tar "$f" \
    'r["status"] == "ok" and r["bytes"] == 9'
id=$(tar -xOf m.tar --wildcards '*/metadata/acquisition.json' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["seal"]["key_id"])')
run "$CUSTODY" verify --trusted-key-id "$id" m.tar
expect_rc "the bundle verifies" 0

# A link's own attributes, never its target's; a namespaced (v3)
# capability with its root id; more attributes than a record keeps.
ln -s f mnt/t/l && setfattr -h -n trusted.mark -v linked mnt/t/l
echo g >mnt/t/g && setcap -n 1234 cap_sys_admin+p mnt/t/g
echo h >mnt/t/h
for i in $(seq 10 39); do setfattr -n "user.a$i" -v "$i" mnt/t/h || break; done
run "$CUSTODY" collect --no-nice -o l.tar "$T/mnt/t"
expect_rc "collect again" 0
check "the link's own attribute, not its target's" rec l.tar "$T/mnt/t/l" \
    'r["type"] == "symlink" and r["xattrs"] == {"trusted.mark": "linked"}'
check "a v3 capability: its root id" rec l.tar "$T/mnt/t/g" \
    'r["capability"] == {"version": 3, "effective": False, "permitted": ["cap_sys_admin"], "inheritable": [], "rootid": 1234}'
if getfattr -n user.a39 mnt/t/h >/dev/null 2>&1; then
	# 31 with the ACL it inherits from t's default ACL.
	check "24 attributes kept, 7 counted" rec l.tar "$T/mnt/t/h" \
	    'len(r["xattrs"]) + len(r.get("xattrs_b64", {})) == 24 and r["xattrs_omitted"] == 7'
	id=$(tar -xOf l.tar --wildcards '*/metadata/acquisition.json' |
	    python3 -c 'import json, sys; print(json.load(sys.stdin)["seal"]["key_id"])')
	run "$CUSTODY" verify --trusted-key-id "$id" l.tar
	expect_rc "and the verifier takes that record" 0
else
	ok "30 attributes on one file # SKIP the image has no room for them"
fi

chattr -i mnt/t/f && chattr +a mnt/t/f
run "$CUSTODY" collect --no-nice -o a.tar "$T/mnt/t/f"
check "chattr +a: append_only" rec a.tar "$f" \
    '"append_only" in r["inode_flags"] and "immutable" not in r["inode_flags"]'
chattr -a mnt/t/f

# A mount point met on the way and not entered says why.
mkdir -p top/m && echo t >top/x
if mount -t tmpfs -o size=1m tmpfs top/m; then
	echo hidden >top/m/hidden
	run "$CUSTODY" collect --no-nice --one-file-system -o o.tar "$T/top"
	expect_rc "collect with --one-file-system" 0
	check "the mount point is recorded with why it was not walked" \
	    rec o.tar "$T/top/m" '"--one-file-system" in r["not_walked"]'
	check "nothing below it is" bash -c \
	    "! tar -xOf o.tar --wildcards '*/metadata/files.jsonl' | grep -q hidden"
	check "the file-system filter's count" bash -c "tar -xOf o.tar \
	    --wildcards '*/metadata/acquisition.json' | python3 -c '
import json, sys
sys.exit(json.load(sys.stdin)[\"filters\"][\"left_out\"][\"by_file_system\"] != 1)'"
	check "a walked directory has no not_walked" \
	    rec o.tar "$T/top" '"not_walked" not in r'
	umount top/m
else
	ok "a mount point not walked # SKIP cannot mount a tmpfs"
fi
done_testing
