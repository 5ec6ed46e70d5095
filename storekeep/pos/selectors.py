"""Reads of the point of sale: tenant-filtered querysets (STYLE: selectors)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from storekeep.core.errors import NotFound
from storekeep.core.filters import filter_queryset
from storekeep.core.numbers import money
from storekeep.pos.models import (
    CashMovement,
    Payment,
    Register,
    RegisterSession,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
)

from .filters import RegisterFilter, ReturnFilter, SaleFilter

ZERO = Decimal("0.00")


def _scoped(queryset: QuerySet, location_ids) -> QuerySet:
    if location_ids is None:
        return queryset
    return queryset.filter(location_id__in=list(location_ids))


def register_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet[Register]:
    """Registers by location and code, each with ``open_sessions`` (its OPEN session, if any).

    ``filters`` (RegisterFilter): ``location_id``; ``location_ids``: a member's locations.
    """
    open_sessions = RegisterSession.objects.filter(
        tenant=tenant, status=RegisterSession.Status.OPEN
    )
    registers = Register.objects.filter(tenant=tenant).order_by("location_id", "code")
    registers = registers.prefetch_related(
        Prefetch("sessions", queryset=open_sessions, to_attr="open_sessions")
    )
    registers = _scoped(registers, location_ids)
    return filter_queryset(RegisterFilter, registers, filters, tenant=tenant)


def sale_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet[Sale]:
    """Sales of the tenant, newest first (register session joined; ``register_id`` annotated).

    ``filters`` (SaleFilter): ``location_id``, ``register_id``, ``session_id``, ``cashier_id``,
    ``status``, ``source``, ``external_ref``, ``date_from``/``date_to``
    (tenant-local dates of completion, inclusive; from after to → 400
    ``validation_error``) and ``search`` (receipt number or external ref).
    ``location_ids``: a member's locations.
    """
    qs = (
        Sale.objects.filter(tenant=tenant)
        .select_related("register_session")
        .annotate(register_id=F("register_session__register_id"))
    )
    qs = filter_queryset(SaleFilter, _scoped(qs, location_ids), filters, tenant=tenant)
    return qs.order_by("-completed_at", "-id")


def sale_get(*, tenant, sale_id) -> Sale:
    """One sale with its lines (and variants) and payments; 404 for other tenants' ids."""
    sale = (
        Sale.objects.filter(tenant=tenant, pk=sale_id)
        .select_related("register_session", "void_approved_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=SaleLine.objects.select_related(
                    "variant__product", "discount_approved_by"
                ).order_by("line_no"),
            ),
            "payments",
        )
        .first()
    )
    if sale is None:
        raise NotFound("Sale not found.", details={"sale_id": sale_id})
    return sale


def return_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet[Return]:
    """Returns with their lines (``line_list``), newest first.

    ``filters`` (ReturnFilter): ``sale_id``, ``location_id``, ``status``,
    ``session_id``; ``location_ids``: a member's locations.
    """
    qs = (
        Return.objects.filter(tenant=tenant)
        .select_related("approved_by")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.order_by("pk"), to_attr="line_list")
        )
    )
    qs = filter_queryset(ReturnFilter, _scoped(qs, location_ids), filters, tenant=tenant)
    return qs.order_by("-created_at", "-id")


def return_get(*, tenant, return_id) -> Return:
    ret = return_list(tenant=tenant).filter(pk=return_id).first()
    if ret is None:
        raise NotFound("Return not found.", details={"return_id": return_id})
    return ret


