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


# ------------------------------------------------------------------ staff (issue 12 item 1)

ROLE_CHOICES = ["OWNER", "MANAGER", "INTEGRATION", "CASHIER", "VIEWER"]


class StaffFilterInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(
        required=False, max_length=100, help_text="Username, name or email"
    )


class StaffOutput(serializers.Serializer):
    """A member of the tenant: the person's login and this tenant's role and stores."""

    id = serializers.IntegerField(help_text="The membership id (the staff member's id here)")
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    location_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Stores they work at; empty means every location",
    )
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def row(member) -> dict:
        user = member.user
        return {
            "id": member.pk,
            "user_id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name(),
            "email": user.email,
            "role": member.role,
            "location_ids": sorted(loc.pk for loc in member.locations.all()),
            "is_active": member.is_active,
            "created_at": member.created_at,
            "last_login": user.last_login,
        }


class _LocationIds(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
            max_length=1000,
            help_text="The tenant's location ids; empty (or omitted) means every location",
            **kwargs,
        )


class StaffCreateInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    password = serializers.CharField(
        max_length=512, trim_whitespace=False, style={"input_type": "password"}
    )
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    location_ids = _LocationIds(required=False, default=list)


class StaffUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    location_ids = _LocationIds(required=False)
    is_active = serializers.BooleanField(
        required=False, help_text="false: they cannot sign in; their tokens stop at once"
    )


class StaffPasswordInput(serializers.Serializer):
    password = serializers.CharField(
        max_length=512, trim_whitespace=False, style={"input_type": "password"}
    )


class StaffHistoryUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class StaffHistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    by = StaffHistoryUserSerializer(allow_null=True, help_text="Who made the change")
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    note = serializers.CharField(
        help_text='What changed beyond the fields: "added", "deactivated", "password set", …'
    )
    changes = serializers.DictField(
        child=serializers.DictField(),
        help_text='`{"role": {"old": "CASHIER", "new": "MANAGER"}}` for role, is_active, location_ids',
    )
