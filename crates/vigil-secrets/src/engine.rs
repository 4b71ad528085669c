//! The matching pipeline: keyword prefilter, regex, entropy, allowlists,
//! inline ignores, and redacted findings (see the crate docs).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use vigil_core::{
    Engine, Evidence, FileOutput, Finding, FindingKind, Location, Rule, SourceFile, mask_secret,
};

use crate::allowlist::{has_ignore_marker, is_placeholder};
use crate::rules::{CompiledRule, RuleError, RuleSpec, builtin_specs};
use crate::shannon_entropy;

/// Longest evidence snippet, in characters.
const SNIPPET_CHARS: usize = 200;

/// The secrets engine; build once, share across threads.
pub struct SecretsEngine {
    rules: Vec<CompiledRule>,
    metadata: Vec<Rule>,
    keywords: AhoCorasick,
    /// For each keyword pattern, the rules that list it.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: candidates for every file.
    always: Vec<usize>,
}

/// Bytes searched before a keyword: matches may start before their keyword
/// (OpenAI keys carry theirs in the middle).
const WINDOW_BEFORE: usize = 512;
/// Bytes searched after a keyword (PyPI tokens run to 1,000 characters).
const WINDOW_AFTER: usize = 1_536;
/// Windows are widened to whole lines, but never beyond this many bytes from
/// the keyword (minified one-line files).
const WINDOW_LINE_CAP: usize = 4_096;
/// Past this many keyword hits in one file, a rule searches the whole file:
/// its windows would cover most of it anyway.
const MAX_WINDOWS: usize = 64;

/// Where a candidate rule's regex runs.
enum Scope {
    /// Over the whole file: multi-line rules, keyword-less rules, files full of the keyword.
    File,
    /// Over these disjoint byte ranges, in order.
    Windows(Vec<(usize, usize)>),
}

