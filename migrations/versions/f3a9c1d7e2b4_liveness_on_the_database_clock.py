"""liveness on the database's clock; intervals the heartbeat sweep closed are marked

Revision ID: f3a9c1d7e2b4
Revises: f3a91c6d2e47
Create Date: 2027-01-10 03:00:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'f3a9c1d7e2b4'
down_revision = 'f3a91c6d2e47'
branch_labels = None
depends_on = None


def upgrade():
    # Rows of processes running during the upgrade get their last beat as a first "seen": they beat again
    # (with the database's clock) within one heartbeat.
    with op.batch_alter_table('server_processes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', UTCDateTime(), nullable=True))
    op.execute("UPDATE server_processes SET seen_at = heartbeat_at")
    with op.batch_alter_table('server_processes', schema=None) as batch_op:
        batch_op.alter_column('seen_at', existing_type=UTCDateTime(), nullable=False)
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('swept_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_attendance_swept_connection', ['connection_id'], unique=False,
                              sqlite_where=sa.text('swept_at IS NOT NULL'),
                              postgresql_where=sa.text('swept_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_swept_connection', sqlite_where=sa.text('swept_at IS NOT NULL'),
                            postgresql_where=sa.text('swept_at IS NOT NULL'))
        batch_op.drop_column('swept_at')
    with op.batch_alter_table('server_processes', schema=None) as batch_op:
        batch_op.drop_column('seen_at')
