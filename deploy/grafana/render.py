#!/usr/bin/env python3
"""Renders deploy/grafana/weft.png: the dashboard's own panels over a real /metrics capture (soak.py), without Grafana.

  deploy/grafana/render.py [--dashboard weft.json] [--capture soak/scrape.txt.gz] [--summary soak/summary.json]
                           [--out weft.png] [--rate-interval 10]

Reads every panel of weft.json (its type, title, unit, stacking, place on the 24-column grid) and evaluates each
query's PromQL over the capture, at every scrape, with the template variables at "All". Only the forms the dashboard
uses are understood (anything else is an error, so the picture cannot silently drift from the queries):

  NAME{matchers}                        the value at each scrape
  rate(NAME{matchers}[$__rate_interval])  per-second increase over the window (counter resets handled), no
                                         extrapolation; $__rate_interval is --rate-interval seconds
  sum|max [by (labels)] (EXPR)           aggregation
  histogram_quantile(Q, EXPR)            linear interpolation within the bucket, as Prometheus does
  EXPR * NUMBER

Dark panels laid out like Grafana's, stat panels show the last value over a sparkline. The fault phases of the soak
run (summary.json) are drawn as dashed lines, like annotations. Needs matplotlib (Debian: python3-matplotlib).
"""

import argparse
import gzip
import json
import math
import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#fade2a", "#c4162a",
          "#96d98d"]
BACKGROUND, PANEL, TEXT, GRID, DIM = "#111217", "#181b1f", "#ccccdc", "#2c3235", "#8e8e9e"


def read_capture(path):
    """[(seconds, {(name, labels tuple): value})] from the '# scrape T' separated capture, with the `instance` label
    Prometheus adds at scrape time (the address scraped, from the capture's '# instance' line)."""
    scrapes = []
    instance = "localhost"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as file:
        for line in file:
            if line.startswith("# instance "):
                instance = line.split()[2]
                continue
            if line.startswith("# scrape "):
                scrapes.append((float(line.split()[2]), {}))
                continue
            if not line.strip() or line.startswith("#") or not scrapes:
                continue
            match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
            if not match:
                continue
            found = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(2) or "")
            labels = tuple(sorted(found + [("instance", instance)]))
            scrapes[-1][1][(match.group(1), labels)] = float(match.group(3))
    return scrapes


class Evaluator:
    """The dashboard's PromQL forms over the capture, as {labels tuple: [value per scrape]} (None: no value)."""

    def __init__(self, scrapes, window):
        self.scrapes = scrapes
        self.times = [t for t, _ in scrapes]
        self.window = window

    def evaluate(self, expression):
        expression = expression.strip()
        match = re.fullmatch(r"(.*\))\s*\*\s*([0-9.]+)", expression)
        if match:
            factor = float(match.group(2))
            return {k: [None if v is None else v * factor for v in vs]
                    for k, vs in self.evaluate(match.group(1)).items()}
        match = re.fullmatch(r"histogram_quantile\(\s*([0-9.]+)\s*,\s*(.*)\)", expression)
        if match:
            return self.quantile(float(match.group(1)), self.evaluate(match.group(2)))
        match = re.fullmatch(r"(sum|max)(?:\s+by\s+\(([^)]*)\))?\s*\((.*)\)", expression)
        if match:
            by = [label.strip() for label in (match.group(2) or "").split(",") if label.strip()]
            return self.aggregate(match.group(1), by, self.evaluate(match.group(3)))
        match = re.fullmatch(r"rate\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\[\$__rate_interval\]\)", expression)
        if match:
            return {k: self.rate(vs) for k, vs in self.select(match.group(1), match.group(2)).items()}
        match = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expression)
        if match:
            return self.select(match.group(1), match.group(2))
        raise ValueError(f"render.py does not understand {expression!r}")

    def select(self, name, matchers):
        fixed = []
        for matcher in filter(None, (m.strip() for m in matchers.split(","))):
            label, operator, value = re.fullmatch(r'(\w+)\s*(=~|!~|!=|=)\s*"(.*)"', matcher).groups()
            if "$" in value:
                continue  # a template variable, at "All"
            fixed.append((label, operator, value))
        series = {}
        for index, (_, samples) in enumerate(self.scrapes):
            for (sample, labels), value in samples.items():
                if sample != name:
                    continue
                values = dict(labels)
                if not all(self.matches(values.get(l, ""), o, v) for l, o, v in fixed):
                    continue
                series.setdefault(labels, [None] * len(self.scrapes))[index] = value
        return series

    @staticmethod
    def matches(actual, operator, value):
        if operator == "=":
            return actual == value
        if operator == "!=":
            return actual != value
        found = re.fullmatch(value, actual) is not None
        return found if operator == "=~" else not found

    def rate(self, values):
        out = []
        for index, t in enumerate(self.times):
            points = [(self.times[i], values[i]) for i in range(index + 1)
                      if values[i] is not None and t - self.window < self.times[i] <= t]
            if len(points) < 2:
                out.append(None)
                continue
            increase = 0.0
            for (_, before), (_, after) in zip(points, points[1:]):
                increase += after - before if after >= before else after  # a reset starts again from 0
            out.append(increase / (points[-1][0] - points[0][0]))
        return out

    def aggregate(self, operation, by, series):
        groups = {}
        for labels, values in series.items():
            key = tuple((l, v) for l, v in labels if l in by)
            groups.setdefault(key, []).append(values)
        result = {}
        for key, members in groups.items():
            combined = []
            for index in range(len(self.times)):
                present = [m[index] for m in members if m[index] is not None and not math.isnan(m[index])]
                combined.append(None if not present else sum(present) if operation == "sum" else max(present))
            result[key] = combined
        return result

    def quantile(self, q, series):
        groups = {}
        for labels, values in series.items():
            rest = tuple((l, v) for l, v in labels if l != "le")
            bound = float(dict(labels)["le"].replace("+Inf", "inf"))
            groups.setdefault(rest, []).append((bound, values))
        result = {}
        for key, buckets in groups.items():
            buckets.sort()
            out = []
            for index in range(len(self.times)):
                counts = [(b, v[index]) for b, v in buckets if v[index] is not None]
                if len(counts) < 2 or counts[-1][1] <= 0:
                    out.append(None)
                    continue
                rank = q * counts[-1][1]
                previous_bound, previous_count = 0.0, 0.0
                value = None
                for bound, count in counts:
                    if count >= rank:
                        if math.isinf(bound):
                            value = previous_bound  # the highest finite bound, as Prometheus answers
                        else:
                            share = (rank - previous_count) / (count - previous_count) if count > previous_count else 1
                            value = previous_bound + (bound - previous_bound) * share
                        break
                    previous_bound, previous_count = bound, count
                out.append(value)
            result[key] = out
        return result


