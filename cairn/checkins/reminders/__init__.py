"""What `cairn remind` sends: a check-in reminder per person per cadence window and a weekly
digest per team lead.

`reminder_for` and `digest_for` are reads: plain functions returning dataclasses, built only
from what the recipient may see (`KeyResult.objects.visible_to` / `CheckIn.objects.visible_to`),
so that an e-mail never carries the title or check-ins of a private key result to someone
the pages would answer with a 404.

`queue_due` and `deliver` are the writes behind `cairn remind` and its task. Their
idempotency key is the `Reminder` row, unique per member, kind and window: `queue_due`
creates the row and enqueues its task in one transaction (a second run, even a concurrent
one, hits the unique constraint and queues nothing), and `deliver` claims the row by setting
`sent_at` with a conditional update before it sends (a second run of the task sends nothing).
"""

from cairn.checkins.reminders.content import (
    DueReason,
    digest_for,
    digest_week,
    inbox_url,
    reminder_for,
    settings_url,
)
from cairn.checkins.reminders.sending import QueueResult, deliver, queue_due, render_reminder

__all__ = [
    "DueReason",
    "QueueResult",
    "deliver",
    "digest_for",
    "digest_week",
    "inbox_url",
    "queue_due",
    "reminder_for",
    "render_reminder",
    "settings_url",
]
