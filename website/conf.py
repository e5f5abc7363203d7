"""Sphinx's settings for the course's website: ``python -m chapters.tools.site build``."""

project = "Keras 3 chapters"
copyright = "the Keras 3 chapters authors; the notebooks' prose and code are our own"
extensions = ["myst_nb"]
# The runner executed every page's notebook (chapters/tools/site.py): the site shows those outputs
# and runs nothing.
nb_execution_mode = "off"
nb_output_stderr = "show"
myst_enable_extensions = ["colon_fence", "dollarmath"]
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = project
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["site.css"]
