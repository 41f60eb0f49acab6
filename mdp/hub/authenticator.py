"""Login: NativeAuthenticator's password + TOTP, gated by the registry.

NativeAuthenticator checks the password and the second factor; this subclass
accepts codes of the adjacent time steps (NativeAuthenticator takes the current
one only) and adds what the registry knows: a disabled account cannot log in,
and an account disabled while logged in is logged out at its next request after
`auth_refresh_age` seconds. Admin rights come from the registry. Every login and
failed login is written to the audit trail.
"""

from __future__ import annotations

import onetimepass
from nativeauthenticator import NativeAuthenticator
from traitlets import Bool, Integer, default

from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.hub import registry_access


def _registry_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first()


class MDPAuthenticator(NativeAuthenticator):
    @default("allow_2fa")
    def _default_allow_2fa(self):
        return True

    enable_signup = Bool(False, config=True, help="Accounts are created by admins (`mdp user add`).")

    totp_window = Integer(1, config=True, help="""
        How many 30-second steps before or after the current one a second-factor code may
        come from. RFC 6238 (section 5.2) recommends one: phone clocks drift, and a code read
        at the end of its step has expired by the time the form is sent. 0: current step only.
        """)

    def _code_of_this_step(self, name: str, data: dict) -> dict:
        """The login form with an adjacent step's valid code exchanged for the current step's.

        NativeAuthenticator compares with the current step only and has no setting for
        a window; the exchange keeps its password check, attempt counting and blocking.
        """
        code = str(data.get("2fa") or "").strip()
        user = self.get_user(name) if code.isdigit() and self.totp_window > 0 else None
        if user is None or not user.has_2fa or not user.otp_secret or onetimepass.valid_totp(code, user.otp_secret):
            return data
        if onetimepass.valid_totp(code, user.otp_secret, window=self.totp_window):
            return {**data, "2fa": onetimepass.get_totp(user.otp_secret, as_string=True).decode()}
        return data

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        ip = handler.request.remote_ip if handler else ""
        username = await super().authenticate(handler, self._code_of_this_step(name, data))
        user = await registry_access.call(_registry_user, name) if username else None
        if username is None or user is None or not user.is_active:
            reason = "bad password or code" if username is None else "account disabled or not in the registry"
            await registry_access.call(trail.record, name or "?", Action.LOGIN_FAILED, ip=ip, reason=reason)
            return None
        await registry_access.call(trail.record, username, Action.LOGIN, ip=ip)
        return {"name": username, "admin": bool(user.is_superuser)}

    async def check_allowed(self, username, authentication=None):
        user = await registry_access.call(_registry_user, username)
        return bool(user and user.is_active)

    async def refresh_user(self, user, handler=None):
        """False logs the user out: used when an admin disabled the account."""
        return await self.check_allowed(user.name)
