"""Security headers on every response. Imported by consoleproj/settings.py."""

from __future__ import annotations

from csp.constants import NONE, SELF, UNSAFE_INLINE

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every page we serve (django-csp): our own scripts only, no inline or
# eval'd code, sockets and fetches to this origin, framed by nobody. Inline *styles* stay allowed:
# templates set a few style attributes (account colours). The engagement window, which brands frame,
# widens frame-ancestors in its view; the demo brand page is a stand-in for a brand's site and exempt.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