def z_report(*, tenant, session: RegisterSession) -> dict:
    """The Z report of a session: sales, voids, returns, tenders, cash expectation (SPEC §5),
    with totals per tax rate and per cashier, cash paid in/out and the manager approvals
    given during the session (issue 12 items 3, 6).

    ``tenant``: the Tenant (or its id, which saves loading it inside a service).

    Cash expected in the drawer = opening float + cash taken on completed sales
    (net of change) − cash refunded on finalized returns + cash paid in − cash
    paid out. Amounts in the tenant currency, to the cent. ``tax_rates``: per
    rate of the completed sales' lines, ``{"rate", "net", "tax", "total"}``
    (``net`` without tax, fees left out). ``cashiers``: per person who sold or
    refunded, ``{"cashier_id", "username", "sales_count", "sales_total",
    "voids_count", "voids_total", "returns_count", "returns_total"}``. ``voids``:
    each voided sale with its reason and approving manager. ``approvals``: each
    approved void, return and discounted line. A constant number of queries.
    """
    completed = Q(status=Sale.Status.COMPLETED)
    sales = Sale.objects.filter(tenant=tenant, register_session=session).aggregate(
        sales_count=Count("id", filter=completed),
        gross_sales=Sum("subtotal", filter=completed),
        discounts=Sum("discount_total", filter=completed),
        tax=Sum("tax_total", filter=completed),
        sales_total=Sum("total", filter=completed),
        voids_count=Count("id", filter=Q(status=Sale.Status.VOIDED)),
        voids_total=Sum("total", filter=Q(status=Sale.Status.VOIDED)),
    )
    tenders = _session_tenders(tenant, session)
    refunds, returns_count = _session_refunds(tenant, session)
    returns_total = sum(refunds.values(), ZERO)
    paid_in, paid_out, movements = _session_cash_movements(tenant, session)
    voids = _session_voids(tenant, session)
    return {
        "session_id": session.pk,
        "register_id": session.register_id,
        "status": session.status,
        "opened_at": session.opened_at,
        "closed_at": session.closed_at,
        "opening_float": money(session.opening_float),
        "sales_count": sales["sales_count"],
        "gross_sales": money(sales["gross_sales"]),
        "discounts": money(sales["discounts"]),
        "tax": money(sales["tax"]),
        "sales_total": money(sales["sales_total"]),
        "voids_count": sales["voids_count"],
        "voids_total": money(sales["voids_total"]),
        "returns_count": returns_count,
        "returns_total": returns_total,
        "net_sales": money(sales["sales_total"]) - returns_total,
        "tenders": [{"method": m, "amount": a} for m, a in tenders.items()],
        "refunds": [{"method": m, "amount": a} for m, a in refunds.items()],
        "tax_rates": _session_tax_rates(tenant, session),
        "cashiers": _session_cashiers(tenant, session),
        "paid_in": paid_in,
        "paid_out": paid_out,
        "cash_movements": movements,
        "voids": voids,
        "approvals": _session_approvals(tenant, session, voids),
        "expected_cash": money(session.opening_float)
        + tenders["CASH"]
        - refunds["CASH"]
        + paid_in
        - paid_out,
        "counted_cash": session.counted_cash,
        "variance": session.variance,
    }


def _session_tenders(tenant, session) -> dict[str, Decimal]:
    tenders = {method: ZERO for method in Payment.Method.values}
    for method, amount in (
        Payment.objects.filter(
            tenant=tenant, sale__register_session=session, sale__status=Sale.Status.COMPLETED
        )
        .values_list("method")
        .annotate(total=Sum("amount"))
        .values_list("method", "total")
    ):
        tenders[method] = money(amount)
    return tenders


def _session_refunds(tenant, session) -> tuple[dict[str, Decimal], int]:
    refunds = {method: ZERO for method in Payment.Method.values}
    returns_count = 0
    for method, count, amount in (
        Return.objects.filter(
            tenant=tenant, register_session=session, status=Return.Status.FINALIZED
        )
        .values_list("refund_method")
        .annotate(n=Count("id"), total=Sum("refund_total"))
        .values_list("refund_method", "n", "total")
    ):
        refunds[method] = money(amount)
        returns_count += count
    return refunds, returns_count


def _session_tax_rates(tenant, session) -> list[dict]:
    """Completed sales' lines per tax rate: net (without tax), tax, total (one query)."""
    rows = (
        SaleLine.objects.filter(
            tenant=tenant,
            sale__register_session=session,
            sale__status=Sale.Status.COMPLETED,
        )
        .values("tax_rate")
        .annotate(taxes=Sum("tax"), totals=Sum("line_total"), fees=Sum("fee"))
        .order_by("tax_rate")
    )
    result = []
    for row in rows:
        total = money(row["totals"]) - money(row["fees"])
        tax = money(row["taxes"])
        result.append({"rate": row["tax_rate"], "net": total - tax, "tax": tax, "total": total})
    return result


