"""The TF Serving client against a local server that misbehaves on purpose: retries, timeouts, bad answers."""

from __future__ import annotations

import threading
import time

import pytest
from urllib3.connectionpool import HTTPConnectionPool

from functions.recommend.recommender import tfserving, watchdog
from functions.recommend.recommender.auth import IdTokenCache
from functions.recommend.recommender.deadline import Deadline
from functions.recommend.recommender.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from functions.recommend.recommender.tfserving import ModelEndpoint, TFServingClient
from tests.function.faulty_server import delay, reply, reset, trickle, trickle_body
from tests.function.model_answers import AVAILABLE, CODELAB_RETRIEVAL, retrieval_outputs
from tests.support.servers import free_port

OK = retrieval_outputs(["A", "B"], [2.0, 1.0])
# Slack for thread scheduling on a loaded machine when checking that a deadline was kept.
SLACK_S = 0.3


def elapsed(since: float) -> float:
    return time.monotonic() - since


def test_predict_posts_columnar_inputs_and_returns_the_outputs(client, endpoint, scripted, deadline):
    scripted.script("retrieval", "predict", reply(200, OK))
    assert client.predict(endpoint, {"input_1": ["42"]}, deadline) == OK["outputs"]
    (seen,) = scripted.requests("retrieval", "predict")
    assert (seen.method, seen.path) == ("POST", "/v1/models/retrieval:predict")
    assert seen.json() == {"inputs": {"input_1": ["42"]}}
    assert "Authorization" not in seen.headers


def test_metadata_and_status_are_read_from_their_routes(client, endpoint, scripted, deadline):
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script("retrieval", "status", reply(200, AVAILABLE))
    assert client.metadata(endpoint, deadline) == CODELAB_RETRIEVAL
    assert client.status(endpoint, deadline) == AVAILABLE
    assert [s.path for s in scripted.requests()] == ["/v1/models/retrieval/metadata", "/v1/models/retrieval"]


def test_a_version_label_selects_the_version_for_predict_and_metadata_but_not_status(
    client, scripted, deadline
):
    labelled = ModelEndpoint(scripted.url, "retrieval", label="stable")
    scripted.script("retrieval", "predict", reply(200, OK))
    scripted.script("retrieval", "metadata", reply(200, CODELAB_RETRIEVAL))
    scripted.script("retrieval", "status", reply(200, AVAILABLE))
    client.predict(labelled, {"input_1": ["1"]}, deadline)
    client.metadata(labelled, deadline)
    client.status(labelled, deadline)
    assert [s.path for s in scripted.requests()] == [
        "/v1/models/retrieval/labels/stable:predict",
        "/v1/models/retrieval/labels/stable/metadata",
        "/v1/models/retrieval",
    ]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_transient_error_status_is_retried(client, endpoint, scripted, deadline, status):
    scripted.script(
        "retrieval", "predict", reply(status, {"error": "busy"}), reply(status, "{}"), reply(200, OK)
    )
    assert client.predict(endpoint, {"input_1": ["1"]}, deadline) == OK["outputs"]
    assert len(scripted.requests("retrieval", "predict")) == 3


@pytest.mark.parametrize(
    ("status", "error"), [(502, UpstreamBadResponse), (503, UpstreamUnavailable), (504, UpstreamTimeout)]
)
def test_retries_are_bounded_and_the_last_status_decides_the_error(
    client, endpoint, scripted, deadline, status, error
):
    scripted.always("retrieval", "predict", reply(status, {"error": "Servable not loaded"}))
    with pytest.raises(error) as raised:
        client.predict(endpoint, {"input_1": ["1"]}, deadline)
    assert len(scripted.requests("retrieval", "predict")) == 3
    assert "Servable not loaded" in raised.value.detail
    assert "Servable" not in raised.value.message


def test_a_dropped_connection_is_retried_on_a_new_one(client, endpoint, scripted, deadline):
    scripted.script("retrieval", "predict", reset, reply(200, OK))
    assert client.predict(endpoint, {"input_1": ["1"]}, deadline) == OK["outputs"]
    assert len(scripted.requests("retrieval", "predict")) == 2


def test_connections_that_keep_dropping_make_the_server_unavailable(client, endpoint, scripted, deadline):
    scripted.always("retrieval", "predict", reset)
    with pytest.raises(UpstreamUnavailable):
        client.predict(endpoint, {"input_1": ["1"]}, deadline)
    assert len(scripted.requests("retrieval", "predict")) == 3


def test_a_closed_port_is_unavailable_at_once(client, deadline):
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        client.predict(ModelEndpoint(f"http://127.0.0.1:{free_port()}", "retrieval"), {}, deadline)
    assert elapsed(started) < 0.5


