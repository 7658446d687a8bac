"""Sign-in, sessions and the server-side guard. Deny by default.

Every request passes ``_guard``: only the sign-in page, static assets and the health check
are open; everything else (pages, Dash callbacks, downloads, API) needs a signed-in, active
user. Finer rules (an analyst only for their agency, admin-only actions) are checked again
inside each callback or route with ``require``; hiding a button is never the check.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from urllib.parse import urlparse

from flask import Flask, Response, abort, current_app, g, redirect, request, session

from etl.accounts import User, authenticate, load_user, password_stamp, retire_demo_accounts
from etl.settings import Settings
from etl.store import Store

OPEN_PREFIXES = ("/login", "/assets/", "/healthz", "/favicon.ico", "/_dash-component-suites/")
SESSION_HOURS = 8  # a session ends after this long without a request
SESSION_RENEW_SECONDS = 300  # a signed-in session's cookie is signed and sent again at most this often


class Forbidden(PermissionError):
    """Raised inside callbacks when the signed-in user may not do something."""


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def secure_cookies(settings: Settings, server: Flask) -> bool:
    """Session cookies are marked Secure when NAIO_SECURE_COOKIES=1 (serve over HTTPS then)."""
    return bool(getattr(settings, "secure_cookies", False) or server.config.get("NAIO_SECURE_COOKIES"))


def init_app(server: Flask, settings: Settings, store: Store) -> None:
    server.secret_key = secret_key(settings)
    secure = secure_cookies(settings, server)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        # the __Host- prefix makes browsers refuse the cookie unless Secure, host-only, path /
        SESSION_COOKIE_NAME="__Host-naio_session" if secure else "naio_session",
        PERMANENT_SESSION_LIFETIME=SESSION_HOURS * 3600,
        SESSION_REFRESH_EACH_REQUEST=False,  # renewed by _renew_session instead
    )
    server.config["NAIO_STORE"] = store
    server.config["NAIO_DEMO_ACCOUNTS"] = bool(settings.demo_accounts)
    if not settings.demo_accounts:
        retire_demo_accounts(store)
    server.before_request(_guard)
    server.after_request(_renew_session)
    server.register_error_handler(Forbidden, _forbidden)
    server.add_url_rule("/login", "login", _login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout, methods=["GET", "POST"])


def _renew_session(response: Response) -> Response:
    """Keep a signed-in session running for ``SESSION_HOURS`` after its last request, renewing
    its cookie (signed again, with a new expiry) at most once every ``SESSION_RENEW_SECONDS``.

    Flask's default renews a lasting session's cookie on every response. A page view is a
    page, its layout and several callback requests, so the server signed and sent the cookie
    for each of them. With twenty clients at national scale, in 15 s load runs: 1,022-1,063
    page views and callback p95 11.5-12.1 ms that way, 1,192-1,233 views and 10.0-10.5 ms
    renewed this way. The session still ends 8 hours after its last request, to within five
    minutes; the signature's timestamp, which the server checks, is renewed with it. Only a
    request the guard let through for a signed-in user renews it, and only while the session
    is still signed in (a sign-out's response deletes the cookie): static files leave the
    session untouched (and so carry no ``Vary: Cookie``)."""
    if g.get("naio_user") is not None and session.get("user"):
        now = int(time.time())
        if now - int(session.get("renewed") or 0) >= SESSION_RENEW_SECONDS:
            session["renewed"] = now
    return response


def _forbidden(_exc: Forbidden) -> Response:
    """A callback that raised ``Forbidden`` answers 403 (the refusal was audited by ``require``)."""
    return Response("not allowed", status=403, mimetype="text/plain")


def _store() -> Store:
    return current_app.config["NAIO_STORE"]


def current_user() -> User | None:
    """The signed-in user of this request (None outside a request or when signed out)."""
    try:
        if "naio_user" in g:
            return g.naio_user
        name = session.get("user")
        stamp = session.get("stamp") or ""
    except RuntimeError:
        return None
    user = load_user(_store(), name, stamp) if name else None
    g.naio_user = user
    return user


def _guard():
    path = request.path
    if path == "/" or not path.startswith(OPEN_PREFIXES):
        user = current_user()
        if user is None:
            if path.startswith(("/_dash", "/api/", "/download/")):
                _audit_refusal("anonymous", path)
                if path.startswith("/api/"):  # what the API answers is JSON, refusals included
                    return Response('{"error": "sign in required"}', status=401, mimetype="application/json")
                return Response("sign in required", status=401)
            return redirect(f"/login?next={_safe_next(request.full_path)}")
    return None


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    target = (target or "/").rstrip("?")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _audit_refusal(actor: str, target: str, detail: str = "") -> None:
    try:
        _store().audit(actor, "access", target=target[:255], outcome="refused", detail=detail)
    except Exception:  # auditing must never turn a refusal into a crash
        pass


def require(check: Callable[[User], bool], action: str, target: str = "") -> User:
    """The current user if ``check`` allows the action; otherwise audit and raise ``Forbidden``."""
    user = current_user()
    if user is None or not check(user):
        _audit_refusal(user.username if user else "anonymous", target or action, f"refused: {action}")
        raise Forbidden(f"not allowed: {action}")
    return user


def page_user(check: Callable[[User], bool], action: str) -> User | None:
    """For page layouts: the user if allowed, else None after auditing the refusal."""
    try:
        return require(check, action, action)
    except Forbidden:
        return None


def route_requires(check: Callable[[User], bool], action: str):
    """Decorator for Flask routes: 403 (audited) unless ``check(user)``."""

    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            try:
                require(check, action, request.path)
            except Forbidden:
                abort(403)
            return fn(*args, **kwargs)

        return inner

    return wrap


LOGIN_TOKEN = "login_token"  # form field and session key of the sign-in form's token


def _login():
    error, status = "", 200
    nxt = _safe_next(request.values.get("next"))
    if request.method == "POST":
        name = request.form.get("username", "")[:64] or "-"
        if not _login_token_matches():
            # Not our sign-in page in this browser: another site posting to it (which would sign
            # the visitor in under an account of its choosing), or a page open since before the
            # browser's session ended.
            _store().audit(name, "sign-in", outcome="refused", detail="the sign-in form was not this site's own")
            error, status = ("The sign-in page had expired: please sign in again. / "
                             "Halaman log masuk telah tamat tempoh: sila log masuk semula."), 400
        else:
            user = authenticate(_store(), request.form.get("username", ""), request.form.get("password", ""),
                                allow_demo=current_app.config.get("NAIO_DEMO_ACCOUNTS", True))
            if user:
                session.clear()
                session["user"] = user.username
                session["stamp"] = password_stamp(_store().user(user.username))
                session.permanent = True
                session["renewed"] = int(time.time())  # see _renew_session
                _store().audit(user.username, "sign-in", outcome="ok")
                return redirect(nxt)
            _store().audit(name, "sign-in", outcome="refused")
            error = "Wrong user name or password. / Nama pengguna atau kata laluan salah."
    return Response(_login_page(error, nxt, _login_token()), status=status, mimetype="text/html")


def _login_token() -> str:
    """The token the sign-in form carries, kept in this browser's session cookie (which a
    cross-site POST does not send: SameSite=Lax)."""
    if not session.get(LOGIN_TOKEN):
        session[LOGIN_TOKEN] = secrets.token_urlsafe(24)
    return session[LOGIN_TOKEN]


def token_in_page(page: str) -> str:
    """The sign-in form's token in a sign-in page's HTML (for clients that sign in without a
    browser: the bench, the tests)."""
    found = re.search(rf'name="{LOGIN_TOKEN}" value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def _login_token_matches() -> bool:
    expected, given = session.get(LOGIN_TOKEN) or "", request.form.get(LOGIN_TOKEN) or ""
    return bool(expected) and secrets.compare_digest(expected.encode(), given.encode())


def _logout():
    """POST signs out. A GET (a link or an address typed, or another site's image or page)
    changes nothing: it shows a button that signs out."""
    if request.method != "POST":
        return Response(_signout_page(), mimetype="text/html")
    user = session.get("user")
    session.clear()
    if user:
        _store().audit(user, "sign-out", outcome="ok")
    return redirect("/login")


def _signout_page() -> str:
    return card_page("Sign out", "Sign out? / Log keluar?", f"""<form method="post" action="/logout">\
<button type="submit" class="btn-primary">Sign out / Log keluar</button></form>
{BACK_TO_DASHBOARD}""")


def _login_page(error: str, nxt: str, token: str) -> str:
    err = f'<p class="login-error" role="alert">{html.escape(error)}</p>' if error else ""
    return card_page("Sign in", "National AI Adoption Dashboard", f"""<p class="muted">Sign in / Log masuk</p>{err}
<form method="post" action="/login">
<input type="hidden" name="next" value="{html.escape(nxt)}">
<input type="hidden" name="{LOGIN_TOKEN}" value="{html.escape(token)}">
<label for="username">User name / Nama pengguna</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Password / Kata laluan</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="btn-primary">Sign in / Log masuk</button>
</form>""")


BACK_TO_DASHBOARD = ('<p><a href="/">Back to the dashboard</a> / '
                     '<a href="/?lang=ms" lang="ms">Kembali ke papan pemuka</a></p>')


def card_page(title: str, heading: str, body: str) -> str:
    """A page of its own outside the dashboard (sign-in, sign-out, a refused download): a card
    with a heading and ``body`` (HTML, escaped by the caller), in the product's style."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - NAIO AI Adoption Dashboard</title><link rel="stylesheet" href="/assets/myds.css"></head>
<body class="login-body"><main class="login-card" aria-labelledby="card-title">
<h1 id="card-title">{html.escape(heading)}</h1>
{body}
</main></body></html>"""
