"""Who may start a login: the Fetch Metadata check, and the page shown
instead of starting one when another site asked for it.

A pending login alone does not stop login CSRF: a page on another site can
make the victim's browser open the login route (a link, a form, an ``<img>``)
and then deliver the attacker's own callback, which the fresh pending login
would accept. So a login start that the browser marks as coming from another
site never creates a pending login by itself. The browser says so in
``Sec-Fetch-Site`` (all current browsers send it):

* ``same-origin`` (the app's own pages), ``none`` (a typed URL, a bookmark)
  and no header at all (old browsers, test clients, scripts): the login
  starts, as Authlib's ``GET /login`` convention expects;
* ``cross-site`` and ``same-site`` (and any other value, repeated headers
  included): a small page of ours with one link to the same URL. The user's
  click on it is a ``same-origin`` navigation, which no other site can
  produce, and the page can be neither framed
  (clickjacking) nor cached. ``same-site`` counts as foreign because sibling
  subdomains are often run by other people (shared hosting, user pages).

No token is needed: the browser's own marking of the click is the proof, and
browsers that send no Fetch Metadata are not protected by any check here
(see the threat model in the docs, *Security*).

Only a ``GET`` or a ``POST`` starts a login (:data:`START_METHODS`); any
other method is answered 405 and stores nothing. A ``HEAD`` above all: it is
CORS-safelisted (a page of another site can send it with the user's cookies
and no preflight) and Django's CSRF middleware does not check it. The
foreign-start check applies whatever the method.

These checks guard the login *start* only. A sibling subdomain can still write a
session cookie of the attacker's, holding the attacker's pending login, for
the parent domain and then send the victim to the callback: nothing here can
tell that session from the victim's own. Apps close that with a ``__Host-``
session cookie, and rotate the session on login (docs, *Security*,
"Sessions: sibling subdomains and fixation").
"""

from __future__ import annotations

import html

__all__ = [
    "CONFIRMATION_HEADERS",
    "FETCH_SITE_HEADER",
    "START_METHODS",
    "confirmation_page",
    "is_foreign_start",
]

FETCH_SITE_HEADER = "Sec-Fetch-Site"
#: The HTTP methods that may start a login (the ``Allow`` of a 405).
START_METHODS = ("GET", "POST")
#: The values that may start a login at once; any other (``cross-site``,
#: ``same-site``, a value no browser sends, repeated headers joined by the
#: server as ``cross-site, none``) is a foreign start.
_OWN = frozenset({"same-origin", "none"})

#: Response headers of the confirmation page: never framed, never cached.
CONFIRMATION_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}


def is_foreign_start(fetch_site: str | None) -> bool:
    """True when the browser says (in ``Sec-Fetch-Site``, given here; its
    repeats joined by commas) that another site asked for this login start:
    unless every value is ``same-origin`` or ``none``.

    Example::

        >>> is_foreign_start("cross-site"), is_foreign_start(None)
        (True, False)
        >>> is_foreign_start("cross-site, none"), is_foreign_start(" None ")
        (True, False)
    """
    if not isinstance(fetch_site, str):
        return False
    return not {value.strip().lower() for value in fetch_site.split(",")} <= _OWN


def confirmation_page(
    continue_url: str, *, site_name: str, site_address: str | None = None
) -> str:
    """The page shown for a login start another site asked for: one link,
    back to ``continue_url`` (this same route, as a path on this site).

    It names both sides apart: the app is "this site" (the one in the
    address bar), the provider ``site_name`` and the ``site_address`` of the
    account used (the demo app and the fake site are both on 127.0.0.1, and
    "Log in with 127.0.0.1?" named neither).

    Example::

        >>> page = confirmation_page("/login", site_name="Cash Social Network",
        ...                          site_address="cs.moneypoolscash.com")
        >>> "Log in to this site with Cash Social Network?" in page
        True
        >>> "your account at cs.moneypoolscash.com" in page
        True
    """
    link = html.escape(continue_url, quote=True)
    name = html.escape(site_name)
    address = html.escape(site_address or site_name)
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        f"<title>Log in to this site with {name}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:30em;margin:4em "
        "auto;padding:0 1em;color:#1c1e21}a.button{display:inline-block;"
        "background:#3b5998;color:#fff;text-decoration:none;border-radius:6px;"
        "padding:10px 18px}</style></head><body>"
        f"<h1>Log in to this site with {name}?</h1>"
        "<p>Another web site sent you here to log in. Continue only if you want "
        "to log in to this site, the one in your address bar, with your account "
        f"at {address}.</p>"
        f'<p><a id=continue class=button href="{link}">Continue to {name}</a> '
        '<a id=cancel href="/">Cancel</a></p></body></html>'
    )
