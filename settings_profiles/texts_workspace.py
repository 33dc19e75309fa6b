"""The agent workspace's call panel in the account's texts: buttons, status lines, the consumer's
media, the quality line (issue 14: every string an agent sees about a call). The in-call buttons
both sides share (mute, camera, switch, end, connecting) are `call_*` keys in texts.py.

The workspace speaks the account's own locale (`AccountCallSettings.locale`). `{media}` is the
account's word for the call's media (`media_voice`/`media_video`); a text that starts with a
placeholder is shown with its first letter in capitals.
"""

from __future__ import annotations

from .textkey import TextKey
from .textkey import text_key as _key

WORKSPACE_TEXT_KEYS: dict[str, TextKey] = {
    "agent_invite_voice": _key(
        "Workspace: voice call button", "", 40, en="Voice call", de="Sprachanruf", fr="Appel vocal", es="Llamada de voz"
    ),
    "agent_invite_video": _key(
        "Workspace: video call button", "", 40, en="Video call", de="Videoanruf", fr="Appel vidéo", es="Videollamada"
    ),
    "agent_call_title": _key(
        "Workspace: call panel title",
        "media consumer_name",
        120,
        en="{media} call with {consumer_name}",
        de="{media} mit {consumer_name}",
        fr="{media} avec {consumer_name}",
        es="{media} con {consumer_name}",
    ),
    "agent_ringing_title": _key(
        "Workspace: invitation ringing",
        "",
        120,
        en="Calling… waiting for the consumer",
        de="Anruf läuft… warten auf den Kunden",
        fr="Appel en cours… en attente du client",
        es="Llamando… esperando al cliente",
    ),
    "agent_ringing_sub": _key(
        "Workspace: invitation sent",
        "media consumer_name",
        200,
        en="{media} call invitation sent to {consumer_name}.",
        de="Einladung zum {media} an {consumer_name} gesendet.",
        fr="Invitation à l'{media} envoyée à {consumer_name}.",
        es="Invitación a {media} enviada a {consumer_name}.",
    ),
    "agent_cancel_invitation": _key(
        "Workspace: cancel the invitation", "", 40, en="Cancel", de="Abbrechen", fr="Annuler", es="Cancelar"
    ),
    "agent_status_calling": _key(
        "Workspace status: ringing",
        "consumer_name",
        120,
        en="Calling {consumer_name}…",
        de="{consumer_name} wird angerufen…",
        fr="Appel de {consumer_name}…",
        es="Llamando a {consumer_name}…",
    ),
    "agent_status_connected": _key(
        "Workspace status: connected", "", 80, en="Connected", de="Verbunden", fr="Connecté", es="Conectado"
    ),
    "agent_status_ending": _key(
        "Workspace status: ending",
        "",
        80,
        en="Ending the call…",
        de="Anruf wird beendet…",
        fr="Fin de l'appel…",
        es="Finalizando la llamada…",
    ),
    "agent_status_unstable": _key(
        "Workspace status: connection unstable",
        "",
        120,
        en="Reconnecting… the connection is unstable",
        de="Verbindung wird wiederhergestellt… die Verbindung ist instabil",
        fr="Reconnexion… la connexion est instable",
        es="Reconectando… la conexión es inestable",
    ),
    "agent_status_retrying": _key(
        "Workspace status: connection failed, retrying",
        "",
        120,
        en="Connection problem: trying again…",
        de="Verbindungsproblem: neuer Versuch…",
        fr="Problème de connexion : nouvel essai…",
        es="Problema de conexión: reintentando…",
    ),
    "agent_voice_active": _key(
        "Workspace: voice call in progress",
        "consumer_name",
        120,
        en="On a voice call with {consumer_name}",
        de="Im Sprachanruf mit {consumer_name}",
        fr="En appel vocal avec {consumer_name}",
        es="En llamada de voz con {consumer_name}",
    ),
    "agent_voice_connecting": _key(
        "Workspace: voice call connecting",
        "consumer_name",
        120,
        en="Connecting to {consumer_name}…",
        de="Verbindung mit {consumer_name}…",
        fr="Connexion avec {consumer_name}…",
        es="Conectando con {consumer_name}…",
    ),
    "agent_peer_reconnecting": _key(
        "Workspace: consumer reconnecting",
        "",
        80,
        en="Consumer reconnecting…",
        de="Kunde verbindet sich neu…",
        fr="Le client se reconnecte…",
        es="El cliente se está reconectando…",
    ),
    "agent_peer_on_phone": _key(
        "Workspace: consumer moved the call to their phone",
        "",
        80,
        en="Consumer on their phone",
        de="Kunde am Handy",
        fr="Client sur son téléphone",
        es="Cliente en su teléfono",
    ),
    "agent_peer_muted": _key(
        "Workspace: consumer muted",
        "",
        80,
        en="Consumer muted",
        de="Kunde stumm",
        fr="Client muet",
        es="Cliente en silencio",
    ),
    "agent_peer_camera_off": _key(
        "Workspace: consumer camera off",
        "",
        80,
        en="Consumer camera off",
        de="Kamera des Kunden aus",
        fr="Caméra du client coupée",
        es="Cámara del cliente apagada",
    ),
    "agent_peer_audio_only": _key(
        "Workspace: consumer joined audio only",
        "",
        120,
        en="The consumer joined without video (audio only)",
        de="Der Kunde ist ohne Video beigetreten (nur Audio)",
        fr="Le client a rejoint sans vidéo (audio seulement)",
        es="El cliente se unió sin vídeo (solo audio)",
    ),
    "agent_own_camera_off": _key(
        "Workspace: own camera off",
        "",
        80,
        en="Your camera is off",
        de="Ihre Kamera ist aus",
        fr="Votre caméra est coupée",
        es="Su cámara está apagada",
    ),
    "agent_quality_relay": _key(
        "Workspace quality: relayed", "", 40, en="Relayed", de="Über Relay", fr="Relayé", es="Retransmitida"
    ),
    "agent_quality_direct": _key(
        "Workspace quality: peer-to-peer", "", 40, en="Peer-to-peer", de="Direkt", fr="Direct", es="Directa"
    ),
    "agent_quality_degraded": _key(
        "Workspace quality: degraded video",
        "kbps",
        80,
        en="Degraded (video {kbps} kbit/s)",
        de="Reduziert (Video {kbps} kbit/s)",
        fr="Dégradé (vidéo {kbps} kbit/s)",
        es="Degradada (vídeo {kbps} kbit/s)",
    ),
    "agent_quality_degraded_hint": _key(
        "Workspace quality: why degraded",
        "",
        300,
        en="Your upload cannot carry the full 2,600 kbit/s: the video is sent at a lower resolution and frame rate.",
        de="Ihr Upload trägt keine vollen 2.600 kbit/s: Das Video wird mit geringerer Auflösung und Bildrate gesendet.",
        fr="Votre envoi ne permet pas les 2 600 kbit/s : la vidéo part en résolution et cadence réduites.",
        es="Su subida no alcanza los 2.600 kbit/s: el vídeo se envía con menor resolución y fotogramas.",
    ),
    "agent_quality_hint": _key(
        "Workspace quality: what it shows",
        "",
        300,
        en="Connection path, round trip, and what you send and receive.",
        de="Verbindungsweg, Laufzeit und was Sie senden und empfangen.",
        fr="Chemin de connexion, aller-retour, et ce que vous envoyez et recevez.",
        es="Ruta de conexión, ida y vuelta, y lo que envía y recibe.",
    ),
    "agent_media_error_title": _key(
        "Workspace: own device error (title)",
        "",
        80,
        en="Microphone or camera",
        de="Mikrofon oder Kamera",
        fr="Micro ou caméra",
        es="Micrófono o cámara",
    ),
    "agent_media_error": _key(
        "Workspace: own device error",
        "reason",
        300,
        en="The call cannot start: {reason}.",
        de="Der Anruf kann nicht starten: {reason}.",
        fr="L'appel ne peut pas démarrer : {reason}.",
        es="La llamada no puede iniciarse: {reason}.",
    ),
    "agent_dismiss": _key(
        "Workspace: dismiss the ended call", "", 40, en="Dismiss", de="Schließen", fr="Fermer", es="Cerrar"
    ),
}
