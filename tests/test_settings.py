import os
import subprocess
import sys

from django.conf import settings

from kampungkb.settings.base import BASE_DIR


def test_indonesian_jakarta_defaults():
    assert settings.LANGUAGE_CODE == "id"
    assert settings.TIME_ZONE == "Asia/Jakarta"
    assert settings.USE_TZ is True
    assert settings.AUTH_USER_MODEL == "kampungkb.User"
    # Django's, asking the view first (kampungkb.middleware): every page still fails closed.
    assert "kampungkb.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE


def _run_check(extra_env):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="kampungkb.settings.production", **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_silently():
    result = _run_check(
        {
            "SECRET_KEY": "x7!Qk2#pL9vZ$w4rT8&yB1nM6^cF3hJ5@dG0sK-eU+aI*oP_lX",
            "ALLOWED_HOSTS": "kampungkb.tangerangselatankota.go.id",
            "DATABASE_URL": "postgres://kkb:secret@db.internal:5432/kampungkb",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr.strip() == ""


def test_production_settings_refuse_to_start_without_secret_key():
    result = _run_check(
        {
            "ALLOWED_HOSTS": "kampungkb.example.go.id",
            "DATABASE_URL": "postgres://kkb@db/kampungkb",
        }
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_refuse_the_development_key():
    result = _run_check(
        {
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "kampungkb.example.go.id",
            "DATABASE_URL": "postgres://kkb@db/kampungkb",
        }
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be a real secret" in result.stderr
