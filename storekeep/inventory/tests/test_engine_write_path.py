"""SPEC §3.1 (one write path) and §3.5 (append-only ledger)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.inventory.models.ledger import AppendOnlyError
from storekeep.inventory.models.stock import OneWritePathError

from .helpers import D, item

STOREKEEP = Path(__file__).resolve().parents[2]

# Writes of on_hand / reserved that only the engine may do.
WRITE_PATTERNS = [
    re.compile(r"\.update\([^)]*\b(on_hand|reserved)\s*="),
    re.compile(r"\b(on_hand|reserved)\s*=\s*F\("),
    re.compile(r"\.(on_hand|reserved)\s*(\+|-|\*|/)?=(?!=)"),
    re.compile(r"bulk_update\([^)]*[\"'](on_hand|reserved)[\"']"),
    re.compile(r"update_fields\s*=\s*\[[^\]]*[\"'](on_hand|reserved)[\"']"),
    re.compile(r"(UPDATE|update)\s+\"?inventory_inventoryitem\"?\s+SET", re.IGNORECASE),
]


def _scanned_files():
    for path in sorted(STOREKEEP.rglob("*.py")):
        rel = path.relative_to(STOREKEEP)
        parts = rel.parts
        if (
            "tests" in parts
            or "migrations" in parts
            or rel.as_posix().startswith("inventory/services/")
        ):
            continue
        yield path, rel


def test_no_code_outside_the_engine_writes_on_hand_or_reserved():
    offenders = []
    for path, rel in _scanned_files():
        text = path.read_text(encoding="utf-8")
        # Join wrapped calls so a bulk_update(..., ["on_hand"]) split over lines is still seen.
        flat = re.sub(r"\s*\n\s*", " ", text)
        for pattern in WRITE_PATTERNS:
            for match in pattern.finditer(flat):
                offenders.append(f"storekeep/{rel}: {match.group(0)!r}")
    assert offenders == [], (
        "on_hand/reserved written outside storekeep.inventory.services:\n" + "\n".join(offenders)
    )


def test_the_source_scan_recognises_the_forbidden_writes():
    samples = [
        "InventoryItem.objects.filter(pk=1).update(on_hand=5)",
        "qs.update(reserved=F('reserved') + 1)",
        "item.on_hand += 3",
        "item.reserved = Decimal('1')",
        'InventoryItem.objects.bulk_update(items, ["version", "on_hand"])',
        "item.save(update_fields=['reserved'])",
        "cursor.execute('UPDATE inventory_inventoryitem SET on_hand = 1')",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in WRITE_PATTERNS), sample
    assert not any(p.search("if item.on_hand == 0: pass") for p in WRITE_PATTERNS)
    assert any(rel.as_posix() == "inventory/selectors.py" for _, rel in _scanned_files())


def test_saving_a_changed_on_hand_outside_the_engine_is_refused(tenant, store, variant, stock):
    stock(variant, store, 5)
    row = item(tenant, store, variant)
    row.on_hand = D("50")
    with pytest.raises(OneWritePathError):
        row.save()
    row = item(tenant, store, variant)
    row.reserved = D("1")
    with pytest.raises(OneWritePathError):
        row.save(update_fields=["reserved"])
    assert item(tenant, store, variant).on_hand == D("5")
    assert item(tenant, store, variant).reserved == D("0")


def test_creating_an_item_with_stock_outside_the_engine_is_refused(tenant, store, variant):
    with pytest.raises(OneWritePathError):
        InventoryItem.objects.create(tenant=tenant, location=store, variant=variant, on_hand=D("3"))
    assert not InventoryItem.objects.filter(tenant=tenant).exists()


def test_saving_other_fields_outside_the_engine_is_allowed(tenant, store, variant, stock):
    stock(variant, store, 5)
    row = item(tenant, store, variant)
    row.reorder_point = D("2")
    row.save()
    assert item(tenant, store, variant).reorder_point == D("2")
    assert InventoryItem.objects.filter(pk=row.pk).update(reorder_qty=D("10")) == 1


def test_queryset_update_and_bulk_update_of_quantities_are_refused(tenant, store, variant, stock):
    stock(variant, store, 5)
    qs = InventoryItem.objects.filter(tenant=tenant)
    with pytest.raises(OneWritePathError):
        qs.update(on_hand=D("9"))
    with pytest.raises(OneWritePathError):
        qs.update(reserved=F("reserved") + 1)
    row = item(tenant, store, variant)
    row.on_hand = D("9")
    with pytest.raises(OneWritePathError):
        InventoryItem.objects.bulk_update([row], ["on_hand"])
    assert item(tenant, store, variant).on_hand == D("5")


def test_ledger_rows_cannot_be_saved_again_or_deleted(tenant, store, variant, stock):
    [row] = stock(variant, store, 5)
    row = StockLedger.objects.get(pk=row.pk)
    row.qty_delta = D("500")
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        StockLedger.objects.filter(pk=row.pk).update(qty_delta=D("1"))
    with pytest.raises(AppendOnlyError):
        StockLedger.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        StockLedger.objects.bulk_update([row], ["qty_delta"])
    stored = StockLedger.objects.get(pk=row.pk)
    assert stored.qty_delta == D("5") and stored.balance_after == D("5")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE inventory_stockledger SET qty_delta = 100 WHERE id = %s",
        "DELETE FROM inventory_stockledger WHERE id = %s",
    ],
)
def test_direct_sql_update_or_delete_of_a_ledger_row_fails_on_postgresql(
    statement, tenant, store, variant, stock
):
    [row] = stock(variant, store, Decimal("5"))
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row.pk])
    stored = StockLedger.objects.get(pk=row.pk)
    assert stored.qty_delta == D("5")


def test_bulk_creating_items_with_stock_outside_the_engine_is_refused(tenant, store, variant):
    with pytest.raises(OneWritePathError):
        InventoryItem.objects.bulk_create(
            [InventoryItem(tenant=tenant, location=store, variant=variant, on_hand=D("4"))]
        )
    InventoryItem.objects.bulk_create(
        [InventoryItem(tenant=tenant, location=store, variant=variant)]
    )
    assert item(tenant, store, variant).on_hand == D("0")


def test_a_stale_instance_saved_outside_the_engine_does_not_overwrite_quantities(
    tenant, store, variant, stock
):
    """Bug: a full save() of an instance loaded before a sale wrote the old on_hand back."""
    from storekeep.inventory.services import StockLine, record_sale

    stock(variant, store, 5)
    stale = item(tenant, store, variant)
    record_sale(
        tenant=tenant,
        location_id=store.pk,
        ref_id="S1",
        lines=[StockLine(variant_id=variant.pk, qty=D("2"))],
    )
    stale.reorder_point = D("7")
    stale.save()
    fresh = item(tenant, store, variant)
    assert (fresh.on_hand, fresh.reorder_point) == (D("3"), D("7"))
    stale.refresh_from_db()  # now current: other fields still save
    stale.reorder_qty = D("12")
    stale.save(update_fields=["reorder_qty", "on_hand"])
    assert item(tenant, store, variant).reorder_qty == D("12")
    from storekeep.inventory.selectors import ledger_parity_mismatches

    assert ledger_parity_mismatches(tenant=tenant)[0] == []