@pytest.mark.parametrize("status", [400, 404, 500])
def test_other_error_statuses_are_bad_responses_and_not_retried(client, endpoint, scripted, deadline, status):
    scripted.script("retrieval", "predict", reply(status, "<html><body>Error</body></html>", "text/html"))
    with pytest.raises(UpstreamBadResponse) as raised:
        client.predict(endpoint, {"input_1": ["1"]}, deadline)
    assert raised.value.message == f"retrieval model answered HTTP {status}"
    assert len(scripted.requests("retrieval", "predict")) == 1


def test_too_many_requests_is_unavailable(client, endpoint, scripted, deadline):
    scripted.script("retrieval", "predict", reply(429, {"error": "queue full"}))
    with pytest.raises(UpstreamUnavailable):
        client.predict(endpoint, {"input_1": ["1"]}, deadline)


@pytest.mark.parametrize(
    "body", ["not json", '{"outputs": ', "[1, 2]", '"text"', '{"predictions": []}', b"\xff\xfe\x00garbage"]
)
def test_an_answer_that_is_not_a_json_object_with_outputs_is_a_bad_response(
    client, endpoint, scripted, deadline, body
):
    scripted.script("retrieval", "predict", reply(200, body))
    with pytest.raises(UpstreamBadResponse):
        client.predict(endpoint, {"input_1": ["1"]}, deadline)


def test_an_oversized_answer_is_a_bad_response(client, endpoint, scripted, deadline, monkeypatch):
    monkeypatch.setattr(tfserving, "MAX_RESPONSE_BYTES", 1000)
    scripted.script("retrieval", "predict", reply(200, {"outputs": ["x" * 2000]}))
    with pytest.raises(UpstreamBadResponse, match="larger than 1000 bytes"):
        client.predict(endpoint, {"input_1": ["1"]}, deadline)


def test_a_slow_answer_times_out_at_the_deadline(client, endpoint, scripted):
    scripted.script("retrieval", "predict", delay(3.0, reply(200, OK)))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.predict(endpoint, {"input_1": ["1"]}, Deadline(0.4))
    assert 0.35 < elapsed(started) < 0.4 + SLACK_S


@pytest.mark.parametrize("trickling", [trickle, trickle_body], ids=["headers", "body"])
def test_a_server_trickling_bytes_cannot_hold_the_caller_past_the_deadline(
    client, endpoint, scripted, trickling
):
    scripted.script("retrieval", "predict", lambda handler: trickling(handler, interval=0.05, limit=2.0))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.predict(endpoint, {"input_1": ["1"]}, Deadline(0.4))
    assert elapsed(started) < 0.4 + SLACK_S
    assert len(scripted.requests("retrieval", "predict")) == 1


def test_retries_stop_at_the_deadline(client, endpoint, scripted):
    scripted.always("retrieval", "predict", delay(0.25, reply(503, {"error": "busy"})))
    started = time.monotonic()
    with pytest.raises((UpstreamUnavailable, UpstreamTimeout)):
        client.predict(endpoint, {"input_1": ["1"]}, Deadline(0.6))
    assert elapsed(started) < 0.6 + SLACK_S
    assert 2 <= len(scripted.requests("retrieval", "predict")) <= 3


def test_an_expired_deadline_sends_nothing(client, endpoint, scripted):
    with pytest.raises(UpstreamTimeout):
        client.predict(endpoint, {"input_1": ["1"]}, Deadline(0.0))
    assert scripted.requests() == []


def test_backoff_between_retries_grows(endpoint, scripted, deadline):
    pauses: list[float] = []
    client = TFServingClient(pool_size=2, connect_timeout_s=0.5, retries=3, sleep=pauses.append)
    scripted.always("retrieval", "predict", reply(503, {"error": "busy"}))
    with pytest.raises(UpstreamUnavailable):
        client.predict(endpoint, {"input_1": ["1"]}, deadline)
    client.close()
    assert len(pauses) == 3
    assert 0.025 <= pauses[0] <= 0.05 < pauses[2] <= 0.2


def test_sequential_calls_reuse_one_kept_alive_connection(client, endpoint, scripted, deadline):
    scripted.always("retrieval", "predict", reply(200, OK), times=5)
    for _ in range(5):
        client.predict(endpoint, {"input_1": ["1"]}, deadline)
    assert len({seen.client_port for seen in scripted.requests("retrieval", "predict")}) == 1


