"""live connections and what let each in; a seat link remembers the invitation it was sent with

Revision ID: d8e3f0b2a4c9
Revises: c7d2e9a1f3b8
Create Date: 2026-12-06 03:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'd8e3f0b2a4c9'
down_revision = 'c7d2e9a1f3b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'live_connections',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('process_id', sa.String(length=32), nullable=False),
        sa.Column('opened_at', UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('session_token', sa.String(length=64), nullable=True),
        sa.Column('api_token_hash', sa.String(length=64), nullable=True),
        sa.Column('seat_id', sa.Integer(), nullable=True),
        sa.Column('seat_link_hash', sa.String(length=64), nullable=True),
        sa.Column('site_link_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_live_connections_seat_id_seats'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_link_id'], ['site_links.id'],
                                name=op.f('fk_live_connections_site_link_id_site_links'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_connections_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_connections')),
    )
    with op.batch_alter_table('live_connections', schema=None) as batch_op:
        for column in ('process_id', 'user_id', 'seat_id', 'seat_link_hash', 'site_link_id'):
            batch_op.create_index(batch_op.f(f'ix_live_connections_{column}'), [column], unique=False)
    # Links issued before this upgrade name no invitation: handing their seat over does not withdraw them.
    with op.batch_alter_table('seat_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_seat_links_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_seat_links_invitation_id_invitations'), 'invitations',
                                    ['invitation_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('seat_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_seat_links_invitation_id_invitations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_seat_links_invitation_id'))
        batch_op.drop_column('invitation_id')
    with op.batch_alter_table('live_connections', schema=None) as batch_op:
        for column in ('site_link_id', 'seat_link_hash', 'seat_id', 'user_id', 'process_id'):
            batch_op.drop_index(batch_op.f(f'ix_live_connections_{column}'))
    op.drop_table('live_connections')
