//! License detection in one file's content: SPDX headers, DEP-5 fields and
//! text matching against the [`Index`], combined into one expression.
//!
//! Matching: the query's word ids are looked up n-gram by n-gram; the hits
//! of each indexed entry are chained into regions (runs of hits close on
//! both the query and the entry's diagonal); a region is a candidate when it
//! covers enough of its entry (coverage) and its span is mostly matched
//! words (precision). Candidates are chosen greedily, best first, dropping
//! those that overlap a chosen one, so MIT inside a longer text does not
//! fire separately and BSD-3-Clause beats BSD-2-Clause on a three-clause
//! text. It does no I/O.

use std::sync::OnceLock;

use crate::dep5;
use crate::expression::{normalize, slug};
use crate::index::{EntryKind, Index, N, UNKNOWN, gram_key};
use crate::text::{decode, for_each_word};

/// What kind of evidence a [`Detection`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum DetectionKind {
    /// A full license text (from the SPDX list) matched.
    Text,
    /// A notice naming the license ("Licensed under the Apache License,
    /// Version 2.0 ..."), or "dual licensed under X or Y".
    Notice,
    /// An `SPDX-License-Identifier:` line.
    SpdxHeader,
    /// A `License:` field of a machine-readable Debian copyright file.
    Dep5Field,
}

/// One matched region of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Detection {
    /// The SPDX expression of this region.
    pub expression: String,
    /// 0–100: the share of the license's text found, times the share of the
    /// region's words that belong to it (100 for headers and known fields).
    pub score: u8,
    /// First line of the region (from 1).
    pub start_line: u32,
    /// Last line of the region.
    pub end_line: u32,
    /// What matched.
    pub kind: DetectionKind,
}

/// The licenses of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileLicense {
    /// Every region's expression, in order of appearance, each once, joined
    /// with `AND`; `None` when nothing was recognised.
    pub expression: Option<String>,
    /// The lowest score of the detections (0 when there are none).
    pub score: u8,
    /// The matched regions, in order of appearance.
    pub detections: Vec<Detection>,
    /// What was skipped or rewritten, and why nothing was found.
    pub notes: Vec<String>,
}

/// Holds the prepared index; build it once and share it.
pub struct Detector {
    index: Index,
    max_bytes: usize,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Detector")
            .field("entries", &self.index.entries.len())
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// A region that may become a detection.
#[derive(Debug, Clone)]
struct Candidate {
    expression: String,
    kind: EntryKind,
    q_start: u32,
    q_end: u32,
    coverage: f64,
    precision: f64,
    rank: f64,
    /// For a bare mention: how many query words around another candidate
    /// drop it.
    bare_reach: Option<u32>,
}

/// Hits of one entry chained into a run.
#[derive(Debug, Clone, Copy)]
struct Region {
    q_start: u32,
    q_last: u32,
    q_cover_end: u32,
    l_last: u32,
    l_cover_end: u32,
    q_matched: u32,
    l_matched: u32,
}

/// Query words that may separate two hits of one region.
const GAP: u32 = 30;
/// Regions of one entry open at once (repeated phrases start extra ones).
const MAX_OPEN: usize = 8;

impl Detector {
    /// Builds the index from the `spdx` crate's texts and the notice rules.
    pub fn new() -> Self {
        Self { index: Index::build(), max_bytes: crate::MAX_BYTES }
    }

    /// A process-wide detector, built on first use.
    pub fn shared() -> &'static Detector {
        static SHARED: OnceLock<Detector> = OnceLock::new();
        SHARED.get_or_init(Detector::new)
    }

