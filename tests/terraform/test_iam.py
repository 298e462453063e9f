"""Access: the serving service is private, each identity holds only what its job needs, public is opt-in."""

import json

PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
SERVING_SERVICE = "${google_cloud_run_v2_service.serving.name}"
FUNCTION_SERVICE = "${google_cloudfunctions2_function.recommend.service_config[0].service}"


def iam_grants(module):
    """Every IAM member/binding resource: (type, name, body)."""
    return [(kind, name, body) for kind, name, body in module.all_resources() if "_iam_" in kind]


def members_of(body):
    return [body["member"]] if "member" in body else list(body.get("members", []))


def grants_on_serving(module):
    return [
        (kind, name, body)
        for kind, name, body in iam_grants(module)
        if SERVING_SERVICE in (body.get("service"), body.get("name"))
    ]


def test_serving_is_never_granted_to_the_public(module):
    for kind, name, body in grants_on_serving(module):
        assert not PUBLIC_MEMBERS & set(members_of(body)), f"{kind}.{name} makes the serving service public"
    serving = module.resource("google_cloud_run_v2_service", "serving")
    assert "invoker_iam_disabled" not in serving, "disabling the invoker check would make serving public"


def test_only_the_functions_service_account_may_invoke_serving(module):
    grants = grants_on_serving(module)
    assert [(body["role"], body["member"]) for _, _, body in grants] == [
        ("roles/run.invoker", "serviceAccount:${google_service_account.function.email}")
    ]


def test_public_members_appear_only_in_the_opt_in_function_grant(module):
    public = [
        (kind, name, body)
        for kind, name, body in iam_grants(module)
        if PUBLIC_MEMBERS & set(members_of(body))
    ]
    assert [(kind, name) for kind, name, _ in public] == [
        ("google_cloud_run_service_iam_member", "function_public")
    ]
    _, _, grant = public[0]
    assert grant["count"] == "${var.allow_unauthenticated ? 1 : 0}"
    assert grant["service"] == FUNCTION_SERVICE
    assert grant["role"] == "roles/run.invoker"


def test_named_invokers_are_granted_on_the_functions_underlying_run_service(module):
    grant = module.resource("google_cloud_run_service_iam_member", "function_invokers")
    assert grant["for_each"] == "${toset(var.invoker_members)}"
    assert grant["service"] == FUNCTION_SERVICE
    assert grant["role"] == "roles/run.invoker"


def test_each_job_has_its_own_service_account(module):
    accounts = module.resources("google_service_account")
    assert set(accounts) == {"serving", "function", "function_build"}
    account_ids = {body["account_id"] for body in accounts.values()}
    assert len(account_ids) == 3


def test_service_accounts_hold_only_their_listed_grants(module):
    expected = {
        "serving": {("roles/storage.objectViewer", 'google_storage_bucket.private["models"]')},
        "function": {("roles/run.invoker", "google_cloud_run_v2_service.serving")},
        "function_build": {
            ("roles/logging.logWriter", "project"),
            ("roles/artifactregistry.writer", "google_artifact_registry_repository.function_images"),
            ("roles/storage.objectViewer", "project"),  # the source sits in Google's staging bucket
        },
    }
    for account, grants in expected.items():
        member = f"serviceAccount:${{google_service_account.{account}.email}}"
        found = {
            (body["role"], _target(body)) for _, _, body in iam_grants(module) if member in members_of(body)
        }
        assert found == grants, f"{account}: {json.dumps(sorted(found))}"


def test_no_grant_uses_a_basic_or_admin_role(module):
    for kind, name, body in iam_grants(module):
        role = body["role"]
        assert role not in {"roles/owner", "roles/editor", "roles/viewer"}, f"{kind}.{name}"
        assert not role.endswith(".admin"), f"{kind}.{name} grants {role}"


def test_buckets_are_private_and_uniform(module):
    for name, bucket in module.resources("google_storage_bucket").items():
        assert bucket["public_access_prevention"] == "enforced", name
        assert bucket["uniform_bucket_level_access"] is True, name


def _target(body):
    """Address of the resource a grant applies to ("project" for project-wide grants)."""
    for key in ("bucket", "repository", "service", "name"):
        if key in body:
            return body[key].removeprefix("${").rsplit(".", 1)[0]
    return "project"
