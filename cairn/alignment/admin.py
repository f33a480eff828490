from django.contrib import admin

from cairn.alignment.models import Dependency, DependencyEvent


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ("need", "requesting_team", "providing_team", "state", "due", "organization")
    list_filter = ("state",)
    raw_id_fields = ("objective", "key_result", "initiative", "created_by")


@admin.register(DependencyEvent)
class DependencyEventAdmin(admin.ModelAdmin):
    list_display = ("dependency", "from_state", "to_state", "author", "created_at")
    raw_id_fields = ("dependency", "author")
