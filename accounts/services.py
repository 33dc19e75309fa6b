"""Commands that create and change accounts and their users."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from settings_profiles.models import Profile
from settings_profiles.services import account_settings_initialize, profile_assign

from .models import Account, User


@transaction.atomic
def account_create(*, slug: str, name: str) -> tuple[Account, bool]:
    """Create an account with its call settings and default profile; (account, created).

    Running it again for an existing slug changes nothing and returns the existing account.
    """
    account = Account.objects.filter(slug=slug).first()
    if account is not None:
        return account, False
    account = Account(slug=slug, name=name.strip())
    account.full_clean()
    account.save()
    account_settings_initialize(account=account)
    return account, True


# The one answer for every address an account may not take. Email addresses are logins, unique across
# the platform, so an address of another tenant or of support staff cannot be given to a new user;
# saying why would tell one tenant who another tenant's (or the platform's) users are. The same words
# refuse reserved domains, so the answer does not even say that the address is someone's login.
EMAIL_UNAVAILABLE = "This email address cannot be used. Choose another address."


def _check_email_available(*, account: Account, email: str) -> None:
    """Refuse an address already in use or reserved, without revealing whose it is."""
    existing = User.objects.filter(email__iexact=email).only("account_id").first()
    if existing is not None and existing.account_id == account.pk:
        # The admin sees their own account's users anyway: say so plainly.
        raise ValidationError({"email": f"{email} is already a user of this account."})
    domain = email.rpartition("@")[2]
    if existing is not None or domain in settings.RESERVED_EMAIL_DOMAINS:
        raise ValidationError({"email": EMAIL_UNAVAILABLE})


@transaction.atomic
def user_create(
    *,
    account: Account,
    email: str,
    password: str | None,
    role: str = User.Role.AGENT,
    name: str = "",
    profiles: list[Profile] | None = None,
) -> User:
    """A new admin or agent of an account; agents without a chosen profile get the default one."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    _check_email_available(account=account, email=email)
    if role not in User.Role.values:
        raise ValidationError({"role": f"Role must be one of {', '.join(User.Role.values)}."})
    user = User(email=email, account=account, role=role, name=name.strip())
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if profiles is None:
        profiles = list(Profile.objects.filter(account=account, is_default=True))
    profile_assign(user=user, profiles=profiles)
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, acting_user: User | None = None) -> User:
    """Deactivate (keeping history) or reactivate a user; nobody deactivates themselves."""
    if acting_user is not None and acting_user.pk == user.pk and not active:
        raise ValidationError("You cannot deactivate your own login.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        api_tokens_revoke(user=user)  # reactivating must not bring old tokens back
    return user


@transaction.atomic
def user_rename(*, user: User, name: str) -> User:
    """Change the display name of a user."""
    user.name = name.strip()
    user.full_clean(exclude=["password"], validate_unique=False)
    user.save(update_fields=["name"])
    return user


# --- API tokens (django-rest-knox: a SHA-512 digest is stored, never the token) ------------------


class TokenLimitReached(Exception):
    """The user already holds API_TOKENS_PER_USER unexpired tokens."""


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new API token of `user`, expiring API_TOKEN_TTL_S from now: (the stored row, the token itself).

    The token is returned once and stored only as a digest. Expired tokens of the user are deleted
    here; a user at API_TOKENS_PER_USER unexpired tokens must revoke one first.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per user
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()
    if AuthToken.objects.filter(user=user).count() >= settings.API_TOKENS_PER_USER:
        raise TokenLimitReached
    return AuthToken.objects.create(user=user, expiry=timedelta(seconds=settings.API_TOKEN_TTL_S))


@transaction.atomic
def api_tokens_revoke(*, user: User, token: AuthToken | None = None) -> int:
    """Revoke one API token of `user`, or all of them when `token` is None; how many were revoked."""
    tokens = AuthToken.objects.filter(user=user)
    if token is not None:
        tokens = tokens.filter(pk=token.pk)
    deleted, _ = tokens.delete()
    return deleted


def api_tokens_active(*, user: User) -> list[AuthToken]:
    """The user's unexpired tokens, newest first (their prefix, issue and expiry times, never the token)."""
    return list(AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created"))


@transaction.atomic
def user_password_changed(*, user: User) -> int:
    """What follows a password change or reset: every API token issued under the old password is revoked."""
    return api_tokens_revoke(user=user)
