"""The docs build: what `make bundle` adds to the Redocly bundle, and the translations.

- `samples`: `x-codeSamples` (curl, Python, JavaScript) for every operation, from its examples.
- `render`: the getting-started guide (`openapi/docs/guide.yaml`) and the error catalogue
  (`openapi/docs/errors.yaml`) as Redoc sections; the published documents.
- `i18n`: translations as OpenAPI Overlay documents (`openapi/i18n/<lang>.overlay.yaml`),
  their staleness check and coverage.

`python -m threada.docsbuild --help` lists the commands the Makefile runs.
"""
