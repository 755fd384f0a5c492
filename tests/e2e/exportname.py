"""exportname.py: a files.jsonl record's path as custody export writes it:
the raw UTF-8 path, or for a path that is not UTF-8 (path_b64) its
stored-name escape (custody-bundle(5): '%', '^', C0 controls, DEL and bytes
of invalid UTF-8 as ^XX)."""
import base64


def escape(raw):
    out, i = [], 0
    while i < len(raw):
        ch = None
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
                break
            except UnicodeDecodeError:
                continue
        if ch is None or ch in "%^" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("^%02X" % raw[i])
            i += 1
        else:
            out.append(ch)
            i += len(ch.encode("utf-8"))
    return "".join(out)


def path(rec):
    if "path" in rec:
        return rec["path"]
    return escape(base64.b64decode(rec["path_b64"]))
