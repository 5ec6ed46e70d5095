"""What the point of sale tells webhook receivers (issue 15 item 2): ``sale.completed``,
``sale.voided`` and ``return.finalized``, written through :mod:`storekeep.core.outbox` in the
sale's, void's or return's own transaction. Money and quantities are decimal strings."""

from __future__ import annotations

from decimal import Decimal

from storekeep.core.outbox import emit_event, emit_events


def _qty(value) -> str:
    """A quantity as the API writes it: a decimal string with 3 places."""
    return str(Decimal(value).quantize(Decimal("0.001")))


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def sale_data(sale, lines) -> dict:
    return {
        "sale_id": sale.pk,
        "receipt_number": sale.receipt_number,
        "status": sale.status,
        "location_id": sale.location_id,
        "register_session_id": sale.register_session_id,
        "source": sale.source,
        "external_ref": sale.external_ref,
        "subtotal": str(sale.subtotal),
        "discount_total": str(sale.discount_total),
        "tax_total": str(sale.tax_total),
        "total": str(sale.total),
        "completed_at": _iso(sale.completed_at),
        "lines": [
            {
                "line_no": line.line_no,
                "variant_id": line.variant_id,
                "qty": _qty(line.qty),
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
            }
            for line in lines
        ],
    }


def sales_completed(tenant, results) -> None:
    """One ``sale.completed`` per checkout result (one INSERT for a batch)."""
    emit_events(
        tenant=tenant,
        events=[("sale.completed", sale_data(r.sale, r.lines)) for r in results],
    )


def sale_voided(tenant, sale, lines) -> None:
    data = sale_data(sale, lines)
    data.update(voided_at=_iso(sale.voided_at), void_reason=sale.void_reason)
    emit_event(tenant=tenant, event_type="sale.voided", data=data)


def return_finalized(tenant, ret, rows) -> None:
    emit_event(
        tenant=tenant,
        event_type="return.finalized",
        data={
            "return_id": ret.pk,
            "sale_id": ret.sale_id,
            "location_id": ret.location_id,
            "refund_total": str(ret.refund_total),
            "finalized_at": _iso(ret.finalized_at),
            "lines": [
                {
                    "variant_id": row.variant_id,
                    "sale_line_id": row.sale_line_id,
                    "qty": _qty(row.qty),
                    "disposition": row.disposition,
                    "refund_total": str(row.refund_total),
                }
                for row in rows
            ],
        },
    )
