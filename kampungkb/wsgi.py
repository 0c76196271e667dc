"""WSGI entry point: ``gunicorn kampungkb.wsgi`` (see README, "Deployment")."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kampungkb.settings")

application = get_wsgi_application()
