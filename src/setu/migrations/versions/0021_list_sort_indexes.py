"""lists: indexes on the demand and stock lists' sort keys (keyset paging at fleet scale)

Revision ID: 0021
Revises: 0012
Create Date: 2026-12-02 16:45:00
"""
from alembic import op


revision = '0021'
down_revision = '0016'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_demand_record_period_id", "demand_record", ["period", "id"]),
    ("ix_demand_record_quantity_id", "demand_record", ["quantity", "id"]),
    ("ix_demand_record_updated_at_id", "demand_record", ["updated_at", "id"]),
    ("ix_fleet_stock_position_serviceable_id", "fleet_stock_position", ["serviceable", "id"]),
    ("ix_fleet_stock_position_updated_at_id", "fleet_stock_position", ["updated_at", "id"]),
]


def upgrade() -> None:
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols, unique=False)
    # the planner's statistics, so a filtered, sorted page walks the new indexes
    op.execute("ANALYZE demand_record")
    op.execute("ANALYZE fleet_stock_position")


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
