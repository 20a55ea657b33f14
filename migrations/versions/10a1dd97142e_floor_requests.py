"""floor requests: the queue of seats asking to speak, and each meeting's default time per turn

Revision ID: 10a1dd97142e
Revises: 69770ba4d271
Create Date: 2026-11-26 15:43:56.936376

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = '10a1dd97142e'
down_revision = '69770ba4d271'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('floor_settings',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('default_time_limit_seconds', sa.Integer(), nullable=True),
    sa.Column('updated_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.CheckConstraint('default_time_limit_seconds IS NULL OR default_time_limit_seconds BETWEEN 30 AND 3600', name=op.f('ck_floor_settings_default_time_limit_range')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_floor_settings_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_floor_settings'))
    )
    op.create_table('floor_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'granted', 'done', 'withdrawn', 'revoked', name='floor_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attendee_name', sa.String(length=200), nullable=True),
    sa.Column('attendee_position', sa.String(length=250), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('requested_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('granted_at', meetcore.database.UTCDateTime(), nullable=True),
    sa.Column('ended_at', meetcore.database.UTCDateTime(), nullable=True),
    sa.Column('time_limit_seconds', sa.Integer(), nullable=True),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("NOT (state IN ('queued', 'granted')) OR ended_at IS NULL", name=op.f('ck_floor_requests_open_has_no_end')),
    sa.CheckConstraint("state IN ('queued', 'granted') OR ended_at IS NOT NULL", name=op.f('ck_floor_requests_closed_has_end')),
    sa.CheckConstraint("state NOT IN ('granted', 'done') OR granted_at IS NOT NULL", name=op.f('ck_floor_requests_turn_has_grant_time')),
    sa.CheckConstraint('time_limit_seconds IS NULL OR time_limit_seconds BETWEEN 30 AND 3600', name=op.f('ck_floor_requests_time_limit_range')),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], name=op.f('fk_floor_requests_granted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_floor_requests_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_floor_requests_seat_id_seats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_requests'))
    )
    with op.batch_alter_table('floor_requests', schema=None) as batch_op:
        batch_op.create_index('ix_floor_requests_meeting_state', ['meeting_id', 'state', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_floor_requests_seat_id'), ['seat_id'], unique=False)
        batch_op.create_index('uq_floor_requests_one_holder', ['meeting_id'], unique=True, sqlite_where=sa.text("state = 'granted'"), postgresql_where=sa.text("state = 'granted'"))
        batch_op.create_index('uq_floor_requests_open_seat', ['meeting_id', 'seat_id'], unique=True, sqlite_where=sa.text("state IN ('queued', 'granted')"), postgresql_where=sa.text("state IN ('queued', 'granted')"))


def downgrade():
    with op.batch_alter_table('floor_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_floor_requests_open_seat', sqlite_where=sa.text("state IN ('queued', 'granted')"), postgresql_where=sa.text("state IN ('queued', 'granted')"))
        batch_op.drop_index('uq_floor_requests_one_holder', sqlite_where=sa.text("state = 'granted'"), postgresql_where=sa.text("state = 'granted'"))
        batch_op.drop_index(batch_op.f('ix_floor_requests_seat_id'))
        batch_op.drop_index('ix_floor_requests_meeting_state')

    op.drop_table('floor_requests')
    op.drop_table('floor_settings')
