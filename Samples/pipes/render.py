#!/usr/bin/env python3
"""Render captured container logs as the client tools print them on a pipe, two pods (or services) interleaved.

Usage:
  python3 Samples/pipes/render.py            # writes Samples/pipes/*.log from Samples/*/rendered/*.containerd.log

Input: the containerd renderings of the real captures (Samples/<lang>/rendered/<shape>.containerd.log, CRI lines
"<time> <stream> <P|F> <content>"), read as the kubelet reads them for `kubectl logs`: P chunks joined to their F,
stdout and stderr in the file's order. Each capture plays two replicas: replica "a" with the file's own times,
replica "b" the same lines 500 us later; their lines alternate on the pipe, one for one, which is the worst
interleaving a tool can print.

The shapes, from the tools' sources:

  kubectl logs --prefix        "[pod/NAME/CONTAINER] " + line
      (kubectl staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go: addPrefixIfNeeded, fmt.Sprintf("[%s/%s/%s] ",
      kind, name, container))
  --timestamps / docker logs -t  time + " " + line, the time as "2006-01-02T15:04:05.000000000Z07:00"
      (kubelet pkg/kubelet/kuberuntime/logs/logs.go: timeFormatOut; moby jsonmessage.RFC3339NanoFixed)
  docker compose logs [-t]     fmt.Sprintf("%-*s | ", width, name) + [time + " "] + line, width = longest name + 1
      (docker/compose cmd/formatter/logs.go: presenter.setPrefix, logConsumer.write); no colour on a pipe
  stern [--timestamps]         "{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{.Message}}"
      (stern's default template; --timestamps puts the time and a space before the message). With --color always,
      github.com/fatih/color wraps each name in "\\x1b[<code>m" ... "\\x1b[0m".
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent

# Pod names as a Deployment's ReplicaSet names them: <deployment>-<pod-template-hash>-<5 chars of
# bcdfghjklmnpqrstvwxz2456789>.
PODS = {"a": "shop-api-7d9c5b6f4-x2x4q", "b": "shop-api-7d9c5b6f4-mzq7w"}
SERVICES = {"a": "api-1", "b": "worker-1"}
CONTAINER = "api"


def parse_time(text):
    """RFC 3339 with 0-9 fractional digits and Z -> nanoseconds since the epoch (UTC only: the renderings are UTC)."""
    import calendar
    assert text.endswith("Z"), text
    main, _, frac = text[:-1].partition(".")
    seconds = calendar.timegm(tuple(int(x) for x in main.replace("T", "-").replace(":", "-").split("-")) + (0, 0, 0))
    return seconds * 1_000_000_000 + int((frac + "000000000")[:9])


def fixed_time(nanos):
    """Go's "2006-01-02T15:04:05.000000000Z07:00" in UTC."""
    import time
    seconds, fraction = divmod(nanos, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def read_cri(path):
    """(time, content bytes) per whole line, as the kubelet returns them."""
    lines, pending, first = [], b"", None
    for raw in path.read_bytes().split(b"\n"):
        if not raw:
            continue
        time, stream, tag, content = (raw.split(b" ", 3) + [b""])[:4]
        first = first if pending else parse_time(time.decode())
        pending += content
        if tag == b"F":
            lines.append((first, pending))
            pending = b""
    if pending:
        lines.append((first, pending))
    return lines


def interleave(lines):
    """Replica a and replica b (500 us later), one line each in turn."""
    for time, content in lines:
        yield "a", time, content
        yield "b", time + 500_000, content


def render(lines, prefix, timestamps):
    out = bytearray()
    for replica, time, content in interleave(lines):
        out += prefix(replica).encode()
        if timestamps:
            out += fixed_time(time).encode() + b" "
        out += content + b"\n"
    return bytes(out)


def colour(code, text):
    return f"\x1b[{code}m{text}\x1b[0m"


def main():
    captures = {
        "java": ROOT / "java/rendered/traces.containerd.log",
        "python": ROOT / "python/rendered/tracebacks.containerd.log",
        "go": ROOT / "go/rendered/panic.containerd.log",
    }
    width = max(len(name) for name in SERVICES.values()) + 1
    shapes = {
        "kubectl": (lambda r: f"[pod/{PODS[r]}/{CONTAINER}] ", True),
        "kubectl-prefix": (lambda r: f"[pod/{PODS[r]}/{CONTAINER}] ", False),
        "compose": (lambda r: f"{SERVICES[r]:<{width}} | ", False),
        "compose-t": (lambda r: f"{SERVICES[r]:<{width}} | ", True),
        "stern": (lambda r: f"{PODS[r]} {CONTAINER} ", False),
        # stern --color always --timestamps: fatih/color, pod in one colour, container in another.
        "stern-color": (lambda r: colour("32", PODS[r]) + " " + colour("92", CONTAINER) + " ", True),
    }
    for lang, path in captures.items():
        lines = read_cri(path)
        for shape, (prefix, timestamps) in shapes.items():
            (OUT / f"{lang}.{shape}.log").write_bytes(render(lines, prefix, timestamps))
        # kubectl logs --timestamps / docker logs -t: one container, no prefix.
        (OUT / f"{lang}.timestamps.log").write_bytes(
            b"".join(fixed_time(time).encode() + b" " + content + b"\n" for time, content in lines))
    print(f"rendered {len(captures) * (len(shapes) + 1)} files into {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
