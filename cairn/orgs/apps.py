from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "cairn.orgs"
    label = "orgs"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from cairn.orgs import checks  # noqa: F401  (registers Cairn's system checks)
