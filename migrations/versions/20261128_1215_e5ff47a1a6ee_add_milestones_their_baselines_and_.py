"""add milestones, their baselines and updates

Revision ID: e5ff47a1a6ee
Revises: 55509eed24da
Create Date: 2026-11-28 12:15:09.183265

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# revision identifiers, used by Alembic.
revision = 'e5ff47a1a6ee'
down_revision = '55509eed24da'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('baseline_date', sa.Date(), nullable=True),
    sa.Column('forecast_date', sa.Date(), nullable=True),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('scheduled', 'inProgress', 'met', 'notMet', 'partiallyMet', 'cancelled', name='milestonestatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('percent_complete', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('planned_value', pptracker.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('approved_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('percent_complete >= 0 AND percent_complete <= 100', name=op.f('ck_milestones_percent_between_0_and_100')),
    sa.CheckConstraint('planned_value IS NULL OR planned_value >= 0', name=op.f('ck_milestones_planned_value_nonnegative')),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_milestones_weight_nonnegative')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_milestones_approved_by_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_milestones_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestones_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_status'), ['status'], unique=False)

    op.create_table('milestone_baselines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('baseline_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['amendment_id'], ['amendments.id'], name=op.f('fk_milestone_baselines_amendment_id_amendments')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_baselines_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestone_baselines_project_id_projects')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_milestone_baselines_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_baselines'))
    )
    with op.batch_alter_table('milestone_baselines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_baselines_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_baselines_project_id'), ['project_id'], unique=False)

    op.create_table('milestone_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'inProgress', 'met', 'notMet', 'partiallyMet', 'cancelled', name='milestonestatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('percent_complete', sa.Integer(), nullable=False),
    sa.Column('forecast_date', sa.Date(), nullable=True),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_updates_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestone_updates_project_id_projects')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_milestone_updates_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_updates'))
    )
    with op.batch_alter_table('milestone_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_updates_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_updates_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_updates_reported_at'), ['reported_at'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestone_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_documents_milestone_id_milestones'), 'milestones', ['milestone_id'], ['id'])




def downgrade():

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_documents_milestone_id_milestones'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_documents_milestone_id'))
        batch_op.drop_column('milestone_id')

    with op.batch_alter_table('milestone_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_updates_reported_at'))
        batch_op.drop_index(batch_op.f('ix_milestone_updates_project_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_updates_milestone_id'))

    op.drop_table('milestone_updates')
    with op.batch_alter_table('milestone_baselines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_baselines_project_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_baselines_milestone_id'))

    op.drop_table('milestone_baselines')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_status'))
        batch_op.drop_index(batch_op.f('ix_milestones_project_id'))
        batch_op.drop_index(batch_op.f('ix_milestones_contract_id'))

    op.drop_table('milestones')

