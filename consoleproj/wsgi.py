"""WSGI entry point (management tooling only; the service runs on ASGI with daphne)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consoleproj.settings")
application = get_wsgi_application()