def _session_cashiers(tenant, session) -> list[dict]:
    """Per person: sales and voids (as cashier of the sale), returns (as who made them)."""
    people: dict[int | None, dict] = {}

    def person(user_id, username) -> dict:
        return people.setdefault(
            user_id,
            {
                "cashier_id": user_id,
                "username": username or "",
                "sales_count": 0,
                "sales_total": ZERO,
                "voids_count": 0,
                "voids_total": ZERO,
                "returns_count": 0,
                "returns_total": ZERO,
            },
        )

    completed, voided = Q(status=Sale.Status.COMPLETED), Q(status=Sale.Status.VOIDED)
    for row in (
        Sale.objects.filter(tenant=tenant, register_session=session)
        .values("cashier_id", "cashier__username")
        .annotate(
            n=Count("id", filter=completed),
            sold=Sum("total", filter=completed),
            voids=Count("id", filter=voided),
            voided=Sum("total", filter=voided),
        )
        .order_by("cashier_id")
    ):
        entry = person(row["cashier_id"], row["cashier__username"])
        entry.update(
            sales_count=row["n"],
            sales_total=money(row["sold"]),
            voids_count=row["voids"],
            voids_total=money(row["voided"]),
        )
    for row in (
        Return.objects.filter(
            tenant=tenant, register_session=session, status=Return.Status.FINALIZED
        )
        .values("created_by_id", "created_by__username")
        .annotate(n=Count("id"), refunded=Sum("refund_total"))
        .order_by("created_by_id")
    ):
        entry = person(row["created_by_id"], row["created_by__username"])
        entry.update(returns_count=row["n"], returns_total=money(row["refunded"]))
    return sorted(people.values(), key=lambda p: (p["username"], p["cashier_id"] or 0))


def _session_cash_movements(tenant, session) -> tuple[Decimal, Decimal, list[dict]]:
    """(paid in, paid out, the movements oldest first) of the session (one query)."""
    movements = [
        {
            "cash_movement_id": m.pk,
            "direction": m.direction,
            "amount": m.amount,
            "reason": m.reason,
            "created_by": m.created_by.get_username(),
            "created_at": m.created_at,
        }
        for m in CashMovement.objects.filter(tenant=tenant, register_session=session)
        .select_related("created_by")
        .order_by("created_at", "pk")
    ]
    paid_in = sum((m["amount"] for m in movements if m["direction"] == "IN"), ZERO)
    paid_out = sum((m["amount"] for m in movements if m["direction"] == "OUT"), ZERO)
    return money(paid_in), money(paid_out), movements


def _session_voids(tenant, session) -> list[dict]:
    """Each voided sale of the session with its reason, who voided and who approved."""
    return [
        {
            "sale_id": sale.pk,
            "receipt_number": sale.receipt_number,
            "total": sale.total,
            "reason": sale.void_reason,
            "voided_by": sale.voided_by.get_username() if sale.voided_by else "",
            "approved_by": sale.void_approved_by.get_username() if sale.void_approved_by else None,
            "voided_at": sale.voided_at,
        }
        for sale in Sale.objects.filter(
            tenant=tenant, register_session=session, status=Sale.Status.VOIDED
        )
        .select_related("voided_by", "void_approved_by")
        .order_by("voided_at", "pk")
    ]


def _session_approvals(tenant, session, voids: list[dict]) -> list[dict]:
    """Every manager approval of the session: voids, returns, discounted lines (two queries)."""
    approvals = [
        {
            "kind": "VOID",
            "sale_id": v["sale_id"],
            "return_id": None,
            "receipt_number": v["receipt_number"],
            "amount": v["total"],
            "approved_by": v["approved_by"],
            "reason": v["reason"],
        }
        for v in voids
        if v["approved_by"]
    ]
    for ret in (
        Return.objects.filter(tenant=tenant, register_session=session, approved_by__isnull=False)
        .select_related("approved_by", "sale")
        .order_by("pk")
    ):
        approvals.append(
            {
                "kind": "RETURN",
                "sale_id": ret.sale_id,
                "return_id": ret.pk,
                "receipt_number": ret.sale.receipt_number if ret.sale else "",
                "amount": ret.refund_total,
                "approved_by": ret.approved_by.get_username(),
                "reason": ret.reason,
            }
        )
    for line in (
        SaleLine.objects.filter(
            tenant=tenant, sale__register_session=session, discount_approved_by__isnull=False
        )
        .select_related("discount_approved_by", "sale")
        .order_by("sale_id", "line_no")
    ):
        approvals.append(
            {
                "kind": "DISCOUNT",
                "sale_id": line.sale_id,
                "return_id": None,
                "receipt_number": line.sale.receipt_number,
                "amount": line.discount,
                "approved_by": line.discount_approved_by.get_username(),
                "reason": line.discount_reason,
            }
        )
    return approvals


