"""``plain_rows`` writes what the DRF serializer writes, field kind by field kind (issue 11)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rest_framework import serializers

from storekeep.core.rows import plain_row, plain_rows
from storekeep.core.serializers import DecimalField


class Inner(serializers.Serializer):
    code = serializers.CharField()
    qty = DecimalField(max_digits=14, decimal_places=3)
    low = serializers.BooleanField()


class Outer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    money = DecimalField(max_digits=16, decimal_places=2)
    cost = serializers.DecimalField(max_digits=14, decimal_places=4)
    maybe = serializers.IntegerField(allow_null=True)
    when = serializers.DateTimeField()
    tags = serializers.ListField(child=serializers.CharField())
    flag = serializers.BooleanField(allow_null=True)
    secret = serializers.CharField(write_only=True)
    inner = Inner(many=True)


ROWS = [
    {
        "id": 7,
        "name": 'a, "b"\nc',
        "money": Decimal("-1234.005"),  # half even: -1234.00
        "cost": Decimal("0.00015"),
        "maybe": None,
        "when": datetime(2011, 11, 3, 9, 5, 7, 123456, tzinfo=UTC),
        "tags": ["x", "y"],
        "flag": None,
        "secret": "never written",
        "inner": [
            {"code": "S1", "qty": Decimal("-0.0005"), "low": True},
            {"code": "W", "qty": Decimal("12345678901.2"), "low": 0},
        ],
    },
    {
        "id": "8",
        "name": 9,
        "money": 3,
        "cost": "2.5",
        "maybe": 4,
        "when": None,
        "tags": [],
        "flag": "false",
        "secret": "",
        "inner": [],
    },
]


def test_plain_rows_equal_the_serializer():
    assert plain_rows(Outer, ROWS) == Outer(ROWS, many=True).data
    assert plain_row(Outer, ROWS[0]) == Outer(ROWS[0]).data
    assert plain_rows(Outer, ROWS)[0]["money"] == "-1234.00"


def test_a_method_field_is_refused():
    class WithMethod(serializers.Serializer):
        total = serializers.SerializerMethodField()

        def get_total(self, obj):
            return 1

    with pytest.raises(TypeError):
        plain_rows(WithMethod, [{"total": 1}])
