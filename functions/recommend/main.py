"""Cloud Function `recommend`: movie recommendations from a retrieval and a ranking model on TF Serving.

Routes: POST /recommend (also POST /), GET /healthz, OPTIONS preflight on both. Run locally with
`functions-framework --source functions/recommend/main.py --target recommend`; see README.md.
Configuration is read once, at import, from the environment; no network is touched until a request.
"""

from __future__ import annotations

import flask
import functions_framework
from recommender.api import (
    RETRY_AFTER_S,
    CorsPolicy,
    error_response,
    json_response,
    parse_recommend_request,
    recommendation_response,
)
from recommender.auth import IdTokenCache, audience_for
from recommender.chain import RecommendationChain
from recommender.config import Config, load_config
from recommender.deadline import Deadline
from recommender.errors import InternalError, MethodNotAllowed, NotFound, RecommendError
from recommender.logs import RequestLog, configure_logging
from recommender.tfserving import ModelEndpoint, TFServingClient

RECOMMEND_METHODS = ("POST", "OPTIONS")
HEALTH_METHODS = ("GET", "HEAD", "OPTIONS")
ROUTES = {"/": RECOMMEND_METHODS, "/recommend": RECOMMEND_METHODS, "/healthz": HEALTH_METHODS}
NOT_FOUND_MESSAGE = "no such path; use POST /recommend or GET /healthz"


def build_chain(config: Config) -> RecommendationChain:
    """The chain with its process-wide client: one connection pool, one token cache."""
    client = TFServingClient(
        pool_size=config.http_pool_size,
        connect_timeout_s=config.connect_timeout_s,
        retries=config.upstream_retries,
        tokens=None if config.auth_mode == "none" else IdTokenCache(),
        ca_bundle=config.ca_bundle,
    )

    def endpoint(url: str, model: str) -> ModelEndpoint:
        return ModelEndpoint(url, model, config.model_version_label, audience_for(url, config.auth_mode))

    return RecommendationChain(
        client,
        endpoint(config.retrieval_url, config.retrieval_model),
        endpoint(config.ranking_url, config.ranking_model),
        default_k=config.default_k,
        retrieval_names={"titles": config.retrieval_titles_output, "scores": config.retrieval_scores_output},
        ranking_names={
            "user_input": config.ranking_user_input,
            "title_input": config.ranking_title_input,
            "output": config.ranking_output,
        },
    )


CONFIG = load_config()
LOGGER = configure_logging(CONFIG.log_level, CONFIG.project_id)
CHAIN = build_chain(CONFIG)
CORS = CorsPolicy(CONFIG.cors_allowed_origins)


@functions_framework.errorhandler(404)
def _framework_not_found(_error: Exception) -> flask.Response:
    """functions-framework answers /robots.txt and /favicon.ico itself: make those 404s JSON too."""
    response = error_response(NotFound(NOT_FOUND_MESSAGE))
    return CORS.apply(flask.request, response)


@functions_framework.http
def recommend(request: flask.Request) -> flask.Response:
    """Answer one request; every failure becomes a JSON error here, and one log line is written."""
    deadline = Deadline(CONFIG.request_deadline_s)
    path = request.path.rstrip("/") or "/"
    log = RequestLog(request.method, path)
    unexpected = None
    try:
        response = _route(request, path, deadline, log)
    except RecommendError as error:
        log.failed(error)
        response = error_response(error)
    except Exception as error:  # the caller gets a plain 500; the trace goes to the log
        unexpected = error
        internal = InternalError("internal error")
        log.failed(internal)
        response = error_response(internal)
    CORS.apply(request, response)
    log.emit(LOGGER, response.status_code, deadline.elapsed_ms(), exception=unexpected)
    return response


def _route(request: flask.Request, path: str, deadline: Deadline, log: RequestLog) -> flask.Response:
    methods = ROUTES.get(path)
    if methods is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    if request.method == "OPTIONS":
        return CORS.preflight(request, methods)
    if request.method not in methods:
        raise MethodNotAllowed(f"{path} accepts {', '.join(methods)}", allow=methods)
    if path == "/healthz":
        return _health(deadline)
    return _recommend(request, deadline, log)


def _recommend(request: flask.Request, deadline: Deadline, log: RequestLog) -> flask.Response:
    query = parse_recommend_request(request, CONFIG.max_body_bytes)
    recommendation = CHAIN.recommend(query.user_id, query.k, deadline)
    log.recommended(recommendation)
    return recommendation_response(query.user_id, recommendation)


def _health(deadline: Deadline) -> flask.Response:
    models = CHAIN.health(deadline)
    healthy = all(model["state"] == "AVAILABLE" for model in models.values())
    if healthy:
        return json_response({"status": "ok", "models": models})
    return json_response(
        {"status": "unavailable", "models": models}, 503, {"Retry-After": str(RETRY_AFTER_S)}
    )
