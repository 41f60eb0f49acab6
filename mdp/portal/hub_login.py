"""Single sign-on through the hub: the portal is a JupyterHub OAuth client.

The hub has already checked password and TOTP; the portal asks it who the user
is (OAuth 2 authorization code, the state bound to the browser's session), then
logs that person in as the registry's Django user of the same name. Admin rights come from the registry,
never from the hub. A disabled account (`is_active=False`) loses its portal
session at its next request: Django's auth refuses inactive users.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib.auth import get_user_model, login, logout
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from jupyterhub.services.auth import HubOAuth

_STATE_KEY = "mdp_oauth_state"


def hub_auth() -> HubOAuth:
    return HubOAuth.instance()


def start(request):
    """Send the browser to the hub's authorize endpoint."""
    if request.user.is_authenticated:
        # Already signed in but sent to log in again: the page needs rights they lack.
        raise PermissionDenied(f"You are signed in as {request.user.username}, who may not open this page.")
    auth = hub_auth()
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = ""
    state = secrets.token_urlsafe(24)
    request.session[_STATE_KEY] = {"state": state, "next": next_url}
    query = urlencode({
        "client_id": auth.oauth_client_id, "redirect_uri": auth.oauth_redirect_uri, "response_type": "code",
        "state": state,
    })
    return HttpResponseRedirect(f"{auth.oauth_authorization_url}?{query}")


def callback(request):
    """Finish the OAuth exchange and log the registry user in."""
    pending = request.session.pop(_STATE_KEY, None)
    if not pending or request.GET.get("state") != pending["state"] or not request.GET.get("code"):
        raise PermissionDenied("This sign-in link is stale or forged. Open the portal again to sign in.")
    auth = hub_auth()
    token = auth.token_for_code(request.GET["code"])
    model = auth.user_for_token(token, use_cache=False)
    if not model or model.get("kind") != "user":
        raise PermissionDenied("The hub did not confirm who you are.")
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=model["name"])
    if not user.is_active:
        logout(request)
        raise PermissionDenied("Your account is disabled. Contact the platform's administrators.")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(pending["next"] or "portal:home")


def sign_out(request):
    logout(request)
    return HttpResponseRedirect("/hub/logout")


