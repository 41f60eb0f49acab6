"""Login: NativeAuthenticator's password + TOTP, gated by the registry.

NativeAuthenticator checks the password and the second factor; this subclass
adds what the registry knows: a disabled account cannot log in, and an account
disabled while logged in is logged out at its next request after
`auth_refresh_age` seconds. Admin rights come from the registry. Every login and
failed login is written to the audit trail.
"""

from __future__ import annotations

from nativeauthenticator import NativeAuthenticator
from traitlets import Bool, default

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

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        ip = handler.request.remote_ip if handler else ""
        username = await super().authenticate(handler, data)
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
