"""video endpoints: which page holds an endpoint's video session (takeover by a second tab or device), and
what the chair stopped at Janus

Revision ID: a5d2e8c4f6b1
Revises: f3a9c1d7e2b4
Create Date: 2026-12-08 04:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a5d2e8c4f6b1'
down_revision = 'f3a9c1d7e2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'video_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=40), nullable=False),
        sa.Column('session', sa.String(length=40), nullable=True),
        sa.Column('claimed_at', UTCDateTime(), nullable=True),
        sa.Column('audio_muted', sa.Boolean(), nullable=False),
        sa.Column('video_stopped', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_video_endpoints_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_video_endpoints')),
        sa.UniqueConstraint('meeting_id', 'endpoint', name=op.f('uq_video_endpoints_meeting_id_endpoint')),
    )


def downgrade():
    op.drop_table('video_endpoints')
