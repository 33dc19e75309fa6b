"""What a person reads about a refused request and why an agent may not call (issue 14 item 4, second round).

- `agent_error_text_<code>`: the explanation under the error notice's title (`agent_error_<code>`), per
  protocol error code; the server's English `message` is for developers and never shown.
- `agent_error_detail_<detail>`: the explanation when the `error` frame names the situation (`detail`,
  docs/protocol.md "Errors"), where one code covers very different cases; it wins over the code's text.
- `agent_permission_<code>`: why an agent may not start calls (`permission_reason_codes` of `hello` and
  `settings`), a sentence fragment that fills `{reason}` of agent_voice_off/agent_video_off/agent_check_not_allowed.
- The workspace's call sentences of the close dialog and the connection banner, and what the consumer's
  window says when no "Continue on my phone" code could be made.

`texts_errors.py` adds these to ERROR_TEXTS. Each entry: (label, placeholders, max length, (en, de, fr, es)).
"""

from __future__ import annotations

_CODE_TEXTS = {
    "forbidden": (
        "You are not allowed to do this.",
        "Das dürfen Sie nicht.",
        "Vous n'êtes pas autorisé à faire cela.",
        "No tiene permiso para hacer esto.",
    ),
    "not_found": (
        "It no longer exists. The list may be out of date; it refreshes by itself.",
        "Das gibt es nicht mehr. Die Liste ist vielleicht veraltet; sie aktualisiert sich von selbst.",
        "Cet élément n'existe plus. La liste n'est peut-être pas à jour ; elle se met à jour toute seule.",
        "Ya no existe. Puede que la lista no esté al día; se actualiza sola.",
    ),
    "invalid_state": (
        "This cannot be done in the current state of the conversation or call.",
        "Das ist im aktuellen Zustand der Unterhaltung oder des Anrufs nicht möglich.",
        "Impossible dans l'état actuel de la conversation ou de l'appel.",
        "No es posible en el estado actual de la conversación o la llamada.",
    ),
    "media_disabled": (
        "Support has switched this off for your account.",
        "Der Support hat das für Ihr Konto ausgeschaltet.",
        "Le support a désactivé cette fonction pour votre compte.",
        "El soporte lo ha desactivado para su cuenta.",
    ),
    "not_messaging": (
        "Calls are only possible in web messaging conversations, not in chat.",
        "Anrufe sind nur in Web-Messaging-Unterhaltungen möglich, nicht im Chat.",
        "Les appels ne sont possibles que dans les conversations de messagerie web, pas dans le chat.",
        "Las llamadas solo son posibles en conversaciones de mensajería web, no en el chat.",
    ),
    "rate_limited": (
        "Too many actions in a short time. Wait a moment, then try again.",
        "Zu viele Aktionen in kurzer Zeit. Warten Sie einen Moment und versuchen Sie es erneut.",
        "Trop d'actions en peu de temps. Patientez un instant, puis réessayez.",
        "Demasiadas acciones en poco tiempo. Espere un momento y vuelva a intentarlo.",
    ),
    "too_large": (
        "This is too long to send.",
        "Das ist zu lang zum Senden.",
        "C'est trop long pour être envoyé.",
        "Es demasiado largo para enviarlo.",
    ),
    "bad_request": (
        "The request could not be handled. Reload the page if this keeps happening.",
        "Die Anfrage konnte nicht bearbeitet werden. Laden Sie die Seite neu, wenn das wieder passiert.",
        "La demande n'a pas pu être traitée. Rechargez la page si cela se reproduit.",
        "No se pudo procesar la solicitud. Recargue la página si vuelve a ocurrir.",
    ),
    "unavailable": (
        "The service is briefly unavailable. Try again in a moment.",
        "Der Dienst ist kurz nicht erreichbar. Versuchen Sie es gleich noch einmal.",
        "Le service est momentanément indisponible. Réessayez dans un instant.",
        "El servicio no está disponible por un momento. Inténtelo de nuevo enseguida.",
    ),
    "expired": (
        "The invitation expired before it was answered.",
        "Die Einladung ist abgelaufen, bevor sie beantwortet wurde.",
        "L'invitation a expiré avant d'avoir reçu une réponse.",
        "La invitación caducó antes de ser respondida.",
    ),
    "other": (
        "Something went wrong. Try again.",
        "Etwas ist schiefgelaufen. Versuchen Sie es erneut.",
        "Un problème est survenu. Réessayez.",
        "Algo salió mal. Inténtelo de nuevo.",
    ),
}

