"""add budget lines and transactions

Revision ID: 2a6029a383c1
Revises: e5ff47a1a6ee
Create Date: 2026-11-28 12:34:18.590587

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# revision identifiers, used by Alembic.
revision = '2a6029a383c1'
down_revision = 'e5ff47a1a6ee'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('capex', 'opex', 'financing', 'contingency', 'land', 'supervision', 'other', name='budgetcategory', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('funding_source_id', sa.Integer(), nullable=True),
    sa.Column('planned_amount', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('end_date IS NULL OR start_date IS NULL OR end_date >= start_date', name=op.f('ck_budget_lines_end_after_start')),
    sa.CheckConstraint('planned_amount >= 0', name=op.f('ck_budget_lines_planned_nonnegative')),
    sa.ForeignKeyConstraint(['funding_source_id'], ['parties.id'], name=op.f('fk_budget_lines_funding_source_id_parties')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_budget_lines_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines')),
    sa.UniqueConstraint('project_id', 'code', name='uq_budget_lines_project_code')
    )
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_lines_project_id'), ['project_id'], unique=False)

    op.create_table('transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('commitment', 'payment', 'receipt', name='transactionkind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('transaction_date', sa.Date(), nullable=False),
    sa.Column('amount', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate', pptracker.database.ExactDecimal(precision=18, scale=8), nullable=False),
    sa.Column('project_amount', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('payee_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_transactions_amount_positive')),
    sa.CheckConstraint('rate > 0', name=op.f('ck_transactions_rate_positive')),
    sa.ForeignKeyConstraint(['budget_line_id'], ['budget_lines.id'], name=op.f('fk_transactions_budget_line_id_budget_lines')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_transactions_contract_id_contracts')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_transactions_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['payee_id'], ['parties.id'], name=op.f('fk_transactions_payee_id_parties')),
    sa.ForeignKeyConstraint(['payer_id'], ['parties.id'], name=op.f('fk_transactions_payer_id_parties')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_transactions_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions'))
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transactions_budget_line_id'), ['budget_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_payee_id'), ['payee_id'], unique=False)
        batch_op.create_index('ix_transactions_project_date', ['project_id', 'transaction_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_reference'), ['reference'], unique=False)




def downgrade():

    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transactions_reference'))
        batch_op.drop_index(batch_op.f('ix_transactions_project_id'))
        batch_op.drop_index('ix_transactions_project_date')
        batch_op.drop_index(batch_op.f('ix_transactions_payee_id'))
        batch_op.drop_index(batch_op.f('ix_transactions_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_transactions_kind'))
        batch_op.drop_index(batch_op.f('ix_transactions_contract_id'))
        batch_op.drop_index(batch_op.f('ix_transactions_budget_line_id'))

    op.drop_table('transactions')
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_lines_project_id'))

    op.drop_table('budget_lines')

