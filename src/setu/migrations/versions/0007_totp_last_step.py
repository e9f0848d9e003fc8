"""identity: remember the last two-factor time step used (a code works once)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 05:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
