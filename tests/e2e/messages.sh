#!/usr/bin/env bash
# messages.sh: every message on stderr leaves in one write(2).  A host where
# thousands of files cannot be taken must not cost thousands of system
# calls a file (stderr unbuffered wrote each checked byte apart), and a
# message must stay whole when stderr is shared.
# The count of write(2) calls comes from the kernel: a reaped child's
# counts join its parent's /proc/self/io.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$E2E_LIB"


# writes OUT ERR COMMAND...: run COMMAND with stdout to OUT and stderr to
# ERR; print how many write(2) calls it made.
writes() {
	python3 - "$@" <<'EOF'
import subprocess, sys

def syscw():
    for line in open("/proc/self/io"):
        if line.startswith("syscw:"):
            return int(line.split()[1])
    sys.exit("no syscw in /proc/self/io")

out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
before = syscw()
with open(out, "wb") as o, open(err, "wb") as e:
    subprocess.run(cmd, stdout=o, stderr=e)
print(syscw() - before)
EOF
}

N=300
mkdir -p tree
for i in $(seq 1 $N); do
	printf 'file %d, more than one byte\n' "$i" >"tree/f$i.txt"
done
cat >cap.yaml <<EOF
version: 1.0
artifacts:
  -
    description: every file, over a one-byte cap
    supported_os: [linux]
    collector: file
    path: $T/tree
    file_type: [f]
    max_file_size: 1
EOF

if [ -n "${CUSTODY_WRAPPER:-}" ] || [ ! -r /proc/self/io ]; then
	ok "one write a message # SKIP no /proc/self/io, or a wrapper's writes"
	echo "1..$TESTS"
	exit 0
fi

# Collect: N files over the cap, N messages, and a summary on stderr
# (-o - sends the bundle to stdout, in 64 KiB writes).
w=$(writes out.tar err.txt "$CUSTODY" collect --no-live -m cap.yaml -o -)
lines=$(wc -l <err.txt)
bundle=$(( ($(stat -c %s out.tar) + 65535) / 65536 ))
check "collect: $N files over the cap are $N messages" \
    test "$(grep -c ': too_large: size [0-9]* exceeds max_file_size 1$' \
    err.txt)" -eq "$N"
if [ "$w" -le $((lines + bundle + 8)) ]; then
	ok "collect: $w writes for $lines lines and $bundle blocks"
else
	not_ok "collect: $w writes for $lines lines and $bundle blocks"
fi

# Verify: a finding a damaged file, each one line, one write.
"$CUSTODY" collect -o good.tar tree >/dev/null 2>&1
cp good.tar bad.tar
for i in 1 2 3 4 5 6 7 8; do
	python3 "$HERE/tamper.py" flip bad.tar bad2.tar \
	    "data${T}/tree/f$i.txt" 2>/dev/null && mv bad2.tar bad.tar
done
w=$(writes report.txt err.txt "$CUSTODY" verify bad.tar)
lines=$(wc -l <err.txt)
check "verify: the 8 damaged files are named" \
    test "$(grep -c '^custody: .*f[1-8]\.txt: ' err.txt)" -ge 8
if [ "$w" -le $((lines + $(wc -l <report.txt) + 8)) ]; then
	ok "verify: $w writes for $lines lines on stderr"
else
	not_ok "verify: $w writes for $lines lines on stderr"
fi

echo "1..$TESTS"
[ "$FAILS" -eq 0 ]
