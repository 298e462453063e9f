"""Fixtures for the offline Terraform checks: the parsed module, checkov's report, variable validation."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.servers import REPO_ROOT
from tests.terraform.terraform_module import (
    CHECKOV,
    CHECKOV_CONFIG,
    TERRAFORM_DIR,
    TerraformModule,
    hcl_value,
    parse_module,
    run_terraform,
    terraform_binary,
)


@pytest.fixture(scope="session")
def module() -> TerraformModule:
    """The deployment's root module as python-hcl2 sees it."""
    return parse_module(TERRAFORM_DIR)


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    """checkov's JSON report on terraform/, produced once per session (it takes several seconds)."""
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make checkov-venv` (make test does it too)")
    completed = subprocess.run(
        [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), "--output", "json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    # checkov exits 1 when a check fails; the report is still complete and the tests say which check failed.
    assert completed.returncode in (0, 1), f"checkov crashed:\n{completed.stderr[-4000:]}"
    return json.loads(completed.stdout)


@pytest.fixture(scope="session")
def validate_variables(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., subprocess.CompletedProcess]:
    """Run Terraform's own variable validation on variables.tf with the given -var values.

    variables.tf alone needs no provider, so `terraform plan` evaluates every validation block offline.
    """
    terraform_binary()  # skip up front where there is no terraform
    workdir = tmp_path_factory.mktemp("tfvars")
    shutil.copy(TERRAFORM_DIR / "variables.tf", workdir / "variables.tf")

    def run(**values: Any) -> subprocess.CompletedProcess:
        values.setdefault("project_id", "my-project-1")
        args = [f"-var={name}={hcl_value(value)}" for name, value in values.items()]
        return run_terraform("plan", "-input=false", "-no-color", "-lock=false", *args, cwd=workdir)

    return run
