//! The `rmesos` Python module (PyO3). Placeholder until the Python front end lands.
