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
    pass


def downgrade():
    pass
