"""video: Janus servers, room placement per meeting, recordings

Revision ID: 9c3a2e5d7f43
Revises: 8b2f1d4c6e32
Create Date: 2026-11-26 23:45:00

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = '9c3a2e5d7f43'
down_revision = '8b2f1d4c6e32'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "video_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.String(length=500), nullable=False),
        sa.Column("janus_room_id", sa.BigInteger(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("record", sa.Boolean(), nullable=False),
        sa.Column("rec_dir", sa.String(length=1000), nullable=True),
        sa.Column("created_at", meetcore.database.UTCDateTime(), nullable=False),
        sa.Column("closed_at", meetcore.database.UTCDateTime(), nullable=True),
        sa.Column("recordings_processed_at", meetcore.database.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("janus_room_id"),
        sa.UniqueConstraint("meeting_id"),
    )
    with op.batch_alter_table("video_rooms", schema=None) as batch_op:
        batch_op.create_index("ix_video_rooms_server_open", ["server_url", "closed_at"], unique=False)

    op.create_table(
        "video_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("started_at", meetcore.database.UTCDateTime(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", meetcore.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "file_name"),
    )
    with op.batch_alter_table("video_recordings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_video_recordings_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("video_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_video_recordings_meeting_id"))
    op.drop_table("video_recordings")
    with op.batch_alter_table("video_rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_video_rooms_server_open")
    op.drop_table("video_rooms")
