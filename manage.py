#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Migrations, imports and maintenance commands are not cut short by the lock and
    # statement timeouts of web requests and Celery tasks (config/settings.py).
    if sys.argv[1:2] != ["runserver"]:
        os.environ.setdefault("STOREKEEP_DB_TIMEOUTS", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
