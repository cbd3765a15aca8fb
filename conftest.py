# The suite's only glue: the plugin holds the options, fixtures and reports.
pytest_plugins = ["icepack_verify.plugin"]
