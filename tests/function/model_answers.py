"""TF Serving metadata and predict answers in the exact JSON shapes it sends, for unit tests."""

from __future__ import annotations

from typing import Any


def tensor(dtype: str, *dims: int, unknown_rank: bool = False) -> dict[str, Any]:
    """A TensorInfo as TF Serving's metadata route writes it (dims are strings)."""
    shape = {"dim": [{"size": str(dim), "name": ""} for dim in dims], "unknown_rank": unknown_rank}
    return {"dtype": dtype, "tensor_shape": shape, "name": "x:0"}


def metadata(inputs: dict[str, Any], outputs: dict[str, Any], model: str = "m") -> dict[str, Any]:
    """A GET /v1/models/{model}/metadata answer with one serving_default signature."""
    signature = {"inputs": inputs, "outputs": outputs, "method_name": "tensorflow/serving/predict"}
    return {
        "model_spec": {"name": model, "signature_name": "", "version": "1"},
        "metadata": {
            "signature_def": {
                "signature_def": {
                    "__saved_model_init_op": {"inputs": {}, "outputs": {}, "method_name": ""},
                    "serving_default": signature,
                }
            }
        },
    }


# Our exported models: retrieval user_id -> scores, movie_titles [-1, 100]; ranking -> output_1 [-1, 1].
OURS_RETRIEVAL = metadata(
    {"user_id": tensor("DT_STRING", -1)},
    {"scores": tensor("DT_FLOAT", -1, 100), "movie_titles": tensor("DT_STRING", -1, 100)},
    "retrieval",
)
# The codelab's models: retrieval input_1 -> output_1 scores, output_2 titles [-1, 10].
CODELAB_RETRIEVAL = metadata(
    {"input_1": tensor("DT_STRING", -1)},
    {"output_1": tensor("DT_FLOAT", -1, 10), "output_2": tensor("DT_STRING", -1, 10)},
    "retrieval",
)
RANKING = metadata(
    {"user_id": tensor("DT_STRING", -1), "movie_title": tensor("DT_STRING", -1)},
    {"output_1": tensor("DT_FLOAT", -1, 1)},
    "ranking",
)
AVAILABLE = {
    "model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
    ]
}


def retrieval_outputs(titles: list[str], scores: list[float]) -> dict[str, Any]:
    """A columnar predict answer of the codelab's retrieval model for one user."""
    return {"outputs": {"output_1": [scores], "output_2": [titles]}}


def ranking_outputs(ratings: list[float]) -> dict[str, Any]:
    """A columnar predict answer of a single-output ranking model: the bare [-1, 1] tensor."""
    return {"outputs": [[rating] for rating in ratings]}
