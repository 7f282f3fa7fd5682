//! The languages emails are written in: one Project Fluent file of messages per language
//! (`assets/emails/locales/{tag}.ftl`, built into the binary), each of which a file of the same
//! name under `DOORMAN_TEMPLATE_DIR/locales/` extends or overrides, and where a new language is
//! added. Every language must have every message the English one has: a server whose files
//! miss one refuses to start, naming it.

use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast::Entry;
use unic_langid::LanguageIdentifier;

/// The built-in languages, English first: it is the reference every other must match.
const BUILT_IN: [(&str, &str); 5] = [
    ("en", include_str!("../../assets/emails/locales/en.ftl")),
    ("de", include_str!("../../assets/emails/locales/de.ftl")),
    ("fr", include_str!("../../assets/emails/locales/fr.ftl")),
    ("es", include_str!("../../assets/emails/locales/es.ftl")),
    ("ja", include_str!("../../assets/emails/locales/ja.ftl")),
];

/// Longest language tag taken (BCP 47 tags in use are far shorter).
const MAX_TAG_CHARS: usize = 35;

/// One language's messages and how it writes dates.
pub struct Language {
    tag: LanguageIdentifier,
    bundle: FluentBundle<FluentResource>,
    /// The ids of the messages of its first file, in their order.
    ids: Vec<String>,
    date_format: String,
    date_locale: chrono::Locale,
    direction: String,
}

/// Every language the server writes emails in.
pub struct Languages {
    list: Vec<Language>,
}

impl Languages {
    /// The built-in languages, with the `.ftl` files under `dir/locales` (when given) laid over
    /// them or added to them.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut sources: Vec<(String, Vec<(String, String)>)> = BUILT_IN
            .iter()
            .map(|(tag, source)| {
                (
                    (*tag).to_owned(),
                    vec![(format!("built-in {tag}.ftl"), (*source).to_owned())],
                )
            })
            .collect();
        if let Some(dir) = dir {
            for (tag, path, source) in overrides(&dir.join("locales"))? {
                match sources.iter_mut().find(|(known, _)| *known == tag) {
                    Some((_, files)) => files.push((path, source)),
                    None => sources.push((tag, vec![(path, source)])),
                }
            }
        }
        let list = sources
            .into_iter()
            .map(|(tag, files)| Language::build(&tag, files))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let languages = Self { list };
        languages.check_complete()?;
        Ok(languages)
    }

    /// The language `tag` is written in: the exact tag, else the same language (`de-AT` is
    /// written in `de`); `None` when the server has no such language.
    pub fn find(&self, tag: &str) -> Option<&Language> {
        let wanted: LanguageIdentifier = tag.parse().ok()?;
        self.list
            .iter()
            .find(|language| language.tag == wanted)
            .or_else(|| {
                self.list
                    .iter()
                    .find(|language| language.tag.language == wanted.language)
            })
    }

    /// `raw` as a language tag the server writes emails in (`de-AT` is written in `de`), in
    /// its canonical form; else why not, naming the languages there are.
    pub fn supported(&self, raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        let tag: Option<LanguageIdentifier> = (raw.len() <= MAX_TAG_CHARS)
            .then(|| raw.parse().ok())
            .flatten();
        match tag {
            Some(tag) if self.find(&tag.to_string()).is_some() => Ok(tag.to_string()),
            _ => Err(format!(
                "locale {raw:?} is not one of the email languages: {}",
                self.tags().join(", ")
            )),
        }
    }

    /// The first of `preferences` the server writes, else `fallback`'s language, else English.
    pub fn choose<'a>(
        &self,
        preferences: impl IntoIterator<Item = Option<&'a str>>,
        fallback: &str,
    ) -> &Language {
        preferences
            .into_iter()
            .flatten()
            .find_map(|tag| self.find(tag))
            .or_else(|| self.find(fallback))
            .unwrap_or(&self.list[0])
    }

    /// The tags of every language, built-in ones first.
    pub fn tags(&self) -> Vec<String> {
        self.list
            .iter()
            .map(|language| language.tag.to_string())
            .collect()
    }

    pub fn all(&self) -> &[Language] {
        &self.list
    }

    /// Every language has every message of the first (English).
    fn check_complete(&self) -> anyhow::Result<()> {
        let reference = &self.list[0];
        for language in &self.list[1..] {
            let missing: Vec<&str> = reference
                .ids
                .iter()
                .filter(|id| !language.bundle.has_message(id))
                .map(String::as_str)
                .collect();
            anyhow::ensure!(
                missing.is_empty(),
                "the email messages in {} lack {}",
                language.tag,
                missing.join(", ")
            );
        }
        Ok(())
    }
}

