"""aftersales: tickets and their event history

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 14:27:44.349441
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('aftersales_ticket',
    sa.Column('equipment_unit_id', sa.Uuid(), nullable=False),
    sa.Column('unit_serial', sa.String(length=64), nullable=False),
    sa.Column('supplier_org_id', sa.Uuid(), nullable=False),
    sa.Column('supplier_party_id', sa.Uuid(), nullable=False),
    sa.Column('raised_by_org_id', sa.Uuid(), nullable=False),
    sa.Column('party_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('hold_reason', sa.String(length=48), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=200), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_answer', sa.Text(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['equipment_unit_id'], ['fleet_equipment_unit.id'], name=op.f('fk_aftersales_ticket_equipment_unit_id_fleet_equipment_unit')),
    sa.ForeignKeyConstraint(['party_id'], ['identity_party.id'], name=op.f('fk_aftersales_ticket_party_id_identity_party')),
    sa.ForeignKeyConstraint(['raised_by_org_id'], ['identity_organisation.id'], name=op.f('fk_aftersales_ticket_raised_by_org_id_identity_organisation')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['identity_organisation.id'], name=op.f('fk_aftersales_ticket_supplier_org_id_identity_organisation')),
    sa.ForeignKeyConstraint(['supplier_party_id'], ['identity_party.id'], name=op.f('fk_aftersales_ticket_supplier_party_id_identity_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket'))
    )
    with op.batch_alter_table('aftersales_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_equipment_unit_id'), ['equipment_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_raised_by_org_id'), ['raised_by_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_supplier_org_id'), ['supplier_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_supplier_party_id'), ['supplier_party_id'], unique=False)

    op.create_table('aftersales_ticket_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=True),
    sa.Column('ticket_type', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=48), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_event_ticket_id_aftersales_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_event'))
    )
    with op.batch_alter_table('aftersales_ticket_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_event_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('aftersales_ticket_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_event_ticket_id'))

    op.drop_table('aftersales_ticket_event')
    with op.batch_alter_table('aftersales_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_supplier_party_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_status'))
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_raised_by_org_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_party_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_equipment_unit_id'))

    op.drop_table('aftersales_ticket')
