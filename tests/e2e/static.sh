#!/usr/bin/env bash
# static.sh: the responder's kit (issue 25, items 1 and 2).  The static
# custody ($CUSTODY_STATIC, built with -Dstatic=true; quickstart.sh builds
# it beside the others and sets it) runs alone in a root that holds
# nothing but itself, a fixture tree and /proc, and its bundle verifies
# with the tested build; ldd finds nothing to load; and an LD_PRELOAD
# library, or an /etc/ld.so.preload implant, that logs every open sees
# nothing of it, while it sees the dynamic build's.
. "$E2E_LIB"

S=${CUSTODY_STATIC:-}
if [ -n "$ASAN" ]; then
	ok "# SKIP the static binary is tested by the plain build's run"
	done_testing
fi
if [ -z "$S" ] || [ ! -x "$S" ]; then
	ok "# SKIP no static custody: set CUSTODY_STATIC to build/cmd/custody-static (meson configure build -Dkit=true), or to a -Dstatic=true build's cmd/custody"
	done_testing
fi

# ------------------------------------------------------------ the binary
run "$S" --version
expect_rc "custody --version" 0
expect_out_match "says it is static" '^linked: static '
expect_out_match "names the OpenSSL it carries" '^libcrypto: OpenSSL 3\.'
expect_out_match "and libmagic, libyaml, jansson and zstd" \
    '^zstd: [0-9]+\.[0-9]+\.[0-9]+$'
expect_out_match "and its own SHA-256" \
    "^sha256: $(sha256sum <"$S" | cut -c1-64) /proc/self/exe\$"
run ldd "$S"
check "ldd: not a dynamic executable" \
    grep -q 'not a dynamic executable' "$T/.out" "$T/.err"
check "no ELF interpreter (no ld.so to run it)" \
    bash -c "! LC_ALL=C readelf -lW '$S' | grep -q INTERP"
check "no dynamic section" \
    bash -c "! LC_ALL=C readelf -dW '$S' | grep -q NEEDED"

# No name service: a TSA named by a name is refused as such, and the
# collection is sealed untimestamped; one named by its address is dialled
# (a port where nothing listens: refused).
mkdir tsatree
printf 'x\n' >tsatree/x
PORT=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run "$S" collect --no-nice --tsa "http://localhost:$PORT/" -o name.tar tsatree
expect_rc "--tsa with a host name: the collection completes" 0
expect_err "untimestamped: no name looked up" "custody: untimestamped: http://localhost:$PORT/: not an IP address (this static build looks up no names: give the TSA's address)"
run "$S" collect --no-nice --tsa "http://127.0.0.1:$PORT/" -o v4.tar tsatree
expect_err "--tsa with an IPv4 address is dialled" \
    "custody: untimestamped: http://127.0.0.1:$PORT/: Connection refused"
run "$S" collect --no-nice --tsa "http://[::1]:$PORT/" -o v6.tar tsatree
expect_err_match "and with an IPv6 address, in brackets" \
    "^custody: untimestamped: http://\\[::1\\]:$PORT/: (Connection refused|Cannot assign requested address|Network is unreachable|Address family not supported by protocol)\$"

# A library that logs the path of every open, fopen and exec of the
# process it is loaded into, to $HOOK_LOG, through the real functions.
cat >hook.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
note(const char *fn, const char *path)
{
	const char *log = getenv("HOOK_LOG");
	char line[4200];
	int fd, n;

	if (log == NULL)
		log = "/hook.log";
	n = snprintf(line, sizeof(line), "%s %s\n", fn, path);
	fd = (int)syscall(2, log, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		write(fd, line, n > 0 && n < (int)sizeof(line) ? (size_t)n : 0);
		close(fd);
	}
}

