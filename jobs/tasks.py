"""Scheduled housekeeping of the jobs."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)


@shared_task
def delete_old_results() -> int:
    """Delete the result files of jobs finished more than JOB_RESULT_DAYS days ago (the
    rows stay, without their file). Returns the number of files deleted."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.JOB_RESULT_DAYS)
    deleted = 0
    for job in Job.objects.filter(finished_at__lt=cutoff).exclude(result_file="").iterator():
        job.result_file.delete(save=False)  # a file already gone is not an error
        Job.objects.filter(pk=job.pk).update(result_file="")
        deleted += 1
    if deleted:
        logger.info(
            "Deleted %d job result files older than %d days", deleted, settings.JOB_RESULT_DAYS
        )
    return deleted
