"""Admin forms for call settings and profiles.

The call-settings form keeps secrets out of the HTML: the TURN REST shared secret is a password
input that never renders the stored value (empty keeps it, a checkbox clears it), and ICE server
credentials are shown as ``••••••`` and put back from the stored row on save. Validation is the
model's own ``clean`` (run by the ModelForm), so every error lands next to its field.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

from django import forms
from django.utils.html import format_html

from .models import AccountCallSettings, Profile
from .secrecy import MASK, mask_ice_servers, unmask_ice_servers
from .services import AUDITED_FIELDS
from .validation import ANALYTICS_CONFIG_FIELDS, SDK_STYLE_DEFAULTS


def _example(text: str, value: object) -> str:
    """Help text with a JSON example; the admin renders help text as HTML, so it is escaped here."""
    return format_html("{}<br>Example: <code>{}</code>", text, json.dumps(value, ensure_ascii=False))


class JSONTextarea(forms.Textarea):
    """A monospace textarea tall enough for the value it shows (within limits)."""

    def __init__(self, *, min_rows: int = 3, max_rows: int = 24) -> None:
        self.min_rows, self.max_rows = min_rows, max_rows
        super().__init__(attrs={"cols": 80, "class": "vLargeTextField json-field", "spellcheck": "false"})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        lines = str(context["widget"]["value"] or "").count("\n") + 2
        context["widget"]["attrs"]["rows"] = max(self.min_rows, min(lines, self.max_rows))
        return context


class PrettyJSONField(forms.JSONField):
    """A JSON textarea that shows the value indented and treats an empty box as `[]` or `{}`."""

    def __init__(self, *, empty_value: Callable[[], object], rows: int = 3, **kwargs) -> None:
        self.empty_factory = empty_value
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", JSONTextarea(min_rows=rows))
        super().__init__(**kwargs)

    def to_python(self, value):
        if not self.disabled and value in self.empty_values:
            return self.empty_factory()
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)


class AccountCallSettingsForm(forms.ModelForm):
    """Every advanced setting of one account, as support edits it in the admin."""

    ice_servers = PrettyJSONField(
        empty_value=list,
        label="ICE servers",
        help_text=_example(
            "The account's own STUN/TURN servers (empty: the platform defaults). Stored credentials are shown as "
            f"{MASK}; leave the mask to keep a credential, type a new one to replace it.",
            [
                {"urls": "stun:stun.example.com:3478"},
                {"urls": ["turn:turn.example.com:3478?transport=udp"], "username": "brand", "credential": "s3cret"},
            ],
        ),
    )
    turn_rest_urls = PrettyJSONField(
        empty_value=list,
        label="TURN REST URLs",
        help_text=_example(
            "TURN URLs whose credentials are minted per participant from the shared secret (coturn use-auth-secret).",
            ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349?transport=tcp"],
        ),
    )
    turn_rest_shared_secret = forms.CharField(
        label="TURN REST shared secret",
        required=False,
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_turn_rest_shared_secret = forms.BooleanField(
        label="Clear the secret", required=False, help_text="Removes the stored shared secret on save."
    )
    allowed_origins = PrettyJSONField(
        empty_value=list,
        label="Allowed origins",
        help_text=_example(
            "Brand pages that may run the account's own messaging window, exactly as browsers send them: "
            "https://host[:port], no path (http only for localhost). Anything else is refused, scheme and port included.",
            ["https://www.example.com", "https://shop.example.com:8443"],
        ),
    )
    texts = PrettyJSONField(
        empty_value=dict,
        help_text=_example(
            "Overrides for the account's locale, {text key: text}. Plain text only; placeholders as in the defaults.",
            {"invitation_title_video": "Video call with {agent_name}", "invitation_accept": "Join"},
        ),
    )
    texts_by_locale = PrettyJSONField(
        empty_value=dict,
        label="Texts by locale",
        help_text=_example(
            "Overrides for further locales, {locale: {text key: text}}.",
            {"de": {"invitation_accept": "Teilnehmen"}},
        ),
    )
    analytics_config = PrettyJSONField(
        empty_value=dict,
        label="Analytics configuration",
        help_text=format_html(
            "The chosen tracker's settings. Keys per tracker: {}.<br>Example: <code>{}</code>",
            "; ".join(f"{tracker}: {', '.join(fields) or '—'}" for tracker, fields in ANALYTICS_CONFIG_FIELDS.items()),
            json.dumps({"measurement_id": "G-ABC123XYZ"}),
        ),
    )
    sdk_style = PrettyJSONField(
        empty_value=dict,
        label="Mobile SDK and invitation style",
        help_text=format_html(
            "Overrides of the invitation and webview bar look: colours as #RGB, #RRGGBB or #RRGGBBAA, border width "
            "0–8 px, radius 0–32 px. Properties and defaults: <code>{}</code>",
            json.dumps(SDK_STYLE_DEFAULTS),
        ),
    )

    class Meta:
        model = AccountCallSettings
        fields = AUDITED_FIELDS
        labels = {
            "voice_enabled": "Voice calls enabled",
            "video_enabled": "Video calls enabled",
            "screen_share_enabled": "Screen sharing enabled",
            "agent_camera_off_at_start": "Agent's camera off at start",
            "consumer_camera_off_at_start": "Consumer's camera off at start",
            "force_relay": "Force relay (TURN only)",
            "turn_rest_ttl_s": "TURN credential lifetime (s)",
            "locale": "Default locale",
            "ring_timeout_s": "Ring timeout (s)",
            "reconnect_grace_s": "Reconnect grace (s)",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # What is stored now: the form never shows these, so it must put them back itself.
        self._stored_secret = self.instance.turn_rest_shared_secret if self.instance.pk else ""
        self._stored_ice_servers = copy.deepcopy(self.instance.ice_servers) if self.instance.pk else []
        self.initial["turn_rest_shared_secret"] = ""
        self.initial["ice_servers"] = mask_ice_servers(self._stored_ice_servers)
        secret = self.fields["turn_rest_shared_secret"]
        secret.help_text = (
            "A secret is stored. Leave empty to keep it, type a new one to replace it."
            if self._stored_secret
            else "No secret is stored. Required when TURN REST URLs are set."
        )

    def clean_ice_servers(self) -> object:
        """Put the stored credential back where the mask was submitted for the same urls and username."""
        return unmask_ice_servers(self.cleaned_data.get("ice_servers"), stored=self._stored_ice_servers)

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("clear_turn_rest_shared_secret"):
            if cleaned.get("turn_rest_shared_secret"):
                self.add_error("turn_rest_shared_secret", "Type a new secret or clear it, not both.")
            cleaned["turn_rest_shared_secret"] = ""
        elif not cleaned.get("turn_rest_shared_secret"):
            cleaned["turn_rest_shared_secret"] = self._stored_secret
        return cleaned


class ProfileAdminForm(forms.ModelForm):
    """A profile; names are unique per account whatever their case, as the profile services require."""

    class Meta:
        model = Profile
        fields = ["account", "name", "description", "can_voice", "can_video", "can_share_screen"]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        name = (cleaned.get("name") or "").strip()
        account = cleaned.get("account") or getattr(self.instance, "account", None)
        if name and account is not None:
            cleaned["name"] = name
            clash = Profile.objects.filter(account=account, name__iexact=name).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", f"The account already has a profile named “{name}”.")
        return cleaned
