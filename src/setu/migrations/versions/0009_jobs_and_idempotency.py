"""kit: background jobs (kit_job) and idempotency keys (kit_idempotency_key)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kit_job',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_data', sa.JSON(), nullable=False),
    sa.Column('party_id', sa.Uuid(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=True),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('progress_message', sa.String(length=500), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_job'))
    )
    with op.batch_alter_table('kit_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_job_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_kit_job_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kit_job_state'), ['state'], unique=False)

    op.create_table('kit_idempotency_key',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('party_id', sa.Uuid(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_idempotency_key')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_kit_idempotency_key_scope_key'))
    )
    with op.batch_alter_table('kit_idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_idempotency_key_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kit_idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_idempotency_key_expires_at'))
    op.drop_table('kit_idempotency_key')
    with op.batch_alter_table('kit_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_job_state'))
        batch_op.drop_index(batch_op.f('ix_kit_job_party_id'))
        batch_op.drop_index(batch_op.f('ix_kit_job_name'))
    op.drop_table('kit_job')
