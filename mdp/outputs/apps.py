from django.apps import AppConfig


class OutputsConfig(AppConfig):
    name = "mdp.outputs"
    label = "outputs"
    verbose_name = "Output checking"
    default_auto_field = "django.db.models.BigAutoField"
