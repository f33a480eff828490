from django.contrib import admin

from cairn.okrs.models import Alignment, Initiative, KeyResult, Objective, ObjectiveTeam


class ObjectiveTeamInline(admin.TabularInline):
    model = ObjectiveTeam
    extra = 0


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0
    fields = ("title", "kind", "start_value", "target_value", "current_value", "visibility")


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "period", "owner_person", "visibility")
    list_filter = ("organization", "visibility")
    search_fields = ("title",)
    raw_id_fields = ("period", "owner_person", "created_by")
    filter_horizontal = ("shared_with",)
    inlines = [ObjectiveTeamInline, KeyResultInline]


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
    list_display = ("title", "objective", "kind", "current_value", "target_value", "visibility")
    list_filter = ("organization", "kind", "visibility")
    raw_id_fields = ("objective", "owner", "created_by")


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "objective", "state")
    list_filter = ("organization", "state")
    raw_id_fields = ("objective", "key_result", "team", "owner", "period")


@admin.register(Alignment)
class AlignmentAdmin(admin.ModelAdmin):
    list_display = ("child", "parent_objective", "parent_key_result")
    raw_id_fields = ("child", "parent_objective", "parent_key_result", "created_by")