def formatter(unit):
    def scaled(value, steps, base, suffix):
        for step in steps:
            if abs(value) < base:
                return f"{value:.3g} {step}{suffix}".replace(" ", " ") if step else f"{value:.3g}{suffix}"
            value /= base
        return f"{value:.3g} {steps[-1]}{suffix}"

    def format(value, _=None):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        if unit == "bytes":
            return scaled(value, ["B", "KiB", "MiB", "GiB"], 1024, "")
        if unit == "Bps":
            return scaled(value, ["B", "KiB", "MiB", "GiB"], 1024, "/s")
        if unit == "percentunit":
            return f"{value * 100:.3g}%"
        if unit == "s":
            return f"{value * 1000:.3g} ms" if 0 < abs(value) < 1 else f"{value:.3g} s"
        return scaled(value, ["", "K", "M", "G"], 1000, "")
    return format


def describe(actions):
    """The sink's --faults actions in words."""
    words = []
    for action in filter(None, actions.split(",")):
        name, _, value = action.partition("=")
        if name == "ok":
            words.append("healthy")
        elif name == "delay":
            words.append(f"answers {value} s late")
        elif name == "reset":
            words.append(f"{float(value):.0%} reset")
        else:
            words.append(f"{float(value):.0%} {name}")
    return ", ".join(words)


