"""Public accountability PDFs and the auditors' spending report, built with reportlab.

Each report is assembled in two steps: ``*_data.py`` reads the database into
plain dataclasses (with the public's redactions already applied), and
``*_report.py`` turns that data into PDF bytes without touching the
database. A report is therefore a pure function of its data, which is what
lets ``services`` cache it by data version and serve it with an ETag.
"""
