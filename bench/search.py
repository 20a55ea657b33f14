"""Searching Thai meeting texts: normalised substring (LIKE) against word segmentation and trigram indexes.

Thai has no spaces between words, so "find the agenda items about สังคม" can be answered three ways:

- like:       normalised substring, ``replace(lower(col), ...) LIKE '%term%'`` on the tables as they are
              (what meetcore.search runs, on SQLite and PostgreSQL), no index;
- fts5-trigram: SQLite FTS5 with its trigram tokenizer (substring matches from an index; terms of fewer
              than 3 characters cannot use it and fall back to LIKE on the same rows);
- newmm-fts5: words segmented by pythainlp (newmm, dictionary-based), stored space-separated in an FTS5
              table (unicode61), the query segmented the same way and matched as a phrase;
- pg-like / pg-trgm: the same LIKE on PostgreSQL, without and with a pg_trgm GIN index.

The corpus is generated from the reference meeting's own vocabulary (the 19 policies, the standard
agenda, the roles and their offices, the provinces, the usual verbs of decisions and action items), as
agenda items, decisions and action items in the proportions a secretariat produces. The sample queries
are what a secretary would type: whole words, parts of compounds ("สังคม" in "ทางสังคม"), two-character
words, agency abbreviations (พมจ.), English terms in mixed text, and several words at once.

Recall is measured against substring truth: a text is relevant when its normalised form holds every
normalised query term (meetcore.search.text.normalize), which is what a user who typed the words expects
to find.

    .venv/bin/python bench/search.py                       # 5,000 and 20,000 texts on SQLite
    .venv/bin/python bench/search.py --sizes 5000 --pg postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/search.py --no-newmm            # without pythainlp (pip install pythainlp)

Prints one table per corpus size. See docs/performance.md ("Search") for the figures and the choice.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meetcore.demo.reference_meeting import (  # noqa: E402
    ADMINISTRATION_POLICIES,
    AGENDA_BASED_POLICIES,
    AREA_BASED_POLICIES,
    ONE_HOME_TITLE,
    SOCIAL_MAP_TITLE,
    STANDARD_SECTIONS,
)
from meetcore.search.text import normalize, query_terms  # noqa: E402

POLICIES = (
    AGENDA_BASED_POLICIES + AREA_BASED_POLICIES + ADMINISTRATION_POLICIES + (ONE_HOME_TITLE, SOCIAL_MAP_TITLE)
)
OFFICES = (
    "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด",
    "สำนักงานสาธารณสุขจังหวัด",
    "สำนักงานจังหวัด",
    "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด",
    "สำนักงานแรงงานจังหวัด",
    "เหล่ากาชาดจังหวัด",
    "ศูนย์คุ้มครองคนไร้ที่พึ่ง",
    "สถานสงเคราะห์คนชราบ้านบางแค",
    "ศูนย์พัฒนาการจัดสวัสดิการสังคมผู้สูงอายุ",
    "สำนักงานปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
    "กองยุทธศาสตร์และแผนงาน",
    "ผู้ตรวจราชการกระทรวง",
)
ABBREVIATIONS = ("พมจ.", "สสจ.", "อพม.", "อปท.", "พม.", "ศปก.")
PROVINCES = (
    "เชียงใหม่",
    "ลำพูน",
    "ลำปาง",
    "แพร่",
    "น่าน",
    "เชียงราย",
    "ขอนแก่น",
    "อุดรธานี",
    "นครราชสีมา",
    "อุบลราชธานี",
    "บุรีรัมย์",
    "สุรินทร์",
    "ชลบุรี",
    "ระยอง",
    "จันทบุรี",
    "ตราด",
    "กาญจนบุรี",
    "ราชบุรี",
    "เพชรบุรี",
    "สงขลา",
    "ปัตตานี",
    "ยะลา",
    "นราธิวาส",
    "ภูเก็ต",
    "สุราษฎร์ธานี",
    "นครศรีธรรมราช",
    "พระนครศรีอยุธยา",
    "นครปฐม",
)
VERBS = (
    "จัดทำ",
    "เร่งรัด",
    "ขับเคลื่อน",
    "รายงานผลการดำเนินงาน",
    "บูรณาการ",
    "ประสานความร่วมมือ",
    "ติดตามและประเมินผล",
    "สำรวจข้อมูล",
    "ส่งเสริม",
    "แก้ไขปัญหา",
    "ให้ความช่วยเหลือ",
    "ลงพื้นที่ตรวจเยี่ยม",
    "จัดประชุมชี้แจง",
)
OBJECTS = (
    "แผนที่ทางสังคม",
    "ฐานข้อมูลกลุ่มเป้าหมาย",
    "ผู้สูงอายุที่อยู่ตามลำพัง",
    "คนพิการที่ไม่มีผู้ดูแล",
    "เด็กและเยาวชน",
    "ครอบครัวเปราะบาง",
    "คนไร้ที่พึ่ง",
    "ผู้มีรายได้น้อย",
    "ผู้ประสบภัยพิบัติ",
    "แรงงานนอกระบบ",
    "ที่อยู่อาศัยชุมชนริมคลอง",
    "เงินอุดหนุนเพื่อการเลี้ยงดูเด็กแรกเกิด",
    "อาสาสมัครพัฒนาสังคม",
    "ศูนย์ช่วยเหลือสังคม สายด่วน 1300",
)
ENGLISH = ("Social Map", "ONE HOME", "Agenda-based", "Area-based", "Thailand 4.0", "Big Data", "KPI")
MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)

QUERIES = (
    "สังคม",  # inside many compounds: "ทางสังคม", "พัฒนาสังคม"
    "แผนที่ทางสังคม",
    "ผู้สูงอายุ",
    "คนพิการ",
    "เด็กแรกเกิด",
    "การค้ามนุษย์",
    "ชายแดนภาคใต้",
    "พมจ.",
    "อพม",
    "คนไร้ที่พึ่ง",
    "ขอทาน",
    "งบประมาณ",
    "เชียงใหม่",
    "ตั้งครรภ์ในวัยรุ่น",
    "บ้านมั่นคง",
    "ความคืบหน้า",
    "ฐานข้อมูล",
    "ภัยพิบัติ",
    "เด็ก",  # two characters... and a word
    "คน",  # two characters: shorter than a trigram
    "Social Map",
    "one home",
    "kpi",
    "แผนที่ มิถุนายน",  # two words at once
    "ดําเนินงาน",  # SARA AM typed as two characters
)


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}"


def generate_corpus(size: int, seed: int = 2560) -> list[tuple[str, str, str]]:
    """(kind, title, body) texts: 45% agenda items, 25% decisions, 30% action items."""
    rng = random.Random(seed)
    texts = []
    for _ in range(size):
        roll = rng.random()
        province = rng.choice(PROVINCES)
        policy = rng.choice(POLICIES)
        if roll < 0.45:
            title = rng.choice(
                (
                    policy,
                    f"ความคืบหน้า{policy}",
                    f"รายงานผลการดำเนินงาน{policy} จังหวัด{province}",
                    f"{rng.choice(STANDARD_SECTIONS)}",
                    f"แนวทาง{_sentence(rng)} ปีงบประมาณ พ.ศ. 25{rng.randint(60, 69)}",
                )
            )
            body = " ".join(
                (
                    f"{rng.choice(OFFICES)}{province}รายงานว่าได้{_sentence(rng)}",
                    f"และ{_sentence(rng)} จำนวน {rng.randint(3, 900)} ราย",
                    rng.choice(
                        ("", f"ตามแนวทาง {rng.choice(ENGLISH)}", f"ร้อยละ {rng.randint(1, 100)} ของเป้าหมาย")
                    ),
                )
            )
            texts.append(("agenda", title, body))
        elif roll < 0.70:
            body = rng.choice(
                (
                    f"ที่ประชุมรับทราบ{policy}",
                    f"ที่ประชุมมีมติเห็นชอบให้{rng.choice(OFFICES)}{_sentence(rng)} ภายในเดือน{rng.choice(MONTHS)}",
                    f"ที่ประชุมมอบหมายให้ {rng.choice(ABBREVIATIONS)} ทุกจังหวัด{_sentence(rng)}"
                    f" และรายงานผลต่อที่ประชุมครั้งต่อไป",
                )
            )
            texts.append(("decision", "", body))
        else:
            title = rng.choice(
                (
                    f"{_sentence(rng)}ของจังหวัด{province}",
                    f"{rng.choice(VERBS)}{policy}",
                    f"จัดทำ{rng.choice(ENGLISH)}ของ{rng.choice(ABBREVIATIONS)}{province}",
                )
            )
            body = f"ให้{rng.choice(OFFICES)}{_sentence(rng)} และส่งรายงานภายใน {rng.randint(7, 90)} วัน"
            if rng.random() < 0.05:
                body = body.replace("ดำเนิน", "ด\u0e4d\u0e32เนิน")  # a document typed with the two-key SARA AM
            texts.append(("action", title, body))
    return texts


def truth(corpus, queries) -> dict[str, set[int]]:
    folded = [normalize(f"{title}\n{body}") for _kind, title, body in corpus]
    return {
        q: {i + 1 for i, text in enumerate(folded) if all(t in text for t in query_terms(q))} for q in queries
    }


# --- the approaches ---------------------------------------------------------------------------------------


def _timed(fn, repeat: int) -> tuple[list[float], set[int]]:
    times, found = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        found = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, found


def _like_sql(dialect: str, terms: list[str]) -> tuple[str, list[str]]:
    """The WHERE clause meetcore.search builds (compiled from the same helpers), for a plain table."""
    import sqlalchemy as sa

    from meetcore.search.text import matches_all

    table = sa.table("texts", sa.column("id"), sa.column("title"), sa.column("body"))
    query = sa.select(table.c.id).where(matches_all([table.c.title, table.c.body], terms))
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        compiled = query.compile(dialect=sqlite.dialect())
        return str(compiled), [compiled.params[k] for k in compiled.positiontup]
    from sqlalchemy.dialects import postgresql

    compiled = query.compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(compiled), compiled.params


class SqliteBench:
    def __init__(self, corpus, path: Path):
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE texts (id INTEGER PRIMARY KEY, kind TEXT, title TEXT, body TEXT)")
        self.db.executemany("INSERT INTO texts (kind, title, body) VALUES (?, ?, ?)", corpus)
        self.db.commit()
        self.base_bytes = self._bytes()

    def _bytes(self) -> int:
        return (
            self.db.execute("PRAGMA page_count").fetchone()[0]
            * self.db.execute("PRAGMA page_size").fetchone()[0]
        )

    def like(self, query: str) -> set[int]:
        sql, params = _like_sql("sqlite", query_terms(query))
        return {row[0] for row in self.db.execute(sql, params)}

    def build_trigram(self) -> tuple[float, int]:
        start = time.perf_counter()
        self.db.execute(
            "CREATE VIRTUAL TABLE tri USING fts5(title, body, tokenize='trigram', content='texts',"
            " content_rowid='id')"
        )
        self.db.execute("INSERT INTO tri(tri) VALUES ('rebuild')")
        self.db.commit()
        return time.perf_counter() - start, self._bytes() - self.base_bytes

    def trigram(self, query: str) -> set[int]:
        terms = query_terms(query)
        long_terms = [t for t in terms if len(t) >= 3]
        short = [t for t in terms if len(t) < 3]
        if long_terms:
            match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
            ids = {r[0] for r in self.db.execute("SELECT rowid FROM tri WHERE tri MATCH ?", (match,))}
        else:
            ids = None
        if short:  # below a trigram: LIKE on the rows (all of them when no term could use the index)
            sql, params = _like_sql("sqlite", short)
            like_ids = {row[0] for row in self.db.execute(sql, params)}
            ids = like_ids if ids is None else ids & like_ids
        return ids or set()

    def build_newmm(self, corpus, tokenize) -> tuple[float, float, int]:
        start = time.perf_counter()
        rows = [
            (i + 1, " ".join(tokenize(normalize(t))), " ".join(tokenize(normalize(b))))
            for i, (_k, t, b) in enumerate(corpus)
        ]
        segmented = time.perf_counter() - start
        before = self._bytes()
        self.db.execute("CREATE VIRTUAL TABLE words USING fts5(title, body, tokenize='unicode61')")
        self.db.executemany("INSERT INTO words (rowid, title, body) VALUES (?, ?, ?)", rows)
        self.db.commit()
        return segmented, time.perf_counter() - start, self._bytes() - before

    def newmm(self, query: str, tokenize) -> set[int]:
        phrases = []
        for term in query_terms(query):
            words = [w for w in tokenize(term) if w.strip() and any(c.isalnum() for c in w)]
            if words:
                phrases.append('"' + " ".join(w.replace('"', '""') for w in words) + '"')
        if not phrases:
            return set()
        return {
            r[0]
            for r in self.db.execute("SELECT rowid FROM words WHERE words MATCH ?", (" AND ".join(phrases),))
        }


class PostgresBench:
    def __init__(self, corpus, url: str):
        import psycopg

        admin = url.replace("postgresql+psycopg://", "postgresql://")
        base, _, _name = admin.rpartition("/")
        with psycopg.connect(admin if _name else base + "/postgres", autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS meetcore_bench_search")
            c.execute("CREATE DATABASE meetcore_bench_search")
        self.db = psycopg.connect(base + "/meetcore_bench_search", autocommit=True)
        self.db.execute("CREATE TABLE texts (id SERIAL PRIMARY KEY, kind TEXT, title TEXT, body TEXT)")
        with self.db.cursor() as cur:
            cur.executemany("INSERT INTO texts (kind, title, body) VALUES (%s, %s, %s)", corpus)
        self.db.execute("VACUUM ANALYZE texts")
        self.table_bytes = self.db.execute("SELECT pg_total_relation_size('texts')").fetchone()[0]

    def like(self, query: str) -> set[int]:
        sql, params = _like_sql("postgresql", query_terms(query))
        return {row[0] for row in self.db.execute(sql, params)}

    def build_trigram(self) -> tuple[float, int] | None:
        try:
            self.db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:  # contrib not installed
            print(f"  pg_trgm unavailable: {error}")
            return None
        start = time.perf_counter()
        # An index on the same normalised expression the query uses, so the planner can take it.
        expression = (
            "replace(lower(coalesce(title, '') || ' ' || coalesce(body, '')), E'\\u0e4d\\u0e32', E'\\u0e33')"
        )
        self.db.execute(f"CREATE INDEX texts_trgm ON texts USING gin (({expression}) gin_trgm_ops)")
        self.db.execute("ANALYZE texts")
        self.trgm_expression = expression
        return time.perf_counter() - start, self.db.execute(
            "SELECT pg_relation_size('texts_trgm')"
        ).fetchone()[0]

    def trigram(self, query: str) -> set[int]:
        clauses, params = [], []
        for term in query_terms(query):
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"{self.trgm_expression} LIKE %s")
            params.append(f"%{escaped}%")
        sql = "SELECT id FROM texts WHERE " + " AND ".join(clauses)
        return {row[0] for row in self.db.execute(sql, params)}

    def uses_index(self, query: str) -> bool:
        term = query_terms(query)[0]
        plan = self.db.execute(
            f"EXPLAIN SELECT id FROM texts WHERE {self.trgm_expression} LIKE %s", [f"%{term}%"]
        ).fetchall()
        return any("texts_trgm" in row[0] for row in plan)

    def close(self) -> None:
        self.db.close()


class ServiceBench:
    """meetcore.search.services.search itself, on the application's schema built by the migrations: the
    corpus as agenda items, decisions and action items of meetings (100 texts a meeting), one search page
    (25 hits and the counts per kind) per query."""

    def __init__(self, corpus, url: str):
        from types import SimpleNamespace

        from flask_migrate import upgrade

        from meetcore import create_app
        from meetcore.extensions import db

        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench"})
        self.ctx = self.app.app_context()
        self.ctx.push()
        if db.engine.dialect.name == "postgresql":
            import sqlalchemy as sa

            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="head")
        self._load(corpus)
        self.by = SimpleNamespace(is_authenticated=True, role="secretariat", id=None)

    def _load(self, corpus) -> None:
        from datetime import UTC, datetime, timedelta

        import sqlalchemy as sa

        from meetcore.extensions import db
        from meetcore.models import ActionItem, AgendaItem, Decision, Meeting, Series

        series_id = db.session.execute(
            sa.insert(Series).values(name="คณะทำงานทดสอบการค้นหา").returning(Series.id)
        ).scalar()
        start = datetime(2017, 5, 2, 3, 0, tzinfo=UTC)
        meetings = [
            {
                "series_id": series_id,
                "number": n + 1,
                "year_be": 2560 + n // 24,
                "title": "การประชุมทดสอบ",
                "start_at": start + timedelta(days=15 * n),
                "end_at": start + timedelta(days=15 * n, hours=3),
                "status": "ended",
                "last_seq": 0,
            }
            for n in range(len(corpus) // 100 + 1)
        ]
        meeting_ids = db.session.execute(sa.insert(Meeting).returning(Meeting.id), meetings).scalars().all()
        items, decisions, actions = [], [], []
        for index, (kind, title, body) in enumerate(corpus):
            meeting_id = meeting_ids[index // 100]
            if kind == "agenda":
                items.append(
                    {
                        "meeting_id": meeting_id,
                        "position": index % 100,
                        "title": title[:500],
                        "description": body,
                        "state": "done",
                    }
                )
        item_rows = db.session.execute(
            sa.insert(AgendaItem).returning(AgendaItem.id, AgendaItem.meeting_id), items
        ).all()
        first_item = {}
        for item_id, meeting_id in item_rows:
            first_item.setdefault(meeting_id, item_id)
        now = datetime.now(UTC)
        for index, (kind, title, body) in enumerate(corpus):
            meeting_id = meeting_ids[index // 100]
            item_id = first_item.get(meeting_id) or item_rows[0][0]
            if kind == "decision":
                decisions.append(
                    {
                        "meeting_id": meeting_id,
                        "agenda_item_id": item_id,
                        "text": body,
                        "present_seat_ids": [],
                        "taken_at": now,
                    }
                )
            elif kind == "action":
                actions.append(
                    {
                        "meeting_id": meeting_id,
                        "agenda_item_id": item_id,
                        "title": title[:500],
                        "description": body,
                        "created_at": now,
                    }
                )
        db.session.execute(sa.insert(Decision), decisions)
        db.session.execute(sa.insert(ActionItem), actions)
        db.session.commit()

    def search(self, query: str) -> int:
        from meetcore.search.services import search

        with self.app.test_request_context():
            return search(query, by=self.by, per_page=25).page.total

    def close(self) -> None:
        from meetcore.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()


# --- running it -------------------------------------------------------------------------------------------


def _recall(found: dict[str, set[int]], expected: dict[str, set[int]]) -> tuple[float, float, list[str]]:
    """Mean recall over the queries that have relevant texts, mean precision, and the queries that missed."""
    recalls, precisions, missed = [], [], []
    for query, relevant in expected.items():
        got = found[query]
        if relevant:
            recalls.append(len(got & relevant) / len(relevant))
            if len(got & relevant) < len(relevant):
                missed.append(f"{query} ({len(got & relevant)}/{len(relevant)})")
        if got:
            precisions.append(len(got & relevant) / len(got))
    return statistics.mean(recalls), statistics.mean(precisions) if precisions else 1.0, missed


def _row(name: str, times: list[float], recall, precision, build: str, size: str) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return (
        f"| {name} | {statistics.median(times):.2f} | {p95:.2f} | {recall * 100:.1f}% "
        f"| {precision * 100:.1f}% | {build} | {size} |"
    )


def run(size: int, repeat: int, pg_url: str | None, with_newmm: bool, workdir: Path) -> None:
    corpus = generate_corpus(size)
    expected = truth(corpus, QUERIES)
    chars = sum(len(t) + len(b) for _k, t, b in corpus)
    print(f"\n### {size:,} texts ({chars / 1e6:.2f} M characters), {len(QUERIES)} queries × {repeat}\n")
    print("| approach | median ms/query | p95 ms | recall | precision | index build | index size |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    notes = []

    def measure(name: str, search, build: str, index_size: str):
        times, found = [], {}
        for query in QUERIES:
            spent, found[query] = _timed(lambda q=query: search(q), repeat)
            times += spent
        recall, precision, missed = _recall(found, expected)
        print(_row(name, times, recall, precision, build, index_size))
        if missed:
            notes.append(f"{name} misses: " + "; ".join(missed))

    lite = SqliteBench(corpus, workdir / f"search-{size}.sqlite3")
    measure("sqlite like (chosen)", lite.like, "none", f"0 (table {lite.base_bytes / 1e6:.1f} MB)")
    seconds, trigram_bytes = lite.build_trigram()
    measure("sqlite fts5 trigram", lite.trigram, f"{seconds:.2f} s", f"{trigram_bytes / 1e6:.1f} MB")
    if with_newmm:
        try:
            from pythainlp.tokenize import word_tokenize
        except ImportError:
            print("| newmm + fts5 | (pythainlp not installed: pip install pythainlp) | | | | | |")
        else:
            cache: dict[str, list[str]] = {}

            def tokenize(text: str) -> list[str]:
                if text not in cache:
                    cache[text] = [w for w in word_tokenize(text, engine="newmm", keep_whitespace=False)]
                return cache[text]

            segmented, total, words_bytes = lite.build_newmm(corpus, tokenize)
            measure(
                "pythainlp newmm + fts5",
                lambda q: lite.newmm(q, tokenize),
                f"{total:.2f} s ({segmented:.2f} s segmenting)",
                f"{words_bytes / 1e6:.1f} MB",
            )
    if pg_url:
        pg = PostgresBench(corpus, pg_url)
        measure("postgresql like (chosen)", pg.like, "none", f"0 (table {pg.table_bytes / 1e6:.1f} MB)")
        built = pg.build_trigram()
        if built:
            measure("postgresql pg_trgm gin", pg.trigram, f"{built[0]:.2f} s", f"{built[1] / 1e6:.1f} MB")
            used = [q for q in QUERIES if pg.uses_index(q)]
            notes.append(f"pg_trgm: the planner takes the index for {len(used)} of {len(QUERIES)} queries")
        pg.close()
    print("\nmeetcore.search on the application's schema, one search page (25 hits, counts per kind):\n")
    print("| database | median ms/page | p95 ms | queries whose hit count equals the truth |")
    print("| --- | --- | --- | --- |")
    targets = [("sqlite", f"sqlite:///{(workdir / f'search-app-{size}.sqlite3').resolve()}")]
    (workdir / f"search-app-{size}.sqlite3").unlink(missing_ok=True)
    if pg_url:
        targets.append(("postgresql", _scratch_pg(pg_url, "meetcore_bench_search_app")))
    for name, url in targets:
        service = ServiceBench(corpus, url)
        times, exact = [], 0
        for query in QUERIES:
            spent, total = _timed(lambda q=query, s=service: s.search(q), repeat)
            times += spent
            exact += total == len(expected[query])
        service.close()
        times.sort()
        print(
            f"| {name} | {statistics.median(times):.1f} | {times[int(len(times) * 0.95)]:.1f} "
            f"| {exact}/{len(QUERIES)} |"
        )
    for note in notes:
        print(f"\n- {note}")


def _scratch_pg(url: str, name: str) -> str:
    import psycopg

    admin = url.replace("postgresql+psycopg://", "postgresql://")
    base = admin.rpartition("/")[0]
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return base.replace("postgresql://", "postgresql+psycopg://") + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5000,20000", help="Corpus sizes, comma-separated.")
    parser.add_argument("--repeat", type=int, default=5, help="Times each query runs.")
    parser.add_argument(
        "--pg", default=None, help="PostgreSQL server URL (a scratch database is made on it)."
    )
    parser.add_argument("--no-newmm", action="store_true", help="Skip word segmentation (pythainlp).")
    parser.add_argument("--workdir", default="bench/out", help="Where the SQLite files go.")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}")
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.repeat, args.pg, not args.no_newmm, workdir)


if __name__ == "__main__":
    main()
