"""Buddhist-Era dates, Bangkok time and Thai collation."""

from datetime import UTC, date, datetime

from meetcore.i18n import be_date, be_date_long, be_datetime, local_time, sorted_by_name


def test_short_be_date_in_thai(app_ctx):
    assert be_date(date(2017, 5, 2), "th") == "2 พ.ค. 2560"


def test_long_be_date_in_thai(app_ctx):
    assert be_date_long(date(2017, 5, 2), "th") == "วันอังคารที่ 2 พฤษภาคม พ.ศ. 2560"


def test_english_keeps_the_buddhist_era(app_ctx):
    assert be_date(date(2017, 5, 2), "en") == "2 May 2560 BE"
    assert be_date_long(date(2017, 5, 2), "en") == "Tuesday 2 May 2560 BE"


def test_utc_is_shown_in_bangkok_time_and_date(app_ctx):
    # 20:30 UTC on 1 May is 03:30 on 2 May in Bangkok: the date shown must be Bangkok's.
    moment = datetime(2017, 5, 1, 20, 30, tzinfo=UTC)
    assert local_time(moment) == "03:30"
    assert be_date(moment, "th") == "2 พ.ค. 2560"
    assert be_datetime(datetime(2017, 5, 2, 3, 0, tzinfo=UTC), "th") == "2 พ.ค. 2560 10:00"


def test_thai_names_sort_by_dictionary_order_not_code_points(app_ctx):
    # Leading vowels (เ, แ, ไ) are written first but sort by the consonant after them.
    names = ["เชียงใหม่", "ขอนแก่น", "แพร่", "กระบี่", "ตาก"]
    assert sorted_by_name(names, lambda n: n) == ["กระบี่", "ขอนแก่น", "เชียงใหม่", "ตาก", "แพร่"]
    assert sorted(names) != sorted_by_name(names, lambda n: n)


def test_pages_default_to_thai_and_switch_to_english(client):
    page = client.get("/login")
    assert 'lang="th"' in page.text
    client.get("/lang/en")
    assert 'lang="en"' in client.get("/login").text
    client.get("/lang/xx")  # unknown language: ignored
    assert 'lang="en"' in client.get("/login").text


def test_language_switch_never_redirects_off_site(client):
    response = client.get("/lang/en?next=//evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_the_thai_typeface_is_served_from_the_bundled_package(client):
    response = client.get("/fonts/Sarabun-Regular.ttf")
    assert response.status_code == 200
    assert response.data[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
    assert client.get("/fonts/..%2Fsecret").status_code == 404
    assert "/fonts/Sarabun-Regular.ttf" in client.get("/static/css/app.css").text
