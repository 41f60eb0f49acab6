"""Self-service account creation and the confidentiality agreement.

Anyone may create an account to apply: an account alone opens no desk (desks
need membership of an approved, open project and a signed agreement).
"""

from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache

from mdp.registry import business_logic as registry
from mdp.registry import policies
from mdp.registry.models import Project


class RegisterForm(forms.Form):
    username = forms.RegexField(regex=registry.USERNAME_RE, max_length=32, label=_l("User name"), help_text=_l(
        "2-32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter."),
        error_messages={"invalid": _l("Use 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter.")})
    full_name = forms.CharField(max_length=150, label=_l("Full name"))
    email = forms.EmailField(label=_l("E-mail"))
    password = forms.CharField(widget=forms.PasswordInput, min_length=10, max_length=128, label=_l("Password"),
                               help_text=_l("At least 10 characters."))
    password_again = forms.CharField(widget=forms.PasswordInput, max_length=128, label=_l("Password again"))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


@never_cache
def register(request):
    form = RegisterForm(request.POST or None)
    try:
        policies.check_can_self_register(timezone.now())
    except policies.RegistrationRefused as exc:
        return render(request, "portal/register.html", {"form": form, "refused": str(exc)},
                      status=429 if request.method == "POST" else 200)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            _user, _password, secret = registry.create_account(policies.SELF_REGISTRATION, username=d["username"],
                                                   full_name=d["full_name"], email=d["email"], password=d["password"])
        except registry.RegistryError as exc:
            form.add_error("username" if "user" in str(exc) else None, str(exc))
        else:
            uri = f"otpauth://totp/MicrodataPlatform:{d['username']}?secret={secret}&issuer=MicrodataPlatform"
            return render(request, "portal/registered.html", {
                "username": d["username"], "secret": secret, "uri": uri,
                "qr": segno.make(uri, error="m").svg_inline(scale=4)})
    return render(request, "portal/register.html", {"form": form})


@login_required
def agreement(request, slug: str):
    project = get_object_or_404(Project, slug=slug)
    if not project.memberships.filter(user=request.user).exists():
        raise PermissionDenied(_("Only members of the project sign its agreement."))
    text, version = registry.agreement_text()
    signed = project.agreements.filter(user=request.user).first()
    error = ""
    if request.method == "POST" and not signed:
        if request.POST.get("accept") != "on":
            error = _("Tick the box to accept the agreement.")
        else:
            try:
                registry.sign_agreement(request.user, project, request.POST.get("signed_name", ""))
            except registry.RegistryError as exc:
                error = str(exc)
            else:
                messages.success(request, _("Agreement signed."))
                return redirect("portal:agreement", slug=slug)
    return render(request, "portal/agreement.html", {"project": project, "text": text, "version": version,
                                                     "signed": signed, "error": error})
