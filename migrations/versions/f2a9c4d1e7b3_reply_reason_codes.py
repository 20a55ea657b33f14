"""calendar replies keep why they had their outcome as a code with its values, shown in the reader's
language (the English detail line stays for the log)

Revision ID: f2a9c4d1e7b3
Revises: e14c0a7d5b21
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a9c4d1e7b3'
down_revision = 'e14c0a7d5b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reason_args', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('invitation_replies', schema=None) as batch_op:
        batch_op.drop_column('reason_args')
        batch_op.drop_column('reason')
