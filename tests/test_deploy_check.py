"""deploy/smoke.py (`make deploy-check`, run by CI) follows the README's deployment block:
these tests fail in the ordinary suite when the README says something it cannot run."""

import importlib.util
from pathlib import Path

import pytest

from kampungkb.settings.base import BASE_DIR

spec = importlib.util.spec_from_file_location("deploy_smoke", BASE_DIR / "deploy" / "smoke.py")
smoke = importlib.util.module_from_spec(spec)
spec.loader.exec_module(smoke)

README = (BASE_DIR / "README.md").read_text(encoding="utf-8")


def test_the_readme_deployment_is_what_the_smoke_test_runs(tmp_path):
    steps = smoke.plan(smoke.deployment_block(README))
    assert [argv[2:] for argv in steps["commands"]] == [
        ["compiletranslations"],
        ["migrate"],
        ["collectstatic", "--no-input"],
        ["check", "--deploy", "--fail-level", "WARNING"],
    ]
    assert steps["server"][:2] == [".venv/bin/gunicorn", "kampungkb.wsgi"]
    assert "--bind" in steps["server"]
    assert steps["install"] == ["python3 -m venv .venv && .venv/bin/pip install ."]
    env = smoke.environment(steps["exports"], "postgres://p@127.0.0.1/x", Path(tmp_path))
    assert env["DJANGO_SETTINGS_MODULE"] == "kampungkb.settings.production"
    assert len(env["SECRET_KEY"]) >= 50 and "…" not in env["SECRET_KEY"]
    assert env["BEHIND_TLS_PROXY"] == "true"


def _readme_with(block):
    return f"# Portal\n\n## Deployment (PostgreSQL + gunicorn)\n\n```sh\n{block}```\n\nText.\n"


GOOD = (
    "python3 -m venv .venv && .venv/bin/pip install .\n"
    "export DJANGO_SETTINGS_MODULE=kampungkb.settings.production\n"
    ".venv/bin/python manage.py compiletranslations\n"
    ".venv/bin/python manage.py migrate   # a comment\n"
    ".venv/bin/python manage.py collectstatic --no-input\n"
    ".venv/bin/python manage.py check --deploy --fail-level WARNING\n"
    ".venv/bin/gunicorn kampungkb.wsgi --workers 3 --bind 127.0.0.1:8000\n"
)


def test_continuation_lines_and_comments_are_read():
    block = "export SECRET_KEY='x y' \\\n       ALLOWED_HOSTS=h\n" + GOOD
    steps = smoke.plan(smoke.deployment_block(_readme_with(block)))
    assert steps["exports"]["ALLOWED_HOSTS"] == "h"
    assert steps["commands"][1] == [".venv/bin/python", "manage.py", "migrate"]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (GOOD.replace(" --no-input", ""), "lacks: manage.py collectstatic"),
        (GOOD + "sudo systemctl restart kampungkb\n", "does not know this README line"),
        (GOOD.replace("check --deploy --fail-level WARNING", "check"), "lacks: manage.py check"),
        (GOOD.replace(".venv/bin/gunicorn", "# .venv/bin/gunicorn"), "starts no gunicorn"),
        (GOOD.replace("python3 -m venv", "# python3 -m venv"), "creates no virtualenv"),
    ],
)
def test_a_readme_the_smoke_test_cannot_follow_fails(block, message):
    with pytest.raises(smoke.SmokeFailure, match=message):
        smoke.plan(smoke.deployment_block(_readme_with(block)))


def test_a_new_variable_in_the_readme_needs_a_value_in_the_smoke_test(tmp_path):
    steps = smoke.plan(smoke.deployment_block(_readme_with("export NEW_SETTING=x\n" + GOOD)))
    with pytest.raises(smoke.SmokeFailure, match="README exports NEW_SETTING"):
        smoke.environment(steps["exports"], "postgres://p@h/x", tmp_path)
