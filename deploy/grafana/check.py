#!/usr/bin/env python3
"""Checks that deploy/grafana/weft.json stays true to what Weft serves on /metrics.

  deploy/grafana/check.py [--weft BINARY | --scrape FILE] [--dashboard deploy/grafana/weft.json]

Always: the file is a Grafana dashboard (JSON; a Prometheus datasource variable that every panel and query uses;
unique panel ids; panels inside the 24-column grid; `instance` and `source` template variables; a current
schemaVersion), and every query selects Weft's own metrics (`weft_*`, `process_*`) and honours `$instance`.

With --weft: runs that binary as `weft tail` over a Python sample (a multiline traceback among plain lines),
shipping to the loopback OTLP sink (Benchmarks/otlp_sink.py), with --metrics-address 127.0.0.1:0; once it has
shipped records it scrapes /metrics and checks that every metric name in the dashboard's queries is there (a renamed
metric fails), and that every label a query groups by (`sum by (parser)`) is on that metric. With --scrape: the
same check against a saved /metrics text.

Python 3 standard library only. Exit status 1 on any failure, with one line per problem.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A metric as the dashboard writes it: a name and its braces (every query selects with {…}).
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
BY = re.compile(r"\bby \(([^)]*)\)\s*\(\s*(?:rate\()?([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
# Labels Prometheus adds at scrape time (not on /metrics) and the histogram's bucket bound.
ADDED_LABELS = {"instance", "job"}


def queries(dashboard):
    """(panel title, expression) for every query of every panel, rows' nested panels included."""
    for panel in dashboard.get("panels", []):
        for inner in [panel] + panel.get("panels", []):
            for target in inner.get("targets", []):
                yield inner.get("title", "?"), target.get("expr", "")


def metric_names(expression):
    return set(SELECTOR.findall(expression)) - {"by"}


def check_structure(dashboard):
    problems = []
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    datasource = variables.get("datasource")
    if not datasource or datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        problems.append("no Prometheus datasource variable named 'datasource'")
    for name in ("instance", "source"):
        if variables.get(name, {}).get("type") != "query":
            problems.append(f"no '{name}' query variable")
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 39:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')!r}: expected a current one (39 or later)")
    ids = [p.get("id") for p in dashboard.get("panels", [])]
    if len(ids) != len(set(ids)):
        problems.append("panel ids are not unique")
    for panel in dashboard.get("panels", []):
        title = panel.get("title", "?")
        grid = panel.get("gridPos", {})
        if grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"panel '{title}' runs past the 24-column grid")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"panel '{title}' does not use the ${{datasource}} variable")
        if not panel.get("targets"):
            problems.append(f"panel '{title}' has no query")
        for target in panel.get("targets", []):
            expression = target.get("expr", "")
            if not metric_names(expression):
                problems.append(f"panel '{title}': no metric selector in {expression!r}")
            for name in metric_names(expression):
                if not (name.startswith("weft_") or name.startswith("process_")):
                    problems.append(f"panel '{title}': {name} is not one of Weft's metrics")
            if "$instance" not in expression:
                problems.append(f"panel '{title}': {expression!r} ignores the instance variable")
    return problems


def parse_scrape(text):
    """{sample name: [label dicts]} from the Prometheus text format."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s", line)
        if not match:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        samples.setdefault(match.group(1), []).append(labels)
    return samples


def check_against(dashboard, scrape):
    samples = parse_scrape(scrape)
    problems = []
    for title, expression in queries(dashboard):
        for name in sorted(metric_names(expression)):
            if name not in samples:
                problems.append(f"panel '{title}': {name} is not on /metrics")
        for labels, name in BY.findall(expression):
            for label in (label.strip() for label in labels.split(",")):
                if label in ADDED_LABELS or name not in samples:
                    continue
                if not any(label in series for series in samples[name]):
                    problems.append(f"panel '{title}': no {name} series has the label '{label}'")
    return problems, len(samples)


def scrape_running_weft(binary):
    """Runs weft tail over a sample into the loopback sink until it has shipped records; returns /metrics."""
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory(prefix="weft-dashboard-check-") as root:
        os.makedirs(os.path.join(root, "logs"))
        with open(os.path.join(ROOT, "Samples/python/logging_default.log"), "rb") as sample:
            text = sample.read()
        with open(os.path.join(root, "logs/app.log"), "wb") as log:
            log.write(b"INFO starting\n" + text + b"INFO done\n")
        sink = subprocess.Popen([sys.executable, os.path.join(ROOT, "Benchmarks/otlp_sink.py")],
                                stdout=subprocess.PIPE, text=True)
        weft = None
        try:
            port = int(sink.stdout.readline().split()[1])
            stderr_path = os.path.join(root, "stderr.txt")
            with open(stderr_path, "wb") as stderr:
                weft = subprocess.Popen(
                    [binary, "tail", "logs/*.log", "--state-dir", "state", "--otlp-endpoint",
                     f"http://127.0.0.1:{port}", "--flush-timeout", "100ms", "--batch-timeout", "50ms",
                     "--metrics-address", "127.0.0.1:0"],
                    cwd=root, stdout=subprocess.DEVNULL, stderr=stderr)
            deadline = time.monotonic() + 60
            base = None
            text = ""
            while time.monotonic() < deadline:
                if weft.poll() is not None:
                    raise SystemExit(f"check.py: weft exited with {weft.returncode}:\n" + open(stderr_path).read())
                if base is None:
                    found = re.search(r"serving /metrics.*?address=(\S+)", open(stderr_path).read())
                    base = found.group(1) if found else None
                if base is not None:
                    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
                    samples = parse_scrape(text)
                    # Shipped, a multiline record counted, and published (once a second) since.
                    if ("weft_multiline_records_total" in samples and "process_resident_memory_bytes" in samples
                            and re.search(r"^weft_otlp_records_sent_total(\{[^}]*\})? [1-9]", text, re.M)):
                        return text
                time.sleep(0.25)
            return text
        finally:
            for process in (weft, sink):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dashboard", default=os.path.join(ROOT, "deploy/grafana/weft.json"))
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--weft", help="a weft binary to run and scrape")
    source.add_argument("--scrape", help="a saved /metrics text to check against")
    options = parser.parse_args()

    with open(options.dashboard) as file:
        dashboard = json.load(file)
    problems = check_structure(dashboard)
    names = set()
    for _, expression in queries(dashboard):
        names |= metric_names(expression)
    scraped = None
    if options.weft or options.scrape:
        text = scrape_running_weft(options.weft) if options.weft else open(options.scrape).read()
        found, scraped = check_against(dashboard, text)
        problems += found
    for problem in problems:
        print(f"grafana: {problem}", file=sys.stderr)
    where = f" against {scraped} sample names on /metrics" if scraped is not None else " (structure only)"
    status = "FAILED" if problems else "ok"
    print(f"grafana: {len(list(queries(dashboard)))} queries over {len(names)} metrics checked{where}: {status}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
