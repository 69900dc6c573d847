"""Demand and revenue forms: a series' details, and the grid of its years."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from pptracker import codelists
from pptracker.formatting import plain_number
from pptracker.forms import VersionField, contract_choices, optional_int
from pptracker.operations.demand_services import SeriesData, YearData
from pptracker.operations.models import Metric

METRICS = {Metric.DEMAND.value: "Demand (use)", Metric.REVENUE.value: "Revenue (money)"}
#: Blank rows offered below the recorded years, for new years.
BLANK_ROWS = 5


def shown(value: Decimal | None, metric: Metric) -> str:
    """Return a figure as typed in a form: money with cents, counts without trailing zeros."""
    if value is None:
        return ""
    if metric == Metric.REVENUE:
        return f"{value.quantize(Decimal('0.01')):f}"
    return plain_number(value)


class SeriesForm(FlaskForm):
    """Add or edit a demand or revenue series."""

    contract_id = SelectField("Contract", coerce=optional_int, validators=[DataRequired()])
    metric = SelectField("Measures", choices=METRICS, validators=[DataRequired()])
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=200)],
        description="Unique within the contract, e.g. Traffic, or Toll revenue.",
    )
    unit = StringField(
        "Unit",
        validators=[Optional(), Length(max=60)],
        description="What is counted, e.g. vehicle-trips, patients, m³, MWh. "
        "For revenue leave it empty: the currency is the unit.",
    )
    currency = SelectField("Currency", validators=[Optional()], description="For revenue only.")
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    confidential = BooleanField("Confidential (withheld from the public)")
    confidential_reason = StringField(
        "Reason it is confidential",
        validators=[Optional(), Length(max=500)],
        description="The public sees this reason in its place.",
    )
    version = VersionField()

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract_id.choices = contract_choices(contracts)
        self.currency.choices = {"": "None (a demand series)"} | {
            code: f"{code} – {name}" for code, name in codelists.codelist("currency").items()
        }

    def to_data(self) -> SeriesData:
        """Return the submitted values for the service."""
        return SeriesData(
            contract_id=self.contract_id.data,
            metric=Metric(self.metric.data),
            name=self.name.data,
            unit=self.unit.data or "",
            currency=self.currency.data or None,
            description=self.description.data or "",
            confidential=bool(self.confidential.data),
            confidential_reason=self.confidential_reason.data,
        )


class YearRowForm(Form):
    """One row of the grid: a year, its forecast, actual and note."""

    year = StringField("Year", validators=[Optional(), Length(max=10)])
    forecast = StringField("Forecast", validators=[Optional(), Length(max=40)])
    actual = StringField("Actual", validators=[Optional(), Length(max=40)])
    note = StringField("Note", validators=[Optional(), Length(max=2000)])

    def is_blank(self) -> bool:
        """Tell whether nothing was typed in the row (it is skipped)."""
        return not any(
            (f.data or "").strip() for f in (self.year, self.forecast, self.actual, self.note)
        )

    def to_year(self) -> YearData:
        """Return the row for the service."""
        return YearData(
            year=(self.year.data or "").strip(),
            forecast=(self.forecast.data or "").strip() or None,
            actual=(self.actual.data or "").strip() or None,
            note=self.note.data or "",
        )


class YearsForm(FlaskForm):
    """Edit the forecast and actual of a series' years, several at once."""

    rows = FieldList(FormField(YearRowForm), min_entries=0, max_entries=300)
    version = VersionField()

    def validate_version(self, field) -> None:
        """Refuse a grid posted without the version it was opened at (not from this page)."""
        if not (field.data or "").strip():
            raise ValidationError(
                "The form is incomplete: reload the page and enter the years again."
            )

    def filled(self) -> list[tuple[int, YearRowForm]]:
        """Return the rows with something typed in, with their position in the grid."""
        return [(i, entry.form) for i, entry in enumerate(self.rows) if not entry.form.is_blank()]

    def prefill(self, rows, *, metric: Metric, blank: int = BLANK_ROWS) -> None:
        """Fill the grid with the recorded years and ``blank`` empty rows."""
        while len(self.rows):
            self.rows.pop_entry()
        for row in rows:
            self.rows.append_entry(
                {
                    "year": str(row.year),
                    "forecast": shown(row.forecast, metric),
                    "actual": shown(row.actual, metric),
                    "note": row.note,
                }
            )
        for _ in range(blank):
            self.rows.append_entry()
