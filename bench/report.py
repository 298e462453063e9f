"""The results: the JSON written to bench/results/latest.json, the targets they are judged by, the table."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
from pathlib import Path

from bench.load import Summary

TARGETS = ("direct", "function", "codelab")
SCHEMES = ("http", "https")


def machine() -> str:
    """CPU model, cores, memory, OS and Python, e.g. for the README's figures."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kib / 2**20:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def judge(results: dict) -> dict:
    """Each target of issue 6 with its measured value, its limit and whether it is met."""
    http, https = results["http"], results["https"]
    checks = {
        "function_p50_over_direct_p50": (_ratio(http["function"], http["direct"]), 1.10),
        "https_function_p50_over_codelab_p50": (_ratio(https["function"], https["codelab"]), 0.5),
        "peak_rss_mb": (results["peak_rss_mb"], 150.0),
        "cold_start_s": (results["cold_start_s"], 1.5),
    }
    return {
        name: {"value": None if v is None else round(v, 3), "limit": lim, "met": v is not None and v <= lim}
        for name, (v, lim) in checks.items()
    }


def _ratio(numerator: dict, denominator: dict) -> float | None:
    """p50 over p50; None when either target had no successful call (or errors, which void the figure)."""
    if numerator["errors"] or denominator["errors"] or None in (numerator["p50_ms"], denominator["p50_ms"]):
        return None
    return numerator["p50_ms"] / denominator["p50_ms"]


def as_json(summaries: dict[str, dict[str, Summary]], **figures: object) -> dict:
    """The issue's shape, {"http": {...}, "https": {...}, ...}, plus `figures` and the judged targets."""
    results: dict = {
        scheme: {target: dataclasses.asdict(summaries[scheme][target]) for target in TARGETS}
        for scheme in SCHEMES
    }
    results.update(figures)
    results["targets"] = judge(results)
    return results


def write(results: dict, path: Path) -> None:
    """Write atomically, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    partial.replace(path)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(results: dict) -> str:
    """A plain-text table of every figure and target."""
    lines = [
        f"{'scheme':<7}{'target':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}"
        f"{'cpu ms/req: server':>20}{'upstream':>10}"
    ]
    for scheme in SCHEMES:
        for target in TARGETS:
            s = results[scheme][target]
            cpu = results["cpu_ms_per_request"][f"{scheme}/{target}"]
            percentiles = "".join(f"{_ms(s[key]):>9}" for key in ("p50_ms", "p95_ms", "p99_ms"))
            lines.append(
                f"{scheme:<7}{target:<10}{percentiles}{s['rps']:>9.1f}{s['errors']:>8}"
                f"{_ms(cpu['server']):>20}{_ms(cpu['upstream']):>10}"
            )
    lines.append(f"cold start {results['cold_start_s']:.2f} s, peak RSS {results['peak_rss_mb']:.0f} MB")
    for name, check in results["targets"].items():
        lines.append(
            f"{'met' if check['met'] else 'MISSED':<7}{name} = {check['value']} (limit {check['limit']})"
        )
    lines.append(f"machine: {results['machine']}")
    return "\n".join(lines)
