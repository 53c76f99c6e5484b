//! This package only holds tests: see `tests/`.
