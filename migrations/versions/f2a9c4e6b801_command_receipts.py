"""command receipts: a live command retried with its client_id is answered once (issue 20)

Revision ID: f2a9c4e6b801
Revises: a5d2e8c4f6b1
Create Date: 2026-12-07 03:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'f2a9c4e6b801'
down_revision = 'a5d2e8c4f6b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'command_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_key', sa.String(length=40), nullable=False),
        sa.Column('client_id', sa.String(length=64), nullable=False),
        sa.Column('command', sa.String(length=64), nullable=False),
        sa.Column('answer', sa.JSON(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_command_receipts')),
        sa.UniqueConstraint('actor_key', 'client_id', name=op.f('uq_command_receipts_actor_key_client_id')),
    )
    with op.batch_alter_table('command_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_command_receipts_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('command_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_command_receipts_created_at'))
    op.drop_table('command_receipts')
