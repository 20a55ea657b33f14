"""official minutes: circulation, certification and amendments; attendance report

Revision ID: 7a1e0c3b5d21
Revises: 643f3f5aa162
Create Date: 2026-11-26 23:45:00

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = '7a1e0c3b5d21'
down_revision = '643f3f5aa162'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('official_minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'circulated', 'certified', name='official_minutes_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('recorder_name', sa.String(length=200), nullable=True),
    sa.Column('recorder_position', sa.String(length=250), nullable=True),
    sa.Column('reviewer_name', sa.String(length=200), nullable=True),
    sa.Column('reviewer_position', sa.String(length=250), nullable=True),
    sa.Column('grouping', sa.Enum('roster', 'province', 'role', name='minutes_grouping', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('other_attendees', sa.Text(), nullable=True),
    sa.Column('circulated_at', meetcore.database.UTCDateTime(), nullable=True),
    sa.Column('circulated_by_id', sa.Integer(), nullable=True),
    sa.Column('comments_due', meetcore.database.UTCDateTime(), nullable=True),
    sa.Column('certified_at', meetcore.database.UTCDateTime(), nullable=True),
    sa.Column('certified_by_id', sa.Integer(), nullable=True),
    sa.Column('certified_at_item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['certified_at_item_id'], ['agenda_items.id'], name=op.f('fk_official_minutes_certified_at_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['certified_by_id'], ['users.id'], name=op.f('fk_official_minutes_certified_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circulated_by_id'], ['users.id'], name=op.f('fk_official_minutes_circulated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_official_minutes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_official_minutes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_official_minutes_meeting_id'))
    )
    with op.batch_alter_table('official_minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_minutes_certified_at_item_id'), ['certified_at_item_id'], unique=False)

    op.create_table('minutes_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_minutes_amendments_agenda_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_minutes_amendments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['minutes_id'], ['official_minutes.id'], name=op.f('fk_minutes_amendments_minutes_id_official_minutes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_amendments'))
    )
    with op.batch_alter_table('minutes_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_amendments_minutes_id'), ['minutes_id'], unique=False)


def downgrade():
    with op.batch_alter_table('minutes_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_amendments_minutes_id'))

    op.drop_table('minutes_amendments')
    with op.batch_alter_table('official_minutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_official_minutes_certified_at_item_id'))

    op.drop_table('official_minutes')