def legend(template, labels, fallback):
    values = dict(labels)
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), ""), template or "")
    return text.strip() or fallback


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dashboard", default=os.path.join(HERE, "weft.json"))
    parser.add_argument("--capture", default=os.path.join(HERE, "soak/scrape.txt.gz"))
    parser.add_argument("--summary", default=os.path.join(HERE, "soak/summary.json"))
    parser.add_argument("--out", default=os.path.join(HERE, "weft.png"))
    parser.add_argument("--rate-interval", type=float, default=10.0)
    parser.add_argument("--dpi", type=int, default=80)
    options = parser.parse_args()

    dashboard = json.load(open(options.dashboard))
    scrapes = read_capture(options.capture)
    evaluator = Evaluator(scrapes, options.rate_interval)
    minutes = [t / 60 for t in evaluator.times]
    summary = json.load(open(options.summary)) if os.path.exists(options.summary) else {}
    phases = []
    for phase in summary.get("faults", "").split():
        start, _, actions = phase.partition(":")
        phases.append((float(start) / 60, describe(actions)))

    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    unit_height = 0.36
    header = 1.1
    width, height = 18.0, rows * unit_height + header
    figure = plt.figure(figsize=(width, height), facecolor=BACKGROUND)
    title = f"{dashboard['title']}: a {evaluator.times[-1] / 60:.1f} min soak run, /metrics scraped every second"
    figure.text(0.006, 1 - 0.3 / height, title, color=TEXT, fontsize=14, weight="bold", va="center")
    detail = ("Rendered by deploy/grafana/render.py from weft.json's own queries over a real /metrics capture "
              f"(deploy/grafana/soak.py; $__rate_interval = {options.rate_interval:g} s), not by Grafana.\n"
              "OTLP backend, on purpose (dashed lines): "
              + "; ".join(f"{int(s)}:{round(s % 1 * 60):02d} {a}" for s, a in phases))
    figure.text(0.006, 1 - 0.68 / height, detail, color=DIM, fontsize=9, va="center", linespacing=1.5)
    gap = 0.05

    def rect(grid, left=0.0, bottom=0.0, top=0.0, right=0.0):
        """A panel's place in figure fractions, less the given margins (inches)."""
        x = grid["x"] / 24 * width + gap + left
        y = header + grid["y"] * unit_height + gap + top
        w = grid["w"] / 24 * width - 2 * gap - left - right
        h = grid["h"] * unit_height - 2 * gap - top - bottom
        return [x / width, 1 - (y + h) / height, w / width, h / height]

    for panel in panels:
        grid = panel["gridPos"]
        if panel["type"] == "row":
            place = rect(grid)
            figure.text(place[0], place[1] + place[3] / 2, panel["title"], color=TEXT, fontsize=12, weight="bold",
                        va="center")
            continue
        place = rect(grid)
        figure.patches.append(plt.Rectangle((place[0], place[1]), place[2], place[3], transform=figure.transFigure,
                                            facecolor=PANEL, edgecolor=GRID, lw=0.8, zorder=-10))
        figure.text(place[0] + 0.08 / width, place[1] + place[3] - 0.17 / height, panel["title"], color=TEXT,
                    fontsize=10, weight="bold", va="center")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        fmt = formatter(unit)
        series = []
        for target in panel["targets"]:
            for labels, values in sorted(evaluator.evaluate(target["expr"]).items()):
                series.append((legend(target.get("legendFormat"), labels, target["refId"]), values))
        if panel["type"] == "stat":
            axes = figure.add_axes(rect(grid, top=0.32), facecolor="none")
            axes.set_axis_off()
            values = series[0][1] if series else []
            last = next((v for v in reversed(values) if v is not None), None)
            thresholds = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
            color = "green"
            for step in thresholds:
                if step["value"] is None or (last is not None and last >= step["value"]):
                    color = step["color"]
            color = {"green": "#73bf69", "orange": "#ff9830", "red": "#f2495c"}.get(color, color)
            points = [(m, v) for m, v in zip(minutes, values) if v is not None]
            if points:
                axes.fill_between([m for m, _ in points], [v for _, v in points], color=color, alpha=0.18, lw=0)
                axes.set_ylim(0, max(v for _, v in points) * 1.5 or 1)
            axes.set_xlim(minutes[0], minutes[-1])
            axes.text(0.5, 0.5, fmt(last), color=color, fontsize=22, weight="bold", ha="center", va="center",
                      transform=axes.transAxes)
            continue
        legend_rows = math.ceil(len(series) / 4)
        axes = figure.add_axes(rect(grid, left=0.62, bottom=0.28, top=0.34 + 0.17 * legend_rows, right=0.12),
                               facecolor=PANEL)
        for spine in axes.spines.values():
            spine.set_visible(False)
        stacked = panel["fieldConfig"]["defaults"].get("custom", {}).get("stacking", {}).get("mode") == "normal"
        base = [0.0] * len(minutes)
        handles = []
        for index, (name, values) in enumerate(series):
            color = COLORS[index % len(COLORS)]
            if stacked:
                top = [b + (v or 0) for b, v in zip(base, values)]
                axes.fill_between(minutes, base, top, color=color, alpha=0.3, lw=0)
                handles += axes.plot(minutes, top, color=color, lw=1.1, label=name)
                base = top
            else:
                handles += axes.plot(minutes, [math.nan if v is None else v for v in values], color=color, lw=1.2,
                                     label=name)
        for start, _ in phases[1:]:
            axes.axvline(start, color="#6e747c", lw=0.8, ls=(0, (4, 3)))
        axes.set_xlim(minutes[0], minutes[-1])
        axes.set_ylim(bottom=0)
        if all(v is None or v == 0 for _, values in series for v in values):
            axes.set_ylim(0, 1)
        axes.yaxis.set_major_formatter(FuncFormatter(fmt))
        axes.yaxis.set_major_locator(MaxNLocator(4))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda m, _: f"{int(m)}:{int(round(m % 1 * 60)):02d}"))
        axes.tick_params(colors=DIM, labelsize=8, length=0, pad=3)
        axes.grid(color=GRID, lw=0.6)
        if handles:
            figure.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, labelcolor=TEXT,
                          ncol=min(4, len(series)), handlelength=1.2, columnspacing=1.0, borderaxespad=0,
                          bbox_to_anchor=(place[0] + 0.05 / width, place[1] + place[3] - 0.3 / height))
    figure.savefig(options.out, dpi=options.dpi, facecolor=BACKGROUND)
    print(f"render: {options.out}: {len(panels)} panels, {len(scrapes)} scrapes, "
          f"{os.path.getsize(options.out) // 1024} KiB")


if __name__ == "__main__":
    main()
