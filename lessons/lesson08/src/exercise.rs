//! Scaffolding for lesson08's exercises: each exercise file changes one thing and calls in here.
