"""SPEC §3.5: on PostgreSQL a trigger refuses UPDATE and DELETE of ledger rows."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION storekeep_ledger_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventory_stockledger is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_stockledger_append_only
    BEFORE UPDATE OR DELETE ON inventory_stockledger
    FOR EACH ROW EXECUTE FUNCTION storekeep_ledger_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS inventory_stockledger_append_only ON inventory_stockledger;
DROP FUNCTION IF EXISTS storekeep_ledger_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
