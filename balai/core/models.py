from django.db import models
from django.utils import timezone


class TaskFailure(models.Model):
    """A background task that failed for good (after its retries): shown to operators."""

    task_path = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    attempts = models.PositiveSmallIntegerField()
    error_class = models.CharField(max_length=200)
    error_message = models.TextField()
    traceback = models.TextField()
    created = models.DateTimeField(default=timezone.now, db_index=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.task_path}: {self.error_class}"
