import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Test users need no 1M-iteration PBKDF2: hashing dominated these tests' run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
