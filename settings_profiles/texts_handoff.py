"""The customisable texts of "Continue on my phone" (a consumer moves a call from the computer to the
phone): what the window, the phone page and the transcript say. settings_profiles/texts.py adds them
to the catalogue; each is (label, placeholders, max length, defaults by locale)."""

from __future__ import annotations

HANDOFF_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    "handoff_button": (
        "Continue on my phone: button in the call",
        "",
        40,
        {"en": "Move to phone", "de": "Aufs Handy", "fr": "Sur mobile", "es": "Al móvil"},
    ),
    "handoff_title": (
        "Continue on my phone: panel title",
        "",
        120,
        {
            "en": "Continue on your phone",
            "de": "Auf dem Handy weitermachen",
            "fr": "Continuer sur votre téléphone",
            "es": "Continuar en su móvil",
        },
    ),
    "handoff_body": (
        "Continue on my phone: how it works",
        "agent_name brand_name",
        500,
        {
            "en": "Scan the code with your phone's camera, or open the link on your phone. The call moves "
            "there without hanging up; this window keeps the conversation.",
            "de": "Scannen Sie den Code mit der Handykamera oder öffnen Sie den Link auf dem Handy. Der Anruf "
            "wechselt ohne Auflegen dorthin; dieses Fenster behält die Unterhaltung.",
            "fr": "Scannez le code avec l'appareil photo de votre téléphone ou ouvrez le lien sur votre "
            "téléphone. L'appel y passe sans raccrocher ; cette fenêtre garde la conversation.",
            "es": "Escanee el código con la cámara del móvil o abra el enlace en el móvil. La llamada pasa "
            "allí sin colgar; esta ventana conserva la conversación.",
        },
    ),
    "handoff_note": (
        "Continue on my phone: the code's validity",
        "minutes",
        200,
        {
            "en": "The code works once, for {minutes} minutes.",
            "de": "Der Code gilt einmal, {minutes} Minuten lang.",
            "fr": "Le code fonctionne une fois, pendant {minutes} minutes.",
            "es": "El código funciona una vez, durante {minutes} minutos.",
        },
    ),
    "handoff_copy": (
        "Continue on my phone: copy the link",
        "",
        40,
        {"en": "Copy link", "de": "Link kopieren", "fr": "Copier le lien", "es": "Copiar enlace"},
    ),
    "handoff_new_code": (
        "Continue on my phone: new code",
        "",
        40,
        {"en": "New code", "de": "Neuer Code", "fr": "Nouveau code", "es": "Código nuevo"},
    ),
    "handoff_continued": (
        "Continue on my phone: the computer after the move",
        "",
        120,
        {
            "en": "Continued on your phone",
            "de": "Auf Ihrem Handy fortgesetzt",
            "fr": "Poursuivi sur votre téléphone",
            "es": "Continúa en su móvil",
        },
    ),
    "handoff_phone_title": (
        "Continue on my phone: the phone's title",
        "agent_name brand_name",
        120,
        {
            "en": "Continue the call on this phone",
            "de": "Anruf auf diesem Handy fortsetzen",
            "fr": "Poursuivre l'appel sur ce téléphone",
            "es": "Continuar la llamada en este móvil",
        },
    ),
    "handoff_phone_body": (
        "Continue on my phone: the phone's text",
        "agent_name brand_name",
        500,
        {
            "en": "Your call with {agent_name} moves to this phone. The back camera shows what is in front "
            "of you, such as your modem and its cables.",
            "de": "Ihr Anruf mit {agent_name} wechselt auf dieses Handy. Die Rückkamera zeigt, was vor Ihnen "
            "liegt, etwa Ihr Modem und seine Kabel.",
            "fr": "Votre appel avec {agent_name} passe sur ce téléphone. La caméra arrière montre ce qui est "
            "devant vous, comme votre modem et ses câbles.",
            "es": "Su llamada con {agent_name} pasa a este móvil. La cámara trasera muestra lo que tiene "
            "delante, como su módem y sus cables.",
        },
    ),
    "handoff_camera_back": (
        "Continue on my phone: back camera",
        "",
        40,
        {"en": "Back camera", "de": "Rückkamera", "fr": "Caméra arrière", "es": "Cámara trasera"},
    ),
    "handoff_camera_front": (
        "Continue on my phone: front camera",
        "",
        40,
        {"en": "Front camera", "de": "Frontkamera", "fr": "Caméra avant", "es": "Cámara frontal"},
    ),
    "handoff_phone_join": (
        "Continue on my phone: the phone's button",
        "",
        40,
        {"en": "Continue here", "de": "Hier fortsetzen", "fr": "Continuer ici", "es": "Continuar aquí"},
    ),
    "handoff_refused_used": (
        "Continue on my phone: code already used",
        "",
        300,
        {
            "en": "This code was already used. On your computer, choose the phone button again for a new code.",
            "de": "Dieser Code wurde schon benutzt. Tippen Sie am Computer erneut auf die Handy-Taste, um "
            "einen neuen Code zu erhalten.",
            "fr": "Ce code a déjà servi. Sur votre ordinateur, choisissez à nouveau le bouton téléphone pour "
            "obtenir un nouveau code.",
            "es": "Este código ya se usó. En su ordenador, pulse de nuevo el botón del móvil para obtener un "
            "código nuevo.",
        },
    ),
    "handoff_refused_expired": (
        "Continue on my phone: code expired",
        "",
        300,
        {
            "en": "This code has expired. On your computer, choose the phone button again for a new code.",
            "de": "Dieser Code ist abgelaufen. Tippen Sie am Computer erneut auf die Handy-Taste, um einen "
            "neuen Code zu erhalten.",
            "fr": "Ce code a expiré. Sur votre ordinateur, choisissez à nouveau le bouton téléphone pour "
            "obtenir un nouveau code.",
            "es": "Este código ha caducado. En su ordenador, pulse de nuevo el botón del móvil para obtener "
            "un código nuevo.",
        },
    ),
    "handoff_refused_ended": (
        "Continue on my phone: the call is over",
        "",
        300,
        {
            "en": "This call has ended, so it cannot move to this phone.",
            "de": "Dieser Anruf ist beendet und kann nicht mehr auf dieses Handy wechseln.",
            "fr": "Cet appel est terminé : il ne peut plus passer sur ce téléphone.",
            "es": "Esta llamada ha terminado y ya no puede pasar a este móvil.",
        },
    ),
    "system_call_handoff": (
        "Transcript: call moved to the consumer's phone",
        "agent_name media",
        300,
        {
            "en": "You continued the {media} call on your phone.",
            "de": "Sie haben den {media} auf Ihrem Handy fortgesetzt.",
            "fr": "Vous avez poursuivi l'{media} sur votre téléphone.",
            "es": "Ha continuado la {media} en su móvil.",
        },
    ),
}
