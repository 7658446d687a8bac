"""Sign-in, sign-out, session cookies and the deny-by-default guard, over HTTP."""

from __future__ import annotations

import pytest
from flask import Flask

from dashboard import auth
from dashboard.server import create_app
from etl import accounts
from etl.store import Store
from tests.conftest import make_settings, post_sign_in

PASSWORD = "auth-routes-secret"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("auth"), NAIO_DEMO_ACCOUNTS="0")
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    accounts.create_demo_accounts(store)  # left over from an earlier demo: must not work now
    accounts.add_user(store, "ana", PASSWORD, "analyst", "JPN")
    accounts.add_user(store, "root", PASSWORD, "admin")
    app = create_app(settings, store)
    app.server.test_client().get("/healthz")
    yield app.server, store
    store.dispose()


def sign_in(server, username: str, password: str = PASSWORD, nxt: str = "/"):
    client = server.test_client()
    response = post_sign_in(client, username, password, next=nxt)
    return client, response


def refused(store: Store, actor: str | None = None) -> int:
    log = store.table("audit_log")
    log = log[log["outcome"] == "refused"]
    return len(log if actor is None else log[log["actor"] == actor])


@pytest.mark.parametrize("path", ["/", "/submit", "/submissions", "/admin"])
def test_pages_need_a_session(site, path):
    server, _ = site
    r = server.test_client().get(path)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies"])
def test_dash_endpoints_need_a_session(site, path):
    assert site[0].test_client().get(path).status_code == 401


@pytest.mark.parametrize("method,path", [("post", "/_dash-update-component"), ("get", "/download/template"),
                                         ("get", "/download/original/1"), ("get", "/download/errors/1")])
def test_callbacks_and_downloads_without_a_session_are_refused_and_audited(site, method, path):
    server, store = site
    before = refused(store, "anonymous")
    r = getattr(server.test_client(), method)(path, json={} if method == "post" else None)
    assert r.status_code == 401
    assert refused(store, "anonymous") == before + 1


def test_open_routes_need_no_session(site):
    server, _ = site
    client = server.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)


def test_a_sign_in_posted_without_this_browsers_form_token_is_refused(site):
    """Another site can post the sign-in form (to sign a visitor in under an account of its
    choosing) but cannot read the token of the form this browser was given: refused, audited,
    and no session. A page left open across sessions asks again."""
    from dashboard.auth import LOGIN_TOKEN, token_in_page

    server, store = site
    before = refused(store, "ana")
    attacker = server.test_client()
    forged = attacker.post("/login", data={"username": "ana", "password": PASSWORD})
    assert forged.status_code == 400 and "expired" in forged.get_data(as_text=True)
    assert attacker.get("/_dash-layout").status_code == 401
    other = server.test_client()  # a real token, of another browser's session
    token = token_in_page(other.get("/login").get_data(as_text=True))
    assert token and attacker.post("/login", data={"username": "ana", "password": PASSWORD,
                                                   LOGIN_TOKEN: token}).status_code == 400
    assert attacker.get("/_dash-layout").status_code == 401
    assert refused(store, "ana") == before + 2
    assert post_sign_in(attacker, "ana", PASSWORD).status_code == 302  # its own page's token
    assert attacker.get("/_dash-layout").status_code == 200


