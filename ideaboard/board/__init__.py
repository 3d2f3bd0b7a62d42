"""The board's rules as plain functions over the models: no Flask, no forms, no pages.

Pages (ideaboard/web/), commands (ideaboard/cli.py) and workers call these, so each rule is
written once. All SQL text of the application lives here and in the data layer below.
"""
