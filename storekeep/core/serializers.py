"""Serializer support shared by the API: the error shape, decimals read by the one number
rule, tenant-scoped references, duplicate detection, and OpenAPI helpers (SPEC §10).
"""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from .errors import Conflict, ErrorCode
from .numbers import number_problem, unsigned_zero


class ErrorSerializer(serializers.Serializer):
    """Every error the API returns: ``{"code", "message", "details"}`` (SPEC §10)."""

    code = serializers.CharField(
        help_text="Machine-readable error code, e.g. `insufficient_stock`."
    )
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(help_text="Context: field errors, short lines, versions…")


class DecimalField(serializers.DecimalField):
    """DRF's ``DecimalField`` reading numbers by the rule of :mod:`storekeep.core.numbers`.

    Input is a JSON number or ASCII number text with nothing around it: full-width or
    other digits and padded strings (``"１"``, ``" 1 "``) are 400 ``validation_error``
    naming the rule (DRF would read both); ``-0`` becomes ``0`` (never a stored negative
    zero). Every API serializer declares decimals with this field (tested in
    ``core/tests/test_code_layout.py``); :class:`ModelSerializer` maps model decimals to it.
    """

    def to_internal_value(self, data):
        problem = number_problem(data)
        if problem is not None:
            raise serializers.ValidationError(f"Must be {problem.removeprefix('must be ')}")
        return unsigned_zero(super().to_internal_value(data))


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ``ModelSerializer`` with model decimals read by :class:`DecimalField`."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: DecimalField,
    }


ERROR_DESCRIPTIONS = {
    400: "Invalid input (`validation_error`, `malformed_request`): a bad body, filter, "
    "`format`, `page` or `cursor`.",
    401: "Missing, invalid, expired or revoked credentials (`not_authenticated`).",
    403: "The role or location assignment does not allow this (`permission_denied`).",
    404: "No such object in this tenant, or a page beyond the last (`not_found`).",
    409: "Conflict (`conflict`, `duplicate`, `insufficient_stock`, `version_conflict`, `concurrent_update`).",
    415: "Unsupported content type (`unsupported_media_type`).",
    413: "The request body is larger than the limit (`payload_too_large`).",
    422: "Semantically invalid (`idempotency_key_reused`, `unprocessable`).",
    429: "Too many failed sign-ins (`too_many_attempts`); retry after `Retry-After` seconds.",
    503: "The database took too long (`statement_timeout`); retry after `Retry-After` seconds.",
}

RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429, 503],
    description="Seconds to wait before retrying.",
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``{status: OpenApiResponse(ErrorSerializer)}`` for ``@extend_schema(responses=…)``."""
    return {
        status: OpenApiResponse(
            ErrorSerializer, description=ERROR_DESCRIPTIONS.get(status, "Error.")
        )
        for status in statuses
    }


def tenant_of(serializer) -> object:
    """The tenant of the request behind a serializer's context (its credentials' membership)."""
    request = serializer.context["request"]
    return request.auth.membership.tenant


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A ``<name>_id`` reference limited to the request's tenant.

    An id of another tenant (or no object at all) is a 400 ``validation_error``
    "does not exist" on that field, never a leak of the other tenant's object
    (SPEC §3.6, §10).
    """

    default_error_messages = {
        "does_not_exist": "Object with id {pk_value} does not exist.",
        "incorrect_type": "Incorrect type. Expected an integer id, received {data_type}.",
    }

    def __init__(self, model=None, **kwargs):
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(tenant=self.context["request"].auth.membership.tenant)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


def _unique_field_groups(model) -> list[tuple[str, ...]]:
    """Field groups (without ``tenant``) of the model's tenant-leading unique constraints."""
    groups = []
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.fields
            and constraint.fields[0] == "tenant"
        ):
            groups.append(tuple(constraint.fields[1:]))
    return groups


class TenantModelSerializer(ModelSerializer):
    """A ModelSerializer for tenant-owned rows.

    Before saving it checks the model's tenant-leading unique constraints and
    raises 409 ``duplicate`` naming the field(s) (``details = {field: [message]}``);
    a race that still hits the database constraint is reported the same way.
    """

    def _check_duplicates(self, attrs) -> None:
        tenant = tenant_of(self)
        model = self.Meta.model
        for fields in _unique_field_groups(model):
            values = {}
            for name in fields:
                attname = model._meta.get_field(name).attname
                if name in attrs:
                    value = attrs[name]
                    value = value.pk if isinstance(value, models.Model) else value
                elif self.instance is not None:
                    value = getattr(self.instance, attname)
                else:
                    value = None
                values[attname] = value
            if any(v is None or v == "" for v in values.values()):
                continue  # nullable unique fields (barcode) only clash when set
            if not any(name in attrs for name in fields):
                continue
            clash = model.objects.filter(tenant=tenant, **values)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                label = fields[-1] if len(fields) == 1 else "+".join(fields)
                shown = ", ".join(f"{k}={v}" for k, v in values.items())
                raise Conflict(
                    f"A {model._meta.verbose_name} with {shown} already exists.",
                    code=ErrorCode.DUPLICATE,
                    details={
                        label: [f"A {model._meta.verbose_name} with this {label} already exists."]
                    },
                )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self._check_duplicates(attrs)
        return attrs

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError as exc:  # a race past _check_duplicates, or another constraint
            if "unique" in str(exc).lower():
                raise Conflict(
                    "This would duplicate an existing row.", code=ErrorCode.DUPLICATE
                ) from None
            raise Conflict("The change conflicts with existing data.") from None


def destroy_or_conflict(instance) -> None:
    """Delete ``instance``; 409 ``conflict`` naming what still refers to it (PROTECT)."""
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        kinds = sorted(
            {obj._meta.verbose_name_plural for obj in exc.protected_objects}
            if isinstance(exc, ProtectedError)
            else {obj._meta.verbose_name_plural for obj in exc.restricted_objects}
        )
        raise Conflict(
            f"This {instance._meta.verbose_name} is still referenced and cannot be deleted; "
            "deactivate it instead.",
            details={"referenced_by": kinds},
        ) from None
    except IntegrityError:
        raise Conflict(
            f"This {instance._meta.verbose_name} is still referenced and cannot be deleted; "
            "deactivate it instead."
        ) from None


def crud_schema(
    serializer_class, noun: str, *, plural: str | None = None, write_errors: tuple[int, ...] = ()
):
    """``@extend_schema_view`` for a tenant CRUD viewset: bodies and the error shape per action.

    ``write_errors``: more statuses a create or update can answer (e.g. 404 for an unknown
    ``location_id`` in the body). Shape-implied statuses are added by ``core.schema``.
    """
    plural = plural or f"{noun}s"
    obj = error_responses(401, 403, 404)
    write = error_responses(400, 401, 403, 409, *write_errors)
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {plural}",
            responses={200: serializer_class(many=True), **error_responses(400, 401, 403)},
        ),
        retrieve=extend_schema(summary=f"Get a {noun}", responses={200: serializer_class, **obj}),
        create=extend_schema(
            summary=f"Create a {noun}", responses={201: serializer_class, **write}
        ),
        update=extend_schema(
            summary=f"Replace a {noun}", responses={200: serializer_class, **write, **obj}
        ),
        partial_update=extend_schema(
            summary=f"Update a {noun}", responses={200: serializer_class, **write, **obj}
        ),
        destroy=extend_schema(
            summary=f"Delete a {noun} nothing refers to",
            responses={204: None, **obj, **error_responses(409)},
        ),
    )
