"""`python app.py users ...`: add, list, disable, enable, change role, reset password.

A password is read from standard input when it is not a terminal (one line, for scripts:
``printf '%s\\n' "$PW" | python app.py users add ...``), otherwise asked twice without echo.
Passwords never appear on the command line, so they never land in shell history or ``ps``.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from etl.accounts import ROLES, AccountError, add_user, list_users, set_active, set_password, set_role
from etl.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser("users", help="manage sign-in accounts (viewer, analyst, admin)")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    a = sub.add_parser("add", help="add an account; the password is read from stdin or asked twice")
    a.add_argument("name", help="user name")
    a.add_argument("--role", required=True, choices=ROLES, help="viewer, analyst or admin")
    a.add_argument("--agency", help="agency code (required for an analyst)")
    a.set_defaults(func=cmd_add)

    s = sub.add_parser("list", help="list accounts with role, agency and whether active")
    s.set_defaults(func=cmd_list)

    d = sub.add_parser("disable", help="disable an account (it can no longer sign in)")
    d.add_argument("name", help="user name")
    d.set_defaults(func=cmd_disable)

    e = sub.add_parser("enable", help="enable a disabled account again")
    e.add_argument("name", help="user name")
    e.set_defaults(func=cmd_enable)

    r = sub.add_parser("set-role", help="change an account's role (and agency for an analyst)")
    r.add_argument("name", help="user name")
    r.add_argument("role", choices=ROLES, help="viewer, analyst or admin")
    r.add_argument("--agency", help="agency code (required for an analyst)")
    r.set_defaults(func=cmd_set_role)

    w = sub.add_parser("passwd", help="set a new password (read from stdin or asked twice)")
    w.add_argument("name", help="user name")
    w.set_defaults(func=cmd_passwd)


def _store(settings: Settings):
    from etl.store import Store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.database_url, settings.reference_dir)


def read_password(stdin: TextIO | None = None, ask: Callable[[str], str] = getpass.getpass) -> str:
    """One line from a non-terminal stdin, or typed twice (and matching) at a terminal."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = ask("Password: ")
    if first != ask("Password again: "):
        raise AccountError("the two passwords differ")
    return first


def _run(settings: Settings, action: Callable, done: str) -> int:
    store = _store(settings)
    try:
        action(store)
        store.audit("cli", "users", target=done[:255], outcome="ok")
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()
    print(done)
    return EXIT_OK


def cmd_add(settings: Settings, args) -> int:
    try:
        password = read_password()
    except (AccountError, EOFError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    agency = f" for agency {args.agency.upper()}" if args.agency and args.role == "analyst" else ""
    return _run(settings, lambda st: add_user(st, args.name, password, args.role, args.agency),
                f"added {args.name} ({args.role}{agency})")


def cmd_list(settings: Settings, args) -> int:
    store = _store(settings)
    try:
        users = list_users(store)
    finally:
        store.dispose()
    print(f"{'user':<24} {'role':<8} {'agency':<10} {'active':<7} created")
    for u in users:
        created = str(u.get("created_at") or "")[:19]
        print(f"{u['username']:<24} {u['role']:<8} {u['agency_code'] or '-':<10} "
              f"{'yes' if u['active'] else 'no':<7} {created}")
    return EXIT_OK


def cmd_disable(settings: Settings, args) -> int:
    return _run(settings, lambda st: set_active(st, args.name, False), f"disabled {args.name}")


def cmd_enable(settings: Settings, args) -> int:
    return _run(settings, lambda st: set_active(st, args.name, True), f"enabled {args.name}")


def cmd_set_role(settings: Settings, args) -> int:
    return _run(settings, lambda st: set_role(st, args.name, args.role, args.agency),
                f"{args.name} is now {args.role}" + (f" of {args.agency.upper()}"
                                                     if args.agency and args.role == "analyst" else ""))


def cmd_passwd(settings: Settings, args) -> int:
    try:
        password = read_password()
    except (AccountError, EOFError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return _run(settings, lambda st: set_password(st, args.name, password), f"new password set for {args.name}")

