"""The Celery application: background jobs, derived data and e-mail off the web request.

Configured from Django's settings (``CELERY_*``, see ``settings/base.py``). Without a
broker (``CELERY_BROKER_URL`` empty: ``make run``, ``make test``) every task runs
eagerly in the process that sends it, so nothing else has to be started.

    celery -A kampungkb worker    # runs the tasks
    celery -A kampungkb beat      # sends the scheduled ones (CELERY_BEAT_SCHEDULE)
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kampungkb.settings")

app = Celery("kampungkb")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The ``tasks`` module of every installed app (kampungkb, reports, jobs...).
app.autodiscover_tasks()
