"""calendar replies speak only for their sender (refused, duplicate, delegation requests, DTSTAMP and
comment kept); every calendar message in the outbox knows its SEQUENCE

Revision ID: e14c0a7d5b21
Revises: d8e3f0b2a4c9
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'e14c0a7d5b21'
down_revision = 'd8e3f0b2a4c9'
branch_labels = None
depends_on = None

OLD_OUTCOMES = ('applied', 'stale', 'unknown_uid', 'not_invited', 'malformed', 'unsupported')
NEW_OUTCOMES = OLD_OUTCOMES + ('refused', 'duplicate', 'delegation_request', 'delegation_approved')


def _outcome(values):
    return sa.Enum(*values, name='reply_outcome', native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('invitation_replies', schema=None) as batch_op:
        batch_op.alter_column('outcome', existing_type=_outcome(OLD_OUTCOMES), type_=_outcome(NEW_OUTCOMES),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('dtstamp', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('delegated_to', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('delegate_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invitation_replies_resolved_by_id_users'), 'users',
                                    ['resolved_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_invitation_replies_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_replies_digest'), ['digest'], unique=False)
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        # When the answer now recorded was given: a calendar reply's DTSTAMP, or the reply page's time.
        batch_op.add_column(sa.Column('answered_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        # Calendar messages only; rows written before this upgrade have none.
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.create_index('ix_mail_outbox_meeting_recipient', ['meeting_id', 'recipient'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_meeting_recipient')
        batch_op.drop_column('sequence')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('comment')
        batch_op.drop_column('answered_at')
    op.execute(
        sa.text("DELETE FROM invitation_replies WHERE outcome NOT IN ('applied', 'stale', 'unknown_uid', "
                "'not_invited', 'malformed', 'unsupported')")
    )
    with op.batch_alter_table('invitation_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_replies_digest'))
        batch_op.drop_index(batch_op.f('ix_invitation_replies_message_id'))
        batch_op.drop_constraint(batch_op.f('fk_invitation_replies_resolved_by_id_users'), type_='foreignkey')
        for column in ('resolved_by_id', 'resolved_at', 'delegate_name', 'delegated_to', 'comment', 'dtstamp',
                       'digest'):
            batch_op.drop_column(column)
        batch_op.alter_column('outcome', existing_type=_outcome(NEW_OUTCOMES), type_=_outcome(OLD_OUTCOMES),
                              existing_nullable=False)
