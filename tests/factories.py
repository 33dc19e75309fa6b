"""factory_boy factories. Accounts come with their call settings and default profile, as in production."""

from __future__ import annotations

import factory

from accounts.models import Account, User
from accounts.services import account_create, user_create
from settings_profiles.models import Profile

PASSWORD = "correct-horse-battery"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    slug = factory.Sequence(lambda n: f"brand-{n}")
    name = factory.Sequence(lambda n: f"Brand {n}")

    @classmethod
    def _create(cls, model_class, *args, slug, name, **kwargs):
        account, _ = account_create(slug=slug, name=name)
        return account


class UserFactory(factory.django.DjangoModelFactory):
    """An agent (role=agent) with the default profile unless `profiles` is given."""

    class Meta:
        model = User

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = User.Role.AGENT

    @classmethod
    def _create(cls, model_class, *args, account, email, name, role, profiles=None, password=PASSWORD, **kwargs):
        return user_create(account=account, email=email, password=password, role=role, name=name, profiles=profiles)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Profile {n}")
    can_voice = True
    can_video = True


def support_user(email: str = "support@platform.example") -> User:
    return User.objects.create_superuser(email, PASSWORD)
