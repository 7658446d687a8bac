"""User accounts: hashed passwords (argon2), roles, agency binding.

Roles: ``viewer`` (reads the dashboard), ``analyst`` (bound to one agency: its returns and
KPIs), ``admin`` (everything). Nothing is allowed unless a rule below allows it.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from etl.store import Store

ROLES = ("viewer", "analyst", "admin")
# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) rather than the
# library's default of 64 MiB: a burst of sign-ins on a small server stays within its
# memory budget. Hashes made with other parameters (older accounts) still verify, each
# with its own parameters.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MIN_PASSWORD = 8

# Demo accounts for local use only; created with the demo data unless NAIO_DEMO_ACCOUNTS=0.
DEMO_ACCOUNTS = (
    ("viewer", "viewer-demo-2026", "viewer", None),
    ("analyst.jpn", "analyst-demo-2026", "analyst", "JPN"),
    ("analyst.lhdn", "analyst-demo-2026", "analyst", "LHDN"),
    ("admin", "admin-demo-2026", "admin", None),
)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    agency_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_view(self) -> bool:
        return self.role in ROLES

    def can_submit_for(self, agency_code: str | None) -> bool:
        """Admins may submit for any agency; analysts only for their own; viewers never."""
        if self.role == "admin":
            return True
        return self.role == "analyst" and bool(agency_code) and agency_code == self.agency_code

    def can_see_submissions_of(self, agency_code: str | None) -> bool:
        return self.can_submit_for(agency_code)

    def can_use_returns(self) -> bool:
        """May open the submit and history pages: admins, and analysts bound to an agency."""
        return self.role == "admin" or (self.role == "analyst" and bool(self.agency_code))

    def can_see_submission(self, agencies: set[str], submitted_by: str | None = None) -> bool:
        """A stored submission: admins all; an analyst only one speaking for their agency alone.

        A file whose agency could not be read belongs to whoever sent it.
        """
        if self.role == "admin":
            return True
        if self.role != "analyst" or not self.agency_code:
            return False
        if agencies:
            return agencies == {self.agency_code}
        return bool(submitted_by) and submitted_by == self.username


def can_use_returns(user: User) -> bool:
    return user.can_use_returns()


def is_admin(user: User) -> bool:
    return user.is_admin


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    with _HASHING:
        return _hasher.hash(password)


def _role_and_agency(store: Store, role: str, agency_code: str | None) -> tuple[str, str | None]:
    """Checked (role, agency): analysts need a known agency; other roles hold none."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role != "analyst":
        return role, None
    agency = (agency_code or "").strip().upper()
    if not agency:
        raise AccountError("an analyst must be bound to an agency (--agency CODE)")
    if agency not in store.agencies():
        raise AccountError(f"unknown agency {agency_code!r}")
    return role, agency


def add_user(store: Store, username: str, password: str, role: str, agency_code: str | None = None) -> int:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise AccountError("a user name has 2 to 64 letters, digits or . _ @ - and starts with a letter or digit")
    role, agency = _role_and_agency(store, role, agency_code)
    if store.user(username):
        raise AccountError(f"user {username!r} already exists")
    return store.add_user(username, hash_password(password), role, agency)


def list_users(store: Store) -> list[dict]:
    """Every account (never the password hashes), sorted by user name."""
    frame = store.table("users")
    rows = frame.to_dict("records") if not frame.empty else []
    return sorted(({k: v for k, v in r.items() if k != "password_hash"} for r in rows), key=lambda r: r["username"])


def _existing(store: Store, username: str) -> dict:
    row = store.user(username or "")
    if row is None:
        raise AccountError(f"no user {username!r}")
    return row


def _active_admins(store: Store) -> set[str]:
    return {r["username"] for r in list_users(store) if r["role"] == "admin" and r["active"]}


def _keep_an_admin(store: Store, username: str) -> None:
    if _active_admins(store) == {username}:
        raise AccountError(f"{username!r} is the last active admin; add another admin first")


def set_active(store: Store, username: str, active: bool) -> None:
    row = _existing(store, username)
    if not active and row["role"] == "admin":
        _keep_an_admin(store, username)
    store.update_user(row["username"], active=active)


def set_role(store: Store, username: str, role: str, agency_code: str | None = None) -> None:
    row = _existing(store, username)
    role, agency = _role_and_agency(store, role, agency_code)
    if row["role"] == "admin" and role != "admin":
        _keep_an_admin(store, username)
    store.update_user(row["username"], role=role, agency_code=agency)


def set_password(store: Store, username: str, password: str) -> None:
    row = _existing(store, username)
    store.update_user(row["username"], password_hash=hash_password(password))


def is_demo_credential(username: str, password: str) -> bool:
    return any(username == name and password == secret for name, secret, _, _ in DEMO_ACCOUNTS)


def retire_demo_accounts(store: Store) -> list[str]:
    """Disable demo accounts that still hold their documented password (demo accounts off)."""
    retired = []
    for username, password, _, _ in DEMO_ACCOUNTS:
        row = store.user(username)
        if row and row["active"] and _verifies(row["password_hash"], password):
            store.update_user(username, active=False)
            retired.append(username)
    return retired


def _verifies(stored: str, password: str) -> bool:
    try:
        with _HASHING:
            return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(store: Store, username: str, password: str, *, allow_demo: bool = True) -> User | None:
    """The user if the password matches and the account is active, else None (constant work).

    With ``allow_demo=False`` the documented demo passwords never sign anyone in.
    """
    row = store.user(username or "")
    stored = row["password_hash"] if row else _dummy_hash()
    if not _verifies(stored, password or ""):
        return None
    if not row or not row["active"] or row["role"] not in ROLES:
        return None
    if not allow_demo and is_demo_credential(row["username"], password):
        return None
    return User(row["username"], row["role"], row["agency_code"])


def password_stamp(row: dict) -> str:
    """A short fingerprint of the password hash: a password change ends older sessions."""
    return hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16]


def load_user(store: Store, username: str, stamp: str | None = None) -> User | None:
    """The active user of a session; None if disabled, unknown, or (with ``stamp``) re-keyed."""
    row = store.user(username)
    if not row or not row["active"] or row["role"] not in ROLES:
        return None
    if stamp is not None and stamp != password_stamp(row):
        return None
    return User(row["username"], row["role"], row["agency_code"])


def create_demo_accounts(store: Store) -> list[str]:
    made = []
    for username, password, role, agency in DEMO_ACCOUNTS:
        if not store.user(username):
            add_user(store, username, password, role, agency)
            made.append(username)
    return made


# Each hash or check holds its memory cost (19 MiB, 64 MiB for older hashes) while it runs:
# at most two at once keep a burst of sign-ins from multiplying the server's memory.
_HASHING = threading.BoundedSemaphore(2)


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so their sign-in costs the same time."""
    return _hasher.hash("not-a-real-password")
