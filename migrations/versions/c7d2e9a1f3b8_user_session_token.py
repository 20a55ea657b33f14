"""users: a session token in every signed-in session's id, so that signing out ends copied cookies too

Revision ID: c7d2e9a1f3b8
Revises: b6e1f0c4d2a7
Create Date: 2026-12-06 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e9a1f3b8'
down_revision = 'b6e1f0c4d2a7'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions signed in before this upgrade carry no token: they end, and their users sign in again.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
