//! lesson03's page in a real headless Chromium: the server is stopped and started again on the
//! same port, and the page reconnects by itself, because its `onerror` only shows the state and
//! does not call `eventSource.close()` (the notes' GPT example does, which ends reconnection
//! for good).
//!
//! Without Chromium this prints that it skipped and why; with `CI=true` a missing Chromium is a
//! failure instead, so CI can never pass without running it.

use std::process::ExitCode;

use browser::{run_scenarios, Browser, DEADLINE};
use harness::Lesson;

/// Fast ticks, so that a new one shows up soon after the reconnection.
const TICK_MS: &str = "100";
const STATE: &str = "document.getElementById('state').textContent";
const MESSAGES: &str = "document.querySelectorAll('#messages p')";

async fn the_page_reconnects_by_itself_after_a_server_restart(
    browser: &Browser,
) -> Result<(), String> {
    let lesson = Lesson::start_with("lesson03", &[("TICK_MS", TICK_MS)]).await;
    let port = lesson.addr().port().to_string();
    let page = browser.open(&format!("http://{}/", lesson.addr())).await?;
    page.wait_for(&format!("{STATE} === 'open'"), DEADLINE)
        .await?;
    page.wait_for(&format!("{MESSAGES}.length >= 2"), DEADLINE)
        .await?;

    // Stop the server (Ctrl-C). onerror fires, and the browser is reconnecting, not closed.
    let status = lesson.interrupt().await;
    if !status.success() {
        return Err(format!("lesson03 did not stop cleanly: {status}"));
    }
    page.wait_for(&format!("{STATE}.startsWith('reconnecting…')"), DEADLINE)
        .await?;
    let ready_state = page.eval("eventSource.readyState").await?;
    if ready_state != 0 {
        return Err(format!(
            "while the server is down readyState should be CONNECTING (0), got {ready_state}"
        ));
    }
    let before = page.eval(&format!("{MESSAGES}.length")).await?;
    let before = before.as_u64().ok_or(format!("not a count: {before}"))?;

    // Start it again on the same port: without any help from the page's code, the browser
    // reconnects and the new server's timer starts from tick 1.
    let _lesson = Lesson::start_with("lesson03", &[("TICK_MS", TICK_MS), ("PORT", &port)]).await;
    let took = page
        .wait_for(&format!("{STATE} === 'open'"), DEADLINE)
        .await?;
    println!("    (reconnected {took:?} after the restart)");
    page.wait_for(
        &format!("{MESSAGES}.length > {before} && {MESSAGES}[{before}].textContent === 'tick 1'"),
        DEADLINE,
    )
    .await?;
    Ok(())
}

/// The page's own "eventSource.close()" button: after it, the browser never reconnects.
async fn close_ends_the_stream_for_good(browser: &Browser) -> Result<(), String> {
    let lesson = Lesson::start_with("lesson03", &[("TICK_MS", TICK_MS)]).await;
    let page = browser.open(&format!("http://{}/", lesson.addr())).await?;
    page.wait_for(&format!("{MESSAGES}.length >= 1"), DEADLINE)
        .await?;
    page.eval("document.getElementById('close').click()")
        .await?;
    let ready_state = page.eval("eventSource.readyState").await?;
    if ready_state != 2 {
        return Err(format!(
            "after close() readyState should be CLOSED (2), got {ready_state}"
        ));
    }
    // The server sees the stream go away and drops its timer.
    lesson
        .wait_for_json("/stats", "open_streams == 0", |s| s["open_streams"] == 0)
        .await;
    Ok(())
}

fn main() -> ExitCode {
    run_scenarios(
        "lesson03 page",
        &[
            (
                "the_page_reconnects_by_itself_after_a_server_restart",
                |browser| {
                    Box::pin(the_page_reconnects_by_itself_after_a_server_restart(
                        browser,
                    ))
                },
            ),
            ("close_ends_the_stream_for_good", |browser| {
                Box::pin(close_ends_the_stream_for_good(browser))
            }),
        ],
    )
}
