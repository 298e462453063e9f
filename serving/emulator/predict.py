"""The predict call: request JSON -> signature call (under the REST deadline) -> response JSON."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

from serving.emulator.errors import ServingError, StatusCode
from serving.emulator.json_request import parse_document, request_tensors, signature_name
from serving.emulator.json_response import Output, predict_response
from serving.emulator.registry import ModelRef, Registry
from serving.emulator.servables import Signature


class Predictor:
    """Answers predict requests; model calls run on a pool of `threads`, like TF Serving's REST executor.

    No lock is held around a call: TensorFlow runs concurrent calls of one function safely and
    releases the GIL while it computes.
    """

    def __init__(self, registry: Registry, threads: int, timeout_seconds: float | None) -> None:
        self._registry = registry
        self._timeout = timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="predict")

    def predict(self, ref: ModelRef, body: bytes) -> str:
        """The response JSON for a predict request; raises ServingError, checked in TF Serving's order."""
        document = parse_document(body)
        name = signature_name(document)  # checked before the model lookup, as TF Serving does
        signature = self._registry.servable(ref).signature(name)
        request_format, arrays = request_tensors(document, signature.inputs)
        return predict_response(request_format, self._call(signature, arrays))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _call(self, signature: Signature, arrays: Mapping[str, np.ndarray]) -> dict[str, Output]:
        future = self._pool.submit(signature.run, arrays)
        try:
            return future.result(timeout=self._timeout)
        except FutureTimeout as error:
            # The call cannot be interrupted; it finishes in the background and its result is dropped.
            raise ServingError(
                StatusCode.DEADLINE_EXCEEDED,
                f"Deadline exceeded: no answer from the model within {self._timeout:g} s "
                "(--rest_api_timeout_in_ms)",
            ) from error
