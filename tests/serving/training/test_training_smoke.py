"""A short real training run on a small subset trains, exports, reloads and serves both models."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from serving.training.__main__ import main
from serving.training.export import existing_versions, models_config
from tests.serving.training.contract import (
    assert_ranking_contract,
    assert_retrieval_contract,
    assert_warmup_replays,
    signature,
)
from tests.support.servers import REPO_ROOT, python_cmd

QUICK = ("--retrieval-epochs", "2", "--retrieval-dim", "8", "--ranking-dim", "4", "--ranking-iterations", "2")
CANDIDATES = 20


def small_run_flags(data_dir: Path, models: Path) -> tuple[str, ...]:
    """Where a small run reads its data and writes its models."""
    return ("--data-dir", str(data_dir), "--models", str(models), "--candidates", str(CANDIDATES))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory, small_grouplens_folder: Path) -> tuple[Path, str]:
    """`python -m serving.training` on the small folder; returns the model base and the output."""
    models = tmp_path_factory.mktemp("smoke") / "models"
    flags = small_run_flags(small_grouplens_folder, models)
    result = subprocess.run(
        python_cmd("-m", "serving.training", "train", *flags, *QUICK),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return models, result.stdout


def test_training_shows_progress_per_epoch(smoke_run: tuple[Path, str]) -> None:
    _, output = smoke_run
    assert "ranking: iteration 2/2 training RMSE" in output
    assert "Epoch 2/2" in output


def test_export_is_a_tf_serving_model_base(smoke_run: tuple[Path, str]) -> None:
    models, _ = smoke_run
    assert (models / "models.config").read_text() == models_config()
    assert existing_versions(models / "retrieval") == existing_versions(models / "ranking") == [1]


def test_exported_models_reload_with_their_contracts(smoke_run: tuple[Path, str]) -> None:
    models, _ = smoke_run
    assert_retrieval_contract(models / "retrieval" / "1", CANDIDATES)
    assert_ranking_contract(models / "ranking" / "1")


def test_exported_models_answer_known_and_unknown_ids(smoke_run: tuple[Path, str]) -> None:
    models, _ = smoke_run
    retrieved = signature(models / "retrieval" / "1")(user_id=tf.constant(["1", "no-such-user"]))
    assert retrieved["movie_titles"].shape == (2, CANDIDATES)
    titles = retrieved["movie_titles"][0].numpy()
    rated = signature(models / "ranking" / "1")(user_id=tf.constant(["1"] * CANDIDATES), movie_title=titles)
    assert np.all((rated["output_1"].numpy() >= 1) & (rated["output_1"].numpy() <= 5))


@pytest.mark.parametrize("model", ["retrieval", "ranking"])
def test_warmup_requests_replay_against_the_export(smoke_run: tuple[Path, str], model: str) -> None:
    models, _ = smoke_run
    assert_warmup_replays(models / model / "1", model)


def test_figures_are_printed_and_saved_beside_the_models(smoke_run: tuple[Path, str]) -> None:
    models, output = smoke_run
    printed = json.loads(output[output.index("\n{") :])
    saved = json.loads((models / "metrics.json").read_text())
    assert printed == saved
    for figure in ("retrieval_recall_at_100", "chain_recall_at_10", "codelab_chain_recall_at_10"):
        assert 0 <= saved[figure] <= 1
    assert 0 < saved["ranking_rmse"] < 4
    assert saved["split"]["seed"] == 42
    assert len(saved["data"]["sha256"]) == 64
    assert saved["libraries"]["tensorflow"] == tf.__version__


def test_retraining_replaces_the_version_and_evaluate_reads_it(
    smoke_run: tuple[Path, str], small_grouplens_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models, _ = smoke_run
    common = small_run_flags(small_grouplens_folder, models)
    assert main(["train", *common, *QUICK]) == 0
    assert existing_versions(models / "retrieval") == existing_versions(models / "ranking") == [2]
    capsys.readouterr()
    assert main(["evaluate", *common]) == 0
    output = capsys.readouterr().out
    evaluated = json.loads(output[output.index("\n{") :])
    saved = json.loads((models / "metrics.json").read_text())
    assert saved["version"] == 2
    assert evaluated == pytest.approx({figure: saved[figure] for figure in evaluated})
