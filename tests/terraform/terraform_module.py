"""The Terraform root module as data: parsed with python-hcl2, plus how to call the terraform CLI offline."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.support.servers import REPO_ROOT

TERRAFORM_DIR = REPO_ROOT / "terraform"
CLOUDRUN_DIR = REPO_ROOT / "serving" / "cloudrun"
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_CONFIG = TERRAFORM_DIR / ".checkov.yaml"
# No user CLI config, no update check: terraform runs are hermetic and offline.
TERRAFORM_ENV = {"TF_CLI_CONFIG_FILE": "/dev/null", "CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin"}

_HCL_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)

Body = dict[str, Any]


def one(blocks: list[Body]) -> Body:
    """The only instance of a nested block (python-hcl2 gives every block as a list)."""
    assert len(blocks) == 1, f"expected exactly one block, got {len(blocks)}"
    return blocks[0]


@dataclass(frozen=True)
class TerraformModule:
    """The root module's top-level blocks, parsed from every *.tf file with string quotes stripped."""

    blocks: Mapping[str, list[Body]]

    def resources(self, resource_type: str) -> dict[str, Body]:
        """Every resource of one type, by name."""
        return self._labelled("resource", resource_type)

    def resource(self, resource_type: str, name: str) -> Body:
        """One resource's body."""
        return self.resources(resource_type)[name]

    def all_resources(self) -> list[tuple[str, str, Body]]:
        """(type, name, body) for every resource."""
        return [
            (kind, name, body)
            for block in self.blocks["resource"]
            for kind, named in block.items()
            for name, body in named.items()
        ]

    @property
    def variables(self) -> dict[str, Body]:
        """Every input variable, by name."""
        return {name: body for block in self.blocks["variable"] for name, body in block.items()}

    @property
    def outputs(self) -> dict[str, Body]:
        """Every output, by name."""
        return {name: body for block in self.blocks["output"] for name, body in block.items()}

    @property
    def locals(self) -> Body:
        """All locals blocks merged into one mapping."""
        return {name: value for block in self.blocks["locals"] for name, value in block.items()}

    def _labelled(self, kind: str, resource_type: str) -> dict[str, Body]:
        found: dict[str, Body] = {}
        for block in self.blocks[kind]:
            found.update(block.get(resource_type, {}))
        return found


def parse_file(path: Path) -> Body:
    """One HCL file (.tf or .tfvars) as a mapping, string quotes stripped and comments dropped."""
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=_HCL_OPTIONS)


def parse_module(directory: Path) -> TerraformModule:
    """Parse every *.tf file of a directory into one TerraformModule."""
    blocks: dict[str, list[Body]] = {"resource": [], "data": [], "variable": [], "output": [], "locals": []}
    for path in sorted(directory.glob("*.tf")):
        for kind, found in parse_file(path).items():
            blocks.setdefault(kind, []).extend(found)
    return TerraformModule(blocks)


def terraform_binary() -> str:
    """Path of the terraform CLI, skipping the calling test when this machine has none."""
    found = shutil.which("terraform")
    if found is None:
        pytest.skip("the terraform CLI is not installed on this machine")
    return found


def run_terraform(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the terraform CLI offline and capture its output (skips the test where terraform is absent)."""
    return subprocess.run(
        [terraform_binary(), *args],
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=TERRAFORM_ENV,
    )


def hcl_value(value: Any) -> str:
    """A Python value as Terraform reads it on the command line (JSON is valid HCL for lists and maps)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def resolve(expression: Any, module: TerraformModule) -> Any:
    """Substitute `${local.NAME}` wherever that local is a plain literal; other references stay as written."""
    if not isinstance(expression, str):
        return expression
    literals = {name: value for name, value in module.locals.items() if isinstance(value, int | float | str)}
    for _ in range(5):  # literals may refer to each other, a few levels deep at most
        previous = expression
        for name, value in literals.items():
            if f"${{local.{name}}}" == expression:
                return resolve(value, module)
            expression = expression.replace(f"${{local.{name}}}", str(value))
        if expression == previous:
            break
    return expression


def flags(arguments: list[str]) -> dict[str, str]:
    """Command-line flags `--name=value` as a mapping (a bare `--name` maps to "true")."""
    parsed = {}
    for argument in arguments:
        name, _, value = argument.partition("=")
        parsed[name] = value or "true"
    return parsed


# Locals that turn a models folder into the uploaded file set and its content-addressed prefix. They only call
# built-in functions, so the terraform CLI can evaluate them without any provider.
PACKAGING_LOCALS = (
    "models_config",
    "model_names",
    "model_files",
    "batching_parameters",
    "models_fingerprint",
    "models_prefix",
)
_PACKAGING_QUERY = (
    "jsonencode({names = local.model_names, files = local.model_files, prefix = local.models_prefix})\n"
)


def evaluate_packaging(workdir: Path, models_dir: Path, serving_cpu: int = 1) -> dict[str, Any]:
    """Evaluate main.tf's own packaging expressions with `terraform console` for one models folder.

    Returns {"names": [...], "files": [...], "prefix": "models/..."}.
    """
    source_forms = {}
    for block in hcl2.loads((TERRAFORM_DIR / "main.tf").read_text()).get("locals", []):
        source_forms.update(block)
    lines = [f'variable "serving_cpu" {{\n  default = {serving_cpu}\n}}', "locals {"]
    lines.append(f"  models_dir = {json.dumps(str(models_dir))}")
    lines.append(f"  cloudrun_dir = {json.dumps(str(CLOUDRUN_DIR))}")
    for name in PACKAGING_LOCALS:
        lines.append(f"  {name} = {_expression(source_forms[name])}")
    lines.append("}")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf").write_text("\n".join(lines) + "\n")
    completed = run_terraform("console", "-no-color", cwd=workdir, stdin=_PACKAGING_QUERY)
    assert completed.returncode == 0, completed.stderr
    # The console prints the JSON document as an HCL string literal, which is also a JSON string literal.
    return json.loads(json.loads(completed.stdout.strip()))


def _expression(source_form: str) -> str:
    """A local's right-hand side as HCL source: python-hcl2 wraps bare expressions in ${...}."""
    if source_form.startswith("${") and source_form.endswith("}"):
        return source_form[2:-1]
    return source_form
