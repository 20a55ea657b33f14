"""The connection log (the decree's traffic data): a paginated page and a CSV export for the staff."""

from __future__ import annotations

import csv
import io

from meetcore.attendance import services
from meetcore.live import connections
from tests.attendance.helpers import intervals
from tests.conftest import sign_in


def _connect_and_leave(seat, n: int) -> None:
    for i in range(n):
        via = services.Connection(
            connection_id=connections.connection_key(f"log{i}"), remote_addr=f"10.0.0.{i}",
            user_agent=f"Agent/{i}",
        )
        services.check_in(seat, via=via)
        services.check_out(via.connection_id)


def test_the_csv_export(as_secretariat, seat_socket, seats, scheduled):
    seat_socket(seats["cm_sd"], user_agent="Mozilla/5.0 (X11; Linux) ทดสอบ").disconnect()
    seat_socket(seats["central"], user_agent='Safari, "quoted"')
    response = as_secretariat.get(f"/meetings/{scheduled.id}/attendance/connections.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert len(header) == 12 and len(body) == 2
    first, second = body
    assert first[3] == "TH-50" and first[5] == seats["cm_sd"].name
    assert first[9] == "127.0.0.1" and first[10] == "Mozilla/5.0 (X11; Linux) ทดสอบ"
    assert first[0].endswith("+07:00") and first[1] and int(first[2]) >= 0
    assert second[1] == "" and second[2] == "" and second[10] == 'Safari, "quoted"'  # still connected
    assert second[11].startswith(connections.PROCESS_ID + ":")


def test_the_page_is_paginated(as_secretariat, seats, scheduled):
    _connect_and_leave(seats["cm_sd"], 60)
    assert len(intervals(scheduled)) == 60
    first = as_secretariat.get(f"/meetings/{scheduled.id}/attendance/connections").get_data(as_text=True)
    assert first.count("data-interval=") == 50 and 'rel="next"' in first
    assert "Agent/59" in first and "10.0.0.59" in first  # newest first
    second = as_secretariat.get(f"/meetings/{scheduled.id}/attendance/connections?page=2").get_data(
        as_text=True
    )
    assert second.count("data-interval=") == 10 and "Agent/0<" in second


def test_only_staff_read_the_log(client, users, scheduled):
    url = f"/meetings/{scheduled.id}/attendance/connections"
    assert client.get(url).status_code == 302  # sign in first
    sign_in(client, users["participant"])
    assert client.get(url).status_code == 403
    assert client.get(url + ".csv").status_code == 403


def test_the_chair_reads_the_log(client, users, scheduled):
    sign_in(client, users["chair"])
    assert client.get(f"/meetings/{scheduled.id}/attendance/connections").status_code == 200
    assert client.get(f"/meetings/{scheduled.id}/attendance/connections.csv").status_code == 200
