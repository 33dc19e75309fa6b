"""The Celery app: JSON only, settings under the CELERY_ namespace, tasks autodiscovered."""

import os

from celery import Celery

from consoleproj import kombu_fix

kombu_fix.install()  # a Redis restart must not kill the worker (see the module)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consoleproj.settings")

app = Celery("consoleproj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
