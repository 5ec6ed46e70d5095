"""Exactly-once POSTs with ``Idempotency-Key`` (SPEC §3.8, §10).

The key is recorded in the same transaction as the business operation: a
concurrent request with the same key blocks on the unique index until the first
commits, then replays the stored response. A failed operation rolls back its
record, so a retry runs it again.

A record belongs to its caller (membership and kind of credentials): another
caller presenting the same key gets 422 and nothing is replayed. DRF checks the
view's authentication and role permissions before the handler (and so before any
replay) runs. No secret is stored: top-level response fields named in
``SECRET_FIELD_NAMES`` are blanked in the record, and a replay asks the view's
``reissue_secrets(request, body, *args, **kwargs) -> body`` for a new secret for
the same object (which revokes the earlier one and re-checks the caller's rights).
"""

import functools
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from .db import insert_row, run_atomic, update_row
from .errors import Conflict, ErrorCode, Unprocessable, ValidationFailed
from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
SECRET_FIELD_NAMES = frozenset({"token", "secret", "signing_secret", "webhook_secret", "api_key"})


def credential_kind(auth) -> str:
    """The kind of credentials behind ``request.auth`` (``ApiToken``, ``RegisterAuth``…)."""
    return type(auth).__name__[:32]


def _redact(body) -> tuple[object, list[str]]:
    if not isinstance(body, dict):
        return body, []
    names = sorted(name for name in SECRET_FIELD_NAMES if body.get(name) is not None)
    if not names:
        return body, []
    return {k: (None if k in names else v) for k, v in body.items()}, names


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def _replay(view, request, args, kwargs, record, fingerprint, caller) -> Response:
    if (record.membership_id, record.credential) != caller:
        # Checked first: another caller learns nothing about the stored request.
        raise Unprocessable(
            "This Idempotency-Key was already used by another caller; use a new key.",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
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
    body = record.response_body
    headers = {"Idempotent-Replayed": "true"}
    if record.secret_fields:
        reissue = getattr(view, "reissue_secrets", None)
        if reissue is None:
            raise Conflict("This response carried a secret that cannot be shown again.")
        body = run_atomic(lambda: reissue(request, dict(body), *args, **kwargs))
        headers["Cache-Control"] = "no-store"
    return Response(body, status=record.response_status, headers=headers)


def idempotent(handler):
    """Decorate a view's ``post`` so an ``Idempotency-Key`` applies it once per tenant.

    Requires ``request.auth.membership`` (the tenant comes from the credentials).
    The handler runs inside the transaction that stores the key, so services it
    calls join that transaction (their retries are done here, around the whole).
    Errors: 422 ``idempotency_key_reused`` (same key from another caller, or with a
    different body); 409 ``idempotency_in_progress``; 400 ``validation_error`` (key
    longer than 255 characters).
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
        membership = request.auth.membership
        tenant_id = membership.tenant_id
        caller = (membership.pk, credential_kind(request.auth))
        fingerprint = _fingerprint(request)

        def replay(record):
            return _replay(self, request, args, kwargs, record, fingerprint, caller)

        # No lookup first: the key's INSERT is the lookup. A new key (the usual case) costs
        # one statement; a used one fails on the unique index (after waiting for its
        # transaction, if that is still running) and is read and replayed below.
        # Inside a caller's transaction (tests, batch jobs) a savepoint keeps a failed
        # request from leaving its key or half its work behind; at top level the
        # transaction of run_atomic is enough.
        nested = connection.in_atomic_block

        def attempt():
            with transaction.atomic(savepoint=nested):
                record_id = insert_row(
                    IdempotencyRecord,
                    {
                        "tenant_id": tenant_id,
                        "membership_id": caller[0],
                        "credential": caller[1],
                        "secret_fields": [],
                        "key": key,
                        "fingerprint": fingerprint,
                        "response_status": None,
                        "response_body": None,
                        "created_at": timezone.now(),
                    },
                )
                response = handler(self, request, *args, **kwargs)
                if response.status_code >= 400:
                    # Nothing was applied: roll back the key so a retry may run.
                    transaction.set_rollback(True)
                    return response
                body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
                body, secrets = _redact(body)
                if secrets:
                    response["Cache-Control"] = "no-store"
                update_row(
                    IdempotencyRecord,
                    record_id,
                    {
                        "response_status": response.status_code,
                        "response_body": body,
                        "secret_fields": secrets,
                    },
                )
                return response

        try:
            return run_atomic(attempt)
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).first()
            if record is None:
                raise
            return replay(record)

    return wrapper