    /// Examines at most `max_bytes` of each file instead of [`crate::MAX_BYTES`].
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The licenses found in `bytes`, the content of one file.
    pub fn detect(&self, bytes: &[u8]) -> FileLicense {
        let decoded = decode(bytes, self.max_bytes);
        let mut result = FileLicense { notes: decoded.notes, ..FileLicense::default() };
        if decoded.binary {
            return result;
        }
        let text = decoded.text.as_ref();
        let mut skip_lines = Vec::new();
        let mut fixed = Vec::new();
        spdx_headers(text, &mut fixed, &mut skip_lines, &mut result.notes);
        // In a DEP-5 file every `License:` field counts; elsewhere (free-form
        // Debian copyright files, PKG-INFO) only fields whose names are all known.
        whole_file_expression(text, &mut fixed, &mut skip_lines);
        let is_dep5 = dep5::is_dep5(text);
        let mut fields = dep5::license_fields(text);
        fields.retain(|field| is_dep5 || field.known);
        skip_lines.extend(fields.iter().map(|field| field.start_line));
        skip_lines.sort_unstable();

        let mut words = Vec::new();
        let mut lines = Vec::new();
        // A skipped line (a `License:` field, an SPDX header) leaves one
        // unknown word, so no n-gram joins the text before it to the text after
        // it (FSFULLR's "... notice is preserved" and the next field's "This"),
        // and no region runs across it (a DEP-5 `Copyright:` field's last
        // lines are not the start of the text under the `License:` line).
        let mut last_skipped = 0;
        let mut barriers = Vec::new();
        for_each_word(text, |word, line| {
            if skip_lines.binary_search(&line).is_err() {
                words.push(self.index.word_id(word));
                lines.push(line);
            } else if line != last_skipped {
                last_skipped = line;
                barriers.push(u32::try_from(words.len()).unwrap_or(u32::MAX));
                words.push(UNKNOWN);
                lines.push(line);
            }
        });
        let mut candidates = self.text_candidates(&words, &barriers);
        self.short_candidates(&words, &mut candidates);
        self.either_candidates(&words, &mut candidates);
        self.bare_candidates(&words, &mut candidates);
        let mut chosen = choose(candidates);
        drop_bare_near_others(&mut chosen);

        let line_of = |pos: u32| lines.get(pos as usize).copied().unwrap_or(0);
        let mut detections: Vec<(Detection, EntryKind)> = chosen
            .into_iter()
            .map(|candidate| {
                let score = (candidate.coverage.min(1.0) * candidate.precision.min(1.0) * 100.0)
                    .round() as u8;
                let kind = match candidate.kind {
                    EntryKind::Text | EntryKind::Exception => DetectionKind::Text,
                    EntryKind::Notice | EntryKind::Reference => DetectionKind::Notice,
                };
                let detection = Detection {
                    expression: candidate.expression,
                    score,
                    start_line: line_of(candidate.q_start),
                    end_line: line_of(candidate.q_end.saturating_sub(1)),
                    kind,
                };
                (detection, candidate.kind)
            })
            .collect();
        apply_fields(&mut detections, fields);
        // A prose id that a detection over its line already names adds nothing.
        let named: Vec<Detection> = prose_ids(text, &skip_lines)
            .into_iter()
            .filter(|n| {
                !detections.iter().any(|(d, _)| {
                    d.start_line <= n.start_line
                        && n.start_line <= d.end_line
                        && d.expression.split([' ', '(', ')']).any(|id| id == n.expression)
                })
            })
            .collect();
        detections.extend(named.into_iter().map(|d| (d, EntryKind::Notice)));
        detections.extend(fixed.into_iter().map(|d| (d, EntryKind::Notice)));
        detections.sort_by_key(|(d, _)| (d.start_line, d.end_line));
        drop_followed_references(&mut detections, &field_lines(text));
        attach_exceptions(&mut detections, &mut result.notes);
        result.detections = detections.into_iter().map(|(d, _)| d).collect();
        result.expression = combine(&result.detections);
        result.score = result.detections.iter().map(|d| d.score).min().unwrap_or(0);
        if result.detections.is_empty() {
            result.notes.push(if words.is_empty() {
                "no words to match (empty or not text)".to_owned()
            } else {
                "no license text, notice or identifier recognised".to_owned()
            });
        }
        result
    }

