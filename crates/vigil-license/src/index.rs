//! The prepared index: every SPDX license and exception text and every
//! notice rule, normalised to word ids and indexed by word n-grams
//! (`N` words → the entries and positions where they occur). Built once per
//! [`crate::Detector`]; knows nothing of files or of how matches are chosen.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::rules::{
    EXTRA_TEXTS, LOOK_ALIKES, LOOK_ALIKES_OF, NAMES, NOTICES, PREFERRED, REFERENCES,
};
use crate::text::for_each_word;

/// Words per n-gram: long enough that a hit means shared phrasing, short
/// enough that a notice of a dozen words has several.
pub(crate) const N: usize = 4;
/// The id of a word that no indexed text contains.
pub(crate) const UNKNOWN: u32 = u32::MAX;
/// SPDX texts shorter than this many words are skipped: they would match
/// ordinary prose (e.g. `any-OSI`, `NOASSERTION`).
const MIN_TEXT_WORDS: usize = 20;

/// What an index entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A full license text from the SPDX list.
    Text,
    /// An SPDX exception text (`WITH` addition).
    Exception,
    /// A hand-written notice rule.
    Notice,
    /// A pointer to `/usr/share/common-licenses/<NAME>`.
    Reference,
}

/// One indexed text.
pub(crate) struct Entry {
    pub(crate) expression: String,
    pub(crate) kind: EntryKind,
    /// Its length in words.
    pub(crate) len: u32,
    /// Whether [`PREFERRED`] lists it (wins ties against look-alikes).
    pub(crate) preferred: bool,
    /// For a variant named after a common text (`BSD-3-Clause-HP` after
    /// `BSD-3-Clause`, `X11-no-permit-persons` after `X11`): the common
    /// text's expression and the words only the variant has.
    pub(crate) variant_of: Option<(String, Vec<u32>)>,
}

/// Where an n-gram occurs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Posting {
    pub(crate) entry: u16,
    pub(crate) pos: u32,
}

/// A hasher for keys that are already well-mixed (n-gram hashes) or short
/// strings: FxHash's multiply-rotate, far cheaper than SipHash here.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// The n-gram key of `N` word ids.
pub(crate) fn gram_key(ids: &[u32]) -> u64 {
    let mut hasher = FxHasher::default();
    for &id in ids {
        hasher.write_u64(u64::from(id));
    }
    hasher.0
}

/// The prepared index.
pub(crate) struct Index {
    pub(crate) dict: HashMap<Box<str>, u32, FxBuild>,
    pub(crate) entries: Vec<Entry>,
    slots: HashMap<u64, (u32, u32), FxBuild>,
    postings: Vec<Posting>,
    /// License names (for "dual licensed under X or Y"), as word ids.
    pub(crate) names: Vec<(Vec<u32>, &'static str)>,
    /// Entries shorter than `N` words (e.g. "mit license"), matched by a
    /// plain scan since they have no n-gram.
    pub(crate) short: Vec<(u16, Vec<u32>)>,
}

impl Index {
    /// Builds the index from the `spdx` crate's texts and [`NOTICES`].
    pub(crate) fn build() -> Self {
        let mut builder = Builder::default();
        let mut seen: HashMap<Vec<u32>, usize> = HashMap::new();
        for &(id, text) in spdx::text::LICENSE_TEXTS {
            let Some(license) = spdx::license_id(id) else { continue };
            // Deprecated ids and `-or-later` repeat another id's text; a full
            // text says nothing about "or later", so `-only` stands for it.
            if license.is_deprecated() || id.ends_with("-or-later") {
                continue;
            }
            let words = builder.words(own_text(id, text));
            if words.len() < MIN_TEXT_WORDS {
                continue;
            }
            if let Some(&existing) = seen.get(&words) {
                if PREFERRED.contains(&id) {
                    builder.entries[existing].expression = id.to_owned();
                    builder.entries[existing].preferred = true;
                }
                continue;
            }
            seen.insert(words.clone(), builder.entries.len());
            builder.add(id.to_owned(), EntryKind::Text, &words);
        }
        for &(id, text) in spdx::text::EXCEPTION_TEXTS {
            let deprecated =
                spdx::exception_id(id).is_none_or(|exception| exception.is_deprecated());
            let words = builder.words(text);
            if deprecated || words.len() < MIN_TEXT_WORDS {
                continue;
            }
            builder.add(id.to_owned(), EntryKind::Exception, &words);
        }
        for rule in EXTRA_TEXTS {
            let words = builder.words(rule.text);
            seen.entry(words.clone()).or_insert(builder.entries.len());
            builder.add(rule.expression.to_owned(), EntryKind::Text, &words);
        }
        let boilerplate: Vec<u32> =
            ["rights", "reserved"].iter().filter_map(|w| builder.dict.get(*w).copied()).collect();
        link_variants(&mut builder.entries, &seen, &boilerplate);
        for rule in NOTICES {
            let words = builder.words(rule.text);
            builder.add(rule.expression.to_owned(), EntryKind::Notice, &words);
        }
        for rule in REFERENCES {
            let words = builder.words(rule.text);
            builder.add(rule.expression.to_owned(), EntryKind::Reference, &words);
        }
        let names = NAMES.iter().map(|&(name, id)| (builder.words(name), id)).collect();
        builder.finish(names)
    }

