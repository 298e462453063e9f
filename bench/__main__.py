"""`python -m bench`: measure the chain side by side and write bench/results/latest.json.

One run starts the model server (the emulator serving --models-dir), a TLS terminator in front of it, and for
each scheme (http, then https upstream) our function and the codelab baseline; then it measures, for the same
users at the same concurrency, the model calls alone (the floor), the function and the codelab pattern, in
alternating slices. Last, it times the function's cold start against the warm model server.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import report
from bench.coldstart import median_cold_start
from bench.compare import Measured, Target, measure
from bench.config import REPO_ROOT, BenchConfig, parse_config
from bench.processes import start_codelab, start_emulator, start_function, start_tls_terminator
from bench.proctree import Memory, PeakMemory
from bench.targets import direct, recommend_endpoint
from bench.tls import write_self_signed_cert
from tests.support.servers import ServerProcess

log = logging.getLogger("bench")


def function_env(config: BenchConfig, cert: Path) -> dict[str, str]:
    """The function's settings: trust the terminator's certificate, no ID tokens locally, threads if set."""
    env = {"REQUESTS_CA_BUNDLE": str(cert), "AUTH_MODE": "none"}
    if config.function_threads:
        env["THREADS"] = str(config.function_threads)
    return env


def bench_scheme(
    serving_url: str, upstream_pids: list[int], config: BenchConfig, cert: Path
) -> tuple[dict[str, Measured], Memory]:
    """All three targets against one upstream URL; also the function's peak memory meanwhile."""
    with contextlib.ExitStack() as stack:
        function = _stopped_on_exit(
            stack, start_function(serving_url, config.function_source, **function_env(config, cert))
        )
        codelab = _stopped_on_exit(stack, start_codelab(serving_url, REQUESTS_CA_BUNDLE=str(cert)))
        targets = {
            "direct": Target(direct(serving_url, config.k, verify=str(cert))),
            "function": Target(recommend_endpoint(function.url, config.k), function.process.pid),
            "codelab": Target(recommend_endpoint(codelab.url, config.k), codelab.process.pid),
        }
        with PeakMemory(function.process.pid) as memory:
            results = measure(targets, upstream_pids, config)
        return results, memory.peak


def _stopped_on_exit(stack: contextlib.ExitStack, server: ServerProcess) -> ServerProcess:
    stack.callback(server.stop)
    return server


def _shown(path: Path) -> str:
    """`path` relative to the repository when it is inside it, so results do not name the checkout."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def run(config: BenchConfig, argv: Sequence[str]) -> dict:
    """Start everything, measure, stop everything; return the results as written to JSON."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, contextlib.ExitStack() as stack:
        cert, key = write_self_signed_cert(Path(tmp))
        log.info(f"starting the model server on {config.models_dir}")
        emulator = _stopped_on_exit(stack, start_emulator(config.models_dir))
        tls = _stopped_on_exit(stack, start_tls_terminator(emulator.port, cert, key))
        measured, peaks = {}, []
        upstream_pids = [emulator.process.pid, tls.process.pid]
        for scheme, serving_url in (("http", emulator.url), ("https", tls.url)):
            log.info(f"{scheme}: upstream {serving_url}")
            measured[scheme], peak = bench_scheme(serving_url, upstream_pids, config, cert)
            peaks.append(peak)
        log.info(f"timing {config.cold_starts} cold starts")
        cold_start_s, cold_starts = median_cold_start(
            {"TF_SERVING_URL": emulator.url, **function_env(config, cert)},
            list(config.user_ids[: config.cold_starts]),
            config.function_source,
        )
    summaries = {
        scheme: {name: m.load.summary() for name, m in by_target.items()}
        for scheme, by_target in measured.items()
    }
    return report.as_json(
        summaries,
        cold_start_s=round(cold_start_s, 3),
        peak_rss_mb=max(p.rss_mb for p in peaks),
        machine=report.machine(),
        peak_pss_mb=max(p.pss_mb for p in peaks),
        cold_start_runs_s=[round(t, 3) for t in cold_starts],
        cpu_ms_per_request={
            f"{scheme}/{name}": m.cpu_ms_per_request()
            for scheme, by_target in measured.items()
            for name, m in by_target.items()
        },
        error_samples={
            f"{scheme}/{name}": m.load.error_samples
            for scheme, by_target in measured.items()
            for name, m in by_target.items()
            if m.load.error_samples
        },
        parameters={
            "command": shlex.join(["python", "-m", "bench", *argv]),
            "concurrency": config.concurrency,
            "duration_s": config.duration_s,
            "rounds": config.rounds,
            "users": config.users,
            "k": config.k,
            "function_threads": config.function_threads or "functions-framework default",
            "function_source": _shown(config.function_source),
        },
        measured_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON."""
    logging.basicConfig(level=logging.INFO, format="[bench %(asctime)s] %(message)s", datefmt="%H:%M:%S")
    argv = list(sys.argv[1:] if argv is None else argv)
    config = parse_config(argv)
    results = run(config, argv)
    report.write(results, config.output)
    print(report.table(results))
    print(f"written to {config.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
