"""video: Janus servers, room placement per meeting, recordings

Revision ID: 9c3a2e5d7f43
Revises: 8b2f1d4c6e32
Create Date: 2026-11-26 23:45:00

"""
from alembic import op
import sqlalchemy as sa

import meetcore.database


# revision identifiers, used by Alembic.
revision = '9c3a2e5d7f43'
down_revision = '8b2f1d4c6e32'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
