"""Which inputs and outputs of the two models to use: discovered from TF Serving metadata or configured.

Retrieval: the one string input takes the user id; the titles are the string output of shape [-1, N]
(N = candidate count); the scores, if any, are the float output of the same shape. Ranking: two string
inputs, the one named like "user" takes the user id and the other the title; the float output of shape
[-1] or [-1, 1] is the predicted rating. Configured names win over discovery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import UpstreamBadResponse

SIGNATURE = "serving_default"
STRING = "DT_STRING"
FLOATS = frozenset({"DT_FLOAT", "DT_DOUBLE"})
# Python types a JSON string or number decodes to.
_STRING_TYPES = frozenset({str})
_NUMBER_TYPES = frozenset({int, float})


@dataclass(frozen=True)
class Tensor:
    """One signature input or output; `shape` is None when the rank is unknown, -1 marks a free dim."""

    name: str
    dtype: str
    shape: tuple[int, ...] | None


@dataclass(frozen=True)
class Candidates:
    """Retrieval's answer for one user, best first."""

    titles: list[str]
    scores: list[float | None] | None


@dataclass(frozen=True)
class RetrievalSignature:
    input: str
    titles: str
    scores: str | None
    candidate_count: int
    output_count: int

    @classmethod
    def discover(
        cls, model: str, metadata: Mapping[str, Any], *, titles: str | None = None, scores: str | None = None
    ) -> RetrievalSignature:
        inputs, outputs = read_signature(model, metadata)
        if len(inputs) != 1 or next(iter(inputs.values())).dtype != STRING:
            raise _unusable(model, f"expected exactly one string input, found {_describe(inputs)}")
        title_tensor = _pick(model, outputs, titles, "RETRIEVAL_TITLES_OUTPUT", _is_candidate_list)
        count = title_tensor.shape[1]
        score_tensor = _pick_optional(
            model, outputs, scores, "RETRIEVAL_SCORES_OUTPUT", lambda t: _is_scores_for(t, count)
        )
        return cls(
            input=next(iter(inputs)),
            titles=title_tensor.name,
            scores=score_tensor.name if score_tensor else None,
            candidate_count=count,
            output_count=len(outputs),
        )

    def inputs(self, user_id: str) -> dict[str, list[str]]:
        return {self.input: [user_id]}

    def candidates(self, model: str, outputs: Any) -> Candidates:
        """Parse a predict `outputs` value for a batch of one user."""
        titles = _first_row(model, _output(model, outputs, self.titles, self.output_count))
        if not titles or not _all_of(_STRING_TYPES, titles):
            raise UpstreamBadResponse(f"{model} model returned no usable titles", detail=_described(titles))
        if self.scores is None:
            return Candidates(titles, None)
        scores = _first_row(model, _output(model, outputs, self.scores, self.output_count))
        if len(scores) != len(titles) or not _all_of(_NUMBER_TYPES, scores):
            raise UpstreamBadResponse(f"{model} model returned scores that do not match its titles")
        if not all(map(math.isfinite, scores)):
            scores = [score if math.isfinite(score) else None for score in scores]
        return Candidates(titles, scores)


@dataclass(frozen=True)
class RankingSignature:
    user_input: str
    title_input: str
    output: str
    output_count: int

    @classmethod
    def discover(
        cls,
        model: str,
        metadata: Mapping[str, Any],
        *,
        user_input: str | None = None,
        title_input: str | None = None,
        output: str | None = None,
    ) -> RankingSignature:
        inputs, outputs = read_signature(model, metadata)
        if len(inputs) != 2 or any(tensor.dtype != STRING for tensor in inputs.values()):
            raise _unusable(model, f"expected two string inputs, found {_describe(inputs)}")
        user, title = _user_and_title(model, inputs, user_input, title_input)
        rating = _pick(model, outputs, output, "RANKING_OUTPUT", _is_rating)
        return cls(user, title, rating.name, len(outputs))

    def inputs(self, user_id: str, titles: list[str]) -> dict[str, list[str]]:
        return {self.user_input: [user_id] * len(titles), self.title_input: titles}

    def ratings(self, model: str, outputs: Any, count: int) -> list[float]:
        """Parse a predict `outputs` value holding one rating per title."""
        rows = _output(model, outputs, self.output, self.output_count)
        if not isinstance(rows, list) or len(rows) != count:
            raise UpstreamBadResponse(f"{model} model returned {_length(rows)} ratings for {count} titles")
        ratings = [row[0] if isinstance(row, list) and len(row) == 1 else row for row in rows]
        if not _all_of(_NUMBER_TYPES, ratings) or not all(map(math.isfinite, ratings)):
            raise UpstreamBadResponse(f"{model} model returned ratings that are not finite numbers")
        return list(map(float, ratings))


