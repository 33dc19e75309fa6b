"""Permission profiles, the account's advanced call settings, and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from . import validation
from .fields import EncryptedTextField, IceServersField
from .origins import allowed_origins_errors
from .texts import DEFAULT_LOCALE, LOCALES, resolve_texts


class Profile(models.Model):
    """A named permission set of an account; an agent may start a call of a media if any profile grants it."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="profiles")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    can_voice = models.BooleanField("Initiate voice conversation", default=True)
    can_video = models.BooleanField("Initiate live video conversation", default=True)
    can_share_screen = models.BooleanField(
        "Share screen in calls",
        default=True,
        help_text="Share a screen or tab in video calls, and ask the consumer to share theirs.",
    )
    is_default = models.BooleanField(
        default=False, help_text="The built-in profile given to new agents; it cannot be deleted."
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="profiles", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["account", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="profile_name_unique_per_account"),
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(is_default=True), name="one_default_profile_per_account"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def ice_server_urls(servers: list[dict]) -> list[str]:
    """Every URL of a list of RTCIceServer dicts (`urls` may be one string or a list)."""
    urls: list[str] = []
    for server in servers:
        value = server.get("urls") if isinstance(server, dict) else None
        urls.extend([value] if isinstance(value, str) else [u for u in value or [] if isinstance(u, str)])
    return urls


class AccountCallSettings(models.Model):
    """The advanced call settings of one account; support edits them, account admins read them."""

    class Tracker(models.TextChoices):
        NONE = "none", "None"
        GOOGLE_ANALYTICS = "google_analytics", "Google Analytics"
        PIWIK = "piwik", "Piwik / Matomo"
        WEBTREKK = "webtrekk", "Webtrekk Web Analytics"
        TEALIUM = "tealium", "Tealium"

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="call_settings")
    voice_enabled = models.BooleanField(
        default=True, help_text="Kill switch: off disables voice calls for every agent, whatever the profiles say."
    )
    video_enabled = models.BooleanField(
        default=True, help_text="Kill switch: off disables video calls for every agent, whatever the profiles say."
    )
    screen_share_enabled = models.BooleanField(
        default=True,
        help_text="Kill switch: off disables screen sharing in calls (both sides), whatever the profiles say.",
    )
    agent_camera_off_at_start = models.BooleanField(
        default=False, help_text="Video calls start with the agent's camera off."
    )
    consumer_camera_off_at_start = models.BooleanField(
        default=False, help_text="Video calls start with the consumer's camera off."
    )
    force_relay = models.BooleanField(
        default=False,
        help_text="No peer-to-peer: all media is relayed through a TURN server (iceTransportPolicy relay).",
    )
    # Credentials encrypted at rest (settings_profiles/secrecy.py); shown masked everywhere.
    ice_servers = IceServersField(
        default=list,
        blank=True,
        help_text='The account\'s own STUN/TURN servers, e.g. [{"urls": "turn:turn.example.com:3478?transport=udp", '
        '"username": "u", "credential": "p"}]. Empty: the platform defaults.',
    )
    turn_rest_urls = models.JSONField(
        default=list,
        blank=True,
        help_text="TURN URLs whose credentials are minted per participant (coturn use-auth-secret).",
    )
    # Encrypted at rest (settings_profiles/secrecy.py); the forms cap what can be typed at 256.
    turn_rest_shared_secret = EncryptedTextField(blank=True)
    turn_rest_ttl_s = models.PositiveIntegerField(
        default=3600,
        validators=[MinValueValidator(60), MaxValueValidator(86400)],
        help_text="Lifetime of minted TURN credentials, 60 s to 24 h.",
    )
    locale = models.CharField(max_length=5, choices=[(code, code) for code in LOCALES], default=DEFAULT_LOCALE)
    texts = models.JSONField(
        default=dict, blank=True, help_text="Overrides for the account's locale: {text key: text}."
    )
    texts_by_locale = models.JSONField(
        default=dict, blank=True, help_text="Overrides for other locales: {locale: {text key: text}}."
    )
    analytics_tracker = models.CharField(max_length=20, choices=Tracker.choices, default=Tracker.NONE)
    analytics_config = models.JSONField(default=dict, blank=True)
    sdk_style = models.JSONField(default=dict, blank=True, help_text="Invitation and webview bar style overrides.")
    ring_timeout_s = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(300)],
        help_text="An unanswered invitation expires after this many seconds.",
    )
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text="The brand pages that may run the account's messaging window, exactly as browsers send them "
        '(scheme, host, port), e.g. ["https://www.example.com", "https://shop.example.com:8443"]. They may open '
        "the consumer socket, call the window's endpoints from the browser (CORS) and frame the hosted window.",
    )
    reconnect_grace_s = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="A live call survives a party's lost connection for this long.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account call settings"
        verbose_name_plural = "account call settings"

    def __str__(self) -> str:
        return f"Call settings of {self.account}"

    def clean(self) -> None:
        checks = {
            "ice_servers": validation.ice_servers_errors(self.ice_servers),
            "turn_rest_urls": validation.turn_rest_urls_errors(self.turn_rest_urls),
            "texts": validation.texts_errors(self.texts),
            "texts_by_locale": validation.texts_by_locale_errors(self.texts_by_locale),
            "sdk_style": validation.sdk_style_errors(self.sdk_style),
            "analytics_config": validation.analytics_config_errors(self.analytics_tracker, self.analytics_config),
            "allowed_origins": allowed_origins_errors(self.allowed_origins),
        }
        errors = {field: messages for field, messages in checks.items() if messages}
        if self.turn_rest_urls and not self.turn_rest_shared_secret:
            errors.setdefault("turn_rest_shared_secret", []).append("required when TURN REST URLs are set")
        if self.force_relay and not self.has_turn_server():
            errors.setdefault("force_relay", []).append(
                "needs a TURN server: add one to ice_servers or turn_rest_urls (or set the platform default)"
            )
        if errors:
            raise ValidationError(errors)

    def has_turn_server(self) -> bool:
        """Whether relayed media is possible at all for this account."""
        if self.turn_rest_urls:
            return True
        if self.ice_servers:
            return any(url.startswith("turn") for url in ice_server_urls(self.ice_servers))
        platform_rest = bool(settings.TURN_REST_URLS and settings.TURN_REST_SECRET)
        return platform_rest or any(url.startswith("turn") for url in ice_server_urls(settings.ICE_SERVERS))

    def resolved_texts(self, locale: str | None = None) -> dict[str, str]:
        """Every text key for `locale` (the account's own by default), defaults filled in."""
        return resolve_texts(
            overrides=self.texts,
            locale_overrides=self.texts_by_locale,
            locale=locale or self.locale,
            default_locale=self.locale,
        )

    def resolved_style(self) -> dict[str, object]:
        return {**validation.SDK_STYLE_DEFAULTS, **self.sdk_style}


class SettingsChange(models.Model):
    """One audited change of one call-settings field: who, when, old and new (secrets masked)."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Django admin"
        API = "api", "REST API"
        COMMAND = "command", "Command line"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="settings_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    field = models.CharField(max_length=64)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["account", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.account.slug}.{self.field} at {self.changed_at:%Y-%m-%d %H:%M}"


class BrowserFloor(models.Model):
    """The oldest major version of one browser family that may take part in calls (the product page's
    "two latest versions"), with the day support last raised it. Support raises these with
    `manage.py browser_floors --set Chrome=157 ...` as browsers release; until a first row exists,
    settings.SUPPORTED_BROWSERS is the list (settings_profiles/browsers.py)."""

    family = models.CharField(max_length=60, unique=True, help_text="The ua-parser family, e.g. Chrome Mobile.")
    min_version = models.PositiveIntegerField(help_text="The oldest supported major version.")
    set_on = models.DateField(default=timezone.localdate, help_text="When support last set this floor.")
    set_by = models.CharField(max_length=150, blank=True, help_text="Who set it (the command's --by).")

    class Meta:
        ordering = ["family"]

    def __str__(self) -> str:
        return f"{self.family} ≥ {self.min_version} (since {self.set_on})"
