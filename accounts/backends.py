"""Authentication backends: the lockout check of django-axes in front of Django's ModelBackend."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

UserModel = get_user_model()


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a login that is locked out (axes); authenticates nobody itself.

    axes raises when `authenticate()` has no request. Every login that reaches us over HTTP passes
    one (Django's LoginView and the admin do, and so does the token endpoint's serializer); calls
    without a request come from inside the process (the test client's `login()`, a shell) and have
    no client address to count, so they go on to ModelBackend unchecked.
    tests/security/test_login_lockout.py drives every HTTP login path into a lockout.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class AccountModelBackend(ModelBackend):
    """Django's ModelBackend, loading the session's user with their account in the same query: every
    request checks that account is active (the console, the API, the sockets)."""

    def get_user(self, user_id):
        user = UserModel._default_manager.select_related("account").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
