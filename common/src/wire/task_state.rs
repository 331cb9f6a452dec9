//! Which task states are final: what the scheduler stops tracking and
//! reconciling, and what the executor waits to see acknowledged before it
//! forgets a task.

use super::v1::TaskState;

/// True for states after which no update follows for a task: Mesos's
/// terminal states, plus TASK_UNKNOWN, the master's answer when reconciling
/// a task it has no record of (nothing more will come for it either).
pub fn is_terminal(state: TaskState) -> bool {
    matches!(
        state,
        TaskState::TaskFinished
            | TaskState::TaskFailed
            | TaskState::TaskKilled
            | TaskState::TaskLost
            | TaskState::TaskError
            | TaskState::TaskDropped
            | TaskState::TaskGone
            | TaskState::TaskGoneByOperator
            | TaskState::TaskUnknown
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_are_the_documented_ones() {
        assert!(is_terminal(TaskState::TaskLost));
        assert!(is_terminal(TaskState::TaskGone));
        assert!(is_terminal(TaskState::TaskKilled));
        assert!(is_terminal(TaskState::TaskUnknown));
        assert!(!is_terminal(TaskState::TaskRunning));
        assert!(!is_terminal(TaskState::TaskUnreachable));
        assert!(!is_terminal(TaskState::TaskStaging));
    }
}
