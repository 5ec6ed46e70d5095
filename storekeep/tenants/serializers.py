"""Tenant settings API serializer (SPEC §2)."""

from decimal import Decimal
from zoneinfo import available_timezones

from rest_framework import serializers

from storekeep.core.currencies import CURRENCY_RULE, is_currency
from storekeep.core.serializers import DecimalField, ModelSerializer

from .models import Tenant


class TenantSettingsSerializer(ModelSerializer):
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        help_text="A current ISO 4217 code (any case, stored upper-case), e.g. GBP, EUR, JPY.",
    )
    default_reorder_point = DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0"))
    return_window_days = serializers.IntegerField(min_value=0, max_value=3650)
    reservation_ttl_minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 30)

    class Meta:
        model = Tenant
        fields = [
            "id",
            "slug",
            "name",
            "currency",
            "timezone",
            "prices_include_tax",
            "default_reorder_point",
            "allow_negative_stock",
            "return_window_days",
            "reservation_ttl_minutes",
        ]
        read_only_fields = ["id", "slug"]

    def validate_currency(self, value):
        if not is_currency(value):
            raise serializers.ValidationError(f"Not {CURRENCY_RULE}.")
        return value.upper()

    def validate_timezone(self, value):
        if value not in available_timezones():
            raise serializers.ValidationError(
                f"Unknown time zone {value!r} (IANA names, e.g. Europe/London)."
            )
        return value