    /// Regions of indexed entries found through n-gram hits.
    fn text_candidates(&self, words: &[u32], barriers: &[u32]) -> Vec<Candidate> {
        let entries = &self.index.entries;
        let mut hits: Vec<Vec<(u32, u32)>> = vec![Vec::new(); entries.len()];
        for (q, window) in words.windows(N).enumerate() {
            if window.contains(&UNKNOWN) {
                continue;
            }
            let q = u32::try_from(q).unwrap_or(u32::MAX);
            for posting in self.index.postings(gram_key(window)) {
                if let Some(list) = hits.get_mut(usize::from(posting.entry)) {
                    list.push((q, posting.pos));
                }
            }
        }
        // For each query position, the first barrier after it.
        let mut next_barrier = vec![u32::MAX; words.len()];
        let mut upcoming = u32::MAX;
        let mut pending = barriers.iter().rev().peekable();
        for (pos, slot) in next_barrier.iter_mut().enumerate().rev() {
            while let Some(&barrier) = pending.next_if(|&&b| b as usize > pos) {
                upcoming = barrier;
            }
            *slot = upcoming;
        }
        let mut candidates = Vec::new();
        for (entry_index, list) in hits.iter().enumerate() {
            let Some(entry) = entries.get(entry_index) else { continue };
            let min_coverage = min_coverage(entry.kind);
            // Every hit adds at most N words of coverage: skip hopeless entries early.
            if ((list.len() * N) as f64) < min_coverage * f64::from(entry.len) {
                continue;
            }
            let skip = GAP.max(entry.len / 4);
            for region in chain(list, skip, &next_barrier) {
                let coverage = f64::from(region.l_matched) / f64::from(entry.len.max(1));
                let span = region.q_cover_end - region.q_start;
                let precision = f64::from(region.q_matched) / f64::from(span.max(1));
                if coverage < min_coverage || precision < 0.6 {
                    continue;
                }
                let bonus = if entry.preferred { 1.01 } else { 1.0 };
                let region_words =
                    words.get(region.q_start as usize..region.q_cover_end as usize).unwrap_or(&[]);
                let expression = match &entry.variant_of {
                    // A variant matched without most of its own words is the
                    // common text (`BSD-3-Clause` with "the author" for "HP").
                    Some((common, distinct))
                        if distinct.iter().filter(|w| region_words.contains(w)).count() * 2
                            < distinct.len() =>
                    {
                        common.clone()
                    }
                    _ => entry.expression.clone(),
                };
                candidates.push(Candidate {
                    expression,
                    kind: entry.kind,
                    q_start: region.q_start,
                    q_end: region.q_cover_end,
                    coverage,
                    precision,
                    // Matched file words count most: a look-alike that lacks some of
                    // the file's words (Pixar on an Apache-2.0 text without its
                    // appendix) loses to the text missing only an optional tail.
                    rank: f64::from(region.q_matched)
                        * precision
                        * (0.85 + 0.15 * coverage)
                        * bonus,
                    bare_reach: None,
                });
            }
        }
        candidates
    }

    /// A license named without a version, away from the notices that
    /// would give one, names any version, as ScanCode reads it: a bare `GPL`
    /// or `LGPL` ("the GPL", "GPL-licensed", "GNU GPL") with no version after
    /// it and not in a link is `GPL-1.0-or-later` or `LGPL-2.0-or-later`;
    /// "the GNU Free Documentation License" is `GFDL-1.1-or-later` even with
    /// a version after it. Ranked below everything, so a notice or text
    /// around the words keeps them, and dropped near other detections
    /// ([`drop_bare_near_others`]).
    fn bare_candidates(&self, words: &[u32], candidates: &mut Vec<Candidate>) {
        /// Words, expression, whether a version may follow, reach.
        const BARE: &[(&str, &str, bool, u32)] = &[
            ("gpl", "GPL-1.0-or-later", false, BARE_REACH),
            ("lgpl", "LGPL-2.0-or-later", false, BARE_REACH),
            ("gnu free documentation license", "GFDL-1.1-or-later", true, 0),
        ];
        const VERSIONS: &[&str] = &["1", "2", "3", "version", "v", "ver", "v1", "v2", "v3"];
        // `gnu.org/licenses/gpl.html`, `common-licenses/GPL`: a link, not a mention.
        const PATH: &[&str] = &["licenses", "copyleft", "html", "txt"];
        let ids = |phrase: &str| -> Vec<u32> {
            phrase.split(' ').map(|w| self.index.word_id(w)).collect()
        };
        let versions: Vec<u32> = VERSIONS.iter().map(|w| self.index.word_id(w)).collect();
        let path: Vec<u32> = PATH.iter().map(|w| self.index.word_id(w)).collect();
        for &(phrase, expression, versioned, reach) in BARE {
            let needle = ids(phrase);
            if needle.contains(&UNKNOWN) {
                continue;
            }
            for (pos, window) in words.windows(needle.len()).enumerate() {
                if window != needle.as_slice() {
                    continue;
                }
                let end = pos + needle.len();
                let next = words.get(end);
                let url = pos
                    .checked_sub(1)
                    .and_then(|before| words.get(before))
                    .is_some_and(|before| path.contains(before))
                    || next.is_some_and(|next| path.contains(next));
                if url || (!versioned && next.is_some_and(|next| versions.contains(next))) {
                    continue;
                }
                candidates.push(Candidate {
                    expression: expression.to_owned(),
                    kind: EntryKind::Notice,
                    q_start: u32::try_from(pos).unwrap_or(u32::MAX),
                    q_end: u32::try_from(end).unwrap_or(u32::MAX),
                    coverage: 1.0,
                    precision: 1.0,
                    rank: 0.5,
                    bare_reach: Some(reach),
                });
            }
        }
    }

