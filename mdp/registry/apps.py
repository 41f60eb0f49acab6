from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "mdp.registry"
    label = "registry"
    verbose_name = "Project registry"
    default_auto_field = "django.db.models.BigAutoField"
