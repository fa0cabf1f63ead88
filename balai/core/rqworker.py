"""The RQ worker class ``balai worker`` runs when ``TASK_BACKEND=rq``.

RQ's default worker forks a work horse per job: each job then pays for a fork, a new
PostgreSQL connection and the loss of everything the worker had loaded and warmed (about
ten times the CPU per message of the database backend's worker in ``make bench-load``).
This worker runs jobs in its own process, like django-tasks-db's, and treats each job as
Django treats a request: connections that are broken or past ``CONN_MAX_AGE`` are closed
before and after it, so a database restart costs one failed (and retried) job, not every
job after it.
"""

from django.db import close_old_connections
from rq.worker import SimpleWorker


class BalaiWorker(SimpleWorker):
    def execute_job(self, job, queue):
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()
