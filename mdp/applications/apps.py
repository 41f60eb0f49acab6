from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "mdp.applications"
    label = "applications"
    verbose_name = "Applications and reviews"
    default_auto_field = "django.db.models.BigAutoField"
