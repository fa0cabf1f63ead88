from django.db import IntegrityError, models, transaction
from django.db.models import F
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


class Counter(models.Model):
    """A named sequence (ticket numbers, later letter numbers) that never hands out the same
    number twice: ``next_number`` increments the row under its lock, unlike OpenSID's
    "last + 1" read that gives simultaneous staff the same number."""

    scope = models.CharField(max_length=100, unique=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope} = {self.value}"


def next_number(scope: str) -> int:
    """The next value of a sequence, starting at 1; part of the caller's transaction."""
    for _ in range(3):
        with transaction.atomic():
            if Counter.objects.filter(scope=scope).update(value=F("value") + 1):
                return Counter.objects.get(scope=scope).value
            try:
                with transaction.atomic():
                    Counter.objects.create(scope=scope, value=1)
                return 1
            except IntegrityError:
                continue  # created concurrently: increment it instead
    raise RuntimeError(f"could not take a number from {scope}")