    /// Entries shorter than an n-gram, by exact scan.
    fn short_candidates(&self, words: &[u32], candidates: &mut Vec<Candidate>) {
        for (entry_index, needle) in &self.index.short {
            let Some(entry) = self.index.entries.get(usize::from(*entry_index)) else { continue };
            if needle.is_empty() {
                continue;
            }
            for (q, window) in words.windows(needle.len()).enumerate() {
                if window == needle.as_slice() {
                    let q = u32::try_from(q).unwrap_or(u32::MAX);
                    let len = u32::try_from(needle.len()).unwrap_or(u32::MAX);
                    candidates.push(Candidate {
                        expression: entry.expression.clone(),
                        kind: entry.kind,
                        q_start: q,
                        q_end: q + len,
                        coverage: 1.0,
                        precision: 1.0,
                        rank: f64::from(len),
                        bare_reach: None,
                    });
                }
            }
        }
    }

    /// "dual licensed under X or Y", "licensed under either of X ... or Y":
    /// the license names in the few words after the phrase, joined with OR.
    fn either_candidates(&self, words: &[u32], candidates: &mut Vec<Candidate>) {
        const TRIGGERS: &[&[&str]] = &[
            &["dual", "licensed"],
            &["dually", "licensed"],
            &["dual", "license"],
            &["licensed", "under", "either"],
            &["available", "under", "either"],
            &["under", "either", "of"],
        ];
        const WINDOW: usize = 50;
        let ids =
            |phrase: &[&str]| phrase.iter().map(|w| self.index.word_id(w)).collect::<Vec<_>>();
        let triggers: Vec<Vec<u32>> = TRIGGERS.iter().map(|t| ids(t)).collect();
        let mut start = 0;
        while start < words.len() {
            let Some(trigger) = triggers
                .iter()
                .find(|t| !t.contains(&UNKNOWN) && words[start..].starts_with(t.as_slice()))
            else {
                start += 1;
                continue;
            };
            let mut found: Vec<&str> = Vec::new();
            let mut pos = start + trigger.len();
            let mut last_end = pos;
            let window_end = (pos + WINDOW).min(words.len());
            while pos < window_end {
                let longest = self
                    .index
                    .names
                    .iter()
                    .filter(|(name, _)| !name.is_empty() && words[pos..].starts_with(name))
                    .max_by_key(|(name, _)| name.len());
                match longest {
                    Some((name, id)) => {
                        if !found.contains(id) {
                            found.push(id);
                        }
                        pos += name.len();
                        last_end = pos;
                    }
                    None => pos += 1,
                }
            }
            if found.len() >= 2 {
                candidates.push(Candidate {
                    expression: found.join(" OR "),
                    kind: EntryKind::Notice,
                    q_start: u32::try_from(start).unwrap_or(u32::MAX),
                    q_end: u32::try_from(last_end).unwrap_or(u32::MAX),
                    coverage: 1.0,
                    precision: 1.0,
                    // An explicit choice outranks the notices it contains.
                    rank: 1000.0 + (last_end - start) as f64,
                    bare_reach: None,
                });
                start = last_end;
            } else {
                start += 1;
            }
        }
    }
}

/// Query words around another detection within which a bare `GPL` belongs
/// to that detection's wording ("the provisions of the GPL apply", "the
/// full text of the GPL is in /usr/share/common-licenses/GPL-2").
const BARE_REACH: u32 = 40;

/// Drops the bare mentions close to any other candidate (within their reach).
fn drop_bare_near_others(chosen: &mut Vec<Candidate>) {
    let others: Vec<(u32, u32)> =
        chosen.iter().filter(|c| c.bare_reach.is_none()).map(|c| (c.q_start, c.q_end)).collect();
    chosen.retain(|candidate| {
        let Some(reach) = candidate.bare_reach else { return true };
        !others.iter().any(|&(start, end)| {
            candidate.q_start + reach >= start && candidate.q_start <= end + reach
        })
    });
}

/// The least share of an entry's words a region must cover.
fn min_coverage(kind: EntryKind) -> f64 {
    match kind {
        EntryKind::Text | EntryKind::Exception => 0.75,
        // Notices differ from each other by a version number or one word
        // ("Lesser"): nearly all of a notice must be there.
        EntryKind::Notice | EntryKind::Reference => 0.97,
    }
}

