"""What inventory tells webhook receivers (issue 15 item 2): event payloads written through
:mod:`storekeep.core.outbox` inside the operation's transaction. Quantities are decimal
strings in the stock unit, times ISO 8601."""

from __future__ import annotations

from decimal import Decimal

from storekeep.core.outbox import emit_event, emit_events


def _qty(value) -> str:
    """A quantity as the API writes it: a decimal string with 3 places."""
    return str(Decimal(value).quantize(Decimal("0.001")))


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def reservation_data(reservation) -> dict:
    return {
        "reservation_id": reservation.pk,
        "order_ref": reservation.order_ref,
        "location_id": reservation.location_id,
        "variant_id": reservation.variant_id,
        "qty": _qty(reservation.qty),
        "status": reservation.status,
        "expires_at": _iso(reservation.expires_at),
    }


def reservations_expired(tenant, reservations) -> None:
    """``reservation.expired`` for each reservation this operation expired."""
    emit_events(
        tenant=tenant,
        events=[("reservation.expired", reservation_data(r)) for r in reservations],
    )


def reservation_confirmed(tenant, reservation, rows) -> None:
    data = reservation_data(reservation)
    data["ledger_ids"] = [row.pk for row in rows]
    emit_event(tenant=tenant, event_type="reservation.confirmed", data=data)


def stock_low(tenant, alerts, variants) -> None:
    """``stock.low`` per downward crossing of the threshold (one per LowStockAlert)."""
    emit_events(
        tenant=tenant,
        events=[
            (
                "stock.low",
                {
                    "alert_id": alert.pk,
                    "location_id": alert.location_id,
                    "variant_id": alert.variant_id,
                    "sku": variants[alert.variant_id].sku if alert.variant_id in variants else "",
                    "available": _qty(alert.available),
                    "threshold": _qty(alert.threshold),
                },
            )
            for alert in alerts
        ],
    )


def transfer_received(tenant, transfer, received: dict) -> None:
    """``received``: {variant_id: qty received by this call}."""
    emit_event(
        tenant=tenant,
        event_type="transfer.received",
        data={
            "transfer_id": transfer.pk,
            "status": transfer.status,
            "from_location_id": transfer.from_location_id,
            "to_location_id": transfer.to_location_id,
            "lines": [
                {"variant_id": variant_id, "qty_received": _qty(qty)}
                for variant_id, qty in received.items()
            ],
        },
    )


def count_finalized(tenant, count, rows) -> None:
    emit_event(
        tenant=tenant,
        event_type="count.finalized",
        data={
            "count_id": count.pk,
            "location_id": count.location_id,
            "scope": count.scope,
            "zone_name": count.zone_name,
            "lines": [
                {"variant_id": row.variant_id, "qty_delta": _qty(row.qty_delta)} for row in rows
            ],
        },
    )
