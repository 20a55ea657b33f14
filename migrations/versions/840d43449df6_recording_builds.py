"""recording builds: one playable file per meeting, composed in the background (issue 16, item 6)

Revision ID: 840d43449df6
Revises: f2a9c4e6b801
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '840d43449df6'
down_revision = 'f2a9c4e6b801'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'video_recording_builds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('claimed_by', sa.String(length=40), nullable=True),
        sa.Column('claimed_at', UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=300), nullable=True),
        sa.Column('duration_seconds', sa.Float(), nullable=True),
        sa.Column('chapters', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('seats_may_watch', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                                name=op.f('fk_video_recording_builds_meeting_id_meetings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_video_recording_builds')),
        sa.UniqueConstraint('meeting_id', name=op.f('uq_video_recording_builds_meeting_id')),
    )


def downgrade():
    op.drop_table('video_recording_builds')
