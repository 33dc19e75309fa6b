"""The agent workspace's checks before a call (issue 14 item 4): the "Your calls" card, the banner when
this browser or its devices cannot call (`agent_check_*`, `agent_banner_*`), and why a call button
cannot be used now (`agent_voice_off`, `agent_video_off`, `agent_blocked_*`: the button's tooltip and
the hint under the header). `texts.py` adds them to TEXT_KEYS.

Each entry: (label, placeholders separated by spaces, max length, {locale: default}).
"""

from __future__ import annotations

AGENT_CHECK_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    "agent_calls_card": (
        "Workspace card: your calls (title)",
        "",
        40,
        {"en": "Your calls", "de": "Ihre Anrufe", "fr": "Vos appels", "es": "Sus llamadas"},
    ),
    "agent_check_voice": (
        "Workspace card: voice calls",
        "",
        40,
        {"en": "Voice calls", "de": "Sprachanrufe", "fr": "Appels vocaux", "es": "Llamadas de voz"},
    ),
    "agent_check_video": (
        "Workspace card: video calls",
        "",
        40,
        {"en": "Video calls", "de": "Videoanrufe", "fr": "Appels vidéo", "es": "Videollamadas"},
    ),
    "agent_check_browser": (
        "Workspace card: browser",
        "",
        40,
        {"en": "Browser", "de": "Browser", "fr": "Navigateur", "es": "Navegador"},
    ),
    "agent_check_checking": (
        "Workspace card: still checking",
        "",
        40,
        {"en": "Checking…", "de": "Wird geprüft…", "fr": "Vérification…", "es": "Comprobando…"},
    ),
    "agent_check_voice_allowed": (
        "Workspace card: voice calls allowed",
        "",
        120,
        {
            "en": "You can invite consumers to voice calls.",
            "de": "Sie können Kunden zu Sprachanrufen einladen.",
            "fr": "Vous pouvez inviter des clients à des appels vocaux.",
            "es": "Puede invitar a clientes a llamadas de voz.",
        },
    ),
    "agent_check_video_allowed": (
        "Workspace card: video calls allowed",
        "",
        120,
        {
            "en": "You can invite consumers to video calls.",
            "de": "Sie können Kunden zu Videoanrufen einladen.",
            "fr": "Vous pouvez inviter des clients à des appels vidéo.",
            "es": "Puede invitar a clientes a videollamadas.",
        },
    ),
    "agent_check_not_allowed": (
        "Workspace card: calls not allowed",
        "reason",
        200,
        {
            "en": "Not allowed: {reason}.",
            "de": "Nicht erlaubt: {reason}.",
            "fr": "Non autorisé : {reason}.",
            "es": "No permitido: {reason}.",
        },
    ),
    "agent_check_microphone_ok": (
        "Workspace card: microphone connected",
        "",
        120,
        {
            "en": "A microphone is connected.",
            "de": "Ein Mikrofon ist angeschlossen.",
            "fr": "Un micro est branché.",
            "es": "Hay un micrófono conectado.",
        },
    ),
    "agent_check_microphone_missing": (
        "Workspace card: no microphone",
        "",
        200,
        {
            "en": "No microphone found: connect one to make calls.",
            "de": "Kein Mikrofon gefunden: Schließen Sie eines an, um anzurufen.",
            "fr": "Aucun micro trouvé : branchez-en un pour passer des appels.",
            "es": "No se encontró micrófono: conecte uno para hacer llamadas.",
        },
    ),
    "agent_check_camera_ok": (
        "Workspace card: camera connected",
        "",
        120,
        {
            "en": "A camera is connected.",
            "de": "Eine Kamera ist angeschlossen.",
            "fr": "Une caméra est branchée.",
            "es": "Hay una cámara conectada.",
        },
    ),
    "agent_check_camera_missing": (
        "Workspace card: no camera",
        "",
        200,
        {
            "en": "No camera found: video calls are unavailable.",
            "de": "Keine Kamera gefunden: Videoanrufe sind nicht möglich.",
            "fr": "Aucune caméra trouvée : les appels vidéo sont indisponibles.",
            "es": "No se encontró cámara: las videollamadas no están disponibles.",
        },
    ),
    "agent_check_browser_ok": (
        "Workspace card: browser supported",
        "browser",
        120,
        {
            "en": "{browser} is supported",
            "de": "{browser} wird unterstützt",
            "fr": "{browser} est pris en charge",
            "es": "{browser} es compatible",
        },
    ),
    "agent_check_browser_unsupported": (
        "Workspace card: browser not supported",
        "browser",
        120,
        {
            "en": "{browser} is not supported for calls",
            "de": "{browser} wird für Anrufe nicht unterstützt",
            "fr": "{browser} n'est pas pris en charge pour les appels",
            "es": "{browser} no es compatible con las llamadas",
        },
    ),
    "agent_banner_browser": (
        "Workspace banner: this browser cannot make calls",
        "browser",
        300,
        {
            "en": "This browser cannot make calls. {browser} is not supported: use the latest Chrome, Firefox, Safari or Edge. Messaging still works.",
            "de": "Dieser Browser kann keine Anrufe führen. {browser} wird nicht unterstützt: Nutzen Sie aktuelles Chrome, Firefox, Safari oder Edge. Nachrichten funktionieren weiterhin.",
            "fr": "Ce navigateur ne peut pas passer d'appels. {browser} n'est pas pris en charge : utilisez Chrome, Firefox, Safari ou Edge à jour. La messagerie fonctionne toujours.",
            "es": "Este navegador no puede hacer llamadas. {browser} no es compatible: use Chrome, Firefox, Safari o Edge actualizados. La mensajería sigue funcionando.",
        },
    ),
    "agent_banner_no_webrtc": (
        "Workspace banner: no WebRTC",
        "",
        300,
        {
            "en": "This browser cannot make WebRTC calls. Use the latest Chrome, Firefox, Safari or Edge.",
            "de": "Dieser Browser kann keine WebRTC-Anrufe führen. Nutzen Sie aktuelles Chrome, Firefox, Safari oder Edge.",
            "fr": "Ce navigateur ne peut pas passer d'appels WebRTC. Utilisez Chrome, Firefox, Safari ou Edge à jour.",
            "es": "Este navegador no puede hacer llamadas WebRTC. Use Chrome, Firefox, Safari o Edge actualizados.",
        },
    ),
    "agent_banner_no_devices": (
        "Workspace banner: no microphone and no camera",
        "",
        300,
        {
            "en": "No microphone and no camera were found. Connect a microphone to make voice calls, and a camera for video calls.",
            "de": "Weder Mikrofon noch Kamera gefunden. Schließen Sie ein Mikrofon für Sprachanrufe und eine Kamera für Videoanrufe an.",
            "fr": "Aucun micro ni caméra trouvé. Branchez un micro pour les appels vocaux, et une caméra pour les appels vidéo.",
            "es": "No se encontró micrófono ni cámara. Conecte un micrófono para llamadas de voz y una cámara para videollamadas.",
        },
    ),
    "agent_banner_no_microphone": (
        "Workspace banner: no microphone",
        "",
        300,
        {
            "en": "No microphone was found. Connect one to make voice or video calls.",
            "de": "Es wurde kein Mikrofon gefunden. Schließen Sie eines an, um Sprach- oder Videoanrufe zu führen.",
            "fr": "Aucun micro n'a été trouvé. Branchez-en un pour passer des appels vocaux ou vidéo.",
            "es": "No se encontró micrófono. Conecte uno para hacer llamadas de voz o videollamadas.",
        },
    ),
    "agent_banner_no_camera": (
        "Workspace banner: no camera",
        "",
        300,
        {
            "en": "No camera was found. Video calls need a camera; voice calls still work.",
            "de": "Es wurde keine Kamera gefunden. Videoanrufe brauchen eine Kamera; Sprachanrufe funktionieren weiterhin.",
            "fr": "Aucune caméra n'a été trouvée. Les appels vidéo nécessitent une caméra ; les appels vocaux fonctionnent toujours.",
            "es": "No se encontró cámara. Las videollamadas necesitan una cámara; las llamadas de voz siguen funcionando.",
        },
    ),
    # Why a call button cannot be used now (its tooltip, and the hint under the header).
    "agent_voice_off": (
        "Workspace: voice calls not available to the agent",
        "reason",
        200,
        {
            "en": "Voice calls are not available to you: {reason}",
            "de": "Sprachanrufe stehen Ihnen nicht zur Verfügung: {reason}",
            "fr": "Les appels vocaux ne vous sont pas accessibles : {reason}",
            "es": "Las llamadas de voz no están disponibles para usted: {reason}",
        },
    ),
    "agent_video_off": (
        "Workspace: video calls not available to the agent",
        "reason",
        200,
        {
            "en": "Video calls are not available to you: {reason}",
            "de": "Videoanrufe stehen Ihnen nicht zur Verfügung: {reason}",
            "fr": "Les appels vidéo ne vous sont pas accessibles : {reason}",
            "es": "Las videollamadas no están disponibles para usted: {reason}",
        },
    ),
    "agent_calls_unavailable": (
        "Workspace hint: calls unavailable on this device",
        "reason",
        200,
        {
            "en": "Calls are unavailable. {reason}",
            "de": "Anrufe sind nicht möglich. {reason}",
            "fr": "Appels impossibles. {reason}",
            "es": "Llamadas no disponibles. {reason}",
        },
    ),
    "agent_blocked_browser": (
        "Workspace: this browser is not supported for calls",
        "",
        120,
        {
            "en": "This browser is not supported for calls.",
            "de": "Dieser Browser wird für Anrufe nicht unterstützt.",
            "fr": "Ce navigateur n'est pas pris en charge pour les appels.",
            "es": "Este navegador no es compatible con las llamadas.",
        },
    ),
    "agent_blocked_no_webrtc": (
        "Workspace: this browser cannot make WebRTC calls",
        "",
        120,
        {
            "en": "This browser cannot make WebRTC calls.",
            "de": "Dieser Browser kann keine WebRTC-Anrufe führen.",
            "fr": "Ce navigateur ne peut pas passer d'appels WebRTC.",
            "es": "Este navegador no puede hacer llamadas WebRTC.",
        },
    ),
    "agent_blocked_no_microphone": (
        "Workspace: no microphone found",
        "",
        120,
        {
            "en": "No microphone was found.",
            "de": "Es wurde kein Mikrofon gefunden.",
            "fr": "Aucun micro n'a été trouvé.",
            "es": "No se encontró ningún micrófono.",
        },
    ),
    "agent_blocked_no_camera": (
        "Workspace: no camera found",
        "",
        120,
        {
            "en": "No camera was found.",
            "de": "Es wurde keine Kamera gefunden.",
            "fr": "Aucune caméra n'a été trouvée.",
            "es": "No se encontró ninguna cámara.",
        },
    ),
    "agent_blocked_offline": (
        "Workspace: not connected to the server",
        "",
        120,
        {
            "en": "Not connected to the server.",
            "de": "Keine Verbindung zum Server.",
            "fr": "Pas de connexion au serveur.",
            "es": "Sin conexión con el servidor.",
        },
    ),
    "agent_blocked_channel": (
        "Workspace: calls only in web messaging",
        "",
        200,
        {
            "en": "Calls are only possible in web messaging conversations.",
            "de": "Anrufe sind nur in Web-Messaging-Unterhaltungen möglich.",
            "fr": "Les appels ne sont possibles que dans les conversations de messagerie web.",
            "es": "Las llamadas solo son posibles en conversaciones de mensajería web.",
        },
    ),
    "agent_blocked_not_yours": (
        "Workspace: calls need an open conversation of the agent's",
        "",
        200,
        {
            "en": "Calls need an open conversation assigned to you.",
            "de": "Für Anrufe braucht es eine offene Unterhaltung, die Ihnen zugewiesen ist.",
            "fr": "Les appels nécessitent une conversation ouverte qui vous est attribuée.",
            "es": "Las llamadas necesitan una conversación abierta asignada a usted.",
        },
    ),
    "agent_blocked_same_call": (
        "Workspace: this conversation already has a call",
        "",
        200,
        {
            "en": "This conversation already has a live call.",
            "de": "In dieser Unterhaltung läuft bereits ein Anruf.",
            "fr": "Cette conversation a déjà un appel en cours.",
            "es": "Esta conversación ya tiene una llamada en curso.",
        },
    ),
    "agent_blocked_other_call": (
        "Workspace: the agent is in another call",
        "",
        200,
        {
            "en": "You are already in a call: end it first.",
            "de": "Sie sind bereits in einem Anruf: Beenden Sie ihn zuerst.",
            "fr": "Vous êtes déjà en appel : terminez-le d'abord.",
            "es": "Ya está en una llamada: termínela primero.",
        },
    ),
    "agent_blocked_inviting": (
        "Workspace: the invitation is being sent",
        "",
        120,
        {
            "en": "Sending the invitation…",
            "de": "Die Einladung wird gesendet…",
            "fr": "Envoi de l'invitation…",
            "es": "Enviando la invitación…",
        },
    ),
}
