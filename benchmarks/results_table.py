"""The aligned table of results the single-purpose benchmark scripts print."""


class Table:
    """Rows of (label, value, unit, note), printed as they come and aligned at the end.

    :param decimals: decimals of a float of 10 or more (smaller ones get three).
    """

    def __init__(self, decimals: int = 1) -> None:
        self.decimals = decimals
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, label: str, value, unit: str = "", note: str = "") -> None:
        if isinstance(value, float):
            value = f"{value:,.3f}" if value < 10 else f"{value:,.{self.decimals}f}"
        elif isinstance(value, int):
            value = f"{value:,}"
        self.rows.append((label, str(value), unit, note))
        print(f"  {label}: {value} {unit} {note}".rstrip(), flush=True)

    def print(self, title: str) -> None:
        widths = [max(len(r[i]) for r in self.rows) for i in range(3)]
        print(f"\n{title}\n" + "-" * len(title))
        for label, value, unit, note in self.rows:
            print(
                f"{label:<{widths[0]}}  {value:>{widths[1]}}  {unit:<{widths[2]}}  {note}".rstrip()
            )
