"""The daily schedule (Celery beat): every entry names a task the worker knows, and the
README's `celery beat` line starts for real and takes the schedule of the settings."""

import os
import shelve
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.schedules import crontab
from django.conf import settings

from kampungkb.celery import app as celery_app
from kampungkb.settings.base import BASE_DIR

from .test_celery_worker import BROKER_URL, REDIS_HOST, REDIS_PORT, redis_answers

README_BEAT = (
    ".venv/bin/celery -A kampungkb beat --schedule /var/lib/kampungkb/celerybeat-schedule"
    " --loglevel INFO"
)


def test_every_scheduled_task_is_one_the_worker_runs():
    celery_app.loader.import_default_modules()  # the tasks modules, as a worker loads them
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, f"{name}: no task {entry['task']}"
        assert isinstance(entry["schedule"], crontab), name
    # crontab hours are read in the app's time zone: 07:00 is 07:00 WIB.
    assert celery_app.conf.timezone == "Asia/Jakarta"
    reminders = settings.CELERY_BEAT_SCHEDULE["send-reminders"]["schedule"]
    assert reminders.hour == {7} and reminders.minute == {0}


def test_the_readme_beat_line_starts_and_keeps_the_settings_schedule(tmp_path):
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert README_BEAT in readme, "the README's beat line changed: update this test"
    skip = pytest.fail if os.environ.get("REQUIRE_WORKER_TESTS") else pytest.skip
    if not redis_answers():
        skip(f"no Redis answers at {REDIS_HOST}:{REDIS_PORT} (start redis-server)")
    schedule = tmp_path / "celerybeat-schedule"
    argv = README_BEAT.split()
    argv[0] = str(Path(sys.executable).parent / "celery")
    argv[argv.index("--schedule") + 1] = str(schedule)
    log = tmp_path / "beat.log"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER_URL,
        # A queue no worker reads: nothing beat might send reaches a real task.
        "CELERY_QUEUE": f"kkb-beat-test-{uuid.uuid4().hex[:12]}",
    }
    with log.open("w") as out:
        beat = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "beat: Starting" not in log.read_text():
            assert beat.poll() is None, f"beat stopped:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"beat did not start:\n{log.read_text()[-4000:]}"
            time.sleep(0.3)
    finally:
        beat.send_signal(signal.SIGTERM)
        beat.wait(timeout=30)
    assert "ERROR" not in log.read_text() and "Traceback" not in log.read_text()
    with shelve.open(str(schedule), flag="r") as stored:  # noqa: S301 (beat wrote it here)
        entries = stored["entries"]
        assert set(entries) == set(settings.CELERY_BEAT_SCHEDULE)
        for name, entry in entries.items():
            assert entry.task == settings.CELERY_BEAT_SCHEDULE[name]["task"]
