"""Which model files Terraform uploads, and the content-addressed folder each model set lands in.

These run main.tf's own expressions through `terraform console`, so they test the module, not a copy of it.
"""

import shutil

import pytest

from tests.terraform.terraform_module import CLOUDRUN_DIR, evaluate_packaging

MODELS_CONFIG = """model_config_list {
  config {
    name: 'retrieval'
    base_path: '/models/retrieval'
    model_platform: 'tensorflow'
  }
  config { name: "ranking" base_path: "/models/ranking" model_platform: "tensorflow" }
}
"""
SERVED_FILES = {
    "models.config",
    "retrieval/1/saved_model.pb",
    "retrieval/1/variables/variables.index",
    "retrieval/1/assets.extra/tf_serving_warmup_requests",
    "ranking/7/saved_model.pb",
}
NOT_SERVED_FILES = {"metrics.json", "README.md", "retrieval/export-tmp/saved_model.pb"}


@pytest.fixture
def models_dir(tmp_path):
    root = tmp_path / "models"
    for relative in SERVED_FILES | NOT_SERVED_FILES:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"contents of {relative}\n")
    (root / "models.config").write_text(MODELS_CONFIG)
    return root


def test_only_models_config_and_numbered_versions_are_uploaded(tmp_path, models_dir):
    packaged = evaluate_packaging(tmp_path / "tf", models_dir)
    assert set(packaged["files"]) == SERVED_FILES


def test_model_names_are_read_from_either_quote_style(tmp_path, models_dir):
    packaged = evaluate_packaging(tmp_path / "tf", models_dir)
    assert packaged["names"] == ["retrieval", "ranking"]


def test_the_committed_models_config_names_both_models(tmp_path):
    packaged = evaluate_packaging(tmp_path / "tf", CLOUDRUN_DIR / "models")
    assert set(packaged["names"]) == {"retrieval", "ranking"}
    assert "models.config" in packaged["files"]


def test_a_changed_model_gets_a_new_folder(tmp_path, models_dir):
    before = evaluate_packaging(tmp_path / "tf", models_dir)["prefix"]
    (models_dir / "ranking/7/saved_model.pb").write_text("retrained\n")
    after = evaluate_packaging(tmp_path / "tf", models_dir)["prefix"]
    assert before.startswith("models/")
    assert after != before


def test_files_that_are_not_served_do_not_change_the_folder(tmp_path, models_dir):
    before = evaluate_packaging(tmp_path / "tf", models_dir)["prefix"]
    (models_dir / "metrics.json").write_text('{"recall_at_10": 0.99}\n')
    after = evaluate_packaging(tmp_path / "tf", models_dir)["prefix"]
    assert after == before


def test_a_renamed_model_file_gets_a_new_folder(tmp_path, models_dir):
    before = evaluate_packaging(tmp_path / "tf", models_dir)["prefix"]
    shutil.move(models_dir / "ranking/7", models_dir / "ranking/8")
    after = evaluate_packaging(tmp_path / "tf", models_dir)["prefix"]
    assert after != before


def test_batching_thread_count_is_part_of_the_model_set(tmp_path, models_dir):
    one_cpu = evaluate_packaging(tmp_path / "tf", models_dir, serving_cpu=1)["prefix"]
    four_cpus = evaluate_packaging(tmp_path / "tf", models_dir, serving_cpu=4)["prefix"]
    assert one_cpu != four_cpus
