from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mdp.portal"
    label = "portal"
    verbose_name = "Portal"
