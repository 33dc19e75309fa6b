"""The landing page (each kind of user goes where they work) and every user's password pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.generic.edit import FormView

from accounts.models import AuthenticatedRequest
from accounts.services import api_tokens_active, api_tokens_revoke, user_password_changed
from settings_profiles.services import PERMISSION_LABELS, agent_permissions


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Admins go to the console, support staff to the Django admin, agents to their workspace.

    A login that belongs to no active account (and is not support) has nowhere to work: it gets this
    home page, which says so and shows its call permissions.
    """
    user = request.user
    if user.is_account_admin:
        return redirect("console:overview")
    if user.is_staff:
        return redirect("admin:index")
    if user.account is not None and user.account.active:
        return redirect("workspace:index")
    permissions = agent_permissions(user=user)
    context = {
        "account": user.account,
        "profiles": list(user.profiles.order_by("name")),
        "decisions": [
            {"media": media, "label": PERMISSION_LABELS[media], "decision": decision}
            for media, decision in permissions.items()
        ],
    }
    return render(request, "accounts/agent_home.html", context)


# --- Passwords and API tokens of the logged-in user (Django's auth views, in the product's look) ----

# The validators' own help is an HTML list; the product's fields carry one sentence of help.
PASSWORD_HELP = "At least 8 characters, not a common password and not similar to your email or name."


class _PlainPasswordHelp(FormView):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if "new_password1" in form.fields:
            form.fields["new_password1"].help_text = PASSWORD_HELP
        return form


RESET_TEMPLATES = {
    "email_template_name": "accounts/password_reset_email.txt",
    "subject_template_name": "accounts/password_reset_subject.txt",
}


class PasswordChangeView(_PlainPasswordHelp, auth_views.PasswordChangeView):
    """Change one's password (every user; support also has the admin's page); revokes one's API tokens."""

    template_name = "accounts/password_change.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "tokens": api_tokens_active(user=self.request.user)}  # type: ignore[arg-type]  # login_required: a User

    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_changed(user=form.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email; the answer is the same whether the address is a login or not."""

    template_name = "accounts/password_reset.html"
    extra_email_context = {"timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    email_template_name = RESET_TEMPLATES["email_template_name"]
    subject_template_name = RESET_TEMPLATES["subject_template_name"]


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"
    extra_context = {"timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class PasswordResetConfirmView(_PlainPasswordHelp, auth_views.PasswordResetConfirmView):
    """Set a new password from an emailed link; revokes the user's API tokens."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_changed(user=form.user)
        return response


@login_required
@require_POST
def api_tokens_revoke_view(request: AuthenticatedRequest) -> HttpResponse:
    """Revoke every API token of the logged-in user (from the password page)."""
    revoked = api_tokens_revoke(user=request.user)
    messages.success(request, f"{revoked} API token(s) revoked.")
    return redirect("password_change")