/// Chains one entry's hits (in query order) into regions. Hits at one
/// query position are taken together: each open region takes the one
/// closest to its diagonal, so a phrase the license repeats does not pull a
/// region off course; hits no region takes start new regions. A region
/// ends at a skipped line (`next_barrier`: for each query position, the
/// position of the unknown word the next skipped line left).
fn chain(hits: &[(u32, u32)], skip: u32, next_barrier: &[u32]) -> Vec<Region> {
    let n = N as u32;
    let mut open: Vec<Region> = Vec::new();
    let mut closed = Vec::new();
    let mut used = Vec::new();
    for group in hits.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(q, _)) = group.first() else { continue };
        let mut index = 0;
        while index < open.len() {
            let last = open[index].q_last;
            let barrier = next_barrier.get(last as usize).copied().unwrap_or(u32::MAX);
            if q - last > GAP || barrier < q {
                closed.push(open.swap_remove(index));
            } else {
                index += 1;
            }
        }
        used.clear();
        used.resize(group.len(), false);
        for region in &mut open {
            let dq = i64::from(q - region.q_last);
            let mut best: Option<(usize, i64)> = None;
            for (k, &(_, l)) in group.iter().enumerate() {
                let dl = i64::from(l) - i64::from(region.l_last);
                // Going back in the entry after a jump in the query is the
                // entry starting again (a second pointer a few lines on), not
                // this region going on.
                let restarts = dl <= 0 && dq > i64::from(n);
                if dl < -i64::from(n) || dl > dq + i64::from(skip) || restarts {
                    continue;
                }
                let cost = (dl - dq).abs();
                if best.is_none_or(|(_, best_cost)| cost < best_cost) {
                    best = Some((k, cost));
                }
            }
            let Some((k, _)) = best else { continue };
            let l = group[k].1;
            used[k] = true;
            region.q_matched += (q + n).saturating_sub(q.max(region.q_cover_end));
            region.q_cover_end = region.q_cover_end.max(q + n);
            region.l_matched += (l + n).saturating_sub(l.max(region.l_cover_end));
            region.l_cover_end = region.l_cover_end.max(l + n);
            region.q_last = q;
            region.l_last = region.l_last.max(l);
        }
        for (k, &(_, l)) in group.iter().enumerate() {
            if !used[k] && open.len() < MAX_OPEN {
                open.push(Region {
                    q_start: q,
                    q_last: q,
                    q_cover_end: q + n,
                    l_last: l,
                    l_cover_end: l + n,
                    q_matched: n,
                    l_matched: n,
                });
            }
        }
    }
    closed.extend(open);
    closed
}

/// Greedy choice, best rank first, of candidates that do not overlap a
/// better one by more than half of the shorter.
fn choose(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| b.rank.total_cmp(&a.rank));
    let mut chosen: Vec<Candidate> = Vec::new();
    for candidate in candidates {
        let overlaps = chosen.iter().any(|kept| {
            let start = candidate.q_start.max(kept.q_start);
            let end = candidate.q_end.min(kept.q_end);
            let shorter = (candidate.q_end - candidate.q_start).min(kept.q_end - kept.q_start);
            end > start && (end - start) * 2 > shorter
        });
        if !overlaps {
            chosen.push(candidate);
        }
    }
    chosen
}

/// A text of the same family as its field's license, matched below this
/// score, is a look-alike (`BSD-2-Clause` at 83 under `License: BSD-1-clause`);
/// at or above it the text is what it says (`BSD-4-Clause-UC` at 92 under
/// `License: BSD-4-clause`).
const LOOK_ALIKE_SCORE: u8 = 90;

