"""Location API serializers (SPEC §2, §10)."""

from rest_framework import serializers

from storekeep.core.serializers import TenantModelSerializer

from .models import Location


class LocationSerializer(TenantModelSerializer):
    settings = serializers.DictField(
        required=False, help_text="Free-form per-location settings (JSON object)."
    )

    class Meta:
        model = Location
        fields = [
            "id",
            "code",
            "name",
            "type",
            "address",
            "is_active",
            "is_default",
            "settings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