def read_signature(model: str, metadata: Mapping[str, Any]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """The inputs and outputs of the serving_default signature in a TF Serving metadata answer."""
    try:
        signature = metadata["metadata"]["signature_def"]["signature_def"][SIGNATURE]
        return _tensors(signature.get("inputs", {})), _tensors(signature.get("outputs", {}))
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise _unusable(model, f"metadata has no readable {SIGNATURE!r} signature ({err!r})") from err


def _tensors(infos: Mapping[str, Any]) -> dict[str, Tensor]:
    tensors = {}
    for name, info in infos.items():
        shape_info = info.get("tensor_shape", {})
        dims = shape_info.get("dim", [])
        shape = None if shape_info.get("unknown_rank") else tuple(int(dim.get("size", 0)) for dim in dims)
        tensors[name] = Tensor(name, info.get("dtype", ""), shape)
    return tensors


def _user_and_title(
    model: str, inputs: dict[str, Tensor], user_input: str | None, title_input: str | None
) -> tuple[str, str]:
    """Configured names win; otherwise the input named like "user" takes the user id, the other the title."""
    users = (
        [user_input]
        if user_input
        else [name for name in inputs if name != title_input and "user" in name.lower()]
    )
    user = users[0] if len(users) == 1 else None
    title = title_input or next((name for name in inputs if name != user), None)
    if user not in inputs or title not in inputs or user == title:
        raise _unusable(
            model,
            f"cannot tell the user input from the title input; set RANKING_USER_INPUT and "
            f"RANKING_TITLE_INPUT ({_describe(inputs)})",
        )
    return user, title


def _pick(model: str, tensors: dict[str, Tensor], configured: str | None, variable: str, fits) -> Tensor:
    """The configured tensor if it fits, else the only one that fits; anything else is an error."""
    tensor = _pick_optional(model, tensors, configured, variable, fits)
    if tensor is None:
        raise _unusable(model, f"no input or output fits; set {variable} (found {_describe(tensors)})")
    return tensor


def _pick_optional(
    model: str, tensors: dict[str, Tensor], configured: str | None, variable: str, fits
) -> Tensor | None:
    if configured is not None:
        if configured not in tensors or not fits(tensors[configured]):
            raise _unusable(model, f"{variable}={configured!r} does not fit ({_describe(tensors)})")
        return tensors[configured]
    matches = [tensor for tensor in tensors.values() if fits(tensor)]
    if len(matches) > 1:
        raise _unusable(model, f"{len(matches)} tensors fit; set {variable} ({_describe(tensors)})")
    return matches[0] if matches else None


def _is_candidate_list(tensor: Tensor) -> bool:
    shape = tensor.shape
    return (
        tensor.dtype == STRING and shape is not None and len(shape) == 2 and shape[0] == -1 and shape[1] > 0
    )


def _is_scores_for(tensor: Tensor, count: int) -> bool:
    return tensor.dtype in FLOATS and tensor.shape == (-1, count)


def _is_rating(tensor: Tensor) -> bool:
    return tensor.dtype in FLOATS and tensor.shape in (None, (-1,), (-1, 1))


def _output(model: str, outputs: Any, name: str, output_count: int) -> Any:
    # TF Serving returns a single-output signature's tensor bare, several outputs as a name -> tensor map.
    if isinstance(outputs, dict) and name in outputs:
        return outputs[name]
    if output_count == 1 and not isinstance(outputs, dict):
        return outputs
    raise UpstreamBadResponse(f"{model} model answer lacks output {name!r}")


def _first_row(model: str, tensor: Any) -> list[Any]:
    if not isinstance(tensor, list) or len(tensor) != 1 or not isinstance(tensor[0], list):
        raise UpstreamBadResponse(f"{model} model answer is not one row of candidates")
    return tensor[0]


def _all_of(types: frozenset[type], values: list[Any]) -> bool:
    """Every value's type is in `types` (exactly: a bool is no int here); checked at C speed."""
    return set(map(type, values)) <= types


def _length(value: Any) -> str:
    return str(len(value)) if isinstance(value, list) else "no list of"


def _describe(tensors: Mapping[str, Tensor]) -> str:
    return (
        ", ".join(
            f"{t.name}: {t.dtype} {list(t.shape) if t.shape is not None else '?'}" for t in tensors.values()
        )
        or "none"
    )


def _unusable(model: str, reason: str) -> UpstreamBadResponse:
    return UpstreamBadResponse(f"{model} model signature is not usable", detail=reason)


def _described(value: Any) -> str:
    """What a value is, never what it holds: outputs may echo user ids and titles."""
    if isinstance(value, list):
        return f"list of {len(value)}: {sorted({type(item).__name__ for item in value})}"
    return type(value).__name__
