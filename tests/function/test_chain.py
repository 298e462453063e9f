"""The chain: retrieve, rank every candidate in one request, order by rating (ties: retrieval order)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.recommend.recommender.chain import DiscoveredOnce, RecommendationChain, rank_order
from functions.recommend.recommender.deadline import Deadline
from functions.recommend.recommender.errors import (
    BadRequest,
    UpstreamBadResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from functions.recommend.recommender.tfserving import ModelEndpoint
from tests.function.faulty_server import FaultyServer, reply
from tests.function.model_answers import (
    AVAILABLE,
    CODELAB_RETRIEVAL,
    OURS_RETRIEVAL,
    RANKING,
    metadata,
    ranking_outputs,
    retrieval_outputs,
    tensor,
)

TITLES = [f"Movie {letter}" for letter in "ABCDEFGHIJ"]
RETRIEVAL_SCORES = [10.0 - i for i in range(10)]
RATINGS = [3.0, 4.5, 3.0, 5.0, 1.0, 4.5, 2.0, 2.5, 3.5, 4.0]
# By rating; D (5.0) first, then B and F tie at 4.5 and keep retrieval order, then J (4.0), I (3.5), ...
EXPECTED = [
    "Movie D",
    "Movie B",
    "Movie F",
    "Movie J",
    "Movie I",
    "Movie A",
    "Movie C",
    "Movie H",
    "Movie G",
    "Movie E",
]


@pytest.fixture
def chain(client, scripted: FaultyServer) -> RecommendationChain:
    return RecommendationChain(
        client,
        ModelEndpoint(scripted.url, "retrieval"),
        ModelEndpoint(scripted.url, "ranking"),
        default_k=5,
    )


@pytest.fixture
def models(scripted: FaultyServer) -> FaultyServer:
    """The codelab-shaped pair answering TITLES and RATINGS, as often as asked."""
    scripted.always("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.always("ranking", "metadata", reply(200, RANKING))
    scripted.always("retrieval", "predict", reply(200, retrieval_outputs(TITLES, RETRIEVAL_SCORES)))
    scripted.always("ranking", "predict", reply(200, ranking_outputs(RATINGS)))
    return scripted


def test_ratings_order_the_candidates_and_ties_keep_retrieval_order():
    assert [TITLES[i] for i in rank_order(RATINGS)] == EXPECTED


@given(st.lists(st.sampled_from([1.0, 2.5, 2.5000001, 3.0, -0.0, 0.0, 4.75]), max_size=40))
def test_rank_order_is_a_stable_sort_by_descending_rating(ratings):
    order = rank_order(ratings)
    assert sorted(order) == list(range(len(ratings)))
    for earlier, later in itertools.pairwise(order):
        assert ratings[earlier] > ratings[later] or (ratings[earlier] == ratings[later] and earlier < later)


def test_the_top_k_by_rating_come_back_with_their_ratings(chain, models, deadline):
    result = chain.recommend("42", 4, deadline)
    assert result.titles == EXPECTED[:4]
    assert result.scores == [5.0, 4.5, 4.5, 4.0]
    assert (result.degraded, result.k, result.candidate_count) == (False, 4, 10)


def test_all_candidates_are_ranked_in_one_request(chain, models, deadline):
    chain.recommend("42", 3, deadline)
    (ranking,) = models.requests("ranking", "predict")
    assert ranking.json() == {"inputs": {"user_id": ["42"] * 10, "movie_title": TITLES}}
    (retrieval,) = models.requests("retrieval", "predict")
    assert retrieval.json() == {"inputs": {"input_1": ["42"]}}


def test_k_defaults_to_the_configured_value(chain, models, deadline):
    assert len(chain.recommend("42", None, deadline).titles) == 5


def test_the_default_k_is_capped_at_the_candidate_count(client, models, deadline):
    chain = RecommendationChain(
        client, ModelEndpoint(models.url, "retrieval"), ModelEndpoint(models.url, "ranking"), default_k=50
    )
    assert chain.recommend("42", None, deadline).titles == EXPECTED


def test_k_may_be_the_candidate_count_but_not_more(chain, models, deadline):
    assert chain.recommend("42", 10, deadline).titles == EXPECTED
    with pytest.raises(BadRequest) as raised:
        chain.recommend("42", 11, deadline)
    assert (raised.value.code, raised.value.message) == ("k_out_of_range", "k must be between 1 and 10")
    assert len(models.requests("retrieval", "predict")) == 1


def test_a_failing_ranking_model_degrades_to_retrieval_order(chain, scripted, deadline):
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script("ranking", "metadata", reply(200, RANKING))
    scripted.script("retrieval", "predict", reply(200, retrieval_outputs(TITLES, RETRIEVAL_SCORES)))
    scripted.always("ranking", "predict", reply(503, {"error": "overloaded"}))
    result = chain.recommend("42", 3, deadline)
    assert (result.titles, result.scores, result.degraded) == (TITLES[:3], RETRIEVAL_SCORES[:3], True)
    assert isinstance(result.degraded_by, UpstreamUnavailable)


def test_an_unusable_ranking_signature_degrades_too(chain, scripted, deadline):
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script("ranking", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script("retrieval", "predict", reply(200, retrieval_outputs(TITLES, RETRIEVAL_SCORES)))
    result = chain.recommend("42", 2, deadline)
    assert (result.titles, result.degraded) == (TITLES[:2], True)
    assert scripted.requests("ranking", "predict") == []


def test_a_failing_retrieval_model_fails_the_request(chain, scripted, deadline):
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.always("retrieval", "predict", reply(503, {"error": "overloaded"}))
    with pytest.raises(UpstreamUnavailable):
        chain.recommend("42", 3, deadline)
    assert scripted.requests("ranking") == []


def test_signatures_are_discovered_once_per_process(chain, models, deadline):
    for _ in range(3):
        chain.recommend("42", 3, deadline)
    assert len(models.requests("retrieval", "metadata")) == 1
    assert len(models.requests("ranking", "metadata")) == 1


def test_a_failed_discovery_is_tried_again_on_the_next_request(chain, scripted, deadline):
    scripted.script("retrieval", "metadata", reply(404, {"error": "Servable not found"}))
    with pytest.raises(Exception, match="answered HTTP 404"):
        chain.recommend("42", 3, deadline)
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script("ranking", "metadata", reply(200, RANKING))
    scripted.script("retrieval", "predict", reply(200, retrieval_outputs(TITLES, RETRIEVAL_SCORES)))
    scripted.script("ranking", "predict", reply(200, ranking_outputs(RATINGS)))
    assert chain.recommend("42", 3, deadline).titles == EXPECTED[:3]


def test_concurrent_first_requests_wait_for_one_discovery_but_not_past_their_deadline():
    loads: list[float] = []
    release = threading.Event()

    def slow_load(deadline: Deadline) -> str:
        loads.append(time.monotonic())
        release.wait(2.0)
        return "signature"

    once = DiscoveredOnce(slow_load)
    first = threading.Thread(target=once.get, args=(Deadline(3.0),))
    first.start()
    while not loads:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        once.get(Deadline(0.2))
    assert time.monotonic() - started < 0.5
    release.set()
    first.join()
    assert once.get(Deadline(0.1)) == "signature"
    assert len(loads) == 1


def test_health_reports_each_model_state_and_version(chain, scripted, deadline):
    scripted.script("retrieval", "status", reply(200, AVAILABLE))
    loading = {"model_version_status": [{"version": "2", "state": "LOADING", "status": {"error_code": "OK"}}]}
    scripted.script("ranking", "status", reply(200, loading))
    assert chain.health(deadline) == {
        "retrieval": {"state": "AVAILABLE", "version": "1"},
        "ranking": {"state": "LOADING"},
    }


def test_health_is_available_when_any_version_is(chain, scripted, deadline):
    versions = [
        {"version": "3", "state": "LOADING", "status": {}},
        {"version": "2", "state": "AVAILABLE", "status": {}},
    ]
    scripted.script("retrieval", "status", reply(200, {"model_version_status": versions}))
    assert chain.health(deadline)["retrieval"] == {"state": "AVAILABLE", "version": "2"}


def test_health_says_why_a_model_could_not_be_asked(chain, scripted, deadline):
    scripted.script("retrieval", "status", reply(200, AVAILABLE))
    scripted.always("ranking", "status", reply(503, {"error": "down"}))
    assert chain.health(deadline)["ranking"] == {
        "state": "UNKNOWN",
        "error": "ranking model answered HTTP 503",
    }


def test_with_a_version_label_health_asks_the_labelled_version_through_its_metadata(
    client, scripted, deadline
):
    labelled = RecommendationChain(
        client,
        ModelEndpoint(scripted.url, "retrieval", label="stable"),
        ModelEndpoint(scripted.url, "ranking", label="stable"),
        default_k=5,
    )
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script(
        "ranking", "metadata", reply(404, {"error": "Servable not found for request: Latest(stable)"})
    )
    assert labelled.health(deadline) == {
        "retrieval": {"state": "AVAILABLE", "label": "stable", "version": "1"},
        "ranking": {"state": "UNKNOWN", "label": "stable", "error": "ranking model answered HTTP 404"},
    }
    assert [seen.path for seen in scripted.requests()] == [
        "/v1/models/retrieval/labels/stable/metadata",
        "/v1/models/ranking/labels/stable/metadata",
    ]


def test_a_retrieval_model_replaced_with_renamed_outputs_is_rediscovered_on_the_next_request(
    chain, scripted, deadline
):
    new_titles = [f"New {i}" for i in range(100)]
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL), reply(200, OURS_RETRIEVAL))
    new_answer = {"outputs": {"movie_titles": [new_titles], "scores": [[float(-i) for i in range(100)]]}}
    scripted.always("retrieval", "predict", reply(200, new_answer), times=3)
    scripted.always("ranking", "metadata", reply(200, RANKING), times=1)
    scripted.always("ranking", "predict", reply(200, ranking_outputs([1.0] * 100)), times=1)
    with pytest.raises(UpstreamBadResponse):
        chain.recommend("42", 3, deadline)
    assert chain.recommend("42", 3, Deadline(2.0)).titles == new_titles[:3]
    assert len(scripted.requests("retrieval", "metadata")) == 2


def test_a_ranking_model_refusing_its_inputs_is_rediscovered_on_the_next_request(chain, models, deadline):
    renamed = metadata(
        {"user": tensor("DT_STRING", -1), "title": tensor("DT_STRING", -1)},
        {"rating": tensor("DT_FLOAT", -1)},
        "ranking",
    )
    assert chain.recommend("42", 3, deadline).degraded is False
    models.clear()
    models.always("retrieval", "predict", reply(200, retrieval_outputs(TITLES, RETRIEVAL_SCORES)))
    models.script("ranking", "predict", reply(400, {"error": "Failed to process element: 0 key: user_id"}))
    models.script("ranking", "metadata", reply(200, renamed))
    models.script("ranking", "predict", reply(200, {"outputs": RATINGS}))
    assert chain.recommend("42", 3, Deadline(2.0)).degraded is True
    assert chain.recommend("42", 3, Deadline(2.0)).titles == EXPECTED[:3]
    (after_update,) = [seen.json() for seen in models.requests("ranking", "predict")][-1:]
    assert set(after_update["inputs"]) == {"user", "title"}


def test_a_server_error_does_not_make_the_signature_be_read_again(chain, models, deadline):
    chain.recommend("42", 3, deadline)
    models.clear()
    models.script("retrieval", "predict", reply(500, {"error": "out of memory"}))
    models.script("retrieval", "predict", reply(200, retrieval_outputs(TITLES, RETRIEVAL_SCORES)))
    models.always("ranking", "predict", reply(200, ranking_outputs(RATINGS)))
    with pytest.raises(UpstreamBadResponse):
        chain.recommend("42", 3, Deadline(2.0))
    assert chain.recommend("42", 3, Deadline(2.0)).titles == EXPECTED[:3]
    assert models.requests("retrieval", "metadata") == []
