"""The emulator serves the project's exported models and codelab-shaped ones, with no change but the folder.

The servers are the session's shared ones (tests/conftest.py), also used by the function's tests.
"""

from __future__ import annotations

import requests

from tests.support.servers import ServerProcess


def predict(server: ServerProcess, model: str, body: dict) -> dict:
    answer = requests.post(f"{server.url}/v1/models/{model}:predict", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_committed_retrieval_returns_100_scored_titles_best_first(emulator: ServerProcess) -> None:
    (prediction,) = predict(emulator, "retrieval", {"instances": ["42"]})["predictions"]
    assert set(prediction) == {"scores", "movie_titles"}
    assert len(prediction["movie_titles"]) == len(set(prediction["movie_titles"])) == 100
    assert prediction["scores"] == sorted(prediction["scores"], reverse=True)


def test_committed_ranking_rates_each_pair_in_one_call(emulator: ServerProcess) -> None:
    (titles,) = [
        p["movie_titles"] for p in predict(emulator, "retrieval", {"instances": ["7"]})["predictions"]
    ]
    pairs = [{"user_id": "7", "movie_title": title} for title in titles]
    ratings = predict(emulator, "ranking", {"instances": pairs})["predictions"]
    assert len(ratings) == 100
    assert all(len(rating) == 1 and isinstance(rating[0], float) for rating in ratings)


def test_committed_models_publish_their_signatures(emulator: ServerProcess) -> None:
    answer = requests.get(f"{emulator.url}/v1/models/ranking/metadata", timeout=30).json()
    inputs = answer["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]
    assert {name: spec["dtype"] for name, spec in inputs.items()} == {
        "user_id": "DT_STRING",
        "movie_title": "DT_STRING",
    }


def test_codelab_shaped_models_are_served_unchanged(codelab_emulator: ServerProcess) -> None:
    (prediction,) = predict(codelab_emulator, "retrieval", {"instances": ["42"]})["predictions"]
    assert set(prediction) == {"output_1", "output_2"}
    assert len(prediction["output_2"]) == 10
    pairs = [{"user_id": "42", "movie_title": title} for title in prediction["output_2"]]
    assert len(predict(codelab_emulator, "ranking", {"instances": pairs})["predictions"]) == 10
