"""Login throttling and lockout (django-axes): how a login attempt is named and how a lockout answers.

Every login path (the session form at /accounts/login/, the Django admin's, the API token endpoint)
goes through `django.contrib.auth.authenticate(request, ...)`, where axes' backend refuses a locked
login before the password is checked. Failures are counted per login name and per client address
(each on its own, AXES_LOCKOUT_PARAMETERS); the address comes from `consoleproj.client_address`.
Lockouts are rows in the database (axes' AccessAttempt, in the support admin), lifted by support
there or with `manage.py axes_reset`, and lapse by themselves after AXES_COOLOFF_TIME.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def login_name(request: HttpRequest, credentials: dict | None) -> str:
    """The login name an attempt was for, whichever field carried it (the form's `username`, the API's
    `email`), normalised as the User manager stores emails, so `Ada@X` and `ada@x` count together."""
    source = credentials or getattr(request, "POST", None) or {}
    name = source.get("username") or source.get("email") or ""
    return str(name).strip().lower()


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return (
        f"Too many failed logins for this account or from this address. Logins are blocked for "
        f"{lockout_minutes()} minutes; support can unlock sooner."
    )


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """429 with the reason in words: JSON for the API, the login page's look elsewhere."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = str(lockout_minutes() * 60)
    return response
