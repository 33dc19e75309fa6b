"""The agent workspace's remaining call words (issue 14 item 4): what a screen reader announces
(`agent_said_*`), the call's toasts, the labels and tooltips of the call panel (`agent_label_*`,
`agent_invite_tooltip`), and what the consumer's device check found (`agent_readiness_*`,
static/calls/readiness.js). `texts.py` adds them to TEXT_KEYS; texts_agent_checks.py holds why a call
button cannot be used and the "Your calls" card.

Each entry: (label, placeholders separated by spaces, max length, {locale: default}).
{consumer_name} is the consumer's name as the inbox shows it.
"""

from __future__ import annotations

AGENT_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    # Screen-reader announcements during a call.
    "agent_said_muted": (
        "Workspace announces: you are muted",
        "",
        120,
        {
            "en": "You are muted.",
            "de": "Ihr Mikrofon ist stumm.",
            "fr": "Votre micro est coupé.",
            "es": "Su micrófono está silenciado.",
        },
    ),
    "agent_said_unmuted": (
        "Workspace announces: you are unmuted",
        "",
        120,
        {
            "en": "You are unmuted.",
            "de": "Ihr Mikrofon ist wieder an.",
            "fr": "Votre micro est réactivé.",
            "es": "Su micrófono está activado.",
        },
    ),
    "agent_said_camera_on": (
        "Workspace announces: your camera is on",
        "",
        120,
        {
            "en": "Your camera is on.",
            "de": "Ihre Kamera ist an.",
            "fr": "Votre caméra est activée.",
            "es": "Su cámara está encendida.",
        },
    ),
    "agent_said_camera_off": (
        "Workspace announces: your camera is off",
        "",
        120,
        {
            "en": "Your camera is off.",
            "de": "Ihre Kamera ist aus.",
            "fr": "Votre caméra est coupée.",
            "es": "Su cámara está apagada.",
        },
    ),
    "agent_said_ringing": (
        "Workspace announces: the invitation rings",
        "consumer_name",
        200,
        {
            "en": "Calling {consumer_name}. Waiting for the consumer.",
            "de": "{consumer_name} wird angerufen. Warten auf den Kunden.",
            "fr": "Appel de {consumer_name}. En attente du client.",
            "es": "Llamando a {consumer_name}. Esperando al cliente.",
        },
    ),
    "agent_said_accepted": (
        "Workspace announces: the consumer accepted",
        "",
        200,
        {
            "en": "The consumer accepted. Connecting the call.",
            "de": "Der Kunde hat angenommen. Der Anruf wird verbunden.",
            "fr": "Le client a accepté. Connexion de l'appel.",
            "es": "El cliente aceptó. Conectando la llamada.",
        },
    ),
    "agent_said_connected": (
        "Workspace announces: the call is connected",
        "",
        200,
        {
            "en": "The call is connected.",
            "de": "Der Anruf ist verbunden.",
            "fr": "L'appel est connecté.",
            "es": "La llamada está conectada.",
        },
    ),
    "agent_said_unstable": (
        "Workspace announces: the connection is unstable",
        "",
        200,
        {
            "en": "The connection is unstable. Reconnecting the call.",
            "de": "Die Verbindung ist instabil. Der Anruf wird neu verbunden.",
            "fr": "La connexion est instable. Reconnexion de l'appel.",
            "es": "La conexión es inestable. Reconectando la llamada.",
        },
    ),
    "agent_said_reconnected": (
        "Workspace announces: the call is reconnected",
        "",
        200,
        {
            "en": "The call is reconnected.",
            "de": "Der Anruf ist wieder verbunden.",
            "fr": "L'appel est rétabli.",
            "es": "La llamada se ha restablecido.",
        },
    ),
    "agent_said_peer_muted": (
        "Workspace announces: the consumer muted",
        "",
        200,
        {
            "en": "The consumer muted.",
            "de": "Der Kunde hat sein Mikrofon stumm geschaltet.",
            "fr": "Le client a coupé son micro.",
            "es": "El cliente silenció su micrófono.",
        },
    ),
    "agent_said_peer_unmuted": (
        "Workspace announces: the consumer unmuted",
        "",
        200,
        {
            "en": "The consumer unmuted.",
            "de": "Der Kunde hat sein Mikrofon wieder eingeschaltet.",
            "fr": "Le client a réactivé son micro.",
            "es": "El cliente activó su micrófono.",
        },
    ),
    "agent_said_peer_camera_on": (
        "Workspace announces: the consumer's camera is on",
        "",
        200,
        {
            "en": "The consumer turned the camera on.",
            "de": "Der Kunde hat die Kamera eingeschaltet.",
            "fr": "Le client a activé sa caméra.",
            "es": "El cliente encendió la cámara.",
        },
    ),
    "agent_said_peer_camera_off": (
        "Workspace announces: the consumer's camera is off",
        "",
        200,
        {
            "en": "The consumer turned the camera off.",
            "de": "Der Kunde hat die Kamera ausgeschaltet.",
            "fr": "Le client a coupé sa caméra.",
            "es": "El cliente apagó la cámara.",
        },
    ),
    "agent_said_peer_moved": (
        "Workspace announces: the consumer moved the call to their phone",
        "",
        200,
        {
            "en": "The consumer moved the call to their phone.",
            "de": "Der Kunde hat den Anruf auf sein Handy verlegt.",
            "fr": "Le client a transféré l'appel sur son téléphone.",
            "es": "El cliente pasó la llamada a su teléfono.",
        },
    ),
    "agent_said_peer_reconnecting": (
        "Workspace announces: the consumer is reconnecting",
        "",
        200,
        {
            "en": "The consumer is reconnecting.",
            "de": "Der Kunde verbindet sich neu.",
            "fr": "Le client se reconnecte.",
            "es": "El cliente se está reconectando.",
        },
    ),
    "agent_said_peer_back": (
        "Workspace announces: the consumer is back",
        "",
        200,
        {
            "en": "The consumer is back.",
            "de": "Der Kunde ist wieder da.",
            "fr": "Le client est de retour.",
            "es": "El cliente ha vuelto.",
        },
    ),
    "agent_visitor": (
        "Workspace: a consumer without a name",
        "id",
        40,
        {"en": "Visitor {id}", "de": "Besucher {id}", "fr": "Visiteur {id}", "es": "Visitante {id}"},
    ),
    "agent_inbox_live_call": (
        "Workspace inbox: the conversation has a live call",
        "",
        40,
        {"en": "Live call", "de": "Laufender Anruf", "fr": "Appel en cours", "es": "Llamada en curso"},
    ),
    # Toasts about the call.
    "agent_rejoining_title": (
        "Workspace toast: a call in progress (title)",
        "",
        80,
        {"en": "Call in progress", "de": "Anruf läuft", "fr": "Appel en cours", "es": "Llamada en curso"},
    ),
    "agent_rejoining": (
        "Workspace toast: rejoining the call after a reload",
        "",
        200,
        {
            "en": "Rejoining your call…",
            "de": "Sie kehren in Ihren Anruf zurück…",
            "fr": "Retour dans votre appel…",
            "es": "Volviendo a su llamada…",
        },
    ),
    "agent_start_failed_title": (
        "Workspace toast: the call could not start (title)",
        "",
        80,
        {
            "en": "The call could not start",
            "de": "Der Anruf konnte nicht starten",
            "fr": "L'appel n'a pas pu démarrer",
            "es": "La llamada no pudo iniciarse",
        },
    ),
    "agent_switch_camera_failed": (
        "Workspace toast: the other camera could not be opened",
        "error",
        200,
        {
            "en": "The other camera could not be opened ({error}).",
            "de": "Die andere Kamera konnte nicht geöffnet werden ({error}).",
            "fr": "L'autre caméra n'a pas pu être ouverte ({error}).",
            "es": "No se pudo abrir la otra cámara ({error}).",
        },
    ),
    # Labels and tooltips of the call panel (screen readers read the labels).
    "agent_invite_tooltip": (
        "Workspace tooltip: a call button",
        "media consumer_name",
        120,
        {
            "en": "Invite {consumer_name} to a {media} call",
            "de": "{consumer_name} zu einem {media} einladen",
            "fr": "Inviter {consumer_name} à un {media}",
            "es": "Invitar a {consumer_name} a una {media}",
        },
    ),
    "agent_label_remote_video": (
        "Workspace label: the consumer's video",
        "",
        80,
        {"en": "The consumer's video", "de": "Video des Kunden", "fr": "Vidéo du client", "es": "Vídeo del cliente"},
    ),
    "agent_label_local_video": (
        "Workspace label: your camera's preview",
        "",
        80,
        {"en": "Your camera", "de": "Ihre Kamera", "fr": "Votre caméra", "es": "Su cámara"},
    ),
    "agent_label_peer_media": (
        "Workspace label: the consumer's microphone and camera",
        "",
        80,
        {
            "en": "The consumer's microphone and camera",
            "de": "Mikrofon und Kamera des Kunden",
            "fr": "Micro et caméra du client",
            "es": "Micrófono y cámara del cliente",
        },
    ),
    "agent_label_readiness": (
        "Workspace label: the consumer's device check",
        "",
        80,
        {
            "en": "What the consumer's device check found",
            "de": "Ergebnis der Geräteprüfung des Kunden",
            "fr": "Résultat du test de l'appareil du client",
            "es": "Resultado de la comprobación del dispositivo del cliente",
        },
    ),
    "agent_label_close": (
        "Workspace label: close a dialog or a notice",
        "",
        40,
        {"en": "Close", "de": "Schließen", "fr": "Fermer", "es": "Cerrar"},
    ),
    # What the consumer's window found before answering, as the agent reads it on the call panel.
    "agent_readiness_ready": (
        "Workspace: the consumer's device and network are ready",
        "",
        200,
        {
            "en": "The consumer's device and network are ready for the call.",
            "de": "Gerät und Netzwerk des Kunden sind für den Anruf bereit.",
            "fr": "L'appareil et le réseau du client sont prêts pour l'appel.",
            "es": "El dispositivo y la red del cliente están listos para la llamada.",
        },
    ),
    "agent_readiness_browser": (
        "Workspace: the consumer's browser cannot take calls",
        "",
        200,
        {
            "en": "The consumer's browser cannot take calls: the call will fail.",
            "de": "Der Browser des Kunden kann keine Anrufe annehmen: Der Anruf wird scheitern.",
            "fr": "Le navigateur du client ne peut pas prendre d'appels : l'appel va échouer.",
            "es": "El navegador del cliente no admite llamadas: la llamada fallará.",
        },
    ),
    "agent_readiness_no_microphone": (
        "Workspace: the consumer has no microphone",
        "",
        200,
        {
            "en": "The consumer has no microphone: the call cannot start on this device.",
            "de": "Der Kunde hat kein Mikrofon: Der Anruf kann auf diesem Gerät nicht starten.",
            "fr": "Le client n'a pas de micro : l'appel ne peut pas démarrer sur cet appareil.",
            "es": "El cliente no tiene micrófono: la llamada no puede iniciarse en este dispositivo.",
        },
    ),
    "agent_readiness_no_camera": (
        "Workspace: the consumer has no camera",
        "",
        200,
        {
            "en": "The consumer has no camera: they can join with audio only.",
            "de": "Der Kunde hat keine Kamera: Er kann nur mit Audio teilnehmen.",
            "fr": "Le client n'a pas de caméra : il peut participer en audio seulement.",
            "es": "El cliente no tiene cámara: puede unirse solo con audio.",
        },
    ),
    "agent_readiness_network_blocked": (
        "Workspace: the consumer's network blocks calls",
        "",
        200,
        {
            "en": "The consumer's network blocks calls: it will probably not connect.",
            "de": "Das Netzwerk des Kunden blockiert Anrufe: Die Verbindung wird wahrscheinlich scheitern.",
            "fr": "Le réseau du client bloque les appels : la connexion échouera probablement.",
            "es": "La red del cliente bloquea las llamadas: probablemente no se conectará.",
        },
    ),
    "agent_readiness_direct_blocked": (
        "Workspace: the consumer's network blocks direct calls",
        "",
        200,
        {
            "en": "The consumer's network blocks direct calls: the call will be relayed.",
            "de": "Das Netzwerk des Kunden blockiert direkte Anrufe: Der Anruf wird über einen Server geleitet.",
            "fr": "Le réseau du client bloque les appels directs : l'appel passera par un relais.",
            "es": "La red del cliente bloquea las llamadas directas: la llamada se retransmitirá.",
        },
    ),
    "agent_readiness_relay_unavailable": (
        "Workspace: the relay did not answer the consumer",
        "",
        200,
        {
            "en": "The relay (TURN) server did not answer the consumer's network.",
            "de": "Der Relay-Server (TURN) hat dem Netzwerk des Kunden nicht geantwortet.",
            "fr": "Le serveur relais (TURN) n'a pas répondu au réseau du client.",
            "es": "El servidor de retransmisión (TURN) no respondió a la red del cliente.",
        },
    ),
}