def cash_movement_list(*, tenant, session) -> QuerySet[CashMovement]:
    """The cash paid in/out of a register session, oldest first, who recorded it joined."""
    return (
        CashMovement.objects.filter(tenant=tenant, register_session=session)
        .select_related("created_by")
        .order_by("created_at", "pk")
    )


def closed_session_list(*, tenant, location_ids=None) -> QuerySet[RegisterSession]:
    """CLOSED register sessions (their Z reports: expected and counted cash, variance),
    newest close first, register, store and closer joined; ``location_ids``: those stores."""
    sessions = RegisterSession.objects.filter(
        tenant=tenant, status=RegisterSession.Status.CLOSED
    ).select_related("register__location", "closed_by")
    if location_ids is not None:
        sessions = sessions.filter(register__location_id__in=list(location_ids))
    return sessions.order_by("-closed_at", "-id")


# ----------------------------------------------------------------------------- the till


def till_registers(*, tenant, location_ids: set[int] | None) -> QuerySet[Register]:
    """Active registers of active STORE locations (``location_ids`` None = all), each with
    ``open_sessions`` (their open session and who opened it), by store and code."""
    from storekeep.locations.models import Location

    open_sessions = RegisterSession.objects.filter(
        tenant=tenant, status=RegisterSession.Status.OPEN
    ).select_related("opened_by")
    qs = Register.objects.filter(
        tenant=tenant,
        is_active=True,
        location__is_active=True,
        location__type=Location.Type.STORE,
    ).select_related("location")
    if location_ids is not None:
        qs = qs.filter(location_id__in=location_ids)
    return qs.order_by("location__name", "code").prefetch_related(
        Prefetch("sessions", queryset=open_sessions, to_attr="open_sessions")
    )


def till_session_get(*, tenant, session_id) -> RegisterSession | None:
    """A register session with its register, store and the people who opened/closed it."""
    return (
        RegisterSession.objects.filter(tenant=tenant, pk=session_id)
        .select_related("register__location", "opened_by", "closed_by")
        .first()
    )


def open_session_of(*, tenant, user, location_ids: set[int] | None) -> RegisterSession | None:
    """The user's most recently opened OPEN session (in the stores they may use), or None."""
    qs = RegisterSession.objects.filter(
        tenant=tenant, opened_by=user, status=RegisterSession.Status.OPEN
    ).select_related("register__location", "opened_by", "closed_by")
    if location_ids is not None:
        qs = qs.filter(register__location_id__in=location_ids)
    return qs.order_by("-opened_at", "-id").first()


def variant_for_code(*, tenant, code: str):
    """The variant a scanned code names: its barcode first, else its SKU (one query)."""
    from storekeep.catalog.models import Variant

    matches = list(
        Variant.objects.filter(Q(barcode=code) | Q(sku=code), tenant=tenant).select_related(
            "product"
        )[:2]
    )
    for variant in matches:
        if variant.barcode == code:
            return variant
    return matches[0] if matches else None


def variant_search(*, tenant, term: str, limit: int = 8):
    """Active variants whose product name, variant name, SKU or barcode contains ``term``,
    by product name; at most ``limit``."""
    from storekeep.catalog.models import Variant

    term = term.strip()
    if not term:
        return Variant.objects.none()
    return (
        Variant.objects.filter(tenant=tenant, is_active=True, product__is_active=True)
        .filter(
            Q(product__name__icontains=term)
            | Q(name__icontains=term)
            | Q(sku__iexact=term)
            | Q(barcode=term)
        )
        .select_related("product")
        .order_by("product__name", "sku")[:limit]
    )


def receipt_get(*, tenant, sale_id) -> Sale:
    """A sale as its receipt shows it: lines with variant and product, payments, store,
    cashier and register; 404 for other tenants' ids."""
    sale = (
        Sale.objects.filter(tenant=tenant, pk=sale_id)
        .select_related(
            "location", "cashier", "voided_by", "void_approved_by", "register_session__register"
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=SaleLine.objects.select_related(
                    "variant__product", "discount_approved_by"
                ).order_by("line_no"),
            ),
            Prefetch("payments", queryset=Payment.objects.order_by("pk")),
        )
        .first()
    )
    if sale is None:
        raise NotFound("Sale not found.", details={"sale_id": sale_id})
    return sale


def sale_by_receipt_number(*, tenant, receipt_number: str) -> Sale | None:
    """The sale with this receipt number (case-insensitive, exact), or None."""
    return (
        Sale.objects.filter(tenant=tenant, receipt_number__iexact=receipt_number.strip())
        .order_by("-id")
        .first()
    )
