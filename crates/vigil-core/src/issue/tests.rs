//! The lifecycle table: every status × seen/absent.

use super::*;

fn check(before: Option<IssueStatus>, seen: bool, expected: (Transition, IssueStatus)) {
    let transition = match (seen, before) {
        (true, before) => on_seen(before),
        (false, Some(before)) => on_absent(before),
        (false, None) => return,
    };
    assert_eq!((transition, transition.status_after(before)), expected, "{before:?} seen={seen}");
}

#[test]
fn lifecycle() {
    use IssueStatus::*;
    check(None, true, (Transition::Created, Open));
    check(Some(Open), true, (Transition::StillPresent, Open));
    check(Some(Suppressed), true, (Transition::StillPresent, Suppressed));
    check(Some(Fixed), true, (Transition::Reopened, Open));
    check(Some(Open), false, (Transition::Fixed, Fixed));
    check(Some(Suppressed), false, (Transition::Fixed, Fixed));
    check(Some(Fixed), false, (Transition::Unchanged, Fixed));
}

#[test]
fn suppressions_last_at_most_a_year() {
    let now = 1_700_000_000_000;
    assert_eq!(check_suppression("test key", None, now), Ok(()));
    assert_eq!(check_suppression("test key", Some(now + 30 * 86_400_000), now), Ok(()));
    assert_eq!(check_suppression("test key", Some(now - 1), now), Err(SuppressionError::InThePast));
    assert_eq!(
        check_suppression("test key", Some(now + 400 * 86_400_000), now),
        Err(SuppressionError::TooLong)
    );
    assert_eq!(check_suppression("  ", None, now), Err(SuppressionError::NoReason));
}

#[test]
fn statuses_parse_and_print() {
    for status in IssueStatus::ALL {
        assert_eq!(status.as_str().parse::<IssueStatus>(), Ok(status));
    }
    assert!("closed".parse::<IssueStatus>().is_err());
}
