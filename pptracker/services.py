"""Rules shared by every area's services."""

from pptracker.errors import ConflictError


def check_version(record, submitted: str | int | None) -> None:
    """Refuse to save over a record changed since the form was opened.

    :param record: a model with a ``version`` column.
    :param submitted: the version the user's form was opened at.
    :raises ConflictError: when someone else saved in between.
    """
    if str(submitted) != str(record.version):
        raise ConflictError(
            "Someone else changed this record after you opened it, so nothing was saved. "
            "Your edits are still in the form; fields saved differently meanwhile are marked. "
            "Check them and save again to keep your version."
        )