def test_sign_in_sets_an_httponly_samesite_cookie_and_sign_out_ends_it(site):
    server, store = site
    client, r = sign_in(server, "ana", nxt="/submit")
    assert r.status_code == 302 and r.headers["Location"] == "/submit"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("naio_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert client.get("/_dash-layout").status_code == 200
    asked = client.get("/logout")  # a link, or another site's image: asks, signs nobody out
    assert asked.status_code == 200 and 'method="post" action="/logout"' in asked.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/submit").status_code == 302
    actions = store.table("audit_log")["action"].tolist()
    assert "sign-in" in actions and "sign-out" in actions


def test_a_session_lasts_eight_hours_from_its_last_request_its_cookie_renewed_every_five_minutes(site, monkeypatch):
    import time

    server, _ = site
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])  # Flask's signer and the renewal read it

    def expiry(response) -> str | None:
        cookie = response.headers.get("Set-Cookie")
        return cookie.split("Expires=")[1].split(";")[0] if cookie else None

    client, r = sign_in(server, "ana")
    assert r.status_code == 302 and expiry(r)
    ok = client.get("/_dash-layout")
    assert ok.status_code == 200 and expiry(ok) is None  # not signed and sent again on every response
    clock[0] += 20 * 60
    static = client.get("/assets/myds.css")  # files open to all leave the session alone
    assert static.status_code == 200 and expiry(static) is None and "Cookie" not in static.headers.get("Vary", "")
    for _ in range(12):  # four hours of use: a request every 20 minutes renews it each time
        clock[0] += 20 * 60
        renewed = client.get("/_dash-layout")
        assert renewed.status_code == 200 and expiry(renewed)
        clock[0] += 60
        assert expiry(client.get("/_dash-layout")) is None
    clock[0] += auth.SESSION_HOURS * 3600 - 120  # idle for just under 8 hours since the last renewal
    assert client.get("/_dash-layout").status_code == 200
    other, _ = sign_in(server, "ana")
    clock[0] += 10 * 60
    out = other.post("/logout")  # due for renewal, but signed out: the cookie is deleted, not renewed
    assert out.status_code == 302 and out.headers["Set-Cookie"].startswith("naio_session=;")
    clock[0] += auth.SESSION_HOURS * 3600 + 1  # then idle for longer: over, even with the cookie resent
    client.set_cookie("naio_session", client.get_cookie("naio_session").value)
    assert client.get("/_dash-layout").status_code == 401


def test_wrong_password_is_refused_and_audited(site):
    server, store = site
    before = refused(store, "ana")
    _, r = sign_in(server, "ana", "not the password")
    assert r.status_code == 200 and "Wrong user name or password" in r.get_data(as_text=True)
    assert "Set-Cookie" not in r.headers or "naio_session=;" in r.headers.get("Set-Cookie", "")
    assert refused(store, "ana") == before + 1


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(site, target):
    _, r = sign_in(site[0], "ana", nxt=target)
    assert r.headers["Location"] == "/"


def test_demo_passwords_do_not_sign_in_when_demo_accounts_are_off(site):
    server, store = site
    for username, password, _, _ in accounts.DEMO_ACCOUNTS:
        _, r = sign_in(server, username, password)
        assert r.status_code == 200, username
        assert not store.user(username)["active"]


def test_a_disabled_account_loses_its_session_at_once(site):
    server, store = site
    accounts.add_user(store, "temp", PASSWORD, "viewer")
    client, _ = sign_in(server, "temp")
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_active(store, "temp", False)
    assert client.get("/_dash-layout").status_code == 401
    assert client.post("/_dash-update-component", json={}).status_code == 401


def test_a_password_change_ends_other_sessions(site):
    server, store = site
    accounts.add_user(store, "temp2", PASSWORD, "viewer")
    client, _ = sign_in(server, "temp2")
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_password(store, "temp2", "a brand new secret")
    assert client.get("/_dash-layout").status_code == 401


def test_a_forged_cookie_is_not_a_session(site):
    server, _ = site
    client = server.test_client()
    client.set_cookie("naio_session", "eyJ1c2VyIjoicm9vdCJ9.forged.signature")
    assert client.get("/admin").status_code == 302


class _Settings:
    """Just what ``auth.init_app`` reads."""

    def __init__(self, tmp_path, secure: bool):
        self.secret_key, self.data_dir, self.demo_accounts = "k" * 32, tmp_path, True
        self.secure_cookies = secure


@pytest.mark.parametrize("secure", [True, False])
def test_secure_cookies_when_asked(tmp_path, sqlite_store, secure):
    server = Flask("t")
    auth.init_app(server, _Settings(tmp_path, secure), sqlite_store)
    assert server.config["SESSION_COOKIE_SECURE"] is secure
    assert server.config["SESSION_COOKIE_NAME"] == ("__Host-naio_session" if secure else "naio_session")
    assert server.config["SESSION_COOKIE_HTTPONLY"] and server.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_forbidden_callback_answers_403(tmp_path, sqlite_store):
    server = Flask("t")
    auth.init_app(server, _Settings(tmp_path, False), sqlite_store)
    server.add_url_rule("/x", "x", lambda: auth.require(lambda _u: False, "x") and "")
    accounts.add_user(sqlite_store, "vee", PASSWORD, "viewer")
    client = server.test_client()
    post_sign_in(client, "vee", PASSWORD)
    assert client.get("/x").status_code == 403
    assert refused(sqlite_store, "vee") == 1