/// Disjoint windows around sorted keyword positions: from the start of the
/// line `WINDOW_BEFORE` bytes before each to the end of the line (newline
/// included) `WINDOW_AFTER` bytes after, capped at `WINDOW_LINE_CAP`.
fn windows(content: &[u8], positions: &[usize]) -> Vec<(usize, usize)> {
    let mut windows: Vec<(usize, usize)> = Vec::with_capacity(positions.len());
    for &position in positions {
        let before = position.saturating_sub(WINDOW_BEFORE);
        let floor = position.saturating_sub(WINDOW_LINE_CAP);
        let start = memchr::memrchr(b'\n', &content[floor..before])
            .map_or(floor, |newline| floor + newline + 1);
        let after = (position + WINDOW_AFTER).min(content.len());
        let ceiling = (position + WINDOW_LINE_CAP).min(content.len());
        let end = memchr::memchr(b'\n', &content[after..ceiling])
            .map_or(ceiling, |newline| after + newline + 1);
        match windows.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
    windows
}

/// One accepted match before it becomes a finding.
struct Hit {
    rule: usize,
    secret_start: usize,
    secret_end: usize,
}

impl SecretsEngine {
    /// The engine with every built-in rule.
    pub fn builtin() -> Result<SecretsEngine, RuleError> {
        SecretsEngine::from_specs(&builtin_specs()?)
    }

    /// The built-in rules as an imported gitleaks configuration changes
    /// them: its `[extend]` settings (`useDefault`, `disabledRules`), its
    /// custom rules, and its global allowlist added to every rule.
    pub fn with_gitleaks(config: &crate::GitleaksConfig) -> Result<SecretsEngine, RuleError> {
        let mut specs = if config.use_default { builtin_specs()? } else { Vec::new() };
        specs.retain(|(_, spec)| {
            !config.disabled.iter().any(|id| *id == spec.id || *id == spec.name)
        });
        specs.extend(config.rules.iter().map(|rule| ("gitleaks config", rule.clone())));
        let global = &config.global_allowlist;
        for (_, spec) in &mut specs {
            spec.allowlist.regexes.extend(global.regexes.iter().cloned());
            spec.allowlist.stopwords.extend(global.stopwords.iter().cloned());
            spec.allowlist.paths.extend(global.paths.iter().cloned());
        }
        SecretsEngine::from_specs(&specs)
    }

    /// An engine running `specs` (file name, rule).
    pub fn from_specs(specs: &[(&str, RuleSpec)]) -> Result<SecretsEngine, RuleError> {
        let rules = specs
            .iter()
            .map(|(file, spec)| CompiledRule::compile(file, spec))
            .collect::<Result<Vec<_>, _>>()?;
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                match patterns.iter().position(|pattern| pattern == keyword) {
                    Some(existing) => keyword_rules[existing].push(index),
                    None => {
                        patterns.push(keyword.clone());
                        keyword_rules.push(vec![index]);
                    }
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| AhoCorasickBuilder::new().ascii_case_insensitive(true).build(&patterns))
            .map_err(|error| RuleError::Invalid {
                file: "(all)".into(),
                id: "(keywords)".into(),
                message: error.to_string(),
            })?;
        let metadata = rules.iter().map(|rule| rule.metadata.clone()).collect();
        let always = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.keywords.is_empty())
            .map(|(index, _)| index)
            .collect();
        Ok(SecretsEngine { rules, metadata, keywords, keyword_rules, always })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the engine has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules whose keywords occur in `content`, in rule order, each with
    /// where to run its regex: the whole file, or windows around its
    /// keywords' positions.
    fn candidates(&self, content: &[u8]) -> Vec<(usize, Scope)> {
        let mut positions: Vec<Option<Vec<usize>>> = vec![None; self.rules.len()];
        for &rule in &self.always {
            positions[rule] = Some(Vec::new());
        }
        for found in self.keywords.find_overlapping_iter(content) {
            for &rule in &self.keyword_rules[found.pattern().as_usize()] {
                let list = positions[rule].get_or_insert_with(Vec::new);
                if list.len() <= MAX_WINDOWS {
                    list.push(found.start());
                }
            }
        }
        positions
            .into_iter()
            .enumerate()
            .filter_map(|(index, found)| {
                let found = found?;
                let rule = &self.rules[index];
                let scope = if rule.whole_file || found.is_empty() || found.len() > MAX_WINDOWS {
                    Scope::File
                } else {
                    Scope::Windows(windows(content, &found))
                };
                Some((index, scope))
            })
            .collect()
    }

    fn hits(&self, path: &str, content: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (index, scope) in self.candidates(content) {
            let rule = &self.rules[index];
            if rule.paths.as_ref().is_some_and(|paths| !paths.is_match(path.as_bytes()))
                || rule.allow_paths.as_ref().is_some_and(|paths| paths.is_match(path.as_bytes()))
            {
                continue;
            }
            let whole = [(0, content.len())];
            let ranges: &[(usize, usize)] = match &scope {
                Scope::File => &whole,
                Scope::Windows(windows) => windows,
            };
            let mut locations = rule.regex.capture_locations();
            for &(window_start, window_end) in ranges {
                // Searching `content[..end]` from `start` keeps the bytes
                // before the window visible to `\b` and `^`, so a window
                // matches exactly what the whole file would there.
                let haystack = &content[..window_end];
                let mut at = window_start;
                while at <= haystack.len() {
                    let Some(matched) = rule.regex.captures_read_at(&mut locations, haystack, at)
                    else {
                        break;
                    };
                    at = if matched.end() > matched.start() {
                        matched.end()
                    } else {
                        matched.end() + 1
                    };
                    let Some((start, end)) = locations.get(rule.secret_group) else { continue };
                    if self.accepts(rule, content, start, end, matched.start()) {
                        hits.push(Hit { rule: index, secret_start: start, secret_end: end });
                    }
                }
            }
        }
        // A generic (fallback) rule yields to a specific one that found the
        // same secret, and to an earlier generic rule that did.
        let mut claimed: Vec<(usize, usize)> = hits
            .iter()
            .filter(|hit| !self.rules[hit.rule].fallback)
            .map(|hit| (hit.secret_start, hit.secret_end))
            .collect();
        hits.retain(|hit| {
            if !self.rules[hit.rule].fallback {
                return true;
            }
            let overlaps = claimed
                .iter()
                .any(|&(start, end)| start < hit.secret_end && hit.secret_start < end);
            if !overlaps {
                claimed.push((hit.secret_start, hit.secret_end));
            }
            !overlaps
        });
        hits
    }

    fn accepts(
        &self,
        rule: &CompiledRule,
        content: &[u8],
        start: usize,
        end: usize,
        match_start: usize,
    ) -> bool {
        let secret = &content[start..end];
        if secret.is_empty() || is_placeholder(secret) {
            return false;
        }
        if rule.entropy.is_some_and(|threshold| shannon_entropy(secret) < threshold) {
            return false;
        }
        if rule.allow_regexes.as_ref().is_some_and(|set| set.is_match(secret)) {
            return false;
        }
        if !rule.allow_stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if rule
                .allow_stopwords
                .iter()
                .any(|word| memchr::memmem::find(&lower, word.as_bytes()).is_some())
            {
                return false;
            }
        }
        !has_ignore_marker(line_around(content, start))
            && !has_ignore_marker(line_around(content, match_start))
    }

    fn finding(&self, path: &str, content: &[u8], hit: &Hit) -> Finding {
        let rule = &self.rules[hit.rule].metadata;
        let secret = String::from_utf8_lossy(&content[hit.secret_start..hit.secret_end]);
        let masked = mask_secret(&secret);
        let location = Location::from_byte_range(path, content, hit.secret_start, hit.secret_end);
        let mut finding = Finding::new(
            FindingKind::Secret,
            &rule.id,
            &rule.title,
            rule.severity,
            location,
            &masked.sha256,
        );
        finding.evidence = Evidence {
            snippet: Some(snippet(content, hit, &masked.preview)),
            secret: Some(masked),
        };
        finding
    }
}

