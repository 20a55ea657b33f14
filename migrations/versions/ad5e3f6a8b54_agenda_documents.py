"""agenda documents: files of agenda items for everyone in the meeting

Revision ID: ad5e3f6a8b54
Revises: 9c3a2e5d7f43
Create Date: 2026-11-27 00:10:00

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = 'ad5e3f6a8b54'
down_revision = '9c3a2e5d7f43'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agenda_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', meetcore.database.UTCDateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('size > 0', name=op.f('ck_agenda_documents_size_positive')),
    sa.ForeignKeyConstraint(['agenda_item_id', 'meeting_id'], ['agenda_items.id', 'agenda_items.meeting_id'], name='fk_agenda_documents_item_same_meeting', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_documents_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_agenda_documents_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_documents')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_agenda_documents_storage_key'))
    )
    with op.batch_alter_table('agenda_documents', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_documents_item_position', ['agenda_item_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_documents_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('agenda_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_documents_meeting_id'))
        batch_op.drop_index('ix_agenda_documents_item_position')

    op.drop_table('agenda_documents')