impl Language {
    fn build(tag: &str, files: Vec<(String, String)>) -> anyhow::Result<Self> {
        let id: LanguageIdentifier = tag
            .parse()
            .map_err(|_| anyhow::anyhow!("{tag}.ftl: {tag:?} is not a language tag"))?;
        let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
        // Emails are not bidirectional text in a UI: no invisible isolation marks around values.
        bundle.set_use_isolating(false);
        let mut ids = Vec::new();
        for (index, (path, source)) in files.into_iter().enumerate() {
            let resource = FluentResource::try_new(source).map_err(|(_, errors)| {
                anyhow::anyhow!("{path} does not parse: {:?}", errors.first())
            })?;
            // The messages of the first file (the built-in one, or an added language's).
            if index == 0 {
                ids.extend(resource.entries().filter_map(|entry| match entry {
                    Entry::Message(message) => Some(message.id.name.to_owned()),
                    _ => None,
                }));
            }
            bundle.add_resource_overriding(resource);
        }
        let mut language = Self {
            tag: id,
            bundle,
            ids,
            date_format: String::new(),
            date_locale: chrono::Locale::POSIX,
            direction: String::new(),
        };
        let no_args = FluentArgs::new();
        language.date_format = language
            .message("date-format", &no_args)
            .map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            !chrono::format::StrftimeItems::new(&language.date_format)
                .any(|item| matches!(item, chrono::format::Item::Error)),
            "{tag}: date-format {:?} is not a strftime pattern",
            language.date_format
        );
        let locale = language
            .message("date-locale", &no_args)
            .map_err(anyhow::Error::msg)?;
        language.date_locale = chrono::Locale::try_from(locale.as_str()).map_err(|_| {
            anyhow::anyhow!("{tag}: date-locale {locale:?} is not a known POSIX locale")
        })?;
        language.direction = language
            .message("text-direction", &no_args)
            .map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            matches!(language.direction.as_str(), "ltr" | "rtl"),
            "{tag}: text-direction is ltr or rtl"
        );
        Ok(language)
    }

    /// The language's tag, e.g. `de`.
    pub fn tag(&self) -> String {
        self.tag.to_string()
    }

    /// `ltr` or `rtl`.
    pub fn direction(&self) -> &str {
        &self.direction
    }

    /// Message `id` with `args`; an unknown id, a missing argument or a bad message is an error
    /// naming it, never a half-written sentence.
    pub fn message(&self, id: &str, args: &FluentArgs) -> Result<String, String> {
        let pattern = self
            .bundle
            .get_message(id)
            .and_then(|message| message.value())
            .ok_or_else(|| format!("no email message {id:?} in {}", self.tag))?;
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, Some(args), &mut errors);
        match errors.first() {
            None => Ok(text.into_owned()),
            Some(error) => Err(format!("email message {id:?} in {}: {error}", self.tag)),
        }
    }

    /// `at` as this language writes a date and time, in `zone` (UTC when unknown).
    pub fn date(&self, at: DateTime<Utc>, zone: Option<Tz>) -> String {
        let zone = zone.unwrap_or(Tz::UTC);
        at.with_timezone(&zone)
            .format_localized(&self.date_format, self.date_locale)
            .to_string()
    }
}

/// The `.ftl` files in `dir`, if it exists: (tag, path, source) each.
fn overrides(dir: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)
        .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().and_then(|ext| ext.to_str()) != Some("ftl") {
            continue;
        }
        let Some(tag) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        let source = std::fs::read_to_string(&path)
            .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", path.display()))?;
        found.push((tag.to_owned(), path.display().to_string(), source));
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_language_has_every_english_message() {
        let languages = Languages::load(None).unwrap();
        assert_eq!(languages.tags(), ["en", "de", "fr", "es", "ja"]);
    }

    #[test]
    fn a_regional_tag_is_written_in_its_language_and_an_unknown_one_falls_back() {
        let languages = Languages::load(None).unwrap();
        assert_eq!(languages.find("de-AT").unwrap().tag(), "de");
        assert_eq!(languages.find("pt-BR").map(Language::tag), None);
        assert_eq!(languages.choose([Some("pt"), None], "fr").tag(), "fr");
        assert_eq!(languages.choose([None, Some("ja")], "fr").tag(), "ja");
    }

    #[test]
    fn dates_are_written_in_the_language_and_the_time_zone() {
        let languages = Languages::load(None).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            languages.find("en").unwrap().date(at, None),
            "December 1, 2026, 09:30 UTC"
        );
        assert_eq!(
            languages.find("de").unwrap().date(at, Some(berlin)),
            "1. Dezember 2026, 10:30 CET"
        );
        assert!(
            languages
                .find("ja")
                .unwrap()
                .date(at, Some("Asia/Tokyo".parse().unwrap()))
                .starts_with("2026年12月1日 18:30")
        );
    }

    #[test]
    fn a_date_format_that_is_no_strftime_pattern_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("locales")).unwrap();
        std::fs::write(dir.path().join("locales/de.ftl"), "date-format = %Q %d\n").unwrap();
        let error = Languages::load(Some(dir.path())).err().unwrap().to_string();
        assert!(error.contains("not a strftime pattern"), "{error}");
    }

    #[test]
    fn a_language_missing_a_message_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("locales")).unwrap();
        std::fs::write(
            dir.path().join("locales/it.ftl"),
            "date-format = %d/%m/%Y %H:%M %Z\ndate-locale = it_IT\ntext-direction = ltr\nsomeone = Qualcuno\n",
        )
        .unwrap();
        let error = Languages::load(Some(dir.path())).err().unwrap().to_string();
        assert!(error.contains("in it lack"), "{error}");
        assert!(error.contains("invitation-subject"), "{error}");
    }
}
