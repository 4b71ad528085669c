//! An error as a page shows it: one sentence a GitLab admin understands
//! first, the technical text (endpoint, status, error chain) after it in a
//! "Details" disclosure (`templates/problem.html`). The sentences come
//! from `vigil_gitlab::summarize`; this module only arranges them.

/// What a page says went wrong.
#[derive(Debug, Clone)]
pub(super) struct Problem {
    /// The sentence shown.
    pub(super) headline: String,
    /// The technical text, behind "Details".
    pub(super) details: Option<String>,
}

impl Problem {
    /// From an error's text: its sentence, with the text as the details;
    /// text that is already in words is shown as it is.
    pub(super) fn from_text(text: impl Into<String>) -> Problem {
        let text = text.into();
        // Vigil's own sentence, then GitLab's words.
        if let Some((words, said)) = text.split_once(" GitLab said: ") {
            return Problem::explained(words, said);
        }
        match vigil_gitlab::summarize(&text) {
            Some(sentence) => Problem { headline: sentence.to_owned(), details: Some(text) },
            None => Problem { headline: text, details: None },
        }
    }

    /// A sentence of Vigil's own, with the text behind it as the details.
    pub(super) fn explained(headline: impl Into<String>, details: impl Into<String>) -> Problem {
        Problem { headline: headline.into(), details: Some(details.into()) }
    }

    /// The same problem with what to do about it after the sentence.
    pub(super) fn advise(mut self, advice: &str) -> Problem {
        self.headline = format!("{} {advice}", self.headline);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technical_text_goes_behind_details_and_words_stay_as_they_are() {
        let refused = Problem::from_text(
            "GET /api/v4/version: cannot reach GitLab: cannot connect (tcp connect error: Connection refused (os error 111))",
        );
        assert_eq!(
            refused.headline,
            "Nothing answers on that host and port: the connection was refused."
        );
        assert!(refused.details.unwrap().contains("os error 111"));
        let words = Problem::from_text("choose at least one repository");
        assert_eq!(words.headline, "choose at least one repository");
        assert!(words.details.is_none());
        let refused = Problem::from_text(
            "GitLab did not accept the Application ID or Secret: enter them again. GitLab said: POST /oauth/token: 401: invalid_client",
        );
        assert_eq!(
            refused.headline,
            "GitLab did not accept the Application ID or Secret: enter them again."
        );
        assert_eq!(refused.details.as_deref(), Some("POST /oauth/token: 401: invalid_client"));
    }
}
