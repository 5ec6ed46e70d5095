"""Database side of the Online Retail import: catalog, opening stock, replay.

:func:`import_online_retail` runs the whole import for one tenant:

1. a first streaming pass (:func:`.plan.scan`) computes the catalog, the
   opening stock and the expected figures, ignoring invoices already imported;
2. the catalog is created with bulk inserts (one product + variant per
   normalised stock code, ``sku`` = the code; non-product codes become
   variants with ``track_inventory=False``);
3. with ``opening_stock="auto"`` the stock that keeps every product from ever
   running short is received through the stock engine (``receive_stock``,
   RECEIPT rows with reason ``initial``), dated the day before the first
   invoice to replay;
4. a second streaming pass replays the invoices in time order, one database
   transaction per trading day, through the same services the till uses:
   sale invoices → ``checkout`` (``source=IMPORT``, ``external_ref`` = the
   invoice number, the line's own unit price, tax 0, one OTHER payment) in a
   register session opened and closed for that day; ``C`` invoices →
   finalized returns (``return_process``) matched to the customer's earlier
   sale lines of the same code and unit price, else without receipt;
   adjustment invoices → ``adjust_stock`` (found stock, reason
   ``correction``) and ``write_off`` (reason read from the note). Sales are
   written in batches (``checkout_batch``, same code as ``checkout``); a
   return or adjustment of a variant on a queued sale writes the queue first,
   so each item's ledger is in time order.

Restartable: the invoices already in the database (``Sale.external_ref``,
``Return.external_ref``, ledger ``ref_id`` of the import location's
adjustments: three queries) are skipped, and a day is imported whole or not
at all. The importer has no models of its own.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils.text import slugify

from storekeep.accounts.models import hash_token
from storekeep.catalog.models import Category, Product, Variant
from storekeep.core.errors import DomainError
from storekeep.inventory.models import InventoryItem, LedgerRefType, StockLedger
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    receive_stock,
    write_off,
)
from storekeep.locations.models import Location
from storekeep.pos.models import Payment, Register, RegisterSession, Return, ReturnLine, Sale
from storekeep.pos.services import (
    CartInput,
    CartLine,
    ReturnLineInput,
    checkout_batch,
    return_process,
)
from storekeep.tenants.models import Tenant

from .classify import InvoiceKind, LineKind, adjustment_reason
from .codes import is_product_code, non_product_kind
from .invoices import Invoice
from .plan import ScanResult, money, read_invoices, scan
from .reader import InvalidRow

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "online_retail_sample.csv.gz"
DEFAULT_TENANT_SLUG = "online-retail"
LOCATION_CODE = "WEB"
REGISTER_CODE = "R1"
IMPORT_USERNAME = "online-retail-import"
OPENING_REF = "online-retail-opening"
#: The file's times are UK local time without a zone (README quirk 13).
DATA_TZ = ZoneInfo("Europe/London")
ZERO = Decimal("0")
#: Sale invoices checked out together (one `checkout_batch`), at most.
SALES_PER_BATCH = 50


def default_path() -> Path:
    """The shared full year if present (``../shared/data/``), else the committed slice."""
    full = Path(settings.BASE_DIR).parent / "shared" / "data" / "online_retail.csv.gz"
    return full if full.exists() else SAMPLE_PATH


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=DATA_TZ)


@dataclass
class ImportSummary:
    """What one run did. Money in GBP; ``elapsed`` in seconds."""

    path: str = ""
    rows_read: int = 0
    invoices: int = 0
    sales: int = 0
    sale_lines: int = 0
    returns: int = 0
    return_lines: int = 0
    returns_matched_lines: int = 0
    adjustments: int = 0
    adjustment_lines: int = 0
    opening_lines: int = 0
    opening_qty: Decimal = ZERO
    already_imported: int = 0
    skipped: Counter = field(default_factory=Counter)
    invalid_rows: list[InvalidRow] = field(default_factory=list)
    elapsed: float = 0.0
    net_sales_run: Decimal = Decimal("0.00")
    net_sales_total: Decimal = Decimal("0.00")
    expected_net_sales: Decimal = Decimal("0.00")

    @property
    def lines_imported(self) -> int:
        return self.sale_lines + self.return_lines + self.adjustment_lines

    @property
    def lines_per_second(self) -> float:
        return self.lines_imported / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(self.skipped.items()))
        return (
            f"rows read {self.rows_read}; invoices imported {self.invoices} "
            f"(sales {self.sales}, returns {self.returns}, adjustments {self.adjustments}), "
            f"lines imported {self.lines_imported} (sale {self.sale_lines}, return {self.return_lines}, "
            f"adjustment {self.adjustment_lines}); opening stock {self.opening_lines} variants / "
            f"{self.opening_qty.normalize():f} units; already imported {self.already_imported} invoices; "
            f"rows skipped: {skipped or 'none'}; elapsed {self.elapsed:.1f}s, "
            f"{self.lines_per_second:.0f} lines/s; net sales this run £{self.net_sales_run:,}; "
            f"net sales total £{self.net_sales_total:,} (file: £{self.expected_net_sales:,})"
        )


@dataclass
class _Sold:
    """A sale line a later cancellation may return (same customer, code, price)."""

    sale_id: int
    sale_line_id: int
    unit_price: Decimal
    remaining: Decimal


class OnlineRetailImporter:
    """One import run; see the module docstring. Use :func:`import_online_retail`."""

    def __init__(
        self,
        *,
        tenant: Tenant,
        path: Path,
        limit_rows: int | None = None,
        until: date | None = None,
        opening_stock: str = "auto",
        progress: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if opening_stock not in ("auto", "none"):
            raise ValueError("opening_stock is 'auto' or 'none'")
        self.tenant = tenant
        self.path = Path(path)
        self.limit_rows = limit_rows
        self.until = until
        self.opening_stock = opening_stock
        self.progress = progress
        self.log = log or (lambda message: None)
        self.summary = ImportSummary(path=str(self.path))
        self.pending_sales: list[tuple[Invoice, dict[int, Decimal]]] = []
        #: Every variant on a queued sale (product or not): a later return or
        #: adjustment touching one of them waits for the queue to be written.
        self.pending_variants: set[int] = set()

    # --- set-up ------------------------------------------------------------------

    def _setup(self) -> None:
        user_model = get_user_model()
        self.user, created = user_model.objects.get_or_create(
            username=IMPORT_USERNAME, defaults={"is_active": False}
        )
        if created:
            self.user.set_unusable_password()
            self.user.save(update_fields=["password"])
        self.location, _ = Location.objects.get_or_create(
            tenant=self.tenant,
            code=LOCATION_CODE,
            defaults={
                "name": "Online shop (UCI Online Retail replay)",
                "type": Location.Type.STORE,
                "address": "United Kingdom",
            },
        )
        self.register, _ = Register.objects.get_or_create(
            tenant=self.tenant,
            location=self.location,
            code=REGISTER_CODE,
            defaults={"name": "Web orders"},
        )

    def _done_refs(self) -> set[str]:
        """Invoice numbers already imported (three queries, whatever their number)."""
        tenant, location = self.tenant, self.location
        done = set(
            Sale.objects.filter(tenant=tenant, location=location, source=Sale.Source.IMPORT)
            .exclude(external_ref="")
            .values_list("external_ref", flat=True)
        )
        for ref in (
            Return.objects.filter(tenant=tenant, location=location, source=Sale.Source.IMPORT)
            .exclude(external_ref="")
            .values_list("external_ref", flat=True)
        ):
            done.add(ref.split("/", 1)[0])
        done.update(
            StockLedger.objects.filter(
                tenant=tenant,
                location=location,
                ref_type__in=[LedgerRefType.WASTE, LedgerRefType.ADJUSTMENT],
            )
            .values_list("ref_id", flat=True)
            .distinct()
        )
        return done

    def _sync_catalog(self, scanned: ScanResult) -> None:
        """Create the missing products/variants (bulk) and load every variant by code."""
        tenant = self.tenant
        codes = list(scanned.catalog)
        existing = set(
            Variant.objects.filter(tenant=tenant, sku__in=codes).values_list("sku", flat=True)
        )
        missing = [scanned.catalog[code] for code in codes if code not in existing]
        if missing:
            goods, _ = Category.objects.get_or_create(tenant=tenant, name="Giftware")
            services, _ = Category.objects.get_or_create(tenant=tenant, name="Non-stock lines")
            products = [
                Product(
                    tenant=tenant,
                    name=entry.name,
                    description=(
                        f"Online Retail stock code {entry.code}"
                        if entry.is_product
                        else f"Online Retail non-product code {entry.code} "
                        f"({non_product_kind(entry.code)})"
                    ),
                    category=goods if entry.is_product else services,
                )
                for entry in missing
            ]
            Product.objects.bulk_create(products, batch_size=1000)
            variants = [
                Variant(
                    tenant=tenant,
                    product=product,
                    sku=entry.code,
                    price=entry.price,
                    track_inventory=entry.is_product,
                )
                for entry, product in zip(missing, products, strict=True)
            ]
            Variant.objects.bulk_create(variants, batch_size=1000)
        self.variants: dict[str, Variant] = {
            v.sku: v
            for v in Variant.objects.filter(tenant=tenant, sku__in=codes).select_related(
                "product__tax_category"
            )
        }
        self.created_variants = len(missing)

    def _load_stock(self) -> dict[int, Decimal]:
        return dict(
            InventoryItem.objects.filter(tenant=self.tenant, location=self.location).values_list(
                "variant_id", "on_hand"
            )
        )

    def _receive_opening(self, scanned: ScanResult, first_day: date) -> None:
        start = {code: self.stock.get(v.pk, ZERO) for code, v in self.variants.items()}
        needed = scanned.planner.required(start)
        if not needed:
            return
        lines = sorted(
            (
                ReceiptLine(variant_id=self.variants[code].pk, qty=qty)
                for code, qty in needed.items()
            ),
            key=lambda line: line.variant_id,
        )
        receive_stock(
            tenant=self.tenant,
            location_id=self.location.pk,
            lines=lines,
            actor=self.user,
            reason="initial",
            ref_id=OPENING_REF,
            note="Opening stock computed from the Online Retail file (never short when replayed)",
            occurred_at=aware(datetime.combine(first_day - timedelta(days=1), datetime.min.time())),
        )
        for line in lines:
            self.stock[line.variant_id] = self.stock.get(line.variant_id, ZERO) + line.qty
        self.summary.opening_lines = len(lines)
        self.summary.opening_qty = sum((line.qty for line in lines), ZERO)

    def _load_sold(self) -> None:
        """Index earlier imported sale lines by (customer, code) for matching returns."""
        from storekeep.pos.models import SaleLine

        self.sold: dict[tuple[str, str], list[_Sold]] = defaultdict(list)
        rows = (
            SaleLine.objects.filter(
                tenant=self.tenant,
                sale__location=self.location,
                sale__source=Sale.Source.IMPORT,
                sale__status=Sale.Status.COMPLETED,
            )
            .exclude(sale__customer_ref="")
            .order_by("sale__completed_at", "sale_id", "line_no")
            .values_list(
                "sale__customer_ref",
                "variant__sku",
                "sale_id",
                "pk",
                "unit_price",
                "qty",
                "qty_returned",
            )
        )
        for customer, sku, sale_id, line_id, price, qty, returned in rows.iterator(chunk_size=5000):
            if qty > returned:
                self.sold[(customer, sku)].append(_Sold(sale_id, line_id, price, qty - returned))

    # --- replay -------------------------------------------------------------------

    def _short(self, needs: dict[int, Decimal]) -> bool:
        return any(self.stock.get(variant_id, ZERO) < qty for variant_id, qty in needs.items())

    def _take(self, needs: dict[int, Decimal], sign: int) -> None:
        for variant_id, qty in needs.items():
            self.stock[variant_id] = self.stock.get(variant_id, ZERO) + sign * qty

    def _needs(self, invoice: Invoice, kinds: tuple[LineKind, ...]) -> dict[int, Decimal]:
        needs: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for line, kind in zip(invoice.lines, invoice.kinds, strict=True):
            if kind in kinds and is_product_code(line.code):
                needs[self.variants[line.code].pk] += abs(line.quantity)
        return needs

    def _queue_sale(self, invoice: Invoice) -> bool:
        """Queue a sale invoice for the next checkout batch; False when stock is short.

        The importer's own running stock model tells up front whether the
        invoice can be sold, so batches are normally written whole.
        """
        needs = self._needs(invoice, (LineKind.SALE,))
        if self._short(needs):
            self.summary.skipped["insufficient_stock"] += len(invoice.lines)
            return False
        self._take(needs, -1)
        self.pending_sales.append((invoice, needs))
        self.pending_variants.update(self.variants[line.code].pk for line in invoice.lines)
        return True

    def _touches_pending(self, invoice: Invoice) -> bool:
        """Whether ``invoice`` moves or returns a variant of a queued sale."""
        return any(self.variants[line.code].pk in self.pending_variants for line in invoice.lines)

    def _flush_sales(self, session: RegisterSession) -> None:
        """Check out the queued sale invoices in order, as one `checkout_batch` (SPEC §5).

        Each invoice is its own checkout (own receipt number, totals, ledger
        rows and time); the batch only shares the queries.
        """
        if not self.pending_sales:
            return
        queued, self.pending_sales = self.pending_sales, []
        self.pending_variants = set()
        carts = [
            CartInput(
                lines=[
                    CartLine(
                        qty=line.quantity,
                        variant=self.variants[line.code],
                        unit_price=line.unit_price,
                    )
                    for line in invoice.lines
                ],
                external_ref=invoice.number,
                customer_ref=invoice.customer or "",
                completed_at=aware(invoice.occurred_at),
            )
            for invoice, _ in queued
        ]
        results = checkout_batch(
            tenant=self.tenant,
            carts=carts,
            register_session=session,
            actor=self.user,
            source=Sale.Source.IMPORT,
        )
        for (invoice, needs), result in zip(queued, results, strict=True):
            if isinstance(result, DomainError):
                self._take(needs, +1)
                self.summary.skipped[result.code] += len(invoice.lines)
                continue
            self.done.add(invoice.number)
            self.summary.invoices += 1
            if invoice.customer:
                for line, sale_line in zip(invoice.lines, result.lines, strict=True):
                    self.sold[(invoice.customer, line.code)].append(
                        _Sold(result.sale.pk, sale_line.pk, line.unit_price, line.quantity)
                    )
            self.summary.sales += 1
            self.summary.sale_lines += len(invoice.lines)
            self.summary.net_sales_run += result.sale.total

    def _replay_cancellation(self, invoice: Invoice, session: RegisterSession) -> bool:
        by_sale: dict[int, list[ReturnLineInput]] = defaultdict(list)
        unmatched: list[ReturnLineInput] = []
        for line in invoice.lines:
            variant = self.variants[line.code]
            disposition = (
                ReturnLine.Disposition.RESTOCK
                if is_product_code(line.code)
                else ReturnLine.Disposition.DISCARD
            )
            qty = -line.quantity
            if invoice.customer:
                for sold in reversed(self.sold.get((invoice.customer, line.code), ())):
                    if qty <= 0:
                        break
                    if sold.remaining <= 0 or sold.unit_price != line.unit_price:
                        continue
                    take = min(qty, sold.remaining)
                    sold.remaining -= take
                    qty -= take
                    by_sale[sold.sale_id].append(
                        ReturnLineInput(
                            qty=take, sale_line_id=sold.sale_line_id, disposition=disposition
                        )
                    )
                    self.summary.returns_matched_lines += 1
            if qty > 0:
                unmatched.append(
                    ReturnLineInput(
                        qty=qty,
                        variant_id=variant.pk,
                        unit_price=line.unit_price,
                        disposition=disposition,
                    )
                )
        groups: list[tuple[int | None, list[ReturnLineInput]]] = list(by_sale.items())
        if unmatched:
            groups.append((None, unmatched))
        when = aware(invoice.occurred_at)
        for index, (sale_id, lines) in enumerate(groups):
            ret = return_process(
                tenant=self.tenant,
                occurred_at=when,
                lines=lines,
                sale_id=sale_id,
                reason=f"Online Retail cancellation {invoice.number}",
                actor=self.user,
                register_session=session,
                manager_approved=True,
                refund_method=Payment.Method.OTHER,
                source=Sale.Source.IMPORT,
                external_ref=invoice.number if index == 0 else f"{invoice.number}/{index + 1}",
            )
            self.summary.net_sales_run -= ret.refund_total
        self._take(self._needs(invoice, (LineKind.CANCELLATION,)), +1)
        self.summary.returns += 1
        self.summary.return_lines += len(invoice.lines)
        return True

    def _replay_adjustment(self, invoice: Invoice) -> bool:
        when = aware(invoice.occurred_at)
        moves = [(line, kind) for line, kind, _ in invoice.stock_movements()]
        non_stock = len(invoice.lines) - len(moves)
        if non_stock:
            self.summary.skipped["adjustment_non_stock"] += non_stock
        if not moves:
            return False
        found = self._needs(invoice, (LineKind.FOUND,))
        lost = self._needs(invoice, (LineKind.WRITE_OFF,))
        balance = dict(self.stock)
        for variant_id, qty in found.items():
            balance[variant_id] = balance.get(variant_id, ZERO) + qty
        if any(balance.get(variant_id, ZERO) < qty for variant_id, qty in lost.items()):
            self.summary.skipped["insufficient_stock"] += len(moves)
            return False
        # One call per (kind, note): the engine takes one reason and note per call.
        groups: dict[tuple[LineKind, str], list] = defaultdict(list)
        for line, kind in moves:
            groups[(kind, line.description)].append(line)
        for (kind, note), lines in groups.items():
            if kind is LineKind.FOUND:
                adjust_stock(
                    tenant=self.tenant,
                    location_id=self.location.pk,
                    lines=[
                        AdjustmentLine(variant_id=self.variants[ln.code].pk, delta=ln.quantity)
                        for ln in lines
                    ],
                    reason="correction",
                    note=f"found stock: {note}" if note else "found stock (no note)",
                    actor=self.user,
                    ref_id=invoice.number,
                    occurred_at=when,
                )
            else:
                write_off(
                    tenant=self.tenant,
                    location_id=self.location.pk,
                    lines=[
                        StockLine(variant_id=self.variants[ln.code].pk, qty=-ln.quantity)
                        for ln in lines
                    ],
                    reason=adjustment_reason(note),
                    note=note or "(no note)",
                    actor=self.user,
                    ref_id=invoice.number,
                    occurred_at=when,
                )
        self._take(found, +1)
        self._take(lost, -1)
        self.summary.adjustments += 1
        self.summary.adjustment_lines += len(moves)
        return True

    def _replay_day(self, invoices: list[Invoice], bar) -> None:
        todo = []
        for invoice in invoices:
            if invoice.kind is InvoiceKind.BAD_DEBT:
                self.summary.skipped["bad_debt"] += len(invoice.lines)
            elif invoice.number in self.done:
                self.summary.already_imported += 1
            else:
                todo.append(invoice)
        if not todo:
            bar.update(sum(len(inv.lines) for inv in invoices))
            return
        with transaction.atomic():
            session = RegisterSession.objects.create(
                tenant=self.tenant,
                register=self.register,
                opened_by=self.user,
                token_hash=hash_token(secrets.token_urlsafe(32)),
                status=RegisterSession.Status.OPEN,
                opened_at=aware(todo[0].occurred_at),
            )
            pending = {id(invoice) for invoice in todo}
            for invoice in invoices:
                if id(invoice) in pending:
                    if invoice.kind is InvoiceKind.SALE:
                        # Sales go to the till in batches. A return or an adjustment of a
                        # variant on a queued sale first writes the queue, so every item's
                        # ledger stays in time order and a return finds the lines it
                        # matches; one of other variants does not have to wait.
                        self._queue_sale(invoice)
                        if len(self.pending_sales) >= SALES_PER_BATCH:
                            self._flush_sales(session)
                    else:
                        if self._touches_pending(invoice):
                            self._flush_sales(session)
                        if invoice.kind is InvoiceKind.CANCELLATION:
                            imported = self._replay_cancellation(invoice, session)
                        else:
                            imported = self._replay_adjustment(invoice)
                        if imported:
                            self.done.add(invoice.number)
                            self.summary.invoices += 1
                bar.update(len(invoice.lines))
            self._flush_sales(session)
            # The web shop takes no cash: every payment and refund is OTHER, so
            # the day's drawer expects and counts exactly the (zero) float.
            session.status = RegisterSession.Status.CLOSED
            session.closed_at = aware(todo[-1].occurred_at)
            session.closed_by = self.user
            session.counted_cash = session.expected_cash = session.variance = Decimal("0.00")
            session.save(
                update_fields=[
                    "status",
                    "closed_at",
                    "closed_by",
                    "counted_cash",
                    "expected_cash",
                    "variance",
                    "updated_at",
                ]
            )

    def _net_sales_total(self) -> Decimal:
        sales = (
            Sale.objects.filter(
                tenant=self.tenant, location=self.location, status=Sale.Status.COMPLETED
            ).aggregate(total=Sum("total"))["total"]
            or ZERO
        )
        refunds = (
            Return.objects.filter(
                tenant=self.tenant, location=self.location, status=Return.Status.FINALIZED
            ).aggregate(total=Sum("refund_total"))["total"]
            or ZERO
        )
        return money(sales - refunds)

    def run(self) -> ImportSummary:
        # A year replayed from an exact opening stock crosses the low-stock
        # threshold thousands of times; the engine still writes every
        # LowStockAlert row, but its warnings are not printed over the progress bar.
        alerts_log = logging.getLogger("storekeep.inventory")
        level = alerts_log.level
        alerts_log.setLevel(max(level, logging.ERROR))
        try:
            return self._run()
        finally:
            alerts_log.setLevel(level)

    def _run(self) -> ImportSummary:
        from tqdm import tqdm

        started = time.monotonic()
        summary = self.summary
        self._setup()
        self.done = self._done_refs()
        self.log(f"Scanning {self.path} …")
        scanned = scan(self.path, limit_rows=self.limit_rows, until=self.until, done=self.done)
        summary.rows_read = scanned.rows_read
        summary.invalid_rows = scanned.invalid_rows
        summary.expected_net_sales = scanned.net_sales
        if scanned.invalid_count:
            summary.skipped["invalid"] = scanned.invalid_count
        with transaction.atomic():
            self._sync_catalog(scanned)
            self.stock = self._load_stock()
            if self.opening_stock == "auto" and scanned.first_pending_at is not None:
                self._receive_opening(scanned, scanned.first_pending_at.date())
        self._load_sold()
        bar = tqdm(
            total=scanned.rows_read - scanned.invalid_count,
            unit="row",
            unit_scale=True,
            desc="online retail",
            disable=not self.progress,
            file=sys.stderr,
            mininterval=0.5,
        )
        day_invoices: list[Invoice] = []
        for item in read_invoices(self.path, limit_rows=self.limit_rows, until=self.until):
            if isinstance(item, InvalidRow):
                continue
            if day_invoices and item.day != day_invoices[0].day:
                self._replay_day(day_invoices, bar)
                day_invoices = []
            day_invoices.append(item)
        if day_invoices:
            self._replay_day(day_invoices, bar)
        bar.close()
        summary.net_sales_total = self._net_sales_total()
        summary.elapsed = time.monotonic() - started
        return summary


def get_or_create_tenant(slug: str = DEFAULT_TENANT_SLUG) -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(
        slug=slugify(slug) or DEFAULT_TENANT_SLUG,
        defaults={
            "name": "Online Retail (UCI dataset)",
            "currency": "GBP",
            "timezone": "Europe/London",
            "prices_include_tax": True,
        },
    )
    return tenant


def import_online_retail(
    *,
    tenant: Tenant | str = DEFAULT_TENANT_SLUG,
    path: str | Path | None = None,
    limit_rows: int | None = None,
    until: date | None = None,
    opening_stock: str = "auto",
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Import the Online Retail file into ``tenant`` (a Tenant or a slug, created if missing).

    ``path`` defaults to :func:`default_path`; ``limit_rows`` reads only the
    first N data rows, ``until`` only rows dated on or before that day;
    ``opening_stock`` is ``"auto"`` (receive what keeps every product from
    running short) or ``"none"`` (invoices that would run short are skipped
    and counted as ``insufficient_stock``). Returns the :class:`ImportSummary`.
    Raises ``ValueError`` for a file that is not the dataset. Issue 4, SPEC §13.
    """
    if isinstance(tenant, str):
        tenant = get_or_create_tenant(tenant)
    importer = OnlineRetailImporter(
        tenant=tenant,
        path=Path(path) if path else default_path(),
        limit_rows=limit_rows,
        until=until,
        opening_stock=opening_stock,
        progress=progress,
        log=log,
    )
    return importer.run()


def load_demo(
    *,
    tenant: Tenant | str = DEFAULT_TENANT_SLUG,
    until: date | None = None,
    progress: bool = False,
) -> ImportSummary:
    """Import the committed slice (first trading week, 16,985 rows) into the demo tenant.

    ``tenant``: a Tenant or a slug (created if missing); ``until``: stop after
    that day (e.g. ``date(2010, 12, 2)`` for a quicker start). Works without
    ``../shared``. Idempotent: a second call imports nothing new. For the demo
    seeding behind ``make run``.
    """
    return import_online_retail(tenant=tenant, path=SAMPLE_PATH, until=until, progress=progress)
