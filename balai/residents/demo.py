"""Demo data for residents' UU PDP requests: one copy request waiting in the queue."""

import datetime as dt

from django.utils import timezone

from balai.residents.models import DataRequest
from balai.residents.privacy import do_receive_data_request


def seed_data_requests(village) -> None:
    resident = village.residents.order_by("pk")[1]
    data_request, _ = do_receive_data_request(resident, DataRequest.Kind.EXPORT)
    received = timezone.now() - dt.timedelta(hours=30)
    DataRequest.objects.filter(pk=data_request.pk).update(
        received_at=received, due_at=DataRequest.due_from(received)
    )
