"""Command-line flags, read once into a frozen `Settings`.

Flag names are TensorFlow Serving's own (`tensorflow_model_server --help`), so the same argument list
works for both servers. Two flags exist only here: `--mount` (what `docker -v` does for the container)
and `--rest_api_host` (TF Serving binds every interface; a development stand-in binds loopback unless
asked). As in TF Serving, a later occurrence of a flag overrides an earlier one and unknown flags are
reported and ignored rather than fatal.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from serving.emulator.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"

# TF Serving flags that are accepted so shared command lines keep working, but have no effect here.
IGNORED_TF_SERVING_FLAGS = frozenset(
    {
        "port",
        "grpc_socket_path",
        "grpc_max_threads",
        "enable_batching",
        "batching_parameters_file",
        "enable_per_model_batching_parameters",
        "model_config_file_poll_wait_seconds",
        "file_system_poll_wait_seconds",
        "num_request_iterations_for_warmup",
        "tensorflow_session_parallelism",
        "tensorflow_intra_op_parallelism",
        "tensorflow_inter_op_parallelism",
        "tensorflow_session_config_file",
        "monitoring_config_file",
        "max_num_load_retries",
        "load_retry_interval_micros",
        "num_load_threads",
        "num_unload_threads",
        "per_process_gpu_memory_fraction",
        "enable_signature_method_name_check",
        "enable_profiler",
        "xla_cpu_compilation_enabled",
        "platform_config_file",
        "ssl_config_file",
    }
)


@dataclass(frozen=True)
class Mount:
    """A local folder standing in for a container path, like `docker -v HOST:CONTAINER`."""

    host_dir: Path
    container_dir: PurePosixPath

    def host_path(self, path: str) -> Path | None:
        """`path` on this machine if it lies under the container folder, else None."""
        candidate = PurePosixPath(path)
        if candidate == self.container_dir or self.container_dir in candidate.parents:
            return self.host_dir.joinpath(*candidate.relative_to(self.container_dir).parts)
        return None


@dataclass(frozen=True)
class Settings:
    """Everything the emulator reads from its command line."""

    rest_api_port: int
    rest_api_host: str = DEFAULT_HOST
    rest_api_num_threads: int = 8
    rest_api_timeout_in_ms: int = 30_000
    rest_api_enable_cors_support: bool = False
    model_config_file: str = ""
    model_name: str = "default"
    model_base_path: str = ""
    mounts: tuple[Mount, ...] = ()
    saved_model_tags: tuple[str, ...] = ("serve",)
    enable_model_warmup: bool = True
    allow_version_labels_for_unavailable_models: bool = False

    def host_path(self, path: str) -> Path:
        """Where a path written for the container (e.g. /models/ranking) is on this machine."""
        for mount in sorted(self.mounts, key=lambda m: len(m.container_dir.parts), reverse=True):
            mapped = mount.host_path(path)
            if mapped is not None:
                return mapped
        return Path(path)

    @property
    def request_timeout_seconds(self) -> float | None:
        """The per-request deadline; None when disabled (`--rest_api_timeout_in_ms` <= 0)."""
        return self.rest_api_timeout_in_ms / 1000 if self.rest_api_timeout_in_ms > 0 else None


class _Parser(argparse.ArgumentParser):
    """argparse that raises ConfigError (one line) instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(message)


def parse_settings(argv: Sequence[str]) -> Settings:
    """Read the command line; raises ConfigError for values that cannot work."""
    args, unknown = _parser().parse_known_args(list(argv))
    _report_unused(unknown)
    if args.rest_api_port <= 0 or args.rest_api_port > 65535:
        raise ConfigError("--rest_api_port must be a TCP port (1-65535): the emulator serves REST only")
    if args.rest_api_num_threads <= 0:
        raise ConfigError("--rest_api_num_threads must be positive")
    if not args.model_config_file and not args.model_base_path:
        raise ConfigError("one of --model_config_file or --model_base_path is required")
    return Settings(
        rest_api_port=args.rest_api_port,
        rest_api_host=args.rest_api_host,
        rest_api_num_threads=args.rest_api_num_threads,
        rest_api_timeout_in_ms=args.rest_api_timeout_in_ms,
        rest_api_enable_cors_support=args.rest_api_enable_cors_support,
        model_config_file=args.model_config_file,
        model_name=args.model_name,
        model_base_path=args.model_base_path,
        mounts=tuple(args.mount),
        saved_model_tags=tuple(tag for tag in args.saved_model_tags.split(",") if tag),
        enable_model_warmup=args.enable_model_warmup,
        allow_version_labels_for_unavailable_models=args.allow_version_labels_for_unavailable_models,
    )


def _parser() -> _Parser:
    parser = _Parser(prog="python -m serving.emulator", allow_abbrev=False, add_help=True)
    parser.add_argument("--rest_api_port", type=int, default=0)
    parser.add_argument("--rest_api_host", default=DEFAULT_HOST)
    parser.add_argument("--rest_api_num_threads", type=int, default=4 * _cpu_count())
    parser.add_argument("--rest_api_timeout_in_ms", type=int, default=30_000)
    parser.add_argument(
        "--rest_api_enable_cors_support", type=_flag_bool, nargs="?", const=True, default=False
    )
    parser.add_argument("--model_config_file", default="")
    parser.add_argument("--model_name", default="default")
    parser.add_argument("--model_base_path", default="")
    parser.add_argument("--saved_model_tags", default="serve")
    parser.add_argument("--enable_model_warmup", type=_flag_bool, nargs="?", const=True, default=True)
    parser.add_argument(
        "--allow_version_labels_for_unavailable_models",
        type=_flag_bool,
        nargs="?",
        const=True,
        default=False,
    )
    parser.add_argument("--mount", type=_mount, action="append", default=[], metavar="HOSTDIR:/CONTAINER/DIR")
    return parser


def _flag_bool(text: str) -> bool:
    """TF-style booleans: --flag, --flag=true, --flag=false (also 1/0)."""
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _mount(text: str) -> Mount:
    host, sep, container = text.rpartition(":")
    if not sep or not host or not container.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected HOSTDIR:/CONTAINER/DIR, got {text!r}")
    host_dir = Path(host).expanduser().resolve()
    if not host_dir.is_dir():
        raise argparse.ArgumentTypeError(f"host folder {host} does not exist")
    return Mount(host_dir, PurePosixPath(container))


def _report_unused(unknown: Sequence[str]) -> None:
    for arg in unknown:
        name = arg.lstrip("-").split("=", 1)[0]
        if arg.startswith("--") and name in IGNORED_TF_SERVING_FLAGS:
            log.warning("ignoring --%s: the emulator has no equivalent (REST predict only)", name)
        else:
            log.warning("unknown argument: %s", arg)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1
