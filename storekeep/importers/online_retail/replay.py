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
   register session opened and closed for that day (``register_session_open``
   / ``register_session_close``, by the import account, a MANAGER member);
   ``C`` invoices → finalized returns (``return_process``) matched to the
   customer's earlier sale lines (:mod:`.matching`); adjustment invoices →
   ``adjust_stock`` (found stock, reason ``correction``) and ``write_off``
   (reason read from the note). Sales are written in batches
   (:mod:`.sales`: ``checkout_batch``, same code as ``checkout``); a return
   or adjustment of a variant on a queued sale writes the queue first, so
   each item's ledger is in time order. The importer's running stock
   (:mod:`.forecast`) tells up front what can be written.

Restartable: the invoices already in the database (``Sale.external_ref``,
``Return.external_ref``, ledger ``ref_id`` of the import location's
adjustments: three queries) are skipped, and a day is imported whole or not
at all. The importer has no models of its own.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils.text import slugify

from storekeep.catalog.models import Category, Product, Variant
from storekeep.core.db import analyze_apps
from storekeep.core.errors import DomainError
from storekeep.core.outbox import quiet_events
from storekeep.inventory.alerts import quiet_low_stock_alerts
from storekeep.inventory.models import LedgerRefType, StockLedger
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    receive_stock,
    write_off,
)
from storekeep.locations.models import Location
from storekeep.pos.models import Payment, Register, RegisterSession, Return, Sale
from storekeep.pos.services import register_session_close, register_session_open, return_process
from storekeep.tenants.models import Membership, Role, Tenant

from .classify import InvoiceKind, LineKind, adjustment_reason
from .codes import non_product_kind
from .forecast import Needs, StockForecast, needs_of
from .invoices import Invoice
from .matching import SoldIndex, SoldLine
from .plan import ScanResult, money, read_invoices, scan
from .reader import InvalidRow
from .sales import SaleQueue
from .times import aware

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "online_retail_sample.csv.gz"
DEFAULT_TENANT_SLUG = "online-retail"
LOCATION_CODE = "WEB"
REGISTER_CODE = "R1"
IMPORT_USERNAME = "online-retail-import"
OPENING_REF = "online-retail-opening"
ZERO = Decimal("0")
#: Sale invoices checked out together (one `checkout_batch`), at most.
SALES_PER_BATCH = 50


def default_path() -> Path:
    """The shared full year if present (``../shared/data/``), else the committed slice."""
    full = Path(settings.BASE_DIR).parent / "shared" / "data" / "online_retail.csv.gz"
    return full if full.exists() else SAMPLE_PATH


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


