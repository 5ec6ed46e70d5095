"""Auth API serializers (SPEC §10)."""

from rest_framework import serializers


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=512, trim_whitespace=False, style={"input_type": "password"}
    )
    tenant = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Tenant slug; needed only when the user belongs to several tenants.",
    )


class TenantRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once. Send as `Authorization: Bearer <token>`.")
    token_type = serializers.CharField(default="Bearer")
    expires_at = serializers.DateTimeField()
    tenant = TenantRefSerializer()
    role = serializers.CharField()
    user = UserRefSerializer()


class MeSerializer(serializers.Serializer):
    user = UserRefSerializer()
    tenant = TenantRefSerializer()
    role = serializers.CharField()
    location_ids = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="Locations the member may touch; null means all.",
    )
    token_expires_at = serializers.DateTimeField(allow_null=True)
