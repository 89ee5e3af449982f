#!/usr/bin/env bash
# Renders every captured sample (Samples/<lang>/<shape>.log that has an .expected.jsonl) as Docker json-file,
# containerd and CRI-O logs under Samples/<lang>/rendered/, with every other ordinary line moved to stdout so that
# streams interleave around the traces, and CRI-O reads packed so that short P chunks fall anywhere.
# The tests decode each rendering and expect exactly the records of the plain capture, per stream.
set -euo pipefail
cd "$(dirname "$0")/.."
for expected in */*.expected.jsonl; do
    lang=${expected%%/*}
    [ "$lang" = render ] && continue
    capture=${expected%.expected.jsonl}.log
    [ -f "$capture" ] || continue
    mkdir -p "$lang/rendered"
    python3 render/render.py "$capture" -o "$lang/rendered" --interleave --crio-reads packed \
        --start 2026-11-29T05:00:00Z --step-ms 2
done
echo "rendered: $(ls */rendered/*.log | wc -l) files" >&2
# What the client tools print on a pipe (kubectl, docker -t, compose, stern), from the containerd renderings above.
# The journalctl files are captured, not rendered: `sudo bash Samples/pipes/capture-journal.sh`.
python3 pipes/render.py
