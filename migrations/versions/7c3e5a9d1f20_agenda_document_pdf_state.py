"""agenda document PDF state: office files are made PDF after the upload, by a worker (issue 16, item 4)

Revision ID: 7c3e5a9d1f20
Revises: 54925ce6d98b
Create Date: 2026-12-06 11:30:00

"""
from alembic import op
import sqlalchemy as sa

from meetcore.agenda.conversion import CONVERTIBLE
from meetcore.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '7c3e5a9d1f20'
down_revision = '54925ce6d98b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pdf_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('pdf_claimed_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('pdf_claimed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('pdf_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_agenda_documents_pdf_state', ['pdf_state'], unique=False)
    # Office files uploaded before: the worker finds the PDF made on upload, if any, and marks them ready
    # without converting again (or converts them now).
    documents = sa.table('agenda_documents', sa.column('content_type', sa.String), sa.column('pdf_state', sa.String))
    op.execute(documents.update().where(documents.c.content_type.in_(sorted(CONVERTIBLE))).values(pdf_state='pending'))


def downgrade():
    with op.batch_alter_table('agenda_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_agenda_documents_pdf_state')
        batch_op.drop_column('pdf_attempts')
        batch_op.drop_column('pdf_claimed_at')
        batch_op.drop_column('pdf_claimed_by')
        batch_op.drop_column('pdf_state')
