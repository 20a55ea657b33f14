"""polls on agenda items: open and secret ballots by seat (issue 17)

Revision ID: f3a91c6d2e47
Revises: f2a9c4d1e7b3
Create Date: 2026-12-06 05:10:00

"""

from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = "f3a91c6d2e47"
down_revision = "f2a9c4d1e7b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("results_live", sa.Boolean(), nullable=False),
        sa.Column("role_codes", sa.JSON(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "open",
                "closed",
                name="poll_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("entitled_count", sa.Integer(), nullable=True),
        sa.Column("present_count", sa.Integer(), nullable=True),
        sa.Column("roster_count", sa.Integer(), nullable=True),
        sa.Column("voted_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("max_choices >= 1", name=op.f("ck_polls_max_choices_positive")),
        sa.CheckConstraint("NOT (secret AND results_live)", name=op.f("ck_polls_secret_has_no_live_results")),
        sa.CheckConstraint("state = 'draft' OR opened_at IS NOT NULL", name=op.f("ck_polls_opened_has_time")),
        sa.CheckConstraint(
            "state <> 'closed' OR closed_at IS NOT NULL", name=op.f("ck_polls_closed_has_time")
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_items.id"],
            name=op.f("fk_polls_agenda_item_id_agenda_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_polls_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_polls_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_polls_agenda_item_id"), ["agenda_item_id"], unique=False)
        batch_op.create_index("ix_polls_meeting_state", ["meeting_id", "state"], unique=False)

    op.create_table(
        "poll_seats",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.Integer(), nullable=False),
        sa.Column("voted", sa.Boolean(), nullable=False),
        sa.Column("ballot_version", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("voter_name", sa.String(length=200), nullable=True),
        sa.Column("voter_position", sa.String(length=250), nullable=True),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_seats_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"], ["seats.id"], name=op.f("fk_poll_seats_seat_id_seats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "seat_id", name=op.f("pk_poll_seats")),
    )
    op.create_table(
        "poll_tallies",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("option_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_poll_tallies_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_tallies_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "option_index", name=op.f("pk_poll_tallies")),
    )


def downgrade():
    op.drop_table("poll_tallies")
    op.drop_table("poll_seats")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_meeting_state")
        batch_op.drop_index(batch_op.f("ix_polls_agenda_item_id"))
    op.drop_table("polls")
