"""Console forms: they parse and shape input only; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Account, User
from settings_profiles.models import Profile
from settings_profiles.services import PERMISSION_LABELS


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: known fields next to the field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


class ProfileChoiceField(forms.ModelMultipleChoiceField):
    """The account's profiles as checkboxes; templates reach each option's Profile via `.instance`."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Profile) -> str:
        return obj.name


def _account_profiles(account: Account):
    return Profile.objects.filter(account=account).order_by("-is_default", "name")


def _profiles_field(form: forms.Form) -> ProfileChoiceField:
    field = form.fields["profiles"]
    assert isinstance(field, ProfileChoiceField)
    return field


class AgentCreateForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="The agent logs in with this address.",
    )
    name = forms.CharField(label="Full name", max_length=150, required=False)
    password = forms.CharField(
        label="Initial password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password and not similar to the email or name.",
    )
    role = forms.ChoiceField(
        label="Role",
        choices=User.Role.choices,
        initial=User.Role.AGENT,
        help_text="Admins can also use this console.",
    )
    profiles = ProfileChoiceField(
        label="Profiles",
        queryset=Profile.objects.none(),
        help_text="Choose at least one. An agent may start a call if any of their profiles allows it.",
        error_messages={"required": "Choose at least one profile."},
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = _account_profiles(account)
        _profiles_field(self).queryset = queryset
        if not self.is_bound:
            self.initial.setdefault("profiles", [p.pk for p in queryset if p.is_default])


class AgentProfilesForm(forms.Form):
    profiles = ProfileChoiceField(
        label="Profiles",
        queryset=Profile.objects.none(),
        help_text="Choose at least one. The agent may start a call if any of these profiles allows it.",
        error_messages={"required": "Choose at least one profile."},
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        _profiles_field(self).queryset = _account_profiles(account)


class ProfileForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(
        label="Description",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: who this profile is for.",
    )
    can_voice = forms.BooleanField(
        label=PERMISSION_LABELS["voice"],
        required=False,
        help_text="Agents with this profile may invite consumers to voice calls.",
    )
    can_video = forms.BooleanField(
        label=PERMISSION_LABELS["video"],
        required=False,
        help_text="Agents with this profile may invite consumers to video calls.",
    )
    can_share_screen = forms.BooleanField(
        label=PERMISSION_LABELS["share"],
        required=False,
        help_text="Agents with this profile may share their screen in video calls and ask the consumer to share theirs.",
    )
