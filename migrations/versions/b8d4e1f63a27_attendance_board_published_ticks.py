"""attendance board published ticks: a publication knows which provinces' halls to tell (issue 19)

Revision ID: b8d4e1f63a27
Revises: 7c3e5a9d1f20
Create Date: 2026-12-06 14:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e1f63a27'
down_revision = '7c3e5a9d1f20'
branch_labels = None
depends_on = None


def upgrade():
    # Boards published before: none known (NULL), so the next publication tells the halls of every
    # province whose seats are ticked.
    with op.batch_alter_table('attendance_boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_ticks', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('attendance_boards', schema=None) as batch_op:
        batch_op.drop_column('published_ticks')
