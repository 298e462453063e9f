"""checkov, the IaC security scanner, finds nothing to fix; every deliberate exception says why."""


def test_no_check_fails(checkov_report):
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in checkov_report["results"]["failed_checks"]
    ]
    assert failed == []


def test_the_scan_covered_the_module(checkov_report):
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 20
    assert summary["passed"] >= 10


def test_every_skip_is_justified_inline(checkov_report):
    for check in checkov_report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 30, f"{check['check_id']} on {check['resource']} is skipped without a reason"
