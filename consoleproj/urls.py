"""Top-level URLs: console, admin, auth, API (with its schema and docs), health."""

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from accounts.views import home
from calls.engage.handoff import phone_page

from .health import healthz
from .metrics import metrics_view


def api_docs_view(view):
    """The schema and its docs: public unless API_DOCS_PUBLIC is off (production), then for logged-in
    users only (a session, or an API token for the schema), read at each request so tests can turn it."""

    gated = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.API_DOCS_PUBLIC or _token_user(request) is not None:
            return view(request, *args, **kwargs)
        return gated(request, *args, **kwargs)

    return wrapper


def _token_user(request):
    """A valid API token in the Authorization header (tools fetch the schema without a session)."""
    from rest_framework.exceptions import APIException

    from accounts.api.authentication import TokenAuthentication

    try:
        found = TokenAuthentication().authenticate(request)
    except APIException:  # a bad or paused token: treated as no login
        return None
    return found[0] if found else None


api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("settings_profiles.api.urls")),
    path("", include("calls.api.urls")),
    path("", include("calls.engage.api_urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("accounts/password/reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", account_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("accounts/tokens/revoke/", account_views.api_tokens_revoke_view, name="api_tokens_revoke"),
    path("console/reports/", include("reporting.console.urls")),
    path("console/", include("accounts.console.urls")),
    path("workspace/", include("calls.workspace.urls")),
    path("engage/", include("calls.engage.urls")),
    path("go/<str:code>", phone_page, name="handoff-phone"),  # Continue on my phone: a short link
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", api_docs_view(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/docs/", api_docs_view(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
]
