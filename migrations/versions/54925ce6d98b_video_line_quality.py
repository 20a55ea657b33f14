"""video line quality: each endpoint's latest getStats report, for the secretariat's board (issue 16)

Revision ID: 54925ce6d98b
Revises: ce17b6d3ce78
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '54925ce6d98b'
down_revision = 'ce17b6d3ce78'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('video_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('quality_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('quality_announced_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('video_endpoints', schema=None) as batch_op:
        batch_op.drop_column('quality_announced_at')
        batch_op.drop_column('quality_at')
        batch_op.drop_column('quality')
