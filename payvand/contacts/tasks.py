from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from payvand.contacts.models import ImportJob

IMPORT_FILE_RETENTION = dt.timedelta(days=7)


@task()
def import_files_purge() -> int:
    """Delete uploaded import files a week after their import finished (the job row and its report stay)."""
    old = ImportJob.objects.filter(finished_at__lt=timezone.now() - IMPORT_FILE_RETENTION).exclude(file="")
    count = 0
    for job in old:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count


@task()
def import_job_task(job_id: int) -> None:
    """Run a queued contact import (see services.import_job_run); running it twice is harmless."""
    from payvand.contacts.services import import_job_run

    import_job_run(job_id=job_id)
