//! The job queue on every backend: de-duplication, priorities, leases,
//! retries with backoff, dead letters, release, and no double claims under
//! concurrency.

use serde_json::json;
use vigil_store::{JobState, NewJob, QueueCounts, RetryPolicy};

use crate::stores;

const LEASE: i64 = 30_000;
const T0: i64 = 1_764_000_000_000;

#[tokio::test]
async fn enqueue_deduplicates_pending_jobs_and_claims_by_priority() {
    for test in stores().await {
        let queue = test.store.queue();
        let periodic = queue
            .enqueue(&NewJob::new("scan", json!({"repo": 1})).dedup_key("scan:1:main"), T0)
            .await
            .unwrap();
        let again = queue
            .enqueue(&NewJob::new("scan", json!({"repo": 1})).dedup_key("scan:1:main"), T0)
            .await
            .unwrap();
        assert_eq!(
            (again.id, again.deduplicated, periodic.deduplicated),
            (periodic.id, true, false),
            "{}",
            test.name
        );
        let merge_request = queue
            .enqueue(&NewJob::new("mr_scan", json!({"mr": 9})).priority(10), T0 + 1)
            .await
            .unwrap();
        let first = queue.claim("w1", LEASE, T0 + 2).await.unwrap().unwrap();
        assert_eq!(
            (first.id, first.kind.as_str(), first.payload.clone()),
            (merge_request.id, "mr_scan", json!({"mr": 9})),
            "{}",
            test.name
        );
        let second = queue.claim("w1", LEASE, T0 + 2).await.unwrap().unwrap();
        assert_eq!(second.id, periodic.id, "{}", test.name);
        // Once the scan runs, a new push may queue the next one.
        let next = queue
            .enqueue(&NewJob::new("scan", json!({"repo": 1})).dedup_key("scan:1:main"), T0 + 3)
            .await
            .unwrap();
        assert!(!next.deduplicated, "{}", test.name);
        assert!(queue.complete(first.id, "w1", T0 + 4).await.unwrap());
        assert_eq!(
            queue.counts().await.unwrap(),
            QueueCounts { queued: 1, running: 1, succeeded: 1, dead: 0 },
            "{}",
            test.name
        );
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn an_expired_lease_makes_the_job_claimable_again_and_the_old_worker_loses_it() {
    for test in stores().await {
        let queue = test.store.queue();
        let job = queue.enqueue(&NewJob::new("scan", json!({})), T0).await.unwrap();
        let held = queue.claim("crashed", LEASE, T0).await.unwrap().unwrap();
        assert_eq!(held.lease_until, T0 + LEASE);
        assert!(
            queue.claim("w2", LEASE, T0 + LEASE - 1).await.unwrap().is_none(),
            "{}: lease still valid",
            test.name
        );
        assert!(queue.heartbeat(job.id, "crashed", LEASE, T0 + 10).await.unwrap());
        let retaken = queue.claim("w2", LEASE, T0 + 10 + LEASE + 1).await.unwrap().unwrap();
        assert_eq!((retaken.id, retaken.attempt), (job.id, 2), "{}", test.name);
        assert!(
            !queue.complete(job.id, "crashed", T0 + 10 + LEASE + 2).await.unwrap(),
            "{}",
            test.name
        );
        assert!(queue.complete(job.id, "w2", T0 + 10 + LEASE + 3).await.unwrap(), "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn failures_back_off_exponentially_then_dead_letter_with_the_last_error() {
    let policy = RetryPolicy { base_ms: 1_000, cap_ms: 3_000 };
    assert_eq!([1, 2, 3, 4].map(|attempt| policy.delay_ms(attempt)), [1_000, 2_000, 3_000, 3_000]);
    for test in stores().await {
        let queue = test.store.queue();
        let job = queue.enqueue(&NewJob::new("scan", json!({})).max_attempts(3), T0).await.unwrap();
        let mut now = T0;
        for (attempt, delay) in [(1, 1_000), (2, 2_000)] {
            let claimed = queue.claim("w", LEASE, now).await.unwrap().unwrap();
            assert_eq!(claimed.attempt, attempt, "{}", test.name);
            let state = queue.fail(job.id, "w", "GitLab answered 502", &policy, now).await.unwrap();
            assert_eq!(state, Some(JobState::Queued), "{}", test.name);
            assert!(
                queue.claim("w", LEASE, now + delay - 1).await.unwrap().is_none(),
                "{}: backoff",
                test.name
            );
            now += delay;
        }
        queue.claim("w", LEASE, now).await.unwrap().unwrap();
        let state = queue
            .fail(job.id, "w", "GitLab answered 404: project gone", &policy, now)
            .await
            .unwrap();
        assert_eq!(state, Some(JobState::Dead), "{}", test.name);
        assert_eq!(
            queue.last_error(job.id).await.unwrap().as_deref(),
            Some("GitLab answered 404: project gone")
        );
        assert!(
            queue.claim("w", LEASE, now + 10_000_000).await.unwrap().is_none(),
            "{}: dead stays dead",
            test.name
        );
        assert_eq!(queue.counts().await.unwrap().dead, 1, "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn a_waiting_job_keeps_its_attempts_and_a_hopeless_one_dies_at_once() {
    for test in stores().await {
        let queue = test.store.queue();
        let waiting =
            queue.enqueue(&NewJob::new("sync", json!({})).max_attempts(2), T0).await.unwrap();
        // Ten waits on another sync use none of its two attempts.
        let mut now = T0;
        for _ in 0..10 {
            let claimed = queue.claim("w", LEASE, now).await.unwrap().unwrap();
            assert_eq!(claimed.attempt, 1, "{}", test.name);
            let reason = "another sync of this instance is running";
            assert!(queue.defer(waiting.id, "w", reason, now + 500, now).await.unwrap());
            assert!(queue.claim("w", LEASE, now + 499).await.unwrap().is_none(), "waits 500 ms");
            now += 500;
        }
        assert_eq!(
            queue.last_error(waiting.id).await.unwrap().as_deref(),
            Some("another sync of this instance is running")
        );
        let claimed = queue.claim("w", LEASE, now).await.unwrap().unwrap();
        assert!(queue.complete(claimed.id, "w", now).await.unwrap());
        assert!(!queue.defer(claimed.id, "w", "late", now, now).await.unwrap(), "not held");

        let hopeless =
            queue.enqueue(&NewJob::new("scan", json!({})).max_attempts(5), now).await.unwrap();
        queue.claim("w", LEASE, now).await.unwrap().unwrap();
        let error = "the job's payload is invalid: missing field `scan_id`";
        assert!(queue.give_up(hopeless.id, "w", error, now).await.unwrap());
        assert_eq!(queue.last_error(hopeless.id).await.unwrap().as_deref(), Some(error));
        assert!(queue.claim("w", LEASE, now + 10_000_000).await.unwrap().is_none());
        assert_eq!(queue.counts().await.unwrap().dead, 1, "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn a_job_whose_worker_dies_on_the_last_attempt_is_dead_lettered() {
    for test in stores().await {
        let queue = test.store.queue();
        let job = queue.enqueue(&NewJob::new("scan", json!({})).max_attempts(1), T0).await.unwrap();
        queue.claim("crashed", LEASE, T0).await.unwrap().unwrap();
        assert!(queue.claim("w2", LEASE, T0 + LEASE + 1).await.unwrap().is_none(), "{}", test.name);
        assert_eq!(queue.counts().await.unwrap().running, 1, "{}: not swept yet", test.name);
        assert_eq!(
            queue.sweep(T0 + LEASE - 1).await.unwrap(),
            0,
            "{}: lease still valid",
            test.name
        );
        assert_eq!(queue.sweep(T0 + LEASE + 1).await.unwrap(), 1, "{}", test.name);
        assert_eq!(queue.counts().await.unwrap().dead, 1, "{}", test.name);
        let error = queue.last_error(job.id).await.unwrap().unwrap();
        assert!(error.contains("lease expired"), "{}: {error}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn release_gives_jobs_back_without_counting_the_attempt() {
    for test in stores().await {
        let queue = test.store.queue();
        let job = queue.enqueue(&NewJob::new("scan", json!({})), T0).await.unwrap();
        queue.claim("stopping", LEASE, T0).await.unwrap().unwrap();
        assert_eq!(queue.release_all("stopping", T0 + 1).await.unwrap(), 1);
        let again = queue.claim("w2", LEASE, T0 + 1).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempt), (job.id, 1), "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_claim_a_job_twice() {
    for test in stores().await {
        let queue = test.store.queue();
        for index in 0..200 {
            queue.enqueue(&NewJob::new("noop", json!({ "index": index })), T0).await.unwrap();
        }
        let mut workers = Vec::new();
        for worker in 0..4 {
            let store = test.store.clone();
            workers.push(tokio::spawn(async move {
                let name = format!("w{worker}");
                let mut claimed = Vec::new();
                while let Some(job) = store.queue().claim(&name, LEASE, T0 + 1).await.unwrap() {
                    assert!(store.queue().complete(job.id, &name, T0 + 2).await.unwrap());
                    claimed.push(job.id);
                }
                claimed
            }));
        }
        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.await.unwrap());
        }
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!(
            (before, all.len()),
            (200, 200),
            "{}: every job claimed exactly once",
            test.name
        );
        assert_eq!(queue.counts().await.unwrap().succeeded, 200, "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn an_expired_job_is_taken_before_queued_work_and_old_successes_are_purged() {
    for test in stores().await {
        let queue = test.store.queue();
        let lost = queue.enqueue(&NewJob::new("scan", json!({})), T0).await.unwrap();
        queue.claim("crashed", LEASE, T0).await.unwrap().unwrap();
        let urgent =
            queue.enqueue(&NewJob::new("scan", json!({})).priority(100), T0).await.unwrap();
        let retaken = queue.claim("w2", LEASE, T0 + LEASE + 1).await.unwrap().unwrap();
        assert_eq!((retaken.id, retaken.attempt), (lost.id, 2), "{}", test.name);
        let next = queue.claim("w2", LEASE, T0 + LEASE + 2).await.unwrap().unwrap();
        assert_eq!(next.id, urgent.id, "{}", test.name);
        assert!(queue.complete(lost.id, "w2", T0 + LEASE + 3).await.unwrap());
        assert!(queue.complete(urgent.id, "w2", T0 + LEASE + 10).await.unwrap());
        assert_eq!(queue.purge_succeeded(T0 + LEASE + 5, 100).await.unwrap(), 1, "{}", test.name);
        let counts = queue.counts().await.unwrap();
        assert_eq!(counts, QueueCounts { succeeded: 1, ..QueueCounts::default() }, "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn batches_are_claimed_in_order_and_completed_at_once() {
    for test in stores().await {
        let queue = test.store.queue();
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(
                queue.enqueue(&NewJob::new("noop", json!({"n": n})), T0 + n).await.unwrap().id,
            );
        }
        let urgent =
            queue.enqueue(&NewJob::new("noop", json!({})).priority(9), T0 + 9).await.unwrap();
        let lost = queue.claim("crashed", LEASE, T0 + 10).await.unwrap().unwrap();
        assert_eq!(lost.id, urgent.id);
        // The expired job comes back first, then the oldest queued ones.
        let batch = queue.claim_batch("w", LEASE, T0 + 10 + LEASE + 1, 3).await.unwrap();
        let claimed: Vec<i64> = batch.iter().map(|job| job.id).collect();
        assert_eq!(claimed, [urgent.id, ids[0], ids[1]], "{}", test.name);
        assert_eq!(batch[0].attempt, 2);
        let renewed = queue.heartbeat_all("w", LEASE, T0 + 10 + LEASE + 2).await.unwrap();
        assert_eq!(renewed, 3, "{}", test.name);
        let done = queue.complete_many(&claimed, "w", T0 + 10 + LEASE + 3).await.unwrap();
        assert_eq!(done.len(), 3, "{}", test.name);
        // Not held by this worker: not completed.
        assert!(queue.complete_many(&[ids[2]], "w", T0 + 10 + LEASE + 4).await.unwrap().is_empty());
        let rest = queue.claim_batch("w", LEASE, T0 + 10 + LEASE + 5, 10).await.unwrap();
        assert_eq!(rest.len(), 3, "{}", test.name);
        assert!(queue.claim_batch("w", LEASE, T0 + 10 + LEASE + 5, 10).await.unwrap().is_empty());
        let counts = queue.counts().await.unwrap();
        assert_eq!((counts.succeeded, counts.running), (3, 3), "{}", test.name);
        test.drop_database().await.unwrap();
    }
}
