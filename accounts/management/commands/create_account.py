"""`create_account SLUG --name NAME --admin-email E --admin-password P`: a brand account and its admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.services import account_create, user_create

from ._helpers import command_error


class Command(BaseCommand):
    help = "Create an account (with its call settings and default profile) and its first admin. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)

    def handle(self, *args, slug, name, admin_email, admin_password, **options):
        try:
            with transaction.atomic():
                account, created = account_create(slug=slug, name=name)
                existing = User.objects.filter(email__iexact=admin_email.strip()).first()
                if existing is not None:
                    if existing.account_id != account.pk or existing.role != User.Role.ADMIN:
                        raise CommandError(f"{admin_email} is already a user, but not an admin of {slug}.")
                    admin_created = False
                else:
                    user_create(account=account, email=admin_email, password=admin_password, role=User.Role.ADMIN)
                    admin_created = True
        except ValidationError as exc:
            raise command_error(exc) from exc
        self.stdout.write(
            f"account {account.slug}: {'created' if created else 'already exists'}; "
            f"admin {admin_email}: {'created' if admin_created else 'already exists'}"
        )