/// Adds the DEP-5 `License:` fields to the text detections. A field is
/// the Debian maintainer's reading of the text under it, so:
/// - a known single-license field (not a variant name such as
///   `BSD-2-Clause-alike`) drops a look-alike text of the same family
///   matched in its body (`License: BSD-1-clause` over a text that also
///   nearly matches `BSD-2-Clause`; `BSD-3-clause` over `BSD-3-Clause-HP`)
///   when the text scores below [`LOOK_ALIKE_SCORE`];
/// - an unknown short name whose body text matched is that text (the field
///   adds nothing), and a bodiless field of the same unknown name elsewhere
///   (`Files: x` / `License: BSLA`, the text given once below) takes the
///   text's expression instead of `LicenseRef-BSLA`; so does a known license
///   with an unknown exception name (`GPL-3+ with Autoconf-data exception`)
///   whose body holds a recognised exception text (`Autoconf-exception-macro`).
fn apply_fields(detections: &mut Vec<(Detection, EntryKind)>, fields: Vec<dep5::Field>) {
    let family = |expression: &str| expression.split('-').next().unwrap_or("").to_owned();
    let mut named: Vec<(String, Vec<String>, u8)> = Vec::new();
    let mut deferred = Vec::new();
    for field in fields {
        let inside = |d: &Detection| {
            d.start_line >= field.start_line && d.end_line <= field.end_line.max(field.start_line)
        };
        if field.known && !field.variant && !field.expression.contains(' ') {
            let field_family = family(&field.expression);
            detections.retain(|(d, kind)| {
                !(*kind == EntryKind::Text
                    && d.score < LOOK_ALIKE_SCORE
                    && inside(d)
                    && d.expression != field.expression
                    && family(&d.expression) == field_family)
            });
        }
        // `GPL-3+ with Autoconf-data exception`: a known license with an
        // exception name that is no SPDX id; the exception text under it says
        // which exception it is.
        if field.known && field.expression.contains("AdditionRef-") {
            let exception = detections
                .iter()
                .find(|(d, kind)| *kind == EntryKind::Exception && inside(d))
                .map(|(d, _)| d.expression.clone());
            if let Some(exception) = exception {
                let expression = field
                    .expression
                    .split(' ')
                    .map(|token| if token.starts_with("AdditionRef-") { &exception } else { token })
                    .collect::<Vec<_>>()
                    .join(" ");
                named.push((field.name.clone(), vec![expression.clone()], 100));
                detections.push((field_detection(expression, 100, &field), EntryKind::Notice));
            } else {
                deferred.push(field);
            }
            continue;
        }
        if !field.known {
            let texts: Vec<&Detection> =
                detections.iter().map(|(d, _)| d).filter(|d| inside(d)).collect();
            if !texts.is_empty() {
                let score = texts.iter().map(|d| d.score).min().unwrap_or(0);
                let expressions = texts.iter().map(|d| d.expression.clone()).collect();
                named.push((field.name.clone(), expressions, score));
                continue;
            }
            deferred.push(field);
            continue;
        }
        detections
            .push((field_detection(field.expression.clone(), 100, &field), EntryKind::Notice));
    }
    for field in deferred {
        let detection = match named.iter().find(|(name, _, _)| *name == field.name) {
            Some((_, expressions, score)) => {
                let mut parts: Vec<&str> = Vec::new();
                for expression in expressions {
                    if !parts.contains(&expression.as_str()) {
                        parts.push(expression);
                    }
                }
                let joined = parts
                    .iter()
                    .map(|part| {
                        if part.contains(' ') && parts.len() > 1 {
                            format!("({part})")
                        } else {
                            (*part).to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ");
                field_detection(joined, *score, &field)
            }
            None => {
                let score = if field.known { 100 } else { 50 };
                let (expression, score) = substitute_named(&field.expression, &named, score);
                field_detection(expression, score, &field)
            }
        };
        detections.push((detection, EntryKind::Notice));
    }
}

/// A field that names an unknown short name among others (`EPL-2.0 or
/// EDL-1.0`, `PostgreSQL and Custom-regex and Tcl`) where the name's own
/// paragraph holds a recognised text (`License: EDL-1.0` over the BSD-3-Clause
/// text): the name's `LicenseRef-` stands for that text, as a bodiless field
/// of that one name does. The score is the texts' lowest when every unknown
/// name was replaced, else also at most the field's.
fn substitute_named(
    expression: &str,
    named: &[(String, Vec<String>, u8)],
    score: u8,
) -> (String, u8) {
    let mut score_out = score;
    let mut texts_score = 100;
    let mut replaced = false;
    let tokens: Vec<String> = expression
        .split(' ')
        .map(|token| {
            let rest = token.trim_start_matches('(');
            let open = &token[..token.len() - rest.len()];
            let core = rest.trim_end_matches(')');
            let close = &rest[core.len()..];
            let Some(slugged) = core.strip_prefix("LicenseRef-") else {
                return token.to_owned();
            };
            let found = named.iter().find(|(name, _, _)| slug(name).eq_ignore_ascii_case(slugged));
            let Some((_, expressions, text_score)) = found else { return token.to_owned() };
            let mut parts: Vec<&str> = Vec::new();
            for part in expressions {
                if !parts.contains(&part.as_str()) {
                    parts.push(part);
                }
            }
            if parts.is_empty() {
                return token.to_owned();
            }
            replaced = true;
            score_out = score_out.min(*text_score);
            texts_score = texts_score.min(*text_score);
            let joined = parts
                .iter()
                .map(
                    |part| {
                        if part.contains(' ') { format!("({part})") } else { (*part).to_owned() }
                    },
                )
                .collect::<Vec<_>>()
                .join(" AND ");
            if joined.contains(' ') {
                format!("{open}({joined}){close}")
            } else {
                format!("{open}{joined}{close}")
            }
        })
        .collect();
    if !replaced {
        return (expression.to_owned(), score);
    }
    let substituted = tokens.join(" ");
    // With every unknown name replaced, the field is as sure as its texts.
    if !substituted.contains("LicenseRef-") {
        score_out = texts_score;
    }
    match normalize(&substituted) {
        Ok(normalized) => (normalized.expression, score_out),
        Err(_) => (expression.to_owned(), score),
    }
}

fn field_detection(expression: String, score: u8, field: &dep5::Field) -> Detection {
    Detection {
        expression,
        score,
        start_line: field.start_line,
        end_line: field.end_line,
        kind: DetectionKind::Dep5Field,
    }
}

/// A file that holds nothing but an SPDX expression (a LICENSE file saying
/// `MIT OR Apache-2.0`) declares it, when every id in it is a known one.
fn whole_file_expression(text: &str, detections: &mut Vec<Detection>, skip_lines: &mut Vec<u32>) {
    let mut lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
    let (Some((index, line)), None) = (lines.next(), lines.next()) else { return };
    if line.len() > 200 {
        return;
    }
    let Ok(normalized) = normalize(line) else { return };
    if normalized.notes.iter().any(|note| note.starts_with("unknown")) {
        return;
    }
    let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
    skip_lines.push(line_number);
    detections.push(Detection {
        expression: normalized.expression,
        score: 100,
        start_line: line_number,
        end_line: line_number,
        kind: DetectionKind::SpdxHeader,
    });
}

/// An SPDX id written as such in prose after "licensed under" or "released
/// under" ("Note: atudel is licensed under BSD-4-Clause", "is licensed under
/// Apache-2.0"): the id, spelled exactly as on the list (case and hyphens),
/// names that license. Only versioned ids count (a digit in the id): "the
/// Unlicense", "MIT" are also words, read by the notice rules. Deprecated ids (`GPL-2.0`, which may or may not mean
/// "or later") and words that only look like one (`GPLv2`, Debian's
/// `LGPL-2.1+`) name nothing here; skipped lines (fields, headers) are read
/// elsewhere.
fn prose_ids(text: &str, skip_lines: &[u32]) -> Vec<Detection> {
    const TRIGGERS: &[&str] = &["licensed under ", "released under "];
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        // Most lines have no "under": skip them before lower-casing.
        if skip_lines.binary_search(&line_number).is_ok()
            || !(line.contains("nder ") || line.contains("NDER "))
        {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        for trigger in TRIGGERS {
            let mut from = 0;
            while let Some(at) = lower.get(from..).and_then(|rest| rest.find(trigger)) {
                let start = from + at + trigger.len();
                from = start;
                let rest = line.get(start..).unwrap_or("");
                let rest = rest.strip_prefix("the ").unwrap_or(rest);
                let token = rest
                    .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | ')' | '('))
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('.');
                let Some(license) = spdx::license_id(token) else { continue };
                if license.name != token
                    || license.is_deprecated()
                    || !token.contains(|c: char| c.is_ascii_digit())
                {
                    continue;
                }
                found.push(Detection {
                    expression: token.to_owned(),
                    score: 100,
                    start_line: line_number,
                    end_line: line_number,
                    kind: DetectionKind::Notice,
                });
            }
        }
    }
    found
}

/// `SPDX-License-Identifier:` lines; the lines are left out of text matching.
fn spdx_headers(
    text: &str,
    detections: &mut Vec<Detection>,
    skip_lines: &mut Vec<u32>,
    notes: &mut Vec<String>,
) {
    const TAG: &str = "spdx-license-identifier:";
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.to_ascii_lowercase().find(TAG) else { continue };
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        skip_lines.push(line_number);
        let value = line.get(at + TAG.len()..).unwrap_or("");
        let value = value
            .trim()
            .trim_end_matches(|c: char| {
                matches!(c, '*' | '/' | '-' | '>' | ')' | '#' | '}' | '"' | '\'' | ',' | ';')
            })
            .trim();
        match normalize(value) {
            Ok(normalized) => {
                notes.extend(normalized.notes);
                detections.push(Detection {
                    expression: normalized.expression,
                    score: 100,
                    start_line: line_number,
                    end_line: line_number,
                    kind: DetectionKind::SpdxHeader,
                });
            }
            Err(error) => notes.push(format!("line {line_number}: {error}")),
        }
    }
}

