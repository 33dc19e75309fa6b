"""`seed_demo`: an idempotent demo account with an admin, two agents and a support login."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import account_create, user_create
from settings_profiles.models import Profile
from settings_profiles.services import profile_create

DEMO_SLUG = "demo"
LOGINS = [
    # (email, password, role, name, profile)
    ("admin@demo.example", "demo-admin-pass", User.Role.ADMIN, "Dana Admin", None),
    ("agent1@demo.example", "demo-agent-pass", User.Role.AGENT, "Alex Agent", None),
    ("agent2@demo.example", "demo-agent-pass", User.Role.AGENT, "Sam Voice", "Voice only"),
]
SUPPORT = ("support@platform.example", "demo-support-pass")


class Command(BaseCommand):
    help = "Create the demo account, its admin and two agents, and a support (staff) login. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        account, _ = account_create(slug=DEMO_SLUG, name="Demo Brand")
        if not Profile.objects.filter(account=account, name="Voice only").exists():
            profile_create(
                account=account,
                name="Voice only",
                can_voice=True,
                can_video=False,
                description="Agents in training: voice calls only.",
            )
        for email, password, role, name, profile_name in LOGINS:
            if not User.objects.filter(email=email).exists():
                profiles = list(Profile.objects.filter(account=account, name=profile_name)) if profile_name else None
                user_create(account=account, email=email, password=password, role=role, name=name, profiles=profiles)
        if not User.objects.filter(email=SUPPORT[0]).exists():
            User.objects.create_superuser(SUPPORT[0], SUPPORT[1], name="Platform Support")
        self.stdout.write("Demo account 'demo' is ready. Logins (email / password):")
        for email, password, role, _name, _profile in LOGINS:
            self.stdout.write(f"  {role:<7} {email:<28} {password}")
        self.stdout.write(f"  support {SUPPORT[0]:<28} {SUPPORT[1]}   (Django admin: /admin/)")
