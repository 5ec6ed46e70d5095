"""Exactly-once POSTs with ``Idempotency-Key`` (SPEC §3.8, §10).

The key is recorded in the same transaction as the business operation: a
concurrent request with the same key blocks on the unique index until the first
commits, then replays the stored response. A failed operation rolls back its
record, so a retry runs it again.
"""

import functools
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from rest_framework.response import Response

from .db import run_atomic
from .errors import Conflict, ErrorCode, Unprocessable, ValidationFailed
from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was used with a different request.",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    if record.response_status is None:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress.",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(handler):
    """Decorate a view's ``post`` so an ``Idempotency-Key`` applies it once per tenant.

    Requires ``request.auth.membership`` (the tenant comes from the credentials).
    The handler runs inside the transaction that stores the key, so services it
    calls join that transaction (their retries are done here, around the whole).
    Errors: 422 ``idempotency_key_reused`` (same key, different body);
    400 ``validation_error`` (key longer than 255 characters).
    """

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.META.get(HEADER, "").strip()
        if not key:
            return handler(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed(
                "Idempotency-Key is too long (255 characters at most).",
                details={"Idempotency-Key": ["Too long."]},
            )
        tenant_id = request.auth.membership.tenant_id
        fingerprint = _fingerprint(request)

        existing = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)

        # Inside a caller's transaction (tests, batch jobs) a savepoint keeps a failed
        # request from leaving its key or half its work behind; at top level the
        # transaction of run_atomic is enough.
        nested = connection.in_atomic_block

        def attempt():
            with transaction.atomic(savepoint=nested):
                record = IdempotencyRecord.objects.create(
                    tenant_id=tenant_id, key=key, fingerprint=fingerprint
                )
                response = handler(self, request, *args, **kwargs)
                if response.status_code >= 400:
                    # Nothing was applied: roll back the key so a retry may run.
                    transaction.set_rollback(True)
                    return response
                body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
                record.response_status = response.status_code
                record.response_body = body
                record.save(update_fields=["response_status", "response_body"])
                return response

        try:
            return run_atomic(attempt)
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).first()
            if record is None:
                raise
            return _replay(record, fingerprint)

    return wrapper
