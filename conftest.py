pytest_plugins = ["storekeep.testing.fixtures"]
