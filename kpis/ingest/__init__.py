"""The daily-facts import: read, check, stage, merge, publish (the stages are
listed in kpis.ingest.pipeline), import runs, undo, the import pages, the API's
fact push and the import history.
"""
