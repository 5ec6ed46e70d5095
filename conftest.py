pytest_plugins = [
    "storekeep.testing.fixtures",
    "storekeep.testing.browser",
    "storekeep.testing.backoffice",
]
