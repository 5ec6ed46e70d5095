pytest_plugins = [
    "storekeep.testing.fixtures",
    "storekeep.testing.browser",
    "storekeep.testing.backoffice",
    "storekeep.testing.celery_worker",
]
