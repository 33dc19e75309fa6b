"""What a refused request is called (issue 14 item 4): the title of the agent's error notice by the
protocol's error code (`agent_error_*`, docs/protocol.md "Errors"), and what the consumer reads when an
answer to an invitation does not go through (`error_call_ended`, `error_offline`). The server's own
`message` stays the protocol's explanation for developers and is never shown: the agent reads the
account's explanation under the title (texts_refusals.py, merged in here). `texts.py` adds these to TEXT_KEYS.

Each entry: (label, placeholders separated by spaces, max length, {locale: default}).
"""

from __future__ import annotations

from .texts_refusals import REFUSAL_TEXTS

_TITLES = {
    # code: (en, de, fr, es)
    "forbidden": ("Not allowed", "Nicht erlaubt", "Non autorisé", "No permitido"),
    "not_found": ("Not found", "Nicht gefunden", "Introuvable", "No encontrado"),
    "invalid_state": (
        "Not possible right now",
        "Gerade nicht möglich",
        "Impossible pour le moment",
        "No es posible ahora",
    ),
    "media_disabled": (
        "Switched off for your account",
        "Für Ihr Konto ausgeschaltet",
        "Désactivé pour votre compte",
        "Desactivado para su cuenta",
    ),
    "not_messaging": (
        "Not a messaging conversation",
        "Keine Messaging-Unterhaltung",
        "Pas une conversation de messagerie",
        "No es una conversación de mensajería",
    ),
    "rate_limited": ("Too many actions", "Zu viele Aktionen", "Trop d'actions", "Demasiadas acciones"),
    "too_large": ("Too long", "Zu lang", "Trop long", "Demasiado largo"),
    "bad_request": ("Something went wrong", "Etwas ist schiefgelaufen", "Un problème est survenu", "Algo salió mal"),
    "offline": ("Not connected", "Nicht verbunden", "Non connecté", "Sin conexión"),
    "timeout": (
        "No answer from the server",
        "Keine Antwort vom Server",
        "Pas de réponse du serveur",
        "Sin respuesta del servidor",
    ),
    "other": ("Error", "Fehler", "Erreur", "Error"),
}

ERROR_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    f"agent_error_{code}": (
        f"Workspace error notice title: {code.replace('_', ' ')}",
        "",
        80,
        dict(zip(("en", "de", "fr", "es"), words, strict=True)),
    )
    for code, words in _TITLES.items()
}
ERROR_TEXTS["error_call_ended"] = (
    "Error: the call ended before the answer arrived",
    "",
    300,
    {
        "en": "This call has already ended.",
        "de": "Dieser Anruf ist bereits beendet.",
        "fr": "Cet appel est déjà terminé.",
        "es": "Esta llamada ya ha terminado.",
    },
)
ERROR_TEXTS["error_offline"] = (
    "Error: not connected",
    "",
    300,
    {
        "en": "You are not connected right now. Check your network and try again.",
        "de": "Sie sind gerade nicht verbunden. Prüfen Sie Ihr Netzwerk und versuchen Sie es erneut.",
        "fr": "Vous n'êtes pas connecté pour le moment. Vérifiez votre réseau et réessayez.",
        "es": "No está conectado en este momento. Compruebe su red e inténtelo de nuevo.",
    },
)
ERROR_TEXTS.update(REFUSAL_TEXTS)
