import sqlalchemy as sa


def test_healthz_reports_database_and_schema_at_head(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["schema"]["at_head"] is True
    assert body["schema"]["current"] == body["schema"]["head"]
    assert body["message_queue"] == {"configured": False, "reachable": None}  # one process, no Redis


def test_healthz_says_when_schema_is_behind(client):
    from meetcore.extensions import db

    with db.engine.begin() as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        connection.execute(sa.text("DELETE FROM alembic_version"))
        connection.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('old')"))
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["schema"]["at_head"] is False
    finally:
        with db.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM alembic_version"))
            for version in versions:
                connection.execute(
                    sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version}
                )
