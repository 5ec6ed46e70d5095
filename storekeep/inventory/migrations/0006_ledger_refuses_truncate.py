"""SPEC §3.5, issue 9 item 5: on PostgreSQL the ledger also refuses ``TRUNCATE``.

A row trigger cannot see ``TRUNCATE``; a statement trigger can. The one
exception is a session that sets ``storekeep.allow_truncate`` to ``on`` for its
transaction: the test database's own flush does (``storekeep.testing.db``),
nothing else in Storekeep does.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION storekeep_ledger_no_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('storekeep.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'inventory_stockledger is append-only (TRUNCATE refused)'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_stockledger_no_truncate
    BEFORE TRUNCATE ON inventory_stockledger
    FOR EACH STATEMENT EXECUTE FUNCTION storekeep_ledger_no_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS inventory_stockledger_no_truncate ON inventory_stockledger;
DROP FUNCTION IF EXISTS storekeep_ledger_no_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_ledger_time_id_index")]
    operations = [migrations.RunPython(forward, backward)]
