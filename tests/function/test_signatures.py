"""The tensors to use come from the models' metadata (or configuration), for our models and the codelab's."""

from __future__ import annotations

import math

import pytest

from functions.recommend.recommender.errors import UpstreamBadResponse
from functions.recommend.recommender.signatures import RankingSignature, RetrievalSignature
from tests.function.model_answers import CODELAB_RETRIEVAL, OURS_RETRIEVAL, RANKING, metadata, tensor


def test_our_retrieval_model_is_understood_from_its_metadata():
    signature = RetrievalSignature.discover("retrieval", OURS_RETRIEVAL)
    assert signature == RetrievalSignature("user_id", "movie_titles", "scores", 100, 2)


def test_the_codelab_retrieval_model_is_understood_from_its_metadata():
    signature = RetrievalSignature.discover("retrieval", CODELAB_RETRIEVAL)
    assert signature == RetrievalSignature("input_1", "output_2", "output_1", 10, 2)


def test_the_ranking_model_takes_the_user_in_the_input_named_like_user():
    assert RankingSignature.discover("ranking", RANKING) == RankingSignature(
        "user_id", "movie_title", "output_1", 1
    )


def test_a_ranking_output_without_the_trailing_dimension_is_accepted():
    flat = metadata(
        {"movie_title": tensor("DT_STRING", -1), "user": tensor("DT_STRING", -1)},
        {"rating": tensor("DT_FLOAT", -1)},
    )
    assert RankingSignature.discover("ranking", flat) == RankingSignature("user", "movie_title", "rating", 1)


def test_configured_names_win_over_discovery():
    two_string_outputs = metadata(
        {"q": tensor("DT_STRING", -1)},
        {
            "ids": tensor("DT_STRING", -1, 20),
            "names": tensor("DT_STRING", -1, 20),
            "s": tensor("DT_FLOAT", -1, 20),
        },
    )
    signature = RetrievalSignature.discover("retrieval", two_string_outputs, titles="names")
    assert (signature.titles, signature.scores, signature.candidate_count) == ("names", "s", 20)


def test_configured_ranking_inputs_need_no_user_in_their_names():
    odd = metadata(
        {"a": tensor("DT_STRING", -1), "b": tensor("DT_STRING", -1)},
        {"y": tensor("DT_FLOAT", -1, 1), "z": tensor("DT_FLOAT", -1, 1)},
    )
    signature = RankingSignature.discover("ranking", odd, user_input="b", output="z")
    assert signature == RankingSignature("b", "a", "z", 2)


def test_retrieval_scores_are_optional():
    titles_only = metadata({"q": tensor("DT_STRING", -1)}, {"titles": tensor("DT_STRING", -1, 5)})
    signature = RetrievalSignature.discover("retrieval", titles_only)
    assert (signature.scores, signature.output_count) == (None, 1)
    assert signature.candidates("retrieval", [["a", "b", "c", "d", "e"]]).scores is None


