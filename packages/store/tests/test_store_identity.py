"""Identity verification in the store: the HMAC a site owner's server computes, the site's
secret and enforcement flag, and the verified user id a visitor keeps."""

from __future__ import annotations

import hashlib
import hmac

from helpway.store import identity, sites, visitors
from helpway.store.database import Database


def test_user_hash_is_hmac_sha256_of_the_user_id() -> None:
    # What a site owner's server computes, in any language, e.g. Python's stdlib:
    expected = hmac.new(b"s3cret", b"user-42", hashlib.sha256).hexdigest()
    assert identity.user_hash("s3cret", "user-42") == expected
    assert identity.verified("s3cret", "user-42", expected)
    assert identity.verified("s3cret", "user-42", expected.upper())  # hex case is not a secret
    assert not identity.verified("s3cret", "user-43", expected)  # A's hash does not vouch for B
    assert not identity.verified("other", "user-42", expected)
    assert not identity.verified("s3cret", "user-42", "")
    assert not identity.verified("s3cret", "user-42", expected[:-1])


async def test_site_secret_rotation_and_enforcement(db: Database) -> None:
    site = await sites.create_site(db, name="Shop", site_id="shop")
    assert site.identity_secret is None and not site.identity_required
    required = await sites.set_identity(db, "shop", required=True)
    assert required is not None and required.identity_required
    first = required.identity_secret
    assert first is not None and len(first) >= 40  # enforcement made a secret
    rotated = await sites.set_identity(db, "shop", rotate_secret=True)
    assert rotated is not None and rotated.identity_secret not in (None, first)
    assert rotated.identity_required  # rotating leaves enforcement as it was
    off = await sites.set_identity(db, "shop", required=False)
    assert off is not None and not off.identity_required
    assert off.identity_secret == rotated.identity_secret
    assert await sites.set_identity(db, "nope", required=True) is None


async def test_visitor_keeps_its_verified_user_id(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    anonymous, token_a = await visitors.create_visitor(db, "shop")
    known, token_k = await visitors.create_visitor(db, "shop", user_id="user-42")
    assert anonymous.user_id is None and known.user_id == "user-42"
    resolved = await visitors.resolve_visitor(db, token_k)
    assert resolved is not None and resolved.user_id == "user-42"
    again = await visitors.resolve_visitor(db, token_a)
    assert again is not None and again.user_id is None