class OnlineRetailImporter:
    """One import run; see the module docstring. Use :func:`import_online_retail`.

    A variant of the replay (``replenish.ReplenishingImporter``) extends it
    through the hook methods ``on_catalog_ready``, ``on_day`` and
    ``on_sale_asked``, which do nothing here.
    """

    #: Apps whose tables a run fills: ``ANALYZE``d at the end of the run.
    filled_apps: tuple[str, ...] = ("catalog", "inventory", "pos")

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

    # --- hooks --------------------------------------------------------------------

    def on_catalog_ready(self) -> None:
        """After the catalog is created (``self.variants`` by code), in the set-up transaction."""

    def on_day(self, day: date) -> None:
        """Before the invoices of ``day`` are replayed (also when all were imported before)."""

    def on_sale_asked(self, invoice: Invoice, needs: Needs, served: bool) -> None:
        """After a sale invoice was queued (``served``) or refused because stock was short.

        ``needs``: the product units it asks for, by variant id.
        """

    # --- set-up ------------------------------------------------------------------

    def _setup(self) -> None:
        """The import account (a MANAGER member), the location ``WEB`` and its register."""
        user_model = get_user_model()
        self.user, created = user_model.objects.get_or_create(
            username=IMPORT_USERNAME, defaults={"is_active": False}
        )
        if created:
            self.user.set_unusable_password()
            self.user.save(update_fields=["password"])
        self.membership, _ = Membership.objects.get_or_create(
            tenant=self.tenant, user=self.user, defaults={"role": Role.MANAGER}
        )
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
        codes = list(scanned.catalog)
        existing = set(
            Variant.objects.filter(tenant=self.tenant, sku__in=codes).values_list("sku", flat=True)
        )
        missing = [scanned.catalog[code] for code in codes if code not in existing]
        if missing:
            self._create_catalog(missing)
        self.variants: dict[str, Variant] = {
            v.sku: v
            for v in Variant.objects.filter(tenant=self.tenant, sku__in=codes).select_related(
                "product__tax_category"
            )
        }
        self.created_variants = len(missing)

    def _create_catalog(self, entries) -> None:
        """One product and variant per stock code; non-product codes do not track inventory."""
        tenant = self.tenant
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
            for entry in entries
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
            for entry, product in zip(entries, products, strict=True)
        ]
        Variant.objects.bulk_create(variants, batch_size=1000)

    def _receive_opening(self, scanned: ScanResult, first_day: date) -> None:
        """Receive what keeps every product from running short, the day before ``first_day``."""
        start = {code: self.forecast.get(v.pk) for code, v in self.variants.items()}
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
        self.forecast.add({line.variant_id: line.qty for line in lines})
        self.summary.opening_lines = len(lines)
        self.summary.opening_qty = sum((line.qty for line in lines), ZERO)

    # --- replay -------------------------------------------------------------------

    def _replay_day(self, invoices: list[Invoice], bar) -> None:
        """Replay one trading day in one transaction and one register session."""
        self.on_day(invoices[0].day)
        todo = self._to_import(invoices)
        if not todo:
            bar.update(sum(len(inv.lines) for inv in invoices))
            return
        pending = {id(invoice) for invoice in todo}
        with transaction.atomic():
            session = self._open_session(todo[0])
            for invoice in invoices:
                if id(invoice) in pending:
                    self._replay_invoice(invoice, session)
                bar.update(len(invoice.lines))
            self._write_sales(session)
            self._close_session(session, todo[-1])

    def _to_import(self, invoices: list[Invoice]) -> list[Invoice]:
        """The day's invoices still to import (bad debts and earlier imports are counted)."""
        todo = []
        for invoice in invoices:
            if invoice.kind is InvoiceKind.BAD_DEBT:
                self.summary.skipped["bad_debt"] += len(invoice.lines)
            elif invoice.number in self.done:
                self.summary.already_imported += 1
            else:
                todo.append(invoice)
        return todo

    def _open_session(self, first: Invoice) -> RegisterSession:
        """Open the day's session at the time of its first invoice, with no float."""
        session, _token = register_session_open(
            membership=self.membership,
            register=self.register,
            opening_float=ZERO,
            opened_at=aware(first.occurred_at),
        )
        return session

    def _close_session(self, session: RegisterSession, last: Invoice) -> None:
        """Close the session at the time of the day's last invoice.

        The web shop takes no cash: every payment and refund is OTHER, so the
        drawer expects and counts exactly the (zero) float.
        """
        register_session_close(
            session=session,
            counted_cash=ZERO,
            actor=self.user,
            closed_at=aware(last.occurred_at),
        )

    def _replay_invoice(self, invoice: Invoice, session: RegisterSession) -> None:
        """Sales go to the till in batches; a return or an adjustment of a variant on a
        queued sale first writes the queue (see :mod:`.sales`)."""
        if invoice.kind is InvoiceKind.SALE:
            self._queue_sale(invoice)
            if len(self.sales) >= SALES_PER_BATCH:
                self._write_sales(session)
            return
        if self.sales.touches(invoice):
            self._write_sales(session)
        if invoice.kind is InvoiceKind.CANCELLATION:
            imported = self._replay_cancellation(invoice, session)
        else:
            imported = self._replay_adjustment(invoice)
        if imported:
            self.done.add(invoice.number)
            self.summary.invoices += 1

    def _queue_sale(self, invoice: Invoice) -> None:
        """Queue a sale invoice for the next checkout batch, unless stock is short.

        The stock forecast tells up front whether the invoice can be sold, so
        batches are normally written whole.
        """
        needs = needs_of(invoice, (LineKind.SALE,), self.variants)
        served = not self.forecast.is_short(needs)
        if served:
            self.forecast.take(needs)
            self.sales.add(invoice, needs)
        else:
            self.summary.skipped["insufficient_stock"] += len(invoice.lines)
        self.on_sale_asked(invoice, needs, served)

    def _write_sales(self, session: RegisterSession) -> None:
        """Check out the queued sales; count them and index their lines for returns."""
        summary = self.summary
        for queued, result in self.sales.flush(session):
            invoice = queued.invoice
            if isinstance(result, DomainError):
                self.forecast.add(queued.needs)
                summary.skipped[result.code] += len(invoice.lines)
                continue
            self.done.add(invoice.number)
            if invoice.customer:
                for line, sale_line in zip(invoice.lines, result.lines, strict=True):
                    self.sold.add(
                        invoice.customer,
                        line.code,
                        SoldLine(result.sale.pk, sale_line.pk, line.unit_price, line.quantity),
                    )
            summary.invoices += 1
            summary.sales += 1
            summary.sale_lines += len(invoice.lines)
            summary.net_sales_run += result.sale.total

    def _replay_cancellation(self, invoice: Invoice, session: RegisterSession) -> bool:
        """Finalized returns: one per matched sale, one without receipt (see :mod:`.matching`)."""
        matched = self.sold.match(invoice, self.variants)
        self.summary.returns_matched_lines += matched.matched_lines
        when = aware(invoice.occurred_at)
        for index, (sale_id, lines) in enumerate(matched.groups()):
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
        self.forecast.add(needs_of(invoice, (LineKind.CANCELLATION,), self.variants))
        self.summary.returns += 1
        self.summary.return_lines += len(invoice.lines)
        return True

    def _replay_adjustment(self, invoice: Invoice) -> bool:
        """Found stock → ``adjust_stock``; losses → ``write_off`` (reason read from the note)."""
        moves = [(line, kind) for line, kind, _ in invoice.stock_movements()]
        non_stock = len(invoice.lines) - len(moves)
        if non_stock:
            self.summary.skipped["adjustment_non_stock"] += non_stock
        if not moves:
            return False
        found = needs_of(invoice, (LineKind.FOUND,), self.variants)
        lost = needs_of(invoice, (LineKind.WRITE_OFF,), self.variants)
        if not self.forecast.can_adjust(found=found, lost=lost):
            self.summary.skipped["insufficient_stock"] += len(moves)
            return False
        # One call per (kind, note): the engine takes one reason and note per call.
        groups: dict[tuple[LineKind, str], list] = defaultdict(list)
        for line, kind in moves:
            groups[(kind, line.description)].append(line)
        for (kind, note), lines in groups.items():
            self._write_adjustment(invoice, kind, note, lines)
        self.forecast.add(found)
        self.forecast.take(lost)
        self.summary.adjustments += 1
        self.summary.adjustment_lines += len(moves)
        return True

    def _write_adjustment(self, invoice: Invoice, kind: LineKind, note: str, lines) -> None:
        common = {
            "tenant": self.tenant,
            "location_id": self.location.pk,
            "actor": self.user,
            "ref_id": invoice.number,
            "occurred_at": aware(invoice.occurred_at),
        }
        if kind is LineKind.FOUND:
            adjust_stock(
                lines=[
                    AdjustmentLine(variant_id=self.variants[ln.code].pk, delta=ln.quantity)
                    for ln in lines
                ],
                reason="correction",
                note=f"found stock: {note}" if note else "found stock (no note)",
                **common,
            )
        else:
            write_off(
                lines=[
                    StockLine(variant_id=self.variants[ln.code].pk, qty=-ln.quantity)
                    for ln in lines
                ],
                reason=adjustment_reason(note),
                note=note or "(no note)",
                **common,
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
        """Run the import (see the module docstring); returns the summary.

        A year replayed from an exact opening stock crosses the low-stock
        threshold thousands of times: the engine writes every LowStockAlert
        row, but their announcement (the log task) is not queued for a
        historic replay; nor are webhook events written (``quiet_events``).
        """
        started = time.monotonic()
        with quiet_low_stock_alerts(), quiet_events():
            scanned = self._prepare()
            self._replay(scanned)
        analyze_apps(*self.filled_apps)
        self.summary.net_sales_total = self._net_sales_total()
        self.summary.elapsed = time.monotonic() - started
        return self.summary

    def _prepare(self) -> ScanResult:
        """Scan the file, then create the catalog and receive the opening stock."""
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
            self.on_catalog_ready()
            self.forecast = StockForecast.load(tenant=self.tenant, location=self.location)
            if self.opening_stock == "auto" and scanned.first_pending_at is not None:
                self._receive_opening(scanned, scanned.first_pending_at.date())
        self.sold = SoldIndex.load(tenant=self.tenant, location=self.location)
        self.sales = SaleQueue(tenant=self.tenant, actor=self.user, variants=self.variants)
        return scanned

    def _replay(self, scanned: ScanResult) -> None:
        """Stream the file a second time and replay it one trading day at a time."""
        from tqdm import tqdm

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
    Raises ``ValueError`` for a file that is not the dataset. SPEC §13.
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
