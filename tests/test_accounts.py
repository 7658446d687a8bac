"""Accounts: argon2 hashes, roles and agency binding, demo accounts, the `users` commands."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

import app
from dashboard import accounts_cli
from etl import accounts
from etl.accounts import AccountError, User
from etl.settings import load_settings
from etl.store import Store
from tests.conftest import make_settings


def test_passwords_are_stored_as_argon2_hashes(sqlite_store):
    accounts.add_user(sqlite_store, "ana", "correct horse", "analyst", "jpn")
    row = sqlite_store.user("ana")
    assert row["password_hash"].startswith("$argon2") and "correct horse" not in row["password_hash"]
    assert row["agency_code"] == "JPN"
    assert accounts.authenticate(sqlite_store, "ana", "correct horse") == User("ana", "analyst", "JPN")
    assert accounts.authenticate(sqlite_store, "ana", "wrong password") is None
    assert accounts.authenticate(sqlite_store, "nobody", "correct horse") is None


@pytest.mark.parametrize("name,password,role,agency,why", [
    ("x1", "long enough", "analyst", None, "bound to an agency"),
    ("x2", "long enough", "analyst", "NOPE", "unknown agency"),
    ("x3", "short", "viewer", None, "at least 8"),
    ("x4", "long enough", "boss", None, "unknown role"),
    ("bad name!", "long enough", "viewer", None, "user name"),
])
def test_bad_accounts_are_refused(sqlite_store, name, password, role, agency, why):
    with pytest.raises(AccountError, match=why):
        accounts.add_user(sqlite_store, name, password, role, agency)


def test_only_analysts_hold_an_agency_and_duplicates_are_refused(sqlite_store):
    accounts.add_user(sqlite_store, "vee", "long enough", "viewer", "JPN")
    assert sqlite_store.user("vee")["agency_code"] is None
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_user(sqlite_store, "vee", "long enough", "viewer")


def test_role_rules_deny_by_default():
    viewer, jpn, admin = User("v", "viewer"), User("a", "analyst", "JPN"), User("root", "admin")
    unbound, odd = User("u", "analyst", None), User("o", "owner")
    assert not viewer.can_use_returns() and not unbound.can_use_returns() and not odd.can_use_returns()
    assert jpn.can_use_returns() and admin.can_use_returns()
    assert jpn.can_submit_for("JPN") and not jpn.can_submit_for("LHDN") and not jpn.can_submit_for(None)
    assert admin.can_submit_for("LHDN") and not viewer.can_submit_for("JPN")
    assert jpn.can_see_submission({"JPN"}) and not jpn.can_see_submission({"JPN", "LHDN"})
    assert not jpn.can_see_submission(set(), "someone") and jpn.can_see_submission(set(), "a")
    assert admin.can_see_submission({"LHDN"}) and not viewer.can_see_submission({"JPN"})


def test_disable_and_role_changes_take_effect_on_the_next_request(sqlite_store):
    accounts.add_user(sqlite_store, "root", "long enough", "admin")
    accounts.add_user(sqlite_store, "ana", "long enough", "analyst", "JPN")
    accounts.set_role(sqlite_store, "ana", "viewer")
    assert accounts.load_user(sqlite_store, "ana") == User("ana", "viewer", None)
    accounts.set_active(sqlite_store, "ana", False)
    assert accounts.load_user(sqlite_store, "ana") is None
    assert accounts.authenticate(sqlite_store, "ana", "long enough") is None
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_active(sqlite_store, "root", False)
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_role(sqlite_store, "root", "viewer")
    with pytest.raises(AccountError, match="no user"):
        accounts.set_active(sqlite_store, "ghost", False)


def test_a_new_password_ends_older_sessions(sqlite_store):
    accounts.add_user(sqlite_store, "ana", "long enough", "analyst", "JPN")
    stamp = accounts.password_stamp(sqlite_store.user("ana"))
    assert accounts.load_user(sqlite_store, "ana", stamp) is not None
    accounts.set_password(sqlite_store, "ana", "another secret")
    assert accounts.load_user(sqlite_store, "ana", stamp) is None


def test_demo_passwords_stop_working_when_demo_accounts_are_off(sqlite_store):
    assert sorted(accounts.create_demo_accounts(sqlite_store)) == ["admin", "analyst.jpn", "analyst.lhdn", "viewer"]
    assert accounts.authenticate(sqlite_store, "analyst.jpn", "analyst-demo-2026").agency_code == "JPN"
    assert accounts.authenticate(sqlite_store, "analyst.jpn", "analyst-demo-2026", allow_demo=False) is None
    accounts.set_password(sqlite_store, "admin", "a private password")
    assert sorted(accounts.retire_demo_accounts(sqlite_store)) == ["analyst.jpn", "analyst.lhdn", "viewer"]
    assert accounts.load_user(sqlite_store, "viewer") is None
    assert accounts.load_user(sqlite_store, "admin") is not None


# ---- the command line ----------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    for key, value in {"NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": "2026-11-26"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NAIO_DATABASE_URL", raising=False)
    return settings


def _run(monkeypatch, argv: list[str], stdin: str = "") -> int:
    """``python app.py users ...`` as the command line runs it (settings from the environment)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    parser = argparse.ArgumentParser(prog="app.py")
    accounts_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(load_settings(), args)


def test_users_commands(cli_env, monkeypatch, capsys):
    assert _run(monkeypatch, ["users", "add", "root", "--role", "admin"], "admin secret 1\n") == 0
    assert _run(monkeypatch, ["users", "add", "ana", "--role", "analyst", "--agency", "jpn"], "ana secret 1\n") == 0
    assert _run(monkeypatch, ["users", "add", "bob", "--role", "analyst"], "bob secret 1\n") == 1
    assert "bound to an agency" in capsys.readouterr().err
    assert _run(monkeypatch, ["users", "set-role", "ana", "analyst", "--agency", "LHDN"]) == 0
    assert _run(monkeypatch, ["users", "disable", "ana"]) == 0
    capsys.readouterr()
    assert _run(monkeypatch, ["users", "list"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("ana "))
    assert "analyst" in line and "LHDN" in line and " no " in line
    assert "secret" not in out
    store = Store.open(cli_env.database_url, cli_env.reference_dir)
    try:
        assert accounts.authenticate(store, "root", "admin secret 1").role == "admin"
        assert not store.user("ana")["active"]
    finally:
        store.dispose()


def test_password_is_asked_twice_at_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["first try", "second try"])
    with pytest.raises(AccountError, match="differ"):
        accounts_cli.read_password(Tty(), ask=lambda _prompt: next(answers))
    same = iter(["same secret", "same secret"])
    assert accounts_cli.read_password(Tty(), ask=lambda _prompt: next(same)) == "same secret"
    assert accounts_cli.read_password(io.StringIO("piped secret\nignored\n")) == "piped secret"


def test_users_commands_have_help():
    parser = app.build_parser()
    users = parser._subparsers._group_actions[0].choices["users"]
    actions = users._subparsers._group_actions[0]
    assert set(actions.choices) == {"add", "list", "disable", "enable", "set-role", "passwd"}
    assert all(a.help for a in actions._choices_actions)
