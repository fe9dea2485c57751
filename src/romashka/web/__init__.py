"""Pages: the layout, navigation, dashboard, lists and the vendored front-end files."""
