"""User accounts: hashed passwords (argon2), roles, agency binding.

Roles: ``viewer`` (reads the dashboard), ``analyst`` (bound to one agency: its returns and
KPIs), ``admin`` (everything). Nothing is allowed unless a rule below allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from etl.store import Store

ROLES = ("viewer", "analyst", "admin")
_hasher = PasswordHasher()

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


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    return _hasher.hash(password)


def add_user(store: Store, username: str, password: str, role: str, agency_code: str | None = None) -> int:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "analyst" and not agency_code:
        raise AccountError("an analyst must be bound to an agency (--agency CODE)")
    if agency_code:
        agency_code = agency_code.strip().upper()
        if agency_code not in store.agencies():
            raise AccountError(f"unknown agency {agency_code!r}")
    if store.user(username):
        raise AccountError(f"user {username!r} already exists")
    return store.add_user(username, hash_password(password), role, agency_code if role == "analyst" else None)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the password matches and the account is active, else None (constant work)."""
    row = store.user(username or "")
    stored = row["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if not row or not row["active"]:
        return None
    return User(row["username"], row["role"], row["agency_code"])


def load_user(store: Store, username: str) -> User | None:
    row = store.user(username)
    if not row or not row["active"]:
        return None
    return User(row["username"], row["role"], row["agency_code"])


def create_demo_accounts(store: Store) -> list[str]:
    made = []
    for username, password, role, agency in DEMO_ACCOUNTS:
        if not store.user(username):
            add_user(store, username, password, role, agency)
            made.append(username)
    return made


_DUMMY_HASH = _hasher.hash("not-a-real-password")
