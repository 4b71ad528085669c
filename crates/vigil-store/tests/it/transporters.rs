//! Transporter credentials on every backend: each agent's enrolment adds a
//! credential of its own (agents in HA do not lock each other out),
//! enrolment tokens expire, and revoking the transporter takes them all.

use vigil_store::{Enrolment, Queue, Store, Transporter};

use crate::stores;

const T0: i64 = 1_764_000_000_000;
const DAY: i64 = 24 * 3_600_000;

async fn enrolled(store: &Store, token: &str, credential: &str, now: i64) -> Transporter {
    match store.enrol_transporter(token, credential, now, DAY).await.unwrap() {
        Enrolment::Enrolled(transporter) => *transporter,
        other => panic!("{token}: {other:?}"),
    }
}

async fn owner(store: &Store, credential: &str) -> Option<i64> {
    store.transporter_by_credential(credential).await.unwrap().map(|found| found.id)
}

#[tokio::test]
async fn a_second_agents_enrolment_keeps_the_first_agents_credential() {
    for test in stores().await {
        let store = &test.store;
        let transporter = store.create_transporter("dc1", "token-1", T0).await.unwrap();
        assert!(!transporter.enrolled && transporter.enrolment_pending);
        let first = enrolled(store, "token-1", "credential-a", T0 + 1_000).await;
        assert!(first.enrolled && !first.enrolment_pending, "{}", test.name);
        // A token is used once.
        let again = store.enrol_transporter("token-1", "credential-x", T0 + 2_000, DAY).await;
        assert_eq!(again.unwrap(), Enrolment::Unknown, "{}", test.name);
        // The second agent of the pair enrols with a new token.
        store.renew_transporter_enrolment(transporter.id, "token-2").await.unwrap();
        enrolled(store, "token-2", "credential-b", Queue::now_ms()).await;
        for credential in ["credential-a", "credential-b"] {
            assert_eq!(owner(store, credential).await, Some(transporter.id), "{}", test.name);
        }
        assert_eq!(owner(store, "credential-x").await, None);
        assert_eq!(test.count_rows("transporter_credentials").await.unwrap(), 2);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn revoking_the_transporter_revokes_every_agents_credential() {
    for test in stores().await {
        let store = &test.store;
        let transporter = store.create_transporter("dc1", "token-1", T0).await.unwrap();
        let other = store.create_transporter("dc2", "token-9", T0).await.unwrap();
        enrolled(store, "token-1", "credential-a", T0 + 1).await;
        store.renew_transporter_enrolment(transporter.id, "token-2").await.unwrap();
        enrolled(store, "token-2", "credential-b", Queue::now_ms()).await;
        store.renew_transporter_enrolment(transporter.id, "token-3").await.unwrap();
        enrolled(store, "token-9", "credential-z", T0 + 1).await;

        assert!(store.revoke_transporter(transporter.id).await.unwrap());
        for credential in ["credential-a", "credential-b"] {
            assert_eq!(owner(store, credential).await, None, "{}: {credential}", test.name);
        }
        // The waiting token went with them; the other transporter kept its agent.
        let gone = store.enrol_transporter("token-3", "credential-c", Queue::now_ms(), DAY).await;
        assert_eq!(gone.unwrap(), Enrolment::Unknown);
        assert_eq!(owner(store, "credential-z").await, Some(other.id));
        let revoked = store.transporter(transporter.id).await.unwrap().unwrap();
        assert_eq!(revoked.status, "revoked");
        assert!(!revoked.enrolled && !revoked.enrolment_pending);
        // A new token brings it back; deleting it takes its credentials.
        store.renew_transporter_enrolment(transporter.id, "token-4").await.unwrap();
        let back = enrolled(store, "token-4", "credential-d", Queue::now_ms()).await;
        assert!(back.enrolled && back.status != "revoked", "{back:?}");
        store.delete_transporter(transporter.id).await.unwrap();
        assert_eq!(test.count_rows("transporter_credentials").await.unwrap(), 1);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn an_expired_enrolment_token_is_refused_as_expired() {
    for test in stores().await {
        let store = &test.store;
        let transporter = store.create_transporter("dc1", "token-1", T0).await.unwrap();
        // At the end of its lifetime the token no longer works, and says so.
        let late = store.enrol_transporter("token-1", "credential-a", T0 + DAY, DAY).await;
        assert_eq!(late.unwrap(), Enrolment::Expired, "{}", test.name);
        assert_eq!(owner(store, "credential-a").await, None);
        // A shorter lifetime set by the server applies to waiting tokens.
        let short = store.enrol_transporter("token-1", "credential-a", T0 + 60_001, 60_000).await;
        assert_eq!(short.unwrap(), Enrolment::Expired, "{}", test.name);
        // Within its lifetime it works.
        enrolled(store, "token-1", "credential-a", T0 + DAY - 1).await;
        // A renewed token counts from its renewal.
        store.renew_transporter_enrolment(transporter.id, "token-2").await.unwrap();
        let now = Queue::now_ms();
        let expired = store.enrol_transporter("token-2", "credential-b", now + DAY, DAY).await;
        assert_eq!(expired.unwrap(), Enrolment::Expired);
        enrolled(store, "token-2", "credential-b", now + DAY - 60_000).await;
        test.drop_database().await.unwrap();
    }
}
