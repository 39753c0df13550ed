"""tests/defects runs alone or after tests/evaluation (Molecule `default`)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "destructive: breaks and repairs the stack")
