"""The window's own chrome (composer, greeting, status lines) in each supported locale.

These are not account texts: brands customise everything said about a call (the invitation and its
device note, the call's labels and status, errors, transcript lines: settings_profiles/texts.py); the
frame around them (greeting, composer, presence) speaks the visitor's language.
"""

from __future__ import annotations

from settings_profiles.texts import DEFAULT_LOCALE

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "chat": "Chat",
        "chat_title": "Messages",
        "chat_close": "Close the messages",
        "greeting": "Hi there! How can we help you today?",
        "reply_time": "We usually reply in a few minutes",
        "queued": "An agent will be with you shortly",
        "open": "Our support team is here",
        "closed": "This conversation has ended",
        "offline": "Reconnecting…",
        "placeholder": "Write a message…",
        "send": "Send",
        "minimize": "Minimise the messaging window",
        "new_conversation": "Start a new conversation",
        "send_failed": "Your message could not be sent. Please try again.",
        "start_failed": "We could not start a conversation. Please try again in a moment.",
        "you": "You",
        "encrypted": "Calls are end-to-end encrypted",
        "close": "Close",
    },
    "de": {
        "chat": "Chat",
        "chat_title": "Nachrichten",
        "chat_close": "Nachrichten schließen",
        "greeting": "Hallo! Wie können wir Ihnen helfen?",
        "reply_time": "Wir antworten meist innerhalb weniger Minuten",
        "queued": "Gleich ist jemand für Sie da",
        "open": "Unser Support-Team ist für Sie da",
        "closed": "Diese Unterhaltung ist beendet",
        "offline": "Verbindung wird wiederhergestellt…",
        "placeholder": "Nachricht schreiben…",
        "send": "Senden",
        "minimize": "Nachrichtenfenster minimieren",
        "new_conversation": "Neue Unterhaltung beginnen",
        "send_failed": "Ihre Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
        "start_failed": "Die Unterhaltung konnte nicht gestartet werden. Bitte versuchen Sie es gleich noch einmal.",
        "you": "Sie",
        "encrypted": "Anrufe sind Ende-zu-Ende-verschlüsselt",
        "close": "Schließen",
    },
    "fr": {
        "chat": "Messages",
        "chat_title": "Messages",
        "chat_close": "Fermer les messages",
        "greeting": "Bonjour ! Comment pouvons-nous vous aider ?",
        "reply_time": "Nous répondons en général en quelques minutes",
        "queued": "Un conseiller arrive dans un instant",
        "open": "Notre équipe est là pour vous",
        "closed": "Cette conversation est terminée",
        "offline": "Reconnexion…",
        "placeholder": "Écrivez un message…",
        "send": "Envoyer",
        "minimize": "Réduire la fenêtre de messagerie",
        "new_conversation": "Commencer une nouvelle conversation",
        "send_failed": "Votre message n'a pas pu être envoyé. Veuillez réessayer.",
        "start_failed": "La conversation n'a pas pu démarrer. Réessayez dans un instant.",
        "you": "Vous",
        "encrypted": "Les appels sont chiffrés de bout en bout",
        "close": "Fermer",
    },
    "es": {
        "chat": "Chat",
        "chat_title": "Mensajes",
        "chat_close": "Cerrar los mensajes",
        "greeting": "¡Hola! ¿En qué podemos ayudarle?",
        "reply_time": "Solemos responder en pocos minutos",
        "queued": "Un agente le atenderá en breve",
        "open": "Nuestro equipo está aquí",
        "closed": "Esta conversación ha terminado",
        "offline": "Reconectando…",
        "placeholder": "Escriba un mensaje…",
        "send": "Enviar",
        "minimize": "Minimizar la ventana de mensajes",
        "new_conversation": "Iniciar una nueva conversación",
        "send_failed": "No se pudo enviar su mensaje. Inténtelo de nuevo.",
        "start_failed": "No se pudo iniciar la conversación. Inténtelo de nuevo en un momento.",
        "you": "Usted",
        "encrypted": "Las llamadas están cifradas de extremo a extremo",
        "close": "Cerrar",
    },
}

UNAVAILABLE: dict[str, dict[str, str]] = {
    "account": {
        "title": "Messaging is not available",
        "text": "This messaging window is not set up for this site. Please use the site's other contact options.",
    },
    "token": {
        "title": "This call link does not work",
        "text": "The link is not valid or has expired. Go back to the conversation and start the call again.",
    },
    "handoff": {
        "title": "This code does not work",
        "text": "Check the link, or show a new code on your computer: in the call, choose the phone button.",
    },
    "busy": {
        "title": "Too many tries",
        "text": "Wait a minute, then open the link again.",
    },
}


def words_for(locale: str) -> dict[str, str]:
    return WORDS.get(locale, WORDS[DEFAULT_LOCALE])
