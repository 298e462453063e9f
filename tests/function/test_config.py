"""Configuration comes from the environment only, is validated once, and a bad value names its variable."""

from __future__ import annotations

import pytest

from functions.recommend.recommender.config import Config, load_config
from functions.recommend.recommender.errors import ConfigError


def test_an_empty_environment_gives_the_documented_defaults():
    config = load_config({"THREADS": "8"})
    assert config == Config(http_pool_size=8)
    assert (config.retrieval_url, config.request_deadline_s, config.default_k) == (
        "http://localhost:8501",
        2.0,
        10,
    )
    assert (config.cors_allowed_origins, config.auth_mode, config.model_version_label) == (
        ("*",),
        "auto",
        None,
    )


def test_tf_serving_url_is_the_base_of_both_models_unless_one_is_overridden():
    config = load_config(
        {"TF_SERVING_URL": "https://serving.example.run.app/", "RANKING_URL": "http://ranker:8501"}
    )
    assert config.retrieval_url == "https://serving.example.run.app"
    assert config.ranking_url == "http://ranker:8501"


def test_every_variable_is_read(tmp_path):
    ca_bundle = tmp_path / "ca.pem"
    ca_bundle.write_text("")
    env = {
        "RETRIEVAL_MODEL": "candidates",
        "RANKING_MODEL": "rater",
        "MODEL_VERSION_LABEL": "stable",
        "RETRIEVAL_TITLES_OUTPUT": "output_2",
        "RETRIEVAL_SCORES_OUTPUT": "output_1",
        "RANKING_USER_INPUT": "uid",
        "RANKING_TITLE_INPUT": "item",
        "RANKING_OUTPUT": "rating",
        "REQUEST_DEADLINE_S": "1.5",
        "CONNECT_TIMEOUT_S": "0.2",
        "UPSTREAM_RETRIES": "0",
        "HTTP_POOL_SIZE": "16",
        "DEFAULT_K": "5",
        "MAX_BODY_BYTES": "1024",
        "CORS_ALLOWED_ORIGINS": "https://app.example.com, http://localhost:5000/",
        "AUTH_MODE": "ID_TOKEN",
        "REQUESTS_CA_BUNDLE": str(ca_bundle),
        "LOG_LEVEL": "warning",
        "GOOGLE_CLOUD_PROJECT": "my-project",
    }
    assert load_config(env) == Config(
        retrieval_model="candidates",
        ranking_model="rater",
        model_version_label="stable",
        retrieval_titles_output="output_2",
        retrieval_scores_output="output_1",
        ranking_user_input="uid",
        ranking_title_input="item",
        ranking_output="rating",
        request_deadline_s=1.5,
        connect_timeout_s=0.2,
        upstream_retries=0,
        http_pool_size=16,
        default_k=5,
        max_body_bytes=1024,
        cors_allowed_origins=("https://app.example.com", "http://localhost:5000"),
        auth_mode="id_token",
        ca_bundle=str(ca_bundle),
        log_level="WARNING",
        project_id="my-project",
    )


def test_the_pool_follows_the_functions_framework_thread_count():
    assert load_config({"THREADS": "12"}).http_pool_size == 12


def test_blank_values_count_as_unset():
    assert load_config({"REQUEST_DEADLINE_S": "  ", "MODEL_VERSION_LABEL": "", "THREADS": "8"}) == Config(
        http_pool_size=8
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TF_SERVING_URL", "localhost:8501"),
        ("TF_SERVING_URL", "ftp://models"),
        ("TF_SERVING_URL", "http://models:8501/?debug=1"),
        ("RANKING_URL", "https://user:secret@models"),
        ("RETRIEVAL_MODEL", "a/b"),
        ("MODEL_VERSION_LABEL", "stable:1"),
        ("RANKING_OUTPUT", "two words"),
        ("REQUEST_DEADLINE_S", "fast"),
        ("REQUEST_DEADLINE_S", "0"),
        ("REQUEST_DEADLINE_S", "nan"),
        ("CONNECT_TIMEOUT_S", "-1"),
        ("UPSTREAM_RETRIES", "1.5"),
        ("UPSTREAM_RETRIES", "9"),
        ("HTTP_POOL_SIZE", "0"),
        ("THREADS", "many"),
        ("DEFAULT_K", "0"),
        ("DEFAULT_K", "1001"),
        ("MAX_BODY_BYTES", "10"),
        ("CORS_ALLOWED_ORIGINS", "app.example.com"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com/path"),
        ("CORS_ALLOWED_ORIGINS", ","),
        ("AUTH_MODE", "basic"),
        ("LOG_LEVEL", "chatty"),
        ("REQUESTS_CA_BUNDLE", "/no/such/ca-bundle.pem"),
    ],
)
def test_a_bad_value_is_rejected_naming_its_variable(variable: str, value: str):
    with pytest.raises(ConfigError) as raised:
        load_config({variable: value})
    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"{variable}: ")


def test_the_configuration_cannot_be_changed_after_loading():
    config = load_config({})
    with pytest.raises(AttributeError):
        config.default_k = 3  # type: ignore[misc]
