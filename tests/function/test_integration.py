"""The function answers what the two models say when asked directly, for our models and the codelab's."""

from __future__ import annotations

import pytest
import requests

from tests.support.servers import ServerProcess

# (function fixture, model server fixture, retrieval output holding the titles, candidate count)
PAIRS = {
    "ours": ("function", "emulator", "movie_titles", 100),
    "codelab-shaped": ("codelab_function", "codelab_emulator", "output_2", 10),
}


@pytest.fixture(params=list(PAIRS))
def pair(request) -> tuple[ServerProcess, ServerProcess, str, int]:
    function, models, titles_output, candidates = PAIRS[request.param]
    return request.getfixturevalue(function), request.getfixturevalue(models), titles_output, candidates


def ask_models_directly(
    models: ServerProcess, titles_output: str, user_id: str
) -> tuple[list[str], list[float]]:
    """Retrieval, then ranking in the codelab's row format; by rating, ties in retrieval order."""
    retrieval = requests.post(
        f"{models.url}/v1/models/retrieval:predict", json={"instances": [user_id]}, timeout=30
    )
    titles = retrieval.json()["predictions"][0][titles_output]
    instances = [{"user_id": user_id, "movie_title": title} for title in titles]
    ranking = requests.post(
        f"{models.url}/v1/models/ranking:predict", json={"instances": instances}, timeout=30
    )
    ratings = [prediction[0] for prediction in ranking.json()["predictions"]]
    order = sorted(range(len(titles)), key=lambda index: (-ratings[index], index))
    return [titles[index] for index in order], [ratings[index] for index in order]


def recommend(function: ServerProcess, body: dict) -> requests.Response:
    return requests.post(function.url + "/recommend", json=body, timeout=30)


@pytest.mark.parametrize(("user_id", "k"), [("15", None), ("42", 3), ("943", 1), ("1", 7)])
def test_the_answer_is_the_models_ranking_of_the_retrieved_candidates(pair, user_id, k):
    function, models, titles_output, _ = pair
    titles, ratings = ask_models_directly(models, titles_output, user_id)
    body = {"user_id": user_id} if k is None else {"user_id": user_id, "k": k}
    answer = recommend(function, body).json()
    expected_k = 10 if k is None else k
    assert answer["movies"] == titles[:expected_k]
    assert answer["scores"] == pytest.approx(ratings[:expected_k], rel=1e-6)
    assert (answer["user_id"], answer["degraded"]) == (user_id, False)


def test_different_users_get_different_recommendations(pair):
    function = pair[0]
    answers = {
        tuple(recommend(function, {"user_id": user}).json()["movies"]) for user in ("1", "2", "3", "4")
    }
    assert len(answers) > 1


def test_an_integer_user_id_is_the_same_user_as_its_decimal_string(pair):
    function = pair[0]
    assert recommend(function, {"user_id": 42}).json() == recommend(function, {"user_id": "42"}).json()


def test_k_may_be_as_large_as_the_candidate_count_and_no_larger(pair):
    function, _, _, candidates = pair
    assert len(recommend(function, {"user_id": "15", "k": candidates}).json()["movies"]) == candidates
    too_many = recommend(function, {"user_id": "15", "k": candidates + 1})
    assert too_many.status_code == 400
    assert too_many.json()["error"] == {
        "code": "k_out_of_range",
        "message": f"k must be between 1 and {candidates}",
    }


def test_an_unknown_user_still_gets_recommendations(pair):
    function = pair[0]
    answer = recommend(function, {"user_id": "someone-the-models-never-saw"})
    assert answer.status_code == 200
    assert len(answer.json()["movies"]) == 10
