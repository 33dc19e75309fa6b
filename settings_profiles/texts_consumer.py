"""The consumer's call words that were the window's own until issue 14 item 4 (the invitation's device
note, "Audio only", the call's status and badges, the ended screen, the phone code's countdown) and the
call stage's labels for screen readers: now the account's texts, per locale. `texts.py` adds them to
TEXT_KEYS. The window's chrome around a call (composer, greeting) stays in calls/engage/chrome_texts.py.

Each entry: (label, placeholders separated by spaces, max length, {locale: default}).
"""

from __future__ import annotations

CONSUMER_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    "invitation_audio_only": (
        "Invitation: join with audio only",
        "",
        40,
        {
            "en": "Audio only",
            "de": "Nur Audio",
            "fr": "Audio seulement",
            "es": "Solo audio",
        },
    ),
    "invitation_devices_note_video": (
        "Invitation: the browser will ask for microphone and camera",
        "",
        200,
        {
            "en": "After you accept, your browser asks to use your microphone and camera.",
            "de": "Nach dem Annehmen fragt Ihr Browser nach Mikrofon und Kamera.",
            "fr": "Après avoir accepté, votre navigateur demandera l'accès au micro et à la caméra.",
            "es": "Tras aceptar, su navegador pedirá acceso al micrófono y la cámara.",
        },
    ),
    "invitation_devices_note_voice": (
        "Invitation: the browser will ask for the microphone",
        "",
        200,
        {
            "en": "After you accept, your browser asks to use your microphone.",
            "de": "Nach dem Annehmen fragt Ihr Browser nach dem Mikrofon.",
            "fr": "Après avoir accepté, votre navigateur demandera l'accès au micro.",
            "es": "Tras aceptar, su navegador pedirá acceso al micrófono.",
        },
    ),
    "call_incoming": (
        "Call status: incoming call",
        "",
        80,
        {
            "en": "Incoming call",
            "de": "Eingehender Anruf",
            "fr": "Appel entrant",
            "es": "Llamada entrante",
        },
    ),
    "call_reconnecting": (
        "Call status: reconnecting",
        "",
        80,
        {
            "en": "Reconnecting…",
            "de": "Verbindung wird wiederhergestellt…",
            "fr": "Reconnexion…",
            "es": "Reconectando…",
        },
    ),
    "call_peer_muted": (
        "Call: the agent is muted",
        "",
        40,
        {
            "en": "Muted",
            "de": "Stumm",
            "fr": "Micro coupé",
            "es": "Silenciado",
        },
    ),
    "call_peer_camera_off": (
        "Call: the agent's camera is off",
        "",
        60,
        {
            "en": "Camera off",
            "de": "Kamera aus",
            "fr": "Caméra désactivée",
            "es": "Cámara apagada",
        },
    ),
    "call_resume_audio": (
        "Call: tap to turn on the sound",
        "",
        80,
        {
            "en": "Tap to turn on the sound",
            "de": "Tippen, um den Ton einzuschalten",
            "fr": "Touchez pour activer le son",
            "es": "Toque para activar el sonido",
        },
    ),
    "call_back_to_chat": (
        "Call ended: back to the conversation",
        "",
        60,
        {
            "en": "Back to the conversation",
            "de": "Zurück zur Unterhaltung",
            "fr": "Retour à la conversation",
            "es": "Volver a la conversación",
        },
    ),
    "call_over": (
        "Call ended: the window may be closed",
        "",
        120,
        {
            "en": "You can close this window now.",
            "de": "Sie können dieses Fenster jetzt schließen.",
            "fr": "Vous pouvez fermer cette fenêtre.",
            "es": "Ya puede cerrar esta ventana.",
        },
    ),
    "call_none": (
        "Call page: no call right now",
        "",
        120,
        {
            "en": "There is no call right now.",
            "de": "Gerade findet kein Anruf statt.",
            "fr": "Aucun appel en cours.",
            "es": "No hay ninguna llamada en este momento.",
        },
    ),
    "handoff_code_expires": (
        "Continue on my phone: the code expires in",
        "time",
        60,
        {
            "en": "Expires in {time}",
            "de": "Gültig noch {time}",
            "fr": "Expire dans {time}",
            "es": "Caduca en {time}",
        },
    ),
    "handoff_code_expired": (
        "Continue on my phone: the code expired",
        "",
        120,
        {
            "en": "This code has expired.",
            "de": "Dieser Code ist abgelaufen.",
            "fr": "Ce code a expiré.",
            "es": "Este código ha caducado.",
        },
    ),
    "handoff_waiting": (
        "Continue on my phone: waiting for the phone",
        "",
        80,
        {
            "en": "Waiting for your phone…",
            "de": "Warten auf Ihr Handy…",
            "fr": "En attente de votre téléphone…",
            "es": "Esperando a su móvil…",
        },
    ),
    "handoff_copied": (
        "Continue on my phone: link copied",
        "",
        40,
        {
            "en": "Copied",
            "de": "Kopiert",
            "fr": "Copié",
            "es": "Copiado",
        },
    ),
    "handoff_moving": (
        "Continue on my phone: the call is moving (phone)",
        "",
        80,
        {
            "en": "Moving the call…",
            "de": "Anruf wird übernommen…",
            "fr": "Transfert de l'appel…",
            "es": "Pasando la llamada…",
        },
    ),
    "call_label_timer": (
        "Call stage label: the call's duration",
        "",
        60,
        {
            "en": "Call duration",
            "de": "Anrufdauer",
            "fr": "Durée de l'appel",
            "es": "Duración de la llamada",
        },
    ),
    "call_label_controls": (
        "Call stage label: the call's controls",
        "",
        60,
        {
            "en": "Call controls",
            "de": "Anrufsteuerung",
            "fr": "Commandes de l'appel",
            "es": "Controles de la llamada",
        },
    ),
}
