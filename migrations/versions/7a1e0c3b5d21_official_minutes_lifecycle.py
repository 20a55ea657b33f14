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
    pass


def downgrade():
    pass
