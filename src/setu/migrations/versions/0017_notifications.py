"""notifications, escalations, comments, attachments, order links

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-02 16:46:45.714638
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifications_notification',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_notifications_notification_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_notification'))
    )
    with op.batch_alter_table('notifications_notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_notification_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_notification_user_id'), ['user_id'], unique=False)

    op.create_table('notifications_preference',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_notifications_preference_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_preference')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notifications_preference_user_kind')
    )
    with op.batch_alter_table('notifications_preference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_preference_user_id'), ['user_id'], unique=False)

    op.create_table('aftersales_ticket_comment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('author_org_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_org_id'], ['identity_organisation.id'], name=op.f('fk_aftersales_ticket_comment_author_org_id_identity_organisation')),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_comment_ticket_id_aftersales_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_comment'))
    )
    with op.batch_alter_table('aftersales_ticket_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_comment_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('aftersales_ticket_escalation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('commitment', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('percent', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_escalation_ticket_id_aftersales_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_escalation')),
    sa.UniqueConstraint('ticket_id', 'commitment', 'level', name='uq_aftersales_escalation_once')
    )
    with op.batch_alter_table('aftersales_ticket_escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_escalation_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('aftersales_ticket_order',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('order_ref', sa.String(length=64), nullable=False),
    sa.Column('part_number', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_order_ticket_id_aftersales_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_order')),
    sa.UniqueConstraint('ticket_id', 'order_ref', name='uq_aftersales_ticket_order')
    )
    with op.batch_alter_table('aftersales_ticket_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_order_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('aftersales_ticket_attachment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('comment_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['aftersales_ticket_comment.id'], name=op.f('fk_aftersales_ticket_attachment_comment_id_aftersales_ticket_comment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['aftersales_ticket.id'], name=op.f('fk_aftersales_ticket_attachment_ticket_id_aftersales_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_ticket_attachment'))
    )
    with op.batch_alter_table('aftersales_ticket_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_ticket_attachment_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('aftersales_ticket_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_attachment_ticket_id'))

    op.drop_table('aftersales_ticket_attachment')
    with op.batch_alter_table('aftersales_ticket_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_order_ticket_id'))

    op.drop_table('aftersales_ticket_order')
    with op.batch_alter_table('aftersales_ticket_escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_escalation_ticket_id'))

    op.drop_table('aftersales_ticket_escalation')
    with op.batch_alter_table('aftersales_ticket_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_ticket_comment_ticket_id'))

    op.drop_table('aftersales_ticket_comment')
    with op.batch_alter_table('notifications_preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_preference_user_id'))

    op.drop_table('notifications_preference')
    with op.batch_alter_table('notifications_notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_notification_user_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_notification_created_at'))

    op.drop_table('notifications_notification')
