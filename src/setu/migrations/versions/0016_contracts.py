"""contracts: contracts, their milestones and deliveries, the equipment types they cover

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02 17:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contracts_contract',
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('operator_party_id', sa.Uuid(), nullable=False),
    sa.Column('origin_party_id', sa.Uuid(), nullable=False),
    sa.Column('supplier_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('value', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('tot_packages', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['operator_party_id'], ['identity_party.id'],
                            name=op.f('fk_contracts_contract_operator_party_id_identity_party')),
    sa.ForeignKeyConstraint(['origin_party_id'], ['identity_party.id'],
                            name=op.f('fk_contracts_contract_origin_party_id_identity_party')),
    sa.ForeignKeyConstraint(['supplier_organisation_id'], ['identity_organisation.id'],
                            name=op.f('fk_contracts_contract_supplier_organisation_id_identity_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts_contract')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_contract_number')),
    )
    with op.batch_alter_table('contracts_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_contract_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_contract_operator_party_id'), ['operator_party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_contract_origin_party_id'), ['origin_party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_contract_status'), ['status'], unique=False)
    op.create_table('contracts_milestone',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('planned_value', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('actual_on', sa.Date(), nullable=True),
    sa.Column('actual_value', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts_contract.id'], ondelete='CASCADE',
                            name=op.f('fk_contracts_milestone_contract_id_contracts_contract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts_milestone')),
    )
    with op.batch_alter_table('contracts_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_milestone_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_milestone_planned_on'), ['planned_on'], unique=False)
    op.create_table('contracts_equipment',
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('equipment_type_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts_contract.id'], ondelete='CASCADE',
                            name=op.f('fk_contracts_equipment_contract_id_contracts_contract')),
    sa.ForeignKeyConstraint(['equipment_type_id'], ['fleet_equipment_type.id'],
                            name=op.f('fk_contracts_equipment_equipment_type_id_fleet_equipment_type')),
    sa.PrimaryKeyConstraint('contract_id', 'equipment_type_id', name=op.f('pk_contracts_equipment')),
    )


def downgrade() -> None:
    op.drop_table('contracts_equipment')
    with op.batch_alter_table('contracts_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_milestone_planned_on'))
        batch_op.drop_index(batch_op.f('ix_contracts_milestone_contract_id'))
    op.drop_table('contracts_milestone')
    with op.batch_alter_table('contracts_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_contract_status'))
        batch_op.drop_index(batch_op.f('ix_contracts_contract_origin_party_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_contract_operator_party_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_contract_kind'))
    op.drop_table('contracts_contract')
