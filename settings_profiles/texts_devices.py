"""The device picker's customisable texts (issue 16): microphone, camera and speaker, before and during a call.

Kept beside texts.py (which adds them to TEXT_KEYS) so that catalogue stays readable. Each entry is
(label in the console, allowed placeholders, length limit, built-in default per locale).
"""

from __future__ import annotations

DEVICE_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    "devices_button": (
        "Devices button",
        "",
        40,
        {"en": "Devices", "de": "Geräte", "fr": "Appareils", "es": "Dispositivos"},
    ),
    "devices_title": (
        "Devices: title",
        "",
        80,
        {
            "en": "Microphone and camera",
            "de": "Mikrofon und Kamera",
            "fr": "Micro et caméra",
            "es": "Micrófono y cámara",
        },
    ),
    "devices_hint": (
        "Devices: what the picker does",
        "",
        200,
        {
            "en": "Choose what to use in this call. Changes apply at once and are remembered on this device.",
            "de": "Wählen Sie, was Sie in diesem Anruf nutzen. Änderungen gelten sofort und werden auf diesem Gerät gemerkt.",
            "fr": "Choisissez ce que vous utilisez pour cet appel. Les changements s'appliquent tout de suite et sont mémorisés sur cet appareil.",
            "es": "Elija qué usar en esta llamada. Los cambios se aplican al momento y se recuerdan en este dispositivo.",
        },
    ),
    "device_microphone": (
        "Devices: microphone",
        "",
        40,
        {"en": "Microphone", "de": "Mikrofon", "fr": "Micro", "es": "Micrófono"},
    ),
    "device_camera": ("Devices: camera", "", 40, {"en": "Camera", "de": "Kamera", "fr": "Caméra", "es": "Cámara"}),
    "device_speaker": (
        "Devices: speaker",
        "",
        40,
        {"en": "Speaker", "de": "Lautsprecher", "fr": "Haut-parleur", "es": "Altavoz"},
    ),
    "device_level": (
        "Devices: microphone level",
        "",
        60,
        {"en": "Microphone level", "de": "Mikrofonpegel", "fr": "Niveau du micro", "es": "Nivel del micrófono"},
    ),
    "devices_camera_off": (
        "Devices: the camera is off",
        "",
        200,
        {
            "en": "Your camera is off. The camera you choose is used when you turn it on.",
            "de": "Ihre Kamera ist aus. Die gewählte Kamera wird genutzt, sobald Sie sie einschalten.",
            "fr": "Votre caméra est désactivée. La caméra choisie sera utilisée quand vous l'activerez.",
            "es": "Su cámara está apagada. La cámara elegida se usará cuando la encienda.",
        },
    ),
    "devices_done": ("Devices: close button", "", 40, {"en": "Done", "de": "Fertig", "fr": "Terminé", "es": "Listo"}),
    "device_lost_microphone": (
        "Notice: microphone unplugged",
        "",
        200,
        {
            "en": "Your microphone was disconnected. The default microphone is used now.",
            "de": "Ihr Mikrofon wurde getrennt. Jetzt wird das Standardmikrofon genutzt.",
            "fr": "Votre micro a été déconnecté. Le micro par défaut est utilisé.",
            "es": "Se desconectó su micrófono. Ahora se usa el micrófono predeterminado.",
        },
    ),
    "device_lost_camera": (
        "Notice: camera unplugged",
        "",
        200,
        {
            "en": "Your camera was disconnected. The default camera is used now.",
            "de": "Ihre Kamera wurde getrennt. Jetzt wird die Standardkamera genutzt.",
            "fr": "Votre caméra a été déconnectée. La caméra par défaut est utilisée.",
            "es": "Se desconectó su cámara. Ahora se usa la cámara predeterminada.",
        },
    ),
    "device_lost_speaker": (
        "Notice: speaker unplugged",
        "",
        200,
        {
            "en": "Your speaker was disconnected. Sound plays on the default output now.",
            "de": "Ihr Lautsprecher wurde getrennt. Der Ton kommt jetzt über die Standardausgabe.",
            "fr": "Votre haut-parleur a été déconnecté. Le son passe par la sortie par défaut.",
            "es": "Se desconectó su altavoz. El sonido sale ahora por la salida predeterminada.",
        },
    ),
}
