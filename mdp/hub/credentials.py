"""Hub logins: NativeAuthenticator's password + TOTP records in the hub's database.

The admin CLI creates accounts while the hub may be running, so it writes the
same `users_info` rows NativeAuthenticator reads at login: a bcrypt hash, an
authorised flag, and a TOTP secret with two-factor authentication switched on.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import bcrypt
from jupyterhub import orm
from nativeauthenticator.orm import UserInfo
from sqlalchemy.exc import SQLAlchemyError

from mdp import settings
from mdp.errors import PlatformError


class CredentialsError(PlatformError):
    pass


def _session():
    url = settings.get().hub_database_url
    try:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Creates JupyterHub's tables (and users_info, registered on the same Base)
        # and stamps the schema version, exactly as the hub does on first start.
        return orm.new_session_factory(url)()
    except (OSError, SQLAlchemyError) as exc:
        raise CredentialsError(f"cannot open the hub's login database {url}: {exc.__class__.__name__}") from None


def create_login(username: str, password: str, email: str = "") -> str:
    """Store a login with 2FA on; returns the base32 TOTP secret."""
    secret = base64.b32encode(os.urandom(10)).decode()
    db = _session()
    try:
        if UserInfo.find(db, username):
            raise CredentialsError(f"the hub already has a login {username!r}")
        db.add(UserInfo(
            username=username, password=bcrypt.hashpw(password.encode(), bcrypt.gensalt()),
            email=email or None, is_authorized=True, has_2fa=True, otp_secret=secret,
        ))
        db.commit()
    except SQLAlchemyError as exc:
        db.rollback()
        raise CredentialsError(f"cannot write the hub's login database: {exc.__class__.__name__}") from None
    finally:
        db.close()
    return secret
