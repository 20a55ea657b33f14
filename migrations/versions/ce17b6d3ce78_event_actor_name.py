"""event actor name: an event the system wrote names which part of it acted (issue 19, item 3)

Revision ID: ce17b6d3ce78
Revises: 840d43449df6
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ce17b6d3ce78'
down_revision = '840d43449df6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_name', sa.String(length=60), nullable=True))


def downgrade():
    with op.batch_alter_table('meeting_events', schema=None) as batch_op:
        batch_op.drop_column('actor_name')
