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


def _stamped(revision: str):
    """The database's alembic_version set to `revision` for the block, then back."""
    from contextlib import contextmanager

    from meetcore.extensions import db

    @contextmanager
    def stamped():
        with db.engine.begin() as connection:
            versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            connection.execute(sa.text("DELETE FROM alembic_version"))
            connection.execute(
                sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision}
            )
        try:
            yield
        finally:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM alembic_version"))
                for version in versions:
                    connection.execute(
                        sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version}
                    )

    return stamped()


def test_healthz_says_when_schema_is_behind(client):
    with _stamped("69770ba4d271"):  # the first migration: this release's code needs the later ones
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["schema"]["at_head"] is False
        assert response.get_json()["schema"]["ahead"] is False


def test_healthz_serves_a_schema_a_newer_release_has_migrated(client):
    """A rolling upgrade runs `meetcore db upgrade` first: the old release's processes keep serving."""
    with _stamped("f0e1d2c3b4a5"):  # a revision this release does not have
        response = client.get("/healthz")
        assert response.status_code == 200
        schema = response.get_json()["schema"]
        assert schema["at_head"] is False and schema["ahead"] is True
        assert schema["current"] == ["f0e1d2c3b4a5"]
