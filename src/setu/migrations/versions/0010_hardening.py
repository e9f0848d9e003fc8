"""hardening: atomic login throttle; signed audit checkpoints and the other party's keys

Revision ID: 0010
Revises: 0008 (relinked to 0009 when merged onto the branch that adds 0009)
Create Date: 2026-11-26 06:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'identity_login_throttle',
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('client', name=op.f('pk_identity_login_throttle')),
    )
    op.create_table(
        'audit_checkpoint',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('party', sa.String(length=3), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('at', sa.String(length=40), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint')),
        sa.UniqueConstraint('party', 'seq', 'source', name=op.f('uq_audit_checkpoint_party_seq_source')),
    )
    op.create_table(
        'audit_trusted_key',
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('party', sa.String(length=3), nullable=False),
        sa.Column('public_key', sa.Text(), nullable=False),
        sa.Column('added_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('key_id', name=op.f('pk_audit_trusted_key')),
    )
    with op.batch_alter_table('audit_trusted_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_trusted_key_party'), ['party'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_trusted_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_trusted_key_party'))
    op.drop_table('audit_trusted_key')
    op.drop_table('audit_checkpoint')
    op.drop_table('identity_login_throttle')
