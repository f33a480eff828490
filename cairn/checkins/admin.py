from django.contrib import admin

from cairn.checkins.models import CheckIn, CheckInRevision, Reminder, Sync


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("key_result", "author", "at", "confidence", "is_insight", "is_blocker")
    list_filter = ("organization", "is_insight", "is_blocker")
    raw_id_fields = ("key_result", "author", "reflects_on", "blocker_resolved_by", "deleted_by")


@admin.register(CheckInRevision)
class CheckInRevisionAdmin(admin.ModelAdmin):
    list_display = ("check_in", "editor", "at")
    raw_id_fields = ("check_in", "editor")


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("member", "kind", "window_start", "queued_at", "sent_at")
    list_filter = ("organization", "kind")


@admin.register(Sync)
class SyncAdmin(admin.ModelAdmin):
    list_display = ("objective", "held_on", "next_sync_on", "recorded_by")
    raw_id_fields = ("objective", "attendees", "recorded_by")
