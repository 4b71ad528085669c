//! Flags that bound what one job may cost on `vigil serve` and `vigil
//! worker`: how long it may run, and how large, how many entries and how
//! slow a repository archive may be. Defaults match the library's.

use std::time::Duration;

use vigil_gitlab::ArchiveLimits;

/// Job and archive limits.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct JobLimitsArgs {
    /// Longest a job may run, seconds; past it the job is stopped, its scan
    /// failed, and it is retried later with backoff.
    #[arg(long, env = "VIGIL_MAX_JOB_SECONDS", hide_env_values = true, default_value_t = 1800)]
    pub(crate) max_job_seconds: u64,
    /// Longest download of one repository archive, seconds, however
    /// steadily bytes arrive.
    #[arg(long, env = "VIGIL_ARCHIVE_SECONDS", hide_env_values = true, default_value_t = 600)]
    pub(crate) archive_seconds: u64,
    /// Largest repository archive downloaded (compressed), MiB.
    #[arg(long, env = "VIGIL_ARCHIVE_MAX_MIB", hide_env_values = true, default_value_t = 1024)]
    pub(crate) archive_max_mib: u64,
    /// Most bytes decompressed from one archive, MiB (gzip bombs stop here).
    #[arg(
        long,
        env = "VIGIL_ARCHIVE_UNPACKED_MIB",
        hide_env_values = true,
        default_value_t = 2048
    )]
    pub(crate) archive_unpacked_mib: u64,
    /// Largest file unpacked, MiB; larger files are skipped and named.
    #[arg(long, env = "VIGIL_ARCHIVE_FILE_MIB", hide_env_values = true, default_value_t = 16)]
    pub(crate) archive_file_mib: u64,
    /// Most entries of any kind (files, directories, links) in one archive.
    #[arg(long, env = "VIGIL_ARCHIVE_ENTRIES", hide_env_values = true, default_value_t = 500_000)]
    pub(crate) archive_entries: u64,
}

impl JobLimitsArgs {
    /// The archive limits these flags set.
    pub(crate) fn archive(&self) -> ArchiveLimits {
        ArchiveLimits {
            max_download_bytes: self.archive_max_mib.saturating_mul(1 << 20),
            max_unpacked_bytes: self.archive_unpacked_mib.saturating_mul(1 << 20),
            max_file_bytes: self.archive_file_mib.saturating_mul(1 << 20),
            max_entries: self.archive_entries,
            max_download_time: Duration::from_secs(self.archive_seconds.max(1)),
        }
    }

    /// The longest a job may run.
    pub(crate) fn max_run(&self) -> Duration {
        Duration::from_secs(self.max_job_seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        limits: JobLimitsArgs,
    }

    #[test]
    fn defaults_are_the_librarys() {
        let flags = Flags::parse_from(["vigil"]);
        assert_eq!(flags.limits.archive(), ArchiveLimits::default());
        assert_eq!(flags.limits.max_run(), vigil_server::jobs::DEFAULT_MAX_RUN);
        let flags =
            Flags::parse_from(["vigil", "--archive-max-mib", "10", "--max-job-seconds", "5"]);
        assert_eq!(flags.limits.archive().max_download_bytes, 10 << 20);
        assert_eq!(flags.limits.max_run(), Duration::from_secs(5));
    }
}
