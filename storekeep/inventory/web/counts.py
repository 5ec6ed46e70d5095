"""Back-office cycle counts (SPEC §6, §11): active sessions per store, start a
count (a second full-store count at a location is refused with the reason), the
scan page (the scan field keeps the focus; add or set), the variance preview and
finalize. Roles as the API: scans CASHIER+, start/finalize/cancel MANAGER+."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from storekeep.core.errors import DomainError
from storekeep.tenants.models import Role
from storekeep.web.backoffice import BackOfficeView, FormErrors, parse_decimal

from ..models import CountSession, CountSessionLine
from ..selectors import count_list, count_variance
from ..services.counts import count_cancel, count_create, count_finalize, count_record_scan

Status = CountSession.Status
ACTIVE = (Status.DRAFT, Status.IN_PROGRESS)


def visible_counts(view):
    """The tenant's counts at locations the member may see (lines not loaded)."""
    return count_list(tenant=view.tenant, location_ids=view.location_scope()).prefetch_related(None)


class CountListView(BackOfficeView):
    def get(self, request, errors: FormErrors | None = None, form=None, status=200):
        base = (
            visible_counts(self)
            .select_related("location", "created_by")
            .annotate(line_count=Count("lines"))
        )
        active = list(base.filter(status__in=ACTIVE).order_by("location__code", "-id"))
        page = self.paginate(base.exclude(status__in=ACTIVE).order_by("-updated_at", "-id"))
        return render(
            request,
            "inventory/count_list.html",
            self.page_context(
                active=active,
                page=page,
                rows=page.object_list,
                locations=self.visible_locations(),
                scopes=CountSession.Scope.choices,
                errors=errors,
                form=form or {},
            ),
            status=status,
        )

    def post(self, request):
        form = {k: request.POST.get(k, "").strip() for k in ("location_id", "scope", "zone_name")}
        if not form["location_id"].isdigit():
            return self.get(
                request, errors=FormErrors("Choose the location to count."), form=form, status=400
            )
        self.check_location(form["location_id"])
        try:
            count = count_create(
                tenant=self.tenant,
                location_id=int(form["location_id"]),
                scope=form["scope"] or CountSession.Scope.FULL_STORE,
                zone_name=form["zone_name"],
                actor=request.user,
            )
        except DomainError as exc:
            errors = FormErrors.from_error(exc)
            if exc.code == "count_already_active":
                errors.message = (
                    "A full-store count is already open at this location. Finish or cancel it "
                    "first, or count a zone instead."
                )
            return self.get(request, errors=errors, form=form, status=exc.status_code)
        messages.success(request, f"Count #{count.pk} started. Scan the first product.")
        return redirect("count", pk=count.pk)


class CountDetailView(BackOfficeView):
    write_role = Role.CASHIER  # scanning; finalize and cancel check MANAGER below

    def load(self, pk) -> CountSession:
        count = visible_counts(self).filter(pk=pk).select_related("location").first()
        if count is None:
            raise Http404("No such count.")
        return count

    def get(self, request, pk, errors: FormErrors | None = None, form=None, status=200):
        count = self.load(pk)
        variance = count_variance(tenant=self.tenant, count_id=count.pk)
        last = (
            CountSessionLine.objects.filter(tenant=self.tenant, session=count)
            .select_related("variant__product")
            .order_by("-scanned_at", "-id")
            .first()
        )
        return render(
            request,
            "inventory/count_detail.html",
            self.page_context(
                count=count,
                variance=variance,
                last=last,
                active=count.status in ACTIVE,
                can_scan=count.status in ACTIVE and self.can_write(),  # CASHIER+, not INTEGRATION
                can_finalize=count.status in ACTIVE and self.membership.has_role(Role.MANAGER),
                errors=errors,
                form=form or {"mode": request.GET.get("mode", "add"), "qty": "1"},
            ),
            status=status,
        )

    def post(self, request, pk):
        count = self.load(pk)
        self.check_location(count.location_id)
        action = request.POST.get("action", "scan")
        form = {k: request.POST.get(k, "").strip() for k in ("code", "qty", "mode")}
        try:
            if action == "scan":
                field_errors: dict = {}
                qty = parse_decimal(form["qty"] or "1", field="qty", errors=field_errors)
                if not form["code"]:
                    field_errors["code"] = "Scan or type a barcode or SKU."
                if field_errors:
                    return self.get(
                        request,
                        pk,
                        errors=FormErrors("Nothing recorded.", field_errors),
                        form=form,
                        status=400,
                    )
                line = self.scan(count, form["code"], qty, form["mode"] or "add")
                messages.success(
                    request,
                    f"{line.variant.sku}: counted {line.counted_qty.normalize():f} "
                    f"({'added' if form['mode'] != 'set' else 'set'}).",
                )
                return redirect(f"{reverse('count', args=[count.pk])}?mode={form['mode']}")
            self.require_role(Role.MANAGER)
            if action == "finalize":
                _, rows = count_finalize(tenant=self.tenant, count_id=count.pk, actor=request.user)
                messages.success(
                    request,
                    f"Count #{count.pk} finalized: {len(rows)} stock correction(s) written.",
                )
            elif action == "cancel":
                count_cancel(tenant=self.tenant, count_id=count.pk, actor=request.user)
                messages.success(request, f"Count #{count.pk} cancelled; stock unchanged.")
            else:
                raise Http404("Unknown action.")
        except DomainError as exc:
            return self.get(
                request, pk, errors=FormErrors.from_error(exc), form=form, status=exc.status_code
            )
        return redirect("count", pk=count.pk)

    def scan(self, count, code, qty, mode):
        """A scanned code is a barcode first, then a SKU (what a hand scanner or a person types)."""
        from storekeep.catalog.models import Variant

        variant = (
            Variant.objects.filter(tenant=self.tenant, barcode=code).first()
            or Variant.objects.filter(tenant=self.tenant, sku=code).first()
        )
        if variant is None:
            raise DomainError(
                f"No product with barcode or SKU {code!r}.", code="not_found", status_code=404
            )
        line = count_record_scan(
            tenant=self.tenant,
            count_id=count.pk,
            counted_qty=qty,
            variant_id=variant.pk,
            mode=mode if mode in ("add", "set") else "add",
            actor=self.request.user,
        )
        line.variant = variant
        return line