_DETAIL_TEXTS = {
    "assigned_elsewhere": (
        "Another agent has this conversation now.",
        "Eine andere Person im Team betreut diese Unterhaltung jetzt.",
        "Un autre conseiller a maintenant cette conversation.",
        "Otro agente tiene ahora esta conversación.",
    ),
    "not_yours": (
        "This conversation is not assigned to you.",
        "Diese Unterhaltung ist Ihnen nicht zugewiesen.",
        "Cette conversation ne vous est pas attribuée.",
        "Esta conversación no está asignada a usted.",
    ),
    "conversation_closed": (
        "The conversation is closed.",
        "Die Unterhaltung ist geschlossen.",
        "La conversation est fermée.",
        "La conversación está cerrada.",
    ),
    "call_live": (
        "End the call before transferring the conversation.",
        "Beenden Sie den Anruf, bevor Sie die Unterhaltung weitergeben.",
        "Terminez l'appel avant de transférer la conversation.",
        "Finalice la llamada antes de transferir la conversación.",
    ),
    "already_yours": (
        "The conversation is already yours.",
        "Die Unterhaltung gehört bereits Ihnen.",
        "La conversation est déjà la vôtre.",
        "La conversación ya es suya.",
    ),
    "no_such_agent": (
        "This colleague is not in your account (any more).",
        "Diese Person gehört nicht (mehr) zu Ihrem Konto.",
        "Ce collègue ne fait pas (ou plus) partie de votre compte.",
        "Este compañero no está (ya) en su cuenta.",
    ),
    "colleague_offline": (
        "This colleague is not online. Choose another one or the queue.",
        "Diese Person ist nicht online. Wählen Sie jemand anderen oder die Warteschlange.",
        "Ce collègue n'est pas en ligne. Choisissez-en un autre ou la file d'attente.",
        "Este compañero no está en línea. Elija otro o la cola.",
    ),
    "message_too_long": (
        "The message is too long. Split it into shorter ones.",
        "Die Nachricht ist zu lang. Teilen Sie sie in kürzere auf.",
        "Le message est trop long. Divisez-le en messages plus courts.",
        "El mensaje es demasiado largo. Divídalo en mensajes más cortos.",
    ),
    "not_permitted": (
        "None of your profiles allows this. Ask an admin of your account.",
        "Keines Ihrer Profile erlaubt das. Fragen Sie eine Admin-Person Ihres Kontos.",
        "Aucun de vos profils ne le permet. Demandez à un administrateur de votre compte.",
        "Ninguno de sus perfiles lo permite. Consulte a un administrador de su cuenta.",
    ),
    "already_in_call": (
        "You are already in a call. End it first.",
        "Sie sind bereits in einem Anruf. Beenden Sie ihn zuerst.",
        "Vous êtes déjà en appel. Terminez-le d'abord.",
        "Ya está en una llamada. Finalícela primero.",
    ),
    "call_exists": (
        "This conversation already has a call.",
        "Diese Unterhaltung hat bereits einen Anruf.",
        "Cette conversation a déjà un appel.",
        "Esta conversación ya tiene una llamada.",
    ),
    "call_ended": (
        "The call has already ended.",
        "Der Anruf ist bereits beendet.",
        "L'appel est déjà terminé.",
        "La llamada ya ha terminado.",
    ),
    "share_video_only": (
        "Screens are shared only in video calls.",
        "Bildschirme werden nur in Videoanrufen geteilt.",
        "Le partage d'écran n'est possible que dans les appels vidéo.",
        "La pantalla solo se comparte en videollamadas.",
    ),
    "consumer_sharing": (
        "The consumer is already sharing a screen.",
        "Der Kunde teilt bereits einen Bildschirm.",
        "Le client partage déjà un écran.",
        "El cliente ya está compartiendo una pantalla.",
    ),
}

