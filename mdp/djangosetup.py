"""Set Django up for processes that are not the portal (hub, cut-off service, CLI)."""

import os


def setup() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mdp.portal.settings")
        django.setup()
