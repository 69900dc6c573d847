"""add contracts, amendments, risks, fiscal commitments and documents

Revision ID: 55509eed24da
Revises: 4ed6e6369692
Create Date: 2026-11-28 11:55:41.186575

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# Initial contract terms are frozen once signed; amendments are append-only.
# A copy of pptracker.contracts.models.FROZEN_DDL as it stood for this revision.
CONTRACT_MESSAGE = "the initial value and period of a contract are never overwritten"
AMENDMENT_MESSAGE = "amendments are append-only"
INITIAL = ("initial_value", "currency", "initial_start", "initial_end", "signature_date")
AMENDMENT_FACTS = ("contract_id", "number", "amended_on", "type", "rationale", "description",
                   "approved_by", "approved_on", "old_value", "new_value", "old_start",
                   "new_start", "old_end", "new_end")


def _changed(columns, op):
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


FROZEN_DDL = {
    "sqlite": [
        "CREATE TRIGGER contracts_initial_frozen BEFORE UPDATE ON contracts "
        f"WHEN OLD.signature_date IS NOT NULL AND ({_changed(INITIAL, 'IS NOT')}) "
        f"BEGIN SELECT RAISE(ABORT, '{CONTRACT_MESSAGE}'); END",
        "CREATE TRIGGER amendments_frozen BEFORE UPDATE ON amendments "
        f"WHEN {_changed(AMENDMENT_FACTS, 'IS NOT')} "
        f"BEGIN SELECT RAISE(ABORT, '{AMENDMENT_MESSAGE}'); END",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments "
        f"BEGIN SELECT RAISE(ABORT, '{AMENDMENT_MESSAGE}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END $$",
        "CREATE TRIGGER contracts_initial_frozen BEFORE UPDATE ON contracts FOR EACH ROW "
        f"WHEN (OLD.signature_date IS NOT NULL AND ({_changed(INITIAL, 'IS DISTINCT FROM')})) "
        f"EXECUTE FUNCTION refuse_change('{CONTRACT_MESSAGE}')",
        "CREATE TRIGGER amendments_frozen BEFORE UPDATE ON amendments FOR EACH ROW "
        f"WHEN ({_changed(AMENDMENT_FACTS, 'IS DISTINCT FROM')}) "
        f"EXECUTE FUNCTION refuse_change('{AMENDMENT_MESSAGE}')",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments FOR EACH ROW "
        f"EXECUTE FUNCTION refuse_change('{AMENDMENT_MESSAGE}')",
    ],
}
DROP_DDL = {
    "sqlite": ["DROP TRIGGER contracts_initial_frozen", "DROP TRIGGER amendments_frozen",
               "DROP TRIGGER amendments_no_delete"],
    "postgresql": ["DROP TRIGGER contracts_initial_frozen ON contracts",
                   "DROP TRIGGER amendments_frozen ON amendments",
                   "DROP TRIGGER amendments_no_delete ON amendments",
                   "DROP FUNCTION refuse_change()"],
}

# revision identifiers, used by Alembic.
revision = '55509eed24da'
down_revision = '4ed6e6369692'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('nature', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pre-award', 'active', 'closed', name='contractstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('procurement_method', sa.String(length=20), nullable=True),
    sa.Column('procurement_method_details', sa.String(length=500), nullable=True),
    sa.Column('number_of_tenderers', sa.Integer(), nullable=True),
    sa.Column('payment_mechanism', sa.Enum('userPays', 'governmentPays', 'hybrid', name='paymentmechanism', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('signature_date', sa.Date(), nullable=True),
    sa.Column('financial_close_date', sa.Date(), nullable=True),
    sa.Column('initial_value', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('initial_start', sa.Date(), nullable=True),
    sa.Column('initial_end', sa.Date(), nullable=True),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('initial_end IS NULL OR initial_start IS NULL OR initial_end >= initial_start', name=op.f('ck_contracts_initial_end_after_start')),
    sa.CheckConstraint('initial_value >= 0', name=op.f('ck_contracts_initial_value_nonnegative')),
    sa.CheckConstraint('number_of_tenderers IS NULL OR number_of_tenderers >= 0', name=op.f('ck_contracts_tenderers_nonnegative')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_contracts_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('project_id', 'reference', name='uq_contracts_project_reference')
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_project_id'), ['project_id'], unique=False)

    op.create_table('amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('amended_on', sa.Date(), nullable=False),
    sa.Column('type', sa.Enum('duration', 'value', 'scope', name='amendmenttype', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('old_value', pptracker.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('new_value', pptracker.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('old_start', sa.Date(), nullable=True),
    sa.Column('new_start', sa.Date(), nullable=True),
    sa.Column('old_end', sa.Date(), nullable=True),
    sa.Column('new_end', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(rationale) > 0', name=op.f('ck_amendments_rationale_required')),
    sa.CheckConstraint('new_end IS NULL OR new_start IS NULL OR new_end >= new_start', name=op.f('ck_amendments_new_end_after_start')),
    sa.CheckConstraint('new_value IS NULL OR new_value >= 0', name=op.f('ck_amendments_new_value_nonnegative')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_amendments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_amendments_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_amendments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendments')),
    sa.UniqueConstraint('contract_id', 'number', name='uq_amendments_contract_number')
    )
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendments_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_amendments_project_id'), ['project_id'], unique=False)

    op.create_table('contract_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_parties_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_contract_parties_party_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_parties')),
    sa.UniqueConstraint('contract_id', 'party_id', 'role', name='uq_contract_parties_contract_party_role')
    )
    with op.batch_alter_table('contract_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_parties_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_parties_party_id'), ['party_id'], unique=False)

    op.create_table('fiscal_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.Enum('guarantee', 'subsidy', 'availabilityPayment', 'servicePayment', 'landOrAssetTransfer', 'other', name='commitmenttype', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('nature', sa.Enum('direct', 'contingent', name='commitmentnature', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('max_exposure', pptracker.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('end_date IS NULL OR start_date IS NULL OR end_date >= start_date', name=op.f('ck_fiscal_commitments_end_after_start')),
    sa.CheckConstraint('max_exposure >= 0', name=op.f('ck_fiscal_commitments_max_exposure_nonnegative')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_fiscal_commitments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_fiscal_commitments_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_commitments'))
    )
    with op.batch_alter_table('fiscal_commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_commitments_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fiscal_commitments_project_id'), ['project_id'], unique=False)

    op.create_table('risk_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('allocation', sa.Enum('public', 'private', 'shared', name='allocation', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('mitigation', sa.Text(), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_risk_allocations_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_risk_allocations_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_allocations'))
    )
    with op.batch_alter_table('risk_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_allocations_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_allocations_project_id'), ['project_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document_type', sa.String(length=60), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('confidential_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('size >= 0', name=op.f('ck_documents_size_nonnegative')),
    sa.ForeignKeyConstraint(['amendment_id'], ['amendments.id'], name=op.f('fk_documents_amendment_id_amendments')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_documents_contract_id_contracts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_documents_project_id_projects')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_amendment_id'), ['amendment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)

    for statement in FROZEN_DDL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_DDL[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_project_id'))
        batch_op.drop_index(batch_op.f('ix_documents_contract_id'))
        batch_op.drop_index(batch_op.f('ix_documents_amendment_id'))

    op.drop_table('documents')
    with op.batch_alter_table('risk_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_allocations_project_id'))
        batch_op.drop_index(batch_op.f('ix_risk_allocations_contract_id'))

    op.drop_table('risk_allocations')
    with op.batch_alter_table('fiscal_commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fiscal_commitments_project_id'))
        batch_op.drop_index(batch_op.f('ix_fiscal_commitments_contract_id'))

    op.drop_table('fiscal_commitments')
    with op.batch_alter_table('contract_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_parties_party_id'))
        batch_op.drop_index(batch_op.f('ix_contract_parties_contract_id'))

    op.drop_table('contract_parties')
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendments_project_id'))
        batch_op.drop_index(batch_op.f('ix_amendments_contract_id'))

    op.drop_table('amendments')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_project_id'))

    op.drop_table('contracts')
