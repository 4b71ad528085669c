//! Turning bytes into the word stream that matching works on: lossy UTF-8
//! decoding of at most [`crate::MAX_BYTES`], a binary sniff, and
//! normalisation (lower case, punctuation, copyright statements, list
//! numbering, URL schemes and `<placeholders>` dropped, British spellings
//! folded). It owns no knowledge of any license: the index and the query go
//! through the same functions, so both sides are normalised alike.

use std::borrow::Cow;

/// The decoded text of a file and what was done to get it.
pub(crate) struct Decoded<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) notes: Vec<String>,
    pub(crate) binary: bool,
}

/// Decodes at most `max_bytes` of `bytes`, lossily, and says whether the
/// content looks binary (NUL bytes or mostly control characters).
pub(crate) fn decode(bytes: &[u8], max_bytes: usize) -> Decoded<'_> {
    let mut notes = Vec::new();
    let examined = if bytes.len() > max_bytes {
        notes.push(format!("only the first {max_bytes} of {} bytes were examined", bytes.len()));
        &bytes[..max_bytes]
    } else {
        bytes
    };
    let sample = &examined[..examined.len().min(8192)];
    let nul = sample.iter().filter(|&&b| b == 0).count();
    let control =
        sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)).count();
    let binary = nul > 0 || control * 10 > sample.len();
    if binary {
        notes.push("the content looks binary (NUL or control bytes); not examined".to_owned());
    }
    let text = String::from_utf8_lossy(examined);
    if matches!(text, Cow::Owned(_)) {
        notes.push("the content is not valid UTF-8; decoded lossily".to_owned());
    }
    Decoded { text, notes, binary }
}

/// Calls `emit(word, line)` for every normalised word of `text`; lines are
/// counted from 1. `scratch` is reused between words to avoid allocation.
pub(crate) fn for_each_word(text: &str, mut emit: impl FnMut(&str, u32)) {
    let mut word = String::new();
    for (index, raw_line) in text.lines().enumerate() {
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = strip_list_marker(strip_leading_decoration(raw_line));
        if is_copyright_statement(line) {
            continue;
        }
        let mut in_placeholder = false;
        let mut placeholder_len = 0usize;
        let flush = |word: &mut String, emit: &mut dyn FnMut(&str, u32)| {
            if !word.is_empty() {
                let folded = fold(word);
                if !folded.is_empty() {
                    emit(folded, line_number);
                }
                word.clear();
            }
        };
        for ch in line.chars() {
            if in_placeholder {
                placeholder_len += 1;
                if ch == '>' || placeholder_len > 80 {
                    in_placeholder = false;
                }
                continue;
            }
            if ch == '<' {
                flush(&mut word, &mut emit);
                in_placeholder = true;
                placeholder_len = 0;
            } else if ch.is_alphanumeric() {
                word.extend(ch.to_lowercase());
            } else {
                flush(&mut word, &mut emit);
            }
        }
        flush(&mut word, &mut emit);
    }
}

/// Spelling variants and noise words: returns the canonical form, or "" to
/// drop the word.
fn fold(word: &str) -> &str {
    match word {
        "licence" => "license",
        "licences" => "licenses",
        "licenced" => "licensed",
        "licencing" => "licensing",
        "http" | "https" | "www" | "html" | "htm" | "txt" => "",
        other => other,
    }
}

/// Drops comment leaders and bullets at the start of a line (`#`, `//`,
/// `*`, `;`, `-`, `>`, `•`), which differ between copies of one text.
fn strip_leading_decoration(line: &str) -> &str {
    line.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '#' | '/' | '*' | ';' | '-' | '>' | '•' | '%' | '!' | '|')
    })
}

/// Drops list numbering at the start of a line: `1.`, `(a)`, `iv)`, `2)`.
fn strip_list_marker(line: &str) -> &str {
    let rest = line.strip_prefix('(').unwrap_or(line);
    let marker_len = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).count();
    if marker_len == 0 || marker_len > 4 {
        return line;
    }
    let (marker, after) = rest.split_at(marker_len);
    let is_number = marker.chars().all(|c| c.is_ascii_digit());
    let is_letter = marker.len() == 1 && marker.chars().all(|c| c.is_ascii_alphabetic());
    let is_roman = marker.chars().all(|c| matches!(c.to_ascii_lowercase(), 'i' | 'v' | 'x'));
    if !(is_number || is_letter || is_roman) {
        return line;
    }
    let Some(after) = after.strip_prefix(['.', ')']) else {
        return line;
    };
    if after.is_empty() || after.starts_with(char::is_whitespace) { after } else { line }
}

/// A copyright statement ("Copyright (c) 2020 Jane", "(C) 1999 ...",
/// "Copyright: ..." in DEP-5) names holders, not terms: it is not matched.
/// "copyright notice" inside a clause that wraps to a new line is kept.
fn is_copyright_statement(line: &str) -> bool {
    let lower: String = line.chars().take(16).flat_map(char::to_lowercase).collect();
    if lower.starts_with("(c)") || lower.starts_with('©') {
        return true;
    }
    let Some(rest) = lower.strip_prefix("copyright") else {
        return false;
    };
    let rest = rest.trim_start_matches(|c: char| c == ':' || c == 's' || c.is_whitespace());
    rest.is_empty()
        || rest.starts_with("(c)")
        || rest.starts_with('©')
        || rest.starts_with(|c: char| c.is_ascii_digit() || c == '<')
        || lower.starts_with("copyright:")
}

#[cfg(test)]
mod tests;