#define HOOK(name, ...) \
	int name(const char *p, int f, ...) \
	{ \
		static int (*real)(const char *, int, ...); \
		va_list ap; \
		mode_t m; \
		va_start(ap, f); m = va_arg(ap, mode_t); va_end(ap); \
		if (real == NULL) real = dlsym(RTLD_NEXT, #name); \
		note(#name, p); \
		return real(p, f, m); \
	}
HOOK(open)
HOOK(open64)

#define HOOKAT(name) \
	int name(int d, const char *p, int f, ...) \
	{ \
		static int (*real)(int, const char *, int, ...); \
		va_list ap; \
		mode_t m; \
		va_start(ap, f); m = va_arg(ap, mode_t); va_end(ap); \
		if (real == NULL) real = dlsym(RTLD_NEXT, #name); \
		note(#name, p); \
		return real(d, p, f, m); \
	}
HOOKAT(openat)
HOOKAT(openat64)

FILE *
fopen(const char *p, const char *m)
{
	static FILE *(*real)(const char *, const char *);

	if (real == NULL)
		real = dlsym(RTLD_NEXT, "fopen");
	note("fopen", p);
	return real(p, m);
}
C
if ! cc -shared -fPIC -O1 -o hook.so hook.c -ldl 2>cc.log; then
	not_ok "the logging library builds"
	sed 's/^/# /' cc.log
	done_testing
fi

mkdir tree
make_tree tree
HOOK_LOG=$T/control.log LD_PRELOAD=$T/hook.so "$CUSTODY" collect --no-nice \
    -o control.tar tree >/dev/null 2>&1
check "control: LD_PRELOAD logs the dynamic build's opens" \
    grep -q '^open' control.log
run env HOOK_LOG="$T/static.log" LD_PRELOAD="$T/hook.so" "$S" collect \
    --no-nice -o static.tar tree
expect_rc "the static build collects under LD_PRELOAD" 0
check "and the library logged nothing: it was never loaded" \
    test ! -e static.log
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
run "$CUSTODY" verify --trusted-key-id "$ID" static.tar
expect_rc "its bundle verifies with the tested build" 0

# ------------------------------------------------- alone in an empty root
# A new mount namespace whose root holds the binary alone, a fixture tree
# (with an /etc/ld.so.preload implant naming the logging library), /proc
# and an empty directory for the bundle.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
    ! unshare -m true 2>/dev/null; then
	ok "# SKIP the empty root needs root and mount namespaces (unshare -m)"
	done_testing
fi
R=$T/root
mkdir -p "$R/proc" "$R/evidence" "$R/out" "$R/etc" fixture/etc fixture/home/al
cp "$S" "$R/custody"
cp hook.so "$R/hook.so"
echo /hook.so >"$R/etc/ld.so.preload"
printf 'root:x:0:0:root:/root:/bin/sh\nal:x:1000:1000::/home/al:/bin/sh\n' \
    >fixture/etc/passwd
printf 'root:x:0:\nal:x:1000:\n' >fixture/etc/group
printf 'note\n' >fixture/home/al/notes.txt
run ls -A "$R"
check "the root holds the binary, /proc, the fixture, the bundle's directory and the implant" \
    test "$(echo $OUT)" = "custody etc evidence hook.so out proc"
# The root must be a mount point: collect makes its mounts private.
run strace -f -e trace=%file -o trace.log unshare -m --propagation private \
    sh -c 'mount --bind "$1" "$1" && mount --rbind /proc "$1/proc" &&
    mount --bind "$2" "$1/evidence" &&
    exec chroot "$1" /custody collect --no-nice --case EMPTY-ROOT \
    -o /out/b.tar /evidence /proc/version /proc/self/status' \
    sh "$R" "$T/fixture"
expect_rc "a collection in the empty root completes" 0
check "the implant logged nothing" test ! -e "$R/hook.log"
ID=$(sed -n 's/^seal key: *\([0-9A-F]\{16\}\).*/\1/p' "$T/.out")
run "$CUSTODY" verify --trusted-key-id "$ID" "$R/out/b.tar"
expect_rc "its bundle verifies outside with the tested build" 0
tar -xOf "$R/out/b.tar" --wildcards '*/metadata/files.jsonl' >files.jsonl
check "it holds the fixture" \
    grep -q '"path":"/evidence/home/al/notes.txt".*"status":"ok"' files.jsonl
check "and /proc/version, with its bytes" \
    bash -c "grep '\"path\":\"/proc/version\"' files.jsonl |
    grep -q '\"sha256\":\"$(sha256sum </proc/version | cut -c1-64)\"'"
# What the binary opened, from its exec on: inside the root, never the
# loader's, the locale's, NSS's or OpenSSL's files.
sed -n '/execve("\/custody"/,$p' trace.log >opened.log
check "the trace saw the binary run" test -s opened.log
check "no ld.so.preload, ld.so.cache, shared object, locale, gconv, NSS or OpenSSL configuration opened" \
    bash -c "! grep -E 'ld\\.so|\\.so[\".]|/usr/lib/(x86_64|ssl|locale)|locale-archive|gconv|nsswitch|resolv\\.conf|host\\.conf|gai\\.conf|\"/etc/(passwd|group)|openssl|/ssl/' opened.log"

done_testing
