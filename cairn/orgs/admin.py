from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from cairn.orgs.models import HistoryEvent, Member, Organization, Period, Team, TeamMembership, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "checkin_cadence", "time_zone")
    search_fields = ("name", "slug")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "is_active")
    list_filter = ("organization", "role")
    list_select_related = ("user", "organization")


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ("member",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "parent", "lead")
    list_filter = ("organization",)
    raw_id_fields = ("parent", "lead")
    inlines = [TeamMembershipInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "start", "end", "state")
    list_filter = ("organization", "state")


@admin.register(HistoryEvent)
class HistoryEventAdmin(admin.ModelAdmin):
    list_display = ("at", "organization", "target_kind", "target_label", "action", "actor")
    list_filter = ("organization", "target_kind", "action")
    readonly_fields = [f.name for f in HistoryEvent._meta.fields]
