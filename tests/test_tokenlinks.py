"""The life every token link lives (meetcore.tokenlinks), seen through a table of its own: issued once and
only its hash kept, opened by its token, refused once withdrawn or expired, withdrawn by what a domain
names. The seat, site and agency links' own tests (tests/seats, tests/attendance, tests/actions) check what
each domain adds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetcore.actions.models import AgencyLink
from meetcore.database import utcnow
from meetcore.directory.models import Agency
from meetcore.errors import InvalidInput
from meetcore.extensions import db
from meetcore.i18n.dates import be_datetime
from meetcore.tokenlinks import (
    LinkExpired,
    LinkRevoked,
    LinkUnknown,
    TokenLinks,
    hash_token,
    is_live,
    require_future_expiry,
)


class Unknown(LinkUnknown):
    pass


class Revoked(LinkRevoked):
    pass


class Expired(LinkExpired):
    pass


class ExpiredOn(LinkExpired):
    @classmethod
    def on(cls, when: str) -> ExpiredOn:
        return cls(f"expired on {when}")


LINKS = TokenLinks(AgencyLink, Unknown, Revoked, ExpiredOn)


@pytest.fixture()
def agencies(reference) -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).order_by(Agency.id).limit(2)))


def issue(agency: Agency, expires_in: timedelta = timedelta(days=1)):
    return LINKS.issue(agency_id=agency.id, expires_at=utcnow() + expires_in)


def test_an_issued_token_opens_its_link_and_only_its_hash_is_kept(agencies):
    link, token = issue(agencies[0])
    other, other_token = issue(agencies[0])
    assert token != other_token and len(token) >= 40
    assert link.id is not None  # flushed: the domain records its id in its event
    assert link.token_hash == hash_token(token) != token
    stored = db.session.scalars(sa.select(AgencyLink.token_hash)).all()
    assert token not in stored and other_token not in stored
    assert LINKS.open(token) is link and LINKS.open(other_token) is other


@pytest.mark.parametrize("token", [None, "", 42, {"token": "x"}, "x" * 201, "not-a-token-of-ours"])
def test_what_is_no_token_of_ours_is_unknown(agencies, token):
    issue(agencies[0])
    with pytest.raises(Unknown):
        LINKS.open(token)


def test_a_withdrawn_link_is_refused_as_withdrawn_even_once_expired(agencies):
    link, token = issue(agencies[0])
    LINKS.revoke(AgencyLink.id == link.id)
    link.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(Revoked):
        LINKS.open(token)


def test_an_expired_link_is_refused_with_its_expiry(agencies):
    link, token = issue(agencies[0])
    link.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(ExpiredOn) as refused:
        LINKS.open(token)
    assert refused.value.message == f"expired on {be_datetime(link.expires_at)}"
    assert not is_live(link)
    plain = TokenLinks(AgencyLink, Unknown, Revoked, Expired)
    with pytest.raises(Expired) as refused:
        plain.open(token)
    assert refused.value.message == Expired.default_message
    with pytest.raises(Unknown):
        plain.require_live(None)


def test_revoking_withdraws_what_is_named_and_not_yet_withdrawn(agencies):
    first, second = agencies
    working, _ = issue(first)
    expired, _ = issue(first, expires_in=timedelta(minutes=-1))
    earlier, _ = issue(first)
    elsewhere, _ = issue(second)
    LINKS.revoke(AgencyLink.id == earlier.id)
    stamped_before = earlier.revoked_at

    only_working = LINKS.revoke(AgencyLink.agency_id == first.id, expired_too=False)
    assert only_working == [working]
    assert expired.revoked_at is None and earlier.revoked_at == stamped_before

    assert LINKS.revoke(AgencyLink.agency_id == first.id) == [expired]
    assert earlier.revoked_at == stamped_before  # withdrawn once, when it was
    assert elsewhere.revoked_at is None and is_live(elsewhere)


def test_working_links_are_counted_by_what_is_named(agencies):
    first, second = agencies
    issue(first)
    issue(first)
    issue(first, expires_in=timedelta(minutes=-1))
    withdrawn, _ = issue(first)
    issue(second)
    LINKS.revoke(AgencyLink.id == withdrawn.id)
    assert LINKS.count_working(AgencyLink.agency_id == first.id) == 2
    assert LINKS.count_working() == 3


def test_an_expiry_must_carry_a_time_zone_and_lie_ahead(app_ctx):
    with pytest.raises(InvalidInput) as naive:
        require_future_expiry((utcnow() + timedelta(days=1)).replace(tzinfo=None))
    assert naive.value.field == "expires_at"
    with pytest.raises(InvalidInput) as past:
        require_future_expiry(utcnow() - timedelta(seconds=1))
    assert past.value.field == "expires_at"
    require_future_expiry(utcnow() + timedelta(minutes=1))


def test_every_domain_refuses_its_links_with_the_same_codes_in_its_own_words(app_ctx):
    from meetcore.actions import access
    from meetcore.attendance import sites
    from meetcore.seats import links

    domains = [links.SEAT_LINKS, sites.SITE_LINKS, access.AGENCY_LINKS]
    for refusal, code, status in (("unknown", "link_unknown", 403), ("revoked", "link_revoked", 410),
                                  ("expired", "link_expired", 410)):  # fmt: skip
        classes = [getattr(domain, refusal) for domain in domains]
        assert [(c.code, c.status) for c in classes] == [(code, status)] * 3
        assert len({str(c.default_message) for c in classes}) == 3, refusal
