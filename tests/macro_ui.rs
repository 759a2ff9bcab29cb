//! The compile-time errors of docs/reference.md, *Compile-time errors*: each
//! case under `tests/ui/` must fail to compile with exactly the error in its
//! `.stderr` file.
//! Regenerate those with `TRYBUILD=overwrite cargo test --test macro_ui`,
//! then read each one.

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
