"""video endpoint credential: what let the page that holds an endpoint in, so that withdrawing it (a seat's
link, a hall's link, a sign-in) kicks that page at Janus and not a page of the endpoint's other link

Revision ID: c4e7a1d9b253
Revises: b8d4e1f63a27
Create Date: 2026-12-06 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e7a1d9b253'
down_revision = 'b8d4e1f63a27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('video_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('video_endpoints', schema=None) as batch_op:
        batch_op.drop_column('credential')