/// The line holding byte `offset`, without its newline.
fn line_around(content: &[u8], offset: usize) -> &[u8] {
    let start = memchr::memrchr(b'\n', &content[..offset]).map_or(0, |newline| newline + 1);
    let end =
        memchr::memchr(b'\n', &content[offset..]).map_or(content.len(), |newline| offset + newline);
    &content[start..end]
}

/// Bytes of context kept on each side of the secret in a snippet, so that a
/// minified one-line file does not turn into a megabyte of evidence.
const SNIPPET_CONTEXT_BYTES: usize = 120;

/// The secret's first line with the secret replaced by its masked preview,
/// trimmed and cut to [`SNIPPET_CHARS`].
fn snippet(content: &[u8], hit: &Hit, preview: &str) -> String {
    let line_start =
        memchr::memrchr(b'\n', &content[..hit.secret_start]).map_or(0, |newline| newline + 1);
    let line_end = memchr::memchr(b'\n', &content[hit.secret_start..])
        .map_or(content.len(), |n| hit.secret_start + n);
    let mut before_start = line_start.max(hit.secret_start.saturating_sub(SNIPPET_CONTEXT_BYTES));
    // Start on a character boundary: skip UTF-8 continuation bytes.
    while before_start < hit.secret_start && (content[before_start] & 0xC0) == 0x80 {
        before_start += 1;
    }
    let after_start = hit.secret_end.min(line_end);
    let mut after_end = line_end.min(after_start + SNIPPET_CONTEXT_BYTES);
    while after_end < line_end && (content[after_end] & 0xC0) == 0x80 {
        after_end += 1;
    }
    let before = String::from_utf8_lossy(&content[before_start..hit.secret_start]);
    let after = String::from_utf8_lossy(&content[after_start..after_end]);
    let text = format!("{before}{preview}{after}");
    let trimmed = text.trim();
    if trimmed.chars().count() > SNIPPET_CHARS {
        let mut cut: String = trimmed.chars().take(SNIPPET_CHARS).collect();
        cut.push('…');
        cut
    } else {
        trimmed.to_owned()
    }
}

impl Engine for SecretsEngine {
    fn name(&self) -> &'static str {
        "secrets"
    }

    fn kinds(&self) -> &'static [FindingKind] {
        &[FindingKind::Secret]
    }

    fn rules(&self) -> &[Rule] {
        &self.metadata
    }

    fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput) {
        for hit in self.hits(file.path, file.content) {
            output.findings.push(self.finding(file.path, file.content, &hit));
        }
    }
}

#[cfg(test)]
mod tests;
