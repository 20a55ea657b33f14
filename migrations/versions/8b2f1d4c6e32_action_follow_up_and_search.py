"""action follow-up: agency focal points and links, progress reports with attachments, due reminders; search

Revision ID: 8b2f1d4c6e32
Revises: 7a1e0c3b5d21
Create Date: 2026-11-26 23:45:00

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = '8b2f1d4c6e32'
down_revision = '7a1e0c3b5d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agency_focal_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_focal_points_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_agency_focal_points_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agency_focal_points_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_focal_points')),
    sa.UniqueConstraint('user_id', name=op.f('uq_agency_focal_points_user_id'))
    )
    with op.batch_alter_table('agency_focal_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_focal_points_agency_id'), ['agency_id'], unique=False)

    op.create_table('agency_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=True),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', meetcore.database.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', meetcore.database.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_links_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_agency_links_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_agency_links_token_hash'))
    )
    with op.batch_alter_table('agency_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_links_agency_id'), ['agency_id'], unique=False)

    op.create_table('action_progress_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', name='progress_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name', sa.String(length=200), nullable=True),
    sa.Column('attachment_key', sa.String(length=80), nullable=True),
    sa.Column('attachment_name', sa.String(length=255), nullable=True),
    sa.Column('attachment_type', sa.String(length=120), nullable=True),
    sa.Column('attachment_size', sa.Integer(), nullable=True),
    sa.Column('attachment_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['action_assignments.id'], name=op.f('fk_action_progress_reports_assignment_id_action_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['agency_links.id'], name=op.f('fk_action_progress_reports_link_id_agency_links'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_action_progress_reports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_progress_reports')),
    sa.UniqueConstraint('attachment_key', name=op.f('uq_action_progress_reports_attachment_key'))
    )
    with op.batch_alter_table('action_progress_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_progress_reports_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('action_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['action_assignments.id'], name=op.f('fk_action_reminders_assignment_id_action_assignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_reminders')),
    sa.UniqueConstraint('assignment_id', 'stage', 'due_date', name=op.f('uq_action_reminders_assignment_id_stage_due_date'))
    )

    op.create_table('action_carry_overs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_item_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('created_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_item_id'], ['action_items.id'], name=op.f('fk_action_carry_overs_action_item_id_action_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_action_carry_overs_agenda_item_id_agenda_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_action_carry_overs_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_carry_overs')),
    sa.UniqueConstraint('action_item_id', 'meeting_id', name=op.f('uq_action_carry_overs_action_item_id_meeting_id'))
    )
    with op.batch_alter_table('action_carry_overs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_carry_overs_meeting_id'), ['meeting_id'], unique=False)

    # Plain ADD COLUMN on both databases: no foreign key, so SQLite does not rebuild the table.
    with op.batch_alter_table('action_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_reported_at', meetcore.database.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('action_assignments', schema=None) as batch_op:
        batch_op.drop_column('last_reported_at')
        batch_op.drop_column('last_note')

    with op.batch_alter_table('action_carry_overs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_carry_overs_meeting_id'))
    op.drop_table('action_carry_overs')

    op.drop_table('action_reminders')

    with op.batch_alter_table('action_progress_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_progress_reports_assignment_id'))
    op.drop_table('action_progress_reports')

    with op.batch_alter_table('agency_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_links_agency_id'))
    op.drop_table('agency_links')

    with op.batch_alter_table('agency_focal_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_focal_points_agency_id'))
    op.drop_table('agency_focal_points')
