"""The customisable texts of screen sharing (issue 16): the buttons, the consumer's consent prompt,
and what each side reads about the other's share. `texts.py` adds them to TEXT_KEYS.

Each entry: (label, placeholders separated by spaces, max length, {locale: default}). {name} is the
other side's name (the agent's for the consumer, the consumer's for the agent).
"""

from __future__ import annotations

SHARE_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    "call_share_screen": (
        "Share screen button",
        "",
        40,
        {
            "en": "Share screen",
            "de": "Bildschirm teilen",
            "fr": "Partager l'écran",
            "es": "Compartir pantalla",
        },
    ),
    "call_stop_sharing": (
        "Stop sharing button",
        "",
        40,
        {
            "en": "Stop sharing",
            "de": "Freigabe beenden",
            "fr": "Arrêter le partage",
            "es": "Dejar de compartir",
        },
    ),
    "call_ask_to_share": (
        "Ask the consumer to share (agent)",
        "",
        40,
        {
            "en": "Ask for screen",
            "de": "Bildschirm anfragen",
            "fr": "Demander l'écran",
            "es": "Pedir pantalla",
        },
    ),
    "share_request_title": (
        "Share request title",
        "agent_name",
        120,
        {
            "en": "Share your screen?",
            "de": "Bildschirm teilen?",
            "fr": "Partager votre écran ?",
            "es": "¿Compartir su pantalla?",
        },
    ),
    "share_request_body": (
        "Share request text",
        "agent_name brand_name",
        300,
        {
            "en": "{agent_name} asks to see your screen to help you. You choose what to share and can stop at any time.",
            "de": "{agent_name} möchte Ihren Bildschirm sehen, um Ihnen zu helfen. Sie wählen, was Sie teilen, und können jederzeit beenden.",
            "fr": "{agent_name} souhaite voir votre écran pour vous aider. Vous choisissez ce que vous partagez et pouvez arrêter à tout moment.",
            "es": "{agent_name} quiere ver su pantalla para ayudarle. Usted elige qué compartir y puede detenerlo en cualquier momento.",
        },
    ),
    "share_request_accept": (
        "Share request: agree",
        "",
        40,
        {
            "en": "Share my screen",
            "de": "Bildschirm teilen",
            "fr": "Partager mon écran",
            "es": "Compartir mi pantalla",
        },
    ),
    "share_request_decline": (
        "Share request: refuse",
        "",
        40,
        {
            "en": "Not now",
            "de": "Jetzt nicht",
            "fr": "Pas maintenant",
            "es": "Ahora no",
        },
    ),
    "share_peer_sharing": (
        "The other side is sharing",
        "name",
        120,
        {
            "en": "{name} is sharing their screen",
            "de": "{name} teilt den Bildschirm",
            "fr": "{name} partage son écran",
            "es": "{name} está compartiendo su pantalla",
        },
    ),
    "share_peer_stopped": (
        "The other side stopped sharing",
        "name",
        120,
        {
            "en": "{name} stopped sharing their screen.",
            "de": "{name} teilt den Bildschirm nicht mehr.",
            "fr": "{name} a arrêté de partager son écran.",
            "es": "{name} dejó de compartir su pantalla.",
        },
    ),
    "share_own_sharing": (
        "You are sharing",
        "",
        120,
        {
            "en": "You are sharing your screen",
            "de": "Sie teilen Ihren Bildschirm",
            "fr": "Vous partagez votre écran",
            "es": "Está compartiendo su pantalla",
        },
    ),
    "share_request_sent": (
        "Share request sent (agent)",
        "name",
        120,
        {
            "en": "Waiting for {name} to share their screen…",
            "de": "Warten, bis {name} den Bildschirm teilt…",
            "fr": "En attente du partage d'écran de {name}…",
            "es": "Esperando a que {name} comparta su pantalla…",
        },
    ),
    "share_declined": (
        "Share request refused (agent)",
        "name",
        200,
        {
            "en": "{name} declined to share their screen.",
            "de": "{name} möchte den Bildschirm nicht teilen.",
            "fr": "{name} a refusé de partager son écran.",
            "es": "{name} rechazó compartir su pantalla.",
        },
    ),
    "share_unsupported": (
        "Share request: device cannot share (agent)",
        "name",
        200,
        {
            "en": "{name}'s device cannot share a screen.",
            "de": "Das Gerät von {name} kann keinen Bildschirm teilen.",
            "fr": "L'appareil de {name} ne peut pas partager son écran.",
            "es": "El dispositivo de {name} no puede compartir la pantalla.",
        },
    ),
    "share_failed": (
        "Screen could not be shared",
        "",
        200,
        {
            "en": "The screen could not be shared.",
            "de": "Der Bildschirm konnte nicht geteilt werden.",
            "fr": "L'écran n'a pas pu être partagé.",
            "es": "No se pudo compartir la pantalla.",
        },
    ),
}
