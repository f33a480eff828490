"""Background tasks of outbound webhooks (django-tasks, database backend).

Tasks take ids, are safe to run twice, and only call `webhooks` (STYLE.md, 9).
"""

from __future__ import annotations

from django_tasks import task

from cairn.notifications import webhooks


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Send one webhook delivery if it is due; a no-op once it is delivered or given up."""
    return webhooks.deliver(delivery_id=delivery_id)
