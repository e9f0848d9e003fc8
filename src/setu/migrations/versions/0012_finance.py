"""finance: maintained dated exchange rates

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('finance_exchange_rate',
    sa.Column('from_currency', sa.String(length=3), nullable=False),
    sa.Column('to_currency', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_finance_exchange_rate_rate_positive')),
    sa.CheckConstraint('from_currency <> to_currency', name=op.f('ck_finance_exchange_rate_distinct_currencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_exchange_rate')),
    sa.UniqueConstraint('from_currency', 'to_currency', 'valid_from',
                        name=op.f('uq_finance_exchange_rate_from_currency_to_currency_valid_from')),
    )
    with op.batch_alter_table('finance_exchange_rate', schema=None) as batch_op:
        batch_op.create_index('ix_finance_exchange_rate_pair', ['from_currency', 'to_currency', 'valid_from'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('finance_exchange_rate', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_exchange_rate_pair')
    op.drop_table('finance_exchange_rate')
