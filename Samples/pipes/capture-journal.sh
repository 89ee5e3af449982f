#!/usr/bin/env bash
# Captures journalctl's output formats for real: runs systemd-journald (Debian's systemd 252) in a private mount
# namespace with its runtime directories on tmpfs, so the machine's own journal (if any) is untouched; pipes two
# replicas of each captured trace sample (Samples/<lang>/<shape>.log) into two `systemd-cat -t <ident>` processes,
# one line to each in turn; then prints them with `journalctl -o short-iso`, `-o short-precise` and `-o json`.
#
# Needs root (unshare, mount) and the `systemd` package (journald, systemd-cat, journalctl).
# Usage: sudo bash Samples/pipes/capture-journal.sh       (writes Samples/pipes/*.journal*.log)
set -euo pipefail
self=$(readlink -f "$0")
cd "$(dirname "$self")"
if [ "${1:-}" != --inside ]; then
    command -v journalctl >/dev/null || { apt-get update && apt-get install -y systemd; }
    exec unshare -m --propagation private bash "$self" --inside
fi

for dir in /run/systemd /run/log/journal /var/log/journal; do
    mkdir -p "$dir"
    mount -t tmpfs tmpfs "$dir"
done
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald &
journald=$!
trap 'kill $journald 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done

for capture in java/traces python/tracebacks go/panic; do
    lang=${capture%%/*}
    python3 - "../$capture.log" "$lang-a" "$lang-b" <<'PY'
import subprocess, sys, time
capture, idents = sys.argv[1], sys.argv[2:]
cats = [subprocess.Popen(["systemd-cat", "-t", ident], stdin=subprocess.PIPE) for ident in idents]
for line in open(capture, "rb").read().splitlines(keepends=True):
    for cat in cats:
        cat.stdin.write(line)
        cat.stdin.flush()
        time.sleep(0.002)  # one line each in turn reaches journald in that order
for cat in cats:
    cat.stdin.close()
    cat.wait()
PY
    sleep 0.5
    journalctl --no-pager -o short-iso -t "$lang-a" -t "$lang-b" > "$lang.journal-short-iso.log"
    journalctl --no-pager -o short-precise -t "$lang-a" -t "$lang-b" > "$lang.journal-short-precise.log"
    journalctl --no-pager -o json -t "$lang-a" -t "$lang-b" > "$lang.journal-json.log"
done
# Messages of several lines, as a logging library hands a whole traceback to the journal in one entry (native
# protocol, as sd_journal_send does): every record of python/tracebacks.expected.jsonl that is a trace, sent as one
# message by "pymulti-a" and again by "pymulti-b", in turn. journalctl's short formats print the later lines of such
# a message indented by the width of the first line's prefix.
python3 - ../python/tracebacks.expected.jsonl <<'PY'
import json, socket, struct, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def field(name, value):
    value = value.encode()
    if b"\n" in value:
        return name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return name.encode() + b"=" + value + b"\n"
for line in open(sys.argv[1]):
    record = json.loads(line)
    if record["parser"] is None:
        continue
    for ident in ("pymulti-a", "pymulti-b"):
        sock.sendto(field("MESSAGE", record["body"]) + field("SYSLOG_IDENTIFIER", ident), "/run/systemd/journal/socket")
PY
sleep 0.5
journalctl --no-pager -o short-iso -t pymulti-a -t pymulti-b > python.journal-multiline-short-iso.log
journalctl --no-pager -o json -t pymulti-a -t pymulti-b > python.journal-multiline-json.log
echo "captured with $(journalctl --version | head -1)" >&2
