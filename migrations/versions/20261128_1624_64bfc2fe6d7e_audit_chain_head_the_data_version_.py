"""audit chain head: the data version reports are built from

Revision ID: 64bfc2fe6d7e
Revises: 96becace5c07
Create Date: 2026-11-28 16:24:51.670450

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# revision identifiers, used by Alembic.
revision = '64bfc2fe6d7e'
down_revision = '96becace5c07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_seq', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('data_hash', sa.String(length=64), server_default='0000000000000000000000000000000000000000000000000000000000000000', nullable=False))
        batch_op.add_column(sa.Column('data_at', pptracker.database.UTCDateTime(timezone=True), nullable=True))

    # The data version of the history written so far: its last create,
    # update or delete.
    op.execute(
        "UPDATE audit_chain_head SET data_seq = COALESCE((SELECT MAX(seq) FROM audit_events "
        "WHERE action IN ('create', 'update', 'delete')), 0)"
    )
    op.execute(
        "UPDATE audit_chain_head SET "
        "data_hash = COALESCE((SELECT hash FROM audit_events e "
        "WHERE e.seq = audit_chain_head.data_seq), data_hash), "
        "data_at = (SELECT occurred_at FROM audit_events e WHERE e.seq = audit_chain_head.data_seq)"
    )


def downgrade():
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('data_at')
        batch_op.drop_column('data_hash')
        batch_op.drop_column('data_seq')
