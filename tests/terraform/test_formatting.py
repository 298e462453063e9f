"""`terraform fmt` is the style every Terraform reader expects."""

from tests.support.servers import REPO_ROOT
from tests.terraform.terraform_module import TERRAFORM_DIR, run_terraform


def test_terraform_files_are_formatted_canonically():
    completed = run_terraform("fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR), cwd=REPO_ROOT)
    assert completed.returncode == 0, f"run `make tf-fmt`:\n{completed.stdout}{completed.stderr}"