# Decision.code (settings_profiles/services.py) -> the fragment that fills {reason}.
PERMISSION_REASON_CODES = {
    "deactivated": (
        "your login is deactivated",
        "Ihr Login ist deaktiviert",
        "votre identifiant est désactivé",
        "su usuario está desactivado",
    ),
    "no_account": (
        "your login belongs to no account",
        "Ihr Login gehört zu keinem Konto",
        "votre identifiant n'appartient à aucun compte",
        "su usuario no pertenece a ninguna cuenta",
    ),
    "switched_off": (
        "support has switched them off for your account",
        "der Support hat sie für Ihr Konto ausgeschaltet",
        "le support les a désactivés pour votre compte",
        "el soporte las ha desactivado para su cuenta",
    ),
    "no_profile": (
        "none of your profiles allows them; ask an admin of your account",
        "keines Ihrer Profile erlaubt sie; fragen Sie eine Admin-Person Ihres Kontos",
        "aucun de vos profils ne les autorise ; demandez à un administrateur de votre compte",
        "ninguno de sus perfiles las permite; consulte a un administrador de su cuenta",
    ),
}


def _words(words: tuple[str, str, str, str]) -> dict[str, str]:
    return dict(zip(("en", "de", "fr", "es"), words, strict=True))


REFUSAL_TEXTS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    **{
        f"agent_error_text_{code}": (f"Error explanation: {code.replace('_', ' ')}", "", 300, _words(words))
        for code, words in _CODE_TEXTS.items()
    },
    **{
        f"agent_error_detail_{detail}": (f"Error explanation, case: {detail.replace('_', ' ')}", "", 300, _words(words))
        for detail, words in _DETAIL_TEXTS.items()
    },
    **{
        f"agent_permission_{code}": (f"Why calls are not allowed: {code.replace('_', ' ')}", "", 200, _words(words))
        for code, words in PERMISSION_REASON_CODES.items()
    },
    "agent_close_call_ends": (
        "Close dialog: the live call ends too",
        "name",
        300,
        _words(
            (
                "The live call with {name} ends, and they can no longer write in this conversation.",
                "Der laufende Anruf mit {name} endet, und {name} kann in dieser Unterhaltung nicht mehr schreiben.",
                "L'appel en cours avec {name} se termine, et {name} ne pourra plus écrire dans cette conversation.",
                "La llamada en curso con {name} termina y ya no podrá escribir en esta conversación.",
            )
        ),
    ),
    "handoff_failed": (
        "Continue on my phone: no code could be made",
        "",
        300,
        _words(
            (
                "No code could be made right now. Try again in a moment.",
                "Gerade konnte kein Code erstellt werden. Versuchen Sie es gleich noch einmal.",
                "Aucun code n'a pu être créé pour le moment. Réessayez dans un instant.",
                "No se pudo crear un código ahora. Inténtelo de nuevo en un momento.",
            )
        ),
    ),
    "agent_reconnecting_call": (
        "Workspace banner: connection lost, a call keeps running",
        "",
        300,
        _words(
            (
                "The connection to the server was lost. Reconnecting… a call in progress keeps running.",
                "Die Verbindung zum Server ist unterbrochen. Neuer Versuch… ein laufender Anruf geht weiter.",
                "La connexion au serveur a été perdue. Reconnexion… un appel en cours continue.",
                "Se perdió la conexión con el servidor. Reconectando… una llamada en curso continúa.",
            )
        ),
    ),
}
