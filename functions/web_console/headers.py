"""The headers every console answer carries: a strict Content-Security-Policy and friends.

The policy allows this origin's own scripts, styles and API calls and nothing else: no
inline script or style, no eval, no third-party host, no framing, no plug-ins. Trusted
Types with no policy makes the browser refuse every HTML-string sink (innerHTML and the
like): the page builds its DOM from elements and text nodes only, so data shown from the
API can never become markup.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        # The page's icon is an inline data: image; nothing else is an image.
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "X-Frame-Options": "DENY",
}
