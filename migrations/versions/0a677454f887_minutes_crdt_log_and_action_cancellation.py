"""minutes: the CRDT update log of each block and the text last sent to readers; actions: cancellation

Revision ID: 0a677454f887
Revises: 6974d0ca4e54
Create Date: 2026-11-26 15:44:43.495416

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = '0a677454f887'
down_revision = '6974d0ca4e54'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('minutes_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('block_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['block_id'], ['minutes_blocks.id'], name=op.f('fk_minutes_updates_block_id_minutes_blocks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_minutes_updates_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_updates'))
    )
    with op.batch_alter_table('minutes_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_updates_block_id'), ['block_id'], unique=False)

    with op.batch_alter_table('minutes_blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('published_at', meetcore.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('text_pending_since', meetcore.database.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_minutes_blocks_text_pending_since'), ['text_pending_since'], unique=False)

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', meetcore.database.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')

    with op.batch_alter_table('minutes_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_blocks_text_pending_since'))
        batch_op.drop_column('text_pending_since')
        batch_op.drop_column('published_at')
        batch_op.drop_column('published_text')

    with op.batch_alter_table('minutes_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_updates_block_id'))

    op.drop_table('minutes_updates')
