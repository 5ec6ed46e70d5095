"""Point-of-sale API under ``/api/v1/pos/`` (SPEC §5, §10).

Till calls authenticate with ``Authorization: Register <token>`` (from opening
a register session); back-office calls with ``Authorization: Bearer <token>``.
Views parse input, call one service or selector, and render its result.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from storekeep.accounts.authentication import BearerTokenAuthentication
from storekeep.core.api import IDEMPOTENCY_PARAM
from storekeep.core.csv import FORMAT_PARAM, CSVRenderer, stream_queryset, wants_csv
from storekeep.core.errors import NotFound, PermissionDenied, ValidationFailed
from storekeep.core.idempotency import idempotent
from storekeep.core.pagination import PageNumberPagination
from storekeep.core.query import parse_query
from storekeep.core.rows import plain_row, plain_rows
from storekeep.core.serializers import (
    RETRY_AFTER_HEADER,
    crud_schema,
    error_responses,
)
from storekeep.core.views import TenantAPIView, TenantModelViewSet
from storekeep.locations.models import Location
from storekeep.pos import selectors, services
from storekeep.pos.authentication import RegisterAuth, RegisterTokenAuthentication
from storekeep.pos.models import Register, RegisterSession, Sale
from storekeep.pos.services.approvals import (
    Approval,
    approval_from_credentials,
    approval_token_issue,
    approval_token_reissue,
)
from storekeep.pos.totals import tax_summary
from storekeep.tenants.models import Role

from . import serializers as s

LIST_RENDERERS = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
POS_AUTH = [RegisterTokenAuthentication, BearerTokenAuthentication]
POS_SECURITY = [{"Register": []}, {"Bearer": []}]


# Request examples Swagger UI shows (and the schemathesis suite sends): valid calls, where the
# generated ones would not be (an id at the int64 limit, a negative quantity, both
# variant_id and barcode on one line).
QUOTE_EXAMPLES = [
    OpenApiExample(
        "Two lines, one by barcode, 10 % off the second",
        value={
            "lines": [
                {"variant_id": 1, "qty": "2"},
                {"barcode": "5012345678900", "qty": "1", "discount_percent": "10"},
            ]
        },
        request_only=True,
    ),
]
CHECKOUT_EXAMPLES = [
    OpenApiExample(
        "Till sale paid in cash (Register token)",
        value={
            "lines": [{"variant_id": 1, "qty": "2"}],
            "tenders": [{"method": "CASH", "amount": "50.00"}],
        },
        request_only=True,
    ),
    OpenApiExample(
        "Back-office sale (Bearer token): the store selling is named",
        value={
            "location_id": 1,
            "lines": [{"variant_id": 1, "qty": "1.5", "discount_amount": "1.00"}],
            "tenders": [{"method": "CARD", "amount": "12.50"}],
            "source": "API",
            "external_ref": "web-order-1001",
        },
        request_only=True,
    ),
]
RETURN_EXAMPLES = [
    OpenApiExample(
        "Against a receipt: one unit back on the shelf",
        value={
            "sale_id": 1,
            "lines": [{"sale_line_id": 1, "qty": "1", "disposition": "RESTOCK"}],
            "reason": "wrong size",
            "refund_method": "CASH",
        },
        request_only=True,
    ),
]
SESSION_OPEN_EXAMPLES = [
    OpenApiExample("Float of 100.00", value={"opening_float": "100.00"}, request_only=True),
]
SESSION_CLOSE_EXAMPLES = [
    OpenApiExample("Counted cash", value={"counted_cash": "312.40"}, request_only=True),
]


def sale_body(sale: Sale, lines, payments, tenant) -> dict:
    """The receipt of a sale just checked out, built from the rows checkout returned (no
    reload: the till's hot path); ``SaleRecordOutput`` renders the same for a loaded sale."""
    session = sale.register_session
    return {
        "sale_id": sale.pk,
        "receipt_number": sale.receipt_number,
        "status": sale.status,
        "source": sale.source,
        "location_id": sale.location_id,
        "register_id": session.register_id if session is not None else None,
        "session_id": sale.register_session_id,
        "cashier_id": sale.cashier_id,
        "external_ref": sale.external_ref,
        "completed_at": sale.completed_at,
        "voided_at": sale.voided_at,
        "void_reason": sale.void_reason,
        "void_approved_by_id": sale.void_approved_by_id,
        "void_approved_by": None,
        "currency": tenant.currency,
        "prices_include_tax": tenant.prices_include_tax,
        "lines": [
            {
                "line_no": line.line_no,
                "sale_line_id": line.pk,
                "variant_id": line.variant_id,
                "sku": line.variant.sku,
                "product_name": line.variant.product.name,
                "variant_name": line.variant.name,
                "unit_price": line.unit_price,
                "qty": line.qty,
                "gross": line.gross,
                "discount": line.discount,
                "net": line.net,
                "tax_rate": line.tax_rate,
                "tax": line.tax,
                "fee": line.fee,
                "line_total": line.line_total,
                "qty_returned": line.qty_returned,
                "discount_approved_by_id": line.discount_approved_by_id,
                "discount_approved_by": (
                    line.discount_approved_by.get_username()
                    if line.discount_approved_by_id
                    else None
                ),
                "discount_reason": line.discount_reason,
            }
            for line in lines
        ],
        "subtotal": sale.subtotal,
        "discount_total": sale.discount_total,
        "tax_total": sale.tax_total,
        "total": sale.total,
        "tax_summary": tax_summary(lines),
        "tenders": [
            {"method": p.method, "amount": p.amount, "tendered": p.tendered} for p in payments
        ],
        "change_due": sale.change_due,
    }


def quote_body(priced, tenant) -> dict:
    receipt = priced.receipt
    return {
        "currency": receipt.currency,
        "prices_include_tax": receipt.prices_include_tax,
        "lines": [
            {
                "line_no": index + 1,
                "variant_id": variant.pk,
                "sku": variant.sku,
                "product_name": variant.product.name,
                "variant_name": variant.name,
                "unit_price": line.unit_price,
                "qty": line.qty,
                "gross": line.gross,
                "discount": line.discount,
                "net": line.net,
                "tax_rate": line.tax_rate,
                "tax": line.tax,
                "fee": line.fee,
                "line_total": line.line_total,
            }
            for index, (line, variant) in enumerate(
                zip(receipt.lines, priced.variants, strict=True)
            )
        ],
        "subtotal": receipt.subtotal,
        "discount_total": receipt.discount_total,
        "tax_total": receipt.tax_total,
        "total": receipt.total,
        "tax_summary": tax_summary(receipt.lines),
    }


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _id_or_404(pk, noun: str) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound(f"{noun} not found.") from None


class PosView(TenantAPIView):
    """Base of till views: accepts a register token or a back-office bearer token."""

    authentication_classes = POS_AUTH
    read_role = Role.CASHIER
    write_role = Role.CASHIER

    def scoped_page(self, request, filter_input, select, output, *, filename: str, values=None):
        """One page of ``select(tenant=, filters=)`` (``?format=csv``: every row, streamed as
        ``filename``): at the till, its store only; for a member assigned to some locations,
        those only. ``values``: the field sources ``output`` reads, taken as ``values()``
        rows and written by ``plain_rows`` (no model instances). Bad filters → 400
        ``validation_error``."""
        filters = parse_query(filter_input, request)
        if self.register_auth is not None:
            filters["location_id"] = self.register_auth.location.pk
        allowed = self.membership.allowed_location_ids()
        qs = select(
            tenant=self.tenant,
            filters=filters,
            location_ids=sorted(allowed) if allowed is not None else None,
        )
        if values is not None:
            qs = qs.values(*values)

            def rows(objs):
                return plain_rows(output, objs)
        else:

            def rows(objs):
                return output(objs, many=True).data

        if wants_csv(request):
            return stream_queryset(qs, rows, filename)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(rows(page))

    def check_object_location(self, obj, **kwargs) -> None:
        """At the till only the register's store exists (404); then the member's locations (403)."""
        auth = self.register_auth
        if auth is not None and obj.location_id != auth.location.pk:
            raise NotFound(
                f"{obj._meta.verbose_name.capitalize()} not found.",
                details={f"{obj._meta.model_name}_id": obj.pk},
            )
        super().check_object_location(obj, **kwargs)

    def visible_sale(self, pk) -> Sale:
        """The sale ``pk`` with lines and payments, if the caller may see it (404 / 403)."""
        return self.resolve_object(
            lambda pk: selectors.sale_get(tenant=self.tenant, sale_id=_id_or_404(pk, "Sale")), pk
        )

    def visible_return(self, pk):
        """The return ``pk`` with its lines, if the caller may see it (404 / 403)."""
        return self.resolve_object(
            lambda pk: selectors.return_get(tenant=self.tenant, return_id=_id_or_404(pk, "Return")),
            pk,
        )

    def approval_from(self, data: dict, location_id) -> Approval | None:
        """The manager's approval the body carries (issue 12): ``approval`` credentials,
        checked now through the login throttle (429; 403 ``approval_invalid``), or an
        ``approval_token`` consumed by the service in its transaction; None without."""
        if data.get("approval"):
            return approval_from_credentials(
                request=self.request,
                tenant=self.tenant,
                location_id=location_id,
                username=data["approval"]["username"],
                password=data["approval"]["password"],
            )
        if data.get("approval_token"):
            return Approval(token=data["approval_token"])
        return None

    @property
    def register_auth(self) -> RegisterAuth | None:
        auth = self.request.auth
        return auth if isinstance(auth, RegisterAuth) else None

    def location_from_body(self, location_id) -> Location:
        if location_id is None:
            raise ValidationFailed(
                "location_id is required outside a register session.",
                details={"location_id": ["Required."]},
            )
        location = self.get_tenant_object(Location.objects.all(), location_id)
        self.check_location_access(location.pk)
        return location

    def session_for(self, session_id) -> RegisterSession:
        """A session the caller may act on: its own token's, or (back office) one
        it opened or, for managers, any of its stores. 404 otherwise."""
        session = self.get_tenant_object(
            RegisterSession.objects.select_related("register__location"), session_id
        )
        auth = self.register_auth
        if auth is not None:
            if auth.session.pk != session.pk:
                raise NotFound("Register session not found.", details={"pk": str(session_id)})
            return session
        self.check_location_access(session.register.location_id)
        if session.opened_by_id != self.request.user.pk and not self.membership.has_role(
            Role.MANAGER
        ):
            raise PermissionDenied("Only the cashier who opened it or a manager may do this.")
        return session


# ---------------------------------------------------------------------- registers


@extend_schema(tags=["pos"])
@crud_schema(s.RegisterSerializer, "register", write_errors=(404, 422))  # location_id
class RegisterViewSet(TenantModelViewSet):
    """Registers of the tenant's stores: list/show (VIEWER), create/update (MANAGER)."""

    serializer_class = s.RegisterSerializer
    queryset = Register.objects.all()
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    filter_backends: list = []
    write_role = Role.MANAGER

    def get_queryset(self):
        location_id = self.request.query_params.get("location_id")
        if location_id and not location_id.isdigit():
            raise ValidationFailed(
                "location_id must be an integer.", details={"location_id": [location_id]}
            )
        allowed = self.membership.allowed_location_ids()
        return selectors.register_list(
            tenant=self.tenant,
            filters={"location_id": location_id},
            location_ids=sorted(allowed) if allowed is not None else None,
        )

    def get_object(self):
        obj = self.get_tenant_object(self.get_queryset(), self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj

    def _store(self, serializer, instance=None) -> Location:
        location_id = serializer.validated_data.get(
            "location_id", instance.location_id if instance else None
        )
        location = services.register_store(tenant=self.tenant, location_id=location_id)
        self.check_location_access(location.pk)
        return location

    def perform_create(self, serializer):
        serializer.instance = services.register_create(
            tenant=self.tenant,
            location=self._store(serializer),
            fields=serializer.validated_data,
        )

    def perform_update(self, serializer):
        services.register_update(
            tenant=self.tenant,
            register=serializer.instance,
            location=self._store(serializer, serializer.instance),
            fields=serializer.validated_data,
        )


@extend_schema(tags=["pos"])
class RegisterSessionOpenApi(TenantAPIView):
    """Open a session on a register; the token answers every later till call."""

    write_role = Role.CASHIER

    @extend_schema(
        examples=SESSION_OPEN_EXAMPLES,
        request=s.SessionOpenInput,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.SessionOpenOutput, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, pk):
        register = self.get_tenant_object(Register.objects.select_related("location"), pk)
        data = validated(s.SessionOpenInput, request.data)
        session, token = services.register_session_open(
            membership=self.membership, register=register, opening_float=data["opening_float"]
        )
        body = {
            "session_id": session.pk,
            "token": token,
            "register_id": register.pk,
            "location_id": register.location_id,
            "opening_float": session.opening_float,
            "opened_at": session.opened_at,
        }
        return Response(
            s.SessionOpenOutput(body).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )

    def reissue_secrets(self, request, body, pk):
        """A replayed open answers a new token for the same session (the first is revoked)."""
        _, token = services.register_session_token_reissue(
            membership=self.membership, session_id=body["session_id"]
        )
        return {**body, "token": token}


@extend_schema(tags=["pos"])
class RegisterSessionDetailApi(PosView):
    """A session with its running Z report (so far, or as closed)."""

    @extend_schema(responses={200: s.ZReportSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk):
        session = self.session_for(pk)
        report = selectors.z_report(tenant=self.tenant, session=session)
        return Response(s.ZReportSerializer(report).data)


@extend_schema(tags=["pos"])
class RegisterSessionCloseApi(PosView):
    """Close the session with the counted cash; returns the Z report."""

    @extend_schema(
        examples=SESSION_CLOSE_EXAMPLES,
        request=s.SessionCloseInput,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: s.ZReportSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @idempotent
    def post(self, request, pk):
        session = self.session_for(pk)
        data = validated(s.SessionCloseInput, request.data)
        _, report = services.register_session_close(
            session=session, counted_cash=data["counted_cash"], actor=request.user
        )
        return Response(s.ZReportSerializer(report).data)


def cash_movement_body(movement) -> dict:
    return {
        "cash_movement_id": movement.pk,
        "direction": movement.direction,
        "amount": movement.amount,
        "reason": movement.reason,
        "created_by": movement.created_by.get_username(),
        "created_at": movement.created_at,
    }


@extend_schema(tags=["pos"])
class CashMovementListCreateApi(PosView):
    """Cash paid in / paid out of a session's drawer (issue 12 item 6): recorded with the
    session's register token or by a manager of its store; listed oldest first."""

    pagination_class = PageNumberPagination  # the list's page, documented as one

    @extend_schema(
        responses={200: s.CashMovementOutput(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        session = self.session_for(pk)
        qs = selectors.cash_movement_list(tenant=self.tenant, session=session)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([cash_movement_body(m) for m in page])

    @extend_schema(
        request=s.CashMovementInput,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.CashMovementOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    @idempotent
    def post(self, request, pk):
        session = self.session_for(pk)
        if self.register_auth is None and not self.membership.has_role(Role.MANAGER):
            raise PermissionDenied(
                "Cash is paid in or out with the session's register token or by a manager."
            )
        data = validated(s.CashMovementInput, request.data)
        movement = services.cash_movement_record(
            session=session,
            direction=data["direction"],
            amount=data["amount"],
            reason=data["reason"],
            actor=request.user,
        )
        return Response(
            s.CashMovementOutput(cash_movement_body(movement)).data,
            status=status.HTTP_201_CREATED,
        )


# ------------------------------------------------------------------ quote/checkout


@extend_schema(tags=["pos"])
class QuoteApi(PosView):
    """Price a cart exactly as checkout would (SPEC §5 Totals); writes nothing.

    A back-office ``location_id`` is checked as checkout checks it: unknown or another
    tenant's → 404 ``not_found``, not one of the member's → 403 (issue 9).
    """

    integration_writes = True  # a POST that writes nothing

    @extend_schema(
        examples=QUOTE_EXAMPLES,
        request=s.CartInput,
        responses={200: s.ReceiptOutput, **error_responses(400, 401, 403, 404, 422)},
    )
    def post(self, request):
        data = validated(s.CartInput, request.data)
        if self.register_auth is None and data.get("location_id") is not None:
            self.location_from_body(data["location_id"])  # 404 / 403 exactly as checkout
        priced = services.quote(
            tenant=self.tenant,
            lines=s.CartInput.cart_lines(data),
            allow_price_override=self.membership.has_role(Role.MANAGER),
            order_discount_percent=data.get("order_discount_percent"),
            order_discount_amount=data.get("order_discount_amount"),
        )
        return Response(plain_row(s.ReceiptOutput, quote_body(priced, self.tenant)))


@extend_schema(tags=["pos"])
class CheckoutApi(PosView):
    """Sell a cart: receipt with totals, tenders and change; 409 on short stock.

    With a bearer token (no till): MANAGER/OWNER or INTEGRATION at a store they are
    assigned to; a CASHIER gets 403 ``register_session_required`` (``checkout_source``).
    """

    integration_writes = True

    @extend_schema(
        examples=CHECKOUT_EXAMPLES,
        request=s.CheckoutInput,
        parameters=[IDEMPOTENCY_PARAM, RETRY_AFTER_HEADER],
        responses={201: s.SaleOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request):
        data = s.CheckoutInput.fast_validated(request.data)
        if data is None:
            data = validated(s.CheckoutInput, request.data)
        auth = self.register_auth
        location = None
        if auth is None and data.get("location_id") is not None:
            location = self.get_tenant_object(Location.objects.all(), data["location_id"])
        source = services.checkout_source(
            membership=self.membership,
            requested=data.get("source"),
            at_till=auth is not None,
            location_id=location.pk if location is not None else None,
        )
        if auth is not None:
            kwargs = {"register_session": auth.session}
        else:  # the service checked the member's access to it
            kwargs = {"location": location or self.location_from_body(None)}
        place = auth.location if auth is not None else kwargs["location"]
        result = services.checkout(
            tenant=self.tenant,
            lines=s.CartInput.cart_lines(data),
            tenders=[s.TenderInput.to_tender(t) for t in data.get("tenders", [])],
            actor=request.user,
            source=source,
            external_ref=data.get("external_ref", ""),
            customer_ref=data.get("customer_ref", ""),
            order_discount_percent=data.get("order_discount_percent"),
            order_discount_amount=data.get("order_discount_amount"),
            allow_price_override=self.membership.has_role(Role.MANAGER),
            membership=self.membership,
            approval=self.approval_from(data, place.pk),
            discount_reason=data["discount_reason"],
            **kwargs,
        )
        sale = result.sale
        sale.register_session = kwargs.get("register_session")
        body = sale_body(sale, result.lines, result.payments, self.tenant)
        return Response(plain_row(s.SaleOutput, body), status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- sales


class SaleFilterInput(serializers.Serializer):
    location_id = s.id_field(required=False)
    register_id = s.id_field(required=False)
    session_id = s.id_field(required=False)
    status = serializers.ChoiceField(choices=Sale.Status.choices, required=False)
    source = serializers.ChoiceField(choices=Sale.Source.choices, required=False)
    external_ref = serializers.CharField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    search = serializers.CharField(required=False)


@extend_schema(tags=["pos"])
class SaleListApi(PosView):
    """Sales, newest first; at the till, the register's store only."""

    read_role = Role.VIEWER
    renderer_classes = LIST_RENDERERS
    pagination_class = PageNumberPagination  # the list's page, documented as one

    @extend_schema(
        parameters=[SaleFilterInput, FORMAT_PARAM],
        responses={200: s.SaleListOutput(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.scoped_page(
            request,
            SaleFilterInput,
            selectors.sale_list,
            s.SaleListOutput,
            filename="sales.csv",
            values=s.SALE_LIST_VALUES,
        )


@extend_schema(tags=["pos"])
class SaleDetailApi(PosView):
    read_role = Role.VIEWER

    @extend_schema(responses={200: s.SaleOutput, **error_responses(401, 403, 404)})
    def get(self, request, pk):
        sale = self.visible_sale(pk)
        return Response(s.SaleRecordOutput(sale, context={"tenant": self.tenant}).data)


@extend_schema(tags=["pos"])
class SaleVoidApi(PosView):
    """Void a sale of the open session: stock restored once (VOID rows)."""

    @extend_schema(
        request=s.VoidInput,
        parameters=[IDEMPOTENCY_PARAM, RETRY_AFTER_HEADER],
        responses={200: s.SaleOutput, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    @idempotent
    def post(self, request, pk):
        auth = self.register_auth
        if auth is None and not self.membership.has_role(Role.MANAGER):
            raise PermissionDenied("Voiding from the back office needs a manager.")
        sale = self.visible_sale(pk)
        data = validated(s.VoidInput, request.data)
        services.sale_void(
            tenant=self.tenant,
            sale_id=int(pk),
            actor=request.user,
            register_session=auth.session if auth is not None else None,
            reason=data["reason"],
            membership=self.membership,
            approval=self.approval_from(data, sale.location_id),
        )
        sale = selectors.sale_get(tenant=self.tenant, sale_id=int(pk))
        return Response(s.SaleRecordOutput(sale, context={"tenant": self.tenant}).data)


# ------------------------------------------------------------------------- returns


class ReturnFilterInput(serializers.Serializer):
    sale_id = s.id_field(required=False)
    location_id = s.id_field(required=False)
    session_id = s.id_field(required=False)
    status = serializers.ChoiceField(choices=["DRAFT", "FINALIZED"], required=False)


@extend_schema(tags=["pos"])
class ReturnListCreateApi(PosView):
    """Draft a return (against a sale, or without receipt: MANAGER), or list returns."""

    read_role = Role.VIEWER
    renderer_classes = LIST_RENDERERS
    pagination_class = PageNumberPagination  # the list's page, documented as one

    @extend_schema(
        parameters=[ReturnFilterInput, FORMAT_PARAM],
        responses={200: s.ReturnOutput(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.scoped_page(
            request,
            ReturnFilterInput,
            selectors.return_list,
            s.ReturnOutput,
            filename="returns.csv",
        )

    @extend_schema(
        examples=RETURN_EXAMPLES,
        request=s.ReturnInput,
        parameters=[IDEMPOTENCY_PARAM, RETRY_AFTER_HEADER],
        responses={201: s.ReturnOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request):
        data = validated(s.ReturnInput, request.data)
        auth = self.register_auth
        location = None
        if auth is None and data.get("location_id") is not None:
            location = self.location_from_body(data["location_id"])
        where = auth.location.pk if auth is not None else location.pk if location else None
        if data.get("sale_id") is not None and auth is None:
            sale = self.visible_sale(data["sale_id"])
            where = where or sale.location_id
        ret = services.return_create(
            tenant=self.tenant,
            lines=[s.ReturnLineInputSerializer.to_input(line) for line in data["lines"]],
            sale_id=data.get("sale_id"),
            reason=data.get("reason", ""),
            actor=request.user,
            location=location,
            register_session=auth.session if auth is not None else None,
            manager_approved=self.membership.has_role(Role.MANAGER),
            refund_method=data["refund_method"],
            source=Sale.Source.POS if auth is not None else Sale.Source.API,
            membership=self.membership,
            approval=self.approval_from(data, where),
        )
        ret = selectors.return_get(tenant=self.tenant, return_id=ret.pk)
        return Response(s.ReturnOutput(ret).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["pos"])
class ReturnDetailApi(PosView):
    read_role = Role.VIEWER

    @extend_schema(responses={200: s.ReturnOutput, **error_responses(401, 403, 404)})
    def get(self, request, pk):
        return Response(s.ReturnOutput(self.visible_return(pk)).data)


@extend_schema(tags=["pos"])
class ReturnFinalizeApi(PosView):
    """Finalize a draft: refunds computed from the sale's amounts, RESTOCK lines restocked."""

    @extend_schema(
        request=s.ReturnFinalizeInput,
        parameters=[IDEMPOTENCY_PARAM, RETRY_AFTER_HEADER],
        responses={200: s.ReturnOutput, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    @idempotent
    def post(self, request, pk):
        ret = self.visible_return(pk)
        data = validated(s.ReturnFinalizeInput, request.data)
        services.return_finalize(
            tenant=self.tenant,
            return_id=ret.pk,
            actor=request.user,
            membership=self.membership,
            approval=self.approval_from(data, ret.location_id),
            reason=data["reason"],
        )
        ret = selectors.return_get(tenant=self.tenant, return_id=ret.pk)
        return Response(s.ReturnOutput(ret).data)


# ----------------------------------------------------------------------- approvals


@extend_schema(tags=["pos"])
class ApprovalIssueApi(PosView):
    """A manager issues a single-use approval token (valid 5 minutes) for a cashier's void,
    return without receipt, refund above the limit or discount above the limit (issue 12)."""

    write_role = Role.MANAGER

    @extend_schema(
        request=s.ApprovalIssueInput,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.ApprovalIssueOutput, **error_responses(400, 401, 403, 404)},
    )
    @idempotent
    def post(self, request):
        data = validated(s.ApprovalIssueInput, request.data)
        location = None
        if data.get("location_id") is not None:
            location = self.get_tenant_object(Location.objects.all(), data["location_id"])
        elif self.register_auth is not None:
            location = self.register_auth.location
        token, raw = approval_token_issue(
            membership=self.membership, location=location, reason=data["reason"]
        )
        return Response(
            s.ApprovalIssueOutput(approval_body(token, raw)).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )

    def reissue_secrets(self, request, body):
        """A replayed issue answers a new token (the earlier one is spent)."""
        token, raw = approval_token_reissue(
            membership=self.membership, approval_id=body["approval_id"]
        )
        return approval_body(token, raw)


def approval_body(token, raw: str) -> dict:
    return {
        "approval_id": token.pk,
        "token": raw,
        "expires_at": token.expires_at,
        "location_id": token.location_id,
        "issued_by": token.issued_by.get_username(),
        "reason": token.reason,
    }
