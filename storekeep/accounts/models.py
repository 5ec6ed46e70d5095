"""Back-office API tokens: tenant-scoped, stored hashed, expiring, revocable (SPEC §10)."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token ``sk_<tenant_id>_<secret>``; only its SHA-256 is stored."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    membership = models.ForeignKey(
        "tenants.Membership", on_delete=models.CASCADE, related_name="tokens", db_index=False
    )
    key_hash = models.CharField(max_length=64)
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "key_hash"], name="apitoken_tenant_hash_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.membership})"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @classmethod
    def issue(cls, *, membership, ttl) -> tuple["ApiToken", str]:
        """Create a token for ``membership``; returns (row, raw token shown once)."""
        raw = f"sk_{membership.tenant_id}_{secrets.token_urlsafe(32)}"
        token = cls.objects.create(
            tenant_id=membership.tenant_id,
            membership=membership,
            key_hash=hash_token(raw),
            prefix=raw[:12],
            expires_at=timezone.now() + ttl,
        )
        return token, raw


def parse_tenant_token(raw: str, prefix: str) -> tuple[int, str] | None:
    """Split ``<prefix>_<tenant_id>_<secret>`` into (tenant_id, sha256) or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != prefix or not parts[1].isdigit() or len(parts[1]) > 18:
        return None
    return int(parts[1]), hash_token(raw)
