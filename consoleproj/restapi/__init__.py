"""The REST API's shared plumbing (errors, permissions, fields): below every app, imported by each."""
