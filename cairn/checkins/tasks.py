"""Background tasks of the check-in rhythm (django-tasks, database backend).

Tasks take ids, are safe to run twice, and only call `reminders` (STYLE.md, 9).
"""

from __future__ import annotations

from django_tasks import task

from cairn.checkins import reminders


@task()
def send_reminder(reminder_id: int) -> str:
    """Send the e-mail of one queued reminder or digest; a no-op once it is sent."""
    return reminders.deliver(reminder_id=reminder_id)
