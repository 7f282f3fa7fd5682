//! The words of the hosted pages in each language: a Project Fluent file per language under
//! `assets/pages/locales/` (the same languages as the emails). A page is served in the language
//! its address asks for (`?lang=de`), else the first of the browser's `Accept-Language` that
//! Doorman has, else English. The page gets its language's messages as JSON in the HTML
//! (`<script type="application/json" id="doorman-messages">`), which `t()` in `common.js`
//! reads; a message is text with `{ $name }` placeables only, so that the browser needs no
//! Fluent of its own. `{ $product }` is filled with `DOORMAN_PRODUCT_NAME` here.

use std::collections::BTreeMap;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, PatternElement};

/// The built-in page languages, English first: the fallback.
const BUILT_IN: [(&str, &str); 5] = [
    ("en", include_str!("../../assets/pages/locales/en.ftl")),
    ("de", include_str!("../../assets/pages/locales/de.ftl")),
    ("fr", include_str!("../../assets/pages/locales/fr.ftl")),
    ("es", include_str!("../../assets/pages/locales/es.ftl")),
    ("ja", include_str!("../../assets/pages/locales/ja.ftl")),
];

/// One language's page messages.
pub struct PageLanguage {
    pub tag: &'static str,
    messages: BTreeMap<String, String>,
}

impl PageLanguage {
    /// Message `id`, for the server's own parts of a page (title, loading line).
    pub fn get<'a>(&'a self, id: &'a str) -> &'a str {
        self.messages.get(id).map_or(id, String::as_str)
    }

    /// Every message as JSON that is safe inside a `<script>` element.
    pub fn json(&self) -> String {
        serde_json::to_string(&self.messages)
            .unwrap_or_default()
            .replace('<', "\\u003c")
    }
}

/// The languages of the pages.
pub struct PageLanguages {
    list: Vec<PageLanguage>,
}

impl PageLanguages {
    /// Reads the built-in catalogues, with `product` filled in; a catalogue that breaks the
    /// rules (only text and `{ $name }`), or lacks a message English has, is an error naming it.
    pub fn load(product: &str) -> anyhow::Result<Self> {
        let list = BUILT_IN
            .iter()
            .map(|(tag, source)| {
                Ok(PageLanguage {
                    tag,
                    messages: messages(tag, source, product)?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for language in &list[1..] {
            let missing: Vec<&str> = list[0]
                .messages
                .keys()
                .filter(|id| !language.messages.contains_key(*id))
                .map(String::as_str)
                .collect();
            anyhow::ensure!(
                missing.is_empty(),
                "the page messages in {} lack {}",
                language.tag,
                missing.join(", ")
            );
        }
        Ok(Self { list })
    }

    pub fn all(&self) -> &[PageLanguage] {
        &self.list
    }

    /// The language `lang` names when the server has it, else the browser's first one the
    /// server has (`accept_language`, an `Accept-Language` header), else English.
    pub fn choose(&self, lang: Option<&str>, accept_language: Option<&str>) -> &PageLanguage {
        let tags: Vec<&str> = self.list.iter().map(|language| language.tag).collect();
        let primary = |tag: &str| {
            tag.split(['-', '_'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        let asked = lang.map(primary).filter(|tag| tags.contains(&tag.as_str()));
        let accepted = || {
            // `q=0` means "not this one".
            accept_language::parse_with_quality(accept_language.unwrap_or_default())
                .into_iter()
                .filter(|(_, quality)| *quality > 0.0)
                .map(|(tag, _)| primary(&tag))
                .find(|tag| tags.contains(&tag.as_str()))
        };
        let tag = asked.or_else(accepted);
        tag.and_then(|tag| self.list.iter().find(|language| language.tag == tag))
            .unwrap_or(&self.list[0])
    }
}

/// The messages of one catalogue: id to text with `{name}` for each placeable.
fn messages(tag: &str, source: &str, product: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let resource = fluent_syntax::parser::parse(source).map_err(|(_, errors)| {
        anyhow::anyhow!("pages {tag}.ftl does not parse: {:?}", errors.first())
    })?;
    let mut messages = BTreeMap::new();
    for entry in resource.body {
        let message = match entry {
            Entry::Message(message) => message,
            Entry::Comment(_) | Entry::GroupComment(_) | Entry::ResourceComment(_) => continue,
            Entry::Term(_) | Entry::Junk { .. } => {
                anyhow::bail!("pages {tag}.ftl: only messages and comments are allowed")
            }
        };
        let id = message.id.name;
        let pattern = message
            .value
            .filter(|_| message.attributes.is_empty())
            .ok_or_else(|| anyhow::anyhow!("pages {tag}.ftl: {id} must be one value"))?;
        let mut text = String::new();
        for element in pattern.elements {
            match element {
                PatternElement::TextElement { value } => text.push_str(value),
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::VariableReference { id: name }),
                } if name.name == "product" => text.push_str(product),
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::VariableReference { id: name }),
                } => text.push_str(&format!("{{{}}}", name.name)),
                PatternElement::Placeable { .. } => {
                    anyhow::bail!("pages {tag}.ftl: {id} may hold only text and {{ $name }}")
                }
            }
        }
        messages.insert(id.to_owned(), text);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_language_has_every_english_message_with_the_product_filled_in() {
        let languages = PageLanguages::load("Gatekeeper").unwrap();
        assert_eq!(languages.all().len(), 5);
        for language in languages.all() {
            assert!(language.get("page-title-invitation").contains("Gatekeeper"));
            assert!(!language.json().contains("{product}"));
        }
    }

    #[test]
    fn the_address_wins_over_the_browser_which_wins_over_english() {
        let languages = PageLanguages::load("Doorman").unwrap();
        assert_eq!(
            languages.choose(Some("ja"), Some("de-DE,de;q=0.9")).tag,
            "ja"
        );
        assert_eq!(
            languages
                .choose(Some("xx"), Some("pt-BR, fr;q=0.8, de;q=0.5"))
                .tag,
            "fr"
        );
        assert_eq!(languages.choose(None, Some("pt-BR")).tag, "en");
        assert_eq!(languages.choose(None, Some("de;q=0, fr;q=0.1")).tag, "fr");
        assert_eq!(languages.choose(None, None).tag, "en");
    }

    #[test]
    fn messages_are_text_and_names_only_and_cannot_close_the_script() {
        let parsed = messages("en", "a = Hi { $name } of { $product } </script>\n", "D").unwrap();
        assert_eq!(parsed["a"], "Hi {name} of D </script>");
        let language = PageLanguage {
            tag: "en",
            messages: parsed,
        };
        assert!(!language.json().contains("</script>"));
        assert!(messages("en", "a = { $n -> \n *[x] y\n}\n", "D").is_err());
        assert!(messages("en", "-term = x\n", "D").is_err());
    }
}
