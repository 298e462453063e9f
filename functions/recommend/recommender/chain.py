"""The chain for one user: retrieve candidates, rank them in one request, order, keep the top k.

When ranking fails or runs out of time the answer falls back to the retrieval order, marked degraded.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .deadline import Deadline
from .errors import BadRequest, UpstreamBadResponse, UpstreamError, UpstreamTimeout
from .signatures import RankingSignature, RetrievalSignature
from .tfserving import ModelEndpoint, TFServingClient

T = TypeVar("T")
# Predict statuses that can mean the model changed under a cached signature (renamed inputs answer 400).
SIGNATURE_MISMATCH_STATUSES = frozenset({None, 400})


@dataclass(frozen=True)
class Recommendation:
    """The top-k titles, best first, and how the answer came about."""

    titles: list[str]
    scores: list[float | None] | None
    degraded: bool
    k: int
    candidate_count: int
    retrieval_ms: float
    ranking_ms: float | None = None
    degraded_by: UpstreamError | None = None


def rank_order(ratings: Sequence[float]) -> list[int]:
    """Candidate indices by descending rating; equal ratings keep retrieval order.

    sorted() is stable, also with reverse=True: equal keys keep their original order.
    """
    return sorted(range(len(ratings)), key=ratings.__getitem__, reverse=True)


class DiscoveredOnce(Generic[T]):
    """A value loaded on first use and kept until forgotten; a failed load is retried on the next use."""

    def __init__(self, load: Callable[[Deadline], T]):
        self._load = load
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self, deadline: Deadline) -> T:
        if self._value is not None:
            return self._value
        # Concurrent first requests wait for one load instead of stampeding, but never past their deadline.
        if not self._lock.acquire(timeout=deadline.remaining()):
            raise UpstreamTimeout("model metadata did not arrive in time")
        try:
            if self._value is None:
                self._value = self._load(deadline)
            return self._value
        finally:
            self._lock.release()

    def forget(self, value: T) -> None:
        """Drop `value` so the next use loads anew; a no-op if it was already replaced.

        Many requests failing on the same stale value thus cause one reload, not one each.
        """
        if self._value is value:
            self._value = None


class RecommendationChain:
    """Retrieval then ranking through one TF Serving client; signatures discovered once per process."""

    def __init__(
        self,
        client: TFServingClient,
        retrieval: ModelEndpoint,
        ranking: ModelEndpoint,
        *,
        default_k: int,
        retrieval_names: dict[str, str | None] | None = None,
        ranking_names: dict[str, str | None] | None = None,
    ):
        self._client = client
        self._retrieval = retrieval
        self._ranking = ranking
        self._default_k = default_k
        self._retrieval_signature = DiscoveredOnce(
            lambda deadline: RetrievalSignature.discover(
                retrieval.model, client.metadata(retrieval, deadline), **(retrieval_names or {})
            )
        )
        self._ranking_signature = DiscoveredOnce(
            lambda deadline: RankingSignature.discover(
                ranking.model, client.metadata(ranking, deadline), **(ranking_names or {})
            )
        )

    def recommend(self, user_id: str, k: int | None, deadline: Deadline) -> Recommendation:
        """Top-k titles for `user_id`; BadRequest if k is out of range, UpstreamError if retrieval fails."""
        started_ms = deadline.elapsed_ms()
        retrieval = self._retrieval_signature.get(deadline)
        k = self._resolve_k(k, retrieval.candidate_count)
        with self._forgotten_on_mismatch(self._retrieval_signature, retrieval):
            outputs = self._client.predict(self._retrieval, retrieval.inputs(user_id), deadline)
            candidates = retrieval.candidates(self._retrieval.model, outputs)
        retrieval_ms = deadline.elapsed_ms() - started_ms
        try:
            ratings = self._rank(user_id, candidates.titles, deadline)
        except UpstreamError as err:
            return Recommendation(
                titles=candidates.titles[:k],
                scores=candidates.scores[:k] if candidates.scores is not None else None,
                degraded=True,
                k=k,
                candidate_count=len(candidates.titles),
                retrieval_ms=retrieval_ms,
                ranking_ms=deadline.elapsed_ms() - started_ms - retrieval_ms,
                degraded_by=err,
            )
        top = rank_order(ratings)[:k]
        return Recommendation(
            titles=[candidates.titles[index] for index in top],
            scores=[ratings[index] for index in top],
            degraded=False,
            k=k,
            candidate_count=len(candidates.titles),
            retrieval_ms=retrieval_ms,
            ranking_ms=deadline.elapsed_ms() - started_ms - retrieval_ms,
        )

    def health(self, deadline: Deadline) -> dict[str, dict[str, Any]]:
        """Per-model state as TF Serving reports it (AVAILABLE when any version is), or why it could not."""
        return {
            "retrieval": self._model_health(self._retrieval, deadline),
            "ranking": self._model_health(self._ranking, deadline),
        }

    def _rank(self, user_id: str, titles: list[str], deadline: Deadline) -> list[float]:
        ranking = self._ranking_signature.get(deadline)
        with self._forgotten_on_mismatch(self._ranking_signature, ranking):
            outputs = self._client.predict(self._ranking, ranking.inputs(user_id, titles), deadline)
            return ranking.ratings(self._ranking.model, outputs, len(titles))

    @staticmethod
    @contextlib.contextmanager
    def _forgotten_on_mismatch(discovered: DiscoveredOnce[T], signature: T) -> Iterator[None]:
        """Forget `signature` when the model's answer no longer fits it: it may have been replaced.

        The next request then reads the metadata again (a new N, renamed outputs); this one fails.
        """
        try:
            yield
        except UpstreamBadResponse as err:
            if err.upstream_status in SIGNATURE_MISMATCH_STATUSES:
                discovered.forget(signature)
            raise

    def _resolve_k(self, k: int | None, candidate_count: int) -> int:
        if k is None:
            return min(self._default_k, candidate_count)
        if k > candidate_count:
            raise BadRequest(f"k must be between 1 and {candidate_count}", code="k_out_of_range")
        return k

    def _model_health(self, endpoint: ModelEndpoint, deadline: Deadline) -> dict[str, Any]:
        if endpoint.label:
            return self._labelled_health(endpoint, deadline)
        try:
            versions = self._client.status(endpoint, deadline).get("model_version_status") or []
        except UpstreamError as err:
            return {"state": "UNKNOWN", "error": err.message}
        available = [
            v.get("version") for v in versions if isinstance(v, dict) and v.get("state") == "AVAILABLE"
        ]
        if available:
            return {"state": "AVAILABLE", "version": str(available[0])}
        states = [v.get("state") for v in versions if isinstance(v, dict)]
        return {"state": str(states[0]) if states else "UNKNOWN"}

    def _labelled_health(self, endpoint: ModelEndpoint, deadline: Deadline) -> dict[str, Any]:
        """The labelled version's state, from its metadata route: the status route ignores labels.

        TF Serving resolves a label to a servable only while that version is loaded, so an answer means
        the version predicts will reach is AVAILABLE.
        """
        try:
            spec = self._client.metadata(endpoint, deadline).get("model_spec") or {}
        except UpstreamError as err:
            return {"state": "UNKNOWN", "label": endpoint.label, "error": err.message}
        version = spec.get("version") if isinstance(spec, dict) else None
        return {"state": "AVAILABLE", "label": endpoint.label, "version": str(version)}
