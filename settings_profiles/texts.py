"""The customisable texts: invitation, in-call labels, errors and transcript system messages.

Each key has a fixed set of placeholders it may use, a length limit and built-in defaults per
locale. Accounts override any key for their default locale (`texts`) or for other locales
(`texts_by_locale`). Texts are plain text: they are refused when they contain HTML and are always
rendered escaped (Django autoescape on the server, `textContent` in the browser).
"""

from __future__ import annotations

import re
import string

from .textkey import TextKey, render_text  # noqa: F401  (render_text is imported from here by the call services)
from .textkey import text_key as _key
from .texts_agent import AGENT_TEXTS
from .texts_agent_checks import AGENT_CHECK_TEXTS
from .texts_consumer import CONSUMER_TEXTS
from .texts_devices import DEVICE_TEXTS
from .texts_endings import ENDING_TEXT_KEYS
from .texts_errors import ERROR_TEXTS
from .texts_handoff import HANDOFF_TEXTS
from .texts_share import SHARE_TEXTS
from .texts_workspace import WORKSPACE_TEXT_KEYS

LOCALES = ("en", "de", "fr", "es")
DEFAULT_LOCALE = "en"


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
    # The consumer's live quality indicator on the call stage (static/calls/quality.js).
    "call_quality_good": _key(
        "Call quality: good",
        "",
        60,
        en="Good connection",
        de="Gute Verbindung",
        fr="Bonne connexion",
        es="Buena conexión",
    ),
    "call_quality_fair": _key(
        "Call quality: fair",
        "",
        60,
        en="Fair connection",
        de="Mittlere Verbindung",
        fr="Connexion moyenne",
        es="Conexión regular",
    ),
    "call_quality_poor": _key(
        "Call quality: poor",
        "",
        60,
        en="Poor connection",
        de="Schlechte Verbindung",
        fr="Mauvaise connexion",
        es="Mala conexión",
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
    # The same failures when it was the agent's microphone or camera: what the consumer reads, and the
    # transcript's {reason} (docs/protocol.md: `error.side`).
    "error_agent_permission_denied": _key(
        "Error: the agent's media permission denied",
        "",
        300,
        en="The agent's microphone or camera could not be used (access was not allowed in the agent's browser). The agent can call you again once it is fixed.",
        de="Mikrofon oder Kamera des Mitarbeiters konnten nicht genutzt werden (der Zugriff wurde in seinem Browser nicht erlaubt). Sie werden erneut angerufen, sobald das behoben ist.",
        fr="Le micro ou la caméra du conseiller n'a pas pu être utilisé (accès non autorisé dans son navigateur). Le conseiller pourra vous rappeler une fois le problème réglé.",
        es="No se pudo usar el micrófono o la cámara del agente (el acceso no se permitió en su navegador). El agente puede volver a llamarle cuando esté resuelto.",
    ),
    "error_agent_no_devices": _key(
        "Error: the agent has no camera or microphone",
        "",
        300,
        en="No microphone or camera was found on the agent's device. The agent can call you again once one is connected.",
        de="Auf dem Gerät des Mitarbeiters wurde kein Mikrofon bzw. keine Kamera gefunden. Sie werden erneut angerufen, sobald eines angeschlossen ist.",
        fr="Aucun micro ni caméra n'a été trouvé sur l'appareil du conseiller. Il pourra vous rappeler une fois l'appareil branché.",
        es="No se encontró micrófono ni cámara en el dispositivo del agente. El agente puede volver a llamarle cuando conecte uno.",
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
    # Readiness before accept (issue 18): what the invitation says about this device and network
    # before the consumer answers (an unsupported browser reads error_unsupported_browser).
    "readiness_checking": _key(
        "Readiness: checking",
        "",
        200,
        en="Checking that this device can take the call…",
        de="Wir prüfen, ob dieses Gerät den Anruf annehmen kann…",
        fr="Vérification que cet appareil peut prendre l'appel…",
        es="Comprobando que este dispositivo puede atender la llamada…",
    ),
    "readiness_ready": _key(
        "Readiness: ready",
        "",
        200,
        en="Ready: this device and your connection can take the call.",
        de="Bereit: Dieses Gerät und Ihre Verbindung können den Anruf annehmen.",
        fr="Prêt : cet appareil et votre connexion peuvent prendre l'appel.",
        es="Listo: este dispositivo y su conexión pueden atender la llamada.",
    ),
    "readiness_no_camera": _key(
        "Readiness: no camera",
        "",
        200,
        en="No camera found: you can join with audio only.",
        de="Keine Kamera gefunden: Sie können nur mit Audio teilnehmen.",
        fr="Aucune caméra trouvée : vous pouvez participer en audio seulement.",
        es="No se encontró ninguna cámara: puede unirse solo con audio.",
    ),
    "readiness_no_microphone": _key(
        "Readiness: no microphone",
        "",
        300,
        en="No microphone found: connect one (or use your phone) to join the call.",
        de="Kein Mikrofon gefunden: Schließen Sie eines an (oder nutzen Sie Ihr Handy), um teilzunehmen.",
        fr="Aucun micro trouvé : branchez-en un (ou utilisez votre téléphone) pour participer.",
        es="No se encontró ningún micrófono: conecte uno (o use su teléfono) para unirse.",
    ),
    "readiness_no_devices": _key(
        "Readiness: no microphone and no camera",
        "",
        300,
        en="No microphone or camera found: connect one (or use your phone) to join the call.",
        de="Kein Mikrofon und keine Kamera gefunden: Schließen Sie eines an (oder nutzen Sie Ihr Handy), um teilzunehmen.",
        fr="Aucun micro ni caméra trouvé : branchez-en un (ou utilisez votre téléphone) pour participer.",
        es="No se encontró micrófono ni cámara: conecte uno (o use su teléfono) para unirse.",
    ),
    "readiness_direct_blocked": _key(
        "Readiness: network blocks direct calls",
        "",
        300,
        en="Your network blocks direct calls: the call will be relayed.",
        de="Ihr Netzwerk blockiert direkte Anrufe: Der Anruf wird über einen Server geleitet.",
        fr="Votre réseau bloque les appels directs : l'appel passera par un relais.",
        es="Su red bloquea las llamadas directas: la llamada se retransmitirá.",
    ),
    "readiness_network_blocked": _key(
        "Readiness: calls cannot connect from this network",
        "",
        300,
        en="Calls can't connect from this network. Try another one, such as your phone's mobile data.",
        de="Von diesem Netzwerk aus können keine Anrufe verbunden werden. Versuchen Sie ein anderes, z. B. die mobilen Daten Ihres Handys.",
        fr="Les appels ne peuvent pas se connecter depuis ce réseau. Essayez-en un autre, par exemple les données mobiles de votre téléphone.",
        es="Las llamadas no pueden conectarse desde esta red. Pruebe otra, como los datos móviles de su teléfono.",
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
    # The agent workspace's call panel and ended card (issue 14).
    **WORKSPACE_TEXT_KEYS,
    **ENDING_TEXT_KEYS,
}
# Sharing, phone handoff, devices, the workspace's announcements and checks, the consumer's call words, error
# titles (texts_share/_handoff/_devices/_agent/_agent_checks/_consumer/_errors.py): (label, places, length, defaults).
for _table in (SHARE_TEXTS, HANDOFF_TEXTS, DEVICE_TEXTS, AGENT_TEXTS, AGENT_CHECK_TEXTS, CONSUMER_TEXTS, ERROR_TEXTS):
    TEXT_KEYS.update({key: _key(label, places, n, **words) for key, (label, places, n, words) in _table.items()})

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
