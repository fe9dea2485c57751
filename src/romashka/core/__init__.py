"""Organisation, locations, departments, people of every petal, roles and scoping."""
