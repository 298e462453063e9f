"""Startup: load every configured model version in parallel, replay warmup, and build the Registry."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType

from serving.emulator.errors import ModelLoadError
from serving.emulator.model_config import ModelConfig, ServableSpec
from serving.emulator.registry import Model, Registry
from serving.emulator.servables import Servable, load_servable
from serving.emulator.warmup import replay_warmup

log = logging.getLogger(__name__)


def load_registry(
    configs: Sequence[ModelConfig], specs: Sequence[ServableSpec], tags: Sequence[str], warmup: bool
) -> Registry:
    """Every model of `configs` with the versions `specs` selected, or ModelLoadError naming each failure."""
    servables = _load_all(specs, tags, warmup)
    return Registry(
        Model(
            config.name,
            MappingProxyType({s.version: s for s in servables if s.name == config.name}),
            config.labels,
        )
        for config in configs
    )


def _load_all(specs: Sequence[ServableSpec], tags: Sequence[str], warmup: bool) -> list[Servable]:
    # One thread per servable: loading is mostly file reading and graph building outside the GIL.
    with ThreadPoolExecutor(max_workers=max(1, len(specs)), thread_name_prefix="load") as pool:
        futures = [pool.submit(_load_one, spec, tags, warmup) for spec in specs]
    failures = [str(future.exception()) for future in futures if future.exception() is not None]
    if failures:
        raise ModelLoadError(f"{len(failures)} servable(s) did not become available: {'; '.join(failures)}")
    return [future.result() for future in futures]


def _load_one(spec: ServableSpec, tags: Sequence[str], warmup: bool) -> Servable:
    started = time.monotonic()
    servable = load_servable(spec, tags)
    if warmup:
        replay_warmup(servable)
    log.info(
        "Successfully loaded servable version {name: %s version: %d} from %s in %.2f s",
        spec.name,
        spec.version,
        spec.path,
        time.monotonic() - started,
    )
    return servable
