"""minutes blocks: a revision that changes with every accepted update (for documents kept in memory)

Revision ID: b6e1f0c4d2a7
Revises: ad5e3f6a8b54
Create Date: 2026-11-27 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6e1f0c4d2a7'
down_revision = 'ad5e3f6a8b54'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('minutes_blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('minutes_blocks', schema=None) as batch_op:
        batch_op.drop_column('revision')
