"""The permission rule (docs/architecture.md, "Protocol outline"): account kill switch AND some profile grants the media."""

from __future__ import annotations

import itertools

import pytest

from accounts.models import User
from settings_profiles.models import AccountCallSettings, Profile
from settings_profiles.services import agent_permissions, profile_assign

from .factories import ProfileFactory, UserFactory

# kill switch on? x (profile grants of the agent's profiles) -> allowed?
GRANT_SETS = {
    "no profile grants it": [False],
    "the only profile grants it": [True],
    "one of two profiles grants it": [False, True],
    "two profiles grant it": [True, True],
}
CASES = [
    pytest.param(
        media, switch_on, grants, switch_on and any(grants), id=f"{media}-switch_{'on' if switch_on else 'off'}-{label}"
    )
    for media, switch_on, (label, grants) in itertools.product(("voice", "video"), (True, False), GRANT_SETS.items())
]


@pytest.mark.django_db
@pytest.mark.parametrize(("media", "switch_on", "grants", "expected"), CASES)
def test_permission_rule_table(account, media, switch_on, grants, expected):
    other_media = "video" if media == "voice" else "voice"
    profiles = [
        # The other media is always granted so a bug that mixes the two media shows up.
        ProfileFactory(account=account, **{f"can_{media}": grant, f"can_{other_media}": True})
        for grant in grants
    ]
    agent = UserFactory(account=account, profiles=profiles)
    AccountCallSettings.objects.filter(account=account).update(**{f"{media}_enabled": switch_on})

    decisions = agent_permissions(user=User.objects.get(pk=agent.pk))

    assert decisions[media].allowed is expected
    assert decisions[other_media].allowed is True
    if not switch_on:
        assert "switched off for the account by support" in decisions[media].reason
    elif not expected:
        label = "Initiate voice conversation" if media == "voice" else "Initiate live video conversation"
        assert label in decisions[media].reason


@pytest.mark.django_db
def test_calls_are_enabled_out_of_the_box(account):
    agent = UserFactory(account=account)
    assert [p.name for p in agent.profiles.all()] == ["Default"]
    decisions = agent_permissions(user=agent)
    assert decisions["voice"].allowed and decisions["video"].allowed


@pytest.mark.django_db
def test_deactivated_agent_may_not_call(agent):
    agent.is_active = False
    agent.save()
    decisions = agent_permissions(user=agent)
    assert not decisions["voice"].allowed and "deactivated" in decisions["voice"].reason


@pytest.mark.django_db
def test_profiles_of_another_account_cannot_be_assigned(agent, other_account):
    from django.core.exceptions import ValidationError

    foreign = Profile.objects.get(account=other_account, is_default=True)
    with pytest.raises(ValidationError) as excinfo:
        profile_assign(user=agent, profiles=[foreign])
    assert "profiles" in excinfo.value.message_dict
    assert list(agent.profiles.values_list("account_id", flat=True)) == [agent.account_id]


@pytest.mark.django_db
def test_agent_permissions_query_count(account, django_assert_num_queries):
    profiles = [ProfileFactory(account=account) for _ in range(5)]
    agent = UserFactory(account=account, profiles=profiles)
    with django_assert_num_queries(2):
        agent_permissions(user=agent)
