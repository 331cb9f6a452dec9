//! The status page (`GET /`): one server-rendered HTML document, no
//! script, that reloads itself every 2 seconds. Sections: the framework
//! (and its subscription history), the jobs, the partition attempts of
//! the latest job, the leases and the agents in use. Every string from
//! the board is escaped.

use std::fmt::Write;

use super::html::{bytes, duration, escape, of_total, path_segment, utc_time};
use crate::cluster::{ClusterStatus, FrameworkStatus, JobStatus};
use crate::driver::is_terminal;
use rmesos_common::wire::v1::TaskState;

/// Seconds between reloads.
pub const REFRESH_SECS: u32 = 2;
/// Task rows shown for the latest job (all of them are in its JSON).
const TASKS_SHOWN: usize = 500;
/// History entries shown (newest first).
const HISTORY_SHOWN: usize = 20;

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}h3{font-size:1em}\
table{border-collapse:collapse;margin:.4em 0}\
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.num{text-align:right}\
.running,.subscribed{color:#06c}.finished{color:#080}.failed,.disconnected{color:#c00}\
footer{margin-top:2em;color:#666;font-size:.9em}";

/// The whole page for `status` as it was at `now_ms`.
pub fn render(status: &ClusterStatus, now_ms: u64) -> String {
    let name = escape(&status.framework.name);
    let mut page = String::with_capacity(8 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">\
         <title>rmesos: {name}</title><style>{STYLE}</style></head>\n<body>\
         <h1>rmesos: {name}</h1>\n"
    );
    framework_section(&mut page, &status.framework);
    jobs_section(&mut page, status);
    if let Some(latest) = status.jobs.back() {
        tasks_section(&mut page, latest, now_ms);
    }
    leases_section(&mut page, status);
    agents_section(&mut page, status);
    let _ = write!(
        page,
        "<footer>Updated {} UTC; reloads every {REFRESH_SECS} s. \
         JSON: <a href=\"/api/status\">/api/status</a>, <a href=\"/api/framework\">/api/framework</a>, \
         <a href=\"/api/jobs\">/api/jobs</a>, <a href=\"/api/leases\">/api/leases</a>, \
         <a href=\"/api/agents\">/api/agents</a>.</footer>\n\
         </body></html>\n",
        utc_time(now_ms)
    );
    page
}

/// The CSS class for a state word (`running`, `disconnected: ...`).
fn state_class(state: &str) -> &'static str {
    match state.split(':').next().unwrap_or_default() {
        "running" => "running",
        "finished" => "finished",
        "failed" => "failed",
        "subscribed" => "subscribed",
        "disconnected" => "disconnected",
        _ => "",
    }
}

fn framework_section(page: &mut String, framework: &FrameworkStatus) {
    let none = || "(none)".to_owned();
    let rows = [
        (
            "Id",
            "framework-id",
            framework.id.as_deref().map_or_else(none, escape),
        ),
        ("Name", "framework-name", escape(&framework.name)),
        ("Master", "framework-master", escape(&framework.master)),
        (
            "Leading master",
            "framework-leader",
            framework.leader.as_deref().map_or_else(none, escape),
        ),
        (
            "Subscription",
            "framework-subscription",
            format!(
                "<span class=\"{}\">{}</span>",
                state_class(&framework.subscription),
                escape(&framework.subscription)
            ),
        ),
        (
            "Subscriptions",
            "framework-subscriptions",
            framework.subscriptions.to_string(),
        ),
    ];
    page.push_str("<section id=\"framework\"><h2>Framework</h2><table>\n");
    for (label, id, value) in rows {
        let _ = writeln!(
            page,
            "<tr><th>{label}</th><td id=\"{id}\">{value}</td></tr>"
        );
    }
    page.push_str("</table>\n<h3>Leader changes and disconnections</h3>\n");
    if framework.history.is_empty() {
        page.push_str("<p>None yet.</p>\n");
    } else {
        page.push_str("<table id=\"history\"><tr><th>Time (UTC)</th><th>What</th></tr>\n");
        for entry in framework.history.iter().rev().take(HISTORY_SHOWN) {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td></tr>",
                utc_time(entry.at_ms),
                escape(&entry.what)
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("</section>\n");
}

fn jobs_section(page: &mut String, status: &ClusterStatus) {
    page.push_str("<section id=\"jobs\"><h2>Jobs</h2>\n");
    if status.jobs.is_empty() {
        page.push_str("<p>No job yet.</p></section>\n");
        return;
    }
    page.push_str(
        "<table><tr><th>Job</th><th>State</th><th>Partitions done</th><th>Attempts</th>\
         <th>Started (UTC)</th><th>Duration</th><th>Rows</th><th>Bytes read</th></tr>\n",
    );
    for job in status.jobs.iter().rev() {
        job_row(page, job);
    }
    page.push_str("</table></section>\n");
}

fn job_row(page: &mut String, job: &JobStatus) {
    let attempts = if job.attempts_failed > 0 {
        format!("{} ({} failed)", job.attempts_started, job.attempts_failed)
    } else {
        job.attempts_started.to_string()
    };
    let state = match &job.error {
        Some(error) => format!("{}: {}", escape(&job.state), escape(error)),
        None => escape(&job.state),
    };
    let rows = of_total(
        job.rows_done.to_string(),
        job.rows_total.map(|t| t.to_string()),
    );
    // In-memory rows have no byte count: show none rather than "0 B".
    let read = match (job.bytes_done, job.bytes_total) {
        (0, None) => "&mdash;".to_owned(),
        (done, total) => of_total(bytes(done), total.map(bytes)),
    };
    let _ = writeln!(
        page,
        "<tr class=\"job\"><td class=\"job-id\"><a href=\"/api/jobs/{}\">{}</a></td>\
         <td class=\"job-state {}\">{state}</td><td class=\"partitions num\">{} / {}</td>\
         <td class=\"attempts num\">{attempts}</td><td>{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{rows}</td><td class=\"num\">{read}</td></tr>",
        path_segment(&job.id),
        escape(&job.id),
        state_class(&job.state),
        job.partitions_done,
        job.partitions_total,
        utc_time(job.started_ms),
        duration(job.duration_ms),
    );
}

fn tasks_section(page: &mut String, job: &JobStatus, now_ms: u64) {
    let _ = writeln!(
        page,
        "<section id=\"tasks\"><h2>Partition attempts of job {}</h2>",
        escape(&job.id)
    );
    if job.tasks.is_empty() {
        page.push_str("<p>No partition handed out yet.</p></section>\n");
        return;
    }
    let mut tasks: Vec<_> = job.tasks.iter().collect();
    tasks.sort_by_key(|(_, t)| (t.partition, t.attempt));
    page.push_str(
        "<table><tr><th>Partition</th><th>Attempt</th><th>Id</th><th>Agent</th><th>State</th>\
         <th>Started (UTC)</th><th>Time</th></tr>\n",
    );
    for (task_id, task) in tasks.iter().take(TASKS_SHOWN) {
        let ended = TaskState::from_str_name(&task.state).is_some_and(is_terminal);
        let until = if ended { task.updated_ms } else { now_ms };
        let _ = writeln!(
            page,
            "<tr class=\"task\"><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"agent\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            task.partition,
            task.attempt,
            escape(task_id),
            escape(&task.agent),
            escape(&task.state),
            utc_time(task.launched_ms),
            duration(until.saturating_sub(task.launched_ms)),
        );
    }
    page.push_str("</table>\n");
    if tasks.len() > TASKS_SHOWN {
        let _ = writeln!(
            page,
            "<p>{} more attempts: see <a href=\"/api/jobs/{}\">the job's JSON</a>.</p>",
            tasks.len() - TASKS_SHOWN,
            path_segment(&job.id)
        );
    }
    page.push_str("</section>\n");
}

fn leases_section(page: &mut String, status: &ClusterStatus) {
    page.push_str(
        "<section id=\"leases\"><h2>Leases</h2>\n<p>Long-running Mesos tasks through which \
         each agent's executor holds cpus for this session's partitions.</p>\n",
    );
    if status.leases.is_empty() {
        page.push_str("<p>None held.</p></section>\n");
        return;
    }
    page.push_str(
        "<table><tr><th>Lease</th><th>Agent</th><th>Executor</th><th>Cpus</th><th>Slots</th>\
         <th>State</th><th>Partitions run</th><th>Launched (UTC)</th></tr>\n",
    );
    for (task_id, lease) in &status.leases {
        let _ = writeln!(
            page,
            "<tr class=\"lease\"><td>{}</td><td class=\"agent\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            escape(task_id),
            escape(&lease.agent),
            escape(&lease.executor),
            lease.cpus,
            lease.slots,
            escape(&lease.state),
            lease.partitions_run,
            utc_time(lease.launched_ms),
        );
    }
    page.push_str("</table></section>\n");
}

fn agents_section(page: &mut String, status: &ClusterStatus) {
    page.push_str("<section id=\"agents\"><h2>Agents in use</h2>\n");
    if status.agents.is_empty() {
        page.push_str("<p>None yet.</p></section>\n");
        return;
    }
    page.push_str(
        "<table><tr><th>Agent</th><th>Attempts running</th><th>Attempts started</th></tr>\n",
    );
    for (agent, counts) in &status.agents {
        let _ = writeln!(
            page,
            "<tr class=\"agent\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(agent),
            counts.tasks_active,
            counts.tasks_launched
        );
    }
    page.push_str("</table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::StatusBoard;

    const HOSTILE: &str = "<img src=x onerror=\"alert('x')\">&";

    #[test]
    fn every_board_string_is_escaped() {
        let board = StatusBoard::new(HOSTILE, HOSTILE);
        board.subscribed(HOSTILE, HOSTILE);
        board.disconnected(HOSTILE);
        board.job_started(HOSTILE, 2);
        board.task_launched(HOSTILE, 0, HOSTILE);
        board.lease_launched(HOSTILE, HOSTILE, HOSTILE, 1, 1.0);
        board.job_ended(HOSTILE, Some(HOSTILE.into()));
        let page = render(&board.snapshot(), 0);
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("onerror=\""), "{page}");
        assert!(page.contains("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"));
        // Links carry the job id percent-encoded.
        assert!(page.contains("/api/jobs/%3Cimg%20src%3Dx"), "{page}");
    }

    #[test]
    fn shows_a_running_job_and_its_tasks() {
        let board = StatusBoard::new("app", "zk://zk1:2181/mesos");
        board.subscribed("fw-1", "http://m1:5050/");
        board.job_started("job-7", 8);
        board.task_launched("job-7.p3.a1", 3, "agent-9");
        board.task_state("job-7.p3.a1", TaskState::TaskRunning);
        let page = render(&board.snapshot(), 0);
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
        assert!(page.contains("<td id=\"framework-id\">fw-1</td>"), "{page}");
        assert!(page.contains("job-state running\">running</td>"), "{page}");
        assert!(
            page.contains("<td class=\"partitions num\">0 / 8</td>"),
            "{page}"
        );
        assert!(page.contains("<td class=\"agent\">agent-9</td>"), "{page}");
        assert!(page.contains("TASK_RUNNING"), "{page}");
        assert!(!page.contains("<script"), "{page}");
    }
}