    /// The id of a normalised word, or [`UNKNOWN`].
    pub(crate) fn word_id(&self, word: &str) -> u32 {
        self.dict.get(word).copied().unwrap_or(UNKNOWN)
    }

    /// Where the n-gram `key` occurs.
    pub(crate) fn postings(&self, key: u64) -> &[Posting] {
        match self.slots.get(&key) {
            Some(&(start, len)) => {
                self.postings.get(start as usize..(start + len) as usize).unwrap_or(&[])
            }
            None => &[],
        }
    }
}

/// Links each SPDX text of [`LOOK_ALIKES`] (named `<common>-<variant>`) to
/// the longest other text whose id is such a prefix, and each of
/// [`LOOK_ALIKES_OF`] to its named common text, with the words only the
/// variant has (`hp`, `patent` for `BSD-3-Clause-HP`; `position`,
/// `unchanged` for `BSD-2-Clause-pos-unchanged`; `cornell` for
/// `Cornell-Lossless-JPEG`): a match lacking most of them is the common
/// text in other words, as ScanCode reads it. `boilerplate` words ("All
/// rights reserved", a copyright line's tail that many files carry) are no
/// variant's own.
fn link_variants(entries: &mut [Entry], texts: &HashMap<Vec<u32>, usize>, boilerplate: &[u32]) {
    let by_entry: HashMap<usize, &Vec<u32>> = texts.iter().map(|(w, &e)| (e, w)).collect();
    for index in 0..entries.len() {
        let Some(entry) = entries.get(index) else { continue };
        if entry.kind != EntryKind::Text {
            continue;
        }
        let named = LOOK_ALIKES_OF
            .iter()
            .find(|(variant, _)| *variant == entry.expression)
            .map(|&(_, common)| common);
        if named.is_none() && !LOOK_ALIKES.contains(&entry.expression.as_str()) {
            continue;
        }
        let parent = entries
            .iter()
            .enumerate()
            .filter(|(other, parent)| {
                *other != index
                    && parent.kind == EntryKind::Text
                    && match named {
                        Some(common) => parent.expression == common,
                        None => entry
                            .expression
                            .strip_prefix(parent.expression.as_str())
                            .is_some_and(|rest| rest.starts_with('-')),
                    }
            })
            .max_by_key(|(_, parent)| parent.expression.len());
        let Some((parent_index, parent)) = parent else { continue };
        let (Some(own), Some(common)) = (by_entry.get(&index), by_entry.get(&parent_index)) else {
            continue;
        };
        let common: std::collections::HashSet<u32> = common.iter().copied().collect();
        let mut distinct: Vec<u32> = own
            .iter()
            .copied()
            .filter(|w| !common.contains(w) && !boilerplate.contains(w))
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        if !distinct.is_empty() {
            let link = (parent.expression.clone(), distinct);
            if let Some(entry) = entries.get_mut(index) {
                entry.variant_of = Some(link);
            }
        }
    }
}

/// The part of an SPDX text that is the license itself: the list's
/// LGPL-3.0 text has the whole GPL-3.0 appended, which COPYING.LESSER files
/// do not carry (and which is indexed as GPL-3.0 anyway).
fn own_text<'a>(id: &str, text: &'a str) -> &'a str {
    if id.starts_with("LGPL-3.0") {
        if let Some(at) = text.find("\nGNU GENERAL PUBLIC LICENSE") {
            return &text[..at];
        }
    }
    text
}

#[derive(Default)]
struct Builder {
    dict: HashMap<Box<str>, u32, FxBuild>,
    entries: Vec<Entry>,
    grams: Vec<(u64, Posting)>,
    short: Vec<(u16, Vec<u32>)>,
}

impl Builder {
    fn words(&mut self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        for_each_word(text, |word, _line| {
            let next = u32::try_from(self.dict.len()).unwrap_or(UNKNOWN);
            let id = *self.dict.entry(word.into()).or_insert(next);
            ids.push(id);
        });
        ids
    }

    fn add(&mut self, expression: String, kind: EntryKind, words: &[u32]) {
        let Ok(entry) = u16::try_from(self.entries.len()) else { return };
        let preferred = PREFERRED.contains(&expression.as_str());
        let len = u32::try_from(words.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry { expression, kind, len, preferred, variant_of: None });
        if words.len() < N {
            self.short.push((entry, words.to_vec()));
        }
        for (pos, window) in words.windows(N).enumerate() {
            let pos = u32::try_from(pos).unwrap_or(u32::MAX);
            self.grams.push((gram_key(window), Posting { entry, pos }));
        }
    }

    fn finish(mut self, names: Vec<(Vec<u32>, &'static str)>) -> Index {
        self.grams.sort_unstable_by_key(|&(key, posting)| (key, posting.entry, posting.pos));
        let mut slots: HashMap<u64, (u32, u32), FxBuild> = HashMap::default();
        slots.reserve(self.grams.len());
        let mut postings = Vec::with_capacity(self.grams.len());
        for (key, posting) in self.grams {
            let at = u32::try_from(postings.len()).unwrap_or(u32::MAX);
            slots.entry(key).or_insert((at, 0)).1 += 1;
            postings.push(posting);
        }
        Index { dict: self.dict, entries: self.entries, slots, postings, names, short: self.short }
    }
}
