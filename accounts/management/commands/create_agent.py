"""`create_agent SLUG EMAIL --password P [--profile NAME]`: an agent of an account."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, User
from accounts.services import user_create
from settings_profiles.models import Profile

from ._helpers import command_error


class Command(BaseCommand):
    help = "Create an agent of an account, with the named profile (default: the built-in one). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--profile", action="append", dest="profiles", help="Repeat for several profiles.")

    def handle(self, *args, slug, email, password, name, profiles, **options):
        account = Account.objects.filter(slug=slug).first()
        if account is None:
            raise CommandError(f"There is no account {slug!r}.")
        chosen = None
        if profiles:
            found = {p.name: p for p in Profile.objects.filter(account=account, name__in=profiles)}
            missing = [n for n in profiles if n not in found]
            if missing:
                known = ", ".join(Profile.objects.filter(account=account).values_list("name", flat=True))
                raise CommandError(f"No profile {', '.join(missing)} in {slug} (it has: {known}).")
            chosen = [found[n] for n in profiles]
        existing = User.objects.filter(email__iexact=email.strip()).first()
        if existing is not None:
            if existing.account_id != account.pk:
                raise CommandError(f"{email} is already a user of another account.")
            self.stdout.write(f"agent {existing.email}: already exists")
            return
        try:
            user = user_create(account=account, email=email, password=password, name=name, profiles=chosen)
        except ValidationError as exc:
            raise command_error(exc) from exc
        names = ", ".join(p.name for p in user.profiles.all())
        self.stdout.write(f"agent {user.email}: created with profile(s) {names}")