@pytest.mark.parametrize(
    ("inputs", "outputs", "overrides"),
    [
        ({"q": tensor("DT_STRING", -1)}, {"t": tensor("DT_STRING", -1)}, {}),
        ({"q": tensor("DT_STRING", -1)}, {"t": tensor("DT_STRING", -1, -1)}, {}),
        ({"q": tensor("DT_INT64", -1)}, {"t": tensor("DT_STRING", -1, 10)}, {}),
        (
            {"q": tensor("DT_STRING", -1), "r": tensor("DT_STRING", -1)},
            {"t": tensor("DT_STRING", -1, 10)},
            {},
        ),
        (
            {"q": tensor("DT_STRING", -1)},
            {"a": tensor("DT_STRING", -1, 10), "b": tensor("DT_STRING", -1, 10)},
            {},
        ),
        ({"q": tensor("DT_STRING", -1)}, {"t": tensor("DT_STRING", -1, 10)}, {"titles": "missing"}),
        (
            {"q": tensor("DT_STRING", -1)},
            {"t": tensor("DT_STRING", -1, 10), "s": tensor("DT_FLOAT", -1, 10)},
            {"scores": "t"},
        ),
    ],
    ids=[
        "rank-1 titles",
        "unknown N",
        "int input",
        "two inputs",
        "ambiguous titles",
        "missing name",
        "wrong type",
    ],
)
def test_an_unusable_retrieval_signature_is_a_bad_response_that_says_why(inputs, outputs, overrides):
    with pytest.raises(UpstreamBadResponse) as raised:
        RetrievalSignature.discover("retrieval", metadata(inputs, outputs), **overrides)
    assert raised.value.message == "retrieval model signature is not usable"
    assert raised.value.detail


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [
        ({"a": tensor("DT_STRING", -1), "b": tensor("DT_STRING", -1)}, {"y": tensor("DT_FLOAT", -1, 1)}),
        ({"user_id": tensor("DT_STRING", -1)}, {"y": tensor("DT_FLOAT", -1, 1)}),
        (
            {"user_id": tensor("DT_STRING", -1), "title": tensor("DT_STRING", -1)},
            {"y": tensor("DT_FLOAT", -1, 3)},
        ),
        (
            {"user_id": tensor("DT_STRING", -1), "title": tensor("DT_STRING", -1)},
            {"y": tensor("DT_STRING", -1)},
        ),
    ],
    ids=["no user input", "one input", "three ratings per title", "string rating"],
)
def test_an_unusable_ranking_signature_is_a_bad_response(inputs, outputs):
    with pytest.raises(UpstreamBadResponse, match="ranking model signature is not usable"):
        RankingSignature.discover("ranking", metadata(inputs, outputs))


@pytest.mark.parametrize("answer", [{}, {"metadata": {}}, {"metadata": {"signature_def": None}}, []])
def test_metadata_without_a_serving_signature_is_a_bad_response(answer):
    with pytest.raises(UpstreamBadResponse):
        RetrievalSignature.discover("retrieval", answer)


def test_retrieval_candidates_are_read_from_a_batch_of_one():
    signature = RetrievalSignature.discover("retrieval", CODELAB_RETRIEVAL)
    candidates = signature.candidates("retrieval", {"output_1": [[3.5, math.nan]], "output_2": [["A", "B"]]})
    assert candidates.titles == ["A", "B"]
    assert candidates.scores == [3.5, None]


@pytest.mark.parametrize(
    "outputs",
    [
        [["A"]],
        {"output_1": [[1.0]]},
        {"output_1": [[1.0]], "output_2": ["A"]},
        {"output_1": [[1.0]], "output_2": [["A"], ["B"]]},
        {"output_1": [[1.0]], "output_2": [[]]},
        {"output_1": [[1.0]], "output_2": [[7]]},
        {"output_1": [[1.0, 2.0]], "output_2": [["A"]]},
        {"output_1": [["x"]], "output_2": [["A"]]},
        {"output_1": [[True]], "output_2": [["A"]]},
    ],
)
def test_a_malformed_retrieval_answer_is_a_bad_response(outputs):
    signature = RetrievalSignature.discover("retrieval", CODELAB_RETRIEVAL)
    with pytest.raises(UpstreamBadResponse):
        signature.candidates("retrieval", outputs)


def test_ranking_inputs_repeat_the_user_for_every_title():
    signature = RankingSignature.discover("ranking", RANKING)
    assert signature.inputs("42", ["A", "B", "C"]) == {"user_id": ["42"] * 3, "movie_title": ["A", "B", "C"]}


@pytest.mark.parametrize("outputs", [[[4.0], [2]], [4.0, 2], {"output_1": [[4.0], [2.0]]}])
def test_ratings_are_read_bare_or_by_name_with_or_without_the_trailing_dimension(outputs):
    signature = RankingSignature.discover("ranking", RANKING)
    assert signature.ratings("ranking", outputs, 2) == [4.0, 2.0]


@pytest.mark.parametrize(
    "outputs",
    [[[4.0]], [[4.0], [math.nan]], [[4.0], [math.inf]], [[4.0], ["x"]], [[4.0], [1.0, 2.0]], {"other": []}],
)
def test_ratings_that_do_not_match_the_titles_are_a_bad_response(outputs):
    signature = RankingSignature.discover("ranking", RANKING)
    with pytest.raises(UpstreamBadResponse):
        signature.ratings("ranking", outputs, 2)