/// Lines between a notice and the common-licenses pointer that belongs to
/// it (the warranty and "you should have received a copy" paragraphs).
const REFERENCE_REACH: u32 = 16;

/// Lines that start a DEP-5 field (`License:`, `Files:`; not `Comment:`,
/// which goes on about the paragraph above it): a pointer after one belongs
/// to that field, not to the notice before it.
fn field_lines(text: &str) -> Vec<u32> {
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let name_len = line.chars().take_while(|c| c.is_ascii_alphabetic() || *c == '-').count();
        // A `Comment:` goes on about the license paragraph above it.
        let comment = line[..name_len].eq_ignore_ascii_case("comment");
        if name_len > 0 && !comment && line[name_len..].starts_with(':') {
            lines.push(u32::try_from(index + 1).unwrap_or(u32::MAX));
        }
    }
    lines
}

/// Drops a `/usr/share/common-licenses/X` pointer that closes a notice or
/// text of the same license (not a bare DEP-5 field, as ScanCode does) (`GPL-2.0-or-later` then `GPL-2`): it points
/// at the text of that license, it does not add one. A notice offering a
/// choice is closed by pointers to each of its licenses.
fn drop_followed_references(detections: &mut Vec<(Detection, EntryKind)>, field_lines: &[u32]) {
    let family = |expression: &str| {
        let first = expression.split_whitespace().next().unwrap_or("");
        first.trim_end_matches("-or-later").trim_end_matches("-only").to_owned()
    };
    // `common-licenses/GPL` (any version) closes a notice of any GPL version.
    let base = |expression: &str| expression.split(['-', ' ']).next().unwrap_or("").to_owned();
    // A notice offering a choice (`LGPL-3.0-or-later OR GPL-2.0-or-later`)
    // is closed by a pointer to any of its licenses.
    let same = |notice: &str, reference: &str| {
        notice.split(" OR ").any(|notice| {
            family(notice) == family(reference)
                || (matches!(reference, "GPL-1.0-or-later" | "LGPL-2.0-or-later")
                    && base(notice) == base(reference))
        })
    };
    let keep: Vec<bool> = detections
        .iter()
        .map(|(reference, kind)| {
            *kind != EntryKind::Reference
                || !detections.iter().any(|(other, other_kind)| {
                    *other_kind != EntryKind::Reference
                        && other.kind != DetectionKind::Dep5Field
                        && other.start_line <= reference.start_line
                        && other.end_line + REFERENCE_REACH >= reference.start_line
                        && same(&other.expression, &reference.expression)
                        && !field_lines
                            .iter()
                            .any(|&line| line > other.end_line && line <= reference.start_line)
                })
        })
        .collect();
    let mut flags = keep.into_iter();
    detections.retain(|_| flags.next().unwrap_or(true));
}

