//! Environment variables named like settings that no setting reads.

use clap::Args;

use super::Settings;

impl Settings {
    /// Names of `DOORMAN_*` environment variables that no setting reads (likely typos): the
    /// settings' names come from their flags, beside the few the binary reads itself.
    pub fn unknown_env_variables() -> Vec<String> {
        /// Read outside the settings: logging, and the test suite's database, Redis, NATS and
        /// Python.
        const OTHERS: &[&str] = &[
            "DOORMAN_LOG",
            "DOORMAN_LOG_FORMAT",
            "DOORMAN_TEST_DATABASE_URL",
            "DOORMAN_TEST_REDIS_URL",
            "DOORMAN_TEST_NATS_URL",
            "DOORMAN_TEST_PYTHON",
        ];
        let command = Self::augment_args(clap::Command::new("doorman"));
        let known: Vec<String> = command
            .get_arguments()
            .filter_map(|arg| arg.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .chain(OTHERS.iter().map(|name| (*name).to_owned()))
            .collect();
        std::env::vars()
            .map(|(name, _)| name)
            .filter(|name| name.starts_with("DOORMAN_") && !known.contains(name))
            .collect()
    }
}
