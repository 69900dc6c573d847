"""add operations: KPIs, failures, payment schedule, tariffs, demand

Revision ID: 96becace5c07
Revises: 2a6029a383c1
Create Date: 2026-11-28 13:48:28.396041

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# revision identifiers, used by Alembic.
revision = '96becace5c07'
down_revision = '2a6029a383c1'
branch_labels = None
depends_on = None

# A copy of pptracker.operations.models.TARIFF_RATE_DDL as it stood for this
# revision (refuse_change() exists since the contracts revision).
TARIFF_RATE_DDL = {
    "sqlite": [
        "CREATE TRIGGER tariff_rates_frozen BEFORE UPDATE ON tariff_rates "
        "BEGIN SELECT RAISE(ABORT, 'tariff rates are append-only'); END",
        "CREATE TRIGGER tariff_rates_no_delete BEFORE DELETE ON tariff_rates "
        "BEGIN SELECT RAISE(ABORT, 'tariff rates are append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER tariff_rates_frozen BEFORE UPDATE OR DELETE ON tariff_rates "
        "FOR EACH ROW EXECUTE FUNCTION refuse_change('tariff rates are append-only')",
    ],
}
DROP_DDL = {
    "sqlite": ["DROP TRIGGER tariff_rates_frozen", "DROP TRIGGER tariff_rates_no_delete"],
    "postgresql": ["DROP TRIGGER tariff_rates_frozen ON tariff_rates"],
}


def upgrade():
    op.create_table('demand_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('demand', 'revenue', name='metric', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_demand_series_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_demand_series_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_series')),
    sa.UniqueConstraint('contract_id', 'name', name='uq_demand_series_name')
    )
    with op.batch_alter_table('demand_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_series_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_series_project_id'), ['project_id'], unique=False)

    op.create_table('kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('availability', 'serviceQuality', 'safety', 'environmental', 'maintenance', 'reporting', 'other', name='failurecategory', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('unit', sa.Enum('percent', 'count', 'hours', 'minutes', 'days', 'number', 'yesNo', name='kpiunit', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('comparison', sa.Enum('atLeast', 'atMost', name='comparison', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('target', pptracker.database.ExactDecimal(precision=18, scale=4), nullable=False),
    sa.Column('frequency', sa.Enum('monthly', 'quarterly', 'halfYearly', 'yearly', name='frequency', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('source', sa.Enum('operator', 'independentEngineer', 'publicAuthority', 'userSurvey', name='kpisource', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('deduction_rule', sa.Text(), nullable=False),
    sa.Column('deduction_basis', sa.Enum('none', 'amount', 'percent', name='deductionbasis', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('deduction_amount', pptracker.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('deduction_percent', pptracker.database.ExactDecimal(precision=9, scale=4), nullable=True),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('deduction_amount IS NULL OR deduction_amount >= 0', name=op.f('ck_kpis_deduction_amount_nonnegative')),
    sa.CheckConstraint('deduction_percent IS NULL OR CAST(deduction_percent AS NUMERIC) BETWEEN 0 AND 100', name=op.f('ck_kpis_deduction_percent_between_0_and_100')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_kpis_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_kpis_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpis')),
    sa.UniqueConstraint('contract_id', 'code', name='uq_kpis_contract_code')
    )
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpis_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpis_project_id'), ['project_id'], unique=False)

    op.create_table('tariffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('paid_by', sa.Enum('user', 'government', name='paidby', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('payer_group', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('setting_method', sa.Text(), nullable=False),
    sa.Column('review_method', sa.Text(), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_tariffs_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tariffs_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariffs')),
    sa.UniqueConstraint('contract_id', 'code', name='uq_tariffs_contract_code')
    )
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariffs_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tariffs_project_id'), ['project_id'], unique=False)

    op.create_table('demand_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('forecast', pptracker.database.ExactDecimal(precision=20, scale=4), nullable=True),
    sa.Column('actual', pptracker.database.ExactDecimal(precision=20, scale=4), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('actual IS NULL OR CAST(actual AS NUMERIC) >= 0', name=op.f('ck_demand_values_actual_nonnegative')),
    sa.CheckConstraint('forecast IS NULL OR CAST(forecast AS NUMERIC) >= 0', name=op.f('ck_demand_values_forecast_nonnegative')),
    sa.CheckConstraint('year >= 1950 AND year <= 2150', name=op.f('ck_demand_values_year_plausible')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_demand_values_project_id_projects')),
    sa.ForeignKeyConstraint(['series_id'], ['demand_series.id'], name=op.f('fk_demand_values_series_id_demand_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_values')),
    sa.UniqueConstraint('series_id', 'year', name='uq_demand_values_series_year')
    )
    with op.batch_alter_table('demand_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_values_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_values_series_id'), ['series_id'], unique=False)

    op.create_table('kpi_observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value', pptracker.database.ExactDecimal(precision=18, scale=4), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('operator', 'independentEngineer', 'publicAuthority', 'userSurvey', name='kpisource', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('events >= 0', name=op.f('ck_kpi_observations_events_nonnegative')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_kpi_observations_period_end_after_start')),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_kpi_observations_kpi_id_kpis')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_kpi_observations_project_id_projects')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_kpi_observations_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_observations')),
    sa.UniqueConstraint('kpi_id', 'period_start', name='uq_kpi_observations_kpi_period')
    )
    with op.batch_alter_table('kpi_observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_observations_kpi_id'), ['kpi_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_observations_project_id'), ['project_id'], unique=False)

    op.create_table('scheduled_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('fiscal_commitment_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.Enum('availabilityPayment', 'servicePayment', 'capitalSubsidy', 'operatingSubsidy', 'other', name='paymenttype', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('gross_amount', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('gross_amount >= 0', name=op.f('ck_scheduled_payments_gross_nonnegative')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_scheduled_payments_period_end_after_start')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_scheduled_payments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['fiscal_commitment_id'], ['fiscal_commitments.id'], name=op.f('fk_scheduled_payments_fiscal_commitment_id_fiscal_commitments')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_scheduled_payments_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_payments'))
    )
    with op.batch_alter_table('scheduled_payments', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_payments_contract_period', ['contract_id', 'period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_payments_fiscal_commitment_id'), ['fiscal_commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_payments_project_id'), ['project_id'], unique=False)

    op.create_table('tariff_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tariff_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('value', pptracker.database.ExactDecimal(precision=18, scale=4), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_tariff_rates_reason_required')),
    sa.CheckConstraint('CAST(value AS NUMERIC) >= 0', name=op.f('ck_tariff_rates_value_nonnegative')),
    sa.ForeignKeyConstraint(['amendment_id'], ['amendments.id'], name=op.f('fk_tariff_rates_amendment_id_amendments')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tariff_rates_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_tariff_rates_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['tariff_id'], ['tariffs.id'], name=op.f('fk_tariff_rates_tariff_id_tariffs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff_rates')),
    sa.UniqueConstraint('tariff_id', 'effective_from', name='uq_tariff_rates_tariff_from')
    )
    with op.batch_alter_table('tariff_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariff_rates_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tariff_rates_tariff_id'), ['tariff_id'], unique=False)

    op.create_table('performance_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=True),
    sa.Column('observation_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('availability', 'serviceQuality', 'safety', 'environmental', 'maintenance', 'reporting', 'other', name='failurecategory', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('penalty_contracted', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('penalty_imposed', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('penalty_paid', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('events >= 0', name=op.f('ck_performance_failures_events_nonnegative')),
    sa.CheckConstraint('penalty_contracted >= 0', name=op.f('ck_performance_failures_contracted_nonnegative')),
    sa.CheckConstraint('penalty_imposed >= 0', name=op.f('ck_performance_failures_imposed_nonnegative')),
    sa.CheckConstraint('penalty_paid >= 0', name=op.f('ck_performance_failures_paid_nonnegative')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_performance_failures_period_end_after_start')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_performance_failures_contract_id_contracts')),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_performance_failures_kpi_id_kpis')),
    sa.ForeignKeyConstraint(['observation_id'], ['kpi_observations.id'], name=op.f('fk_performance_failures_observation_id_kpi_observations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_performance_failures_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_failures')),
    sa.UniqueConstraint('observation_id', name='uq_performance_failures_observation_id')
    )
    with op.batch_alter_table('performance_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_failures_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_failures_kpi_id'), ['kpi_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_failures_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi_observation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_kpi_observation_id'), ['kpi_observation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_documents_kpi_observation_id_kpi_observations'), 'kpi_observations', ['kpi_observation_id'], ['id'])

    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheduled_payment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_transactions_scheduled_payment_id'), ['scheduled_payment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_transactions_scheduled_payment_id_scheduled_payments'), 'scheduled_payments', ['scheduled_payment_id'], ['id'])

    for statement in TARIFF_RATE_DDL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_DDL[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_transactions_scheduled_payment_id_scheduled_payments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transactions_scheduled_payment_id'))
        batch_op.drop_column('scheduled_payment_id')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_documents_kpi_observation_id_kpi_observations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_documents_kpi_observation_id'))
        batch_op.drop_column('kpi_observation_id')

    with op.batch_alter_table('performance_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_failures_project_id'))
        batch_op.drop_index(batch_op.f('ix_performance_failures_kpi_id'))
        batch_op.drop_index(batch_op.f('ix_performance_failures_contract_id'))

    op.drop_table('performance_failures')
    with op.batch_alter_table('tariff_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariff_rates_tariff_id'))
        batch_op.drop_index(batch_op.f('ix_tariff_rates_project_id'))

    op.drop_table('tariff_rates')
    with op.batch_alter_table('scheduled_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_payments_project_id'))
        batch_op.drop_index(batch_op.f('ix_scheduled_payments_fiscal_commitment_id'))
        batch_op.drop_index('ix_scheduled_payments_contract_period')

    op.drop_table('scheduled_payments')
    with op.batch_alter_table('kpi_observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_observations_project_id'))
        batch_op.drop_index(batch_op.f('ix_kpi_observations_kpi_id'))

    op.drop_table('kpi_observations')
    with op.batch_alter_table('demand_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_values_series_id'))
        batch_op.drop_index(batch_op.f('ix_demand_values_project_id'))

    op.drop_table('demand_values')
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariffs_project_id'))
        batch_op.drop_index(batch_op.f('ix_tariffs_contract_id'))

    op.drop_table('tariffs')
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpis_project_id'))
        batch_op.drop_index(batch_op.f('ix_kpis_contract_id'))

    op.drop_table('kpis')
    with op.batch_alter_table('demand_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_series_project_id'))
        batch_op.drop_index(batch_op.f('ix_demand_series_contract_id'))

    op.drop_table('demand_series')
