"""user_info rows → OpenID Connect claims: full, sparse, hostile, any JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authlib_cashsocial import UnexpectedResponseError, normalize_userinfo
from authlib_cashsocial._options import Endpoints

BASE = "https://social.example"

FULL_ROW = {
    "user_id": "123",
    "user_name": "jdoe",
    "user_email": "jdoe@example.org",
    "user_firstname": "Jane",
    "user_lastname": "Doe",
    "user_gender": "Female",
    "user_birthdate": "1991-02-03",
    "user_picture": "photos/2024/05/x.jpg",
    "user_cover": "covers/y.jpg",
    "user_registered": "2024-05-01 12:00:00",
    "user_verified": "1",
    "user_relationship": "single",
    "user_biography": "Hi",
    "user_website": "https://jdoe.example",
    "profile_picture": "https://cdn.example/uploads/photos/2024/05/x.jpg",
    "profile_cover": "https://cdn.example/uploads/",
}


def test_full_row():
    claims = normalize_userinfo(FULL_ROW, base_url=BASE)
    assert {k: v for k, v in claims.items() if k != "user_info"} == {
        "iss": BASE,
        "sub": "123",
        "preferred_username": "jdoe",
        "name": "Jane Doe",
        "given_name": "Jane",
        "family_name": "Doe",
        "email": "jdoe@example.org",
        "gender": "female",
        "birthdate": "1991-02-03",
        # 3.13+: profile_picture carries the real uploads base (a CDN here).
        "picture": "https://cdn.example/uploads/photos/2024/05/x.jpg",
        "profile": "https://social.example/jdoe",
        "website": "https://jdoe.example",
    }
    assert claims["user_info"] == FULL_ROW
    assert claims.sub == "123"  # Authlib's UserInfo: attribute access too
    assert "email_verified" not in claims  # user_verified is a badge, not e-mail


def test_sparse_row_leaves_empty_values_out():
    row = dict.fromkeys(FULL_ROW)
    row.update(
        user_id="9",
        user_name="x",
        user_firstname="",
        user_gender="N/A",
        user_birthdate="0000-00-00",
        user_website="  ",
    )
    claims = normalize_userinfo(row, base_url=BASE)
    assert {k: v for k, v in claims.items() if k != "user_info"} == {
        "iss": BASE,
        "sub": "9",
        "preferred_username": "x",
        "name": "x",
        "profile": "https://social.example/x",
    }


@pytest.mark.parametrize(
    ("raw", "claim"),
    [
        ("male", "male"),
        ("Male", "male"),
        ("female", "female"),
        ("Female", "female"),
        ("other", "other"),
        ("Other", "other"),
        ("Женский", "female"),
        ("Non-binary", "Non-binary"),
        ("N/A", None),
        ("", None),
        (None, None),
    ],
)
def test_gender_across_generations(raw, claim):
    claims = normalize_userinfo({"user_id": "1", "user_gender": raw}, base_url=BASE)
    assert claims.get("gender") == claim


@pytest.mark.parametrize(
    ("row", "picture"),
    [
        ({"user_picture": "photos/a.jpg"}, f"{BASE}/content/uploads/photos/a.jpg"),
        # 2.x/3.0: profile_picture is always the default avatar; use the upload.
        (
            {"user_picture": "photos/a.jpg", "profile_picture": f"{BASE}/blank.png"},
            f"{BASE}/content/uploads/photos/a.jpg",
        ),
        (
            {"user_picture": None, "profile_picture": f"{BASE}/blank.png"},
            f"{BASE}/blank.png",
        ),
        (
            {"user_picture": "https://graph.example/p.jpg"},
            "https://graph.example/p.jpg",
        ),
        ({"user_picture": None, "profile_picture": "relative/blank.png"}, None),
        ({"user_picture": None, "profile_picture": "https://[cdn/blank.png"}, None),
    ],
)
def test_picture(row, picture):
    claims = normalize_userinfo({"user_id": "1", **row}, base_url=BASE)
    assert claims.get("picture") == picture


def test_uploads_url_for_a_cdn():
    endpoints = Endpoints.from_base_url(BASE, uploads_url="https://cdn.example/up")
    claims = normalize_userinfo(
        {"user_id": "1", "user_picture": "a.jpg"}, base_url=endpoints
    )
    assert claims["picture"] == "https://cdn.example/up/a.jpg"


def test_profile_url_is_quoted():
    claims = normalize_userinfo({"user_id": "1", "user_name": "a b/c"}, base_url=BASE)
    assert claims["profile"] == f"{BASE}/a%20b%2Fc"


@pytest.mark.parametrize(
    "row",
    [
        [],
        "x",
        None,
        5,
        {},
        {"user_id": ""},
        {"user_id": None},
        {"user_id": True},
        {"user_id": ["1"]},
    ],
)
def test_unusable_rows(row):
    with pytest.raises(UnexpectedResponseError):
        normalize_userinfo(row, base_url=BASE)


def test_numeric_user_id_is_accepted_as_text():
    assert normalize_userinfo({"user_id": 77}, base_url=BASE)["sub"] == "77"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Text that starts like a URL and goes on with anything ("http://[x"...).
URLISH = st.builds(
    lambda scheme, rest: scheme + rest,
    st.sampled_from(["http://", "https://", "HTTPS://", "//", "javascript:"]),
    st.text("[]:/@%.#?a1 ", max_size=12) | st.text(max_size=20),
)
rows = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={name: json_values | st.text() | URLISH for name in FULL_ROW},
    ),
)


@pytest.mark.fuzz
@given(rows)
def test_any_json_gives_claims_or_a_documented_error(row):
    try:
        claims = normalize_userinfo(row, base_url=BASE)
    except UnexpectedResponseError:
        return
    json.dumps(claims)  # apps keep claims in their sessions
    for name, value in claims.items():
        if name != "user_info":
            assert isinstance(value, str)
            assert value
            assert value.strip() == value


@pytest.mark.parametrize(
    ("website", "kept"),
    [
        ("https://jdoe.example/blog", True),
        ("http://jdoe.example", True),
        ("HTTPS://JDOE.EXAMPLE", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example", False),
        ("jdoe.example", False),
        ("https://", False),
        ("ftp://jdoe.example", False),
        ("http://[jdoe.example", False),  # urlsplit raises: no 500, no claim
        ("https://[::1/x", False),
    ],
)
def test_website_is_only_an_http_url(website, kept):
    claims = normalize_userinfo({"user_id": "1", "user_website": website})
    assert ("website" in claims) is kept
    assert claims["user_info"]["user_website"] == website  # the raw row keeps it


@pytest.mark.parametrize(
    "user_name", ["javascript:alert(1)", "../admin", "a b", "//evil.example"]
)
def test_profile_stays_on_the_site(user_name):
    claims = normalize_userinfo(
        {"user_id": "1", "user_name": user_name}, base_url="https://social.example"
    )
    assert claims["profile"].startswith("https://social.example/")
    assert "/" not in claims["profile"].removeprefix("https://social.example/")


@given(st.text(min_size=1))
def test_the_profile_url_is_always_the_quoted_user_name(user_name):
    from urllib.parse import quote

    claims = normalize_userinfo({"user_id": "1", "user_name": user_name}, base_url=BASE)
    stripped = user_name.strip()
    if stripped and len(stripped) <= 2048:
        assert claims["profile"] == f"{BASE}/{quote(stripped, safe='')}"
    else:
        assert "profile" not in claims


@given(st.text())
def test_a_claim_is_the_stripped_value_within_bounds(value):
    claims = normalize_userinfo({"user_id": "1", "user_email": value}, base_url=BASE)
    stripped = value.strip()
    expected = stripped if stripped and len(stripped) <= 2048 else None
    assert claims.get("email") == expected


# ------------------------------------------------------- text no codec writes
# JSON lets a site send a lone surrogate ("\ud800"): a str that no encoding
# can write. As a claim it would raise UnicodeEncodeError wherever it went (the
# profile URL, a template, a database), so its claim is left out; a user_id of
# such text cannot identify anyone, so it is the usual UnexpectedResponseError.

LONE_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT_WITH_A_SURROGATE = st.builds(
    lambda head, surrogate, tail: head + surrogate + tail,
    st.text(max_size=10),
    LONE_SURROGATES,
    st.text(max_size=10),
)


def test_a_lone_surrogate_in_user_name_leaves_its_claims_out():
    row = json.loads('{"user_id": "7", "user_name": "an\\ud800na"}')
    claims = normalize_userinfo(row, base_url=BASE)
    assert claims["sub"] == "7"
    for claim in ("preferred_username", "name", "profile"):
        assert claim not in claims
    assert claims["user_info"]["user_name"] == "an\ud800na"  # the row, as sent


def test_a_lone_surrogate_in_user_id_is_an_unexpected_response():
    with pytest.raises(UnexpectedResponseError, match="user_id"):
        normalize_userinfo({"user_id": "1\udfff"}, base_url=BASE)


@pytest.mark.fuzz
@given(
    field=st.sampled_from(sorted(set(FULL_ROW) - {"user_id"})),
    value=TEXT_WITH_A_SURROGATE,
)
def test_no_claim_holds_text_that_cannot_be_encoded(field, value):
    claims = normalize_userinfo({**FULL_ROW, field: value}, base_url=BASE)
    for name, claim in claims.items():
        if name != "user_info":
            claim.encode("utf-8")  # raises if a surrogate got through
    assert claims["user_info"][field] == value


# ---------------------------------------------------------------------- iss
# sub is the site's member number (1, 2, 3...): unique only within one site.


@pytest.mark.parametrize(
    ("base_url", "iss"),
    [
        ("https://social.example", "https://social.example"),
        ("https://social.example/", "https://social.example"),
        ("HTTPS://Social.EXAMPLE:443", "https://social.example"),
        ("https://social.example:8443/net/", "https://social.example:8443/net"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_iss_is_the_sites_base_url(base_url, iss):
    claims = normalize_userinfo({"user_id": "101"}, base_url=base_url)
    assert claims["iss"] == iss


def test_the_same_member_number_on_two_sites_is_two_users():
    first = normalize_userinfo({"user_id": "101"}, base_url="https://one.example")
    second = normalize_userinfo({"user_id": "101"}, base_url="https://two.example")
    assert first["sub"] == second["sub"]
    assert (first["iss"], first["sub"]) != (second["iss"], second["sub"])