/// An exception text found near a license becomes `LICENSE WITH EXCEPTION`
/// on the closest license before it (or after it when none is before).
fn attach_exceptions(detections: &mut Vec<(Detection, EntryKind)>, notes: &mut Vec<String>) {
    while let Some(at) = detections.iter().position(|(_, kind)| *kind == EntryKind::Exception) {
        let (exception, _) = detections.remove(at);
        let plain = |(d, kind): &(Detection, EntryKind)| {
            *kind != EntryKind::Exception && !d.expression.contains(' ')
        };
        let target = detections[..at]
            .iter()
            .rposition(plain)
            .or_else(|| detections[at..].iter().position(plain).map(|offset| at + offset));
        match target.and_then(|index| detections.get_mut(index)) {
            Some((license, _)) => {
                license.expression =
                    format!("{} WITH {}", license.expression, exception.expression);
                license.end_line = license.end_line.max(exception.end_line);
                license.start_line = license.start_line.min(exception.start_line);
            }
            None => notes.push(format!(
                "exception `{}` (lines {}-{}) found without a license to attach it to",
                exception.expression, exception.start_line, exception.end_line
            )),
        }
    }
}

/// Each expression once, in order, joined with AND; a plain `A AND B`
/// (a DEP-5 field) counts as its parts.
fn combine(detections: &[Detection]) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for detection in detections {
        let expression = detection.expression.as_str();
        let flat = !expression.contains('(') && !expression.contains(" OR ");
        let pieces: Vec<&str> =
            if flat { expression.split(" AND ").collect() } else { vec![expression] };
        for piece in pieces {
            if !parts.contains(&piece) {
                parts.push(piece);
            }
        }
    }
    match parts.as_slice() {
        [] => None,
        [single] => Some((*single).to_owned()),
        many => {
            Some(
                many.iter()
                    .map(|part| {
                        if part.contains(" OR ") { format!("({part})") } else { (*part).to_owned() }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND "),
            )
        }
    }
}
