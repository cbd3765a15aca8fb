# The suite's only glue: the plugin holds the options, fixtures and reports; pytest-html (with
# pytest-metadata, which it reads) and our page for it give `--html=PATH`. Named here because
# plugin auto-loading is off (pyproject.toml's addopts).
pytest_plugins = ["icepack_verify.plugin", "pytest_metadata.plugin", "pytest_html.plugin", "icepack_verify.html_report"]
