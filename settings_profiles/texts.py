"""The customisable texts: invitation, in-call labels, errors and transcript system messages.

Each key has a fixed set of placeholders it may use, a length limit and built-in defaults per
locale. Accounts override any key for their default locale (`texts`) or for other locales
(`texts_by_locale`). Texts are plain text: they are refused when they contain HTML and are always
rendered escaped (Django autoescape on the server, `textContent` in the browser).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from .texts_handoff import HANDOFF_TEXTS

LOCALES = ("en", "de", "fr", "es")
DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class TextKey:
    """One customisable text: where it shows, what it may contain, how long it may be."""

    label: str
    placeholders: frozenset[str]
    max_length: int
    defaults: dict[str, str]


def _key(label: str, placeholders: str, max_length: int, **defaults: str) -> TextKey:
    return TextKey(label, frozenset(placeholders.split()), max_length, defaults)


TEXT_KEYS: dict[str, TextKey] = {
    # The invitation the consumer sees.
    "invitation_title_voice": _key(
        "Invitation title (voice)",
        "agent_name",
        120,
        en="Voice call invitation",
        de="Einladung zum Sprachanruf",
        fr="Invitation à un appel vocal",
        es="Invitación a llamada de voz",
    ),
    "invitation_title_video": _key(
        "Invitation title (video)",
        "agent_name",
        120,
        en="Video call invitation",
        de="Einladung zum Videoanruf",
        fr="Invitation à un appel vidéo",
        es="Invitación a videollamada",
    ),
    "invitation_body_voice": _key(
        "Invitation text (voice)",
        "agent_name brand_name",
        500,
        en="{agent_name} would like to talk with you in a voice call.",
        de="{agent_name} möchte mit Ihnen per Sprachanruf sprechen.",
        fr="{agent_name} souhaite vous parler lors d'un appel vocal.",
        es="{agent_name} quiere hablar con usted en una llamada de voz.",
    ),
    "invitation_body_video": _key(
        "Invitation text (video)",
        "agent_name brand_name",
        500,
        en="{agent_name} would like to see you in a video call.",
        de="{agent_name} möchte Sie zu einem Videoanruf einladen.",
        fr="{agent_name} souhaite vous voir lors d'un appel vidéo.",
        es="{agent_name} quiere verle en una videollamada.",
    ),
    "invitation_accept": _key("Accept button", "", 40, en="Accept", de="Annehmen", fr="Accepter", es="Aceptar"),
    "invitation_reject": _key("Reject button", "", 40, en="Decline", de="Ablehnen", fr="Refuser", es="Rechazar"),
    # In-call controls.
    "call_mute": _key("Mute button", "", 40, en="Mute", de="Stumm", fr="Couper le micro", es="Silenciar"),
    "call_unmute": _key(
        "Unmute button", "", 40, en="Unmute", de="Ton an", fr="Activer le micro", es="Activar micrófono"
    ),
    "call_camera_off": _key(
        "Camera off button", "", 40, en="Camera off", de="Kamera aus", fr="Caméra désactivée", es="Apagar cámara"
    ),
    "call_camera_on": _key(
        "Camera on button", "", 40, en="Camera on", de="Kamera an", fr="Caméra activée", es="Encender cámara"
    ),
    "call_switch_camera": _key(
        "Switch camera button",
        "",
        40,
        en="Switch camera",
        de="Kamera wechseln",
        fr="Changer de caméra",
        es="Cambiar cámara",
    ),
    "call_end": _key("End call button", "", 40, en="End call", de="Auflegen", fr="Raccrocher", es="Colgar"),
    "call_connecting": _key(
        "Connecting status",
        "",
        120,
        en="Connecting…",
        de="Verbindung wird aufgebaut…",
        fr="Connexion…",
        es="Conectando…",
    ),
    # Errors shown to both sides when a call cannot start or goes wrong.
    "error_unsupported_browser": _key(
        "Error: unsupported browser",
        "",
        300,
        en="This browser cannot take part in calls. Please use a current Chrome, Firefox, Safari or Edge.",
        de="Dieser Browser unterstützt keine Anrufe. Bitte nutzen Sie aktuelles Chrome, Firefox, Safari oder Edge.",
        fr="Ce navigateur ne prend pas en charge les appels. Utilisez Chrome, Firefox, Safari ou Edge à jour.",
        es="Este navegador no admite llamadas. Use Chrome, Firefox, Safari o Edge actualizados.",
    ),
    "error_no_devices": _key(
        "Error: no camera or microphone",
        "",
        300,
        en="No microphone or camera was found on this device. Connect one (or use your phone), then ask the agent to call again.",
        de="Auf diesem Gerät wurde kein Mikrofon bzw. keine Kamera gefunden. Schließen Sie eines an (oder nutzen Sie Ihr Handy) und bitten Sie um einen neuen Anruf.",
        fr="Aucun micro ni caméra n'a été trouvé sur cet appareil. Branchez-en un (ou utilisez votre téléphone), puis demandez un nouvel appel.",
        es="No se encontró micrófono o cámara en este dispositivo. Conecte uno (o use su teléfono) y pida que le llamen de nuevo.",
    ),
    "error_permission_denied": _key(
        "Error: media permission denied",
        "",
        300,
        en="Access to the microphone or camera was not allowed. Allow them for this site (the camera icon in the address bar), then ask the agent to call again.",
        de="Der Zugriff auf Mikrofon oder Kamera wurde nicht erlaubt. Erlauben Sie ihn für diese Seite (Kamerasymbol in der Adressleiste) und bitten Sie um einen neuen Anruf.",
        fr="L'accès au micro ou à la caméra n'a pas été autorisé. Autorisez-le pour ce site (icône caméra dans la barre d'adresse), puis demandez un nouvel appel.",
        es="No se permitió el acceso al micrófono o la cámara. Permítalo para este sitio (icono de cámara en la barra de direcciones) y pida que le llamen de nuevo.",
    ),
    "error_connection_failed": _key(
        "Error: connection failed",
        "",
        300,
        en="The call could not connect. Please check your network.",
        de="Der Anruf konnte nicht verbunden werden. Bitte prüfen Sie Ihr Netzwerk.",
        fr="L'appel n'a pas pu se connecter. Vérifiez votre réseau.",
        es="No se pudo conectar la llamada. Compruebe su red.",
    ),
    # Transcript system messages, one per life-cycle step.
    "system_call_invited": _key(
        "Transcript: invitation sent",
        "agent_name media",
        300,
        en="{agent_name} invited you to a {media} call.",
        de="{agent_name} hat Sie zu einem {media} eingeladen.",
        fr="{agent_name} vous a invité à un {media}.",
        es="{agent_name} le invitó a una {media}.",
    ),
    "system_call_accepted": _key(
        "Transcript: call accepted",
        "agent_name media",
        300,
        en="The {media} call was accepted.",
        de="Der {media} wurde angenommen.",
        fr="L'{media} a été accepté.",
        es="Se aceptó la {media}.",
    ),
    "system_call_rejected": _key(
        "Transcript: call declined",
        "agent_name media",
        300,
        en="The {media} call was declined.",
        de="Der {media} wurde abgelehnt.",
        fr="L'{media} a été refusé.",
        es="Se rechazó la {media}.",
    ),
    "system_call_cancelled": _key(
        "Transcript: invitation cancelled",
        "agent_name media",
        300,
        en="The {media} call invitation was cancelled.",
        de="Die Einladung zum {media} wurde zurückgezogen.",
        fr="L'invitation à l'{media} a été annulée.",
        es="Se canceló la invitación a la {media}.",
    ),
    "system_call_missed": _key(
        "Transcript: missed call",
        "agent_name media",
        300,
        en="Missed {media} call.",
        de="Verpasster {media}.",
        fr="{media} manqué.",
        es="{media} perdida.",
    ),
    "system_call_failed": _key(
        "Transcript: call failed",
        "agent_name media reason",
        300,
        en="The {media} call could not start: {reason}",
        de="Der {media} konnte nicht starten: {reason}",
        fr="L'{media} n'a pas pu démarrer : {reason}",
        es="La {media} no pudo iniciarse: {reason}",
    ),
    "system_call_completed": _key(
        "Transcript: call ended",
        "agent_name media duration",
        300,
        en="The {media} call ended after {duration}.",
        de="Der {media} wurde nach {duration} beendet.",
        fr="L'{media} s'est terminé après {duration}.",
        es="La {media} terminó después de {duration}.",
    ),
    "system_call_dropped": _key(
        "Transcript: call dropped",
        "agent_name media duration",
        300,
        en="The {media} call was disconnected after {duration}.",
        de="Der {media} wurde nach {duration} unterbrochen.",
        fr="L'{media} a été interrompu après {duration}.",
        es="La {media} se interrumpió después de {duration}.",
    ),
    # A transfer of the conversation (issue 16): what the consumer reads in the transcript.
    "system_transferred_agent": _key(
        "Transcript: conversation transferred to a colleague",
        "agent_name",
        300,
        en="You are now talking with {agent_name}.",
        de="Sie sprechen jetzt mit {agent_name}.",
        fr="Vous échangez maintenant avec {agent_name}.",
        es="Ahora está hablando con {agent_name}.",
    ),
    "system_transferred_queue": _key(
        "Transcript: conversation transferred to the queue",
        "",
        300,
        en="We are passing your conversation to a colleague, who will be with you shortly.",
        de="Wir geben Ihre Unterhaltung an eine Kollegin oder einen Kollegen weiter, gleich ist jemand für Sie da.",
        fr="Nous transmettons votre conversation à un collègue, qui vous répondra sous peu.",
        es="Pasamos su conversación a un compañero, que le atenderá en breve.",
    ),
    # Words substituted for {media}.
    "media_voice": _key(
        "Word for a voice call", "", 40, en="voice", de="Sprachanruf", fr="appel vocal", es="llamada de voz"
    ),
    "media_video": _key(
        "Word for a video call", "", 40, en="video", de="Videoanruf", fr="appel vidéo", es="videollamada"
    ),
}

TEXT_KEYS.update(
    {
        key: TextKey(label, frozenset(placeholders.split()), max_length, defaults)
        for key, (label, placeholders, max_length, defaults) in HANDOFF_TEXTS.items()
    }
)

_HTML_RE = re.compile(r"<\s*[a-zA-Z/!?]|&[a-zA-Z#][a-zA-Z0-9]*;")


def text_errors(key: str, text: object) -> list[str]:
    """Everything wrong with one text for one key; an empty list when it is acceptable."""
    spec = TEXT_KEYS.get(key)
    if spec is None:
        return [f"unknown text key {key!r}"]
    if not isinstance(text, str):
        return ["must be a string"]
    errors = []
    if not text.strip():
        errors.append("must not be blank")
    if len(text) > spec.max_length:
        errors.append(f"must be at most {spec.max_length} characters (it has {len(text)})")
    if _HTML_RE.search(text):
        errors.append("must be plain text: HTML tags and entities are not allowed")
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        errors.append(f"has a broken placeholder ({exc}); write a literal brace as {{{{ or }}}}")
        return errors
    allowed = ", ".join(sorted("{" + p + "}" for p in spec.placeholders)) or "none"
    for _literal, field, spec_str, conversion in fields:
        if field is None:
            continue
        if field not in spec.placeholders or spec_str or conversion:
            errors.append(f"uses the placeholder {{{field}}}, which is not allowed here (allowed: {allowed})")
    return errors


def resolve_texts(
    *, overrides: dict[str, str], locale_overrides: dict[str, dict[str, str]], locale: str, default_locale: str
) -> dict[str, str]:
    """The full set of texts for a locale: built-in defaults, then the account's overrides."""
    if locale not in LOCALES:
        locale = default_locale
    resolved = {key: spec.defaults.get(locale, spec.defaults[DEFAULT_LOCALE]) for key, spec in TEXT_KEYS.items()}
    if locale == default_locale:
        resolved.update(overrides)
    resolved.update(locale_overrides.get(locale, {}))
    return resolved


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render_text(template: str, **values: object) -> str:
    """Fill a validated text's placeholders. The result is plain text: escape it where HTML is built."""
    return template.format_map(_Blank({k: str(v) for k, v in values.items()}))