def test_an_id_token_is_sent_when_the_endpoint_has_an_audience(scripted, deadline):
    fetched: list[str] = []
    tokens = IdTokenCache(lambda audience, _timeout: fetched.append(audience) or f"token-{len(fetched)}")
    client = TFServingClient(pool_size=2, connect_timeout_s=0.5, retries=2, tokens=tokens)
    secured = ModelEndpoint(scripted.url, "retrieval", audience="https://models.example.run.app")
    scripted.always("retrieval", "predict", reply(200, OK), times=3)
    for _ in range(3):
        client.predict(secured, {"input_1": ["1"]}, deadline)
    client.close()
    assert {s.headers["Authorization"] for s in scripted.requests()} == {"Bearer token-1"}
    assert fetched == ["https://models.example.run.app"]


def test_a_rejected_token_is_replaced_and_the_call_retried(scripted, deadline):
    fetched: list[str] = []
    tokens = IdTokenCache(lambda audience, _timeout: fetched.append(audience) or f"token-{len(fetched)}")
    client = TFServingClient(pool_size=2, connect_timeout_s=0.5, retries=2, tokens=tokens)
    secured = ModelEndpoint(scripted.url, "retrieval", audience="https://models.example.run.app")
    scripted.script("retrieval", "predict", reply(401, "Unauthorized", "text/html"), reply(200, OK))
    assert client.predict(secured, {"input_1": ["1"]}, deadline) == OK["outputs"]
    client.close()
    assert [s.headers["Authorization"] for s in scripted.requests()] == ["Bearer token-1", "Bearer token-2"]


@pytest.mark.parametrize("status", [401, 403])
def test_credentials_still_refused_after_one_new_token_make_the_server_unavailable(
    scripted, deadline, status
):
    fetched: list[str] = []
    tokens = IdTokenCache(lambda audience, _timeout: fetched.append(audience) or f"token-{len(fetched)}")
    client = TFServingClient(pool_size=2, connect_timeout_s=0.5, retries=2, tokens=tokens)
    secured = ModelEndpoint(scripted.url, "retrieval", audience="https://models.example.run.app")
    scripted.always("retrieval", "predict", reply(status, "Forbidden", "text/html"))
    with pytest.raises(UpstreamUnavailable) as raised:
        client.predict(secured, {"input_1": ["1"]}, deadline)
    client.close()
    assert raised.value.status == 503 and raised.value.upstream_status == status
    assert [s.headers["Authorization"] for s in scripted.requests()] == ["Bearer token-1", "Bearer token-2"]


def test_a_token_source_that_hangs_fails_the_call_within_its_deadline(scripted):
    release = threading.Event()
    tokens = IdTokenCache(lambda _audience, _timeout: release.wait(10) and "never")
    client = TFServingClient(pool_size=2, connect_timeout_s=0.5, retries=2, tokens=tokens)
    secured = ModelEndpoint(scripted.url, "retrieval", audience="https://models.example.run.app")
    started = time.monotonic()
    try:
        with pytest.raises(UpstreamTimeout):
            client.predict(secured, {"input_1": ["1"]}, Deadline(0.5))
        assert elapsed(started) < 0.5 + SLACK_S
        assert scripted.requests() == []
    finally:
        release.set()
        client.close()


def test_error_details_for_the_log_carry_no_input_values(client, endpoint, scripted, deadline):
    tf_serving_400 = {
        "error": 'JSON Value: "15" Type: String is not of expected type: float\nand "Star Wars (1977)"'
    }
    scripted.script("retrieval", "predict", reply(400, tf_serving_400))
    with pytest.raises(UpstreamBadResponse) as raised:
        client.predict(endpoint, {"input_1": ["15"]}, deadline)
    assert raised.value.detail == (
        "JSON Value: <value> Type: String is not of expected type: float and <value>"
    )
    assert raised.value.upstream_status == 400


def test_an_unterminated_quoted_value_is_cut_from_the_detail(client, endpoint, scripted, deadline):
    scripted.script("retrieval", "predict", reply(500, 'oops "user 15 and more', "text/plain"))
    with pytest.raises(UpstreamBadResponse) as raised:
        client.predict(endpoint, {"input_1": ["15"]}, deadline)
    assert raised.value.detail == "oops"


def test_the_deadline_guard_is_released_before_the_connection_returns_to_the_pool(
    client, endpoint, scripted, deadline, monkeypatch
):
    events: list[str] = []
    release, put_conn = watchdog.Guard.release, HTTPConnectionPool._put_conn
    monkeypatch.setattr(watchdog.Guard, "release", lambda guard: events.append("release") or release(guard))
    monkeypatch.setattr(
        HTTPConnectionPool, "_put_conn", lambda pool, conn: events.append("pooled") or put_conn(pool, conn)
    )
    scripted.script("retrieval", "predict", reply(200, OK))
    client.predict(endpoint, {"input_1": ["1"]}, deadline)
    assert "pooled" in events and events.index("release") < events.index("pooled")
