"""``Authorization: Register <token>`` is one query, with no cache: a closed session or a
deactivated member stops at once (SPEC §5)."""

import pytest
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from storekeep.locations.models import Location
from storekeep.pos.authentication import RegisterAuth, RegisterTokenAuthentication
from storekeep.pos.models import RegisterSession

pytestmark = pytest.mark.django_db


def authenticate(header):
    request = APIRequestFactory().get("/api/v1/pos/sales", HTTP_AUTHORIZATION=header)
    return RegisterTokenAuthentication().authenticate(request)


def test_a_register_token_is_one_query(world, django_assert_num_queries):
    session, header = world.open_session()
    with django_assert_num_queries(1):
        user, auth = authenticate(header)
    assert isinstance(auth, RegisterAuth) and auth.session.pk == session.pk
    assert user.pk == world.cashier.user_id
    assert auth.membership.pk == world.cashier.pk and auth.membership.role == "CASHIER"
    assert auth.location.pk == world.store.pk and auth.register.pk == world.register.pk


def test_closing_the_session_or_the_membership_stops_the_token_at_once(world):
    session, header = world.open_session()
    authenticate(header)
    world.cashier.is_active = False
    world.cashier.save(update_fields=["is_active"])
    with pytest.raises(exceptions.AuthenticationFailed):  # 401, as a bearer token (issue 12)
        authenticate(header)
    world.cashier.is_active = True
    world.cashier.save(update_fields=["is_active"])
    other = Location.objects.create(tenant=world.tenant, code="ELSE", name="Elsewhere")
    world.cashier.locations.set([other])
    with pytest.raises(exceptions.PermissionDenied):
        authenticate(header)
    world.cashier.locations.set([world.store, other])
    authenticate(header)
    RegisterSession.objects.filter(pk=session.pk).update(status=RegisterSession.Status.CLOSED)
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(header)
