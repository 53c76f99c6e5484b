//! The `main` of every browser test file: runs its scenarios in one Chromium and prints the
//! results in cargo's own shape (`test x ... ok`, `test result: ...`).
//!
//! Without Chromium it prints `SKIPPED` and why, and succeeds: `cargo test` on a machine with no
//! browser still passes, visibly. With `CI=true` a missing Chromium is a failure instead, so CI
//! can never pass without running the browser tests.

use std::process::ExitCode;

use futures::future::LocalBoxFuture;

use crate::{find_chromium, Browser};

/// One scenario: it gets the shared browser and says what went wrong, if anything.
pub type Scenario = for<'a> fn(&'a Browser) -> LocalBoxFuture<'a, Result<(), String>>;

/// Runs `scenarios` (name, function) one after the other; `what` names them in the output.
pub fn run_scenarios(what: &str, scenarios: &[(&str, Scenario)]) -> ExitCode {
    run_scenarios_with(what, &[], scenarios)
}

/// [`run_scenarios`] in a Chromium started with `extra_args` (see [`Browser::launch_with`]).
pub fn run_scenarios_with(
    what: &str,
    extra_args: &[&str],
    scenarios: &[(&str, Scenario)],
) -> ExitCode {
    let count = scenarios.len();
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    println!("\nrunning {count} browser tests ({what} in headless Chromium)");
    if let Err(why) = find_chromium() {
        if in_ci {
            println!("error: CI=true and the browser tests cannot run: {why}");
            println!("test result: FAILED. 0 passed; {count} failed; 0 ignored; 0 measured; 0 filtered out\n");
            return ExitCode::FAILURE;
        }
        println!("SKIPPED: the {count} browser tests did not run: {why}");
        println!(
            "test result: ok. 0 passed; 0 failed; {count} ignored; 0 measured; 0 filtered out\n"
        );
        return ExitCode::SUCCESS;
    }

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            println!("error: could not start a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let passed = runtime.block_on(async {
        let browser = match Browser::launch_with(extra_args).await {
            Ok(browser) => browser,
            Err(why) => {
                println!("error: {why}");
                return 0;
            }
        };
        let mut passed = 0;
        for (name, scenario) in scenarios {
            match scenario(&browser).await {
                Ok(()) => {
                    println!("test {name} ... ok");
                    passed += 1;
                }
                Err(why) => println!("test {name} ... FAILED\n    {why}"),
            }
        }
        passed
    });
    let failed = count - passed;
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!("test result: {verdict}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out\n");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
